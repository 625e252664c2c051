package usecase

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"eksaccess/internal/accessfile"
	"eksaccess/internal/awsapi"
	"eksaccess/internal/declare"
	"eksaccess/internal/plan"
	"eksaccess/internal/principal"
	"eksaccess/internal/rbac"
)

// FileRequest is a plan or apply of an access file.
type FileRequest struct {
	File        string   `json:"file"`
	Prune       bool     `json:"prune,omitempty"`
	Force       []string `json:"force,omitempty"`
	Concurrency int      `json:"concurrency,omitempty"`
	// AllowOutsidePaths lets usersFile entries point outside the access file's directory.
	AllowOutsidePaths bool `json:"allowOutsidePaths,omitempty"`
}

// Validate checks the request offline.
func (r *FileRequest) Validate() error {
	if strings.TrimSpace(r.File) == "" {
		return inputErrorf("name the access file with -f FILE")
	}
	for _, a := range r.Force {
		if _, err := principal.ParsePrincipalARN(a); err != nil && !strings.HasPrefix(a, "arn:") {
			return inputErrorf("--force %s: give the full ARN as the refusal prints it: %v", a, err)
		}
	}
	return checkConcurrency(r.Concurrency)
}

// Totals sum the plans of every cluster.
type Totals = plan.Totals

// TotalsOf sums cluster plans.
func TotalsOf(plans []*plan.ClusterPlan) Totals { return plan.TotalsOf(plans) }

// FilePlan is an access file resolved and planned against the live clusters.
type FilePlan struct {
	Clusters []*plan.ClusterPlan `json:"clusters"`
	Totals   Totals              `json:"totals"`
	// Failures are the accounts (or clusters) that could not be reached or read: the plan
	// covers the others.
	Failures []AccountFailure `json:"failures,omitempty"`

	req      FileRequest
	caller   principal.Caller
	resolved []resolvedCluster
	live     []*plan.LiveCluster
	// teams are what the plan does to each cluster's teams (nil: the cluster's Kubernetes API
	// was not read: the file gives it no teams and does not prune it).
	teams []*fileTeams
}

// LoadFile validates an access file twice: offline first (any policy name accepted), so a
// broken file costs no AWS call, then against the live ListAccessPolicies.
func (e *Env) LoadFile(ctx context.Context, path string, allowOutside bool) (*accessfile.Config, error) {
	opts := accessfile.Options{KnownPolicy: func(string) bool { return true }}
	opts.AllowOutsidePaths = allowOutside
	if _, err := accessfile.Load(path, opts); err != nil {
		return nil, fileError(err)
	}
	c, err := e.AWS(ctx, "")
	if err != nil {
		return nil, err
	}
	pols, err := ListAccessPolicies(ctx, c.EKS)
	if err != nil {
		return nil, fmt.Errorf("list access policies (to check the file's policy names): %w", err)
	}
	known := map[string]bool{}
	for _, p := range pols {
		known[p.Name] = true
	}
	opts.KnownPolicy = func(n string) bool { return known[n] }
	cfg, err := accessfile.Load(path, opts)
	if err != nil {
		return nil, fileError(err)
	}
	return cfg, nil
}

// loadFileAs loads the access file (LoadFile) and looks up who eksaccess runs as, the
// caller the file's accounts are grouped against.
func (e *Env) loadFileAs(ctx context.Context, path string, allowOutside bool) (*accessfile.Config, principal.Caller, error) {
	cfg, err := e.LoadFile(ctx, path, allowOutside)
	if err != nil {
		return nil, principal.Caller{}, err
	}
	caller, err := e.Caller(ctx)
	return cfg, caller, err
}

// fileError marks the loader's problems as bad input (exit 2).
func fileError(err error) error {
	var ae *accessfile.Error
	if errors.As(err, &ae) {
		return &InputError{Err: fmt.Errorf("%w\n%d problem(s) in the access file; nothing was changed", err, len(ae.Problems))}
	}
	return &InputError{Err: err}
}

// PlanFile loads and resolves the file (every principal, before any cluster is read), then
// reads each cluster once and plans it exactly, the invariants checked on each result.
func (e *Env) PlanFile(ctx context.Context, r FileRequest) (*FilePlan, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	cfg, caller, err := e.loadFileAs(ctx, r.File, r.AllowOutsidePaths)
	if err != nil {
		return nil, err
	}
	cls, failures, err := e.resolveFleet(ctx, cfg, caller)
	if err != nil {
		return nil, err
	}
	fp := &FilePlan{req: r, caller: caller, resolved: cls, Failures: failures}
	if err := e.planResolved(ctx, fp); err != nil {
		return nil, err
	}
	return fp, nil
}

