package cli

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"eksaccess/internal/iostreams"

	"eksaccess/internal/usecase"
)

const demoClusterArn = "arn:aws:eks:us-west-2:111122223333:cluster/hyperpod-demo"

func loadKubeconfig(t *testing.T, path string) *clientcmdapi.Config {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestKubeconfigWritesExecUser(t *testing.T) {
	h := newKAHarness(t)
	pinExecutable(t, "/opt/bin/eksaccess")
	path := filepath.Join(h.home, "kube", "config")

	out, errOut, code := h.run("kubeconfig", "-c", "hyperpod-demo", "--kubeconfig", path)
	if code != 0 || out != "" || errOut != "Added new context "+demoClusterArn+" to "+path+"\n" {
		t.Fatalf("exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", st.Mode().Perm(), err)
	}
	cfg := loadKubeconfig(t, path)
	if cfg.CurrentContext != demoClusterArn {
		t.Errorf("current-context %q", cfg.CurrentContext)
	}
	cl := cfg.Clusters[demoClusterArn]
	if cl == nil || cl.Server != h.srv.KubeEndpoint("hyperpod-demo") || string(cl.CertificateAuthorityData) != string(h.srv.CAPEM()) {
		t.Fatalf("cluster %+v", cl)
	}
	ex := cfg.AuthInfos[demoClusterArn].Exec
	wantArgs := []string{"token", "-c", "hyperpod-demo", "--region", "us-west-2", "--endpoint-url", h.srv.Endpoint()}
	if ex.Command != "/opt/bin/eksaccess" || !reflect.DeepEqual(ex.Args, wantArgs) || len(ex.Env) != 0 || ex.APIVersion != "client.authentication.k8s.io/v1beta1" {
		t.Fatalf("exec %+v", ex)
	}

	// Again: the same context is updated, nothing else changes.
	_, errOut, code = h.run("kubeconfig", "-c", "hyperpod-demo", "--kubeconfig", path)
	if code != 0 || errOut != "Updated context "+demoClusterArn+" in "+path+"\n" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if n := len(loadKubeconfig(t, path).Contexts); n != 1 {
		t.Fatalf("%d contexts", n)
	}
}

func TestKubeconfigSharedRoleAliasHyperPodJSON(t *testing.T) {
	h := newKAHarness(t)
	pinExecutable(t, "/opt/bin/eksaccess")
	roleArn := h.accountRole("/teams/", "eks-team-a")
	id, secret := h.accessKey("alice")
	h.as(id, secret)
	path := filepath.Join(h.home, "kc")
	// A kubeconfig that already has something else in it keeps it.
	if err := os.WriteFile(path, []byte("apiVersion: v1\nkind: Config\nclusters:\n- name: other\n  cluster: {server: 'https://other.example.com'}\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	got, errOut, code := runJSON[usecase.KubeconfigResult](h.sbHarness, "kubeconfig", "--hyperpod", "ml-team-hp", "--role", "role/teams/eks-team-a", "--alias", "team-a", "--kubeconfig", path)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	args := []string{"token", "-c", "hyperpod-demo", "--region", "us-west-2", "--role", roleArn, "--session-name", "alice", "--endpoint-url", h.srv.Endpoint()}
	want := usecase.KubeconfigResult{
		Path: path, Context: "team-a", Cluster: "hyperpod-demo", ClusterArn: demoClusterArn, Server: h.srv.KubeEndpoint("hyperpod-demo"),
		Region: "us-west-2", RoleArn: roleArn, SessionName: "alice", Command: "/opt/bin/eksaccess", Args: args,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("result\n%+v\nwant\n%+v", got, want)
	}
	cfg := loadKubeconfig(t, path)
	if cfg.Clusters["other"] == nil || cfg.CurrentContext != "team-a" || cfg.Contexts["team-a"].AuthInfo != "team-a" || cfg.Contexts["team-a"].Cluster != demoClusterArn {
		t.Fatalf("kubeconfig %+v", cfg)
	}
	if !reflect.DeepEqual(cfg.AuthInfos["team-a"].Exec.Args, args) {
		t.Fatalf("args %v", cfg.AuthInfos["team-a"].Exec.Args)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v: group/other bits must be dropped", st.Mode().Perm())
	}

	// Table output names the role and session on stderr.
	_, errOut, code = h.run("kubeconfig", "-c", "hyperpod-demo", "--role", roleArn, "--session-name", "alice-laptop", "--alias", "team-a", "--kubeconfig", path)
	wantErr := "Updated context team-a in " + path + "\nkubectl will use role " + roleArn + " as session alice-laptop\n"
	if code != 0 || errOut != wantErr {
		t.Fatalf("exit %d, stderr\n%s\nwant\n%s", code, errOut, wantErr)
	}
}

func TestKubeconfigErrors(t *testing.T) {
	h := newKAHarness(t)
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"kubeconfig", "-c", "nope", "--kubeconfig", filepath.Join(h.home, "x")}, 1, "error: cluster \"nope\" not found in this account and region: check --region, or list clusters with `eksaccess clusters`: "},
		{[]string{"kubeconfig", "-c", "hyperpod-demo", "--hyperpod", "ml-team-hp"}, 2, "error: -c and --hyperpod both name a cluster: give one of them\n"},
		{[]string{"kubeconfig", "-c", "hyperpod-demo", "--role", "role/x/"}, 2, "error: --role: "},
	} {
		out, errOut, code := h.run(tc.args...)
		if code != tc.code || out != "" || len(errOut) < len(tc.stderr) || errOut[:len(tc.stderr)] != tc.stderr {
			t.Errorf("%v: exit %d, stderr %q; want %d, %q…", tc.args, code, errOut, tc.code, tc.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(h.home, "x")); !os.IsNotExist(err) {
		t.Errorf("a failed run wrote the kubeconfig: %v", err)
	}
}

func TestKubeconfigSandboxMode(t *testing.T) {
	h := newKAHarness(t)
	pinExecutable(t, "/opt/bin/eksaccess")
	dir := t.TempDir()
	h.env["EKSACCESS_SANDBOX"] = dir
	path := filepath.Join(h.home, "kc")
	io, _, out, errOut := iostreams.Test()
	code := Run(context.Background(), []string{"--sandbox", "kubeconfig", "-c", "hyperpod-demo", "--kubeconfig", path}, io, h.getenv)
	wantErr := "Added new context " + demoClusterArn + " to " + path + "\n" +
		"note: the sandbox's Kubernetes endpoint lives only while a sandbox runs: start `eksaccess sandbox serve` before using kubectl\n"
	if code != 0 || out.String() != "" || errOut.String() != wantErr {
		t.Fatalf("exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
	ex := loadKubeconfig(t, path).AuthInfos[demoClusterArn].Exec
	wantArgs := []string{"token", "-c", "hyperpod-demo", "--region", "us-west-2", "--sandbox"}
	if !reflect.DeepEqual(ex.Args, wantArgs) || len(ex.Env) != 1 || ex.Env[0].Name != "EKSACCESS_SANDBOX" || ex.Env[0].Value != dir {
		t.Fatalf("exec %+v", ex)
	}
}
