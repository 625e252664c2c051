package cli

import (
	"context"

	"github.com/spf13/cobra"

	"eksaccess/internal/usecase"
	"eksaccess/internal/view"
)

type clustersOptions struct {
	cmdIO
	Run func(context.Context) ([]usecase.ClusterInfo, error)
}

func newClustersCmd(f *Factory, runF func(*clustersOptions) error) *cobra.Command {
	o := &clustersOptions{cmdIO: newCmdIO(f), Run: f.Env().Clusters}
	return &cobra.Command{
		Use:   "clusters",
		Short: "List EKS clusters with their authentication mode, and the HyperPod clusters they orchestrate",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return dispatch(o, o.prepare(nil), runF, func() error { return shown(&o.cmdIO, view.Clusters)(o.Run(cmd.Context())) })
		},
	}
}

type policiesOptions struct {
	cmdIO
	Run func(context.Context) ([]usecase.AccessPolicy, error)
}

func newPoliciesCmd(f *Factory, runF func(*policiesOptions) error) *cobra.Command {
	o := &policiesOptions{cmdIO: newCmdIO(f), Run: f.Env().Policies}
	return &cobra.Command{
		Use:   "policies",
		Short: "List the EKS access policies (live ListAccessPolicies)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return dispatch(o, o.prepare(nil), runF, func() error { return shown(&o.cmdIO, view.Policies)(o.Run(cmd.Context())) })
		},
	}
}
