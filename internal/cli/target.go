package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"eksaccess/internal/awsapi"
)

// clusterRef is -c/--cluster or --hyperpod, shared by every command that works on one cluster.
type clusterRef struct {
	Cluster  string
	HyperPod string
}

func (r *clusterRef) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&r.Cluster, "cluster", "c", "", "EKS cluster name")
	cmd.Flags().StringVar(&r.HyperPod, "hyperpod", "", "SageMaker HyperPod cluster name (resolved to the EKS cluster that orchestrates it)")
}

func (r *clusterRef) validate() error {
	switch {
	case r.Cluster == "" && r.HyperPod == "":
		return usageErrorf("name a cluster with -c CLUSTER (or --hyperpod NAME for a SageMaker HyperPod cluster)")
	case r.Cluster != "" && r.HyperPod != "":
		return usageErrorf("-c and --hyperpod both name a cluster: give one of them")
	}
	if r.Cluster != "" {
		if err := validateClusterName(r.Cluster); err != nil {
			return &UsageError{Err: err}
		}
	}
	return nil
}

// validateClusterName applies EKS's cluster name rule (1–100, ^[0-9A-Za-z][A-Za-z0-9\-_]*).
func validateClusterName(n string) error {
	if len(n) == 0 || len(n) > 100 {
		return fmt.Errorf("cluster name %q must be 1 to 100 characters", n)
	}
	for i, ch := range n {
		ok := ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || (i > 0 && (ch == '-' || ch == '_'))
		if !ok {
			return fmt.Errorf("cluster name %q is not valid: EKS names start with a letter or digit and contain only letters, digits, - and _", n)
		}
	}
	return nil
}

// resolve returns the EKS cluster name (HyperPod clusters resolved through SageMaker).
func (r *clusterRef) resolve(ctx context.Context, f *Factory) (string, error) {
	if r.HyperPod == "" {
		return r.Cluster, nil
	}
	c, err := f.Clients(ctx)
	if err != nil {
		return "", err
	}
	ec, err := awsapi.ResolveHyperPod(ctx, c.SageMaker, r.HyperPod)
	if err != nil {
		return "", err
	}
	if region := c.Config.Region; ec.Region != "" && region != "" && ec.Region != region {
		return "", fmt.Errorf("HyperPod cluster %s runs on EKS cluster %s in %s, but eksaccess is using %s: add --region %s", r.HyperPod, ec.Name, ec.Region, region, ec.Region)
	}
	f.Logf("HyperPod cluster %s is orchestrated by EKS cluster %s", r.HyperPod, ec.Name)
	return ec.Name, nil
}
