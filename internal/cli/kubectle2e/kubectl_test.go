package kubectle2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"eksaccess/internal/sandbox"
	"eksaccess/internal/sandbox/kubereal"
	"eksaccess/internal/sandbox/sdktest"
)

const (
	kubectlPath = "/usr/bin/kubectl"
	account     = "111122223333"
	cluster     = "hyperpod-demo"
	teamNS      = "hyperpod-ns-team-a"
	clusterArn  = "arn:aws:eks:us-west-2:" + account + ":cluster/" + cluster
)

// binary is the eksaccess binary built for this test run.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "eksaccess-kubectl-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "eksaccess")
	// No symbol table or DWARF: linking is most of the build time, and nobody debugs this copy.
	build := exec.Command("go", "build", "-ldflags=-s -w", "-o", binary, "eksaccess/cmd/eksaccess")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "build eksaccess: %v\n", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	// The real mode's components: built here when missing, so `go test ./...` alone runs
	// these tests on a fresh machine (the first time takes minutes).
	if _, err := kubereal.EnsureBuilt(os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	closeRealWorld()
	os.RemoveAll(dir)
	os.Exit(code)
}

// world is a sandbox plus a clean environment for the processes the tests run.
type world struct {
	t     *testing.T
	srv   *sandbox.Server
	home  string
	admin aws.Config
	keys  map[string][2]string // IAM user → access key
}

func newWorld(t *testing.T) *world {
	t.Helper()
	needKubectl(t)
	srv, err := sandbox.Start(context.Background(), sandbox.Options{StateDir: t.TempDir()})
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return worldOn(t, srv)
}

func needKubectl(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(kubectlPath); err != nil {
		t.Fatalf("the end-to-end tests need kubectl at %s: %v", kubectlPath, err)
	}
}

// worldOn is a world of the test's own on srv, as its admin.
func worldOn(t *testing.T, srv *sandbox.Server) *world {
	t.Helper()
	id, secret, err := srv.AdminCredentials()
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, srv: srv, home: t.TempDir(), keys: map[string][2]string{"admin": {id, secret}}}
	w.admin = sdktest.Config(srv.Endpoint(), "us-west-2", id, secret, "")
	return w
}

// env is the whole environment of a child process acting as user: nothing of the
// developer's AWS or Kubernetes setup leaks in.
func (w *world) env(user string, extra ...string) []string {
	k, ok := w.keys[user]
	if !ok {
		w.t.Fatalf("no access key for %s", user)
	}
	home := filepath.Join(w.home, user)
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
		"XDG_STATE_HOME=" + filepath.Join(home, ".state"),
		"KUBECONFIG=" + filepath.Join(home, ".kube", "config"),
		"AWS_ACCESS_KEY_ID=" + k[0],
		"AWS_SECRET_ACCESS_KEY=" + k[1],
		"AWS_REGION=us-west-2",
		"AWS_DEFAULT_REGION=us-west-2",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_EC2_METADATA_DISABLED=true",
	}
	if r := os.Getenv("PYENV_ROOT"); r != "" {
		env = append(env, "PYENV_ROOT="+r) // the aws CLI may be a pyenv shim
	}
	return append(env, extra...)
}

// run runs a program as user and returns stdout, stderr and the exit code.
func (w *world) run(user string, extraEnv []string, name string, args ...string) (string, string, int) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = w.env(user, extraEnv...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		w.t.Fatalf("run %s: %v", name, err)
	}
	return out.String(), errb.String(), code
}

