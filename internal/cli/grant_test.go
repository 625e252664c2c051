package cli

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"

	"eksaccess/internal/apply"
	"eksaccess/internal/plan"
	"eksaccess/internal/sandbox"
	"eksaccess/internal/sandbox/state"
)

const editArn = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"

func TestGrantUsersFileThenIdempotentRerun(t *testing.T) {
	h := newSBHarness(t)
	// BOM, CRLF, comments, blank lines, spaces, a duplicate and no final newline.
	f := h.write("users.txt", "\ufeff# team a\r\n alice \r\n\r\nbob # the new one\r\nalice\r\ncarol")
	out := h.mustRun("grant", "-c", "hyperpod-demo", "--policy", "AmazonEKSEditPolicy", "--namespace", "hyperpod-ns-team-a", "--users-file", f)
	if !strings.Contains(out, "3 created, 0 updated, 0 deleted, 0 unchanged, 0 failed") {
		t.Fatalf("summary:\n%s", out)
	}
	for _, u := range []string{"alice", "bob", "carol"} {
		e := h.entry("hyperpod-demo", kaUser(u))
		if e == nil || len(e.Policies) != 1 || e.Policies[0].PolicyArn != editArn || e.Policies[0].ScopeType != "namespace" ||
			strings.Join(e.Policies[0].Namespaces, ",") != "hyperpod-ns-team-a" || e.Tags[plan.TagManaged] != "true" {
			t.Fatalf("%s: entry %+v", u, e)
		}
	}
	m := h.mutating(0)
	if m["CreateAccessEntry"] != 3 || m["AssociateAccessPolicy"] != 3 || total(m) != 6 {
		t.Fatalf("first run mutations: %v", m)
	}
	out = h.mustRun("grant", "-c", "hyperpod-demo", "--policy", "AmazonEKSEditPolicy", "--namespace", "hyperpod-ns-team-a", "--users-file", f)
	if !strings.Contains(out, "0 created, 0 updated, 0 deleted, 3 unchanged, 0 failed") {
		t.Fatalf("second summary:\n%s", out)
	}
	if m2 := h.mutating(0); total(m2) != 6 {
		t.Fatalf("second run made mutating calls: %v", m2)
	}
	// The journal records each change with the caller, and never a secret.
	recs, err := apply.ReadJournal(h.env["EKSACCESS_JOURNAL"])
	if err != nil {
		t.Fatal(err)
	}
	var creates int
	for _, r := range recs {
		if r.Action == "create" && r.Result == "ok" && r.Caller == kaUser("admin") && r.Cluster == "hyperpod-demo" {
			creates++
		}
	}
	if creates != 3 {
		t.Fatalf("journal has %d create records: %+v", creates, recs)
	}
	raw, _ := os.ReadFile(h.env["EKSACCESS_JOURNAL"])
	if strings.Contains(string(raw), h.env["AWS_SECRET_ACCESS_KEY"]) {
		t.Fatal("journal contains the secret key")
	}
	if fi, _ := os.Stat(h.env["EKSACCESS_JOURNAL"]); fi.Mode().Perm() != 0o600 {
		t.Fatalf("journal mode %v", fi.Mode().Perm())
	}
}

func TestGrantBadInputChangesNothing(t *testing.T) {
	h := newSBHarness(t)
	bad := h.write("bad.txt", "alice\nnot a name\nghost\n")
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"unknown and invalid users with file lines", []string{"--policy", "AmazonEKSViewPolicy", "--users-file", bad}, []string{"bad.txt:2:", "bad.txt:3: no IAM user named ghost"}},
		{"unknown policy", []string{"--policy", "AmazonEKSViewPolicyy", "alice"}, []string{"--policy AmazonEKSViewPolicyy: no access policy of that name"}},
		{"namespace not a DNS label", []string{"--policy", "AmazonEKSViewPolicy", "--namespace", "Team_A", "alice"}, []string{"--namespace Team_A"}},
		{"other partition", []string{"--policy", "AmazonEKSViewPolicy", "arn:aws-cn:iam::111122223333:user/alice"}, []string{"partition aws-cn"}},
		{"missing users file", []string{"--policy", "AmazonEKSViewPolicy", "--users-file", "/nonexistent/users.txt"}, []string{"/nonexistent/users.txt: cannot read the users file"}},
		{"no policy", []string{"alice"}, []string{"--policy"}},
		{"no principals", []string{"--policy", "AmazonEKSViewPolicy"}, []string{"name who gets access"}},
		{"bad expiry", []string{"--policy", "AmazonEKSViewPolicy", "--expires", "yesterday", "alice"}, []string{"--expires"}},
		{"expiry in the past", []string{"--policy", "AmazonEKSViewPolicy", "--expires", "2001-01-01", "alice"}, []string{"not in the future"}},
		{"reserved username", []string{"--policy", "AmazonEKSViewPolicy", "--username", "system:admin", "alice"}, []string{"--username"}},
		{"system group", []string{"--policy", "AmazonEKSViewPolicy", "--group", "system:masters", "alice"}, []string{"--group system:masters"}},
		{"unknown type", []string{"--type", "EC3", "role/SageMakerHyperPodNodeRole"}, []string{"--type"}},
		{"session ARN", []string{"--policy", "AmazonEKSViewPolicy", "arn:aws:sts::111122223333:assumed-role/Admin/alice"}, []string{"assumed-role"}},
		{"cluster name", []string{"--policy", "AmazonEKSViewPolicy", "alice", "-c", "bad name"}, []string{"cluster name"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"grant", "-c", "hyperpod-demo"}, tc.args...)
			_, errOut, code := h.run(args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr:\n%s", code, errOut)
			}
			mustContain(t, "stderr", errOut, tc.want...)
		})
	}
	if m := h.mutating(0); total(m) != 0 {
		t.Fatalf("bad input made mutating calls: %v", m)
	}
}

