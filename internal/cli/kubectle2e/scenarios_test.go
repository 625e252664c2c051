package kubectle2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"

	"eksaccess/internal/sandbox"
	"eksaccess/internal/sandbox/kube"
)

// The package's one real-mode sandbox: an etcd and a kube-apiserver for the demo cluster,
// started by the first test that asks and reused by the others (start-up is seconds and
// ~300 MiB, so once per package).
var (
	realOnce sync.Once
	realSrv  *sandbox.Server
	realErr  error
	realDir  string
)

func closeRealWorld() {
	if realSrv != nil {
		realSrv.Close()
	}
	if realDir != "" {
		os.RemoveAll(realDir)
	}
}

// newRealWorld returns a world on the shared real-mode sandbox. When the components are not
// built the test fails, saying how to build them.
func newRealWorld(t *testing.T) *world {
	t.Helper()
	needKubectl(t)
	realOnce.Do(func() {
		realDir, realErr = os.MkdirTemp("", "eksaccess-real-kube-")
		if realErr != nil {
			return
		}
		realSrv, realErr = sandbox.Start(context.Background(), sandbox.Options{StateDir: realDir, Kubernetes: sandbox.KubeReal, KubeNoFsync: true})
	})
	if realErr != nil {
		t.Fatalf("start the real-mode sandbox: %v", realErr)
	}
	return worldOn(t, realSrv)
}

// transcript records what kubectl said, normalised so that two sandboxes (different access
// keys, ports) compare equal when they answered the same.
type transcript struct {
	w     *world
	lines []string
}

var klogLine = regexp.MustCompile(`(?m)^[EWI]\d{4} .*\n?`)

func (tr *transcript) normalise(s string) string {
	s = klogLine.ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, tr.w.home, "<home>")
	s = strings.ReplaceAll(s, strings.TrimSuffix(tr.w.srv.KubeEndpoint(""), "/k8s/"), "<kube-endpoint>")
	for user, k := range tr.w.keys {
		s = strings.ReplaceAll(s, k[0], "<key:"+user+">")
	}
	return s
}

// kubectl runs kubectl as user with that user's kubeconfig (or kubeconfig, when given) and
// checks stdout and the exit code exactly, and that stderr contains errHas.
func (tr *transcript) kubectl(user, kubeconfig, wantOut, errHas string, wantCode int, args ...string) {
	w := tr.w
	w.t.Helper()
	out, errOut, code := w.kubectl(user, kubeconfig, args...)
	if out != wantOut || code != wantCode || !strings.Contains(errOut, errHas) {
		w.t.Errorf("kubectl %s as %s: exit %d\nstdout:\n%s\nstderr:\n%s\nwant exit %d, stdout:\n%s\nstderr containing %q",
			strings.Join(args, " "), user, code, out, errOut, wantCode, wantOut, errHas)
	}
	tr.lines = append(tr.lines, "$ "+user+": kubectl "+strings.Join(args, " "), tr.normalise(out), tr.normalise(errOut), "exit "+strconv.Itoa(code))
}

// kubectlEventually is kubectl for what takes a moment in a real API server: it caches a
// successful token authentication for 10 s, so a revoked caller is refused within that.
func (tr *transcript) kubectlEventually(user, kubeconfig, wantOut, errHas string, wantCode int, args ...string) {
	w := tr.w
	w.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, errOut, code := w.kubectl(user, kubeconfig, args...)
		if (out == wantOut && code == wantCode && strings.Contains(errOut, errHas)) || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	tr.kubectl(user, kubeconfig, wantOut, errHas, wantCode, args...)
}

func (tr *transcript) note(s string) { tr.lines = append(tr.lines, tr.normalise(s)) }

const (
	adminArn = "arn:aws:iam::" + account + ":user/admin"
	aliceArn = "arn:aws:iam::" + account + ":user/alice"
)

