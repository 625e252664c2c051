package kube

import (
	"encoding/pem"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"eksaccess/internal/kubeauth"
	"eksaccess/internal/sandbox/kube/kubectltest"
	"eksaccess/internal/sandbox/state"
	"eksaccess/internal/sandbox/state/statetest"
)

func startTLS(t *testing.T, f *fixture, cluster string) *kubectltest.Env {
	t.Helper()
	srv := httptest.NewTLSServer(f.h)
	t.Cleanup(srv.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	return kubectltest.New(t, srv.URL+PathPrefix+cluster, ca)
}

func TestKubectlEndToEnd(t *testing.T) {
	now := time.Now().UTC()
	f := newFixture(t, now)
	k := startTLS(t, f, demo)
	alice := k.StaticKubeconfig("alice", token(t, aliceKey, aliceSec, "", demo, now))

	out, errOut, code := k.Run(alice, nil, "auth", "whoami")
	if code != 0 || row(out, "Username") != statetest.AliceArn || row(out, "UID") != "aws-iam-authenticator:111122223333:AIDAALICEEXAMPLE" ||
		row(out, "Groups") != "[system:authenticated]" || row(out, "Extra: arn") != "["+statetest.AliceArn+"]" {
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
		out, errOut, code := k.Run(alice, nil, tt.args...)
		if out != tt.out || code != tt.code {
			t.Errorf("kubectl %s: rc %d stdout %q (want rc %d %q)\nstderr %s", strings.Join(tt.args, " "), code, out, tt.code, tt.out, errOut)
		}
	}

	// Through an assumed role (role with a path; username template with the session name).
	dev := k.StaticKubeconfig("dev", token(t, sessKey, sessSec, sessTok, demo, now))
	out, errOut, code = k.Run(dev, nil, "auth", "whoami")
	if code != 0 || row(out, "Username") != "dev:alice-example.com:alice@example.com:111122223333" || row(out, "Groups") != "[team-a system:authenticated]" ||
		row(out, "Extra: sessionName") != "[alice@example.com]" || row(out, "Extra: canonicalArn") != "["+roleArn+"]" {
		t.Errorf("role whoami rc %d\n%s\n%s", code, out, errOut)
	}
	if out, errOut, code := k.Run(dev, nil, "auth", "can-i", "create", "pods", "-n", "hyperpod-ns-team-b"); code != 0 || out != "yes\n" {
		t.Errorf("role can-i create pods: rc %d %q %s", code, out, errOut)
	}

	// A token for another cluster is refused.
	wrong := k.StaticKubeconfig("wrong", token(t, aliceKey, aliceSec, "", "other", now))
	if out, errOut, code := k.Run(wrong, nil, "auth", "can-i", "list", "pods", "-n", teamA); code != 1 || out != "" || !strings.Contains(errOut, "Unauthorized") {
		t.Errorf("wrong-cluster token: rc %d %q %s", code, out, errOut)
	}

	// Revoking the access entry locks the same kubeconfig out.
	if err := f.st.Update(func(d *state.Data) error {
		delete(d.Clusters[demo].Entries, statetest.AliceArn)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := k.Run(alice, nil, "auth", "can-i", "list", "pods", "-n", teamA); code != 1 || out != "" || !strings.Contains(errOut, "Unauthorized") {
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
	path := filepath.Join(k.Home, ".kube", "config")
	cluster := kubeauth.ClusterInfo{Name: demo, Arn: "arn:aws:eks:us-west-2:111122223333:cluster/" + demo, Endpoint: k.Server, CAData: k.CAData, Region: "us-west-2"}
	user := kubeauth.ExecUser{Command: awsPath, Args: []string{"--region", "us-west-2", "eks", "get-token", "--cluster-name", demo, "--output", "json"}}
	if err := kubeauth.MergeKubeconfig(path, cluster, user, "", true); err != nil {
		t.Fatal(err)
	}
	awsEnv := []string{
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_ACCESS_KEY_ID=" + aliceKey, "AWS_SECRET_ACCESS_KEY=" + aliceSec,
		"AWS_ENDPOINT_URL_STS=http://127.0.0.1:1", // presigning needs no server
	}
	out, errOut, code := k.Run(path, awsEnv, "auth", "whoami")
	if code != 0 || row(out, "Username") != statetest.AliceArn {
		t.Fatalf("whoami with aws get-token: rc %d\n%s\n%s", code, out, errOut)
	}
}

var row = kubectltest.Row
