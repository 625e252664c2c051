package eks

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"

	"eksaccess/internal/sandbox/state"
)

// CreateAccessEntry records the unique id the principal has now (UserId, RoleId), as EKS
// binds an entry to it; a principal of an account the sandbox does not hold has none.
func TestEntryRecordsPrincipalID(t *testing.T) {
	e := newEnv(t, envOpts{})
	other := "arn:aws:iam::999988887777:role/elsewhere"
	for _, arn := range []string{aliceArn, ssoRole, other} {
		if _, err := e.client.CreateAccessEntry(ctx(), &awseks.CreateAccessEntryInput{ClusterName: aws.String("demo"), PrincipalArn: aws.String(arn)}); err != nil {
			t.Fatalf("create %s: %v", arn, err)
		}
	}
	want := map[string]string{}
	if err := e.st.Read(func(d *state.Data) error {
		for _, u := range d.Users {
			if u.Arn == aliceArn {
				want[aliceArn] = u.UserID
			}
		}
		for _, r := range d.Roles {
			if r.Arn == ssoRole {
				want[ssoRole] = r.RoleID
			}
		}
		want[other] = ""
		for arn, id := range want {
			if got := d.Clusters["demo"].Entries[arn].PrincipalID; got != id || (arn != other && id == "") {
				t.Errorf("%s: principalId %q, want %q", arn, got, id)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