// canIListTeam is `kubectl auth can-i --list` for a caller whose access is all in access
// policies: EKS lists RBAC's rules only (the defaults) and says the list is incomplete.
const canIListDefaults = `Resources                                       Non-Resource URLs   Resource Names   Verbs
selfsubjectreviews.authentication.k8s.io        []                  []               [create]
selfsubjectaccessreviews.authorization.k8s.io   []                  []               [create]
selfsubjectrulesreviews.authorization.k8s.io    []                  []               [create]
                                                [/api/*]            []               [get]
                                                [/api]              []               [get]
                                                [/apis/*]           []               [get]
                                                [/apis]             []               [get]
                                                [/healthz]          []               [get]
                                                [/healthz]          []               [get]
                                                [/livez]            []               [get]
                                                [/livez]            []               [get]
                                                [/openapi/*]        []               [get]
                                                [/openapi]          []               [get]
                                                [/readyz]           []               [get]
                                                [/readyz]           []               [get]
                                                [/version/]         []               [get]
                                                [/version/]         []               [get]
                                                [/version]          []               [get]
                                                [/version]          []               [get]
`

const incompleteWarning = "Warning: the list may be incomplete: webhook authorizer does not support user rule resolution"

// sharedScenario is the part of the scenario table the builtin mode serves too; it runs
// against both modes and returns the transcript, which must be the same for both.
func sharedScenario(t *testing.T, w *world) []string {
	tr := &transcript{w: w}
	w.accessKey("alice")
	w.accessKey("bob")
	w.eksaccess("admin", "grant", "-c", cluster, "--policy", "AmazonEKSViewPolicy", "--namespace", teamNS, "alice")
	tr.note(w.eksaccess("alice", "kubeconfig", "-c", cluster))
	tr.note(w.eksaccess("admin", "kubeconfig", "-c", cluster))
	aliceUID := "aws-iam-authenticator:" + account + ":AIDAXTEZVPDTOSZBETMHE"
	adminUID := "aws-iam-authenticator:" + account + ":AIDAVOWZURP4H6S3XLVUQ"

	// Who am I, and what may I do.
	tr.kubectl("alice", "", whoami(aliceArn, aliceUID, w.keys["alice"][0], aliceArn, aliceArn, ""), "", 0, "auth", "whoami")
	tr.kubectl("admin", "", whoami(adminArn, adminUID, w.keys["admin"][0], adminArn, adminArn, ""), "", 0, "auth", "whoami")
	tr.kubectl("alice", "", "yes\n", "", 0, "auth", "can-i", "list", "pods", "-n", teamNS)
	tr.kubectl("alice", "", "yes\n", "", 0, "auth", "can-i", "get", "pods/log", "-n", teamNS)
	tr.kubectl("alice", "", "no\n", "", 1, "auth", "can-i", "create", "pods", "-n", teamNS)
	tr.kubectl("alice", "", "no\n", "", 1, "auth", "can-i", "list", "pods", "-n", "other")
	tr.kubectl("alice", "", "no\n", "", 1, "auth", "can-i", "list", "nodes")
	tr.kubectl("admin", "", "yes\n", "", 0, "auth", "can-i", "delete", "nodes")
	tr.kubectl("alice", "", canIListDefaults, incompleteWarning, 0, "auth", "can-i", "--list", "-n", teamNS)

	// get: an empty list where the caller may list, Forbidden in the API server's words where not.
	tr.kubectl("alice", "", "", "No resources found in "+teamNS+" namespace.", 0, "get", "pods", "-n", teamNS)
	tr.kubectl("alice", "", "", `Error from server (Forbidden): pods is forbidden: User "`+aliceArn+`" cannot list resource "pods" in API group "" in the namespace "other"`, 1, "get", "pods", "-n", "other")
	tr.kubectl("alice", "", "", `Error from server (Forbidden): deployments.apps is forbidden: User "`+aliceArn+`" cannot list resource "deployments" in API group "apps" at the cluster scope`, 1, "get", "deployments", "-A")
	tr.kubectl("alice", "", "", `Error from server (Forbidden): secrets "s" is forbidden: User "`+aliceArn+`" cannot get resource "secrets" in API group "" in the namespace "`+teamNS+`"`, 1, "get", "secret", "s", "-n", teamNS)

	// Impersonation: a cluster admin may, and the impersonated user has RBAC alone (alice's
	// access policies do not come along); alice may not.
	tr.kubectl("admin", "", "no\n", "", 1, "auth", "can-i", "list", "pods", "-n", teamNS, "--as", aliceArn)
	tr.kubectl("admin", "", "ATTRIBUTE   VALUE\nUsername    bob\nGroups      [system:authenticated]\n", "", 0, "auth", "whoami", "--as", "bob")
	tr.kubectl("admin", "", "yes\n", "", 0, "auth", "can-i", "create", "pods", "-n", teamNS, "--as", "bob", "--as-group", "system:masters")
	tr.kubectl("alice", "", "", `users "`+adminArn+`" is forbidden: User "`+aliceArn+`" cannot impersonate resource "users" in API group "" at the cluster scope`, 1,
		"auth", "can-i", "list", "pods", "-n", teamNS, "--as", adminArn)
	tr.kubectl("alice", "", "", `Error from server (Forbidden): users "`+adminArn+`" is forbidden: User "`+aliceArn+`" cannot impersonate resource "users" in API group "" at the cluster scope`, 1,
		"get", "pods", "-n", teamNS, "--as", adminArn)

	// Callers the cluster does not know, and tokens for another cluster, are refused.
	tr.note(w.eksaccess("bob", "kubeconfig", "-c", cluster))
	tr.kubectl("bob", "", "", "error: You must be logged in to the server (Unauthorized)", 1, "auth", "whoami")
	other := execCredentialToken(t, w.eksaccess("alice", "token", "-c", "legacy-cm"))
	tr.kubectl("alice", w.staticKubeconfig("other-cluster", other), "", "error: You must be logged in to the server (Unauthorized)", 1, "auth", "whoami")

	// The kubeconfig `aws eks update-kubeconfig` writes works as it is.
	awsCLI, err := exec.LookPath("aws")
	if err != nil {
		t.Fatalf("the end-to-end tests need the aws CLI: %v", err)
	}
	awsKubeconfig := filepath.Join(w.home, "alice", "aws.kubeconfig")
	if out, errOut, code := w.run("alice", []string{"AWS_ENDPOINT_URL=" + w.srv.Endpoint()}, awsCLI, "eks", "update-kubeconfig", "--name", cluster, "--kubeconfig", awsKubeconfig); code != 0 {
		t.Fatalf("aws eks update-kubeconfig: exit %d\n%s\n%s", code, out, errOut)
	}
	awsEnv := []string{"AWS_ENDPOINT_URL=" + w.srv.Endpoint()}
	if out, errOut, code := w.run("alice", awsEnv, kubectlPath, "--kubeconfig", awsKubeconfig, "auth", "can-i", "list", "pods", "-n", teamNS); code != 0 || out != "yes\n" {
		t.Errorf("kubectl with the aws CLI's kubeconfig: exit %d %q\n%s", code, out, errOut)
	} else {
		tr.note("aws eks update-kubeconfig: can-i list pods: " + out)
	}

	// eksaccess verify asks the cluster itself.
	out, errOut, code := w.run("alice", nil, binary, "--endpoint-url", w.srv.Endpoint(), "verify", "-c", cluster, "--check", "list:pods:"+teamNS, "--check", "!create:pods:"+teamNS)
	if code != 0 || !strings.Contains(out+errOut, aliceArn) {
		t.Errorf("eksaccess verify: exit %d\n%s\n%s", code, out, errOut)
	}
	tr.note("verify: " + out + errOut)

	// A revoke takes effect on the next request.
	w.eksaccess("admin", "revoke", "-c", cluster, "alice")
	tr.kubectlEventually("alice", "", "", "error: You must be logged in to the server (Unauthorized)", 1, "auth", "can-i", "list", "pods", "-n", teamNS)
	return tr.lines
}

