package view

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"eksaccess/internal/plan"
	"eksaccess/internal/role"
	"eksaccess/internal/usecase"
)

func hasAll(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

func TestEntriesCells(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	e := &plan.LiveEntry{
		PrincipalArn: "arn:aws:iam::111122223333:user/alice", Type: "STANDARD",
		Tags: map[string]string{plan.TagExpires: "2026-01-01T00:00:00Z"},
		Policies: []plan.LivePolicy{
			{PolicyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", ScopeType: "cluster"},
			{PolicyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy", ScopeType: "namespace", Namespaces: []string{"a", "b"}},
		},
	}
	var b bytes.Buffer
	if err := Entries(&b, []*plan.LiveEntry{e}, now); err != nil {
		t.Fatal(err)
	}
	hasAll(t, "entries list", b.String(), "AmazonEKSViewPolicy(cluster) AmazonEKSEditPolicy(a,b)", "2026-01-01T00:00:00Z (expired)")
	b.Reset()
	if err := Entries(&b, []*plan.LiveEntry{e}, time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "(expired)") {
		t.Errorf("an expiry still ahead is marked expired:\n%s", b.String())
	}
}

func TestAuditWhere(t *testing.T) {
	for _, c := range []struct {
		in   usecase.AuditCluster
		want string
	}{
		{usecase.AuditCluster{AuditTarget: usecase.AuditTarget{Account: "111122223333", Region: "us-west-2", Cluster: "a"}}, "a (111122223333, us-west-2)"},
		{usecase.AuditCluster{AuditTarget: usecase.AuditTarget{Account: "444455556666", Reach: "role arn:aws:iam::444455556666:role/Audit"}}, "account 444455556666 (through role arn:aws:iam::444455556666:role/Audit)"},
		{usecase.AuditCluster{}, "account"},
	} {
		if got := auditWhere(c.in); got != c.want {
			t.Errorf("auditWhere(%+v) = %q, want %q", c.in.AuditTarget, got, c.want)
		}
	}
	var b bytes.Buffer
	AuditProblems(&b, &usecase.AuditResult{Clusters: []usecase.AuditCluster{
		{AuditTarget: usecase.AuditTarget{Cluster: "gone", Account: "111122223333"}, Error: "not found"},
		{AuditTarget: usecase.AuditTarget{Cluster: "ok"}, RBAC: "unknown: the API did not answer"},
	}})
	hasAll(t, "audit problems", b.String(), "error: gone (111122223333): not found\n", "note: ok: groups' RBAC unknown: the API did not answer\n")
}

func TestVerifyShowsOfflineOnlyWhenItDisagrees(t *testing.T) {
	res := &usecase.VerifyResult{Cluster: "c", User: usecase.VerifyUser{Username: "alice"}, Checks: []usecase.VerifyCheckResult{
		{Check: "list:pods", Expected: "yes", Result: "yes", OK: true, Offline: "yes"},
	}}
	var b bytes.Buffer
	if err := Verify(&b, res); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "OFFLINE") {
		t.Errorf("agreeing answers show the offline column:\n%s", b.String())
	}
	res.Checks = append(res.Checks, usecase.VerifyCheckResult{Check: "get:secrets", Expected: "no", Result: "yes", Offline: "no", Disagrees: true})
	res.Disagreements, res.Failed = 1, 1
	b.Reset()
	if err := Verify(&b, res); err != nil {
		t.Fatal(err)
	}
	hasAll(t, "verify", b.String(), "OFFLINE", "yes (FAIL)", "no (DISAGREES)", "1 checks: the cluster's answer differs")
}

func TestRoleCreateWords(t *testing.T) {
	out := &usecase.RoleCreateResult{Result: &role.Result{Steps: []role.Step{
		{Resource: "policy", Name: "P", Status: role.Created},
		{Resource: "role", Name: "R", Status: role.Unchanged, Arn: "arn:aws:iam::111122223333:role/R"},
	}}}
	var b bytes.Buffer
	RoleCreate(&b, out, true)
	hasAll(t, "role create --dry-run", b.String(), "would create", "unchanged", "dry run: 1 to change, nothing changed")
	b.Reset()
	RoleCreate(&b, out, false)
	hasAll(t, "role create", b.String(), "created", "1 changed")
}

func TestDryRunCountsPrincipalsWithChanges(t *testing.T) {
	plans := []plan.PrincipalPlan{
		{Principal: "arn:aws:iam::111122223333:user/a", Changes: []plan.Change{{Action: plan.ActCreate, Principal: "arn:aws:iam::111122223333:user/a"}}},
		{Principal: "arn:aws:iam::111122223333:user/b"},
	}
	var b bytes.Buffer
	DryRun(&b, "grant", plans, false)
	hasAll(t, "dry run", b.String(), "dry run: grant would change 1 of 2 principals (nothing was changed)")
}

func TestClustersOrchestration(t *testing.T) {
	var b bytes.Buffer
	if err := Clusters(&b, []usecase.ClusterInfo{
		{Name: "eks", Kind: "EKS", HyperPod: []string{"hp1", "hp2"}},
		{Name: "hp1", Kind: "HyperPod", EKSCluster: "eks"},
	}); err != nil {
		t.Fatal(err)
	}
	hasAll(t, "clusters", b.String(), "HyperPod: hp1,hp2", "EKS: eks")
}