// eksaccess runs the built binary against the sandbox as user; it must succeed.
func (w *world) eksaccess(user string, args ...string) string {
	w.t.Helper()
	out, errOut, code := w.run(user, nil, binary, append([]string{"--endpoint-url", w.srv.Endpoint()}, args...)...)
	if code != 0 {
		w.t.Fatalf("eksaccess %s as %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), user, code, out, errOut)
	}
	return out + errOut
}

// kubectl runs kubectl as user with the given kubeconfig ("" = $KUBECONFIG).
func (w *world) kubectl(user, kubeconfig string, args ...string) (string, string, int) {
	w.t.Helper()
	if kubeconfig != "" {
		args = append([]string{"--kubeconfig", kubeconfig}, args...)
	}
	return w.run(user, nil, kubectlPath, args...)
}

// expectKubectl runs kubectl and checks its exact stdout and exit code.
func (w *world) expectKubectl(user, kubeconfig, wantOut string, wantCode int, args ...string) {
	w.t.Helper()
	out, errOut, code := w.kubectl(user, kubeconfig, args...)
	if out != wantOut || code != wantCode {
		w.t.Fatalf("kubectl %s as %s: exit %d\nstdout:\n%s\nstderr:\n%s\nwant exit %d, stdout:\n%s", strings.Join(args, " "), user, code, out, errOut, wantCode, wantOut)
	}
}

// expectRefused runs kubectl and checks that the cluster refused the credentials.
func (w *world) expectRefused(user, kubeconfig string, args ...string) {
	w.t.Helper()
	out, errOut, code := w.kubectl(user, kubeconfig, args...)
	if code != 1 || out != "" || !strings.Contains(errOut, "error: You must be logged in to the server (Unauthorized)") {
		w.t.Fatalf("kubectl %s as %s: exit %d, stdout %q, stderr:\n%s\nwant Unauthorized", strings.Join(args, " "), user, code, out, errOut)
	}
}

func (w *world) accessKey(user string) {
	w.t.Helper()
	out, err := iam.NewFromConfig(w.admin).CreateAccessKey(context.Background(), &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	if err != nil {
		w.t.Fatalf("create access key for %s: %v", user, err)
	}
	w.keys[user] = [2]string{aws.ToString(out.AccessKey.AccessKeyId), aws.ToString(out.AccessKey.SecretAccessKey)}
}

// accountRole creates a role every principal of the account may assume; returns its id.
func (w *world) accountRole(name string) string {
	w.t.Helper()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account + `:root"},"Action":"sts:AssumeRole"}]}`
	out, err := iam.NewFromConfig(w.admin).CreateRole(context.Background(), &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		w.t.Fatalf("create role %s: %v", name, err)
	}
	return aws.ToString(out.Role.RoleId)
}

func whoami(username, uid, accessKeyID, arn, canonical, sessionName string) string {
	// kubectl pads the attribute column to its widest name ("Extra: canonicalArn") + 3.
	rows := [][2]string{
		{"ATTRIBUTE", "VALUE"}, {"Username", username}, {"UID", uid}, {"Groups", "[system:authenticated]"},
		{"Extra: accessKeyId", "[" + accessKeyID + "]"}, {"Extra: arn", "[" + arn + "]"},
		{"Extra: canonicalArn", "[" + canonical + "]"},
		{"Extra: principalId", "[" + strings.TrimPrefix(uid, "aws-iam-authenticator:"+account+":") + "]"},
	}
	if sessionName != "" {
		rows = append(rows, [2]string{"Extra: sessionName", "[" + sessionName + "]"})
	}
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%-22s%s\n", r[0], r[1])
	}
	return b.String()
}

// TestKubectlGrantKubeconfigRoleRevoke is issue 4's "done when": a grant shows up in
// kubectl, directly and through an assumed role, and a revoke shuts kubectl out.
func TestKubectlGrantKubeconfigRoleRevoke(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.accessKey("alice")
	alice := "arn:aws:iam::" + account + ":user/alice"
	aliceUID := "aws-iam-authenticator:" + account + ":AIDAXTEZVPDTOSZBETMHE"

	w.eksaccess("admin", "grant", "-c", cluster, "--policy", "AmazonEKSViewPolicy", "--namespace", teamNS, "alice")

	// Alice writes her own kubeconfig; kubectl then runs `eksaccess token` as its plugin.
	out := w.eksaccess("alice", "kubeconfig", "-c", cluster)
	kubeconfig := filepath.Join(w.home, "alice", ".kube", "config")
	if out != "Added new context "+clusterArn+" to "+kubeconfig+"\n" {
		t.Fatalf("kubeconfig said:\n%s", out)
	}
	w.expectKubectl("alice", "", whoami(alice, aliceUID, w.keys["alice"][0], alice, alice, ""), 0, "auth", "whoami")
	w.expectKubectl("alice", "", "yes\n", 0, "auth", "can-i", "list", "pods", "-n", teamNS)
	w.expectKubectl("alice", "", "no\n", 1, "auth", "can-i", "create", "pods", "-n", teamNS)
	w.expectKubectl("alice", "", "no\n", 1,
		"auth", "can-i", "list", "pods", "-n", "other")

	// The same through a role the account trusts, assumed by the plugin as session "alice".
	roleID := w.accountRole("eks-team-a")
	w.eksaccess("admin", "grant", "-c", cluster, "--policy", "AmazonEKSViewPolicy", "--namespace", teamNS, "role/eks-team-a")
	roleKubeconfig := filepath.Join(w.home, "alice", "role.kubeconfig")
	out = w.eksaccess("alice", "kubeconfig", "-c", cluster, "--role", "eks-team-a", "--alias", "team-a", "--kubeconfig", roleKubeconfig)
	wantOut := "Added new context team-a to " + roleKubeconfig + "\nkubectl will use role arn:aws:iam::" + account + ":role/eks-team-a as session alice\n"
	if out != wantOut {
		t.Fatalf("kubeconfig --role said:\n%s\nwant\n%s", out, wantOut)
	}
	session := "arn:aws:sts::" + account + ":assumed-role/eks-team-a/alice"
	wo, errOut, code := w.kubectl("alice", roleKubeconfig, "auth", "whoami")
	// The session's access key is made by AssumeRole: read it back from the answer.
	var akid string
	for _, l := range strings.Split(wo, "\n") {
		if v, ok := strings.CutPrefix(l, "Extra: accessKeyId    ["); ok {
			akid = strings.TrimSuffix(v, "]")
		}
	}
	if want := whoami(session, "aws-iam-authenticator:"+account+":"+roleID, akid, session, "arn:aws:iam::"+account+":role/eks-team-a", "alice"); code != 0 || wo != want || !strings.HasPrefix(akid, "ASIA") {
		t.Fatalf("whoami through the role: exit %d\n%s\nstderr %s\nwant\n%s", code, wo, errOut, want)
	}
	w.expectKubectl("alice", roleKubeconfig, "yes\n", 0, "auth", "can-i", "list", "pods", "-n", teamNS)
	w.expectKubectl("alice", roleKubeconfig, "no\n", 1, "auth", "can-i", "create", "pods", "-n", teamNS)
	w.expectKubectl("alice", roleKubeconfig, "no\n", 1,
		"auth", "can-i", "list", "pods", "-n", "other")

	// Revoking alice shuts out her own kubeconfig at once (the cached token is refused),
	// while the role path stays until the role is revoked too.
	w.eksaccess("admin", "revoke", "-c", cluster, "alice")
	w.expectRefused("alice", "", "auth", "can-i", "list", "pods", "-n", teamNS)
	w.expectKubectl("alice", roleKubeconfig, "yes\n", 0, "auth", "can-i", "list", "pods", "-n", teamNS)
	w.eksaccess("admin", "revoke", "-c", cluster, "role/eks-team-a")
	w.expectRefused("alice", roleKubeconfig, "auth", "can-i", "list", "pods", "-n", teamNS)
}

// staticKubeconfig writes a kubeconfig for the demo cluster whose user is a fixed token.
func (w *world) staticKubeconfig(name, token string) string {
	w.t.Helper()
	path := filepath.Join(w.home, name+".kubeconfig")
	cfg := "apiVersion: v1\nkind: Config\nclusters:\n- name: demo\n  cluster:\n    server: " + w.srv.KubeEndpoint(cluster) +
		"\n    certificate-authority-data: " + base64.StdEncoding.EncodeToString(w.srv.CAPEM()) +
		"\ncontexts:\n- name: demo\n  context: {cluster: demo, user: u}\ncurrent-context: demo\nusers:\n- name: u\n  user:\n    token: " + token + "\n"
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		w.t.Fatal(err)
	}
	return path
}

