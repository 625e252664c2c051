package accessfile

import "testing"

func TestLoadAccounts(t *testing.T) {
	cfg, err := Load("testdata/good/accounts.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Clusters
	if len(c) != 3 {
		t.Fatalf("clusters = %d, want 3", len(c))
	}
	if c[0].Account != "" || c[0].AccountOf() != "" || c[0].ID() != "hyperpod-demo@us-west-2" {
		t.Errorf("cluster 0: account %q, ID %s", c[0].Account, c[0].ID())
	}
	ar := c[1].AssumeRole
	if c[1].Account != "444455556666" || ar == nil || *ar != (AssumeRole{RoleArn: "arn:aws:iam::444455556666:role/CrossAccountEKSAdmin", ExternalID: "ext-1234", SessionName: "platform-team"}) {
		t.Errorf("cluster 1: account %q, assumeRole %+v", c[1].Account, ar)
	}
	// The same cluster name in another account is another cluster; an unquoted account id
	// (a YAML integer) is read as its digits.
	if c[2].Account != "777788889999" || c[2].Profile != "other-account" || c[2].ID() != "777788889999/hyperpod-demo@us-west-2" {
		t.Errorf("cluster 2: account %q, profile %q, ID %s", c[2].Account, c[2].Profile, c[2].ID())
	}
	if got := (&Cluster{Name: "x", Region: "us-west-2", AssumeRole: &AssumeRole{RoleArn: "arn:aws:iam::444455556666:role/R"}}).AccountOf(); got != "444455556666" {
		t.Errorf("AccountOf from the role ARN = %q", got)
	}
}
