package usecase

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"eksaccess/internal/apply"
	"eksaccess/internal/awsapi"
	"eksaccess/internal/principal"
)

const (
	partnerAcct   = "444455556666"
	partnerPrefix = "arn:aws:iam::" + partnerAcct + ":"
	partnerRole   = partnerPrefix + "role/CrossAccountEKSAdmin"
)

// fleetWorld is the world's account plus a partner account reached by assuming partnerRole;
// any other role cannot be assumed.
func fleetWorld(t *testing.T) (*world, *fakeEKS) {
	w := newWorld(t, carol, users, nil)
	callerFixture(w)
	w.iam.roles["awsreservedsso_datascientist_0123456789abcdef"] = iamPrefix + "role/aws-reserved/sso.amazonaws.com/us-west-2/AWSReservedSSO_DataScientist_0123456789abcdef"

	peks := newFakeEKS()
	peks.account = partnerAcct
	pc := peks.addCluster("prod", "API")
	session := "arn:aws:sts::" + partnerAcct + ":assumed-role/CrossAccountEKSAdmin/platform"
	pc.add(partnerRole, "STANDARD", clusterCreated, nil, "AmazonEKSClusterAdminPolicy")
	piam := &fakeIAM{users: map[string]string{"frank": partnerPrefix + "user/frank"}, groups: map[string][]string{}, roles: map[string]string{
		"crossaccounteksadmin":                          partnerRole,
		"awsreservedsso_datascientist_fedcba9876543210": partnerPrefix + "role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_DataScientist_fedcba9876543210",
	}}
	partner := &awsapi.Clients{EKS: peks, IAM: piam, Config: aws.Config{Region: "us-west-2"}}
	deny := errors.New("AccessDenied: not authorized to perform sts:AssumeRole")
	w.env.AWSFor = func(_ context.Context, r Reach, _ string) (*awsapi.Clients, error) {
		if r.RoleArn != partnerRole {
			return nil, deny
		}
		return partner, nil
	}
	w.env.CallerFor = func(_ context.Context, r Reach) (principal.Caller, error) {
		if r.RoleArn != partnerRole {
			return principal.Caller{}, deny
		}
		return principal.Caller{Account: partnerAcct, Partition: "aws", Arn: session, PrincipalArn: partnerRole, Kind: principal.KindAssumedRole}, nil
	}
	return w, peks
}

const fleetFile = `apiVersion: eksaccess/v1
kind: AccessConfig
clusters:
  - name: c
    region: us-west-2
    access:
      - principal: viewer
        policies: [{policy: AmazonEKSViewPolicy}]
      - permissionSet: DataScientist
        policies: [{policy: AmazonEKSViewPolicy}]
  - name: prod
    region: us-west-2
    account: "444455556666"
    assumeRole: {roleArn: "arn:aws:iam::444455556666:role/CrossAccountEKSAdmin", sessionName: platform}
    access:
      - principal: frank
        policies: [{policy: AmazonEKSEditPolicy}]
      - permissionSet: DataScientist
        policies: [{policy: AmazonEKSViewPolicy}]
      - principal: arn:aws:iam::111122223333:user/viewer
        policies: [{policy: AmazonEKSViewPolicy}]
`

// otherCluster is one more cluster of an access file, "other", reached through roleArn and
// granting frank the Edit policy.
func otherCluster(roleArn string) string {
	return "  - name: other\n    region: us-west-2\n    assumeRole: {roleArn: \"" + roleArn + "\"}\n" +
		"    access:\n      - principal: frank\n        policies: [{policy: AmazonEKSEditPolicy}]\n"
}

// clusterFile is an access file of one cluster in us-west-2 (in account, unless that is "")
// granting principal one access policy.
func clusterFile(name, account, principal, policy string) string {
	file := "apiVersion: eksaccess/v1\nkind: AccessConfig\nclusters:\n  - name: " + name + "\n    region: us-west-2\n"
	if account != "" {
		file += "    account: \"" + account + "\"\n"
	}
	return file + "    access:\n      - principal: " + principal + "\n        policies: [{policy: " + policy + "}]\n"
}

