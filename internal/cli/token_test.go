package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"eksaccess/internal/iostreams"
	"eksaccess/internal/kubeauth"
	"eksaccess/internal/sandbox/state"
)

// The token `aws eks get-token --cluster-name c1` printed for AKIDEXAMPLE at
// 2026-11-27T14:57:49Z in us-west-2 (aws-wire.md §7.1).
const (
	goldenCLIToken  = "k8s-aws-v1.aHR0cHM6Ly9zdHMudXMtd2VzdC0yLmFtYXpvbmF3cy5jb20vP0FjdGlvbj1HZXRDYWxsZXJJZGVudGl0eSZWZXJzaW9uPTIwMTEtMDYtMTUmWC1BbXotQWxnb3JpdGhtPUFXUzQtSE1BQy1TSEEyNTYmWC1BbXotQ3JlZGVudGlhbD1BS0lERVhBTVBMRSUyRjIwMjYxMTI3JTJGdXMtd2VzdC0yJTJGc3RzJTJGYXdzNF9yZXF1ZXN0JlgtQW16LURhdGU9MjAyNjExMjdUMTQ1NzQ5WiZYLUFtei1FeHBpcmVzPTYwJlgtQW16LVNpZ25lZEhlYWRlcnM9aG9zdCUzQngtazhzLWF3cy1pZCZYLUFtei1TaWduYXR1cmU9OTMyYjk2YTQwMjRhYWU2Y2ZkYTg0NTJlMmRhYzkxYmFmMzY5NTEzODE2MjdiODA2NzFjNjhmZTY1OTkyMjE4Ng"
	goldenCLIStdout = `{
    "kind": "ExecCredential",
    "apiVersion": "client.authentication.k8s.io/v1beta1",
    "spec": {},
    "status": {
        "expirationTimestamp": "2026-11-27T15:11:49Z",
        "token": "` + goldenCLIToken + `"
    }
}
`
)

var goldenCLITime = time.Date(2026, 11, 27, 14, 57, 49, 0, time.UTC)

// tokenAt runs `token -c c1` with the example credentials at a fixed clock.
func tokenAt(t *testing.T, env map[string]string, now time.Time, cluster string) (string, string, error) {
	t.Helper()
	io, _, out, errOut := iostreams.Test()
	f := newFactory(io)
	f.Getenv = func(k string) string { return env[k] }
	f.Now = func() time.Time { return now }
	defer f.Close()
	cmd := newTokenCmd(f, nil)
	cmd.SetArgs([]string{"-c", cluster})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func exampleCredentialsEnv(t *testing.T) map[string]string {
	env := map[string]string{
		"AWS_ACCESS_KEY_ID":           "AKIDEXAMPLE",
		"AWS_SECRET_ACCESS_KEY":       "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
		"AWS_REGION":                  "us-west-2",
		"AWS_CONFIG_FILE":             "/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
		"AWS_EC2_METADATA_DISABLED":   "true",
		"XDG_CACHE_HOME":              t.TempDir(),
	}
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_DEFAULT_REGION"} {
		t.Setenv(k, "")
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	return env
}

func TestTokenGoldenAndCache(t *testing.T) {
	env := exampleCredentialsEnv(t)
	out, errOut, err := tokenAt(t, env, goldenCLITime, "c1")
	if err != nil || errOut != "" {
		t.Fatalf("err %v, stderr %q", err, errOut)
	}
	if out != goldenCLIStdout {
		t.Fatalf("stdout\n%s\nwant\n%s", out, goldenCLIStdout)
	}
	files, _ := filepath.Glob(filepath.Join(env["XDG_CACHE_HOME"], "eksaccess", "tokens", "*.json"))
	if len(files) != 1 {
		t.Fatalf("cache files %v, want one", files)
	}
	if st, err := os.Stat(files[0]); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("cache file mode %v (%v), want 0600", st.Mode().Perm(), err)
	}

	// Within the token's life (less a minute) the cached token comes back unchanged.
	if out, _, err := tokenAt(t, env, goldenCLITime.Add(12*time.Minute+59*time.Second), "c1"); err != nil || out != goldenCLIStdout {
		t.Fatalf("12m59s later: err %v, stdout\n%s", err, out)
	}
	// Another cluster is another token.
	if out, _, err := tokenAt(t, env, goldenCLITime, "c2"); err != nil || strings.Contains(out, goldenCLIToken) {
		t.Fatalf("c2: err %v, got c1's token", err)
	}
	// In the last minute a fresh one is signed.
	out, _, err = tokenAt(t, env, goldenCLITime.Add(13*time.Minute), "c1")
	if err != nil {
		t.Fatal(err)
	}
	var ec kubeauth.ExecCredential
	if err := json.Unmarshal([]byte(out), &ec); err != nil {
		t.Fatal(err)
	}
	if ec.Status.Token == goldenCLIToken || ec.Status.ExpirationTimestamp != "2026-11-27T15:24:49Z" {
		t.Fatalf("13m later: expiration %s, token reused: %v", ec.Status.ExpirationTimestamp, ec.Status.Token == goldenCLIToken)
	}
	if u := decodeTokenURL(t, ec.Status.Token); u.Query().Get("X-Amz-Date") != "20261127T151049Z" {
		t.Fatalf("X-Amz-Date %s", u.Query().Get("X-Amz-Date"))
	}
}

