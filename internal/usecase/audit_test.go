package usecase

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"eksaccess/internal/plan"
)

func auditWorld(t *testing.T) *world {
	w := newWorld(t, carol, []string{"carol", "creator", "viewer", "ops"}, []string{"app"})
	c := w.eks.addCluster("c", "API_AND_CONFIG_MAP")
	c.add(creator, "STANDARD", clusterCreated, nil, "AmazonEKSClusterAdminPolicy")
	c.add(carol, "STANDARD", clusterCreated.Add(48*time.Hour), map[string]string{plan.TagManaged: "true", plan.TagExpiresPrefix + "AmazonEKSEditPolicy": "2026-12-01T00:00:00Z"}, "AmazonEKSEditPolicy:team-a,team-b", "AmazonEKSViewPolicy")
	c.add(iamPrefix+"role/app", "STANDARD", clusterCreated.Add(48*time.Hour), nil).groups = []string{"devs", "system:masters"}
	c.add(viewer, "STANDARD", clusterCreated.Add(48*time.Hour), nil)
	c.add(node, "EC2_LINUX", clusterCreated, nil)
	d := w.eks.addCluster("d", "API")
	d.add(ops, "STANDARD", clusterCreated.Add(48*time.Hour), nil, "AmazonEKSAdminPolicy:team-a")
	w.env.ReadKube = kubeFake([]string{"default", "team-a"}, map[string]string{"devs": "edit"})
	return w
}

func rowKeys(rows []AuditRow) []string {
	var out []string
	for _, r := range rows {
		k := r.Cluster + " " + strings.TrimPrefix(r.Principal, iamPrefix) + " " + r.Grant + " " + r.Policy + r.Group + " " + r.Level
		if r.Expires != "" {
			k += " expires " + r.Expires
		}
		if r.Drift != "" {
			k += " drift " + r.Drift
		}
		out = append(out, k)
	}
	return out
}

func TestAuditClusters(t *testing.T) {
	t.Parallel()
	w := auditWorld(t)
	res, err := w.env.Audit(context.Background(), AuditRequest{ClusterSet: ClusterSet{Clusters: []string{"c", "d", "missing"}}, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"c role/app group devs edit",
		"c role/app group system:masters cluster-admin",
		"c role/node node  node",
		"c user/carol policy AmazonEKSEditPolicy edit (namespaces) expires 2026-12-01T00:00:00Z",
		"c user/carol policy AmazonEKSViewPolicy view",
		"c user/creator policy AmazonEKSClusterAdminPolicy cluster-admin",
		"c user/viewer none  none",
		"d user/ops policy AmazonEKSAdminPolicy admin (namespaces)",
	}
	wantLines(t, "rows", rowKeys(res.Rows), want)
	if res.Summary.Clusters != 3 || res.Summary.Failed != 1 || res.Summary.Principals != 6 || res.Summary.Rows != len(want) {
		t.Errorf("summary %+v", res.Summary)
	}
	if !res.Failed() || !strings.Contains(res.Clusters[2].Error, "not found") {
		t.Errorf("the missing cluster is not reported: %+v", res.Clusters[2])
	}
	for _, r := range res.Rows {
		if r.Account != acct || r.Region != "us-west-2" || r.CreatedAt.IsZero() {
			t.Errorf("row lacks account, region or createdAt: %+v", r)
		}
		if r.Group == "devs" && (!r.RBACKnown || !slices.Equal(r.RBAC, []string{"ClusterRoleBinding devs-binding → ClusterRole edit"})) {
			t.Errorf("devs' RBAC: %+v", r)
		}
	}
	if n := len(w.eks.mutations()); n != 0 {
		t.Errorf("audit changed %d thing(s)", n)
	}
}

// The reads are the API's minimum: per cluster DescribeCluster and the ListAccessEntries
// pages (the fake answers in one); per entry DescribeAccessEntry, and
// ListAssociatedAccessPolicies for STANDARD entries. bench/audit.sh counts the pages of 100
// against the sandbox.
func TestAuditCallsAreTheMinimum(t *testing.T) {
	t.Parallel()
	w := newWorld(t, carol, nil, nil)
	w.env.ReadKube = nil
	c := w.eks.addCluster("big", "API")
	for i := range 250 {
		c.add(fmt.Sprintf("%suser/u%03d", iamPrefix, i), "STANDARD", clusterCreated, nil, "AmazonEKSViewPolicy")
	}
	if _, err := w.env.Audit(context.Background(), AuditRequest{ClusterSet: ClusterSet{Clusters: []string{"big"}}, Concurrency: 8}); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, op := range w.eks.calls {
		count[op]++
	}
	want := map[string]int{"DescribeCluster": 1, "ListAccessEntries": 1, "DescribeAccessEntry": 250, "ListAssociatedAccessPolicies": 250}
	for op, n := range want {
		if count[op] != n {
			t.Errorf("%s: %d calls, want %d", op, count[op], n)
		}
	}
	if len(w.eks.calls) != 502 {
		t.Errorf("%d calls in all, want 502: %v", len(w.eks.calls), count)
	}
}

func TestAuditFileDrift(t *testing.T) {
	t.Parallel()
	w := auditWorld(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "access.yaml")
	body := `apiVersion: eksaccess/v1
kind: AccessConfig
clusters:
  - name: d
    region: us-west-2
    access:
      - principal: ops
        policies:
          - policy: AmazonEKSAdminPolicy
            namespaces: [team-a, team-b]
      - principal: viewer
        policies:
          - policy: AmazonEKSViewPolicy
`
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := w.env.Audit(context.Background(), AuditRequest{ClusterSet: ClusterSet{File: file}, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"d user/ops policy AmazonEKSAdminPolicy admin (namespaces) drift differs: ~ rescope " + ops + " AmazonEKSAdminPolicy(team-a) -> AmazonEKSAdminPolicy(team-a,team-b)",
		"d user/viewer none  none drift missing",
	}
	wantLines(t, "rows", rowKeys(res.Rows), want)
	if res.Summary.Drift != 2 {
		t.Errorf("drift %d, want 2", res.Summary.Drift)
	}
}

func TestAuditBadInput(t *testing.T) {
	t.Parallel()
	w := auditWorld(t)
	for _, r := range []AuditRequest{
		{Concurrency: 1},
		{ClusterSet: ClusterSet{File: "a.yaml", Clusters: []string{"c"}}, Concurrency: 1},
		{ClusterSet: ClusterSet{Clusters: []string{"c"}}, All: true, Concurrency: 1},
		{ClusterSet: ClusterSet{Clusters: []string{"c"}}, Regions: []string{"us-east-1"}, Concurrency: 1},
		{All: true, Regions: []string{"Mars"}, Concurrency: 1},
		{ClusterSet: ClusterSet{Clusters: []string{"c"}}},
	} {
		if _, err := w.env.Audit(context.Background(), r); !IsInput(err) {
			t.Errorf("%+v: %v, want an input error", r, err)
		}
	}
	if len(w.eks.calls) != 0 {
		t.Errorf("bad input made calls: %v", w.eks.calls)
	}
}

func TestAuditAll(t *testing.T) {
	t.Parallel()
	w := auditWorld(t)
	res, err := w.env.Audit(context.Background(), AuditRequest{All: true, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range res.Clusters {
		names = append(names, c.Cluster)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"c", "d"}) || res.Summary.Failed != 0 {
		t.Errorf("clusters %v, summary %+v", names, res.Summary)
	}
}
