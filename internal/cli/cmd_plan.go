package cli

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"eksaccess/internal/plan"
	"eksaccess/internal/usecase"
	"eksaccess/internal/view"
)

// addFileFlags binds what plan and apply share.
func addFileFlags(cmd *cobra.Command, r *usecase.FileRequest) {
	fl := cmd.Flags()
	fl.StringVarP(&r.File, "file", "f", "", "the access file (apiVersion: eksaccess/v1)")
	fl.BoolVar(&r.Prune, "prune", false, "also delete entries tagged eksaccess/managed that the file no longer lists (every cluster; prune: true does it per cluster)")
	addForceFlag(cmd, &r.Force)
	fl.IntVar(&r.Concurrency, "concurrency", 16, "entries read or changed in parallel")
	fl.BoolVar(&r.AllowOutsidePaths, "allow-outside-paths", false, "let the file's usersFile entries point outside the access file's directory")
}

type planOptions struct {
	job[usecase.FileRequest, *usecase.FilePlan]
	detailed bool
}

func newPlanCmd(f *Factory, runF func(*planOptions) error) *cobra.Command {
	o := &planOptions{job: newJob(f, f.Env().PlanFile)}
	cmd := &cobra.Command{
		Use:   "plan -f FILE [--prune] [--detailed-exitcode] [-o json]",
		Short: "Show what apply would change to make the clusters match an access file",
		Long: `Plan validates the whole access file and resolves every principal before reading any
cluster, then reads each cluster once and prints, per cluster, the changes apply would make:
authentication-mode switch, create, update (groups, username), tag (adopt, expiry), associate,
rescope (namespaces changed in place), disassociate and delete, with totals. A plan that
would break a guardrail is listed with the invariant, the changes that break it and the
--force that overrides it.

Exit codes: 0 the plan can be applied (or there is nothing to do), 1 an error or a
guardrail refusal, 2 bad input (the file, a principal, a flag).
With --detailed-exitcode (for CI drift checks): 0 no changes, 2 changes pending,
1 anything else (bad input included, so that 2 always means drift).`,
		Example: `  eksaccess plan -f access.yaml
  eksaccess plan -f access.yaml --detailed-exitcode   # in CI: exit 2 when the clusters drifted
  eksaccess plan -f access.yaml --prune -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			err := dispatch(o, o.prepare(o.Req.Validate), runF, func() error { return runPlan(cmd.Context(), o) })
			var ee *ExitError
			if err == nil || !o.detailed || exitCodeOf(err) == ExitSignal || errors.As(err, &ee) && ee.Err == nil {
				return err // without --detailed-exitcode, or drift (2) and failure (1) as runPlan mapped them
			}
			return &ExitError{Code: ExitFailure, Err: err} // bad input too: with --detailed-exitcode, 2 means drift only
		},
	}
	addFileFlags(cmd, &o.Req)
	cmd.Flags().BoolVar(&o.detailed, "detailed-exitcode", false, "exit 0 when nothing would change, 2 when changes are pending, 1 on any error")
	return cmd
}

func runPlan(ctx context.Context, o *planOptions) error {
	fp, err := o.Run(ctx, o.Req)
	if err != nil {
		return err
	}
	view.UnreadableExpiry(o.io.ErrOut, fp.Clusters)
	view.Failures(o.io.ErrOut, fp.Failures)
	t := fp.Totals
	if err := show(o.io.Out, o.format, fp, func() error {
		plan.WriteClusterPlans(o.io.Out, fp.Clusters, *o.verbose)
		return nil
	}); err != nil {
		return err
	}
	switch {
	case t.Refused > 0, len(fp.Failures) > 0:
		return silentExit(ExitFailure)
	case o.detailed && t.Changes > 0:
		return silentExit(ExitDrift)
	}
	return nil
}
