package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"eksaccess/internal/awsapi"
	"eksaccess/internal/output"
	"eksaccess/internal/plan"
	"eksaccess/internal/principal"
)

func init() { register(newExpireCmd) }

type expireOptions struct {
	f      *Factory
	ref    clusterRef
	file   string
	dryRun bool
	force  []string
	conc   int
}

func newExpireCmd(f *Factory) *cobra.Command {
	o := &expireOptions{f: f}
	cmd := &cobra.Command{
		Use:   "expire [-c CLUSTER | --hyperpod NAME | -f FILE] [--dry-run]",
		Short: "Delete access entries whose eksaccess/expires tag has passed",
		Long: `Expire reads the cluster (or every cluster of an access file) and deletes the access
entries eksaccess manages whose eksaccess/expires tag is in the past, through the same
guardrails as apply (never a node entry, the creator's entry, your own access path or the
last cluster admin; --force ARN overrides one). Expired entries eksaccess does not manage
are reported and left alone. Run it from cron or CI; --dry-run only reports.

Exit codes: 0 done (or nothing expired), 1 a deletion failed or a guardrail refused,
2 bad input.`,
		Example: `  eksaccess expire -c ml-prod --dry-run
  eksaccess expire -f access.yaml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.file == "" {
				if err := o.ref.validate(); err != nil {
					return usageErrorf("name the clusters with -c CLUSTER, --hyperpod NAME or -f FILE (%v)", err)
				}
			} else if o.ref.Cluster != "" || o.ref.HyperPod != "" {
				return usageErrorf("give either -f FILE or a cluster, not both")
			}
			if o.conc < 1 || o.conc > 256 {
				return usageErrorf("--concurrency must be between 1 and 256, got %d", o.conc)
			}
			return runExpire(cmd.Context(), o)
		},
	}
	o.ref.addFlags(cmd)
	cmd.Flags().StringVarP(&o.file, "file", "f", "", "expire on every cluster of this access file")
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "report what has expired and change nothing")
	cmd.Flags().StringArrayVar(&o.force, "force", nil, "let the deletion of this principal ARN through a guardrail; repeatable")
	cmd.Flags().IntVar(&o.conc, "concurrency", 16, "entries read or deleted in parallel")
	cmd.Flags().BoolVar(&f.AllowOutsidePaths, "allow-outside-paths", false, "with -f: let the file's usersFile entries point outside the access file's directory")
	return cmd
}

type expireReport struct {
	Cluster  string         `json:"cluster"`
	Expired  []plan.Expired `json:"expired"`
	Refusals []plan.Refusal `json:"refusals,omitempty"`
}

func runExpire(ctx context.Context, o *expireOptions) error {
	format, err := o.f.Format()
	if err != nil {
		return err
	}
	c, err := o.f.Clients(ctx)
	if err != nil {
		return err
	}
	var clusters []string
	if o.file != "" {
		cfg, err := loadAccessFile(ctx, o.f, o.file)
		if err != nil {
			return err
		}
		for _, cl := range cfg.Clusters {
			if cl.HyperPod == "" {
				clusters = append(clusters, cl.Name)
				continue
			}
			ec, err := awsapi.ResolveHyperPod(ctx, c.SageMaker, cl.HyperPod)
			if err != nil {
				return err
			}
			clusters = append(clusters, ec.Name)
		}
	} else {
		name, err := o.ref.resolve(ctx, o.f)
		if err != nil {
			return err
		}
		clusters = []string{name}
	}
	caller, err := principal.LookupCaller(ctx, c.STS, c.IAM)
	if err != nil {
		return err
	}
	force := map[string]bool{}
	for _, a := range o.force {
		force[a] = true
	}
	now := o.f.Now()
	var reports []expireReport
	var plans []plan.PrincipalPlan
	refused := 0
	for _, name := range clusters {
		live, err := plan.ReadCluster(ctx, c.EKS, name, plan.ReadOptions{Concurrency: o.conc})
		if err != nil {
			return err
		}
		rep := expireReport{Cluster: name, Expired: plan.ExpiredEntries(live.LiveCluster, now)}
		var cps []plan.PrincipalPlan
		for _, x := range rep.Expired {
			if x.Managed {
				cps = append(cps, plan.DeleteEntry(name, live.Entries[x.Principal], "expired at "+plan.FormatExpiry(x.Expires)))
			}
		}
		rep.Refusals = plan.Check(live.LiveCluster, cps, plan.Guard{CallerPrincipalArn: caller.PrincipalArn, Force: force, ForceFlag: "--force"})
		stopped := map[string]bool{}
		for _, r := range rep.Refusals {
			stopped[r.Principal] = true
		}
		refused += len(rep.Refusals)
		for _, pp := range cps {
			if !stopped[pp.Principal] {
				plans = append(plans, pp)
			}
		}
		reports = append(reports, rep)
	}
	w := o.f.IO.Out
	if format == output.Table {
		for _, rep := range reports {
			fmt.Fprintf(w, "cluster %s: %d expired\n", rep.Cluster, len(rep.Expired))
			for _, x := range rep.Expired {
				what := "delete"
				if !x.Managed {
					what = "left alone (not managed by eksaccess: revoke it yourself, or list it in an access file with apply to adopt it)"
				}
				fmt.Fprintf(w, "  %s expired %s: %s\n", x.Principal, plan.FormatExpiry(x.Expires), what)
			}
			for _, r := range rep.Refusals {
				fmt.Fprintf(w, "  ! refused: %s %s: %s; %s\n", r.Action, r.Principal, r.Reason, r.Override)
			}
		}
	}
	if o.dryRun || len(plans) == 0 {
		if format != output.Table {
			if err := output.Data(w, format, map[string]any{"dryRun": o.dryRun, "clusters": reports}); err != nil {
				return err
			}
		} else if o.dryRun {
			fmt.Fprintf(w, "dry run: %d entr(ies) would be deleted (nothing was changed)\n", len(plans))
		}
		if refused > 0 {
			return silentExit(ExitFailure)
		}
		return nil
	}
	sum, err := runPlans(ctx, o.f, "expire", plans, o.conc)
	if err != nil {
		return err
	}
	if format != output.Table {
		if err := output.Data(w, format, map[string]any{"clusters": reports, "summary": sum}); err != nil {
			return err
		}
	} else {
		printSummary(w, sum, o.f.Verbose)
	}
	switch {
	case sum.Interrupted:
		return silentExit(ExitSignal)
	case sum.Failed(), refused > 0:
		return silentExit(ExitFailure)
	}
	return nil
}
