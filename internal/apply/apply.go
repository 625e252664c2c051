// Package apply executes plans: concurrently across principals, in order within one
// principal, under the shared rate limit and the SDK's retries, waiting out EKS/IAM eventual
// consistency, journaling every change. Every step is idempotent, so a run that was
// interrupted or answered by a dropped connection finishes on re-run without duplicates.
package apply

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	smithy "github.com/aws/smithy-go"

	"eksaccess/internal/awsapi"
	"eksaccess/internal/plan"
)

// Outcome of one principal's plan.
type Outcome string

// Outcomes.
const (
	Created   Outcome = "created"
	Updated   Outcome = "updated"
	Deleted   Outcome = "deleted"
	Unchanged Outcome = "unchanged"
	Failed    Outcome = "failed"
	NotRun    Outcome = "not run" // the run was interrupted before this principal started
)

// Result is what happened to one principal.
type Result struct {
	Cluster   string        `json:"cluster"`
	Principal string        `json:"principal"`
	Source    string        `json:"source,omitempty"`
	Outcome   Outcome       `json:"outcome"`
	Applied   []plan.Change `json:"applied,omitempty"`
	Remaining []plan.Change `json:"remaining,omitempty"`
	Error     string        `json:"error,omitempty"`
}

// Summary is the result of a run.
type Summary struct {
	Results     []Result `json:"results"`
	Interrupted bool     `json:"interrupted"`
}

// Count returns how many principals ended with outcome o.
func (s *Summary) Count(o Outcome) int {
	n := 0
	for _, r := range s.Results {
		if r.Outcome == o {
			n++
		}
	}
	return n
}

// Failed reports whether any principal failed or was not run.
func (s *Summary) Failed() bool { return s.Count(Failed) > 0 || s.Count(NotRun) > 0 || s.Interrupted }

// Progress is told about each principal as it finishes.
type Progress interface {
	Add(n int)
}

// Options configure Execute.
type Options struct {
	EKS         awsapi.EKS
	Concurrency int
	Journal     *Journal
	Progress    Progress
	// ConsistencyWait bounds how long eventual-consistency answers are retried
	// (a new principal refused as invalid; a new entry not yet found). Default 2 minutes.
	ConsistencyWait time.Duration
	// CallTimeout bounds one API call (with the SDK's retries). Default 2 minutes.
	CallTimeout time.Duration
	Sleep       func(ctx context.Context, d time.Duration) error
}

// Execute runs the plans. Cancelling ctx (Ctrl-C) lets in-flight calls finish and starts
// nothing new; the summary says what remains.
func Execute(ctx context.Context, plans []plan.PrincipalPlan, o Options) *Summary {
	if o.Concurrency <= 0 {
		o.Concurrency = 16
	}
	if o.ConsistencyWait == 0 {
		o.ConsistencyWait = 2 * time.Minute
	}
	if o.CallTimeout == 0 {
		o.CallTimeout = 2 * time.Minute
	}
	if o.Sleep == nil {
		o.Sleep = Sleep
	}
	sum := &Summary{Results: make([]Result, len(plans))}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < o.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				sum.Results[i] = runPrincipal(ctx, plans[i], &o)
				if o.Progress != nil {
					o.Progress.Add(1)
				}
			}
		}()
	}
	next := 0
feed:
	for ; next < len(plans); next++ {
		select {
		case <-ctx.Done():
			break feed
		case jobs <- next:
		}
	}
	close(jobs)
	wg.Wait()
	for i := next; i < len(plans); i++ {
		p := plans[i]
		sum.Results[i] = Result{Cluster: p.Cluster(), Principal: p.Principal, Source: p.Source, Outcome: NotRun, Remaining: p.Changes}
	}
	sum.Interrupted = ctx.Err() != nil
	return sum
}

func runPrincipal(ctx context.Context, p plan.PrincipalPlan, o *Options) Result {
	res := Result{Cluster: p.Cluster(), Principal: p.Principal, Source: p.Source}
	if len(p.Changes) == 0 {
		res.Outcome = Unchanged
		return res
	}
	// Calls run on a context that Ctrl-C does not cancel, so an in-flight call finishes and
	// its result is known; ctx is checked before each new call.
	// The run's own context rides along so the consistency back-off (a wait between calls,
	// not a call in flight) stops on Ctrl-C instead of sleeping through up to
	// ConsistencyWait (reliability TestSIGINTDuringConsistencyWait).
	callCtx := context.WithValue(context.WithoutCancel(ctx), interruptKey{}, ctx)
	st := &principalState{}
	changes := p.Changes
	for i := 0; i < len(changes); i++ {
		c := changes[i]
		if ctx.Err() != nil {
			res.Remaining = changes[i:]
			res.Outcome = NotRun
			if len(res.Applied) > 0 {
				res.Outcome = Failed
			}
			res.Error = "interrupted before this change started"
			return res
		}
		extra, already, err := o.do(callCtx, c, st)
		rec := Record{Cluster: c.Cluster, Principal: c.Principal, Action: string(c.Action), Result: "ok"}
		if c.Policy != nil {
			rec.Policy = c.Policy.PolicyArn
			rec.Scope = c.Policy.ScopeType()
			if len(c.Policy.Namespaces) > 0 {
				rec.Scope += ":" + strings.Join(c.Policy.Namespaces, ",")
			}
		}
		if already {
			rec.Result = "already"
		}
		if err != nil {
			rec.Result = "failed"
			rec.Error = err.Error()
			o.Journal.Write(rec)
			res.Outcome = Failed
			res.Error = fmt.Sprintf("%s: %v", c.Action, err)
			res.Remaining = changes[i:]
			return res
		}
		o.Journal.Write(rec)
		if !(already && c.Action == plan.ActCreate) {
			// An entry that turned out to exist was not created by this run: another
			// process (or an attempt whose answer was lost) made it, and only what this run
			// changed on it counts.
			res.Applied = append(res.Applied, c)
		}
		if len(extra) > 0 {
			// Splice in follow-up changes (an entry found existing on create).
			rest := append(append([]plan.Change{}, extra...), changes[i+1:]...)
			changes = append(changes[:i+1:i+1], rest...)
		}
	}
	res.Outcome = outcomeOf(p, res.Applied)
	return res
}

