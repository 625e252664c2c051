package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"eksaccess/internal/apply"
	"eksaccess/internal/awsapi"
	"eksaccess/internal/output"
	"eksaccess/internal/plan"
)

func init() { register(newApplyCmd) }

type applyOptions struct {
	declOptions
	yes    bool
	dryRun bool
}

func newApplyCmd(f *Factory) *cobra.Command {
	o := &applyOptions{declOptions: declOptions{f: f}}
	cmd := &cobra.Command{
		Use:   "apply -f FILE [--prune] [--yes] [--concurrency N] [--dry-run]",
		Short: "Make the clusters match an access file (plan, confirm, execute, re-plan)",
		Long: `Apply plans exactly as ` + "`eksaccess plan`" + ` does, prints the plan, asks for confirmation
on a terminal (--yes skips it; without a terminal --yes is required), switches
authentication modes first, then runs every change with grant's engine (concurrent,
rate-limited, idempotent, journaled, with a progress bar), and finally plans again to
confirm that nothing remains to change.

Nothing is changed when the file is invalid, a principal does not resolve, or a guardrail
refuses a change: pass --force ARN for each refusal you mean.

Exit codes: 0 applied and verified (or nothing to do), 1 a change failed, a guardrail
refused, or the re-plan still shows changes, 2 bad input or no confirmation.`,
		Example: `  eksaccess apply -f access.yaml
  eksaccess apply -f access.yaml --prune --yes
  eksaccess apply -f access.yaml --prune --force arn:aws:iam::111122223333:user/old-admin`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			return runApply(cmd.Context(), o)
		},
	}
	o.addFlags(cmd)
	cmd.Flags().BoolVarP(&o.yes, "yes", "y", false, "apply without asking for confirmation")
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "print the plan and change nothing (same as plan)")
	return cmd
}

// applyResult is apply's -o json/yaml document.
type applyResult struct {
	Plan      []*plan.ClusterPlan `json:"plan"`
	Totals    planTotals          `json:"totals"`
	Applied   bool                `json:"applied"`
	Summary   *apply.Summary      `json:"summary,omitempty"`
	Remaining int                 `json:"remainingChanges"`
}

func runApply(ctx context.Context, o *applyOptions) error {
	format, err := o.f.Format(output.Table, output.JSON, output.YAML)
	if err != nil {
		return err
	}
	rc, d, err := loadAndPlan(ctx, o.f, o.file, &o.declOptions)
	if err != nil {
		return err
	}
	res := applyResult{Plan: d.plans, Totals: totalsOf(d.plans)}
	// The plan goes to stdout in table mode, to stderr when stdout carries JSON.
	planOut := o.f.IO.Out
	if format != output.Table {
		planOut = o.f.IO.ErrOut
	}
	printClusterPlans(planOut, d.plans)
	emit := func() error {
		if format == output.Table {
			return nil
		}
		return output.Data(o.f.IO.Out, format, res)
	}
	if res.Totals.Refused > 0 {
		emit()
		return fmt.Errorf("apply refused: %d change(s) stopped by guardrails and nothing was changed: fix the file, or pass --force ARN for each refusal you mean", res.Totals.Refused)
	}
	if res.Totals.Changes == 0 {
		return emit()
	}
	if o.dryRun {
		fmt.Fprintln(planOut, "dry run: nothing was changed")
		return emit()
	}
	if !o.yes {
		if !o.f.IO.CanPrompt() {
			return usageErrorf("apply needs confirmation and there is no terminal to ask on: review the plan (eksaccess plan -f %s), then run apply with --yes", o.file)
		}
		ok, err := o.f.IO.Confirm(fmt.Sprintf("Apply %d change(s) to %d cluster(s)?", res.Totals.Changes, res.Totals.Clusters))
		if err != nil {
			return &UsageError{Err: err}
		}
		if !ok {
			fmt.Fprintln(o.f.IO.ErrOut, "apply cancelled: nothing was changed")
			return silentExit(ExitInput)
		}
	}
	// The journal must be writable before the first change (a mode switch is one).
	if j, err := apply.OpenJournal(o.f.JournalPath(), "", "", "apply"); err != nil {
		return err
	} else {
		j.Close()
	}
	// Authentication modes first: a cluster in CONFIG_MAP takes no access entries.
	for _, cp := range d.plans {
		if cp.ModeSwitch == nil {
			continue
		}
		if err := switchAuthMode(ctx, o.f, rc.get(cp.Region).EKS, cp.Cluster, cp.ModeSwitch.To); err != nil {
			return fmt.Errorf("%w; no access entry was changed: fix the cause and run apply again", err)
		}
		fmt.Fprintf(planOut, "%s: authenticationMode is now %s\n", cp.Cluster, cp.ModeSwitch.To)
	}
	sum, err := runPlansRegional(ctx, o.f, rc, d.plans, o.conc)
	if err != nil {
		return err
	}
	res.Applied, res.Summary = true, sum
	if format == output.Table {
		printSummary(o.f.IO.Out, sum, o.f.Verbose)
	}
	if sum.Failed() {
		emit()
		if sum.Interrupted {
			return silentExit(ExitSignal)
		}
		return silentExit(ExitFailure)
	}
	// Re-plan: what apply did must leave nothing to do.
	if err := planDeclared(ctx, o.f, rc, d, &o.declOptions); err != nil {
		return fmt.Errorf("re-plan after apply: %w", err)
	}
	after := totalsOf(d.plans)
	res.Remaining = after.Changes
	if after.Changes > 0 {
		fmt.Fprintln(planOut, "re-plan after apply still shows changes:")
		printClusterPlans(planOut, d.plans)
		emit()
		return fmt.Errorf("%d change(s) remain after apply (something else changed the clusters meanwhile, or EKS did not keep a change): run apply again, and report it if the same changes stay", after.Changes)
	}
	fmt.Fprintln(planOut, "re-plan: no changes remain; the clusters match the file")
	return emit()
}

