package usecase

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/eks"

	"eksaccess/internal/awsapi"
)

const thirdRole = "arn:aws:iam::777788889999:role/EKSAudit"

// clustersOf lists the audited clusters as "account/cluster" (failed ones with their error).
func clustersOf(res *AuditResult) []string {
	var out []string
	for _, c := range res.Clusters {
		k := c.Account + "/" + c.Cluster
		if c.Error != "" {
			k += " error"
		}
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestAuditAllCoversEveryAccount(t *testing.T) {
	t.Parallel()
	w, _ := fleetWorld(t)
	res, err := w.env.Audit(context.Background(), AuditRequest{All: true, Concurrency: 4,
		Accounts: []Reach{{RoleArn: partnerRole, SessionName: "platform"}, {RoleArn: thirdRole}}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{acct + "/c", partnerAcct + "/prod", "777788889999/ error"}
	if got := clustersOf(res); !slices.Equal(got, want) {
		t.Fatalf("clusters %q, want %q", got, want)
	}
	var partnerRows int
	for _, r := range res.Rows {
		if r.Cluster == "prod" {
			partnerRows++
			if r.Account != partnerAcct || r.Principal != partnerRole {
				t.Errorf("partner row %+v", r)
			}
		}
	}
	if partnerRows != 1 {
		t.Errorf("%d rows of the partner's cluster, want 1", partnerRows)
	}
	// The account that could not be reached is named, with how, and fails the run.
	var failed AuditCluster
	for _, c := range res.Clusters {
		if c.Error != "" {
			failed = c
		}
	}
	if failed.Reach != "role "+thirdRole || !strings.Contains(failed.Error, "AccessDenied") {
		t.Errorf("failed account %+v", failed)
	}
	if !res.Failed() || res.Summary.FailedAccounts != 1 || res.Summary.Failed != 0 || res.Summary.Clusters != 2 {
		t.Errorf("summary %+v", res.Summary)
	}
}

func TestAuditAllOnlyNamedAccountsOnceEach(t *testing.T) {
	t.Parallel()
	w, _ := fleetWorld(t)
	var warnings []string
	w.env.Warnf = func(format string, args ...any) { warnings = append(warnings, format) }
	// Two sessions of the partner role land in one account: it is audited once.
	res, err := w.env.Audit(context.Background(), AuditRequest{All: true, Concurrency: 4, NoDefaultAccount: true,
		Accounts: []Reach{{RoleArn: partnerRole}, {RoleArn: partnerRole, SessionName: "again"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := clustersOf(res); !slices.Equal(got, []string{partnerAcct + "/prod"}) || res.Failed() {
		t.Fatalf("clusters %q (failed %v)", got, res.Failed())
	}
	if len(warnings) != 1 {
		t.Errorf("warnings %q, want one about the account reached twice", warnings)
	}
}

// gatedEKS holds DescribeCluster until the gate opens.
type gatedEKS struct {
	awsapi.EKS
	gate <-chan struct{}
}

func (g gatedEKS) DescribeCluster(ctx context.Context, in *eks.DescribeClusterInput, o ...func(*eks.Options)) (*eks.DescribeClusterOutput, error) {
	select {
	case <-g.gate:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return g.EKS.DescribeCluster(ctx, in, o...)
}

// signalEKS closes a channel on its first DescribeCluster.
type signalEKS struct {
	awsapi.EKS
	once *sync.Once
	done chan struct{}
}

func (s signalEKS) DescribeCluster(ctx context.Context, in *eks.DescribeClusterInput, o ...func(*eks.Options)) (*eks.DescribeClusterOutput, error) {
	s.once.Do(func() { close(s.done) })
	return s.EKS.DescribeCluster(ctx, in, o...)
}

// gateOwnOnPartner makes the own account's cluster reads wait until a partner account's first
// DescribeCluster has started: a run that reads one account at a time deadlocks (and times out).
func gateOwnOnPartner(w *world) {
	partnerStarted := make(chan struct{})
	own, _ := w.env.AWS(context.Background(), "")
	gated := *own
	gated.EKS = gatedEKS{EKS: own.EKS, gate: partnerStarted}
	w.env.AWS = func(context.Context, string) (*awsapi.Clients, error) { return &gated, nil }
	partnerFor := w.env.AWSFor
	var once sync.Once
	w.env.AWSFor = func(ctx context.Context, r Reach, region string) (*awsapi.Clients, error) {
		c, err := partnerFor(ctx, r, region)
		if err != nil {
			return nil, err
		}
		sc := *c
		sc.EKS = signalEKS{EKS: c.EKS, once: &once, done: partnerStarted}
		return &sc, nil
	}
}

func TestAuditAllReadsAccountsConcurrently(t *testing.T) {
	t.Parallel()
	w, _ := fleetWorld(t)
	// The first account's cluster is read only once the partner's read has started: one
	// account at a time would deadlock (and time out).
	gateOwnOnPartner(w)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := w.env.Audit(ctx, AuditRequest{All: true, Concurrency: 4, Accounts: []Reach{{RoleArn: partnerRole}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := clustersOf(res); !slices.Equal(got, []string{acct + "/c", partnerAcct + "/prod"}) {
		t.Fatalf("clusters %q", got)
	}
}

func TestAuditFileReachesEachClustersAccount(t *testing.T) {
	t.Parallel()
	w, peks := fleetWorld(t)
	peks.clusters["prod"].add(partnerPrefix+"role/ops", "STANDARD", clusterCreated, nil).groups = []string{"ops"}
	partner, _ := w.env.AWSFor(context.Background(), Reach{RoleArn: partnerRole}, "")
	kube := kubeFake([]string{"default"}, map[string]string{"ops": "view"})
	w.env.ReadKube = func(ctx context.Context, c *awsapi.Clients, cluster, path string) ([]byte, error) {
		if cluster == "prod" && c != partner {
			t.Errorf("prod's Kubernetes API read with another account's clients")
		}
		return kube(ctx, c, cluster, path)
	}
	file := fleetFile + otherCluster(thirdRole)
	res, err := w.env.Audit(context.Background(), AuditRequest{ClusterSet: ClusterSet{File: writeFile(t, file)}, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{acct + "/c", partnerAcct + "/prod", "777788889999/other error"}
	if got := clustersOf(res); !slices.Equal(got, want) {
		t.Fatalf("clusters %q, want %q", got, want)
	}
	if !res.Failed() || res.Summary.Failed != 1 {
		t.Errorf("summary %+v", res.Summary)
	}
	var frank, ops *AuditRow
	for i, r := range res.Rows {
		switch r.Principal {
		case partnerPrefix + "user/frank":
			frank = &res.Rows[i]
		case partnerPrefix + "role/ops":
			ops = &res.Rows[i]
		}
	}
	if frank == nil || frank.Account != partnerAcct || frank.Cluster != "prod" || frank.Drift != "missing" {
		t.Errorf("frank's row %+v", frank)
	}
	if ops == nil || !ops.RBACKnown || ops.Level != "view" || ops.Drift != "not in file" {
		t.Errorf("ops' row %+v", ops)
	}
}

func TestAuditAccountFlagsNeedAll(t *testing.T) {
	t.Parallel()
	for _, r := range []AuditRequest{
		{ClusterSet: ClusterSet{Clusters: []string{"c"}}, Accounts: []Reach{{RoleArn: partnerRole}}},
		{All: true, NoDefaultAccount: true},
		{All: true, Accounts: []Reach{{RoleArn: "arn:aws:iam::1:user/x"}}},
		{All: true, Accounts: []Reach{{Profile: "p", ExternalID: "x"}}},
	} {
		r.Concurrency = 4
		if err := r.Validate(); !IsInput(err) {
			t.Errorf("%+v: %v, want bad input", r, err)
		}
	}
}

func TestPlanFileReadsAccountsSideBySide(t *testing.T) {
	t.Parallel()
	w, _ := fleetWorld(t)
	// Four clusters of the first account whose reads wait for the partner's: with one pool of
	// four for every account, they would hold it and the partner's read would never start.
	file := "apiVersion: eksaccess/v1\nkind: AccessConfig\nclusters:\n"
	for _, n := range []string{"c", "c2", "c3", "c4"} {
		if n != "c" {
			w.eks.addCluster(n, "API").add(creator, "STANDARD", clusterCreated, nil, "AmazonEKSClusterAdminPolicy")
		}
		file += "  - name: " + n + "\n    region: us-west-2\n    access:\n      - principal: viewer\n        policies: [{policy: AmazonEKSViewPolicy}]\n"
	}
	file += `  - name: prod
    region: us-west-2
    account: "444455556666"
    assumeRole: {roleArn: "arn:aws:iam::444455556666:role/CrossAccountEKSAdmin"}
    access:
      - principal: frank
        policies: [{policy: AmazonEKSEditPolicy}]
`
	gateOwnOnPartner(w)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fp, err := w.env.PlanFile(ctx, FileRequest{File: writeFile(t, file), Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(fp.Clusters) != 5 || len(fp.Failures) != 0 {
		t.Fatalf("clusters %d, failures %+v", len(fp.Clusters), fp.Failures)
	}
}
