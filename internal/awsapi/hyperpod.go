package awsapi

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smithy "github.com/aws/smithy-go"
)

// EKSCluster names an EKS cluster and the region it lives in.
type EKSCluster struct {
	Name   string
	Region string
	Arn    string
}

// ResolveHyperPod finds the EKS cluster that orchestrates a SageMaker HyperPod cluster.
func ResolveHyperPod(ctx context.Context, sm SageMaker, name string) (EKSCluster, error) {
	out, err := sm.DescribeCluster(ctx, &sagemaker.DescribeClusterInput{ClusterName: aws.String(name)})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "ResourceNotFound" {
			return EKSCluster{}, fmt.Errorf("no SageMaker HyperPod cluster named %q: list them with `eksaccess clusters`", name)
		}
		return EKSCluster{}, fmt.Errorf("describe HyperPod cluster %s: %w", name, err)
	}
	if out.Orchestrator == nil || out.Orchestrator.Eks == nil || aws.ToString(out.Orchestrator.Eks.ClusterArn) == "" {
		return EKSCluster{}, fmt.Errorf("HyperPod cluster %s is not orchestrated by EKS (Slurm clusters have no access entries)", name)
	}
	return ParseEKSClusterArn(aws.ToString(out.Orchestrator.Eks.ClusterArn))
}

// ParseEKSClusterArn splits arn:PARTITION:eks:REGION:ACCOUNT:cluster/NAME.
func ParseEKSClusterArn(arn string) (EKSCluster, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[2] != "eks" || !strings.HasPrefix(parts[5], "cluster/") {
		return EKSCluster{}, fmt.Errorf("%q is not an EKS cluster ARN (arn:aws:eks:REGION:ACCOUNT:cluster/NAME)", arn)
	}
	return EKSCluster{Name: strings.TrimPrefix(parts[5], "cluster/"), Region: parts[3], Arn: arn}, nil
}
