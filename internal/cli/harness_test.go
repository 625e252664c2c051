package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"eksaccess/internal/iostreams"
	"eksaccess/internal/plan"
	"eksaccess/internal/sandbox"
	"eksaccess/internal/sandbox/sdktest"
	"eksaccess/internal/sandbox/state"
)

// sbHarness runs eksaccess commands in-process against a fresh sandbox, with an
// environment that cannot reach real AWS or the developer's files.
type sbHarness struct {
	t   *testing.T
	srv *sandbox.Server
	env map[string]string
	// flags go before every command's arguments (declEnv's --rate).
	flags []string
	// admin is the sandbox's admin, for what a test sets up through the SDK.
	admin aws.Config
}

func newSBHarness(t *testing.T, opts ...func(*sandbox.Options)) *sbHarness {
	t.Helper()
	o := sandbox.Options{StateDir: t.TempDir()}
	for _, fn := range opts {
		fn(&o)
	}
	srv, err := sandbox.Start(context.Background(), o)
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	id, secret, err := srv.AdminCredentials()
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	h := &sbHarness{t: t, srv: srv, env: map[string]string{
		"AWS_ACCESS_KEY_ID":           id,
		"AWS_SECRET_ACCESS_KEY":       secret,
		"AWS_REGION":                  "us-west-2",
		"AWS_CONFIG_FILE":             "/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
		"AWS_EC2_METADATA_DISABLED":   "true",
		"HOME":                        home,
		"XDG_STATE_HOME":              home + "/state",
		"XDG_CACHE_HOME":              home + "/cache",
		"EKSACCESS_JOURNAL":           home + "/journal.jsonl",
	}}
	h.admin = sdkConfig(srv, id, secret)
	// The AWS SDK reads the process environment itself, so set it for real (and clear
	// what could point it elsewhere).
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EKS",
		"AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_SAGEMAKER", "AWS_DEFAULT_REGION", "KUBECONFIG", "EKSACCESS_SANDBOX", "KUBERNETES_EXEC_INFO"} {
		t.Setenv(k, "")
	}
	for k, v := range h.env {
		t.Setenv(k, v)
	}
	return h
}

// run executes `eksaccess --endpoint-url SANDBOX flags... args...` with the environment env
// and returns stdout, stderr and the exit code.
// expect runs eksaccess with args and fails the test through report (t.Errorf to go on,
// t.Fatalf to stop) unless it exits code with exactly stdout and stderr.
func (h *sbHarness) expect(report func(string, ...any), args []string, code int, stdout, stderr string) {
	h.t.Helper()
	out, errOut, got := h.run(args...)
	if got != code || out != stdout || errOut != stderr {
		report("eksaccess %s\n exit %d, want %d\n stdout:\n%s\n want:\n%s\n stderr:\n%s\n want:\n%s", strings.Join(args, " "), got, code, out, stdout, errOut, stderr)
	}
}

func (h *sbHarness) run(args ...string) (string, string, int) {
	h.t.Helper()
	io, _, out, errOut := iostreams.Test()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	full := append(append([]string{"--endpoint-url", h.srv.Endpoint()}, h.flags...), args...)
	code := Run(ctx, full, io, h.getenv)
	return out.String(), errOut.String(), code
}

// runJSON runs args with -o json and decodes what it prints into T (a test failure when that
// is not JSON).
func runJSON[T any](h *sbHarness, args ...string) (res T, errOut string, code int) {
	h.t.Helper()
	out, errOut, code := h.run(append(append([]string{}, args...), "-o", "json")...)
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		h.t.Fatalf("%s: exit %d, %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, err, out, errOut)
	}
	return res, errOut, code
}

func (h *sbHarness) getenv(k string) string { return h.env[k] }

// as switches the long-term credentials eksaccess runs with, in env and in the process
// environment the SDK reads.
func (h *sbHarness) as(id, secret string) {
	h.t.Helper()
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": id, "AWS_SECRET_ACCESS_KEY": secret} {
		h.env[k] = v
		h.t.Setenv(k, v)
	}
}

