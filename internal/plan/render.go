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
		if n := cp.KubeWrites(); n > 0 {
			t.ByAction[kubeWrites] += n
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
		writeTeams(w, cp.Teams, verbose)
		WritePlans(w, cp.Plans, verbose)
		for _, r := range cp.Refusals {
			fmt.Fprintf(w, "  ! refused by guardrail %s: %s\n", r.Invariant, r.Reason)
			for _, c := range r.Changes {
				fmt.Fprintf(w, "      %s\n", c)
			}
			fmt.Fprintf(w, "      %s\n", r.Override)
		}
		writeNotes(w, cp.Notes, verbose)
		upToDate := fmt.Sprintf("%d listed entries", cp.Unchanged)
		if len(cp.Teams) > 0 {
			same := 0
			for _, tp := range cp.Teams {
				if tp.Action == TeamUnchanged {
					same++
				}
			}
			upToDate += fmt.Sprintf(" and %d team(s)", same)
		}
		if cp.Changes() == 0 {
			fmt.Fprintf(w, "  no changes (%s up to date)\n", upToDate)
		} else {
			fmt.Fprintf(w, "  %s; %s up to date\n", describeCounts(cp.Counts(), cp.ModeSwitch != nil, cp.KubeWrites()), upToDate)
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

// kubeWrites is the Totals.ByAction key of the teams' Kubernetes writes.
const kubeWrites = "kubernetesWrites"

func describeCounts(m map[Action]int, mode bool, kube int) string {
	var parts []string
	if mode {
		parts = append(parts, "1 authenticationMode switch")
	}
	if kube > 0 {
		parts = append(parts, fmt.Sprintf("%d Kubernetes write(s)", kube))
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
	if n := m[kubeWrites]; n > 0 {
		parts = append(parts, fmt.Sprintf("%d Kubernetes write(s)", n))
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

// writeNotes prints a plan's notes; notes that say the same of many entries (more than
// three differing only in the principal) are summed up in one line unless verbose.
func writeNotes(w io.Writer, notes []string, verbose bool) {
	same := map[string][]string{}
	var order []string
	for _, n := range notes {
		arn, rest, ok := strings.Cut(n, " ")
		if !ok || !strings.HasPrefix(arn, "arn:") {
			arn, rest = "", n
		}
		if _, seen := same[rest]; !seen {
			order = append(order, rest)
		}
		same[rest] = append(same[rest], arn)
	}
	for _, rest := range order {
		arns := same[rest]
		if verbose || len(arns) <= 3 || arns[0] == "" {
			for _, a := range arns {
				fmt.Fprintf(w, "  note: %s\n", strings.TrimSpace(a+" "+rest))
			}
			continue
		}
		fmt.Fprintf(w, "  note: %d entries (%s, %s, … — all listed with -v) %s\n", len(arns), arns[0], arns[1], rest)
	}
}
