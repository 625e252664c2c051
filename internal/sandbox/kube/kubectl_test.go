package kube

import (
	"bytes"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"eksaccess/internal/kubeauth"
	"eksaccess/internal/sandbox/state"
)

const kubectlPath = "/usr/bin/kubectl"

type kubectlEnv struct {
	t      *testing.T
	server string // https://127.0.0.1:PORT/k8s/CLUSTER
	caData string // base64 PEM
	home   string
	env    []string
}

func startTLS(t *testing.T, f *fixture, cluster string) *kubectlEnv {
	t.Helper()
	if _, err := os.Stat(kubectlPath); err != nil {
		t.Fatalf("kubectl is required at %s for the end-to-end test: %v", kubectlPath, err)
	}
	srv := httptest.NewTLSServer(f.h)
	t.Cleanup(srv.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	home := t.TempDir()
	return &kubectlEnv{
		t: t, server: srv.URL + PathPrefix + cluster, caData: base64.StdEncoding.EncodeToString(ca), home: home,
		env: []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home},
	}
}

// staticKubeconfig writes a kubeconfig whose user carries a fixed bearer token.
func (k *kubectlEnv) staticKubeconfig(name, tok string) string {
	path := filepath.Join(k.home, name+".kubeconfig")
	cfg := `apiVersion: v1
kind: Config
clusters:
- name: sandbox
  cluster:
    server: ` + k.server + `
    certificate-authority-data: ` + k.caData + `
contexts:
- name: sandbox
  context: {cluster: sandbox, user: u}
current-context: sandbox
users:
- name: u
  user:
    token: ` + tok + "\n"
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		k.t.Fatal(err)
	}
	return path
}

// run runs kubectl with kubeconfig and returns stdout, stderr and the exit code.
func (k *kubectlEnv) run(kubeconfig string, extraEnv []string, args ...string) (string, string, int) {
	k.t.Helper()
	cmd := exec.Command(kubectlPath, append([]string{"--kubeconfig", kubeconfig}, args...)...)
	cmd.Env = append(append([]string{}, k.env...), extraEnv...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		k.t.Fatalf("kubectl %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

func TestKubectlEndToEnd(t *testing.T) {
	now := time.Now().UTC()
	f := newFixture(t, now)
	k := startTLS(t, f, demo)
	alice := k.staticKubeconfig("alice", token(t, aliceKey, aliceSec, "", demo, now))

	out, errOut, code := k.run(alice, nil, "auth", "whoami")
	if code != 0 || row(out, "Username") != aliceArn || row(out, "UID") != "aws-iam-authenticator:111122223333:AIDAALICEEXAMPLE" ||
		row(out, "Groups") != "[system:authenticated]" || row(out, "Extra: arn") != "["+aliceArn+"]" {
		t.Fatalf("whoami rc %d\n%s\n%s", code, out, errOut)
	}

	tests := []struct {
		args []string
		out  string
		code int
	}{
		{[]string{"auth", "can-i", "list", "pods", "-n", teamA}, "yes\n", 0},
		{[]string{"auth", "can-i", "get", "pods/log", "-n", teamA}, "yes\n", 0},
		{[]string{"auth", "can-i", "create", "pods", "-n", teamA}, "no\n", 1},
		{[]string{"auth", "can-i", "get", "secrets", "-n", teamA}, "no\n", 1},
		{[]string{"auth", "can-i", "list", "pods", "-n", "other"}, "no\n", 1},
	}
	for _, tt := range tests {
		out, errOut, code := k.run(alice, nil, tt.args...)
		if out != tt.out || code != tt.code {
			t.Errorf("kubectl %s: rc %d stdout %q (want rc %d %q)\nstderr %s", strings.Join(tt.args, " "), code, out, tt.code, tt.out, errOut)
		}
	}

	// Through an assumed role (role with a path; username template with the session name).
	dev := k.staticKubeconfig("dev", token(t, sessKey, sessSec, sessTok, demo, now))
	out, errOut, code = k.run(dev, nil, "auth", "whoami")
	if code != 0 || row(out, "Username") != "dev:alice-example.com:alice@example.com:111122223333" || row(out, "Groups") != "[team-a system:authenticated]" ||
		row(out, "Extra: sessionName") != "[alice@example.com]" || row(out, "Extra: canonicalArn") != "["+roleArn+"]" {
		t.Errorf("role whoami rc %d\n%s\n%s", code, out, errOut)
	}
	if out, errOut, code := k.run(dev, nil, "auth", "can-i", "create", "pods", "-n", "hyperpod-ns-team-b"); code != 0 || out != "yes\n" {
		t.Errorf("role can-i create pods: rc %d %q %s", code, out, errOut)
	}

	// A token for another cluster is refused.
	wrong := k.staticKubeconfig("wrong", token(t, aliceKey, aliceSec, "", "other", now))
	if out, errOut, code := k.run(wrong, nil, "auth", "can-i", "list", "pods", "-n", teamA); code != 1 || out != "" || !strings.Contains(errOut, "Unauthorized") {
		t.Errorf("wrong-cluster token: rc %d %q %s", code, out, errOut)
	}

	// Revoking the access entry locks the same kubeconfig out.
	if err := f.st.Update(func(d *state.Data) error {
		delete(d.Clusters[demo].Entries, aliceArn)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := k.run(alice, nil, "auth", "can-i", "list", "pods", "-n", teamA); code != 1 || out != "" || !strings.Contains(errOut, "Unauthorized") {
		t.Errorf("after revoke: rc %d %q %s", code, out, errOut)
	}
}

// TestKubectlWithAwsGetToken uses the kubeconfig shape `aws eks update-kubeconfig` writes
// (merged by kubeauth.MergeKubeconfig): kubectl runs `aws eks get-token` as its exec plugin
// and the sandbox accepts the real CLI's token.
func TestKubectlWithAwsGetToken(t *testing.T) {
	awsPath, err := exec.LookPath("aws")
	if err != nil {
		t.Fatalf("the aws CLI is required for this test: %v", err)
	}
	now := time.Now().UTC()
	f := newFixture(t, now)
	k := startTLS(t, f, demo)
	path := filepath.Join(k.home, ".kube", "config")
	cluster := kubeauth.ClusterInfo{Name: demo, Arn: "arn:aws:eks:us-west-2:111122223333:cluster/" + demo, Endpoint: k.server, CAData: k.caData, Region: "us-west-2"}
	user := kubeauth.ExecUser{Command: awsPath, Args: []string{"--region", "us-west-2", "eks", "get-token", "--cluster-name", demo, "--output", "json"}}
	if err := kubeauth.MergeKubeconfig(path, cluster, user, "", true); err != nil {
		t.Fatal(err)
	}
	awsEnv := []string{
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_ACCESS_KEY_ID=" + aliceKey, "AWS_SECRET_ACCESS_KEY=" + aliceSec,
		"AWS_ENDPOINT_URL_STS=http://127.0.0.1:1", // presigning needs no server
	}
	out, errOut, code := k.run(path, awsEnv, "auth", "whoami")
	if code != 0 || row(out, "Username") != aliceArn {
		t.Fatalf("whoami with aws get-token: rc %d\n%s\n%s", code, out, errOut)
	}
}

// row returns the VALUE column of the `kubectl auth whoami` table row for attribute.
func row(out, attribute string) string {
	for _, line := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(line, attribute+"  "); ok {
			return strings.TrimSpace(rest)
		}
	}
	return ""
}
