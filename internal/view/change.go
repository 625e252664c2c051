package view

import (
	"fmt"
	"io"
	"maps"
	"slices"

	"eksaccess/internal/output"
	"eksaccess/internal/plan"
	"eksaccess/internal/usecase"
)

// UnreadableExpiry warns about expiry tags eksaccess cannot read.
func UnreadableExpiry(w io.Writer, cps []*plan.ClusterPlan) {
	for _, cp := range cps {
		for _, p := range cp.Unreadable {
			fmt.Fprintf(w, "warning: %s: %s\n", cp.Cluster, p)
		}
	}
}

// Failures reports the accounts (or clusters) a run could not reach or read.
func Failures(w io.Writer, fs []usecase.AccountFailure) {
	for _, f := range fs {
		fmt.Fprintf(w, "error: %s\n", f)
	}
}

// Notes prints each note on its own line, prefixed "note: ".
func Notes(w io.Writer, notes []string) {
	for _, n := range notes {
		fmt.Fprintln(w, "note: "+n)
	}
}

// DryRun prints what a change would do: how many principals it changes, then each plan.
func DryRun(w io.Writer, command string, plans []plan.PrincipalPlan, verbose bool) {
	pending := 0
	for _, pp := range plans {
		if len(pp.Changes) > 0 {
			pending++
		}
	}
	fmt.Fprintf(w, "dry run: %s would change %d of %d principals (nothing was changed)\n", command, pending, len(plans))
	plan.WritePlans(w, plans, verbose)
}

// AuthMode shows a cluster's authentication mode and its next step.
func AuthMode(w io.Writer, res *usecase.AuthModeResult) error {
	t := output.NewTable(w, "CLUSTER", "AUTHENTICATION MODE", "NEXT STEP")
	t.Row(res.Cluster, res.Mode, res.Next)
	return t.Flush()
}

// Modes says which clusters' authentication mode a run switched, and to what.
func Modes(w io.Writer, modes map[string]string) {
	for _, cluster := range slices.Sorted(maps.Keys(modes)) {
		fmt.Fprintf(w, "%s: authenticationMode is now %s\n", cluster, modes[cluster])
	}
}

// Replan says what the plan after apply found: nothing left, or the changes that remain.
func Replan(w io.Writer, remaining int, after *usecase.FilePlan, verbose bool) {
	if remaining == 0 {
		fmt.Fprintln(w, "re-plan: no changes remain; the clusters match the file")
		return
	}
	fmt.Fprintln(w, "re-plan after apply still shows changes:")
	plan.WriteClusterPlans(w, after.Clusters, verbose)
}

// SwitchWarning says, before asking, what switching res's cluster to mode does for good.
func SwitchWarning(w io.Writer, res *usecase.AuthModeResult, mode string) {
	warn := fmt.Sprintf("switching %s from %s to %s cannot be undone: EKS never switches back", res.Cluster, res.Mode, mode)
	if mode == "API" {
		warn += "; the aws-auth ConfigMap stops being read, so principals mapped only there lose access"
	}
	fmt.Fprintln(w, "warning: "+warn)
}
