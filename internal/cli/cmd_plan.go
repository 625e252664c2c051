package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"eksaccess/internal/accessfile"
	"eksaccess/internal/awsapi"
	"eksaccess/internal/declare"
	"eksaccess/internal/output"
	"eksaccess/internal/plan"
	"eksaccess/internal/principal"
)

func init() { register(newPlanCmd) }

// declOptions are what plan and apply share.
type declOptions struct {
	f     *Factory
	file  string
	prune bool
	force []string
	conc  int
}

func (o *declOptions) addFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVarP(&o.file, "file", "f", "", "the access file (apiVersion: eksaccess/v1)")
	fl.BoolVar(&o.prune, "prune", false, "also delete entries tagged eksaccess/managed that the file no longer lists (every cluster; prune: true does it per cluster)")
	fl.StringArrayVar(&o.force, "force", nil, "let a change to this principal ARN through a guardrail (you mean to remove it); repeatable")
	fl.IntVar(&o.conc, "concurrency", 16, "entries read or changed in parallel")
	fl.BoolVar(&o.f.AllowOutsidePaths, "allow-outside-paths", false, "let the file's usersFile entries point outside the access file's directory")
}

func (o *declOptions) validate() error {
	if strings.TrimSpace(o.file) == "" {
		return usageErrorf("name the access file with -f FILE")
	}
	if o.conc < 1 || o.conc > 256 {
		return usageErrorf("--concurrency must be between 1 and 256, got %d", o.conc)
	}
	for _, a := range o.force {
		if _, err := principal.ParsePrincipalARN(a); err != nil {
			return usageErrorf("--force %s: give the principal's full ARN as plan prints it: %v", a, err)
		}
	}
	return nil
}

// declared is an access file resolved and planned against the live clusters.
type declared struct {
	cfg      *accessfile.Config
	caller   principal.Caller
	clusters []declare.Cluster
	plans    []*plan.ClusterPlan
	// live holds each cluster as last read; a re-plan after apply reuses the entries the
	// plan did not change, so every entry is read once per apply.
	live []*plan.LiveCluster
}

// regional hands out clients per region: IAM and STS are global, EKS and SageMaker are not,
// and one access file may name clusters in several regions.
type regional struct {
	f    *Factory
	base *awsapi.Clients
	mu   sync.Mutex
	m    map[string]*awsapi.Clients
}

func newRegional(ctx context.Context, f *Factory) (*regional, error) {
	c, err := f.Clients(ctx)
	if err != nil {
		return nil, err
	}
	return &regional{f: f, base: c, m: map[string]*awsapi.Clients{}}, nil
}