// planResolved reads each cluster once (concurrently, a few at a time) and builds its plan;
// a re-plan reuses the entries the previous plan did not change.
func (e *Env) planResolved(ctx context.Context, fp *FilePlan) error {
	prevPlans, prevLive := fp.Clusters, fp.live
	fp.Clusters = make([]*plan.ClusterPlan, len(fp.resolved))
	fp.live = make([]*plan.LiveCluster, len(fp.resolved))
	fp.teams = make([]*fileTeams, len(fp.resolved))
	force := map[string]bool{}
	for _, a := range fp.req.Force {
		force[a] = true
	}
	var mu sync.Mutex
	var bad []string
	g, gctx := errgroup.WithContext(ctx)
	// A few clusters at a time per account: each account has its own rate state, so the
	// accounts are read side by side rather than sharing one pool.
	sems := map[string]chan struct{}{}
	failed := make([]error, len(fp.resolved))
	for i, rc := range fp.resolved {
		dc, reach := rc.Cluster, rc.reach
		prune := fp.req.Prune || dc.Prune
		sem, ok := sems[reach.Key()]
		if !ok {
			sem = make(chan struct{}, clustersPerAccount)
			sems[reach.Key()] = sem
		}
		g.Go(func() error {
			select {
			case sem <- struct{}{}:
			case <-gctx.Done():
				return gctx.Err()
			}
			defer func() { <-sem }()
			c, err := e.accountClients(gctx, reach, dc.Region)
			if err != nil {
				failed[i] = err
				return nil
			}
			ro := plan.ReadOptions{Concurrency: fp.req.Concurrency}
			if prevLive != nil && prevLive[i] != nil && prevPlans[i] != nil {
				ro.Known, ro.Stale = prevLive[i].Entries, map[string]bool{}
				for _, pp := range prevPlans[i].Plans {
					if len(pp.Changes) > 0 {
						ro.Stale[pp.Principal] = true
					}
				}
			}
			live, err := plan.ReadCluster(gctx, c.EKS, dc.Name, ro)
			if err != nil {
				if gctx.Err() != nil || reach.IsDefault() {
					return err
				}
				// Another account's cluster that cannot be read fails alone.
				failed[i] = err
				return nil
			}
			if live.Region == "" {
				live.Region = dc.Region
			}
			fp.live[i] = live.LiveCluster
			// The cluster's Kubernetes API is read only for a section with teams, or pruned.
			var teams *fileTeams
			if len(dc.Teams) > 0 || prune {
				if teams, err = e.planFileTeams(gctx, c, &dc, live.LiveCluster, prune); err != nil {
					if gctx.Err() != nil || reach.IsDefault() {
						return err
					}
					failed[i] = err
					return nil
				}
				if len(teams.bad) > 0 {
					mu.Lock()
					bad = append(bad, teams.bad...)
					mu.Unlock()
					return nil
				}
				fp.teams[i] = teams
			}
			ch := &Change{Region: dc.Region, Reach: reach, Live: live.LiveCluster}
			bo := plan.BuildOptions{
				Prune: prune, AuthenticationMode: dc.AuthenticationMode, Now: e.now(),
				Guard: plan.Guard{CallerPrincipalArn: rc.caller.PrincipalArn, Force: force, ForceFlag: "--force", AWSAuth: e.awsAuthReader(ctx, ch)},
			}
			if teams != nil {
				bo.Extra = teams.extra
			}
			cp, err := plan.Build(dc.Name, dc.Desired, live.LiveCluster, bo)
			if err != nil {
				var be *plan.BuildError
				if errors.As(err, &be) {
					mu.Lock()
					for _, p := range be.Problems {
						bad = append(bad, dc.Source+": "+p)
					}
					mu.Unlock()
					return nil
				}
				return err
			}
			cp.Source = dc.Source
			if dc.HyperPod != "" {
				cp.Source += " (hyperpod " + dc.HyperPod + ")"
			}
			if teams != nil {
				cp.Teams = teams.plans
				cp.Notes = append(cp.Notes, teams.notes...)
			}
			fp.Clusters[i] = cp
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
	fp.dropFailed(failed)
	fp.Totals = TotalsOf(fp.Clusters)
	return nil
}

// ApplyResult is what apply did.
type ApplyResult struct {
	Outcome *Outcome `json:"outcome,omitempty"`
	// After is the re-plan: what apply did must leave nothing to do.
	After *FilePlan `json:"-"`
	// Remaining counts the changes the re-plan still shows.
	Remaining int `json:"remainingChanges"`
	// KubeWrites counts the teams' Kubernetes writes made.
	KubeWrites int `json:"kubernetesWrites"`
}

// eachTeam calls f for each team plan that writes, cluster by cluster, stopping at the first
// error.
func (fp *FilePlan) eachTeam(f func(ft *fileTeams, cluster string, tp *plan.TeamPlan, team *rbac.Team) error) error {
	for i, cp := range fp.Clusters {
		ft := fp.teams[i]
		if ft == nil {
			continue
		}
		for k := range cp.Teams {
			if cp.Teams[k].Writes() == 0 {
				continue
			}
			if err := f(ft, cp.Cluster, &cp.Teams[k], ft.teams[k]); err != nil {
				return err
			}
		}
	}
	return nil
}

// ApplyFile executes a plan through the engine (mode switches first, under the same run),
// then plans again to confirm nothing remains. A plan with refusals changes nothing.
func (e *Env) ApplyFile(ctx context.Context, fp *FilePlan) (*ApplyResult, error) {
	if fp.Totals.Refused > 0 {
		var all []plan.Refusal
		for _, cp := range fp.Clusters {
			all = append(all, cp.Refusals...)
		}
		return nil, &RefusedError{Refusals: all}
	}
	var changes []*Change
	for i, cp := range fp.Clusters {
		rc := fp.resolved[i]
		changes = append(changes, &Change{Region: rc.Region, Reach: rc.reach, Live: fp.live[i], Mode: cp.ModeSwitch, Plans: cp.Plans})
	}
	// The teams' objects first, as team add: a member's groups grant once they are bound.
	res := &ApplyResult{}
	if err := fp.eachTeam(func(ft *fileTeams, cluster string, tp *plan.TeamPlan, team *rbac.Team) error {
		if tp.Action == plan.TeamDelete {
			return nil
		}
		res.KubeWrites += tp.Writes()
		return applyTeamObjects(ctx, ft.kube, cluster, team, tp.Objects)
	}); err != nil {
		return res, err
	}
	out, err := e.Run(ctx, fp.caller, changes, RunOptions{Command: "apply", Concurrency: fp.req.Concurrency, Checked: true})
	res.Outcome = out
	if err != nil || out.Failed() {
		return res, err
	}
	// Pruned teams last, as team remove: access first, then the objects.
	if err := fp.eachTeam(func(ft *fileTeams, cluster string, tp *plan.TeamPlan, team *rbac.Team) error {
		if tp.Action != plan.TeamDelete {
			return nil
		}
		res.KubeWrites += tp.Writes()
		return deleteTeamObjects(ctx, ft.kube, cluster, tp.Objects)
	}); err != nil {
		return res, err
	}
	if err := e.planResolved(ctx, fp); err != nil {
		return res, fmt.Errorf("re-plan after apply: %w", err)
	}
	res.After, res.Remaining = fp, fp.Totals.Changes
	return res, nil
}

// dropFailed moves the clusters that could not be read to Failures.
func (fp *FilePlan) dropFailed(failed []error) {
	keep := 0
	for i := range fp.resolved {
		if err := failed[i]; err != nil {
			r := fp.resolved[i].reach
			fp.Failures = append(fp.Failures, AccountFailure{Account: r.Account, Reach: r.String(), Clusters: []string{fp.resolved[i].Source}, Names: []string{fp.resolved[i].Name}, Error: err.Error()})
			continue
		}
		fp.resolved[keep], fp.Clusters[keep], fp.live[keep], fp.teams[keep] = fp.resolved[i], fp.Clusters[i], fp.live[i], fp.teams[i]
		keep++
	}
	fp.resolved, fp.Clusters, fp.live, fp.teams = fp.resolved[:keep], fp.Clusters[:keep], fp.live[:keep], fp.teams[:keep]
}

// AccountFailure is an account, or a cluster of it, that a run could not reach or read. The
// other accounts' clusters are planned and applied without it, and the run exits 1.
type AccountFailure struct {
	Account  string   `json:"account,omitempty"`
	Reach    string   `json:"reach"`
	Clusters []string `json:"clusters"`
	// Names are the clusters' names (a HyperPod cluster's own name before it is resolved).
	Names []string `json:"clusterNames,omitempty"`
	Error string   `json:"error"`
}

func (f AccountFailure) String() string {
	return fmt.Sprintf("%s: %s (clusters not planned: %s)", f.Reach, f.Error, strings.Join(f.Clusters, ", "))
}

// ReachOf is how the file says to reach a cluster's account.
func ReachOf(c *accessfile.Cluster) Reach {
	r := Reach{Account: c.AccountOf(), Profile: c.Profile}
	if c.AssumeRole != nil {
		r.RoleArn, r.ExternalID, r.SessionName = c.AssumeRole.RoleArn, c.AssumeRole.ExternalID, c.AssumeRole.SessionName
	}
	return r
}

// accountGroup is the clusters of a file that one set of credentials reaches.
type accountGroup struct {
	reach   Reach
	indexes []int // into the file's clusters
}

// groupByAccount groups the clusters by reach; a cluster that names the run's own account and
// no other way to reach it is reached with the run's credentials (one rate state per account).
func groupByAccount(cfg *accessfile.Config, own principal.Caller) []*accountGroup {
	var out []*accountGroup
	by := map[string]*accountGroup{}
	for i := range cfg.Clusters {
		r := ReachOf(&cfg.Clusters[i])
		if r.Profile == "" && r.RoleArn == "" && r.Account == own.Account {
			r = Reach{}
		}
		g, ok := by[r.Key()]
		if !ok {
			g = &accountGroup{reach: r}
			by[r.Key()] = g
			out = append(out, g)
		}
		g.indexes = append(g.indexes, i)
	}
	return out
}

// resolvedCluster is a cluster of the file resolved in its account, with who eksaccess is
// there.
type resolvedCluster struct {
	declare.Cluster
	reach  Reach
	caller principal.Caller
}

// resolveFleet resolves every cluster of the file in its own account, the accounts
// concurrently: principals resolve through the IAM of their cluster's account, the guardrails
// use the caller there. Input problems of every account are returned together (bad input,
// nothing changes); an account that cannot be reached is a failure of its clusters only.
func (e *Env) resolveFleet(ctx context.Context, cfg *accessfile.Config, own principal.Caller) ([]resolvedCluster, []AccountFailure, error) {
	groups := groupByAccount(cfg, own)
	results := make([][]declare.Cluster, len(groups))
	callers := make([]principal.Caller, len(groups))
	errs := make([]error, len(groups))
	var wg sync.WaitGroup
	for gi, g := range groups {
		wg.Go(func() {
			caller, err := e.callerIn(ctx, g.reach)
			if wrong := (*wrongAccountError)(nil); errors.As(err, &wrong) {
				errs[gi] = &InputError{Err: fmt.Errorf("%s: %w: fix the cluster's account, or reach account %s with its profile or assumeRole", g.reach, err, g.reach.Account)}
				return
			}
			if err != nil {
				errs[gi] = err
				return
			}
			c, err := e.accountClients(ctx, g.reach, "")
			if err != nil {
				errs[gi] = err
				return
			}
			sub := &accessfile.Config{APIVersion: cfg.APIVersion, Kind: cfg.Kind, File: cfg.File}
			for _, i := range g.indexes {
				sub.Clusters = append(sub.Clusters, cfg.Clusters[i])
			}
			cls, err := declare.Resolve(ctx, sub, declare.Options{
				IAM:    c.IAM,
				Caller: caller,
				Now:    e.now(),
				HyperPod: func(ctx context.Context, name, region string) (awsapi.EKSCluster, error) {
					rc, err := e.accountClients(ctx, g.reach, region)
					if err != nil {
						return awsapi.EKSCluster{}, err
					}
					return awsapi.ResolveHyperPod(ctx, rc.SageMaker, name)
				},
			})
			results[gi], callers[gi], errs[gi] = cls, caller, err
		})
	}
	wg.Wait()

	var ie principal.InputError
	var inputs []string
	var failures []AccountFailure
	out := make([]resolvedCluster, len(cfg.Clusters))
	ok := make([]bool, len(cfg.Clusters))
	for gi, g := range groups {
		if err := errs[gi]; err != nil {
			switch {
			case ie.Merge(err):
			case IsInput(err):
				inputs = append(inputs, err.Error())
			case ctx.Err() != nil, g.reach.IsDefault():
				// The run's own account failing is the run failing, as with one account.
				return nil, nil, err
			default:
				f := AccountFailure{Account: g.reach.Account, Reach: g.reach.String(), Error: err.Error()}
				for _, i := range g.indexes {
					f.Clusters = append(f.Clusters, principal.FileSource(cfg.File, cfg.Clusters[i].Pos.Line).String())
					f.Names = append(f.Names, cmp.Or(cfg.Clusters[i].Name, cfg.Clusters[i].HyperPod))
				}
				failures = append(failures, f)
			}
			continue
		}
		for k, i := range g.indexes {
			out[i], ok[i] = resolvedCluster{Cluster: results[gi][k], reach: g.reach, caller: callers[gi]}, true
		}
	}
	if err := ie.Err(); err != nil && len(inputs) == 0 {
		ie.Sort()
		return nil, nil, &ie
	}
	if err := ie.Err(); err != nil || len(inputs) > 0 {
		var msgs []string
		if err != nil {
			ie.Sort()
			msgs = append(msgs, ie.Error())
		}
		sort.Strings(inputs)
		msgs = append(msgs, inputs...)
		return nil, nil, &InputError{Err: errors.New(strings.Join(msgs, "\n"))}
	}
	var kept []resolvedCluster
	for i := range out {
		if ok[i] {
			kept = append(kept, out[i])
		}
	}
	return kept, failures, nil
}
