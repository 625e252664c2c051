package kubeauth

import (
	"os"
	"path/filepath"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
)

var c1 = ClusterInfo{
	Name:     "c1",
	Arn:      "arn:aws:eks:us-west-2:111122223333:cluster/c1",
	Endpoint: "https://127.0.0.1:6443/k8s/c1",
	CAData:   "LS0tLS1CRUdJTg==",
	Region:   "us-west-2",
}

var eksaccessUser = ExecUser{
	Command: "eksaccess",
	Args:    []string{"token", "-c", "c1", "--region", "us-west-2"},
	Env:     []EnvVar{{"AWS_PROFILE", "dev"}},
}

func TestMergeKubeconfigNewFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "home", ".kube", "config")
	if err := MergeKubeconfig(path, c1, eksaccessUser, "", true); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	want := `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTg==
    server: https://127.0.0.1:6443/k8s/c1
  name: arn:aws:eks:us-west-2:111122223333:cluster/c1
contexts:
- context:
    cluster: arn:aws:eks:us-west-2:111122223333:cluster/c1
    user: arn:aws:eks:us-west-2:111122223333:cluster/c1
  name: arn:aws:eks:us-west-2:111122223333:cluster/c1
current-context: arn:aws:eks:us-west-2:111122223333:cluster/c1
kind: Config
users:
- name: arn:aws:eks:us-west-2:111122223333:cluster/c1
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args:
      - token
      - -c
      - c1
      - --region
      - us-west-2
      command: eksaccess
      env:
      - name: AWS_PROFILE
        value: dev
      provideClusterInfo: false
`
	if string(b) != want {
		t.Errorf("kubeconfig\n%s\nwant\n%s", b, want)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	if st, _ := os.Stat(filepath.Dir(path)); st.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v, want 0700", st.Mode().Perm())
	}
	// Loadable by client-go as a working client config.
	cc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: path}, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cc.Host != c1.Endpoint || cc.ExecProvider == nil || cc.ExecProvider.Command != "eksaccess" || string(cc.CAData) != "-----BEGIN" {
		t.Errorf("client config %+v", cc)
	}
}

func TestMergeKubeconfigPreservesAndReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config")
	existing := `apiVersion: v1
kind: Config
clusters:
- name: other
  cluster: {server: "https://other.example:443", insecure-skip-tls-verify: true}
- name: arn:aws:eks:us-west-2:111122223333:cluster/c1
  cluster: {server: "https://old.example"}
contexts:
- name: other
  context: {cluster: other, user: other, namespace: team-x}
users:
- name: other
  user: {token: static-token}
current-context: other
`
	if err := os.WriteFile(path, []byte(existing), 0o644); err != nil {
		t.Fatal(err)
	}
	alias := "c1-dev"
	u := eksaccessUser
	u.APIVersion = ExecV1
	if err := MergeKubeconfig(path, c1, u, alias, false); err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CurrentContext != "other" {
		t.Errorf("current-context %q changed without setCurrent", cfg.CurrentContext)
	}
	if c := cfg.Clusters["other"]; c == nil || c.Server != "https://other.example:443" || !c.InsecureSkipTLSVerify {
		t.Errorf("other cluster lost: %+v", c)
	}
	if ctx := cfg.Contexts["other"]; ctx == nil || ctx.Namespace != "team-x" {
		t.Errorf("other context lost: %+v", ctx)
	}
	if ai := cfg.AuthInfos["other"]; ai == nil || ai.Token != "static-token" {
		t.Errorf("other user lost")
	}
	if c := cfg.Clusters[c1.Arn]; c == nil || c.Server != c1.Endpoint {
		t.Errorf("cluster not replaced: %+v", c)
	}
	ctx := cfg.Contexts[alias]
	if ctx == nil || ctx.Cluster != c1.Arn || ctx.AuthInfo != alias {
		t.Errorf("alias context %+v", ctx)
	}
	if ai := cfg.AuthInfos[alias]; ai == nil || ai.Exec == nil || ai.Exec.APIVersion != ExecV1 || ai.Exec.InteractiveMode != "IfAvailable" {
		t.Errorf("alias user %+v", ai)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600 (group/other bits dropped)", st.Mode().Perm())
	}

	// A tighter mode is kept, and a second merge with setCurrent switches the context.
	os.Chmod(path, 0o400)
	if err := MergeKubeconfig(path, c1, eksaccessUser, alias, true); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o400 {
		t.Errorf("mode %v, want 0400 kept", st.Mode().Perm())
	}
	cfg, _ = clientcmd.LoadFromFile(path)
	if cfg.CurrentContext != alias || len(cfg.Contexts) != 2 || len(cfg.AuthInfos) != 2 || len(cfg.Clusters) != 2 {
		t.Errorf("after second merge: current %q, %d contexts, %d users, %d clusters", cfg.CurrentContext, len(cfg.Contexts), len(cfg.AuthInfos), len(cfg.Clusters))
	}
}

func TestMergeKubeconfigSymlinkAndErrors(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real-config")
	link := filepath.Join(dir, "config")
	os.WriteFile(target, []byte("apiVersion: v1\nkind: Config\n"), 0o600)
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := MergeKubeconfig(link, c1, eksaccessUser, "", true); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Error("symlink replaced by a file")
	}
	if cfg, _ := clientcmd.LoadFromFile(target); cfg.CurrentContext != c1.Arn {
		t.Errorf("target not updated")
	}

	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte("clusters: [[["), 0o600)
	if err := MergeKubeconfig(bad, c1, eksaccessUser, "", true); err == nil {
		t.Error("merged into an unparsable kubeconfig")
	}
	if b, _ := os.ReadFile(bad); string(b) != "clusters: [[[" {
		t.Error("unparsable kubeconfig was overwritten")
	}
	noCA := c1
	noCA.CAData = "%%%"
	if err := MergeKubeconfig(filepath.Join(dir, "x"), noCA, eksaccessUser, "", true); err == nil {
		t.Error("accepted non-base64 CA data")
	}
	if err := MergeKubeconfig(filepath.Join(dir, "y"), ClusterInfo{Name: "c1"}, eksaccessUser, "", true); err == nil {
		t.Error("accepted a cluster without endpoint")
	}
}

func TestResolveKubeconfigPath(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := MergeKubeconfig(b, c1, eksaccessUser, "", true); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", dir)
	tests := []struct {
		explicit, kubeconfig, cluster, want string
	}{
		{"/explicit", a + string(os.PathListSeparator) + b, c1.Arn, "/explicit"},
		{"", a + string(os.PathListSeparator) + b, c1.Arn, b},
		{"", a + string(os.PathListSeparator) + b, "arn:other", a},
		{"", "", c1.Arn, filepath.Join(dir, ".kube", "config")},
	}
	for _, tt := range tests {
		t.Setenv("KUBECONFIG", tt.kubeconfig)
		got, err := ResolveKubeconfigPath(tt.explicit, tt.cluster)
		if err != nil || got != tt.want {
			t.Errorf("ResolveKubeconfigPath(%q) with KUBECONFIG=%q = %q, %v; want %q", tt.explicit, tt.kubeconfig, got, err, tt.want)
		}
	}
}