// TestScenarioTableBothModes runs the shared scenario against the builtin mode and the real
// mode: each answer is checked, and the two transcripts must be identical (the differential
// test that keeps the builtin mode honest).
func TestScenarioTableBothModes(t *testing.T) {
	builtin := sharedScenario(t, newWorld(t))
	if t.Failed() {
		t.Fatal("the builtin mode failed the scenario")
	}
	real := sharedScenario(t, newRealWorld(t))
	for i := 0; i < max(len(builtin), len(real)); i++ {
		var b, r string
		if i < len(builtin) {
			b = builtin[i]
		}
		if i < len(real) {
			r = real[i]
		}
		if b != r {
			t.Errorf("builtin and real differ at line %d:\nbuiltin:\n%s\nreal:\n%s", i, b, r)
		}
	}
}

// TestBuiltinRefusesWrites: what the builtin mode cannot do it refuses, saying the real mode can.
func TestBuiltinRefusesWrites(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.eksaccess("admin", "kubeconfig", "-c", cluster)
	for _, args := range [][]string{
		{"create", "namespace", "team-x"},
		{"get", "namespaces"},
		{"run", "p", "--image=busybox", "-n", teamNS},
	} {
		out, errOut, code := w.kubectl("admin", "", args...)
		if code != 1 || out != "" || !strings.Contains(errOut, "(MethodNotAllowed)") || !strings.Contains(errOut, kube.RealModeHint) {
			t.Errorf("kubectl %s: exit %d\n%s\n%s", strings.Join(args, " "), code, out, errOut)
		}
	}
}