func TestGrantDryRunChangesNothing(t *testing.T) {
	h := newSBHarness(t)
	out := h.mustRun("grant", "-c", "hyperpod-demo", "--policy", "AmazonEKSViewPolicy", "--dry-run", "alice", "bob")
	if !strings.Contains(out, "dry run: grant would change 2 of 2 principals") || !strings.Contains(out, "+ create "+kaUser("alice")) ||
		!strings.Contains(out, "+ associate "+kaUser("bob")+" AmazonEKSViewPolicy(cluster)") {
		t.Fatalf("dry run output:\n%s", out)
	}
	if m := h.mutating(0); total(m) != 0 {
		t.Fatalf("dry run mutated: %v", m)
	}
}

func TestGrantFinishesEntryLeftWithoutPolicy(t *testing.T) {
	h := newSBHarness(t)
	// A run that died between CreateAccessEntry and AssociateAccessPolicy left this behind.
	_, err := h.eksClient().CreateAccessEntry(context.Background(), &eks.CreateAccessEntryInput{
		ClusterName: aws.String("hyperpod-demo"), PrincipalArn: aws.String(kaUser("alice")), Tags: map[string]string{plan.TagManaged: "true"},
	})
	if err != nil {
		t.Fatal(err)
	}
	before := total(h.mutating(0))
	out := h.mustRun("grant", "-c", "hyperpod-demo", "--policy", "AmazonEKSEditPolicy", "-n", "hyperpod-ns-team-a", "alice")
	m := h.mutating(0)
	if m["CreateAccessEntry"] != 1 || m["AssociateAccessPolicy"] != 1 || total(m)-before != 1 {
		t.Fatalf("mutations %v (before %d)\n%s", m, before, out)
	}
	if e := h.entry("hyperpod-demo", kaUser("alice")); len(e.Policies) != 1 {
		t.Fatalf("entry %+v", e)
	}
}

func TestGrantRescopesInPlaceAndUpdatesGroups(t *testing.T) {
	h := newSBHarness(t)
	h.mustRun("grant", "-c", "hyperpod-demo", "--policy", "AmazonEKSEditPolicy", "-n", "hyperpod-ns-team-a", "alice")
	before := h.mutating(0)
	out := h.mustRun("grant", "-c", "hyperpod-demo", "--policy", "AmazonEKSEditPolicy", "-n", "hyperpod-ns-team-b", "-n", "hyperpod-ns-team-a", "--group", "ml-users", "alice")
	after := h.mutating(0)
	if after["AssociateAccessPolicy"]-before["AssociateAccessPolicy"] != 1 || after["UpdateAccessEntry"]-before["UpdateAccessEntry"] != 1 ||
		after["DeleteAccessEntry"] != 0 || after["DisassociateAccessPolicy"] != 0 {
		t.Fatalf("before %v after %v\n%s", before, after, out)
	}
	e := h.entry("hyperpod-demo", kaUser("alice"))
	if strings.Join(e.Policies[0].Namespaces, ",") != "hyperpod-ns-team-a,hyperpod-ns-team-b" || strings.Join(e.KubernetesGroups, ",") != "ml-users" {
		t.Fatalf("entry %+v", e)
	}
	if !strings.Contains(out, "1 updated") {
		t.Fatalf("summary:\n%s", out)
	}
}

func TestGrantHyperPodIAMGroupAndExpiry(t *testing.T) {
	h := newSBHarness(t)
	h.mustRun("grant", "--hyperpod", "ml-team-hp", "--policy", "AmazonEKSViewPolicy", "--iam-group", "data-scientists", "--expires", "30d")
	for _, u := range []string{"alice", "bob", "carol"} {
		e := h.entry("hyperpod-demo", kaUser(u))
		if e == nil {
			t.Fatalf("%s has no entry", u)
		}
		exp := e.NextExpiry()
		if exp.Before(time.Now().Add(29*24*time.Hour)) || exp.After(time.Now().Add(31*24*time.Hour)) {
			t.Fatalf("%s expiry tags %v", u, e.Tags)
		}
	}
	out := h.mustRun("entries", "list", "-c", "hyperpod-demo")
	if !strings.Contains(out, "EXPIRES") || strings.Count(out, time.Now().Add(30*24*time.Hour).UTC().Format("2006-01-02")) != 3 {
		t.Fatalf("entries list does not show the expiry:\n%s", out)
	}
}

