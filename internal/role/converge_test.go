package role

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	smithy "github.com/aws/smithy-go"
)

const (
	acct      = "111122223333"
	policyArn = "arn:aws:iam::111122223333:policy/EKSFullAccessPolicy"
	roleArn   = "arn:aws:iam::111122223333:role/EKSFullAccessRole"
	rootArn   = "arn:aws:iam::111122223333:root"
)

func spec() Spec {
	return Spec{RoleName: DefaultRoleName, PolicyName: DefaultPolicyName, Actions: []string{DefaultAction}, Trust: []string{rootArn}}
}

func statuses(r *Result) string {
	var parts []string
	for _, s := range r.Steps {
		p := s.Resource + "=" + string(s.Status)
		if len(s.Changes) > 0 {
			p += "(" + strings.Join(s.Changes, "; ") + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}

func converge(t *testing.T, f *fakeIAM, s Spec, dry bool) *Result {
	t.Helper()
	f.calls = nil
	r, err := Converge(context.Background(), f, s, Options{Account: acct, Partition: "aws", DryRun: dry})
	if err != nil {
		t.Fatalf("Converge: %v", err)
	}
	return r
}

// convergeSteps runs Converge and checks the steps it reports (as statuses prints them) and
// the mutating calls it made, in order (nil: none).
func convergeSteps(t *testing.T, f *fakeIAM, s Spec, dry bool, label, want string, mutations []string) *Result {
	t.Helper()
	r := converge(t, f, s, dry)
	if got := statuses(r); got != want {
		t.Errorf("%s: %s\nwant %s", label, got, want)
	}
	if got := f.mutations(); !reflect.DeepEqual(got, mutations) {
		t.Errorf("%s: mutating calls %v, want %v", label, got, mutations)
	}
	return r
}

func TestConvergeCreatesThenChangesNothing(t *testing.T) {
	f := newFakeIAM()
	s := spec()
	s.MaxSession = 7200

	convergeSteps(t, f, s, true, "dry run", "policy=created role=created attachment=created", nil)

	r := convergeSteps(t, f, s, false, "first run", "policy=created role=created attachment=created",
		[]string{"CreatePolicy EKSFullAccessPolicy /", "CreateRole EKSFullAccessRole / max=7200", "AttachRolePolicy"})
	if r.RoleArn != roleArn || r.PolicyArn != policyArn || !r.Changed() {
		t.Errorf("result = %+v", r)
	}
	wantCalls := []string{"GetPolicy", "GetRole", "CreatePolicy EKSFullAccessPolicy /", "CreateRole EKSFullAccessRole / max=7200", "AttachRolePolicy"}
	if !reflect.DeepEqual(f.calls, wantCalls) {
		t.Errorf("first run calls:\n got %v\nwant %v", f.calls, wantCalls)
	}
	if got, want := *f.roles[DefaultRoleName].AssumeRolePolicyDocument, TrustPolicy([]string{rootArn}, false); got != want {
		t.Errorf("trust policy = %s, want %s", got, want)
	}

	r = convergeSteps(t, f, s, false, "second run", "policy=unchanged role=unchanged attachment=unchanged", nil)
	if r.Changed() {
		t.Errorf("second run changed: %+v", r)
	}
}

func TestConvergeUpdates(t *testing.T) {
	f := newFakeIAM()
	converge(t, f, spec(), false)

	s := spec()
	s.Actions = []string{"eks:Describe*", "eks:List*"}
	s.RequireMFA = true
	s.MaxSession = 4 * 3600
	s.Trust = []string{rootArn, "arn:aws:iam::444455556666:root"}
	convergeSteps(t, f, s, true, "dry run", "policy=updated(new default version (actions eks:Describe*,eks:List*)) role=updated(trust policy; max session 1h0m0s -> 4h0m0s) attachment=unchanged", nil)
	convergeSteps(t, f, s, false, "update", "policy=updated(default version v1 -> v2) role=updated(trust policy; max session 1h0m0s -> 4h0m0s) attachment=unchanged",
		[]string{"CreatePolicyVersion", "UpdateAssumeRolePolicy", "UpdateRole max=14400"})
	if got, want := *f.roles[DefaultRoleName].AssumeRolePolicyDocument, TrustPolicy(s.Trust, true); got != want {
		t.Errorf("trust policy = %s, want %s", got, want)
	}
	r := converge(t, f, s, false)
	if r.Changed() || f.mutations() != nil {
		t.Errorf("third run changed: %s %v", statuses(r), f.mutations())
	}
}

func TestConvergePrunesOldestVersionAtLimit(t *testing.T) {
	f := newFakeIAM()
	converge(t, f, spec(), false)
	p := f.policies[policyArn]
	// Five versions, the default (v3) in the middle: v1 is the oldest non-default.
	for i := 2; i <= 5; i++ {
		p.versions = append(p.versions, types.PolicyVersion{VersionId: aws.String(fmt.Sprintf("v%d", i)), Document: aws.String(PermissionsPolicy([]string{fmt.Sprintf("eks:Op%d", i)})), CreateDate: f.tick()})
	}
	p.def, p.next = "v3", 5
	s := spec()
	convergeSteps(t, f, s, false, "at the version limit", "policy=updated(default version v3 -> v6; deleted old version v1) role=unchanged attachment=unchanged",
		[]string{"CreatePolicyVersion", "DeletePolicyVersion v1", "CreatePolicyVersion"})
}

func TestConvergeReattachesAndRefusesMovedRole(t *testing.T) {
	f := newFakeIAM()
	converge(t, f, spec(), false)
	f.attached[DefaultRoleName] = nil
	convergeSteps(t, f, spec(), false, "detached", "policy=unchanged role=unchanged attachment=created", []string{"AttachRolePolicy"})
	s := spec()
	s.Path = "/teams/"
	f.calls = nil
	_, err := Converge(context.Background(), f, s, Options{Account: acct, Partition: "aws"})
	// The policy is looked up at /teams/ and created there; the role cannot move.
	if err == nil || !strings.Contains(err.Error(), "IAM role EKSFullAccessRole exists with path /, not /teams/") {
		t.Fatalf("err = %v", err)
	}
}

func TestConvergeReportsAccessDenied(t *testing.T) {
	f := &deniedIAM{newFakeIAM()}
	_, err := Converge(context.Background(), f, spec(), Options{Account: acct, Partition: "aws"})
	if err == nil || !strings.Contains(err.Error(), "read IAM policy "+policyArn) || !strings.Contains(err.Error(), "run it as an IAM administrator") {
		t.Fatalf("err = %v", err)
	}
}

type deniedIAM struct{ *fakeIAM }

func (d *deniedIAM) GetPolicy(ctx context.Context, in *iam.GetPolicyInput, _ ...func(*iam.Options)) (*iam.GetPolicyOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized"}
}
