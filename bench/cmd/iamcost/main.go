// Command iamcost measures the cost of IAM policy evaluation per call: it sends the same mix
// of read calls (DescribeCluster, ListAccessEntries, DescribeAccessEntry through EKS, GetUser
// through IAM) with aws-sdk-go-v2 to the sandbox at AWS_ENDPOINT_URL, with the credentials in
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, and prints key=value lines: calls, seconds,
// calls_per_sec, us_per_call (mean wall time per call at the given concurrency) and p50/p99
// latency in microseconds.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

func main() {
	n := flag.Int("n", 2000, "calls to make")
	conc := flag.Int("c", 4, "concurrent callers")
	cluster := flag.String("cluster", "hyperpod-demo", "EKS cluster")
	principal := flag.String("principal", "arn:aws:iam::111122223333:user/admin", "access entry to describe")
	user := flag.String("user", "alice", "IAM user for GetUser")
	flag.Parse()
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryMaxAttempts(1))
	if err != nil {
		fmt.Fprintln(os.Stderr, "iamcost:", err)
		os.Exit(1)
	}
	ek, im := eks.NewFromConfig(cfg), iam.NewFromConfig(cfg)
	calls := []func() error{
		func() error { _, err := ek.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: cluster}); return err },
		func() error {
			_, err := ek.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: cluster})
			return err
		},
		func() error {
			_, err := ek.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: cluster, PrincipalArn: principal})
			return err
		},
		func() error { _, err := im.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(*user)}); return err },
	}
	// Warm up connections and caches.
	for _, c := range calls {
		if err := c(); err != nil {
			fmt.Fprintln(os.Stderr, "iamcost: warm-up call failed:", err)
			os.Exit(1)
		}
	}
	lat := make([]time.Duration, *n)
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < *conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= *n {
					return
				}
				t := time.Now()
				if err := calls[i%len(calls)](); err != nil {
					failed.Add(1)
				}
				lat[i] = time.Since(t)
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	sort.Slice(lat, func(a, b int) bool { return lat[a] < lat[b] })
	fmt.Printf("calls=%d\nfailed=%d\nseconds=%.3f\ncalls_per_sec=%.0f\nus_per_call=%.1f\np50_us=%d\np99_us=%d\n",
		*n, failed.Load(), el.Seconds(), float64(*n)/el.Seconds(), float64(el.Microseconds())/float64(*n),
		lat[len(lat)/2].Microseconds(), lat[len(lat)*99/100].Microseconds())
	if failed.Load() > 0 {
		os.Exit(1)
	}
}
