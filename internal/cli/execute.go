package cli

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"eksaccess/internal/apply"
	"eksaccess/internal/iostreams"
	"eksaccess/internal/output"
	"eksaccess/internal/plan"
	"eksaccess/internal/usecase"
)

// asUsage turns a request's validation error into a usage error (exit 2, with --help hint).
func asUsage(err error) error {
	var ie *usecase.InputError
	if errors.As(err, &ie) {
		return &UsageError{Err: ie.Err}
	}
	return err
}

// dispatch is the end of every command's RunE: a request that does not validate is a usage
// error; then the test's runF (argv → request, no server) or the command itself runs.
func dispatch[O any](o O, invalid error, runF func(O) error, run func() error) error {
	if invalid != nil {
		var ue *UsageError
		if errors.As(invalid, &ue) || usecase.IsInput(invalid) {
			return asUsage(invalid)
		}
		return &UsageError{Err: invalid}
	}
	if runF != nil {
		return runF(o)
	}
	return run()
}

// changeOutput renders the outcome of any job that changes access, the same way for all.
type changeOutput struct {
	io      *iostreams.IOStreams
	format  func() (output.Format, error)
	verbose func() bool
	command string
	dryRun  bool
}

func newChangeOutput(f *Factory, command string) *changeOutput {
	return &changeOutput{io: f.IO, format: func() (output.Format, error) { return f.Format() }, verbose: func() bool { return f.Verbose }, command: command}
}

// render prints a dry run's plan or a run's summary (or the refusal) and maps the result to
// the exit code: partial failure exits 1 after the summary, an interrupted run 130.
func (c *changeOutput) render(out *usecase.Outcome, err error) error {
	format, ferr := c.format()
	if ferr != nil {
		return ferr
	}
	var re *usecase.RefusedError
	if errors.As(err, &re) {
		if format != output.Table {
			output.Data(c.io.Out, format, map[string]any{"refusals": re.Refusals})
		}
		printRefusals(c.io.ErrOut, re.Refusals)
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("%s refused: nothing was changed", c.command)}
	}
	if err != nil {
		return err
	}
	if out.Summary == nil {
		if format != output.Table {
			return output.Data(c.io.Out, format, map[string]any{"dryRun": out.DryRun, "plans": out.Plans})
		}
		pending := 0
		for _, pp := range out.Plans {
			if len(pp.Changes) > 0 {
				pending++
			}
		}
		fmt.Fprintf(c.io.Out, "dry run: %s would change %d of %d principals (nothing was changed)\n", c.command, pending, len(out.Plans))
		printPlan(c.io.Out, out.Plans, c.verbose())
		return nil
	}
	if format != output.Table {
		if err := output.Data(c.io.Out, format, out.Summary); err != nil {
			return err
		}
	} else {
		printSummary(c.io.Out, out.Summary, c.verbose())
	}
	if out.Interrupted() {
		return silentExit(ExitSignal)
	}
	if out.Failed() {
		return silentExit(ExitFailure)
	}
	return nil
}

// printRefusals prints each broken invariant: which, what breaks it, the override.
func printRefusals(w io.Writer, rs []plan.Refusal) {
	for _, r := range rs {
		fmt.Fprintf(w, "refused by guardrail %s on %s: %s\n", r.Invariant, r.Cluster, r.Reason)
		for _, c := range r.Changes {
			fmt.Fprintf(w, "    %s\n", c)
		}
		fmt.Fprintf(w, "  %s\n", r.Override)
	}
}

// printPlan prints a readable diff of the plans, one line per change; notes repeated many
// times are summarised in one line (all of them with -v).
func printPlan(w io.Writer, plans []plan.PrincipalPlan, verbose bool) (changes int) {
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