func TestTokenExecInfo(t *testing.T) {
	for _, tc := range []struct {
		name, execInfo, apiVersion, stderr string
	}{
		{"v1", `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}`, "client.authentication.k8s.io/v1", ""},
		{"v1beta1", `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":false}}`, "client.authentication.k8s.io/v1beta1", ""},
		{"garbage", `{`, "client.authentication.k8s.io/v1beta1", "warning: KUBERNETES_EXEC_INFO is not valid JSON; using client.authentication.k8s.io/v1beta1\n"},
		{"v1alpha1", `{"apiVersion":"client.authentication.k8s.io/v1alpha1"}`, "client.authentication.k8s.io/v1beta1",
			"warning: client.authentication.k8s.io/v1alpha1 is no longer supported; using client.authentication.k8s.io/v1beta1: upgrade kubectl\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := exampleCredentialsEnv(t)
			env["KUBERNETES_EXEC_INFO"] = tc.execInfo
			out, errOut, err := tokenAt(t, env, goldenCLITime, "c1")
			if err != nil {
				t.Fatal(err)
			}
			want := strings.Replace(goldenCLIStdout, "client.authentication.k8s.io/v1beta1", tc.apiVersion, 1)
			if out != want || errOut != tc.stderr {
				t.Fatalf("stdout\n%s\nstderr %q\nwant\n%s\nstderr %q", out, errOut, want, tc.stderr)
			}
		})
	}
}

func decodeTokenURL(t *testing.T, tok string) *url.URL {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, kubeauth.TokenPrefix))
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// signer returns who signed tok for cluster, checked against the sandbox's keys.
func (h *kaHarness) signer(tok, cluster string) state.Caller {
	h.t.Helper()
	var caller state.Caller
	now := time.Now()
	err := h.srv.Store().Read(func(d *state.Data) error {
		_, err := kubeauth.Verify(tok, cluster, now, func(akid string) (string, string, bool) {
			c, ok, _ := d.LookupCredential(akid, now)
			caller = c.Caller
			return c.SecretAccessKey, c.SessionToken, ok
		})
		return err
	})
	if err != nil {
		h.t.Fatalf("token does not verify for %s: %v", cluster, err)
	}
	return caller
}

func parseExecCredential(t *testing.T, out string) kubeauth.ExecCredential {
	t.Helper()
	var ec kubeauth.ExecCredential
	if err := json.Unmarshal([]byte(out), &ec); err != nil {
		t.Fatalf("stdout is not an ExecCredential: %v\n%s", err, out)
	}
	return ec
}

