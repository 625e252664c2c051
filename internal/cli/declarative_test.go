package cli

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"eksaccess/internal/plan"
	"eksaccess/internal/sandbox/state"
)

// declEnv runs eksaccess in-process against a fresh sandbox, with --rate 1000 (the
// declarative commands' own harness, so it does not depend on other commands' test files).
type declEnv struct {
	*sbHarness
	dir string
}

func newDeclEnv(t *testing.T) *declEnv {
	t.Helper()
	h := newSBHarness(t)
	h.flags = []string{"--rate", "1000"}
	return &declEnv{sbHarness: h, dir: h.env["HOME"]}
}

// expectCode runs and checks the exit code, returning stdout+stderr.
func (e *declEnv) expectCode(want int, args ...string) string {
	e.t.Helper()
	out, errOut, code := e.run(args...)
	if code != want {
		e.t.Fatalf("eksaccess %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, out, errOut)
	}
	return out + errOut
}

func (e *declEnv) eks() *eks.Client { return e.eksClient() }

// entries describes a cluster's live entries as sorted "ARN TYPE managed? policies" lines.
func (e *declEnv) entries(cluster string) []string {
	e.t.Helper()
	r, err := plan.ReadCluster(context.Background(), e.eks(), cluster, plan.ReadOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, le := range r.SortedEntries() {
		s := le.PrincipalArn + " " + le.Type
		if le.Managed() {
			s += " managed"
		}
		for _, p := range le.Policies {
			s += " " + plan.DescribePolicy(p.PolicyArn, p.Namespaces)
		}
		if len(le.KubernetesGroups) > 0 {
			g := append([]string(nil), le.KubernetesGroups...)
			sort.Strings(g)
			s += " groups=" + strings.Join(g, ",")
		}
		if t := le.NextExpiry(); !t.IsZero() {
			s += " expires=" + plan.FormatExpiry(t)
		}
		out = append(out, s)
	}
	return out
}

func (e *declEnv) authMode(cluster string) string {
	var m string
	e.srv.Store().Read(func(d *state.Data) error {
		m = d.Clusters[cluster].AuthenticationMode
		return nil
	})
	return m
}

func declEqLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s:\ngot:\n  %s\nwant:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func declEqCounts(t *testing.T, what string, got map[string]int, want map[string]int) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: mutating calls %v, want %v", what, got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("%s: mutating calls %v, want %v", what, got, want)
		}
	}
}

const (
	declAcct      = "arn:aws:iam::111122223333:"
	declSsoArn    = declAcct + "role/aws-reserved/sso.amazonaws.com/us-west-2/AWSReservedSSO_DataScientist_0123456789abcdef"
	declFleetFile = `apiVersion: eksaccess/v1
kind: AccessConfig
clusters:
  - hyperpod: ml-team-hp
    region: us-west-2
    access:
      - principal: admin
        policies: [{policy: AmazonEKSClusterAdminPolicy}]
      - usersFile: users.txt
        policies: [{policy: AmazonEKSEditPolicy, namespaces: [hyperpod-ns-team-a]}]
      - permissionSet: DataScientist
        kubernetesGroups: [hyperpod-scientist-user-cluster-level]
        policies: [{policy: AmazonEKSViewPolicy, namespaces: [team-*]}]
      - principal: carol
        policies: [{policy: AmazonEKSViewPolicy}]
        expires: 2030-01-01
  - name: legacy-cm
    region: us-west-2
    authenticationMode: API_AND_CONFIG_MAP
    access:
      - principal: role/PlatformAdmin
        policies: [{policy: AmazonEKSClusterAdminPolicy}]
      - iamGroup: data-scientists
        policies: [{policy: AmazonEKSViewPolicy, namespaces: [default]}]
      - principal: role/legacy-cm-node-role
        type: EC2_LINUX
`
)

// fleet writes the access file covering both demo clusters (hyperpod-demo through its
// HyperPod cluster ml-team-hp, and legacy-cm) and returns its path.
func (e *declEnv) fleet() string {
	e.write("users.txt", "alice\n# a comment\r\nbob")
	return e.write("access.yaml", declFleetFile)
}

var declFleetHyperPod = []string{
	declAcct + "role/SageMakerHyperPodNodeRole HYPERPOD_LINUX",
	declSsoArn + " STANDARD managed AmazonEKSViewPolicy(team-*) groups=hyperpod-scientist-user-cluster-level",
	declAcct + "user/admin STANDARD AmazonEKSClusterAdminPolicy(cluster)",
	declAcct + "user/alice STANDARD managed AmazonEKSEditPolicy(hyperpod-ns-team-a)",
	declAcct + "user/bob STANDARD managed AmazonEKSEditPolicy(hyperpod-ns-team-a)",
	declAcct + "user/carol STANDARD managed AmazonEKSViewPolicy(cluster) expires=2030-01-01T00:00:00Z",
}