// TestRealModeRBAC is the part only the real mode serves: an admin creates a Namespace, a
// Role and a RoleBinding for a group; an entry with only that group gains exactly that
// access; access policies and RBAC add up; impersonation gets RBAC alone; pods can be made.
func TestRealModeRBAC(t *testing.T) {
	w := newRealWorld(t)
	tr := &transcript{w: w}
	w.accessKey("carol")
	carolArn := "arn:aws:iam::" + account + ":user/carol"
	w.eksaccess("admin", "kubeconfig", "-c", cluster)

	tr.kubectl("admin", "", "namespace/team-rbac created\n", "", 0, "create", "namespace", "team-rbac")
	tr.kubectl("admin", "", "role.rbac.authorization.k8s.io/pod-reader created\n", "", 0, "-n", "team-rbac", "create", "role", "pod-reader", "--verb=get,list,watch", "--resource=pods")
	tr.kubectl("admin", "", "rolebinding.rbac.authorization.k8s.io/readers created\n", "", 0, "-n", "team-rbac", "create", "rolebinding", "readers", "--role=pod-reader", "--group=pod-readers")
	tr.kubectl("admin", "", "pod/p created\n", "", 0, "-n", "team-rbac", "run", "p", "--image=busybox", "--restart=Never")

	// An entry with only the group, no access policy.
	if _, err := eks.NewFromConfig(w.admin).CreateAccessEntry(context.Background(), &eks.CreateAccessEntryInput{
		ClusterName: aws.String(cluster), PrincipalArn: aws.String(carolArn), KubernetesGroups: []string{"pod-readers"},
	}); err != nil {
		t.Fatal(err)
	}
	w.eksaccess("carol", "kubeconfig", "-c", cluster)
	tr.kubectl("carol", "", "yes\n", "", 0, "auth", "can-i", "list", "pods", "-n", "team-rbac")
	tr.kubectl("carol", "", "yes\n", "", 0, "auth", "can-i", "watch", "pods", "-n", "team-rbac")
	tr.kubectl("carol", "", "no\n", "", 1, "auth", "can-i", "delete", "pods", "-n", "team-rbac")
	tr.kubectl("carol", "", "no\n", "", 1, "auth", "can-i", "list", "pods", "-n", teamNS)
	tr.kubectl("carol", "", "no\n", "", 1, "auth", "can-i", "list", "secrets", "-n", "team-rbac")
	out, errOut, code := w.kubectl("carol", "", "get", "pods", "-n", "team-rbac", "-o", "name")
	if code != 0 || out != "pod/p\n" {
		t.Errorf("carol get pods: exit %d %q %s", code, out, errOut)
	}
	tr.kubectl("carol", "", "", `pods is forbidden: User "`+carolArn+`" cannot list resource "pods" in API group "" in the namespace "`+teamNS+`"`, 1, "get", "pods", "-n", teamNS)
	out, _, _ = w.kubectl("carol", "", "auth", "can-i", "--list", "-n", "team-rbac")
	if !strings.Contains(out, "pods                                            []                  []               [get list watch]") {
		t.Errorf("carol can-i --list lacks the Role's rule:\n%s", out)
	}

	// Access policies and RBAC add up.
	w.eksaccess("admin", "grant", "-c", cluster, "--policy", "AmazonEKSViewPolicy", "--namespace", teamNS, "carol")
	tr.kubectl("carol", "", "yes\n", "", 0, "auth", "can-i", "list", "pods", "-n", teamNS)
	tr.kubectl("carol", "", "yes\n", "", 0, "auth", "can-i", "list", "pods", "-n", "team-rbac")
	tr.kubectl("carol", "", "no\n", "", 1, "auth", "can-i", "create", "pods", "-n", teamNS)

	// Impersonating carol brings her groups only when asked for, and never her policies.
	tr.kubectl("admin", "", "yes\n", "", 0, "auth", "can-i", "list", "pods", "-n", "team-rbac", "--as", carolArn, "--as-group", "pod-readers")
	tr.kubectl("admin", "", "no\n", "", 1, "auth", "can-i", "list", "pods", "-n", "team-rbac", "--as", carolArn)
	tr.kubectl("admin", "", "no\n", "", 1, "auth", "can-i", "list", "pods", "-n", teamNS, "--as", carolArn, "--as-group", "pod-readers")
	// carol, an RBAC reader, may not impersonate either.
	tr.kubectl("carol", "", "", `users "bob" is forbidden: User "`+carolArn+`" cannot impersonate resource "users" in API group "" at the cluster scope`, 1,
		"get", "pods", "-n", "team-rbac", "--as", "bob")

	// Through an assumed role: the session's username, sessionName and canonicalArn come
	// from the token webhook as from aws-iam-authenticator.
	roleID := w.accountRole("eks-rbac-role")
	w.eksaccess("admin", "grant", "-c", cluster, "--policy", "AmazonEKSViewPolicy", "--namespace", teamNS, "--group", "pod-readers", "role/eks-rbac-role")
	roleKubeconfig := filepath.Join(w.home, "carol", "role.kubeconfig")
	w.eksaccess("carol", "kubeconfig", "-c", cluster, "--role", "eks-rbac-role", "--kubeconfig", roleKubeconfig)
	session := "arn:aws:sts::" + account + ":assumed-role/eks-rbac-role/carol"
	out, errOut, code = w.kubectl("carol", roleKubeconfig, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username} {.status.userInfo.uid} {.status.userInfo.groups} {.status.userInfo.extra.sessionName} {.status.userInfo.extra.canonicalArn}")
	if want := session + " aws-iam-authenticator:" + account + ":" + roleID + ` ["pod-readers","system:authenticated"] ["carol"] ["arn:aws:iam::` + account + `:role/eks-rbac-role"]`; code != 0 || out != want {
		t.Errorf("whoami through the role: exit %d\n%s\n%s\nwant %s", code, out, errOut, want)
	}
	tr.kubectl("carol", roleKubeconfig, "yes\n", "", 0, "auth", "can-i", "list", "pods", "-n", teamNS)
	tr.kubectl("carol", roleKubeconfig, "yes\n", "", 0, "auth", "can-i", "list", "pods", "-n", "team-rbac")
	tr.kubectl("carol", roleKubeconfig, "no\n", "", 1, "auth", "can-i", "list", "secrets", "-n", "team-rbac")

	// Removing the policy leaves RBAC; revoking the entry leaves nothing.
	w.eksaccess("admin", "revoke", "-c", cluster, "--policy", "AmazonEKSViewPolicy", "carol")
	tr.kubectl("carol", "", "no\n", "", 1, "auth", "can-i", "list", "pods", "-n", teamNS)
	tr.kubectl("carol", "", "yes\n", "", 0, "auth", "can-i", "list", "pods", "-n", "team-rbac")
	w.eksaccess("admin", "revoke", "-c", cluster, "carol")
	tr.kubectlEventually("carol", "", "", "error: You must be logged in to the server (Unauthorized)", 1, "auth", "can-i", "list", "pods", "-n", "team-rbac")
}
