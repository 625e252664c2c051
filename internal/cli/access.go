package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"eksaccess/internal/output"
	"eksaccess/internal/usecase"
)

type accessOptions struct {
	f   *Factory
	Run func(context.Context, usecase.AccessRequest) (*usecase.AccessResult, error)
	Req usecase.AccessRequest
}

func newAccessCmd(f *Factory, runF func(*accessOptions) error) *cobra.Command {
	o := &accessOptions{f: f, Run: f.Env().Access}
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
			if err := o.Req.Cluster.Validate(); err != nil {
				return usageErrorf("%v", err)
			}
			if runF != nil {
				return runF(o)
			}
			return runAccess(cmd.Context(), o)
		},
	}
	addClusterFlags(cmd, &o.Req.Cluster)
	cmd.Flags().StringVarP(&o.Req.Namespace, "namespace", "n", "", "list the rules that apply in this namespace (default: the cluster-wide ones)")
	cmd.Flags().BoolVar(&o.Req.Offline, "offline", false, "access policies only; do not read the cluster's RBAC")
	return cmd
}

func runAccess(ctx context.Context, o *accessOptions) error {
	format, err := o.f.Format()
	if err != nil {
		return err
	}
	res, err := o.Run(ctx, o.Req)
	if err != nil {
		return err
	}
	for _, n := range res.Notes {
		fmt.Fprintln(o.f.IO.ErrOut, "note: "+n)
	}
	if format != output.Table {
		return output.Data(o.f.IO.Out, format, res)
	}
	t := output.NewTable(o.f.IO.Out, "RESOURCES", "NON-RESOURCE URLS", "RESOURCE NAMES", "VERBS", "SOURCE")
	for _, r := range res.Rules {
		var res []string
		for _, rs := range r.Rule.Resources {
			for _, g := range r.Rule.APIGroups {
				if g == "" || g == "*" && rs == "*" {
					res = append(res, rs)
				} else {
					res = append(res, rs+"."+g)
				}
			}
		}
		via := r.Via
		if r.AggregatedFrom != "" {
			via += " (aggregated from " + r.AggregatedFrom + ")"
		}
		t.Row(orDash(strings.Join(res, ",")), orDash(strings.Join(r.Rule.NonResourceURLs, ",")), orDash(strings.Join(r.Rule.ResourceNames, ",")),
			"["+strings.Join(r.Rule.Verbs, " ")+"]", via)
	}
	return t.Flush()
}