var declFleetLegacy = []string{
	declAcct + "role/PlatformAdmin STANDARD managed AmazonEKSClusterAdminPolicy(cluster)",
	declAcct + "role/legacy-cm-node-role EC2_LINUX managed groups=system:nodes",
	declAcct + "user/alice STANDARD managed AmazonEKSViewPolicy(default)",
	declAcct + "user/bob STANDARD managed AmazonEKSViewPolicy(default)",
	declAcct + "user/carol STANDARD managed AmazonEKSViewPolicy(default)",
}

func TestDeclarativePlanApplyPlan(t *testing.T) {
	e := newDeclEnv(t)
	file := e.fleet()

	m := e.mark()
	out := e.expectCode(2, "plan", "-f", file, "--detailed-exitcode")
	declEqCounts(t, "plan", e.mutating(m), nil)
	mustContain(t, "plan output", out,
		"cluster hyperpod-demo (us-west-2)",
		"(hyperpod ml-team-hp)",
		"cluster legacy-cm (us-west-2)",
		"~ authenticationMode CONFIG_MAP -> API_AND_CONFIG_MAP",
		"+ create "+declAcct+"user/alice (type=STANDARD)",
		"+ associate "+declAcct+"user/alice AmazonEKSEditPolicy(hyperpod-ns-team-a)",
		"+ create "+declSsoArn+" (type=STANDARD groups=[hyperpod-scientist-user-cluster-level])",
		"+ create "+declAcct+"role/legacy-cm-node-role (type=EC2_LINUX)",
		"+ create "+declAcct+"user/carol (type=STANDARD expires=2030-01-01T00:00:00Z)",
		"Plan: 18 change(s) on 2 of 2 cluster(s): 1 authenticationMode switch, 9 create, 8 associate.")

	m = e.mark()
	out = e.mustRun("apply", "-f", file, "--yes")
	if !strings.Contains(out, "re-plan: no changes remain") {
		t.Errorf("apply output lacks the re-plan confirmation:\n%s", out)
	}
	declEqCounts(t, "apply", e.mutating(m), map[string]int{"UpdateClusterConfig": 1, "CreateAccessEntry": 9, "AssociateAccessPolicy": 8})
	if got := e.authMode("legacy-cm"); got != "API_AND_CONFIG_MAP" {
		t.Fatalf("legacy-cm mode = %s", got)
	}
	declEqLines(t, "hyperpod-demo", e.entries("hyperpod-demo"), declFleetHyperPod)
	declEqLines(t, "legacy-cm", e.entries("legacy-cm"), declFleetLegacy)

	m = e.mark()
	out = e.expectCode(0, "plan", "-f", file, "--detailed-exitcode")
	if !strings.Contains(out, "No changes: 2 cluster(s) match the file.") {
		t.Errorf("second plan:\n%s", out)
	}
	declEqCounts(t, "second plan", e.mutating(m), nil)
	// Applying again changes nothing.
	m = e.mark()
	e.mustRun("apply", "-f", file, "--yes")
	declEqCounts(t, "second apply", e.mutating(m), nil)
}

