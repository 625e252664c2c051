package view

import (
	"fmt"
	"io"
	"strings"

	"eksaccess/internal/output"
	"eksaccess/internal/plan"
	"eksaccess/internal/usecase"
)

// TeamResult prints what team add or remove did (or would do, in a dry run).
func TeamResult(w io.Writer, command string, r *usecase.TeamResult, verbose bool) {
	if r.DryRun {
		fmt.Fprintf(w, "dry run: team %s %s on cluster %s (nothing was changed)\n", command, r.Team, r.Cluster)
	} else {
		fmt.Fprintf(w, "team %s (namespace %s, rbac %s, groups %s) on cluster %s\n", r.Team, r.Namespace, r.Variant, strings.Join(r.Groups, ","), r.Cluster)
	}
	t := output.NewTable(w, "KUBERNETES OBJECT", "ACTION", "NOTE")
	for _, k := range r.Kubernetes {
		t.Row(k.Object, k.Action, k.Note)
	}
	t.Flush()
	pending := 0
	if r.Entries != nil {
		pending = r.Entries.Pending
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
	would := ""
	if r.DryRun {
		would = "would make "
	}
	fmt.Fprintf(w, "%s%d Kubernetes writes, %d access entry changes\n", would, r.KubeWrites(), pending)
}

// Teams lists a cluster's teams, one row each.
func Teams(w io.Writer, teams []usecase.TeamStatus) error {
	t := output.NewTable(w, "TEAM", "NAMESPACE", "RBAC", "MEMBERS", "DRIFT")
	for _, ts := range teams {
		drift := "none"
		if len(ts.Drift) > 0 {
			drift = strings.Join(ts.Drift, "; ")
		}
		t.Row(ts.Team, ts.Namespace, ts.Variant, fmt.Sprint(len(ts.Members)), drift)
	}
	return t.Flush()
}

// Team shows one team: its objects and their state, its members, its drift.
func Team(w io.Writer, ts usecase.TeamStatus) error {
	fmt.Fprintf(w, "team %s\nnamespace: %s\nrbac: %s\ngroups: %s\n", ts.Team, ts.Namespace, ts.Variant, strings.Join(ts.Groups, ", "))
	t := output.NewTable(w, "OBJECT", "STATE")
	for _, o := range ts.Objects {
		t.Row(o.Object, o.State)
	}
	if err := t.Flush(); err != nil {
		return err
	}
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
		return nil
	}
	fmt.Fprintln(w, "drift:")
	for _, d := range ts.Drift {
		fmt.Fprintln(w, "  "+d)
	}
	return nil
}
