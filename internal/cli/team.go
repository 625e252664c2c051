package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"eksaccess/internal/output"
	"eksaccess/internal/plan"
	"eksaccess/internal/usecase"
)

// teamOptions holds what the team subcommands parse; the run functions are injected so the
// tests check argv → request without a server.
type teamOptions struct {
	f       *Factory
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
	o := &teamOptions{f: f, RunAdd: env.TeamAdd, RunRm: env.TeamRemove, RunList: env.TeamList}
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
	run := func(cmd *cobra.Command) error {
		if runF != nil {
			return runF(o)
		}
		return runTeam(cmd.Context(), o)
	}

	add := &cobra.Command{
		Use:   "add -c CLUSTER|--hyperpod NAME TEAM [PRINCIPAL...] [--users-file F] [--iam-group G]",
		Short: "Make TEAM work: namespace, RBAC of the variant, members' entries with the team's groups",
		Long: `Add creates what is missing and leaves the rest: the namespace when task governance has not
created it, the variant's RBAC objects, and for each member an access entry carrying the
team's groups (existing entries keep what they have; groups are added). A second run
changes nothing and says so. An RBAC object of the same name that eksaccess did not create
is not taken over: the run stops before any change.`,
		Example: `  eksaccess team add -c ml-prod team-a alice bob
  eksaccess team add --hyperpod ml-hp team-a --users-file team-a.txt --rbac hyperpod-cli`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Command = "add"
			o.Add.Team, o.Add.Principals.Args = args[0], args[1:]
			if err := o.Add.Validate(); err != nil {
				return asUsage(err)
			}
			return run(cmd)
		},
	}
	addClusterFlags(add, &o.Add.Cluster)
	addPrincipalFlags(add, &o.Add.Principals)
	add.Flags().StringVar(&o.Add.Variant, "rbac", "sagemaker-guide", "RBAC variant: sagemaker-guide or hyperpod-cli")
	add.Flags().StringVarP(&o.Add.Namespace, "namespace", "n", "", "the team's namespace (default hyperpod-ns-TEAM)")
	add.Flags().BoolVar(&o.Add.DryRun, "dry-run", false, "show what would change and change nothing")

	rm := &cobra.Command{
		Use:   "remove -c CLUSTER TEAM [PRINCIPAL...] [--users-file F] [--iam-group G]",
		Short: "Take TEAM away (its objects and its groups from members' entries), or some members",
		Long: `Without principals, remove takes the team's groups from its members' entries (an entry left
with no group and no policy is deleted, under the guardrails), then the team's RBAC objects
(the sagemaker-guide ClusterRole and its binding stay while another team of that variant
uses them), then the namespace if eksaccess created it and it holds nothing else. With
principals, only those members leave the team.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Command = "remove"
			o.Remove.Team, o.Remove.Principals.Args = args[0], args[1:]
			if err := o.Remove.Validate(); err != nil {
				return asUsage(err)
			}
			return run(cmd)
		},
	}
	addClusterFlags(rm, &o.Remove.Cluster)
	addPrincipalFlags(rm, &o.Remove.Principals)
	rm.Flags().BoolVar(&o.Remove.DryRun, "dry-run", false, "show what would change and change nothing")
	rm.Flags().StringArrayVar(&o.Remove.Force, "force", nil, "drop a guardrail's protection for this principal; repeatable")

	list := &cobra.Command{
		Use:   "list -c CLUSTER",
		Short: "List the cluster's teams: namespace, RBAC variant, members, drift",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Command = "list"
			if err := o.List.Cluster.Validate(); err != nil {
				return usageErrorf("%v", err)
			}
			return run(cmd)
		},
	}
	addClusterFlags(list, &o.List.Cluster)

	show := &cobra.Command{
		Use:   "show -c CLUSTER TEAM",
		Short: "Show one team: its objects and their state, its members, drift",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Command = "show"
			o.List.Team = args[0]
			if err := o.List.Cluster.Validate(); err != nil {
				return usageErrorf("%v", err)
			}
			return run(cmd)
		},
	}
	addClusterFlags(show, &o.List.Cluster)
	cmd.AddCommand(add, rm, list, show)
	return cmd
}

func runTeam(ctx context.Context, o *teamOptions) error {
	format, err := o.f.Format()
	if err != nil {
		return err
	}
	switch o.Command {
	case "add", "remove":
		var res *usecase.TeamResult
		if o.Command == "add" {
			res, err = o.RunAdd(ctx, o.Add)
		} else {
			res, err = o.RunRm(ctx, o.Remove)
		}
		var re *usecase.RefusedError
		if errors.As(err, &re) {
			plan.WriteRefusals(o.f.IO.ErrOut, re.Refusals)
			return &ExitError{Code: ExitFailure, Err: fmt.Errorf("team %s refused: nothing was changed", o.Command)}
		}
		if res == nil {
			return err
		}
		if format != output.Table {
			if derr := output.Data(o.f.IO.Out, format, res); derr != nil {
				return derr
			}
		} else {
			printTeamResult(o.f.IO.Out, o.Command, res, o.f.Verbose)
		}
		if err != nil {
			return err
		}
		if res.Entries != nil && res.Entries.Failed() {
			return silentExit(ExitFailure)
		}
		return nil
	default:
		teams, err := o.RunList(ctx, o.List)
		if err != nil {
			return err
		}
		if format != output.Table {
			if o.Command == "show" {
				return output.Data(o.f.IO.Out, format, teams[0])
			}
			return output.Data(o.f.IO.Out, format, teams)
		}
		if o.Command == "show" {
			printTeamShow(o.f.IO.Out, teams[0])
			return nil
		}
		t := output.NewTable(o.f.IO.Out, "TEAM", "NAMESPACE", "RBAC", "MEMBERS", "DRIFT")
		for _, ts := range teams {
			drift := "none"
			if len(ts.Drift) > 0 {
				drift = strings.Join(ts.Drift, "; ")
			}
			t.Row(ts.Team, ts.Namespace, ts.Variant, fmt.Sprint(len(ts.Members)), drift)
		}
		return t.Flush()
	}
}

func printTeamResult(w io.Writer, command string, r *usecase.TeamResult, verbose bool) {
	verb := map[string]string{"add": "add", "remove": "remove"}[command]
	if r.DryRun {
		fmt.Fprintf(w, "dry run: team %s %s on cluster %s (nothing was changed)\n", verb, r.Team, r.Cluster)
	} else {
		fmt.Fprintf(w, "team %s (namespace %s, rbac %s, groups %s) on cluster %s\n", r.Team, r.Namespace, r.Variant, strings.Join(r.Groups, ","), r.Cluster)
	}
	t := output.NewTable(w, "KUBERNETES OBJECT", "ACTION", "NOTE")
	for _, k := range r.Kubernetes {
		t.Row(k.Object, k.Action, k.Note)
	}
	t.Flush()
	if r.Entries != nil {
		if r.Entries.Summary == nil {
			plan.WritePlans(w, r.Entries.Plans, verbose)
		} else {
			r.Entries.Summary.Write(w, verbose)
		}
	}
	if r.Unchanged() {
		fmt.Fprintf(w, "no changes: team %s is already as wanted (0 Kubernetes writes, 0 access entry changes)\n", r.Team)
		return
	}
	pending := 0
	if r.Entries != nil {
		pending = r.Entries.Pending
	}
	would := ""
	if r.DryRun {
		would = "would make "
	}
	fmt.Fprintf(w, "%s%d Kubernetes writes, %d access entry changes\n", would, r.KubeWrites(), pending)
}

func printTeamShow(w io.Writer, ts usecase.TeamStatus) {
	fmt.Fprintf(w, "team %s\nnamespace: %s\nrbac: %s\ngroups: %s\n", ts.Team, ts.Namespace, ts.Variant, strings.Join(ts.Groups, ", "))
	t := output.NewTable(w, "OBJECT", "STATE")
	for _, o := range ts.Objects {
		t.Row(o.Object, o.State)
	}
	t.Flush()
	fmt.Fprintf(w, "members (%d):\n", len(ts.Members))
	for _, m := range ts.Members {
		line := "  " + m.PrincipalArn
		if len(m.MissingGroups) > 0 {
			line += " (lacks " + strings.Join(m.MissingGroups, ", ") + ")"
		}
		fmt.Fprintln(w, line)
	}
	if len(ts.Drift) == 0 {
		fmt.Fprintln(w, "drift: none")
		return
	}
	fmt.Fprintln(w, "drift:")
	for _, d := range ts.Drift {
		fmt.Fprintln(w, "  "+d)
	}
}
