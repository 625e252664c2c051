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

type accessOptions = job[usecase.AccessRequest, *usecase.AccessResult]

func newAccessCmd(f *Factory, runF func(*accessOptions) error) *cobra.Command {
	o := new(newJob(f, f.Env().Access))
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
		Args: argsInto("PRINCIPAL", &o.Req.Principal),
		RunE: func(cmd *cobra.Command, args []string) error {
			return dispatch(o, o.prepare(o.Req.Cluster.Validate), runF, func() error { return runAccess(cmd.Context(), o) })
		},
	}
	addClusterFlags(cmd, &o.Req.Cluster)
	cmd.Flags().StringVarP(&o.Req.Namespace, "namespace", "n", "", "list the rules that apply in this namespace (default: the cluster-wide ones)")
	cmd.Flags().BoolVar(&o.Req.Offline, "offline", false, "access policies only; do not read the cluster's RBAC")
	return cmd
}

func runAccess(ctx context.Context, o *accessOptions) error {
	return o.runThen(ctx, func(res *usecase.AccessResult) error {
		view.Notes(o.io.ErrOut, res.Notes)
		return show(o.io.Out, o.format, res, func() error { return view.Rules(o.io.Out, res) })
	})
}

// addKubeRequestFlags binds what can-i and who-can share: the cluster, the parts of the
// Kubernetes request, and --offline.
func addKubeRequestFlags(cmd *cobra.Command, cluster *usecase.ClusterRef, r *usecase.KubeRequest, offline *bool) {
	addClusterFlags(cmd, cluster)
	cmd.Flags().StringVarP(&r.Namespace, "namespace", "n", "", "namespace of the request (default: all namespaces)")
	cmd.Flags().StringVar(&r.Subresource, "subresource", "", "subresource, e.g. exec or log (or write RESOURCE as pods/exec)")
	cmd.Flags().StringVar(&r.APIGroup, "api-group", "", "API group of the resource (or write RESOURCE as deployments.apps)")
	cmd.Flags().BoolVar(offline, "offline", false, "answer from access entries and policies alone; do not read the cluster's RBAC")
}

type canIOptions = job[usecase.CanIRequest, *usecase.CanIResult]

func newCanICmd(f *Factory, runF func(*canIOptions) error) *cobra.Command {
	o := new(newJob(f, f.Env().CanI))
	cmd := &cobra.Command{
		Use:   "can-i -c CLUSTER PRINCIPAL VERB RESOURCE [-n NS] [--subresource S] [--api-group G]",
		Short: "Say whether a principal may do something: access policies and the cluster's RBAC together",
		Long: `Answer whether PRINCIPAL (an IAM user name, role/NAME or an ARN) may make a Kubernetes
request, from its access entry, the Kubernetes rules AWS publishes for each access policy,
and — when the cluster's API answers — the cluster's RBAC (ClusterRoles, Roles and their
bindings to the entry's username or groups, read with your own token); and name what
grants it: the policy and scope, or binding → role → rule. With --offline, or when the
cluster cannot be reached (-v says why), the answer comes from access policies alone. RESOURCE is written as for kubectl: pods, pods/exec,
deployments.apps, or a non-resource URL such as /healthz.

The answer is one of:
  yes              an access policy (or a Kubernetes default role) allows it
  no               nothing the entry has allows it
  unknown          only a policy whose rules AWS does not publish could allow it
  depends-on-rbac  only RBAC bound to the entry's Kubernetes groups could allow it

Exit status: 0 yes; 1 no, unknown or depends-on-rbac; 2 bad input.`,
		Example: `  eksaccess can-i -c hyperpod-demo alice list pods -n hyperpod-ns-team-a
  eksaccess can-i -c hyperpod-demo role/EKSFullAccessRole create pods/exec -n team-a
  eksaccess can-i -c hyperpod-demo alice get deployments.apps -n team-a -o json`,
		Args: argsInto("PRINCIPAL VERB RESOURCE", &o.Req.Principal, &o.Req.Request.Verb, &o.Req.Request.Resource),
		RunE: func(cmd *cobra.Command, args []string) error {
			return dispatch(o, o.prepare(noted(f.IO.ErrOut, o.Req.Validate)), runF, func() error {
				return verdict(&o.cmdIO, view.CanI, (*usecase.CanIResult).Allowed)(o.Run(cmd.Context(), o.Req))
			})
		},
	}
	addKubeRequestFlags(cmd, &o.Req.Cluster, &o.Req.Request, &o.Req.Offline)
	return cmd
}

type whoCanOptions struct {
	job[usecase.WhoCanRequest, *usecase.WhoCanResult]
}

