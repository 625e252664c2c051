package plan

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Totals sum the plans of every cluster.
type Totals struct {
	Changes  int            `json:"changes"`
	Clusters int            `json:"clustersChanging"`
	Refused  int            `json:"refused"`
	ByAction map[string]int `json:"byAction"`
}

// TotalsOf sums cluster plans.
func TotalsOf(plans []*ClusterPlan) Totals {
	t := Totals{ByAction: map[string]int{}}
	for _, cp := range plans {
		if n := cp.Changes(); n > 0 {
			t.Changes += n
			t.Clusters++
		}
		if cp.ModeSwitch != nil {
			t.ByAction["authenticationMode"]++
		}
		for a, n := range cp.Counts() {
			t.ByAction[string(a)] += n
		}
		t.Refused += len(cp.Refusals)
	}
	return t
}

// WriteClusterPlans prints the readable diff: per cluster, the mode switch, one line per
// change, refusals with their override, notes; then the totals.
func WriteClusterPlans(w io.Writer, plans []*ClusterPlan, verbose bool) Totals {
	for _, cp := range plans {
		region := ""
		if cp.Region != "" {
			region = " (" + cp.Region + ")"
		}
		fmt.Fprintf(w, "cluster %s%s", cp.Cluster, region)
		if cp.Source != "" {
			fmt.Fprintf(w, "  # %s", cp.Source)
		}
		fmt.Fprintln(w)
		if cp.ModeSwitch != nil {
			fmt.Fprintf(w, "  ~ authenticationMode %s -> %s\n      # cannot be undone: EKS never switches back\n", cp.ModeSwitch.From, cp.ModeSwitch.To)
		}
		WritePlans(w, cp.Plans, verbose)
		for _, r := range cp.Refusals {
			fmt.Fprintf(w, "  ! refused by guardrail %s: %s\n", r.Invariant, r.Reason)
			for _, c := range r.Changes {
				fmt.Fprintf(w, "      %s\n", c)
			}
			fmt.Fprintf(w, "      %s\n", r.Override)
		}
		for _, n := range cp.Notes {
			fmt.Fprintf(w, "  note: %s\n", n)
		}
		if cp.Changes() == 0 {
			fmt.Fprintf(w, "  no changes (%d listed entries up to date)\n", cp.Unchanged)
		} else {
			fmt.Fprintf(w, "  %s; %d listed entries up to date\n", describeCounts(cp.Counts(), cp.ModeSwitch != nil), cp.Unchanged)
		}
	}
	t := TotalsOf(plans)
	if t.Changes == 0 {
		fmt.Fprintf(w, "No changes: %d cluster(s) match the file.\n", len(plans))
	} else {
		fmt.Fprintf(w, "Plan: %d change(s) on %d of %d cluster(s): %s.\n", t.Changes, t.Clusters, len(plans), describeTotals(t.ByAction))
	}
	if t.Refused > 0 {
		fmt.Fprintf(w, "Refused: %d change(s) stopped by guardrails (see \"! refused\" above); apply changes nothing until they are resolved.\n", t.Refused)
	}
	return t
}

var actionOrder = []Action{ActCreate, ActUpdate, ActTag, ActUntag, ActAssociate, ActRescope, ActDisassociate, ActDelete}

func describeCounts(m map[Action]int, mode bool) string {
	var parts []string
	if mode {
		parts = append(parts, "1 authenticationMode switch")
	}
	for _, a := range actionOrder {
		if n := m[a]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, a))
		}
	}
	return strings.Join(parts, ", ")
}

func describeTotals(m map[string]int) string {
	var parts []string
	if n := m["authenticationMode"]; n > 0 {
		parts = append(parts, fmt.Sprintf("%d authenticationMode switch", n))
	}
	for _, a := range actionOrder {
		if n := m[string(a)]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, a))
		}
	}
	return strings.Join(parts, ", ")
}

// WriteRefusals prints each broken invariant: which, what breaks it, the override.
func WriteRefusals(w io.Writer, rs []Refusal) {
	for _, r := range rs {
		fmt.Fprintf(w, "refused by guardrail %s on %s: %s\n", r.Invariant, r.Cluster, r.Reason)
		for _, c := range r.Changes {
			fmt.Fprintf(w, "    %s\n", c)
		}
		fmt.Fprintf(w, "  %s\n", r.Override)
	}
}

// WritePlans prints a readable diff of the plans, one line per change; notes repeated many
// times are summarised in one line (all of them with -v).
func WritePlans(w io.Writer, plans []PrincipalPlan, verbose bool) (changes int) {
	notes := map[string]int{}
	for _, pp := range plans {
		for _, ch := range pp.Changes {
			if ch.Note != "" {
				notes[ch.Note]++
			}
		}
	}
	for _, pp := range plans {
		for _, ch := range pp.Changes {
			fmt.Fprintln(w, "  "+ch.String())
			if ch.Note != "" && (verbose || notes[ch.Note] < 4) {
				fmt.Fprintln(w, "      # "+ch.Note)
			}
			changes++
		}
	}
	if !verbose {
		keys := make([]string, 0, len(notes))
		for n, k := range notes {
			if k >= 4 {
				keys = append(keys, n)
			}
		}
		sort.Strings(keys)
		for _, n := range keys {
			fmt.Fprintf(w, "  # %d changes: %s (each listed with -v)\n", notes[n], n)
		}
	}
	return changes
}