// runPlansRegional runs the principal plans; clusters outside the default region get their
// own engine run with that region's EKS client.
func runPlansRegional(ctx context.Context, f *Factory, rc *regional, plans []*plan.ClusterPlan, conc int) (*apply.Summary, error) {
	byRegion := map[string][]plan.PrincipalPlan{}
	var order []string
	for _, cp := range plans {
		region := cp.Region
		if rc.get(region) == rc.base {
			region = ""
		}
		if _, ok := byRegion[region]; !ok {
			order = append(order, region)
		}
		byRegion[region] = append(byRegion[region], cp.Plans...)
	}
	total := &apply.Summary{}
	for _, region := range order {
		var sum *apply.Summary
		var err error
		if region == "" {
			sum, err = runPlans(ctx, f, "apply", byRegion[region], conc)
		} else {
			sum, err = runPlansWith(ctx, f, rc.get(region).EKS, byRegion[region], conc)
		}
		if err != nil {
			return nil, err
		}
		total.Results = append(total.Results, sum.Results...)
		total.Interrupted = total.Interrupted || sum.Interrupted
	}
	return total, nil
}

// runPlansWith is runPlans for another region's EKS client (no progress bar: runs per
// extra region are short next to the main one).
func runPlansWith(ctx context.Context, f *Factory, api awsapi.EKS, plans []plan.PrincipalPlan, conc int) (*apply.Summary, error) {
	caller := ""
	if id, err := f.CallerIdentity(ctx); err == nil {
		caller = id.Arn
	}
	j, err := apply.OpenJournal(f.JournalPath(), uuid.NewString(), caller, "apply")
	if err != nil {
		return nil, err
	}
	defer j.Close()
	j.Write(apply.Record{Action: "run", Result: "started"})
	sum := apply.Execute(ctx, plans, apply.Options{EKS: api, Concurrency: conc, Journal: j})
	j.Write(apply.Record{Action: "run", Result: "finished"})
	return sum, nil
}

// switchAuthMode calls UpdateClusterConfig and waits until DescribeCluster reports the new
// mode (EKS applies it asynchronously; access-entry calls fail until it has). Journaled.
func switchAuthMode(ctx context.Context, f *Factory, api awsapi.EKS, cluster, mode string) error {
	caller := ""
	if id, err := f.CallerIdentity(ctx); err == nil {
		caller = id.Arn
	}
	j, jerr := apply.OpenJournal(f.JournalPath(), uuid.NewString(), caller, "auth-mode")
	if jerr == nil {
		defer j.Close()
	}
	rec := apply.Record{Cluster: cluster, Action: "authentication-mode", Scope: mode, Result: "ok"}
	_, err := api.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{
		Name: aws.String(cluster), AccessConfig: &types.UpdateAccessConfigRequest{AuthenticationMode: types.AuthenticationMode(mode)},
	})
	if err != nil {
		rec.Result, rec.Error = "failed", err.Error()
		j.Write(rec)
		return fmt.Errorf("switch %s to %s: %w", cluster, mode, err)
	}
	j.Write(rec)
	deadline := time.Now().Add(15 * time.Minute)
	for {
		out, err := api.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(cluster)})
		if err != nil {
			return plan.ClusterError(cluster, err)
		}
		if out.Cluster != nil && out.Cluster.AccessConfig != nil && string(out.Cluster.AccessConfig.AuthenticationMode) == mode {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cluster %s has not reached authentication mode %s after 15 minutes: check `aws eks describe-cluster --name %s`", cluster, mode, cluster)
		}
		t := time.NewTimer(5 * time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