func (r *regional) get(region string) *awsapi.Clients {
	if region == "" || region == r.base.Config.Region {
		return r.base
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.m[region]; ok {
		return c
	}
	cfg := r.base.Config.Copy()
	cfg.Region = region
	endpoint := r.f.EndpointURL
	if sc, ok := r.base.STS.(*sts.Client); ok && endpoint == "" && r.f.UseSandbox {
		if ep := sc.Options().BaseEndpoint; ep != nil {
			endpoint = *ep
		}
	}
	c := awsapi.NewClients(cfg, endpoint)
	r.m[region] = c
	return c
}

// loadAccessFile validates the file twice: offline first (any policy name accepted), so a
// broken file costs no AWS call, then against the live ListAccessPolicies.
func loadAccessFile(ctx context.Context, f *Factory, path string) (*accessfile.Config, error) {
	if _, err := accessfile.Load(path, accessfile.Options{KnownPolicy: func(string) bool { return true }, AllowOutsidePaths: f.AllowOutsidePaths}); err != nil {
		return nil, fileError(err)
	}
	c, err := f.Clients(ctx)
	if err != nil {
		return nil, err
	}
	pols, err := listAccessPolicies(ctx, c.EKS)
	if err != nil {
		return nil, fmt.Errorf("list access policies (to check the file's policy names): %w", err)
	}
	known := map[string]bool{}
	for _, p := range pols {
		known[p.Name] = true
	}
	cfg, err := accessfile.Load(path, accessfile.Options{KnownPolicy: func(n string) bool { return known[n] }, AllowOutsidePaths: f.AllowOutsidePaths})
	if err != nil {
		return nil, fileError(err)
	}
	return cfg, nil
}

// fileError marks the loader's problems as bad input (exit 2).
func fileError(err error) error {
	var ae *accessfile.Error
	if errors.As(err, &ae) {
		n := len(ae.Problems)
		return &InputError{Err: fmt.Errorf("%w\n%d problem(s) in the access file; nothing was changed", err, n)}
	}
	return &InputError{Err: err}
}

// resolveDeclared loads the file, finds the caller and resolves every cluster and principal:
// all before any cluster is read.
func resolveDeclared(ctx context.Context, f *Factory, rc *regional, path string) (*declared, error) {
	cfg, err := loadAccessFile(ctx, f, path)
	if err != nil {
		return nil, err
	}
	caller, err := principal.LookupCaller(ctx, rc.base.STS, rc.base.IAM)
	if err != nil {
		return nil, err
	}
	cls, err := declare.Resolve(ctx, cfg, declare.Options{
		IAM:    rc.base.IAM,
		Caller: caller,
		Now:    f.Now(),
		HyperPod: func(ctx context.Context, name, region string) (awsapi.EKSCluster, error) {
			return awsapi.ResolveHyperPod(ctx, rc.get(region).SageMaker, name)
		},
	})
	if err != nil {
		return nil, err
	}
	return &declared{cfg: cfg, caller: caller, clusters: cls}, nil
}

// planDeclared reads each cluster once (concurrently, a few at a time) and builds its plan.
func planDeclared(ctx context.Context, f *Factory, rc *regional, d *declared, o *declOptions) error {
	force := map[string]bool{}
	for _, a := range o.force {
		force[a] = true
	}
	prevPlans, prevLive := d.plans, d.live
	d.plans = make([]*plan.ClusterPlan, len(d.clusters))
	d.live = make([]*plan.LiveCluster, len(d.clusters))
	var mu sync.Mutex
	var bad []string
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for i, c := range d.clusters {
		g.Go(func() error {
			ro := plan.ReadOptions{Concurrency: o.conc}
			if prevLive != nil && prevLive[i] != nil && prevPlans[i] != nil {
				ro.Known, ro.Stale = prevLive[i].Entries, map[string]bool{}
				for _, pp := range prevPlans[i].Plans {
					if len(pp.Changes) > 0 {
						ro.Stale[pp.Principal] = true
					}
				}
			}
			live, err := plan.ReadCluster(gctx, rc.get(c.Region).EKS, c.Name, ro)
			if err != nil {
				return err
			}
			if live.Region == "" {
				live.Region = c.Region
			}
			d.live[i] = live.LiveCluster
			cp, err := plan.Build(c.Name, c.Desired, live.LiveCluster, plan.BuildOptions{
				Prune: o.prune || c.Prune, AuthenticationMode: c.AuthenticationMode, Now: f.Now(),
				Guard: plan.Guard{CallerPrincipalArn: d.caller.PrincipalArn, Force: force, ForceFlag: "--force"},
			})
			if err != nil {
				var be *plan.BuildError
				if errors.As(err, &be) {
					mu.Lock()
					for _, p := range be.Problems {
						bad = append(bad, c.Source+": "+p)
					}
					mu.Unlock()
					return nil
				}
				return err
			}
			cp.Source = c.Source
			if c.HyperPod != "" {
				cp.Source += " (hyperpod " + c.HyperPod + ")"
			}
			d.plans[i] = cp
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return &InputError{Err: fmt.Errorf("%s\nnothing was changed", strings.Join(bad, "\n"))}
	}
	return nil
}

// planTotals sums the plans of every cluster.
type planTotals struct {
	Changes  int            `json:"changes"`
	Clusters int            `json:"clustersChanging"`
	Refused  int            `json:"refused"`
	ByAction map[string]int `json:"byAction"`
}

func totalsOf(plans []*plan.ClusterPlan) planTotals {
	t := planTotals{ByAction: map[string]int{}}
	for _, cp := range plans {
		if n := cp.Changes(); n > 0 {
			t.Changes += n
			t.Clusters++
		}
		if cp.ModeSwitch != nil {
			t.ByAction["authenticationMode"]++
		}
		for a, n := range cp.Counts() {
			t.ByAction[string(a)] += n
		}
		t.Refused += len(cp.Refusals)
	}
	return t
}

// printClusterPlans prints the readable diff: per cluster, the mode switch, one line per
// change, refusals with their override, notes; then the totals.
func printClusterPlans(w io.Writer, plans []*plan.ClusterPlan) planTotals {
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
		printPlan(w, cp.Plans)
		for _, r := range cp.Refusals {
			fmt.Fprintf(w, "  ! refused: %s %s: %s; %s\n", r.Action, r.Principal, r.Reason, r.Override)
		}
		for _, n := range cp.Notes {
			fmt.Fprintf(w, "  note: %s\n", n)
		}
		if cp.Changes() == 0 {
			fmt.Fprintf(w, "  no changes (%d listed entries up to date)\n", cp.Unchanged)
		} else {
			fmt.Fprintf(w, "  %s; %d listed entries up to date\n", describeCounts(cp.Counts(), cp.ModeSwitch != nil), cp.Unchanged)
		}
	}
	t := totalsOf(plans)
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

var actionOrder = []plan.Action{plan.ActCreate, plan.ActUpdate, plan.ActTag, plan.ActUntag, plan.ActAssociate, plan.ActRescope, plan.ActDisassociate, plan.ActDelete}

func describeCounts(m map[plan.Action]int, mode bool) string {
	var parts []string
	if mode {
		parts = append(parts, "1 authenticationMode switch")
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
	for _, a := range actionOrder {
		if n := m[string(a)]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, a))
		}
	}
	return strings.Join(parts, ", ")
}

type planOptions struct {
	declOptions
	detailed bool
}

func newPlanCmd(f *Factory) *cobra.Command {
	o := &planOptions{declOptions: declOptions{f: f}}
	cmd := &cobra.Command{
		Use:   "plan -f FILE [--prune] [--detailed-exitcode] [-o json]",
		Short: "Show what apply would change to make the clusters match an access file",
		Long: `Plan validates the whole access file and resolves every principal before reading any
cluster, then reads each cluster once and prints, per cluster, the changes apply would make:
authentication-mode switch, create, update (groups, username), tag (adopt), associate,
rescope (namespaces changed in place), disassociate and delete, with totals. Changes a
guardrail stops are listed with the flag that overrides them.

Exit codes: 0 the plan can be applied (or there is nothing to do), 1 an error or a
guardrail refusal, 2 bad input (the file, a principal, a flag).
With --detailed-exitcode (for CI drift checks): 0 no changes, 2 changes pending,
1 anything else (bad input included, so that 2 always means drift).`,
		Example: `  eksaccess plan -f access.yaml
  eksaccess plan -f access.yaml --detailed-exitcode   # in CI: exit 2 when the clusters drifted
  eksaccess plan -f access.yaml --prune -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			err := o.validate()
			if err == nil {
				err = runPlan(cmd.Context(), o)
			}
			if err != nil && o.detailed && exitCodeOf(err) != ExitOK && exitCodeOf(err) != ExitSignal {
				var ee *ExitError
				if errors.As(err, &ee) && ee.Err == nil {
					return err // already mapped below
				}
				return &ExitError{Code: ExitFailure, Err: err}
			}
			return err
		},
	}
	o.addFlags(cmd)
	cmd.Flags().BoolVar(&o.detailed, "detailed-exitcode", false, "exit 0 when nothing would change, 2 when changes are pending, 1 on any error")
	return cmd
}

// loadAndPlan validates and resolves the access file, then reads the clusters and plans:
// everything plan and apply do before they differ.
func loadAndPlan(ctx context.Context, f *Factory, file string, o *declOptions) (*regional, *declared, error) {
	rc, err := newRegional(ctx, f)
	if err != nil {
		return nil, nil, err
	}
	d, err := resolveDeclared(ctx, f, rc, file)
	if err != nil {
		return nil, nil, err
	}
	if err := planDeclared(ctx, f, rc, d, o); err != nil {
		return nil, nil, err
	}
	return rc, d, nil
}

func runPlan(ctx context.Context, o *planOptions) error {
	format, err := o.f.Format(output.Table, output.JSON, output.YAML)
	if err != nil {
		return err
	}
	_, d, err := loadAndPlan(ctx, o.f, o.file, &o.declOptions)
	if err != nil {
		return err
	}
	var t planTotals
	if format != output.Table {
		t = totalsOf(d.plans)
		if err := output.Data(o.f.IO.Out, format, map[string]any{"clusters": d.plans, "totals": t}); err != nil {
			return err
		}
	} else {
		t = printClusterPlans(o.f.IO.Out, d.plans)
	}
	switch {
	case t.Refused > 0:
		return silentExit(ExitFailure)
	case o.detailed && t.Changes > 0:
		return silentExit(ExitDrift)
	}
	return nil
}