func outcomeOf(p plan.PrincipalPlan, applied []plan.Change) Outcome {
	if len(applied) == 0 {
		return Unchanged
	}
	for _, c := range applied {
		if c.Action == plan.ActDelete {
			return Deleted
		}
	}
	for _, c := range applied {
		if c.Action == plan.ActCreate && !p.Exists {
			return Created
		}
	}
	return Updated
}

type principalState struct {
	entryArn string
}

// do performs one change. It returns follow-up changes to run next, and whether the change
// had already been made (by an earlier attempt or another run).
func (o *Options) do(ctx context.Context, c plan.Change, st *principalState) ([]plan.Change, bool, error) {
	cluster, principal := aws.String(c.Cluster), aws.String(c.Principal)
	switch c.Action {
	case plan.ActCreate:
		e := c.Entry
		in := &eks.CreateAccessEntryInput{ClusterName: cluster, PrincipalArn: principal, Tags: e.Tags}
		if e.Type != "" && e.Type != "STANDARD" {
			in.Type = aws.String(e.Type)
		}
		if len(e.KubernetesGroups) > 0 {
			in.KubernetesGroups = e.KubernetesGroups
		}
		if e.Username != nil {
			in.Username = e.Username
		}
		var out *eks.CreateAccessEntryOutput
		err := o.retryConsistency(ctx, func(ctx context.Context) error {
			var err error
			out, err = o.EKS.CreateAccessEntry(ctx, in)
			return err
		}, isPrincipalNotYetValid)
		var inUse *types.ResourceInUseException
		if errors.As(err, &inUse) {
			// Made by an earlier attempt whose answer was lost, or by someone else: converge it.
			live, rerr := plan.ReadEntry(ctx, o.EKS, c.Cluster, c.Principal)
			if rerr != nil {
				return nil, false, rerr
			}
			if live == nil {
				return nil, false, fmt.Errorf("entry reported as existing but not found: %w", err)
			}
			st.entryArn = live.AccessEntryArn
			fix := plan.DiffEntry(c.Cluster, plan.Additive, &plan.DesiredEntry{
				PrincipalArn: c.Principal, Type: e.Type, Username: e.Username, KubernetesGroups: e.KubernetesGroups, Tags: e.Tags,
			}, live)
			return fix.Changes, true, nil
		}
		if err != nil {
			return nil, false, err
		}
		if out.AccessEntry != nil {
			st.entryArn = aws.ToString(out.AccessEntry.AccessEntryArn)
		}
		return nil, false, nil
	case plan.ActAssociate, plan.ActRescope:
		p := c.Policy
		scope := &types.AccessScope{Type: types.AccessScopeTypeCluster}
		if len(p.Namespaces) > 0 {
			scope = &types.AccessScope{Type: types.AccessScopeTypeNamespace, Namespaces: p.Namespaces}
		}
		err := o.retryConsistency(ctx, func(ctx context.Context) error {
			_, err := o.EKS.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{
				ClusterName: cluster, PrincipalArn: principal, PolicyArn: aws.String(p.PolicyArn), AccessScope: scope,
			})
			return err
		}, isNotFound)
		return nil, false, err
	case plan.ActDisassociate:
		_, err := o.call(ctx, func(ctx context.Context) error {
			_, err := o.EKS.DisassociateAccessPolicy(ctx, &eks.DisassociateAccessPolicyInput{ClusterName: cluster, PrincipalArn: principal, PolicyArn: aws.String(c.Policy.PolicyArn)})
			return err
		})
		if isNotFound(err) {
			return nil, true, nil
		}
		return nil, false, err
	case plan.ActDelete:
		_, err := o.call(ctx, func(ctx context.Context) error {
			_, err := o.EKS.DeleteAccessEntry(ctx, &eks.DeleteAccessEntryInput{ClusterName: cluster, PrincipalArn: principal})
			return err
		})
		if isNotFound(err) {
			return nil, true, nil
		}
		return nil, false, err
	case plan.ActUpdate:
		in := &eks.UpdateAccessEntryInput{ClusterName: cluster, PrincipalArn: principal, Username: c.Username}
		if c.Groups != nil {
			in.KubernetesGroups = c.Groups
		}
		_, err := o.call(ctx, func(ctx context.Context) error {
			_, err := o.EKS.UpdateAccessEntry(ctx, in)
			return err
		})
		return nil, false, err
	case plan.ActTag, plan.ActUntag:
		arn := c.EntryArn
		if arn == "" {
			arn = st.entryArn
		}
		if arn == "" {
			live, err := plan.ReadEntry(ctx, o.EKS, c.Cluster, c.Principal)
			if err != nil {
				return nil, false, err
			}
			if live == nil {
				return nil, false, fmt.Errorf("entry not found")
			}
			arn = live.AccessEntryArn
		}
		_, err := o.call(ctx, func(ctx context.Context) error {
			var err error
			if c.Action == plan.ActTag {
				_, err = o.EKS.TagResource(ctx, &eks.TagResourceInput{ResourceArn: aws.String(arn), Tags: c.Tags})
			} else {
				_, err = o.EKS.UntagResource(ctx, &eks.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: c.TagKeys})
			}
			return err
		})
		return nil, false, err
	}
	return nil, false, fmt.Errorf("unknown change %q", c.Action)
}

