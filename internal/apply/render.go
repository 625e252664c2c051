package apply

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"eksaccess/internal/output"
	"eksaccess/internal/plan"
)

// Write prints the outcome per principal (all of them when there are few or when
// something failed, so a partial failure shows exactly what succeeded), then the counts.
func (sum *Summary) Write(w io.Writer, verbose bool) {
	failed := sum.Count(Failed) + sum.Count(NotRun)
	if failed > 0 || len(sum.Results) <= 50 || verbose {
		rows := append([]Result(nil), sum.Results...)
		sort.SliceStable(rows, func(i, j int) bool { return rank(rows[i].Outcome) < rank(rows[j].Outcome) })
		t := output.NewTable(w, "PRINCIPAL", "RESULT", "DETAILS")
		for _, r := range rows {
			t.Row(r.Principal, string(r.Outcome), details(r))
		}
		t.Flush()
	}
	fmt.Fprintf(w, "%d created, %d updated, %d deleted, %d unchanged, %d failed", sum.Count(Created), sum.Count(Updated), sum.Count(Deleted), sum.Count(Unchanged), sum.Count(Failed))
	if n := sum.Count(NotRun); n > 0 {
		fmt.Fprintf(w, ", %d not started", n)
	}
	fmt.Fprintln(w)
	if sum.Interrupted {
		fmt.Fprintln(w, "interrupted: calls in flight finished, nothing new started; run the same command again to finish")
	} else if failed > 0 {
		fmt.Fprintln(w, "some changes failed (see DETAILS); run the same command again to retry only what is missing")
	}
}

func rank(o Outcome) int {
	switch o {
	case Failed:
		return 0
	case NotRun:
		return 1
	}
	return 2
}

func details(r Result) string {
	if r.Error != "" {
		s := r.Error
		if src := r.Source; src != "" {
			s = src + ": " + s
		}
		if len(r.Remaining) > 0 {
			var rem []string
			for _, c := range r.Remaining {
				rem = append(rem, string(c.Action))
			}
			s += " (not done: " + strings.Join(rem, ", ") + ")"
		}
		return s
	}
	var parts []string
	for _, c := range r.Applied {
		switch c.Action {
		case plan.ActAssociate, plan.ActRescope, plan.ActDisassociate:
			parts = append(parts, string(c.Action)+" "+plan.DescribePolicy(c.Policy.PolicyArn, c.Policy.Namespaces))
		default:
			parts = append(parts, string(c.Action))
		}
	}
	return strings.Join(parts, "; ")
}
