package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/google/uuid"
	"github.com/schollz/progressbar/v3"

	"eksaccess/internal/apply"
	"eksaccess/internal/output"
	"eksaccess/internal/plan"
)

// runPlans executes principal plans with the shared engine: journal, progress bar, summary.
func runPlans(ctx context.Context, f *Factory, command string, plans []plan.PrincipalPlan, concurrency int) (*apply.Summary, error) {
	c, err := f.Clients(ctx)
	if err != nil {
		return nil, err
	}
	caller := ""
	if id, err := f.CallerIdentity(ctx); err == nil {
		caller = id.Arn
	}
	j, err := apply.OpenJournal(f.JournalPath(), uuid.NewString(), caller, command)
	if err != nil {
		return nil, err
	}
	defer j.Close()
	j.Write(apply.Record{Action: "run", Result: "started"})
	var prog apply.Progress
	var bar *progressbar.ProgressBar
	if f.IO.ShowProgress() && len(plans) > 5 {
		bar = progressbar.NewOptions(len(plans),
			progressbar.OptionSetWriter(f.IO.ErrOut),
			progressbar.OptionSetDescription(command),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(100_000_000),
		)
		prog = barProgress{bar}
	}
	sum := apply.Execute(ctx, plans, apply.Options{EKS: c.EKS, Concurrency: concurrency, Journal: j, Progress: prog})
	if bar != nil {
		bar.Finish()
	}
	result := "finished"
	if sum.Interrupted {
		result = "interrupted"
	}
	j.Write(apply.Record{Action: "run", Result: result})
	return sum, nil
}

type barProgress struct{ b *progressbar.ProgressBar }

func (p barProgress) Add(n int) { p.b.Add(n) }

// printPlan prints a readable diff of the plans, one line per change.
func printPlan(w io.Writer, plans []plan.PrincipalPlan) (changes int) {
	for _, pp := range plans {
		for _, ch := range pp.Changes {
			fmt.Fprintln(w, "  "+ch.String())
			if ch.Note != "" {
				fmt.Fprintln(w, "      # "+ch.Note)
			}
			changes++
		}
	}
	return changes
}

// printSummary prints the outcome per principal (all of them when there are few or when
// something failed, so a partial failure shows exactly what succeeded), then the counts.
func printSummary(w io.Writer, sum *apply.Summary, verbose bool) {
	failed := sum.Count(apply.Failed) + sum.Count(apply.NotRun)
	if failed > 0 || len(sum.Results) <= 50 || verbose {
		rows := append([]apply.Result(nil), sum.Results...)
		sort.SliceStable(rows, func(i, j int) bool { return rank(rows[i].Outcome) < rank(rows[j].Outcome) })
		t := output.NewTable(w, "PRINCIPAL", "RESULT", "DETAILS")
		for _, r := range rows {
			t.Row(r.Principal, string(r.Outcome), details(r))
		}
		t.Flush()
	}
	fmt.Fprintf(w, "%d created, %d updated, %d deleted, %d unchanged, %d failed", sum.Count(apply.Created), sum.Count(apply.Updated), sum.Count(apply.Deleted), sum.Count(apply.Unchanged), sum.Count(apply.Failed))
	if n := sum.Count(apply.NotRun); n > 0 {
		fmt.Fprintf(w, ", %d not started", n)
	}
	fmt.Fprintln(w)
	if sum.Interrupted {
		fmt.Fprintln(w, "interrupted: calls in flight finished, nothing new started; run the same command again to finish")
	} else if failed > 0 {
		fmt.Fprintln(w, "some changes failed (see DETAILS); run the same command again to retry only what is missing")
	}
}

func rank(o apply.Outcome) int {
	switch o {
	case apply.Failed:
		return 0
	case apply.NotRun:
		return 1
	}
	return 2
}

func details(r apply.Result) string {
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
