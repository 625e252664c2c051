package principal

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"eksaccess/internal/awsapi"
)

type fakeSTS struct {
	awsapi.STS
	out *sts.GetCallerIdentityOutput
	err error
}

func (f fakeSTS) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return f.out, f.err
}

func identity(arn string) *sts.GetCallerIdentityOutput {
	return &sts.GetCallerIdentityOutput{Arn: aws.String(arn), Account: aws.String(acct), UserId: aws.String("AIDAEXAMPLE")}
}

func TestCallerIdentity(t *testing.T) {
	sso := "AWSReservedSSO_Admin_0123456789abcdef"
	tests := []struct {
		name    string
		arn     string
		iamErr  error // returned by GetRole
		want    Caller
		wantErr string
	}{
		{name: "user", arn: "arn:aws:iam::111122223333:user/eng/bob",
			want: Caller{Account: acct, Partition: "aws", Arn: "arn:aws:iam::111122223333:user/eng/bob", UserID: "AIDAEXAMPLE", Kind: KindUser, Name: "bob",
				PrincipalArn: "arn:aws:iam::111122223333:user/eng/bob", Path: "/eng/", PathKnown: true}},
		{name: "SSO session gets its role path", arn: "arn:aws:sts::111122223333:assumed-role/" + sso + "/alice@example.com",
			want: Caller{Account: acct, Partition: "aws", Arn: "arn:aws:sts::111122223333:assumed-role/" + sso + "/alice@example.com", UserID: "AIDAEXAMPLE",
				Kind: KindAssumedRole, Name: sso, Session: "alice@example.com",
				PrincipalArn: "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/us-west-2/" + sso, Path: "/aws-reserved/sso.amazonaws.com/us-west-2/", PathKnown: true}},
		{name: "GetRole denied falls back to no path", arn: "arn:aws:sts::111122223333:assumed-role/" + sso + "/alice",
			iamErr: &smithy.GenericAPIError{Code: "AccessDenied", Message: "no"},
			want: Caller{Account: acct, Partition: "aws", Arn: "arn:aws:sts::111122223333:assumed-role/" + sso + "/alice", UserID: "AIDAEXAMPLE",
				Kind: KindAssumedRole, Name: sso, Session: "alice", PrincipalArn: "arn:aws:iam::111122223333:role/" + sso, Path: "/", PathKnown: false}},
		{name: "GetRole throttled is an error", arn: "arn:aws:sts::111122223333:assumed-role/" + sso + "/alice",
			iamErr:  &smithy.GenericAPIError{Code: "Throttling", Message: "slow down"},
			wantErr: "look up IAM role " + sso + " (your own): api error Throttling: slow down: retry later, or lower --concurrency if IAM is throttling"},
		{name: "deleted role", arn: "arn:aws:sts::111122223333:assumed-role/Gone/alice",
			wantErr: "you are signed in as arn:aws:sts::111122223333:assumed-role/Gone/alice, but IAM has no role Gone: the role was deleted; sign in again with current credentials"},
		{name: "root", arn: "arn:aws:iam::111122223333:root",
			want: Caller{Account: acct, Partition: "aws", Arn: "arn:aws:iam::111122223333:root", UserID: "AIDAEXAMPLE", Kind: KindRoot,
				PrincipalArn: "arn:aws:iam::111122223333:root", PathKnown: true}},
		{name: "federated user has no principal", arn: "arn:aws-us-gov:sts::111122223333:federated-user/bob",
			want: Caller{Account: acct, Partition: "aws-us-gov", Arn: "arn:aws-us-gov:sts::111122223333:federated-user/bob", UserID: "AIDAEXAMPLE",
				Kind: KindFederatedUser, Name: "bob", PathKnown: true}},
		{name: "garbage", arn: "arn:aws:iam::111122223333:policy/p",
			wantErr: `sts get-caller-identity returned an unexpected ARN: invalid ARN "arn:aws:iam::1111222…": "policy" is not an IAM user or role: principal ARNs look like arn:aws:iam::111122223333:user/NAME or arn:aws:iam::111122223333:role/NAME`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeIAM()
			if tc.iamErr != nil {
				f.errs["GetRole "+sso] = tc.iamErr
			}
			got, err := LookupCaller(context.Background(), fakeSTS{out: identity(tc.arn)}, f)
			if errString(err) != tc.wantErr {
				t.Fatalf("error:\n got %v\nwant %s", err, tc.wantErr)
			}
			if err == nil && got != tc.want {
				t.Errorf("caller:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}

	out := identity("arn:aws:iam::111122223333:user/a")
	out.Account = aws.String("444455556666")
	if _, err := CallerIdentity(context.Background(), out, nil); errString(err) != "sts get-caller-identity returned account 444455556666 but ARN arn:aws:iam::111122223333:user/a: check the endpoint (AWS_ENDPOINT_URL) points at STS" {
		t.Errorf("account mismatch: %v", err)
	}
	if _, err := LookupCaller(context.Background(), fakeSTS{err: &smithy.GenericAPIError{Code: "ExpiredToken", Message: "expired"}}, nil); errString(err) != "find who you are (sts get-caller-identity): api error ExpiredToken: expired: check your AWS credentials (aws sts get-caller-identity)" {
		t.Errorf("sts error: %v", err)
	}
}