func TestTokenSandboxEndpointAndRole(t *testing.T) {
	h := newKAHarness(t)
	roleArn := h.accountRole("/teams/", "eks-team-a")

	out, errOut, code := h.run("token", "-c", "hyperpod-demo")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	tok := parseExecCredential(t, out).Status.Token
	if u := decodeTokenURL(t, tok); "http://"+u.Host != h.srv.Endpoint() {
		t.Fatalf("token signed for %s, want the sandbox's STS %s", u.Host, h.srv.Endpoint())
	}
	if c := h.signer(tok, "hyperpod-demo"); c.Arn != kaUser("admin") {
		t.Fatalf("signed by %s", c.Arn)
	}

	// --role by name: resolved with GetRole (path kept), assumed once as session "admin"
	// (the caller's user name), then served from the cache.
	out, errOut, code = h.run("token", "-c", "hyperpod-demo", "--role", "eks-team-a")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	roleTok := parseExecCredential(t, out).Status.Token
	c := h.signer(roleTok, "hyperpod-demo")
	if c.PrincipalArn != roleArn || c.Arn != "arn:aws:sts::111122223333:assumed-role/eks-team-a/admin" || c.SessionName != "admin" {
		t.Fatalf("signer %+v", c)
	}
	if decodeTokenURL(t, roleTok).Query().Get("X-Amz-Security-Token") == "" {
		t.Fatal("role token carries no session token")
	}
	if n := h.count("AssumeRole"); n != 1 {
		t.Fatalf("AssumeRole calls %d, want 1", n)
	}
	again, _, _ := h.run("token", "-c", "hyperpod-demo", "--role", "eks-team-a")
	if parseExecCredential(t, again).Status.Token != roleTok || h.count("AssumeRole") != 1 {
		t.Fatalf("second call did not come from the cache (AssumeRole calls %d)", h.count("AssumeRole"))
	}

	// An explicit session name is another identity.
	out, _, code = h.run("token", "-c", "hyperpod-demo", "--role", roleArn, "--session-name", "alice@example.com")
	if code != 0 {
		t.Fatal(out)
	}
	if c := h.signer(parseExecCredential(t, out).Status.Token, "hyperpod-demo"); c.SessionName != "alice@example.com" {
		t.Fatalf("session %q", c.SessionName)
	}
	if n := h.count("AssumeRole"); n != 2 {
		t.Fatalf("AssumeRole calls %d, want 2", n)
	}
}

func TestTokenErrors(t *testing.T) {
	h := newKAHarness(t)
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string // prefix
	}{
		{[]string{"token"}, 2, "error: name a cluster with -c CLUSTER (or --hyperpod NAME for a SageMaker HyperPod cluster)\nrun `eksaccess token --help` for usage\n"},
		{[]string{"token", "-c", "hyperpod-demo", "--session-name", "bob"}, 2, "error: --session-name names the session of an assumed role: add --role ROLE\n"},
		{[]string{"token", "-c", "hyperpod-demo", "--role", "eks-team-a", "--session-name", "b"}, 2, "error: --session-name: session name \"b\" is too short: STS needs 2 to 64 characters\n"},
		{[]string{"token", "-c", "hyperpod-demo", "--role", "arn:aws:iam::111122223333:user/alice"}, 2,
			"error: --role arn:aws:iam::111122223333:user/alice is a user ARN: give a role name, role/NAME or a role ARN (arn:aws:iam::ACCOUNT:role/NAME)\n"},
		{[]string{"token", "-c", "hyperpod-demo", "--role", "nosuch"}, 2, "error: no IAM role named nosuch in account 111122223333: check the spelling or create it with eksaccess role create nosuch\n"},
		{[]string{"token", "-c", "hyperpod-demo", "--role", "PlatformAdmin"}, 1, "error: assume role arn:aws:iam::111122223333:role/PlatformAdmin (session admin): "},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, errOut, code := h.run(tc.args...)
			if code != tc.code || out != "" || !strings.HasPrefix(errOut, tc.stderr) {
				t.Fatalf("exit %d, stdout %q, stderr\n%s\nwant exit %d, stderr prefix\n%s", code, out, errOut, tc.code, tc.stderr)
			}
		})
	}
}