func writeFile(t *testing.T, content string) string {
	p := filepath.Join(t.TempDir(), "access.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func principalsOf(plans []apply.Result, cluster string) []string {
	var out []string
	for _, r := range plans {
		if r.Cluster == cluster && r.Outcome == apply.Created {
			out = append(out, r.Principal)
		}
	}
	slices.Sort(out)
	return out
}

func TestPlanAndApplyAcrossAccounts(t *testing.T) {
	t.Parallel()
	w, peks := fleetWorld(t)
	ctx := context.Background()
	fp, err := w.env.PlanFile(ctx, FileRequest{File: writeFile(t, fleetFile), Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(fp.Failures) != 0 || len(fp.Clusters) != 2 || fp.Totals.Refused != 0 {
		t.Fatalf("failures %v, clusters %d, refused %d", fp.Failures, len(fp.Clusters), fp.Totals.Refused)
	}
	res, err := w.env.ApplyFile(ctx, fp)
	if err != nil || res.Outcome.Failed() || res.Remaining != 0 {
		t.Fatalf("apply: %v, failed %v, remaining %d", err, res != nil && res.Outcome.Failed(), res.Remaining)
	}
	got := principalsOf(res.Outcome.Summary.Results, "prod")
	want := []string{
		iamPrefix + "user/viewer",
		partnerPrefix + "role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_DataScientist_fedcba9876543210",
		partnerPrefix + "user/frank",
	}
	if !slices.Equal(got, want) {
		t.Errorf("created on prod:\n got %q\nwant %q", got, want)
	}
	if got := principalsOf(res.Outcome.Summary.Results, "c"); !slices.Equal(got, []string{
		iamPrefix + "role/aws-reserved/sso.amazonaws.com/us-west-2/AWSReservedSSO_DataScientist_0123456789abcdef", viewer}) {
		t.Errorf("created on c: %q", got)
	}
	// Each account's changes went to its own EKS.
	if _, ok := peks.clusters["prod"].entries[partnerPrefix+"user/frank"]; !ok {
		t.Error("frank's entry is not on the partner's cluster")
	}
	if _, ok := w.eks.clusters["c"].entries[partnerPrefix+"user/frank"]; ok {
		t.Error("frank's entry landed in the first account")
	}
}

func TestUnreachableAccountFailsAlone(t *testing.T) {
	t.Parallel()
	w, _ := fleetWorld(t)
	file := fleetFile + otherCluster("arn:aws:iam::777788889999:role/NoSuchRole")
	fp, err := w.env.PlanFile(context.Background(), FileRequest{File: writeFile(t, file), Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(fp.Clusters) != 2 || len(fp.Failures) != 1 {
		t.Fatalf("clusters %d, failures %+v", len(fp.Clusters), fp.Failures)
	}
	f := fp.Failures[0]
	if f.Account != "777788889999" || len(f.Clusters) != 1 || f.Error == "" {
		t.Errorf("failure = %+v", f)
	}
}

func TestPrincipalsResolveInTheirClustersAccount(t *testing.T) {
	t.Parallel()
	w, _ := fleetWorld(t)
	// frank exists only in the partner account: on the first account's cluster he is unknown.
	file := clusterFile("c", "", "frank", "AmazonEKSViewPolicy")
	_, err := w.env.PlanFile(context.Background(), FileRequest{File: writeFile(t, file), Concurrency: 4})
	if !IsInput(err) {
		t.Fatalf("frank on the first account's cluster: %v, want bad input", err)
	}
}

func TestOwnAccountNamedIsTheRunsCredentials(t *testing.T) {
	t.Parallel()
	w, _ := fleetWorld(t)
	w.env.AWSFor = func(context.Context, Reach, string) (*awsapi.Clients, error) {
		t.Error("the run's own account was reached as another account (a second rate state)")
		return nil, errors.New("unexpected")
	}
	file := clusterFile("c", "111122223333", "viewer", "AmazonEKSViewPolicy")
	fp, err := w.env.PlanFile(context.Background(), FileRequest{File: writeFile(t, file), Concurrency: 4})
	if err != nil || len(fp.Clusters) != 1 || len(fp.Failures) != 0 {
		t.Fatalf("plan: %v, %+v", err, fp)
	}
}

// Credentials that reach another account than the one named are caught the same way on
// every path that reaches accounts: bad input for plan/apply, an unreachable cluster for
// doctor, a failed account for audit — each naming the account the credentials are in.
func TestAccountTheCredentialsAreNotIn(t *testing.T) {
	t.Parallel()
	const wrong = "the credentials are in account 444455556666 (" + partnerRole + "), not 777788889999"
	// The partner role is assumed, but the file (or the flag) says the account is a third one.
	world := func(t *testing.T) (*world, string) {
		w, _ := fleetWorld(t)
		w.env.CallerFor = func(context.Context, Reach) (principal.Caller, error) {
			return principal.Caller{Account: partnerAcct, Partition: "aws", Arn: partnerRole, PrincipalArn: partnerRole}, nil
		}
		return w, writeFile(t, clusterFile("prod", "777788889999", "frank", "AmazonEKSViewPolicy"))
	}
	t.Run("plan", func(t *testing.T) {
		t.Parallel()
		w, file := world(t)
		_, err := w.env.PlanFile(context.Background(), FileRequest{File: file, Concurrency: 4})
		if !IsInput(err) || !strings.Contains(err.Error(), wrong) {
			t.Fatalf("got %v, want bad input naming the account the credentials are in", err)
		}
	})
	t.Run("doctor", func(t *testing.T) {
		t.Parallel()
		w, file := world(t)
		res, err := w.env.Doctor(context.Background(), DoctorRequest{ClusterSet: ClusterSet{File: file}, Concurrency: 4})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Findings) != 1 || res.Findings[0].Check != CheckUnreachable || !strings.Contains(res.Findings[0].Evidence, wrong) {
			t.Fatalf("findings %+v, want one unreachable cluster naming the account the credentials are in", res.Findings)
		}
	})
	t.Run("audit", func(t *testing.T) {
		t.Parallel()
		w, _ := world(t)
		res, err := w.env.Audit(context.Background(), AuditRequest{All: true, NoDefaultAccount: true,
			Accounts: []Reach{{Account: "777788889999", RoleArn: partnerRole}}, Concurrency: 4})
		if err != nil {
			t.Fatal(err)
		}
		if res.Summary.FailedAccounts != 1 || len(res.Clusters) != 1 || !strings.Contains(res.Clusters[0].Error, wrong) {
			t.Fatalf("summary %+v, clusters %+v: want one failed account naming the account the credentials are in", res.Summary, res.Clusters)
		}
	})
}
