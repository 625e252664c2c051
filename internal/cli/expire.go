package cli

import (
	"context"

	"github.com/spf13/cobra"

	"eksaccess/internal/output"
	"eksaccess/internal/usecase"
	"eksaccess/internal/view"
)

type expireOptions struct {
	job[usecase.ExpireRequest, *usecase.ExpireResult]
}

func newExpireCmd(f *Factory, runF func(*expireOptions) error) *cobra.Command {
	o := &expireOptions{job: newJob(f, f.Env().Expire)}
	cmd := &cobra.Command{
		Use:   "expire [-c CLUSTER | --hyperpod NAME | -f FILE] [--dry-run]",
		Short: "Take away the grants whose expiry has passed",
		Long: `Expire reads the cluster (or every cluster of an access file) and takes away exactly the
grants whose expiry has passed: each expiring grant recorded which policy and namespaces it
covers, so an expired namespace leaves its association, an expired cluster scope falls back
to what was granted for good, and an entry is deleted only when nothing remains. Changes go
through the same engine and guardrails as every change (--force ARN overrides one). Expiry
tags that cannot be read are reported, never skipped silently. Run it from cron or CI;
--dry-run only reports.

Exit codes: 0 done (or nothing expired), 1 a deletion failed or a guardrail refused,
2 bad input.`,
		Example: `  eksaccess expire -c ml-prod --dry-run
  eksaccess expire -f access.yaml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return dispatch(o, o.prepare(o.Req.Validate), runF, func() error { return runExpire(cmd.Context(), o) })
		},
	}
	addClusterFlags(cmd, &o.Req.Cluster)
	cmd.Flags().StringVarP(&o.Req.File, "file", "f", "", "expire on every cluster of this access file")
	cmd.Flags().BoolVar(&o.Req.DryRun, "dry-run", false, "report what has expired and change nothing")
	addForceFlag(cmd, &o.Req.Force)
	cmd.Flags().IntVar(&o.Req.Concurrency, "concurrency", 16, "entries read or changed in parallel")
	cmd.Flags().BoolVar(&o.Req.AllowOutsidePaths, "allow-outside-paths", false, "with -f: let the file's usersFile entries point outside the access file's directory")
	return cmd
}

func runExpire(ctx context.Context, o *expireOptions) error {
	format := o.format
	res, err := o.Run(ctx, o.Req)
	if res != nil {
		view.ExpireWarnings(o.io.ErrOut, res)
		if format == output.Table {
			view.Expired(o.io.Out, res)
		}
	}
	if err != nil {
		var out *usecase.Outcome
		if res != nil {
			out = res.Outcome
		}
		return o.changeOutput("expire").render(out, err)
	}
	if err := show(o.io.Out, format, res, func() error { view.ExpireOutcome(o.io.Out, res, *o.verbose); return nil }); err != nil {
		return err
	}
	return outcomeExit(res.Outcome)
}