func newWhoCanCmd(f *Factory, runF func(*whoCanOptions) error) *cobra.Command {
	o := &whoCanOptions{job: newJob(f, f.Env().WhoCan)}
	cmd := &cobra.Command{
		Use:   "who-can -c CLUSTER VERB RESOURCE [-n NS] [--subresource S] [--api-group G]",
		Short: "List which access entries may do something, through which policy or RBAC binding",
		Long: `List, from the cluster's access entries, the Kubernetes rules AWS publishes for each
access policy and — when the cluster's API answers — its RBAC, every principal that may
make a request (yes, naming the policy or binding → role → rule), or might through a
policy whose rules are not published (unknown). With --offline, RBAC is not read and
entries with Kubernetes groups show depends-on-rbac. Principals that may not are left out.
RESOURCE is written as for kubectl: pods, pods/exec, deployments.apps or /healthz.`,
		Example: `  eksaccess who-can -c hyperpod-demo get secrets -n hyperpod-ns-team-a
  eksaccess who-can -c hyperpod-demo create pods/exec -n team-a -o json`,
		Args: argsInto("VERB RESOURCE", &o.Req.Request.Verb, &o.Req.Request.Resource),
		RunE: func(cmd *cobra.Command, args []string) error {
			return dispatch(o, o.prepare(noted(f.IO.ErrOut, o.Req.Validate)), runF, func() error { return o.render(o.Run(cmd.Context(), o.Req)) })
		},
	}
	addKubeRequestFlags(cmd, &o.Req.Cluster, &o.Req.Request, &o.Req.Offline)
	return cmd
}

func (o *whoCanOptions) render(res *usecase.WhoCanResult, err error) error {
	if err != nil {
		return err
	}
	if len(res.Rows) == 0 && o.format == output.Table {
		fmt.Fprintf(o.io.ErrOut, "no access entry of %s may %s\n", res.Cluster, res.Request)
		return nil
	}
	return show(o.io.Out, o.format, res.Rows, func() error { return view.WhoCan(o.io.Out, res.Rows) })
}

type verifyOptions = job[usecase.VerifyRequest, *usecase.VerifyResult]

func newVerifyCmd(f *Factory, runF func(*verifyOptions) error) *cobra.Command {
	o := new(newJob(f, f.Env().Verify))
	cmd := &cobra.Command{
		Use:   "verify -c CLUSTER [--role ROLE] [--as-principal ARN] [--check VERB:RESOURCE[:NAMESPACE]]...",
		Short: "Check live, through the cluster's own API, who you are and what you may do",
		Long: `Get a token (assuming --role first, if given), then ask the cluster's Kubernetes API
who it thinks you are (SelfSubjectReview) and, for each --check, whether you may do it
(SelfSubjectAccessReview). Unlike ` + "`kubectl auth can-i --list`" + ` and impersonation, this
sees what EKS access policies grant.

A check is VERB:RESOURCE[:NAMESPACE], RESOURCE written as for kubectl (pods,
pods/exec, deployments.apps) or a non-resource URL (get:/healthz); without a namespace
it asks about all namespaces. Write !VERB:RESOURCE[:NAMESPACE] to expect a denial.
Exit status 1 when a check does not come out as expected, or the cluster refuses the
token.

--as-principal ARN answers for someone else. Nobody can get a token for another
principal, so this is offline: the same evaluation as ` + "`eksaccess can-i`" + `, from that
principal's access entry and policies; the output says so.`,
		Example: `  eksaccess verify -c hyperpod-demo --check list:pods:hyperpod-ns-team-a --check '!create:pods:hyperpod-ns-team-a'
  eksaccess verify -c hyperpod-demo --role EKSFullAccessRole --check create:pods/exec:team-a
  eksaccess verify -c hyperpod-demo --as-principal arn:aws:iam::111122223333:user/alice --check get:secrets:team-a`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return dispatch(o, o.prepare(noted(f.IO.ErrOut, o.Req.Validate)), runF, func() error {
				return verdict(&o.cmdIO, view.Verify, reportChecks(&o.cmdIO))(o.Run(cmd.Context(), o.Req))
			})
		},
	}
	addClusterFlags(cmd, &o.Req.Cluster)
	addRoleFlags(cmd, &o.Req.As)
	cmd.Flags().StringVar(&o.Req.AsPrincipal, "as-principal", "", "check offline what this principal (user name, role/NAME or ARN) would get")
	cmd.Flags().StringArrayVar(&o.Req.Checks, "check", nil, "VERB:RESOURCE[:NAMESPACE] to check, ! in front to expect denial; repeatable")
	return cmd
}

// reportChecks says whether every check came out as expected and, in table format, how many
// did not is said on stderr.
func reportChecks(c *cmdIO) func(*usecase.VerifyResult) bool {
	return func(res *usecase.VerifyResult) bool {
		if res.Failed > 0 && c.format == output.Table {
			fmt.Fprintf(c.io.ErrOut, "%d of %d checks did not come out as expected\n", res.Failed, len(res.Checks))
		}
		return res.Failed == 0
	}
}

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
	o := new(newJob(f, f.Env().ShowEntry))
	cmd := &cobra.Command{
		Use:   "show -c CLUSTER PRINCIPAL",
		Short: "Show one access entry (PRINCIPAL: IAM user name, role/NAME or ARN)",
		Args:  argsInto("PRINCIPAL", &o.Req.Principal),
		RunE: func(cmd *cobra.Command, args []string) error {
			entry := func(w io.Writer, e *plan.LiveEntry) error { return view.Entry(w, e, o.now()) }
			return dispatch(o, o.prepare(o.Req.Validate), runF, func() error { return shown(&o.cmdIO, entry)(o.Run(cmd.Context(), o.Req)) })
		},
	}
	addClusterFlags(cmd, &o.Req.Cluster)
	return cmd
}
