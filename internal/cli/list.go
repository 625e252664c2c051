package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"eksaccess/internal/output"
	"eksaccess/internal/plan"
	"eksaccess/internal/usecase"
	"eksaccess/internal/view"
)

// listOptions is what clusters and policies hold: how they print, and the call that lists.
type listOptions[T any] struct {
	cmdIO
	Run func(context.Context) ([]T, error)
}

type (
	clustersOptions = listOptions[usecase.ClusterInfo]
	policiesOptions = listOptions[usecase.AccessPolicy]
)

func newClustersCmd(f *Factory, runF func(*clustersOptions) error) *cobra.Command {
	return newListCmd(f, runF, f.Env().Clusters, view.Clusters, "clusters",
		"List EKS clusters with their authentication mode, and the HyperPod clusters they orchestrate")
}

func newPoliciesCmd(f *Factory, runF func(*policiesOptions) error) *cobra.Command {
	return newListCmd(f, runF, f.Env().Policies, view.Policies, "policies", "List the EKS access policies (live ListAccessPolicies)")
}

// newListCmd is a command without arguments that lists with run and prints through table.
func newListCmd[T any](f *Factory, runF func(*listOptions[T]) error, run func(context.Context) ([]T, error), table func(io.Writer, []T) error, use, short string) *cobra.Command {
	o := &listOptions[T]{cmdIO: newCmdIO(f), Run: run}
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return dispatch(o, o.prepare(nil), runF, func() error { return shown(&o.cmdIO, table)(o.Run(cmd.Context())) })
		},
	}
}

func newEntriesCmd(f *Factory) *cobra.Command {
	return group(&cobra.Command{
		Use:   "entries",
		Short: "Show a cluster's access entries",
	}, newEntriesListCmd(f, nil), newEntriesShowCmd(f, nil))
}

type entriesListOptions struct {
	job[usecase.ListEntriesRequest, *usecase.EntryList]
}

func newEntriesListCmd(f *Factory, runF func(*entriesListOptions) error) *cobra.Command {
	o := &entriesListOptions{job: newJob(f, f.Env().ListEntries)}
	cmd := &cobra.Command{
		Use:   "list -c CLUSTER",
		Short: "List access entries with type, username, groups, policies, scopes and expiry",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return dispatch(o, o.prepare(o.Req.Validate), runF, func() error { return o.render(o.Run(cmd.Context(), o.Req)) })
		},
	}
	addClusterFlags(cmd, &o.Req.Cluster)
	return cmd
}

func (o *entriesListOptions) render(res *usecase.EntryList, err error) error {
	if err != nil {
		return err
	}
	if res.AuthenticationMode == "CONFIG_MAP" && o.format == output.Table {
		fmt.Fprintf(o.io.ErrOut, "cluster %s uses the aws-auth ConfigMap only (authentication mode CONFIG_MAP): it has no access entries; see `eksaccess migrate aws-auth -c %s`\n", res.Cluster, res.Cluster)
		return nil
	}
	return show(o.io.Out, o.format, res.Entries, func() error { return view.Entries(o.io.Out, res.Entries, o.now()) })
}

type entriesShowOptions = job[usecase.ShowEntryRequest, *plan.LiveEntry]

func newEntriesShowCmd(f *Factory, runF func(*entriesShowOptions) error) *cobra.Command {
	o := &entriesShowOptions{cmdIO: newCmdIO(f), Run: f.Env().ShowEntry}
	cmd := &cobra.Command{
		Use:   "show -c CLUSTER PRINCIPAL",
		Short: "Show one access entry (PRINCIPAL: IAM user name, role/NAME or ARN)",
		Args:  exactArgs(1, "PRINCIPAL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Req.Principal = args[0]
			entry := func(w io.Writer, e *plan.LiveEntry) error { return view.Entry(w, e, o.now()) }
			return dispatch(o, o.prepare(o.Req.Validate), runF, func() error { return shown(&o.cmdIO, entry)(o.Run(cmd.Context(), o.Req)) })
		},
	}
	addClusterFlags(cmd, &o.Req.Cluster)
	return cmd
}