func TestGrantWaitsOutConsistencyAndThrottling(t *testing.T) {
	h := newSBHarness(t, func(o *sandbox.Options) {
		o.ConsistencyDelay = 3 * time.Second
		o.ThrottleRPS = 30
	})
	names := h.addUsers("bulk", 40)
	// One principal created just now: EKS refuses it until the delay passes.
	err := h.srv.Store().Update(func(d *state.Data) error {
		d.Users["fresh"] = &state.User{Path: "/", UserName: "fresh", UserID: "AIDAFRESHFRESHFRESH1", Arn: kaUser("fresh"), CreateDate: time.Now()}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f := h.write("bulk.txt", strings.Join(append([]string{"fresh"}, names...), "\n"))
	out := h.mustRun("grant", "-c", "hyperpod-demo", "--policy", "AmazonEKSViewPolicy", "--users-file", f)
	if !strings.Contains(out, "41 created, 0 updated, 0 deleted, 0 unchanged, 0 failed") {
		t.Fatalf("summary:\n%s", out)
	}
	var throttled, refused int
	for _, r := range h.srv.Requests() {
		if r.ErrorCode == "ThrottlingException" {
			throttled++
		}
		if r.Operation == "CreateAccessEntry" && r.ErrorCode == "InvalidParameterException" {
			refused++
		}
	}
	if refused == 0 {
		t.Fatalf("the sandbox never refused the fresh principal: the test does not exercise the consistency wait")
	}
	t.Logf("throttled %d, refused for consistency %d", throttled, refused)
	if e := h.entry("hyperpod-demo", kaUser("fresh")); e == nil || len(e.Policies) != 1 {
		t.Fatalf("fresh entry %+v", e)
	}
}

func TestRevoke(t *testing.T) {
	h := newSBHarness(t)
	h.mustRun("grant", "-c", "hyperpod-demo", "--policy", "AmazonEKSEditPolicy", "--policy", "AmazonEKSViewPolicy", "alice", "bob")
	out := h.mustRun("revoke", "-c", "hyperpod-demo", "--policy", "AmazonEKSEditPolicy", "alice")
	if e := h.entry("hyperpod-demo", kaUser("alice")); e == nil || len(e.Policies) != 1 || plan.PolicyName(e.Policies[0].PolicyArn) != "AmazonEKSViewPolicy" {
		t.Fatalf("after policy revoke: %+v\n%s", e, out)
	}
	// A name that matches neither an entry nor IAM is a typo: bad input, nothing changed.
	before0 := total(h.mutating(0))
	_, errOut, code := h.run("revoke", "-c", "hyperpod-demo", "bob", "nobody-here")
	if code != 2 || !strings.Contains(errOut, "argument 2: no IAM user named nobody-here") || total(h.mutating(0)) != before0 {
		t.Fatalf("revoke of an unknown name: exit %d\n%s", code, errOut)
	}
	h.mustRun("revoke", "-c", "hyperpod-demo", "bob")
	if e := h.entry("hyperpod-demo", kaUser("bob")); e != nil {
		t.Fatalf("bob still has %+v", e)
	}
	// Revoking again is a no-op, not an error.
	out = h.mustRun("revoke", "-c", "hyperpod-demo", "bob")
	if !strings.Contains(out, "1 unchanged") {
		t.Fatalf("second revoke:\n%s", out)
	}
	before := total(h.mutating(0))
	for _, args := range [][]string{
		{"revoke", "-c", "hyperpod-demo", "admin"},                          // own entry, creator, last admin
		{"revoke", "-c", "hyperpod-demo", "role/SageMakerHyperPodNodeRole"}, // node entry
		{"revoke", "-c", "hyperpod-demo", "--policy", "AmazonEKSClusterAdminPolicy", "admin"},
	} {
		_, errOut, code := h.run(args...)
		if code != 1 || !strings.Contains(errOut, "nothing was changed") || !strings.Contains(errOut, "refused by guardrail") || !strings.Contains(errOut, "--force") {
			t.Fatalf("%v: exit %d\n%s", args, code, errOut)
		}
	}
	if got := total(h.mutating(0)); got != before {
		t.Fatalf("refused revokes made %d mutating calls", got-before)
	}
	h.mustRun("revoke", "-c", "hyperpod-demo", "--force", "role/SageMakerHyperPodNodeRole", "role/SageMakerHyperPodNodeRole")
	if e := h.entry("hyperpod-demo", "arn:aws:iam::111122223333:role/SageMakerHyperPodNodeRole"); e != nil {
		t.Fatalf("forced revoke left %+v", e)
	}
	_ = types.AccessScopeTypeCluster
}
