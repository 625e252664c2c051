package usecase

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/google/uuid"

	"eksaccess/internal/apply"
	"eksaccess/internal/awsapi"
	"eksaccess/internal/awsauth"
	"eksaccess/internal/plan"
	"eksaccess/internal/principal"
)

// Change is what a job wants to do to one cluster: the mode switch (first), then the
// principal plans. Live is the cluster as read before planning.
type Change struct {
	Region string
	// Reach is how to reach the cluster's account (zero: the run's credentials).
	Reach Reach
	Live  *plan.LiveCluster
	Mode  *plan.ModeSwitch
	Plans []plan.PrincipalPlan
}

// pending counts the API calls the change makes.
func (c *Change) pending() int {
	return (&plan.ClusterPlan{ModeSwitch: c.Mode, Plans: c.Plans}).Changes()
}

// RefusedError is a plan that breaks an invariant: nothing was changed.
type RefusedError struct{ Refusals []plan.Refusal }

func (e *RefusedError) Error() string {
	msgs := make([]string, len(e.Refusals))
	for i, r := range e.Refusals {
		msgs[i] = r.Error()
	}
	return "nothing was changed: " + strings.Join(msgs, "\n")
}

// Check evaluates the invariants on the state the changes lead to, for every cluster. The
// same check runs for every job; force names the principals (or clusters) whose protection
// the admin drops knowingly.
func (e *Env) Check(ctx context.Context, caller principal.Caller, changes []*Change, force []string) ([]plan.Refusal, error) {
	fm := map[string]bool{}
	for _, f := range force {
		fm[f] = true
	}
	var out []plan.Refusal
	for _, ch := range changes {
		if ch.pending() == 0 {
			continue
		}
		// The caller's own admin path is the one of who eksaccess is in the cluster's account.
		who := caller
		if !ch.Reach.IsDefault() {
			var err error
			if who, err = e.callerFor(ctx, ch.Reach); err != nil {
				return nil, err
			}
		}
		g := plan.Guard{CallerPrincipalArn: who.PrincipalArn, Force: fm, ForceFlag: "--force", AWSAuth: e.awsAuthReader(ctx, ch)}
		out = append(out, plan.Check(ch.Live, ch.Plans, ch.Mode, g)...)
	}
	return out, nil
}

// awsAuthReader reads the cluster's aws-auth mappings when an invariant needs them.
func (e *Env) awsAuthReader(ctx context.Context, ch *Change) func() ([]plan.Mapping, error) {
	if e.ReadAWSAuth == nil {
		return nil
	}
	return func() ([]plan.Mapping, error) {
		c, err := e.accountClients(ctx, ch.Reach, ch.Region)
		if err != nil {
			return nil, err
		}
		data, err := e.ReadAWSAuth(ctx, c, ch.Live.Name)
		if errors.Is(err, ErrNoAWSAuth) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		cm, err := awsauth.Parse("aws-auth (cluster "+ch.Live.Name+")", data)
		if err != nil {
			return nil, err
		}
		var out []plan.Mapping
		for _, r := range cm.Roles {
			out = append(out, plan.Mapping{Arn: r.RoleARN, Groups: r.Groups})
		}
		for _, u := range cm.Users {
			out = append(out, plan.Mapping{Arn: u.UserARN, Groups: u.Groups})
		}
		return out, nil
	}
}

// Outcome is what a change run did.
type Outcome struct {
	DryRun   bool                 `json:"dryRun,omitempty"`
	Changes  []*Change            `json:"-"`
	Plans    []plan.PrincipalPlan `json:"plans,omitempty"`
	Modes    map[string]string    `json:"authenticationModes,omitempty"`
	Summary  *apply.Summary       `json:"summary,omitempty"`
	Pending  int                  `json:"pending"`
	Refusals []plan.Refusal       `json:"refusals,omitempty"`
}

// Failed reports a run that did not do everything.
func (o *Outcome) Failed() bool { return o.Summary != nil && o.Summary.Failed() }

// Interrupted reports a run stopped by a signal.
func (o *Outcome) Interrupted() bool { return o.Summary != nil && o.Summary.Interrupted }

// RunOptions tune Run.
type RunOptions struct {
	Command     string
	DryRun      bool
	Force       []string
	Concurrency int
	// Checked: the caller already ran Check (apply shows refusals in its plan).
	Checked bool
	// Journal: a run the job already began (role create journals its IAM steps in it);
	// nil opens one.
	Journal *apply.Journal
}

// beginRun opens the journal (before the first change) and records the run's start.
func (e *Env) beginRun(caller principal.Caller, command string) (*apply.Journal, error) {
	j, err := apply.OpenJournal(e.JournalPath, uuid.NewString(), caller.Arn, command)
	if err != nil {
		return nil, err
	}
	j.Write(apply.Record{Action: "run", Result: "started"})
	return j, nil
}

// endRun records how the run ended and closes the journal.
func endRun(ctx context.Context, j *apply.Journal, interrupted bool) {
	result := "finished"
	if interrupted || ctx.Err() != nil {
		result = "interrupted"
	}
	j.Write(apply.Record{Action: "run", Result: result})
	j.Close()
}

