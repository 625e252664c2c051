package role

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

const mfaTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`

// foreignRole is a role someone else made: MFA required, AdministratorAccess, no tag.
func foreignRole(f *fakeIAM) {
	f.roles[DefaultRoleName] = &types.Role{RoleName: aws.String(DefaultRoleName), Path: aws.String("/"), Arn: aws.String(roleArn),
		AssumeRolePolicyDocument: aws.String(mfaTrust), MaxSessionDuration: aws.Int32(3600)}
	f.attached[DefaultRoleName] = []string{"arn:aws:iam::aws:policy/AdministratorAccess"}
}

func foreignPolicy(f *fakeIAM) {
	doc := PermissionsPolicy([]string{"eks:Describe*"})
	f.policies[policyArn] = &fakePolicy{name: DefaultPolicyName, def: "v1", next: 1,
		versions: []types.PolicyVersion{{VersionId: aws.String("v1"), Document: aws.String(doc), IsDefaultVersion: true, CreateDate: f.tick()}}}
}

func TestConvergeRefusesWhatItDidNotCreate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		setup func(*fakeIAM)
		want  []string
	}{
		{"role", foreignRole, []string{"IAM role " + roleArn + " exists without the eksaccess/managed tag"}},
		{"policy", foreignPolicy, []string{"IAM policy " + policyArn + " exists without the eksaccess/managed tag"}},
		{"both", func(f *fakeIAM) { foreignRole(f); foreignPolicy(f) }, []string{"IAM policy " + policyArn + " and IAM role " + roleArn + " exist without"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, dry := range []bool{false, true} {
				f := newFakeIAM()
				tc.setup(f)
				_, err := Converge(context.Background(), f, spec(), Options{Account: acct, Partition: "aws", DryRun: dry})
				var oe *OwnershipError
				if !errors.As(err, &oe) || oe.ExitCode() != 1 {
					t.Fatalf("dry=%v: err = %v, want an OwnershipError", dry, err)
				}
				for _, w := range append(tc.want, "--adopt", "nothing was changed") {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("dry=%v: error lacks %q: %v", dry, w, err)
					}
				}
				if m := f.mutations(); m != nil {
					t.Errorf("dry=%v: refused run made mutating calls: %v", dry, m)
				}
			}
		})
	}
}

func TestConvergeAdoptsAfterShowingTheChanges(t *testing.T) {
	t.Parallel()
	f := newFakeIAM()
	foreignRole(f)
	foreignPolicy(f)
	var shown []Adoption
	ask := func(answer bool) Options {
		return Options{Account: acct, Partition: "aws", Adopt: func(as []Adoption) (bool, error) { shown = as; return answer, nil }}
	}

	// Declined: nothing changes.
	_, err := Converge(context.Background(), f, spec(), ask(false))
	var oe *OwnershipError
	if !errors.As(err, &oe) || !oe.Declined || !strings.Contains(err.Error(), "not adopted") {
		t.Fatalf("declined: err = %v", err)
	}
	if m := f.mutations(); m != nil {
		t.Fatalf("declined adoption made mutating calls: %v", m)
	}
	if len(shown) != 2 || shown[0].Resource != "policy" || shown[0].NewDocument != PermissionsPolicy([]string{DefaultAction}) ||
		shown[1].Resource != "role" || shown[1].TrustBefore != mfaTrust || shown[1].TrustAfter != TrustPolicy([]string{rootArn}, false) {
		t.Fatalf("adoptions shown = %+v", shown)
	}
	var b bytes.Buffer
	WriteAdoptions(&b, shown)
	for _, want := range []string{"adopt IAM role " + roleArn, "adopt IAM policy " + policyArn, "new default version (replacing v1)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("adoption text lacks %q:\n%s", want, b.String())
		}
	}
	for _, want := range []string{
		`- "aws:MultiFactorAuthPresent": "true"`, // the trust-policy diff shows the MFA condition going
		`- "Action": "eks:Describe*",`, `+ "Action": "eks:*",`,
		`  "AWS": "arn:aws:iam::111122223333:root"`, // unchanged lines are context
	} {
		if !hasDiffLine(b.String(), want) {
			t.Errorf("adoption diff lacks the line %q:\n%s", want, b.String())
		}
	}

	// Accepted: converged and tagged, after which it is eksaccess's own.
	f.calls = nil
	r, err := Converge(context.Background(), f, spec(), ask(true))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := statuses(r), "policy=updated(default version v1 -> v2; adopted (tagged eksaccess/managed)) role=updated(trust policy; adopted (tagged eksaccess/managed)) attachment=created"; got != want {
		t.Errorf("adopt: %s\nwant %s", got, want)
	}
	if got, want := f.mutations(), []string{"CreatePolicyVersion", "TagPolicy " + policyArn, "UpdateAssumeRolePolicy", "TagRole " + DefaultRoleName, "AttachRolePolicy"}; !reflect.DeepEqual(got, want) {
		t.Errorf("mutations = %v\nwant %v", got, want)
	}
	shown = nil
	r = converge(t, f, spec(), false)
	if r.Changed() || f.mutations() != nil || shown != nil {
		t.Errorf("after adoption: %s %v (asked: %v)", statuses(r), f.mutations(), shown != nil)
	}
}

func TestConvergeDryRunAdoptionChangesNothing(t *testing.T) {
	t.Parallel()
	f := newFakeIAM()
	foreignRole(f)
	r, err := Converge(context.Background(), f, spec(), Options{Account: acct, Partition: "aws", DryRun: true, Adopt: func([]Adoption) (bool, error) { return true, nil }})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := statuses(r), "policy=created role=updated(trust policy; adopted (tagged eksaccess/managed)) attachment=created"; got != want {
		t.Errorf("dry run: %s\nwant %s", got, want)
	}
	if m := f.mutations(); m != nil {
		t.Errorf("dry run made mutating calls: %v", m)
	}
}

// hasDiffLine reports whether text has a diff line with want's sign ("- ", "+ ", "  ") and
// content, whatever the indentation.
func hasDiffLine(text, want string) bool {
	sign, content := want[:2], strings.TrimSpace(want[2:])
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimLeft(l, " ")
		if sign == "  " {
			if strings.TrimSpace(l) == content && !strings.HasPrefix(l, "-") && !strings.HasPrefix(l, "+") {
				return true
			}
			continue
		}
		if strings.HasPrefix(l, sign[:1]) && strings.TrimSpace(l[1:]) == content {
			return true
		}
	}
	return false
}
