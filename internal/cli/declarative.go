package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"eksaccess/internal/accessfile"
	"eksaccess/internal/apply"
	"eksaccess/internal/output"
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
	return o.runThen(ctx, func(fp *usecase.FilePlan) error {
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
	})
}

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

type exportOptions struct {
	job[usecase.ExportRequest, *usecase.ExportResult]
	outFile string
}

func newExportCmd(f *Factory, runF func(*exportOptions) error) *cobra.Command {
	o := &exportOptions{job: newJob(f, f.Env().Export)}
	cmd := &cobra.Command{
		Use:   "export -c CLUSTER [-c CLUSTER]... [-o yaml|json] [--output-file FILE]",
		Short: "Write the live access of clusters as an access file",
		Long: `Export reads each cluster once and writes its access entries as an access file, so
that ` + "`eksaccess plan`" + ` of the exported file shows no changes. Policies, namespaces,
Kubernetes groups, custom usernames, expiries and extra tags are kept; node and service
entries are exported with their type. HYPERPOD_LINUX entries are left out (SageMaker
HyperPod owns them and the file cannot declare them; prune never touches them).
The file does not turn pruning on: add prune: true once you have reviewed it.`,
		Example: `  eksaccess export -c hyperpod-demo > access.yaml
  eksaccess export -c prod-a -c prod-b --output-file access.yaml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return dispatch(o, o.prepare(o.Req.Validate, output.YAML, output.JSON), runF, func() error { return runExport(cmd.Context(), o) })
		},
	}
	cmd.Flags().StringArrayVarP(&o.Req.Clusters, "cluster", "c", nil, "EKS cluster to export; repeatable")
	cmd.Flags().StringVar(&o.outFile, "output-file", "", "write the file here instead of stdout")
	cmd.Flags().IntVar(&o.Req.Concurrency, "concurrency", 16, "entries read in parallel")
	return cmd
}

func runExport(ctx context.Context, o *exportOptions) error {
	return o.runThen(ctx, func(res *usecase.ExportResult) error {
		view.Notes(o.io.ErrOut, res.Notes)
		var b []byte
		var err error
		if o.format == output.JSON {
			b, err = json.MarshalIndent(res.Config, "", "  ")
			b = append(b, '\n')
		} else {
			b, err = accessfile.Marshal(res.Config)
		}
		if err != nil {
			return err
		}
		return writeOutput(o.io, o.outFile, b, fmt.Sprintf("%d cluster(s)", len(res.Config.Clusters)))
	})
}

func newMigrateCmd(f *Factory) *cobra.Command {
	return group(&cobra.Command{
		Use:   "migrate",
		Short: "Move a cluster's access to access entries (migrate aws-auth)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageErrorf("name what to migrate: eksaccess migrate aws-auth -c CLUSTER")
		},
	}, newMigrateAwsAuthCmd(f, nil))
}

type migrateOptions struct {
	job[usecase.MigrateRequest, *usecase.MigrateResult]
	out string
}

func newMigrateAwsAuthCmd(f *Factory, runF func(*migrateOptions) error) *cobra.Command {
	o := &migrateOptions{job: newJob(f, f.Env().Migrate)}
	cmd := &cobra.Command{
		Use:   "aws-auth -c CLUSTER [--from FILE] [--out FILE]",
		Short: "Turn a cluster's aws-auth ConfigMap into an access file",
		Long: `Migrate reads the aws-auth ConfigMap — from --from FILE (kubectl get configmap aws-auth
-n kube-system -o yaml), or else from the cluster's Kubernetes API — and writes the
equivalent access file: mapRoles and mapUsers become principals (role paths looked up in
IAM, so IAM Identity Center roles get theirs), system:masters becomes
AmazonEKSClusterAdminPolicy, node roles become EC2_LINUX / EC2_WINDOWS / FARGATE_LINUX
entries, other groups stay kubernetesGroups. What cannot be mapped (mapAccounts, other
system: groups, usernames EKS refuses) is printed as a warning on stderr, never dropped
silently. A cluster still in CONFIG_MAP gets authenticationMode: API_AND_CONFIG_MAP, so
` + "`eksaccess apply`" + ` of the file switches it and creates the entries; aws-auth keeps working
meanwhile.

Exit codes: 0 written (warnings or not), 1 the ConfigMap could not be read, 2 bad input.`,
		Example: `  eksaccess migrate aws-auth -c legacy-cm --out access.yaml
  kubectl get configmap aws-auth -n kube-system -o yaml > aws-auth.yaml
  eksaccess migrate aws-auth -c legacy-cm --from aws-auth.yaml --out access.yaml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return dispatch(o, o.Req.Cluster.Validate(), runF, func() error { return runMigrate(cmd.Context(), o) })
		},
	}
	addClusterFlags(cmd, &o.Req.Cluster)
	cmd.Flags().StringVar(&o.Req.From, "from", "", "read the aws-auth ConfigMap from this YAML or JSON file instead of the cluster")
	cmd.Flags().StringVar(&o.out, "out", "", "write the access file here (default: stdout)")
	return cmd
}

func runMigrate(ctx context.Context, o *migrateOptions) error {
	return o.runThen(ctx, func(res *usecase.MigrateResult) error {
		for _, w := range res.Warnings {
			fmt.Fprintf(o.io.ErrOut, "warning: %s\n", w)
		}
		fmt.Fprintln(o.io.ErrOut, res.Summary)
		return writeOutput(o.io, o.out, res.File, fmt.Sprintf("review it, then `eksaccess plan -f %s` and `eksaccess apply -f %s`", o.out, o.out))
	})
}