// Run is the one engine every change goes through: check the invariants on the resulting
// state (refused: nothing changes), then — unless a dry run — open the journal (before the
// first change), record the run's start, switch authentication modes, execute the plans
// concurrently, and record how the run ended (finished, or interrupted).
func (e *Env) Run(ctx context.Context, caller principal.Caller, changes []*Change, o RunOptions) (*Outcome, error) {
	out := &Outcome{DryRun: o.DryRun, Changes: changes}
	for _, ch := range changes {
		out.Plans = append(out.Plans, ch.Plans...)
		out.Pending += ch.pending()
	}
	if !o.Checked {
		refusals, err := e.Check(ctx, caller, changes, o.Force)
		if err != nil {
			return nil, err
		}
		if len(refusals) > 0 {
			out.Refusals = refusals
			return out, &RefusedError{Refusals: refusals}
		}
	}
	if o.DryRun {
		return out, nil
	}
	if out.Pending == 0 {
		// Nothing to do: no journal record, no call; every principal is unchanged.
		out.Summary = &apply.Summary{Results: []apply.Result{}}
		for _, pp := range out.Plans {
			out.Summary.Results = append(out.Summary.Results, apply.Result{Cluster: pp.Cluster(), Principal: pp.Principal, Source: pp.Source, Outcome: apply.Unchanged})
		}
		return out, nil
	}
	j := o.Journal
	finish := func(*apply.Summary) {}
	if j == nil {
		var err error
		if j, err = e.beginRun(caller, o.Command); err != nil {
			return nil, err
		}
		finish = func(sum *apply.Summary) { endRun(ctx, j, sum != nil && sum.Interrupted) }
	}
	for _, ch := range changes {
		if ch.Mode == nil {
			continue
		}
		c, err := e.accountClients(ctx, ch.Reach, ch.Region)
		if err != nil {
			finish(nil)
			return nil, err
		}
		if err := apply.SwitchMode(ctx, c.EKS, j, ch.Live.Name, ch.Mode.To, e.now, e.sleep); err != nil {
			finish(nil)
			return out, fmt.Errorf("%w; no access entry was changed: fix the cause and run again", err)
		}
		if out.Modes == nil {
			out.Modes = map[string]string{}
		}
		out.Modes[ch.Live.Name] = ch.Mode.To
	}
	// One group per (account, region), executed concurrently: each has its own clients and
	// rate state, and a group whose account cannot be reached fails alone.
	type group struct {
		reach  Reach
		region string
		plans  []plan.PrincipalPlan
		sum    apply.Summary
	}
	var groups []*group
	byKey := map[string]*group{}
	n := 0
	for _, ch := range changes {
		k := ch.Reach.Key() + "@" + ch.Region
		g, ok := byKey[k]
		if !ok {
			g = &group{reach: ch.Reach, region: ch.Region}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.plans = append(g.plans, ch.Plans...)
		n += len(ch.Plans)
	}
	var prog apply.Progress
	done := func() {}
	if e.Progress != nil {
		prog, done = e.Progress(n, o.Command)
	}
	var wg sync.WaitGroup
	for _, g := range groups {
		wg.Go(func() {
			c, err := e.accountClients(ctx, g.reach, g.region)
			if err != nil {
				for _, pp := range g.plans {
					g.sum.Results = append(g.sum.Results, apply.Result{Cluster: pp.Cluster(), Principal: pp.Principal, Source: pp.Source, Outcome: apply.Failed, Remaining: pp.Changes, Error: err.Error()})
				}
				return
			}
			g.sum = *apply.Execute(ctx, g.plans, apply.Options{EKS: c.EKS, Concurrency: o.Concurrency, Journal: j, Progress: prog})
		})
	}
	wg.Wait()
	total := &apply.Summary{}
	for _, g := range groups {
		total.Results = append(total.Results, g.sum.Results...)
		total.Interrupted = total.Interrupted || g.sum.Interrupted
	}
	done()
	finish(total)
	out.Summary = total
	return out, nil
}

// readCluster reads a cluster's access (all entries: the invariants need the whole cluster).
func readCluster(ctx context.Context, c *awsapi.Clients, cluster string, conc int) (*plan.LiveCluster, error) {
	return readEntries(ctx, c, cluster, conc, nil)
}

// readEntries reads the cluster with only the named entries described (nil: all). A plan
// that only adds — a grant — cannot break an invariant, so it needs no more than its
// principals' entries: a grant to one user of a 2,000-entry cluster costs a few calls.
func readEntries(ctx context.Context, c *awsapi.Clients, cluster string, conc int, only map[string]bool) (*plan.LiveCluster, error) {
	live, err := plan.ReadCluster(ctx, c.EKS, cluster, plan.ReadOptions{Concurrency: conc, Only: only})
	if err != nil {
		return nil, err
	}
	if live.Region == "" {
		live.Region = c.Config.Region
	}
	return live.LiveCluster, nil
}
