package cli

import (
	"context"

	"github.com/spf13/cobra"

	"eksaccess/internal/usecase"
	"eksaccess/internal/view"
)

type accessOptions struct {
	job[usecase.AccessRequest, *usecase.AccessResult]
}

func newAccessCmd(f *Factory, runF func(*accessOptions) error) *cobra.Command {
	o := &accessOptions{job: newJob(f, f.Env().Access)}
	cmd := &cobra.Command{
		Use:   "access -c CLUSTER PRINCIPAL [-n NS]",
		Short: "List a principal's effective permissions: every rule, from access policies and RBAC, with its source",
		Long: `Access lists every rule that applies to PRINCIPAL — in namespace NS with -n, or
cluster-wide without — like kubectl auth can-i --list but complete: the rules of its
access policies (AWS's published rules, with the association's scope), and the cluster's
RBAC rules bound to its username or Kubernetes groups, each as binding → role → rule (a
rule of an aggregated ClusterRole names the ClusterRole it was aggregated from). RBAC is
read through the cluster's API with your own token; --offline lists access policies only.`,
		Example: `  eksaccess access -c hyperpod-demo alice -n hyperpod-ns-team-a
  eksaccess access -c hyperpod-demo role/ml-engineer -o json`,
		Args: exactArgs(1, "PRINCIPAL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Req.Principal = args[0]
			return dispatch(o, o.prepare(o.Req.Cluster.Validate), runF, func() error { return runAccess(cmd.Context(), o) })
		},
	}
	addClusterFlags(cmd, &o.Req.Cluster)
	cmd.Flags().StringVarP(&o.Req.Namespace, "namespace", "n", "", "list the rules that apply in this namespace (default: the cluster-wide ones)")
	cmd.Flags().BoolVar(&o.Req.Offline, "offline", false, "access policies only; do not read the cluster's RBAC")
	return cmd
}

func runAccess(ctx context.Context, o *accessOptions) error {
	res, err := o.Run(ctx, o.Req)
	if err != nil {
		return err
	}
	view.Notes(o.io.ErrOut, res.Notes)
	return show(o.io.Out, o.format, res, func() error { return view.Rules(o.io.Out, res) })
}