func execCredentialToken(t *testing.T, out string) string {
	t.Helper()
	var ec struct {
		Kind   string `json:"kind"`
		Status struct {
			Token string `json:"token"`
		} `json:"status"`
	}
	if err := json.Unmarshal([]byte(out), &ec); err != nil || ec.Kind != "ExecCredential" || !strings.HasPrefix(ec.Status.Token, "k8s-aws-v1.") {
		t.Fatalf("not an ExecCredential (%v):\n%s", err, out)
	}
	return ec.Status.Token
}

// TestKubectlStaticTokens: tokens from `eksaccess token` and from `aws eks get-token` both
// work as plain bearer tokens; a token for another cluster and a tampered one do not.
func TestKubectlStaticTokens(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	admin := "arn:aws:iam::" + account + ":user/admin"
	adminWhoami := whoami(admin, "aws-iam-authenticator:"+account+":AIDAVOWZURP4H6S3XLVUQ", w.keys["admin"][0], admin, admin, "")

	ours := execCredentialToken(t, w.eksaccess("admin", "token", "-c", cluster))
	w.expectKubectl("admin", w.staticKubeconfig("ours", ours), adminWhoami, 0, "auth", "whoami")

	awsCLI, err := exec.LookPath("aws")
	if err != nil {
		t.Fatalf("the end-to-end tests need the aws CLI: %v", err)
	}
	out, errOut, code := w.run("admin", []string{"AWS_ENDPOINT_URL=" + w.srv.Endpoint()}, awsCLI, "eks", "get-token", "--cluster-name", cluster, "--output", "json")
	if code != 0 {
		t.Fatalf("aws eks get-token: exit %d\n%s", code, errOut)
	}
	theirs := execCredentialToken(t, out)
	w.expectKubectl("admin", w.staticKubeconfig("aws", theirs), adminWhoami, 0, "auth", "whoami")
	w.expectKubectl("admin", w.staticKubeconfig("aws", theirs), "yes\n", 0, "auth", "can-i", "create", "pods", "-n", teamNS)

	other := execCredentialToken(t, w.eksaccess("admin", "token", "-c", "legacy-cm"))
	w.expectRefused("admin", w.staticKubeconfig("other", other), "auth", "whoami")

	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(ours, "k8s-aws-v1."))
	if err != nil {
		t.Fatal(err)
	}
	tampered := strings.Replace(string(raw), "Action=GetCallerIdentity", "Action=GetCallerIdentity&X-Amz-Expires=900", 1)
	tampered = strings.Replace(tampered, "X-Amz-Expires=60&", "", 1)
	w.expectRefused("admin", w.staticKubeconfig("tampered", "k8s-aws-v1."+base64.RawURLEncoding.EncodeToString([]byte(tampered))), "auth", "whoami")
}
