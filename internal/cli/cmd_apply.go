package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"eksaccess/internal/apply"
	"eksaccess/internal/output"
	"eksaccess/internal/plan"
	"eksaccess/internal/usecase"
	"eksaccess/internal/view"
)

type applyOptions struct {
	cmdIO
	Plan   func(context.Context, usecase.FileRequest) (*usecase.FilePlan, error)
	Apply  func(context.Context, *usecase.FilePlan) (*usecase.ApplyResult, error)
	Req    usecase.FileRequest
	yes    bool
	dryRun bool
}

func newApplyCmd(f *Factory, runF func(*applyOptions) error) *cobra.Command {
	o := &applyOptions{cmdIO: newCmdIO(f), Plan: f.Env().PlanFile, Apply: f.Env().ApplyFile}
	cmd := &cobra.Command{
		Use:   "apply -f FILE [--prune] [--yes] [--concurrency N] [--dry-run]",
		Short: "Make the clusters match an access file (plan, confirm, execute, re-plan)",
		Long: `Apply plans exactly as eksaccess plan does, prints the plan, asks for confirmation
on a terminal (--yes skips it; without a terminal --yes is required), then runs the plan
through the one engine every change uses: authentication modes first, then every change
(concurrent, rate-limited, idempotent, journaled under one run, with a progress bar), and
finally plans again to confirm that nothing remains to change.

Nothing is changed when the file is invalid, a principal does not resolve, or the plan
would break a guardrail: pass --force ARN for each protection you mean to drop.

Exit codes: 0 applied and verified (or nothing to do), 1 a change failed, a guardrail
refused, or the re-plan still shows changes, 2 bad input or no confirmation.`,
		Example: `  eksaccess apply -f access.yaml
  eksaccess apply -f access.yaml --prune --yes
  eksaccess apply -f access.yaml --prune --force arn:aws:iam::111122223333:user/old-admin`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return dispatch(o, o.prepare(o.Req.Validate), runF, func() error { return runApply(cmd.Context(), o) })
		},
	}
	addFileFlags(cmd, &o.Req)
	cmd.Flags().BoolVarP(&o.yes, "yes", "y", false, "apply without asking for confirmation")
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "print the plan and change nothing (same as plan)")
	return cmd
}

// applyResult is apply's -o json/yaml document.
type applyResult struct {
	Plan      any            `json:"plan"`
	Totals    usecase.Totals `json:"totals"`
	Applied   bool           `json:"applied"`
	Summary   *apply.Summary `json:"summary,omitempty"`
	Remaining int            `json:"remainingChanges"`
	// Failures are the accounts (or clusters) that could not be reached: not applied.
	Failures []usecase.AccountFailure `json:"failures,omitempty"`
}

// runApply applies what it could plan; accounts it could not reach are reported and make it
// exit 1, after the others were applied.
func runApply(ctx context.Context, o *applyOptions) (err error) {
	format := o.format
	fp, err := o.Plan(ctx, o.Req)
	if err != nil {
		return err
	}
	defer func() {
		if err == nil && len(fp.Failures) > 0 {
			err = silentExit(ExitFailure)
		}
	}()
	view.Failures(o.io.ErrOut, fp.Failures)
	view.UnreadableExpiry(o.io.ErrOut, fp.Clusters)
	res := applyResult{Plan: fp.Clusters, Totals: fp.Totals, Failures: fp.Failures}
	// The plan goes to stdout in table mode, to stderr when stdout carries JSON.
	planOut := o.io.Out
	if format != output.Table {
		planOut = o.io.ErrOut
	}
	plan.WriteClusterPlans(planOut, fp.Clusters, *o.verbose)
	// emit ends every path: -o json/yaml prints res, then the path's error.
	emit := func(err error) error {
		if derr := show(o.io.Out, format, res, func() error { return nil }); derr != nil && err == nil {
			return derr
		}
		return err
	}
	switch {
	case res.Totals.Refused > 0:
		return emit(fmt.Errorf("apply refused: %d guardrail(s) would break and nothing was changed: fix the file, or pass the --force each refusal names", res.Totals.Refused))
	case res.Totals.Changes == 0:
		return emit(nil)
	case o.dryRun:
		fmt.Fprintln(planOut, "dry run: nothing was changed")
		return emit(nil)
	}
	if err := confirm(o.io, o.yes, "apply", fmt.Sprintf("Apply %d change(s) to %d cluster(s)?", res.Totals.Changes, res.Totals.Clusters),
		fmt.Sprintf("apply needs confirmation and there is no terminal to ask on: review the plan (eksaccess plan -f %s), then run apply with --yes", o.Req.File)); err != nil {
		return err
	}
	ar, err := o.Apply(ctx, fp)
	if ar != nil && ar.Outcome != nil {
		view.Modes(planOut, ar.Outcome.Modes)
		if ar.Outcome.Summary != nil {
			res.Applied, res.Summary = true, ar.Outcome.Summary
			if format == output.Table {
				ar.Outcome.Summary.Write(o.io.Out, *o.verbose)
			}
			if ar.Outcome.Failed() {
				return emit(outcomeExit(ar.Outcome))
			}
		}
	}
	if err != nil {
		return err
	}
	res.Remaining = ar.Remaining
	view.Replan(planOut, ar.Remaining, ar.After, *o.verbose)
	if ar.Remaining > 0 {
		return emit(fmt.Errorf("%d change(s) remain after apply (something else changed the clusters meanwhile, or EKS did not keep a change): run apply again, and report it if the same changes stay", ar.Remaining))
	}
	return emit(nil)
}