// accessKey creates an access key for an IAM user of the sandbox, as the admin.
func (h *sbHarness) accessKey(user string) (string, string) {
	h.t.Helper()
	out, err := iam.NewFromConfig(h.admin).CreateAccessKey(context.Background(), &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	if err != nil {
		h.t.Fatalf("create access key for %s: %v", user, err)
	}
	return aws.ToString(out.AccessKey.AccessKeyId), aws.ToString(out.AccessKey.SecretAccessKey)
}

// mustRun fails the test unless the command exits 0.
func (h *sbHarness) mustRun(args ...string) string {
	h.t.Helper()
	out, errOut, code := h.run(args...)
	if code != 0 {
		h.t.Fatalf("eksaccess %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// mutating counts the sandbox's mutating calls by operation since mark (an index into its
// request log: 0, or what mark returned).
func (h *sbHarness) mutating(mark int) map[string]int {
	m := map[string]int{}
	for _, r := range h.srv.Requests()[mark:] {
		if r.Mutating {
			m[r.Operation]++
		}
	}
	return m
}

func (h *sbHarness) mark() int { return len(h.srv.Requests()) }

// write writes a file under the harness's HOME and returns its path.
func (h *sbHarness) write(name, content string) string {
	h.t.Helper()
	p := filepath.Join(h.env["HOME"], name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		h.t.Fatal(err)
	}
	return p
}

// mustContain reports each of wants that out (what names it) lacks.
func mustContain(t *testing.T, what, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, out)
		}
	}
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// kaHarness runs the token/kubeconfig/verify/can-i/who-can commands in-process against a
// fresh sandbox, as the admin or as another IAM user (switched with as).
type kaHarness struct {
	*sbHarness
	home string
}

const kaAccount = "111122223333"

func kaUser(name string) string { return "arn:aws:iam::" + kaAccount + ":user/" + name }
func kaRole(name string) string { return "arn:aws:iam::" + kaAccount + ":role/" + name }

func newKAHarness(t *testing.T) *kaHarness {
	t.Helper()
	sb := newSBHarness(t)
	return &kaHarness{sbHarness: sb, home: sb.env["HOME"]}
}

// accountRole creates a role any principal of the account may assume.
func (h *kaHarness) accountRole(path, name string) string {
	h.t.Helper()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + kaAccount + `:root"},"Action":"sts:AssumeRole"}]}`
	in := &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}
	if path != "" {
		in.Path = aws.String(path)
	}
	out, err := iam.NewFromConfig(h.admin).CreateRole(context.Background(), in)
	if err != nil {
		h.t.Fatalf("create role %s: %v", name, err)
	}
	return aws.ToString(out.Role.Arn)
}

// entry creates an access entry with groups and policies ("NAME" for cluster scope,
// "NAME:ns1,ns2" for namespace scope), as the admin.
func (h *kaHarness) entry(cluster, arn string, groups []string, policies ...string) {
	h.t.Helper()
	ctx := context.Background()
	c := eks.NewFromConfig(h.admin)
	if _, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(arn), KubernetesGroups: groups}); err != nil {
		h.t.Fatalf("create access entry %s: %v", arn, err)
	}
	for _, p := range policies {
		name, nss, namespaced := strings.Cut(p, ":")
		scope := &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster}
		if namespaced {
			scope = &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeNamespace, Namespaces: strings.Split(nss, ",")}
		}
		_, err := c.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{
			ClusterName: aws.String(cluster), PrincipalArn: aws.String(arn),
			PolicyArn: aws.String("arn:aws:eks::aws:cluster-access-policy/" + name), AccessScope: scope,
		})
		if err != nil {
			h.t.Fatalf("associate %s with %s: %v", p, arn, err)
		}
	}
}

// deleteEntry removes an access entry, as the admin.
func (h *kaHarness) deleteEntry(cluster, arn string) {
	h.t.Helper()
	_, err := eks.NewFromConfig(h.admin).DeleteAccessEntry(context.Background(), &eks.DeleteAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(arn)})
	if err != nil {
		h.t.Fatalf("delete access entry %s: %v", arn, err)
	}
}

// count is how many calls of an operation the sandbox has served.
func (h *kaHarness) count(op string) int {
	n := 0
	for _, r := range h.srv.Requests() {
		if r.Operation == op {
			n++
		}
	}
	return n
}

// pinExecutable makes kubeconfig write a fixed plugin path for the test's duration.
func pinExecutable(t *testing.T, path string) {
	old := executablePath
	executablePath = func() (string, error) { return path, nil }
	t.Cleanup(func() { executablePath = old })
}

// addUsers creates IAM users directly in the sandbox state (created an hour ago, so the
// consistency delay does not apply) and returns their names.
func (h *sbHarness) addUsers(prefix string, n int) []string {
	h.t.Helper()
	var names []string
	err := h.srv.Store().Update(func(d *state.Data) error {
		for i := 0; i < n; i++ {
			name := fmt.Sprintf("%s%03d", prefix, i)
			names = append(names, name)
			d.Users[strings.ToLower(name)] = &state.User{
				Path: "/", UserName: name, UserID: fmt.Sprintf("AIDA%016d", i), Arn: kaUser(name),
				CreateDate: time.Now().Add(-time.Hour),
			}
		}
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return names
}

// sdkConfig is the SDK configuration for an access key of the sandbox srv.
func sdkConfig(srv *sandbox.Server, id, secret string) aws.Config {
	return sdktest.Config(srv.Endpoint(), "us-west-2", id, secret, "")
}

// caller is the SDK configuration of the access key the commands run with (h.env's).
func (h *sbHarness) caller() aws.Config {
	return sdkConfig(h.srv, h.env["AWS_ACCESS_KEY_ID"], h.env["AWS_SECRET_ACCESS_KEY"])
}

func (h *sbHarness) eksClient() *eks.Client { return eks.NewFromConfig(h.caller()) }

func (h *sbHarness) entry(cluster, arn string) *plan.LiveEntry {
	h.t.Helper()
	e, err := plan.ReadEntry(context.Background(), h.eksClient(), cluster, arn)
	if err != nil {
		h.t.Fatal(err)
	}
	return e
}
