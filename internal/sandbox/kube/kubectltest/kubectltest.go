// Package kubectltest runs the real kubectl (1.32, at /usr/bin/kubectl) against a sandbox
// Kubernetes endpoint, for the end-to-end tests of the sandbox's packages: a kubeconfig
// with a static token or an exec plugin, and the `kubectl auth whoami` table read back.
package kubectltest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Path is where kubectl is expected.
const Path = "/usr/bin/kubectl"

// Env is kubectl pointed at one endpoint, with a home directory of its own.
type Env struct {
	t      testing.TB
	Server string // https://HOST:PORT/k8s/REF
	CAData string // the endpoint's CA, base64 PEM
	Home   string
	env    []string
}

// New returns an Env for server, whose certificate caPEM signs; it fails the test when
// kubectl is missing.
func New(t testing.TB, server string, caPEM []byte) *Env {
	t.Helper()
	if _, err := os.Stat(Path); err != nil {
		t.Fatalf("kubectl is required at %s for the end-to-end test: %v", Path, err)
	}
	home := t.TempDir()
	return &Env{
		t: t, Server: server, CAData: base64.StdEncoding.EncodeToString(caPEM), Home: home,
		env: []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home},
	}
}

// StaticKubeconfig writes a kubeconfig whose user carries a fixed bearer token.
func (k *Env) StaticKubeconfig(name, tok string) string {
	path := filepath.Join(k.Home, name+".kubeconfig")
	cfg := `apiVersion: v1
kind: Config
clusters:
- name: sandbox
  cluster:
    server: ` + k.Server + `
    certificate-authority-data: ` + k.CAData + `
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

// Run runs kubectl with kubeconfig and returns stdout, stderr and the exit code.
func (k *Env) Run(kubeconfig string, extraEnv []string, args ...string) (string, string, int) {
	k.t.Helper()
	cmd := exec.Command(Path, append([]string{"--kubeconfig", kubeconfig}, args...)...)
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

// Row returns the VALUE column of the `kubectl auth whoami` table row for attribute.
func Row(out, attribute string) string {
	for _, line := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(line, attribute+"  "); ok {
			return strings.TrimSpace(rest)
		}
	}
	return ""
}
