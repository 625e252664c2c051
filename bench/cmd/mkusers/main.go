// Command mkusers creates IAM users concurrently against an AWS endpoint (the sandbox) and
// writes their names to a users file: the aws CLI needs one Python process per user, which
// would make setting up a 2,000-user benchmark take longer than the benchmark itself.
//
//	go run ./bench/cmd/mkusers -n 500 -prefix bench-user- -out bench/tmp/users.txt
//
// Endpoint, region and credentials come from the standard chain (AWS_ENDPOINT_URL, ...).
// Users that already exist count as created, so a re-run converges.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"golang.org/x/sync/errgroup"
)

func main() {
	n := flag.Int("n", 200, "number of users")
	prefix := flag.String("prefix", "bench-user-", "user name prefix; names are PREFIX0001...")
	out := flag.String("out", "", "write the user names here, one a line (required)")
	conc := flag.Int("concurrency", 32, "parallel CreateUser calls")
	flag.Parse()
	if *out == "" || *n <= 0 {
		fmt.Fprintln(os.Stderr, "mkusers: -out FILE and -n > 0 are required")
		os.Exit(2)
	}
	if err := run(context.Background(), *n, *prefix, *out, *conc); err != nil {
		fmt.Fprintln(os.Stderr, "mkusers:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, n int, prefix, out string, conc int) error {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryMaxAttempts(10))
	if err != nil {
		return fmt.Errorf("load AWS configuration: %w", err)
	}
	client := iam.NewFromConfig(cfg)
	names := make([]string, n)
	width := len(fmt.Sprint(n))
	if width < 4 {
		width = 4
	}
	for i := range names {
		names[i] = fmt.Sprintf("%s%0*d", prefix, width, i+1)
	}
	start := time.Now()
	var existed atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(conc)
	for _, name := range names {
		g.Go(func() error {
			_, err := client.CreateUser(gctx, &iam.CreateUserInput{UserName: aws.String(name)})
			var exists *types.EntityAlreadyExistsException
			if errors.As(err, &exists) {
				existed.Add(1)
				return nil
			}
			if err != nil {
				return fmt.Errorf("create user %s: %w", name, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, name := range names {
		fmt.Fprintln(w, name)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "mkusers: %d users (%d already existed) in %.2fs -> %s\n",
		n, existed.Load(), time.Since(start).Seconds(), out)
	return nil
}
