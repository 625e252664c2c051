package cli

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"eksaccess/internal/output"
	"eksaccess/internal/usecase"
)

type clustersOptions struct {
	readOptions
	Run func(context.Context) ([]usecase.ClusterInfo, error)
}

func newClustersCmd(f *Factory, runF func(*clustersOptions) error) *cobra.Command {
	o := &clustersOptions{readOptions: newReadOptions(f), Run: f.Env().Clusters}
	return &cobra.Command{
		Use:   "clusters",
		Short: "List EKS clusters with their authentication mode, and the HyperPod clusters they orchestrate",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return dispatch(o, o.prepare(f, nil), runF, func() error { return o.render(o.Run(cmd.Context())) })
		},
	}
}

func (o *clustersOptions) render(rows []usecase.ClusterInfo, err error) error {
	if err != nil {
		return err
	}
	if o.format != output.Table {
		return output.Data(o.io.Out, o.format, rows)
	}
	t := output.NewTable(o.io.Out, "NAME", "KIND", "STATUS", "VERSION", "AUTH MODE", "ORCHESTRATION")
	for _, r := range rows {
		orch := r.EKSCluster
		if r.Kind == "EKS" && len(r.HyperPod) > 0 {
			orch = "HyperPod: " + strings.Join(r.HyperPod, ",")
		} else if r.Kind == "HyperPod" && r.EKSCluster != "" {
			orch = "EKS: " + r.EKSCluster
		}
		t.Row(r.Name, r.Kind, r.Status, r.Version, r.AuthenticationMode, orch)
	}
	return t.Flush()
}

type policiesOptions struct {
	readOptions
	Run func(context.Context) ([]usecase.AccessPolicy, error)
}

func newPoliciesCmd(f *Factory, runF func(*policiesOptions) error) *cobra.Command {
	o := &policiesOptions{readOptions: newReadOptions(f), Run: f.Env().Policies}
	return &cobra.Command{
		Use:   "policies",
		Short: "List the EKS access policies (live ListAccessPolicies)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return dispatch(o, o.prepare(f, nil), runF, func() error { return o.render(o.Run(cmd.Context())) })
		},
	}
}

func (o *policiesOptions) render(pols []usecase.AccessPolicy, err error) error {
	if err != nil {
		return err
	}
	if o.format != output.Table {
		return output.Data(o.io.Out, o.format, pols)
	}
	t := output.NewTable(o.io.Out, "NAME", "ARN")
	for _, p := range pols {
		t.Row(p.Name, p.Arn)
	}
	return t.Flush()
}