// call runs one API call with the per-call timeout.
func (o *Options) call(ctx context.Context, fn func(context.Context) error) (bool, error) {
	cctx, cancel := context.WithTimeout(ctx, o.CallTimeout)
	defer cancel()
	return true, fn(cctx)
}

// retryConsistency runs fn, retrying while transient(err) holds, with jittered backoff, for
// up to ConsistencyWait: EKS refuses a just-created IAM principal, and may not find an entry
// created a moment ago.
func (o *Options) retryConsistency(ctx context.Context, fn func(context.Context) error, transient func(error) bool) error {
	deadline := time.Now().Add(o.ConsistencyWait)
	delay := 250 * time.Millisecond
	for {
		_, err := o.call(ctx, fn)
		if err == nil || !transient(err) || time.Now().Add(delay).After(deadline) {
			return err
		}
		d := delay/2 + time.Duration(rand.Int64N(int64(delay)))
		if serr := o.Sleep(interruptible(ctx), d); serr != nil {
			return err
		}
		if delay < 4*time.Second {
			delay *= 2
		}
	}
}

// interruptKey carries the run's cancellable context inside a call context that Ctrl-C
// does not cancel.
type interruptKey struct{}

// interruptible is the context to wait on between calls: the run's own when ctx carries it.
func interruptible(ctx context.Context) context.Context {
	if ic, ok := ctx.Value(interruptKey{}).(context.Context); ok {
		return ic
	}
	return ctx
}

func isNotFound(err error) bool {
	var nf *types.ResourceNotFoundException
	return errors.As(err, &nf)
}

// isPrincipalNotYetValid: EKS answers InvalidParameterException for an IAM principal it
// cannot see yet. eksaccess checked every principal exists in IAM before the first change,
// so this answer means "not propagated yet".
func isPrincipalNotYetValid(err error) bool {
	var ip *types.InvalidParameterException
	if errors.As(err, &ip) {
		return strings.Contains(strings.ToLower(aws.ToString(ip.Message)), "principal")
	}
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "InvalidParameterException" && strings.Contains(strings.ToLower(ae.ErrorMessage()), "principal")
}

// SwitchMode calls UpdateClusterConfig and waits until DescribeCluster reports the new mode
// (EKS applies it asynchronously; access-entry calls fail until it has): every 5 seconds
// (sleep) for up to 15 minutes (now, the run's clock). Journaled.
func SwitchMode(ctx context.Context, api awsapi.EKS, j *Journal, cluster, mode string, now func() time.Time, sleep func(context.Context, time.Duration) error) error {
	rec := Record{Cluster: cluster, Action: "authentication-mode", Scope: mode, Result: "ok"}
	_, err := api.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{
		Name: aws.String(cluster), AccessConfig: &types.UpdateAccessConfigRequest{AuthenticationMode: types.AuthenticationMode(mode)},
	})
	if err != nil {
		rec.Result, rec.Error = "failed", err.Error()
		j.Write(rec)
		return fmt.Errorf("switch %s to %s: %w", cluster, mode, err)
	}
	j.Write(rec)
	deadline := now().Add(15 * time.Minute)
	for {
		out, err := api.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(cluster)})
		if err != nil {
			return plan.ClusterError(cluster, err)
		}
		if out.Cluster != nil && out.Cluster.AccessConfig != nil && string(out.Cluster.AccessConfig.AuthenticationMode) == mode {
			return nil
		}
		if now().After(deadline) {
			return fmt.Errorf("cluster %s has not reached authentication mode %s after 15 minutes: check `aws eks describe-cluster --name %s`", cluster, mode, cluster)
		}
		if err := sleep(ctx, 5*time.Second); err != nil {
			return err
		}
	}
}

// Sleep waits d, or until ctx is done.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
