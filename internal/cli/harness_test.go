package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"eksaccess/internal/iostreams"
	"eksaccess/internal/sandbox"
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
	h.admin = aws.Config{Region: "us-west-2", Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""), BaseEndpoint: aws.String(srv.Endpoint())}
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

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
