package usecase

import (
	"context"
	"fmt"
	"sync"
	"time"

	"eksaccess/internal/awsapi"
	"eksaccess/internal/principal"
)

// CheckUnreachable is a cluster whose account (or the cluster itself) could not be reached
// or read: nothing about it was checked.
const CheckUnreachable = "unreachable"

// doctorTarget is one cluster to examine and how to reach its account.
type doctorTarget struct {
	name, region string
	hyperpod     string
	reach        Reach
}

// doctorExam is what examining one target gave.
type doctorExam struct {
	cluster  string
	findings []Finding
	notes    []string
	change   *Change
	err      error // the run's own account failing: the run fails
}

// doctorTargets are the clusters named on the command line (the run's account), or the
// file's, each with the reach the file gives its account.
func (e *Env) doctorTargets(ctx context.Context, r DoctorRequest) ([]doctorTarget, error) {
	var out []doctorTarget
	if r.File == "" {
		for _, n := range r.Clusters {
			out = append(out, doctorTarget{name: n})
		}
		return out, nil
	}
	cfg, own, err := e.loadFileAs(ctx, r.File, r.AllowOutsidePaths)
	if err != nil {
		return nil, err
	}
	reaches := map[int]Reach{}
	for _, g := range groupByAccount(cfg, own) {
		for _, i := range g.indexes {
			reaches[i] = g.reach
		}
	}
	for i, cl := range cfg.Clusters {
		out = append(out, doctorTarget{name: cl.Name, region: cl.Region, hyperpod: cl.HyperPod, reach: reaches[i]})
	}
	return out, nil
}

// examineTargets examines every target, the accounts concurrently (one account's clusters
// one after another, as before), each through its own clients and with who eksaccess is
// there. A cluster of another account that cannot be reached or read is a finding; one of
// the run's own account fails the run, as with one account.
func (e *Env) examineTargets(ctx context.Context, r DoctorRequest, targets []doctorTarget, now time.Time) []doctorExam {
	out := make([]doctorExam, len(targets))
	byReach := map[string][]int{}
	var order []string
	for i, t := range targets {
		k := t.reach.Key()
		if _, ok := byReach[k]; !ok {
			order = append(order, k)
		}
		byReach[k] = append(byReach[k], i)
	}
	var wg sync.WaitGroup
	for _, k := range order {
		idx := byReach[k]
		reach := targets[idx[0]].reach
		wg.Go(func() {
			caller, err := e.callerIn(ctx, reach)
			for _, i := range idx {
				if err != nil {
					out[i] = e.unreachable(targets[i], err)
					continue
				}
				out[i] = e.examineTarget(ctx, r, targets[i], caller, now)
			}
		})
	}
	wg.Wait()
	return out
}

// examineTarget reads one cluster in its account and runs every check on it.
func (e *Env) examineTarget(ctx context.Context, r DoctorRequest, t doctorTarget, caller principal.Caller, now time.Time) doctorExam {
	c, err := e.accountClients(ctx, t.reach, t.region)
	name := t.name
	if err == nil && t.hyperpod != "" {
		var ec awsapi.EKSCluster
		if ec, err = awsapi.ResolveHyperPod(ctx, c.SageMaker, t.hyperpod); err == nil {
			name = ec.Name
		}
	}
	if err != nil {
		return e.unreachable(t, err)
	}
	live, err := readCluster(ctx, c, name, r.Concurrency)
	if err != nil {
		return e.unreachable(doctorTarget{name: name, reach: t.reach}, err)
	}
	fs, plans, notes := e.examine(ctx, c, caller, live, now, r.Concurrency)
	x := doctorExam{cluster: name, findings: fs, notes: notes}
	if len(plans) > 0 {
		x.change = &Change{Region: t.region, Reach: t.reach, Live: live, Plans: plans}
	}
	return x
}

// unreachable is the finding of a cluster that could not be examined (or, for the run's
// own account, the run's error).
func (e *Env) unreachable(t doctorTarget, err error) doctorExam {
	name := t.name
	if name == "" {
		name = t.hyperpod
	}
	if t.reach.IsDefault() || ctxErr(err) {
		return doctorExam{cluster: name, err: err}
	}
	return doctorExam{cluster: name, findings: []Finding{{Severity: "error", Check: CheckUnreachable, Cluster: name,
		Message:  fmt.Sprintf("the cluster could not be examined through %s", t.reach),
		Evidence: err.Error(),
		Fix:      "check the cluster's account, profile and assumeRole in the file (the role must trust your credentials and allow eks:DescribeCluster, eks:ListAccessEntries, eks:DescribeAccessEntry and eks:ListAssociatedAccessPolicies)"}}}
}

func ctxErr(err error) bool {
	return err == context.Canceled || err == context.DeadlineExceeded
}