// useUser makes the next commands run as IAM user name (a fresh access key in the sandbox).
func (e *declEnv) useUser(name string) {
	e.t.Helper()
	id, secret := "AKIADECL"+strings.ToUpper(name)+"00000000"[:12-len(name)], "secret-of-"+name+"-0123456789012345678901234"
	err := e.srv.Store().Update(func(d *state.Data) error {
		d.AccessKeys[id] = &state.AccessKey{AccessKeyID: id, SecretAccessKey: secret, UserName: name, Status: "Active", CreateDate: time.Now().Add(-time.Hour)}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.as(id, secret)
}

func TestDeclarativeRescopeInPlace(t *testing.T) {
	e := newDeclEnv(t)
	file := e.fleet()
	e.mustRun("apply", "-f", file, "--yes")
	e.write("access.yaml", strings.Replace(declFleetFile, "policies: [{policy: AmazonEKSViewPolicy}]\n        expires", "policies: [{policy: AmazonEKSViewPolicy, namespaces: [team-b, team-a]}]\n        expires", 1))
	out := e.expectCode(2, "plan", "-f", file, "--detailed-exitcode")
	mustContain(t, "plan", out, "~ rescope "+declAcct+"user/carol AmazonEKSViewPolicy(cluster) -> AmazonEKSViewPolicy(team-a,team-b)",
		// carol's grant expires: its record now names the namespaces it covers.
		"~ tag "+declAcct+"user/carol eksaccess/expires/AmazonEKSViewPolicy=2030-01-01T00:00:00Z team-a team-b",
		"Plan: 2 change(s) on 1 of 2 cluster(s): 1 tag, 1 rescope.")
	m := e.mark()
	e.mustRun("apply", "-f", file, "--yes")
	declEqCounts(t, "rescope", e.mutating(m), map[string]int{"AssociateAccessPolicy": 1, "TagResource": 1})
	got := e.entries("hyperpod-demo")
	mustContain(t, "carol", strings.Join(got, "\n"), declAcct+"user/carol STANDARD managed AmazonEKSViewPolicy(team-a,team-b) expires=2030-01-01T00:00:00Z")
}

func TestDeclarativePruneDeletesExactlyTheRemovedUser(t *testing.T) {
	e := newDeclEnv(t)
	file := e.fleet()
	// With prune, the listed but unmanaged admin entry is adopted (tagged) and plan says so.
	out := e.mustRun("apply", "-f", file, "--yes", "--prune")
	mustContain(t, "apply --prune", out, "~ tag "+declAcct+"user/admin eksaccess/managed=true", "# adopt: the entry was not created by eksaccess and becomes managed")
	e.write("users.txt", "alice\n")
	out = e.expectCode(0, "plan", "-f", file, "--detailed-exitcode")
	mustContain(t, "plan without prune", out, declAcct+"user/bob is managed by eksaccess but no longer in the file: kept")
	out = e.expectCode(2, "plan", "-f", file, "--prune", "--detailed-exitcode")
	mustContain(t, "plan --prune", out, "- delete "+declAcct+"user/bob (type=STANDARD policies=AmazonEKSEditPolicy(hyperpod-ns-team-a))", "Plan: 1 change(s) on 1 of 2 cluster(s): 1 delete.")
	m := e.mark()
	e.mustRun("apply", "-f", file, "--yes", "--prune")
	declEqCounts(t, "prune", e.mutating(m), map[string]int{"DeleteAccessEntry": 1})
	want := append([]string{}, declFleetHyperPod...)
	want[2] = declAcct + "user/admin STANDARD managed AmazonEKSClusterAdminPolicy(cluster)"
	want = append(want[:4], want[5:]...)
	declEqLines(t, "after prune", e.entries("hyperpod-demo"), want)
	// prune: true in the file does the same as --prune (nothing left to do now).
	e.write("access.yaml", strings.Replace(declFleetFile, "    region: us-west-2\n    access:", "    region: us-west-2\n    prune: true\n    access:", 1))
	e.expectCode(0, "plan", "-f", file, "--detailed-exitcode")
}

func TestDeclarativeGuardrails(t *testing.T) {
	e := newDeclEnv(t)
	file := e.fleet()
	// dave becomes a second cluster admin of hyperpod-demo, managed by eksaccess; the
	// creator's entry (admin) is adopted.
	withDave := strings.Replace(declFleetFile, "      - usersFile: users.txt", "      - principal: dave\n        policies: [{policy: AmazonEKSClusterAdminPolicy}]\n      - usersFile: users.txt", 1)
	e.write("access.yaml", withDave)
	e.mustRun("apply", "-f", file, "--yes", "--prune")

	refuse := func(name, content string, args []string, principalArn, reason string) {
		t.Helper()
		e.write("access.yaml", content)
		m := e.mark()
		out := e.expectCode(1, append([]string{"plan", "-f", file, "--prune"}, args...)...)
		mustContain(t, name+" plan", out, "! refused by guardrail ", principalArn, reason, "to do it anyway, run again with --force "+principalArn)
		out = e.expectCode(1, append([]string{"apply", "-f", file, "--prune", "--yes"}, args...)...)
		mustContain(t, name+" apply", out, "apply refused: ")
		declEqCounts(t, name+" refused", e.mutating(m), nil)
	}

	// Non-STANDARD: the node entry apply created is managed, yet prune may not delete it.
	noNode := strings.Replace(withDave, "      - principal: role/legacy-cm-node-role\n        type: EC2_LINUX\n", "", 1)
	refuse("node entry", noNode, nil, declAcct+"role/legacy-cm-node-role", "node-entries-unchanged: "+declAcct+"role/legacy-cm-node-role is a EC2_LINUX entry")
	// Last cluster admin: PlatformAdmin is the only cluster-scoped admin of legacy-cm.
	lastAdmin := strings.Replace(withDave, "role/PlatformAdmin\n        policies: [{policy: AmazonEKSClusterAdminPolicy}]", "role/PlatformAdmin\n        policies: [{policy: AmazonEKSViewPolicy}]", 1)
	refuse("last admin", lastAdmin, nil, declAcct+"role/PlatformAdmin", "cluster-admin-remains: it would leave legacy-cm with no AmazonEKSClusterAdminPolicy association at cluster scope")
	// The creator's entry (and, run as admin, the caller's own path).
	noAdmin := strings.Replace(withDave, "      - principal: admin\n        policies: [{policy: AmazonEKSClusterAdminPolicy}]\n", "", 1)
	refuse("creator", noAdmin, nil, declAcct+"user/admin", "creator-entry-stays: "+declAcct+"user/admin is the cluster creator's admin entry")
	// The caller's own access path: dave removing dave.
	e.useUser("dave")
	refuse("caller", declFleetFile, nil, declAcct+"user/dave", "caller-keeps-admin: you ("+declAcct+"user/dave) would lose cluster-admin access to hyperpod-demo")

	// Each override works, and only on the principal named.
	e.write("access.yaml", declFleetFile)
	m := e.mark()
	e.mustRun("apply", "-f", file, "--prune", "--yes", "--force", declAcct+"user/dave")
	declEqCounts(t, "caller override", e.mutating(m), map[string]int{"DeleteAccessEntry": 1})
	e.useUser("admin")
	e.write("access.yaml", strings.Replace(noNode, "      - principal: dave\n        policies: [{policy: AmazonEKSClusterAdminPolicy}]\n", "", 1))
	m = e.mark()
	e.mustRun("apply", "-f", file, "--prune", "--yes", "--force", declAcct+"role/legacy-cm-node-role")
	declEqCounts(t, "node override", e.mutating(m), map[string]int{"DeleteAccessEntry": 1})
	e.write("access.yaml", strings.Replace(strings.Replace(declFleetFile, "      - principal: role/legacy-cm-node-role\n        type: EC2_LINUX\n", "", 1),
		"role/PlatformAdmin\n        policies: [{policy: AmazonEKSClusterAdminPolicy}]", "role/PlatformAdmin\n        policies: [{policy: AmazonEKSViewPolicy}]", 1))
	m = e.mark()
	e.mustRun("apply", "-f", file, "--prune", "--yes", "--force", declAcct+"role/PlatformAdmin")
	declEqCounts(t, "last admin override", e.mutating(m), map[string]int{"AssociateAccessPolicy": 1, "DisassociateAccessPolicy": 1})
}

func TestDeclarativeDetailedExitCodes(t *testing.T) {
	e := newDeclEnv(t)
	file := e.fleet()
	e.expectCode(2, "plan", "-f", file, "--detailed-exitcode")
	e.mustRun("apply", "-f", file, "--yes")
	e.expectCode(0, "plan", "-f", file, "--detailed-exitcode")
	bad := e.write("bad.yaml", "apiVersion: eksaccess/v1\nkind: AccessConfig\nclusters:\n  - name: hyperpod-demo\n    region: us-west-2\n    access:\n      - principal: nobody-such\n        policies: [{policy: AmazonEKSViewPolicy}]\n")
	out := e.expectCode(1, "plan", "-f", bad, "--detailed-exitcode")
	mustContain(t, "unknown user", out, "bad.yaml:7: no IAM user named nobody-such")
	e.expectCode(2, "plan", "-f", bad)
	e.expectCode(1, "plan", "-f", filepath.Join(e.dir, "missing.yaml"), "--detailed-exitcode")
	// JSON carries the same plan.
	out = e.mustRun("plan", "-f", file, "-o", "json")
	mustContain(t, "json", out, `"changes": 0`, `"cluster": "hyperpod-demo"`)
}

func TestDeclarativeApplyNeedsConfirmation(t *testing.T) {
	e := newDeclEnv(t)
	file := e.fleet()
	m := e.mark()
	out := e.expectCode(2, "apply", "-f", file)
	mustContain(t, "apply", out, "there is no terminal to ask on", "--yes")
	e.expectCode(0, "apply", "-f", file, "--dry-run")
	declEqCounts(t, "unconfirmed", e.mutating(m), nil)
}

func TestDeclarativeClusterNamedTwice(t *testing.T) {
	e := newDeclEnv(t)
	f := e.write("twice.yaml", "apiVersion: eksaccess/v1\nkind: AccessConfig\nclusters:\n  - name: hyperpod-demo\n    region: us-west-2\n  - hyperpod: ml-team-hp\n    region: us-west-2\n")
	out := e.expectCode(2, "plan", "-f", f)
	mustContain(t, "plan", out, "twice.yaml:6: EKS cluster hyperpod-demo in us-west-2 is already managed by the section at "+f+":4")
}

func TestDeclarativeExportRoundTrip(t *testing.T) {
	e := newDeclEnv(t)
	// Before any apply: the seed's own entries (creator admin, HyperPod node) and a
	// CONFIG_MAP cluster.
	out := e.mustRun("export", "-c", "hyperpod-demo", "-c", "legacy-cm")
	exported := e.write("exported.yaml", out)
	m := e.mark()
	e.expectCode(0, "plan", "-f", exported, "--detailed-exitcode")
	declEqCounts(t, "round trip", e.mutating(m), nil)

	// After an apply with groups, namespaces, expiry, node entries and a custom username.
	file := e.fleet()
	e.write("access.yaml", strings.Replace(declFleetFile, "      - principal: carol\n", "      - principal: carol\n        username: team:{{SessionName}}\n        kubernetesGroups: [viewers, auditors]\n        tags: {team: a}\n", 1))
	e.mustRun("apply", "-f", file, "--yes")
	_, errOut, code := e.run("export", "-c", "hyperpod-demo", "-c", "legacy-cm", "--output-file", exported)
	if code != 0 {
		t.Fatalf("export: %d %s", code, errOut)
	}
	mustContain(t, "export notes", errOut, declAcct+"role/SageMakerHyperPodNodeRole (HYPERPOD_LINUX) left out")
	b, _ := os.ReadFile(exported)
	mustContain(t, "exported file", string(b),
		"principal: "+declAcct+"user/carol",
		"username: team:{{SessionName}}",
		"kubernetesGroups: [auditors, viewers]",
		"expires: \"2030-01-01T00:00:00Z\"",
		"team: a",
		"type: EC2_LINUX",
		"authenticationMode: API_AND_CONFIG_MAP",
		"namespaces: [team-*]")
	m = e.mark()
	out = e.expectCode(0, "plan", "-f", exported, "--detailed-exitcode")
	mustContain(t, "round trip plan", out, "No changes: 2 cluster(s) match the file.")
	declEqCounts(t, "round trip 2", e.mutating(m), nil)
	// JSON export loads too.
	out = e.mustRun("export", "-c", "hyperpod-demo", "-o", "json")
	j := e.write("exported.json", out)
	e.expectCode(0, "plan", "-f", j, "--detailed-exitcode")
}

func TestDeclarativeExpire(t *testing.T) {
	e := newDeclEnv(t)
	file := e.fleet()
	e.mustRun("apply", "-f", file, "--yes")
	ctx := context.Background()
	c := e.eks()
	// carol's managed grant expired yesterday; erin's entry (not made by eksaccess) too;
	// alice's expires in the future.
	past := time.Now().Add(-24 * time.Hour).UTC().Format(time.RFC3339)
	carol := e.liveEntry("hyperpod-demo", declAcct+"user/carol")
	if _, err := c.TagResource(ctx, &eks.TagResourceInput{ResourceArn: aws.String(carol.AccessEntryArn), Tags: map[string]string{plan.TagExpiresPrefix + "AmazonEKSViewPolicy": past}}); err != nil {
		t.Fatal(err)
	}
	alice := e.liveEntry("hyperpod-demo", declAcct+"user/alice")
	if _, err := c.TagResource(ctx, &eks.TagResourceInput{ResourceArn: aws.String(alice.AccessEntryArn), Tags: map[string]string{plan.TagExpiresPrefix + "AmazonEKSEditPolicy": "2099-01-01 hyperpod-ns-team-a"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("hyperpod-demo"), PrincipalArn: aws.String(declAcct + "user/erin"), Tags: map[string]string{plan.TagExpires: past}}); err != nil {
		t.Fatal(err)
	}
	m := e.mark()
	out := e.mustRun("expire", "-c", "hyperpod-demo", "--dry-run")
	mustContain(t, "dry run", out, "cluster hyperpod-demo: 2 entr(ies) with expired grants", declAcct+"user/carol: AmazonEKSViewPolicy expired "+past,
		declAcct+"user/carol: nothing left, the entry goes", declAcct+"user/erin: every grant expired "+past, declAcct+"user/erin: left alone", "dry run: 1 change(s) would be made")
	declEqCounts(t, "dry run", e.mutating(m), nil)
	out = e.mustRun("expire", "-f", file)
	declEqCounts(t, "expire", e.mutating(m), map[string]int{"DeleteAccessEntry": 1})
	if e.liveEntry("hyperpod-demo", declAcct+"user/carol") != nil || e.liveEntry("hyperpod-demo", declAcct+"user/erin") == nil || e.liveEntry("hyperpod-demo", declAcct+"user/alice") == nil {
		t.Fatalf("expire removed the wrong entries:\n%s\n%s", out, strings.Join(e.entries("hyperpod-demo"), "\n"))
	}
	m = e.mark()
	e.mustRun("expire", "-c", "hyperpod-demo")
	declEqCounts(t, "second expire", e.mutating(m), nil)
}

func (e *declEnv) liveEntry(cluster, arn string) *plan.LiveEntry {
	e.t.Helper()
	return e.entry(cluster, arn)
}

func TestDeclarativeAuthMode(t *testing.T) {
	e := newDeclEnv(t)
	out := e.mustRun("auth-mode", "-c", "legacy-cm")
	mustContain(t, "show", out, "legacy-cm", "CONFIG_MAP", "API_AND_CONFIG_MAP")
	m := e.mark()
	out = e.expectCode(2, "auth-mode", "-c", "legacy-cm", "--set", "API", "--yes")
	mustContain(t, "two steps", out, "EKS switches one step at a time")
	out = e.expectCode(2, "auth-mode", "-c", "legacy-cm", "--set", "API_AND_CONFIG_MAP")
	mustContain(t, "no tty", out, "cannot be undone", "--yes")
	e.expectCode(2, "auth-mode", "-c", "hyperpod-demo", "--set", "CONFIG_MAP", "--yes")
	declEqCounts(t, "refused switches", e.mutating(m), nil)
	e.mustRun("auth-mode", "-c", "legacy-cm", "--set", "API_AND_CONFIG_MAP", "--yes")
	declEqCounts(t, "switch", e.mutating(m), map[string]int{"UpdateClusterConfig": 1})
	// admin has no access entry on legacy-cm: switching it to API would lock admin out.
	// PlatformAdmin's system:masters mapping is the only admin path: switching to API would
	// leave nobody admin (and the caller cannot read aws-auth to show otherwise).
	out = e.expectCode(1, "auth-mode", "-c", "legacy-cm", "--set", "API", "--yes")
	mustContain(t, "lockout", out, "refused by guardrail cluster-admin-remains on legacy-cm", "~ authenticationMode API_AND_CONFIG_MAP -> API", "--force arn:aws:eks:us-west-2:111122223333:cluster/legacy-cm")
	if got := e.authMode("legacy-cm"); got != "API_AND_CONFIG_MAP" {
		t.Fatalf("mode = %s", got)
	}
	e.mustRun("auth-mode", "--hyperpod", "ml-team-hp", "--set", "API", "--yes")
	if got := e.authMode("hyperpod-demo"); got != "API" {
		t.Fatalf("hyperpod-demo mode = %s", got)
	}
}

// A file with a plan that is not the file's: the file must be refused with FILE:LINE:COL
// and no call may change anything.
func TestDeclarativeBadFilesChangeNothing(t *testing.T) {
	e := newDeclEnv(t)
	files, err := filepath.Glob("../accessfile/testdata/bad/*.yaml")
	if err != nil || len(files) < 30 {
		t.Fatalf("bad corpus: %d files, %v", len(files), err)
	}
	m := e.mark()
	for _, f := range files {
		b, _ := os.ReadFile(f)
		first, _, _ := strings.Cut(string(b), "\n")
		want, ok := strings.CutPrefix(first, "# want: ")
		if !ok {
			t.Fatalf("%s: no # want: line", f)
		}
		out, errOut, code := e.run("plan", "-f", f)
		if code != 2 {
			t.Errorf("%s: exit %d, want 2\n%s%s", f, code, out, errOut)
			continue
		}
		// The position: FILE:LINE:COL of the access file, or of the users file it names.
		pos, _, _ := strings.Cut(want, ": ")
		if parts := strings.Split(pos, ":"); len(parts) == 3 {
			pos = parts[1] + ":" + parts[2]
		}
		if !strings.Contains(errOut, ":"+pos+": ") {
			t.Errorf("%s: error does not point at %s:\n%s", f, pos, errOut)
		}
	}
	declEqCounts(t, "bad files", e.mutating(m), nil)
}

func TestDeclarativeResolutionProblemsAllAtOnce(t *testing.T) {
	e := newDeclEnv(t)
	// alice is a member of data-scientists: given access twice.
	dups := `apiVersion: eksaccess/v1
kind: AccessConfig
clusters:
  - name: hyperpod-demo
    region: us-west-2
    access:
      - principal: alice
        policies: [{policy: AmazonEKSViewPolicy}]
      - iamGroup: data-scientists
        policies: [{policy: AmazonEKSEditPolicy}]
`
	unresolvable := `      - permissionSet: NoSuchSet
        policies: [{policy: AmazonEKSViewPolicy}]
      - principal: role/nope
        policies: [{policy: AmazonEKSViewPolicy}]
`
	f := e.write("dups.yaml", dups+unresolvable)
	m := e.mark()
	out := e.expectCode(2, "plan", "-f", f)
	mustContain(t, "plan", out,
		f+":11: no IAM Identity Center role for permission set NoSuchSet",
		f+":13: no IAM role named nope")
	e.write("dups.yaml", dups)
	out = e.expectCode(2, "plan", "-f", f)
	mustContain(t, "plan", out, f+":9: "+declAcct+"user/alice is also given access by the item at "+f+":7")
	declEqCounts(t, "bad resolution", e.mutating(m), nil)
}

func TestDeclarativeConfigMapClusterNeedsModeSwitch(t *testing.T) {
	e := newDeclEnv(t)
	f := e.write("cm.yaml", "apiVersion: eksaccess/v1\nkind: AccessConfig\nclusters:\n  - name: legacy-cm\n    region: us-west-2\n    access:\n      - principal: alice\n")
	out := e.expectCode(2, "plan", "-f", f)
	mustContain(t, "plan", out, f+":4: cluster legacy-cm authenticates only through the aws-auth ConfigMap (CONFIG_MAP)", "add authenticationMode: API_AND_CONFIG_MAP")
	f = e.write("cm.yaml", "apiVersion: eksaccess/v1\nkind: AccessConfig\nclusters:\n  - name: legacy-cm\n    region: us-west-2\n    authenticationMode: API\n")
	out = e.expectCode(2, "plan", "-f", f)
	mustContain(t, "plan", out, "EKS switches one step at a time")
}

// addRole creates an IAM role in the sandbox (an hour old, so EKS accepts it at once).
func (e *declEnv) addRole(path, name string) {
	e.t.Helper()
	err := e.srv.Store().Update(func(d *state.Data) error {
		d.Roles[strings.ToLower(name)] = &state.Role{
			Path: path, RoleName: name, RoleID: "AROADECL" + strings.ToUpper(name[:3]) + "0000000000", Arn: declAcct + "role" + path + name,
			CreateDate: time.Now().Add(-time.Hour), MaxSessionDuration: 3600, AttachedPolicies: []string{},
			AssumeRolePolicyDocument: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

func TestMigrateAwsAuthThenApply(t *testing.T) {
	e := newDeclEnv(t)
	e.addRole("/teams/ml/", "ml-engineers")
	e.addRole("/", "win-nodes")
	// A realistic aws-auth ConfigMap, as kubectl get configmap aws-auth -n kube-system -o yaml prints it.
	from, err := filepath.Abs(filepath.Join("testdata", "aws-auth.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out := e.write("migrated.yaml", "")
	m := e.mark()
	_, errOut, code := e.run("migrate", "aws-auth", "-c", "legacy-cm", "--from", from, "--out", out)
	if code != 0 {
		t.Fatalf("migrate: exit %d\n%s", code, errOut)
	}
	declEqCounts(t, "migrate", e.mutating(m), nil)
	mustContain(t, "warnings", errOut,
		"warning: "+from+":23:7: role arn:aws:iam::111122223333:role/AWSReservedSSO_DataScientist_0123456789abcdef: group \"system:authenticated\" not migrated",
		"warning: "+from+":39:7: mapAccounts entry 444455556666 not migrated",
		"migrated 7 of 8 mapping(s) (5 mapRoles, 2 mapUsers, 1 mapAccounts); 2 warning(s)")
	b, _ := os.ReadFile(out)
	mustContain(t, "file", string(b),
		"authenticationMode: API_AND_CONFIG_MAP",
		"principal: "+declSsoArn,
		"principal: "+declAcct+"role/teams/ml/ml-engineers",
		"type: EC2_WINDOWS",
		"username: platform-admin:{{SessionName}}")

	e.mustRun("apply", "-f", out, "--yes")
	declEqLines(t, "legacy-cm after migrate+apply", e.entries("legacy-cm"), []string{
		declAcct + "role/PlatformAdmin STANDARD managed AmazonEKSClusterAdminPolicy(cluster)",
		declSsoArn + " STANDARD managed groups=hyperpod-scientist-user-cluster-level",
		declAcct + "role/legacy-cm-node-role EC2_LINUX managed groups=system:nodes",
		declAcct + "role/teams/ml/ml-engineers STANDARD managed groups=ml-engineers",
		declAcct + "role/win-nodes EC2_WINDOWS managed",
		declAcct + "user/alice STANDARD managed groups=hyperpod-scientist-user-namespace-level",
		declAcct + "user/dave STANDARD managed AmazonEKSClusterAdminPolicy(cluster) groups=view-only",
	})
	if got := e.authMode("legacy-cm"); got != "API_AND_CONFIG_MAP" {
		t.Fatalf("legacy-cm mode = %s", got)
	}
	if pa := e.liveEntry("legacy-cm", declAcct+"role/PlatformAdmin"); pa.Username != "platform-admin:{{SessionName}}" {
		t.Fatalf("PlatformAdmin username = %q", pa.Username)
	}
	e.expectCode(0, "plan", "-f", out, "--detailed-exitcode")
}

func TestMigrateAwsAuthFromKubernetesAPI(t *testing.T) {
	e := newDeclEnv(t)
	// hyperpod-demo has no aws-auth ConfigMap.
	got := e.expectCode(1, "migrate", "aws-auth", "-c", "hyperpod-demo")
	mustContain(t, "404", got, "cluster hyperpod-demo has no aws-auth ConfigMap in kube-system (HTTP 404)", "--from aws-auth.yaml")
	// admin is not mapped on legacy-cm (CONFIG_MAP): the API refuses, and says what to do.
	got = e.expectCode(1, "migrate", "aws-auth", "-c", "legacy-cm")
	mustContain(t, "401", got, "refused to show aws-auth to you (HTTP 401)", "--from aws-auth.yaml")
	// On hyperpod-demo admin is a cluster admin: the ConfigMap is read over HTTPS with an
	// EKS token.
	err := e.srv.Store().Update(func(d *state.Data) error {
		d.Clusters["hyperpod-demo"].AwsAuth = map[string]string{
			"mapUsers": "- userarn: " + declAcct + "user/erin\n  username: erin\n  groups: [viewers]\n",
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	m := e.mark()
	out, errOut, code := e.run("migrate", "aws-auth", "--hyperpod", "ml-team-hp")
	if code != 0 {
		t.Fatalf("migrate: exit %d\n%s", code, errOut)
	}
	declEqCounts(t, "migrate", e.mutating(m), nil)
	want := `apiVersion: eksaccess/v1
kind: AccessConfig
clusters:
  - hyperpod: ml-team-hp
    region: us-west-2
    authenticationMode: API_AND_CONFIG_MAP
    access:
      - principal: arn:aws:iam::111122223333:user/erin
        kubernetesGroups: [viewers]
        username: erin
`
	if out != want {
		t.Fatalf("migrated file:\n%s\nwant:\n%s", out, want)
	}
	mustContain(t, "stderr", errOut, "migrated 1 of 1 mapping(s)")
}

// On legacy-cm (CONFIG_MAP) only principals mapped in aws-auth reach the Kubernetes API:
// PlatformAdmin (system:masters) reads the ConfigMap, and migrate converts the seed's.
func TestMigrateLegacyClusterAsMappedAdmin(t *testing.T) {
	e := newDeclEnv(t)
	e.useUser("alice") // alice has an MFA device; PlatformAdmin's trust requires MFA
	out, err := sts.NewFromConfig(e.caller()).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String(declAcct + "role/PlatformAdmin"), RoleSessionName: aws.String("alice"),
		SerialNumber: aws.String(declAcct + "mfa/alice"), TokenCode: aws.String("123456"),
	})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	e.env["AWS_ACCESS_KEY_ID"], e.env["AWS_SECRET_ACCESS_KEY"], e.env["AWS_SESSION_TOKEN"] = *c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		t.Setenv(k, e.env[k])
	}
	file, errOut, code := e.run("migrate", "aws-auth", "-c", "legacy-cm")
	if code != 0 {
		t.Fatalf("migrate: exit %d\n%s", code, errOut)
	}
	mustContain(t, "warnings", errOut, "mapAccounts entry 111122223333 not migrated", "migrated 5 of 6 mapping(s)")
	mustContain(t, "file", file,
		"authenticationMode: API_AND_CONFIG_MAP",
		"principal: "+declSsoArn,
		"username: data-scientist:{{SessionName}}",
		"type: EC2_LINUX",
		"policy: AmazonEKSClusterAdminPolicy")
	p := e.write("legacy.yaml", file)
	// Apply as PlatformAdmin: its own new entry is the caller's path, and it works.
	e.mustRun("apply", "-f", p, "--yes")
	if got := e.authMode("legacy-cm"); got != "API_AND_CONFIG_MAP" {
		t.Fatalf("mode = %s", got)
	}
	e.expectCode(0, "plan", "-f", p, "--detailed-exitcode")
}
