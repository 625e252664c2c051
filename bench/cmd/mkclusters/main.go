// Command mkclusters creates EKS clusters (API_AND_CONFIG_MAP) against an AWS endpoint (the
// sandbox), for benchmarks that need more clusters than the seed has. Existing clusters
// are left alone.
//
//	go run ./bench/cmd/mkclusters bench-c2 bench-c3
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
)

func main() {
	role := flag.String("role-arn", "arn:aws:iam::111122223333:role/AmazonEKSClusterRole", "cluster IAM role")
	subnet := flag.String("subnet", "subnet-1", "subnet id for resourcesVpcConfig")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "mkclusters: name at least one cluster")
		os.Exit(2)
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryMaxAttempts(10))
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkclusters: load AWS configuration:", err)
		os.Exit(1)
	}
	client := eks.NewFromConfig(cfg)
	for _, name := range flag.Args() {
		_, err := client.CreateCluster(ctx, &eks.CreateClusterInput{
			Name:               aws.String(name),
			RoleArn:            aws.String(*role),
			ResourcesVpcConfig: &types.VpcConfigRequest{SubnetIds: []string{*subnet}},
			AccessConfig:       &types.CreateAccessConfigRequest{AuthenticationMode: types.AuthenticationModeApiAndConfigMap},
		})
		var inUse *types.ResourceInUseException
		switch {
		case errors.As(err, &inUse):
			fmt.Fprintf(os.Stderr, "mkclusters: %s exists\n", name)
		case err != nil:
			fmt.Fprintf(os.Stderr, "mkclusters: create cluster %s: %v\n", name, err)
			os.Exit(1)
		default:
			fmt.Fprintf(os.Stderr, "mkclusters: created %s\n", name)
		}
	}
}
