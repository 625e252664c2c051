package apply

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"

	"eksaccess/internal/awsapi"
	"eksaccess/internal/plan"
)

// fakeEKS records calls and answers from a script; methods not scripted panic through the
// nil embedded interface.
type fakeEKS struct {
	awsapi.EKS
	mu    sync.Mutex
	calls []string
	// createErr is returned by CreateAccessEntry (e.g. 409: made by an attempt whose answer was lost).
	createErr error
	// assocNotFound: AssociateAccessPolicy answers 404 this many times first (consistency).
	assocNotFound int
}

func (f *fakeEKS) record(op string) {
	f.mu.Lock()
	f.calls = append(f.calls, op)
	f.mu.Unlock()
}

func (f *fakeEKS) CreateAccessEntry(ctx context.Context, in *eks.CreateAccessEntryInput, _ ...func(*eks.Options)) (*eks.CreateAccessEntryOutput, error) {
	f.record("CreateAccessEntry")
	if f.createErr != nil {
		return nil, f.createErr
	}
	return &eks.CreateAccessEntryOutput{AccessEntry: &types.AccessEntry{PrincipalArn: in.PrincipalArn, AccessEntryArn: aws.String("arn:entry")}}, nil
}

func (f *fakeEKS) DescribeAccessEntry(ctx context.Context, in *eks.DescribeAccessEntryInput, _ ...func(*eks.Options)) (*eks.DescribeAccessEntryOutput, error) {
	f.record("DescribeAccessEntry")
	// The entry exists with no groups and without the managed tag.
	return &eks.DescribeAccessEntryOutput{AccessEntry: &types.AccessEntry{PrincipalArn: in.PrincipalArn, Type: aws.String("STANDARD"), AccessEntryArn: aws.String("arn:entry")}}, nil
}

func (f *fakeEKS) ListAssociatedAccessPolicies(ctx context.Context, in *eks.ListAssociatedAccessPoliciesInput, _ ...func(*eks.Options)) (*eks.ListAssociatedAccessPoliciesOutput, error) {
	f.record("ListAssociatedAccessPolicies")
	return &eks.ListAssociatedAccessPoliciesOutput{}, nil
}

func (f *fakeEKS) AssociateAccessPolicy(ctx context.Context, in *eks.AssociateAccessPolicyInput, _ ...func(*eks.Options)) (*eks.AssociateAccessPolicyOutput, error) {
	f.record("AssociateAccessPolicy")
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.assocNotFound > 0 {
		f.assocNotFound--
		return nil, &types.ResourceNotFoundException{Message: aws.String("The specified principalArn could not be found.")}
	}
	return &eks.AssociateAccessPolicyOutput{}, nil
}

func (f *fakeEKS) TagResource(ctx context.Context, in *eks.TagResourceInput, _ ...func(*eks.Options)) (*eks.TagResourceOutput, error) {
	f.record("TagResource")
	return &eks.TagResourceOutput{}, nil
}

func (f *fakeEKS) DeleteAccessEntry(ctx context.Context, in *eks.DeleteAccessEntryInput, _ ...func(*eks.Options)) (*eks.DeleteAccessEntryOutput, error) {
	f.record("DeleteAccessEntry")
	return nil, &types.ResourceNotFoundException{Message: aws.String("gone")}
}

func grantPlan(principal string) plan.PrincipalPlan {
	return plan.DiffEntry("c1", plan.Additive, &plan.DesiredEntry{
		PrincipalArn: principal,
		Tags:         map[string]string{plan.TagManaged: "true"},
		Policies:     []plan.DesiredPolicy{{PolicyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"}},
	}, nil)
}

func noSleep(context.Context, time.Duration) error { return nil }

func TestCreateWhoseAnswerWasLostConverges(t *testing.T) {
	f := &fakeEKS{createErr: &types.ResourceInUseException{Message: aws.String("in use")}}
	sum := Execute(context.Background(), []plan.PrincipalPlan{grantPlan("arn:aws:iam::111122223333:user/alice")}, Options{EKS: f, Sleep: noSleep})
	r := sum.Results[0]
	// The entry existed when this run's create arrived: another process (or a lost answer)
	// made it, so this run reports what it changed on it, not a creation.
	if r.Outcome != Updated || sum.Failed() || len(r.Applied) != 2 {
		t.Fatalf("result %+v", r)
	}
	// 409 → read the entry → tag it (the lost create carried the tag, the found entry lacks it) → associate.
	want := []string{"CreateAccessEntry", "DescribeAccessEntry", "ListAssociatedAccessPolicies", "TagResource", "AssociateAccessPolicy"}
	if len(f.calls) != len(want) {
		t.Fatalf("calls %v, want %v", f.calls, want)
	}
	for i := range want {
		if f.calls[i] != want[i] {
			t.Fatalf("calls %v, want %v", f.calls, want)
		}
	}
}

func TestAssociateRetriesWhileEntryIsNotYetVisible(t *testing.T) {
	f := &fakeEKS{assocNotFound: 2}
	sum := Execute(context.Background(), []plan.PrincipalPlan{grantPlan("arn:aws:iam::111122223333:user/bob")}, Options{EKS: f, Sleep: noSleep})
	if sum.Results[0].Outcome != Created {
		t.Fatalf("result %+v", sum.Results[0])
	}
	if n := count(f.calls, "AssociateAccessPolicy"); n != 3 {
		t.Fatalf("AssociateAccessPolicy called %d times, want 3 (two 404s, then success)", n)
	}
}

func TestDeleteOfMissingEntryIsAlreadyDone(t *testing.T) {
	f := &fakeEKS{}
	live := &plan.LiveEntry{PrincipalArn: "arn:aws:iam::111122223333:user/carol", Type: "STANDARD"}
	sum := Execute(context.Background(), []plan.PrincipalPlan{plan.DeleteEntry("c1", live, "")}, Options{EKS: f, Sleep: noSleep})
	if sum.Results[0].Outcome != Deleted || sum.Failed() {
		t.Fatalf("result %+v", sum.Results[0])
	}
}

func TestCancelledRunStartsNothing(t *testing.T) {
	f := &fakeEKS{}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	plans := []plan.PrincipalPlan{grantPlan("arn:aws:iam::111122223333:user/a"), grantPlan("arn:aws:iam::111122223333:user/b")}
	sum := Execute(ctx, plans, Options{EKS: f, Sleep: noSleep, Concurrency: 1})
	if !sum.Interrupted || len(f.calls) != 0 {
		t.Fatalf("interrupted=%v calls=%v", sum.Interrupted, f.calls)
	}
	for _, r := range sum.Results {
		if r.Outcome != NotRun || len(r.Remaining) != 2 {
			t.Fatalf("result %+v", r)
		}
	}
}

func count(calls []string, op string) int {
	n := 0
	for _, c := range calls {
		if c == op {
			n++
		}
	}
	return n
}
