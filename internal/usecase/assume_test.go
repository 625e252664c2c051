package usecase

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	smithy "github.com/aws/smithy-go"
)

func TestAssume(t *testing.T) {
	t.Parallel()
	w := newReadWorld()
	res, err := w.env.Assume(context.Background(), AssumeRequest{As: AsRole{Role: "eks-team-a"}, Duration: 15 * time.Minute,
		MFASerial: "arn:aws:iam::111122223333:mfa/admin", TokenCode: "123456"})
	if err != nil {
		t.Fatal(err)
	}
	if res.RoleArn != teamRole || res.SessionName != "admin" || res.Region != "us-west-2" || res.Credentials.AccessKeyID != "ASIAFAKE" ||
		res.Credentials.AssumedRoleArn != "arn:aws:sts::111122223333:assumed-role/eks-team-a/admin" || !res.Credentials.Expiration.Equal(w.now.Add(time.Hour)) {
		t.Fatalf("got %+v", res)
	}
	in := w.sts.assumed[0]
	if aws.ToInt32(in.DurationSeconds) != 900 || aws.ToString(in.SerialNumber) != "arn:aws:iam::111122223333:mfa/admin" || aws.ToString(in.TokenCode) != "123456" {
		t.Fatalf("input %+v", in)
	}
	// A role ARN is assumed as given, and a session name is kept.
	res, err = w.env.Assume(context.Background(), AssumeRequest{As: AsRole{Role: teamRole, SessionName: "ci-job.42"}})
	if err != nil || res.SessionName != "ci-job.42" || w.calls.count("iam:") != 1 || w.sts.assumed[1].DurationSeconds != nil {
		t.Fatalf("%+v %v %v", res, err, w.calls.calls)
	}
}

func TestAssumeCannotReadIAM(t *testing.T) {
	t.Parallel()
	w := newReadWorld()
	w.iam.denyGetRole = true
	res, err := w.env.Assume(context.Background(), AssumeRequest{As: AsRole{Role: "Shared"}})
	if err != nil || res.RoleArn != "arn:aws:iam::111122223333:role/Shared" {
		t.Fatalf("%+v %v", res, err)
	}
	// With a path given, eksaccess does not guess.
	if _, err := w.env.Assume(context.Background(), AssumeRequest{As: AsRole{Role: "role/teams/Shared"}}); err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("path given: %v", err)
	}
}

func TestAssumeRefused(t *testing.T) {
	t.Parallel()
	denied := &smithy.GenericAPIError{Code: "AccessDenied", Message: "User: " + fakeUser("admin") + " is not authorized to perform: sts:AssumeRole"}
	for _, tc := range []struct {
		name string
		req  AssumeRequest
		err  error
		want string
	}{
		{"MFA role", AssumeRequest{As: AsRole{Role: "MFARole"}}, denied,
			"assume role arn:aws:iam::111122223333:role/MFARole (session admin): api error AccessDenied: User: arn:aws:iam::111122223333:user/admin is not authorized to perform: sts:AssumeRole: the role requires MFA: pass --mfa-serial arn:aws:iam::111122223333:mfa/DEVICE --token-code CODE (the 6-digit code of your MFA device)"},
		{"no trust", AssumeRequest{As: AsRole{Role: "eks-team-a"}}, denied, ": if the role requires MFA, pass --mfa-serial"},
		{"wrong code", AssumeRequest{As: AsRole{Role: "MFARole"}, MFASerial: "arn:aws:iam::111122223333:mfa/admin", TokenCode: "000000"},
			&smithy.GenericAPIError{Code: "AccessDenied", Message: "MultiFactorAuthentication failed with invalid MFA one time pass code."}, "check --mfa-serial (your own MFA device's ARN) and use a fresh --token-code"},
		{"too long", AssumeRequest{As: AsRole{Role: "MFARole"}, Duration: 12 * time.Hour}, &smithy.GenericAPIError{Code: "ValidationError", Message: "too long"}, "ask for a shorter --duration"},
		{"expired", AssumeRequest{As: AsRole{Role: "MFARole"}}, &smithy.GenericAPIError{Code: "ExpiredToken", Message: "expired"}, "your credentials have expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newReadWorld()
			w.sts.err = tc.err
			_, err := w.env.Assume(context.Background(), tc.req)
			if err == nil || !strings.Contains(err.Error(), tc.want) || IsInput(err) {
				t.Fatalf("err %v\nwant %q", err, tc.want)
			}
		})
	}
}

func TestAssumeValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		req  AssumeRequest
		want string
	}{
		{AssumeRequest{}, "name the role to assume"},
		{AssumeRequest{As: AsRole{Role: "R"}, TokenCode: "123456"}, "--mfa-serial and --token-code go together"},
		{AssumeRequest{As: AsRole{Role: "R"}, MFASerial: "arn:aws:iam::111122223333:mfa/alice", TokenCode: "12345"}, "--token-code must be the 6 digits"},
		{AssumeRequest{As: AsRole{Role: "R"}, MFASerial: "short", TokenCode: "123456"}, `--mfa-serial "short" is not an MFA device ARN`},
		{AssumeRequest{As: AsRole{Role: "R"}, Duration: time.Minute}, "--duration 1m0s is out of range"},
		{AssumeRequest{As: AsRole{Role: "arn:aws:iam::111122223333:user/alice"}}, "ROLE arn:aws:iam::111122223333:user/alice is a user ARN"},
		{AssumeRequest{As: AsRole{Role: "bad name!"}}, "ROLE: "},
	} {
		w := newReadWorld()
		_, err := w.env.Assume(context.Background(), tc.req)
		if !IsInput(err) || !strings.Contains(err.Error(), tc.want) || len(w.calls.calls) != 0 {
			t.Fatalf("%+v: err %v, want %q; calls %v", tc.req, err, tc.want, w.calls.calls)
		}
	}
}
