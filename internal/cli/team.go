package cli

import (
	"cmp"
	"context"
	"errors"

	"github.com/spf13/cobra"

	"eksaccess/internal/usecase"
	"eksaccess/internal/view"
)

// teamOptions holds what the team subcommands parse; the run functions are injected so the
// tests check argv → request without a server.
type teamOptions struct {
	cmdIO
	Add     usecase.TeamAddRequest
	Remove  usecase.TeamRemoveRequest
	List    usecase.TeamListRequest
	Command string // add, remove, list, show
	RunAdd  func(context.Context, usecase.TeamAddRequest) (*usecase.TeamResult, error)
	RunRm   func(context.Context, usecase.TeamRemoveRequest) (*usecase.TeamResult, error)
	RunList func(context.Context, usecase.TeamListRequest) ([]usecase.TeamStatus, error)
}

func newTeamCmd(f *Factory, runF func(*teamOptions) error) *cobra.Command {
	env := f.Env()
	o := &teamOptions{cmdIO: newCmdIO(f), RunAdd: env.TeamAdd, RunRm: env.TeamRemove, RunList: env.TeamList}
	cmd := &cobra.Command{
		Use:   "team",
		Short: "HyperPod teams: namespace, RBAC and members' access entries in one command",
		Long: `A team is what SageMaker HyperPod's guides set up by hand: the team's namespace
(hyperpod-ns-TEAM), a Role and RoleBinding in it, a ClusterRole and ClusterRoleBinding, and
for each member an access entry whose Kubernetes groups those bindings name. Two RBAC
variants reproduce the published objects: sagemaker-guide (the SageMaker Developer Guide's
"Setting up Kubernetes role-based access control", the default) and hyperpod-cli (the
sagemaker-hyperpod-cli helm chart's team-role-and-bindings). Kubernetes objects are applied
server-side as field manager eksaccess, through your own EKS token, and labelled
app.kubernetes.io/managed-by=eksaccess and eksaccess.io/team=TEAM.`,
	}
	run := func(cmd *cobra.Command, command string, invalid error) error {
		o.Command = command
		return dispatch(o, o.prepare(func() error { return invalid }), runF, func() error { return runTeam(cmd.Context(), o) })
	}

	add := teamMembersCmd(&cobra.Command{
		Use:   "add -c CLUSTER|--hyperpod NAME TEAM [PRINCIPAL...] [--users-file F] [--iam-group G]",
		Short: "Make TEAM work: namespace, RBAC of the variant, members' entries with the team's groups",
		Long: `Add creates what is missing and leaves the rest: the namespace when task governance has not
created it, the variant's RBAC objects, and for each member an access entry carrying the
team's groups (existing entries keep what they have; groups are added). A second run
changes nothing and says so. An RBAC object of the same name that eksaccess did not create
is not taken over: the run stops before any change.`,
		Example: `  eksaccess team add -c ml-prod team-a alice bob
  eksaccess team add --hyperpod ml-hp team-a --users-file team-a.txt --rbac hyperpod-cli`,
	}, &o.Add.Team, &o.Add.Cluster, &o.Add.Principals, func(cmd *cobra.Command) error { return run(cmd, "add", o.Add.Validate()) })
	add.Flags().StringVar(&o.Add.Variant, "rbac", "sagemaker-guide", "RBAC variant: sagemaker-guide or hyperpod-cli")
	add.Flags().StringVarP(&o.Add.Namespace, "namespace", "n", "", "the team's namespace (default hyperpod-ns-TEAM)")
	add.Flags().BoolVar(&o.Add.DryRun, "dry-run", false, "show what would change and change nothing")

	rm := teamMembersCmd(&cobra.Command{
		Use:   "remove -c CLUSTER TEAM [PRINCIPAL...] [--users-file F] [--iam-group G]",
		Short: "Take TEAM away (its objects and its groups from members' entries), or some members",
		Long: `Without principals, remove takes the team's groups from its members' entries (an entry left
with no group and no policy is deleted, under the guardrails), then the team's RBAC objects
(the sagemaker-guide ClusterRole and its binding stay while another team of that variant
uses them), then the namespace if eksaccess created it and it holds nothing else. With
principals, only those members leave the team.`,
	}, &o.Remove.Team, &o.Remove.Cluster, &o.Remove.Principals, func(cmd *cobra.Command) error { return run(cmd, "remove", o.Remove.Validate()) })
	rm.Flags().BoolVar(&o.Remove.DryRun, "dry-run", false, "show what would change and change nothing")
	rm.Flags().StringArrayVar(&o.Remove.Force, "force", nil, "drop a guardrail's protection for this principal; repeatable")

	list := &cobra.Command{
		Use:   "list -c CLUSTER",
		Short: "List the cluster's teams: namespace, RBAC variant, members, drift",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return run(cmd, "list", o.List.Cluster.Validate())
		},
	}
	addClusterFlags(list, &o.List.Cluster)

	show := &cobra.Command{
		Use:   "show -c CLUSTER TEAM",
		Short: "Show one team: its objects and their state, its members, drift",
		Args:  argsInto("TEAM", &o.List.Team),
		RunE: func(cmd *cobra.Command, args []string) error {
			return run(cmd, "show", o.List.Cluster.Validate())
		},
	}
	addClusterFlags(show, &o.List.Cluster)
	cmd.AddCommand(add, rm, list, show)
	return cmd
}

// teamMembersCmd makes c, add or remove, take TEAM [PRINCIPAL...] of a cluster (-c or
// --hyperpod) and principals from the flags, then run.
func teamMembersCmd(c *cobra.Command, team *string, cluster *usecase.ClusterRef, p *usecase.Principals, run func(*cobra.Command) error) *cobra.Command {
	c.Args = minArgs(1, "TEAM [PRINCIPAL...]")
	c.RunE = func(cmd *cobra.Command, args []string) error {
		*team, p.Args = args[0], args[1:]
		return run(cmd)
	}
	addClusterFlags(c, cluster)
	addPrincipalFlags(c, p)
	return c
}

func runTeam(ctx context.Context, o *teamOptions) error {
	w := o.io.Out
	if o.Command == "list" || o.Command == "show" {
		teams, err := o.RunList(ctx, o.List)
		switch {
		case err != nil:
			return err
		case o.Command == "show":
			return show(w, o.format, teams[0], func() error { return view.Team(w, teams[0]) })
		}
		return show(w, o.format, teams, func() error { return view.Teams(w, teams) })
	}
	run := func() (*usecase.TeamResult, error) { return o.RunAdd(ctx, o.Add) }
	if o.Command == "remove" {
		run = func() (*usecase.TeamResult, error) { return o.RunRm(ctx, o.Remove) }
	}
	res, err := run()
	if errors.As(err, new(*usecase.RefusedError)) {
		return o.changeOutput("team "+o.Command).render(nil, err)
	} else if res == nil {
		return err
	}
	if derr := show(w, o.format, res, func() error { view.TeamResult(w, o.Command, res, *o.verbose); return nil }); derr != nil || err != nil {
		return cmp.Or(err, derr)
	}
	return outcomeExit(res.Entries)
}
