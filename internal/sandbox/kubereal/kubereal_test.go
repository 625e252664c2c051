package kubereal_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"

	"eksaccess/internal/kubeauth"
	"eksaccess/internal/sandbox"
	"eksaccess/internal/sandbox/kube"
	"eksaccess/internal/sandbox/kubereal"
	"eksaccess/internal/sandbox/sdktest"
	"eksaccess/internal/sandbox/state"
)

const demo = "hyperpod-demo"

// TestVersionsMatchBuildScript keeps the constants and tools/kube/versions.env in step.
func TestVersionsMatchBuildScript(t *testing.T) {
	b, err := os.ReadFile("../../../tools/kube/versions.env")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && !strings.HasPrefix(k, "#") {
			got[k] = v
		}
	}
	if got["KUBE_VERSION"] != kubereal.KubeVersion || got["ETCD_VERSION"] != kubereal.EtcdVersion {
		t.Errorf("versions.env says %v; the package says %s and %s", got, kubereal.KubeVersion, kubereal.EtcdVersion)
	}
}

// TestNotBuilt: asking for the real mode without the components fails before anything
// starts, saying what to run.
func TestNotBuilt(t *testing.T) {
	t.Setenv(kubereal.DirEnv, t.TempDir())
	_, err := kubereal.Find()
	if !errors.Is(err, kubereal.ErrNotBuilt) || !strings.Contains(err.Error(), "run `bash tools/kube/build.sh`") {
		t.Fatalf("Find: %v", err)
	}
	dir := t.TempDir()
	srv, err := sandbox.Start(context.Background(), sandbox.Options{StateDir: dir, Kubernetes: sandbox.KubeReal})
	if err == nil {
		srv.Close()
		t.Fatal("the real mode started without its components")
	}
	if !strings.Contains(err.Error(), "--kubernetes real: the real Kubernetes components are not built") || !strings.Contains(err.Error(), kubereal.BuildCommand) {
		t.Errorf("error: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, kubereal.DirName)); !os.IsNotExist(err) {
		t.Errorf("a refused start left %s behind: %v", kubereal.DirName, err)
	}
	// auto falls back to builtin.
	srv, err = sandbox.Start(context.Background(), sandbox.Options{StateDir: dir, Kubernetes: sandbox.KubeAuto})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if srv.KubeMode() != sandbox.KubeBuiltin {
		t.Errorf("auto without components: %s", srv.KubeMode())
	}
}

// realSandbox starts a real-mode sandbox on dir and fails the test, saying how to build the
// components, when they are missing.
func realSandbox(t *testing.T, dir string) *sandbox.Server {
	t.Helper()
	srv, err := sandbox.Start(context.Background(), sandbox.Options{StateDir: dir, Kubernetes: sandbox.KubeReal, KubeNoFsync: true})
	if err != nil {
		t.Fatalf("start the real-mode sandbox: %v", err)
	}
	return srv
}

func adminToken(t *testing.T, srv *sandbox.Server, cluster string) string {
	t.Helper()
	id, secret, err := srv.AdminCredentials()
	if err != nil {
		t.Fatal(err)
	}
	cfg := sdktest.Config("http://127.0.0.1:1", "us-west-2", id, secret, "")
	tok, err := kubeauth.GetToken(context.Background(), cfg, cluster, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tok.Token
}

func client(srv *sandbox.Server) *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(srv.CAPEM())
	return &http.Client{Timeout: time.Minute, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func do(t *testing.T, c *http.Client, method, url, bearer string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestRealMode runs one API server for the package: the webhooks, the discovery the builtin
// mode serves compared with the live server's, persistence across a restart, reset.
func TestRealMode(t *testing.T) {
	dir := t.TempDir()
	srv := realSandbox(t, dir)
	closed := false
	defer func() {
		if !closed {
			srv.Close()
		}
	}()
	c := client(srv)
	kubeURL := srv.KubeEndpoint(demo)
	tok := adminToken(t, srv, demo)

	// Several first requests at once: one start, every request answered by the real server.
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Go(func() {
			code, body := do(t, c, "GET", kubeURL+"/version", tok, nil)
			var v struct {
				GitVersion string `json:"gitVersion"`
			}
			if code != 200 || json.Unmarshal(body, &v) != nil || v.GitVersion != kubereal.KubeVersion {
				t.Errorf("/version %d %s", code, body)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("first requests (start included): %s", time.Since(start))
	if n := countProcesses(t, "kube-apiserver"); n != 1 {
		t.Errorf("%d kube-apiserver processes of this test, want 1", n)
	}
	if got := srv.KubeManager().Running(); !reflect.DeepEqual(got, []string{demo}) {
		t.Errorf("running %v", got)
	}

	base := strings.TrimSuffix(srv.KubeEndpoint(""), "/k8s/")
	t.Run("webhooks need the API server's password", func(t *testing.T) {
		for _, p := range []string{"tokenreview", "subjectaccessreview"} {
			code, _ := do(t, c, "POST", base+kubereal.WebhookPrefix+demo+"/"+p, tok, map[string]any{})
			if code != 401 {
				t.Errorf("%s with a user's token: %d", p, code)
			}
		}
	})

	t.Run("discovery served by builtin is the live server's", func(t *testing.T) {
		b, err := os.ReadFile("../kube/testdata/discovery-v1.32.json")
		if err != nil {
			t.Fatal(err)
		}
		var want map[string]json.RawMessage
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		var groups struct {
			Groups []struct {
				Name     string `json:"name"`
				Versions []struct {
					GroupVersion string `json:"groupVersion"`
				} `json:"versions"`
			} `json:"groups"`
		}
		code, live := do(t, c, "GET", kubeURL+"/apis", tok, nil)
		if code != 200 || json.Unmarshal(live, &groups) != nil {
			t.Fatalf("/apis %d %s", code, live)
		}
		paths := map[string]bool{"/api": true, "/api/v1": true, "/apis": true}
		for _, g := range groups.Groups {
			paths["/apis/"+g.Name] = true
			for _, v := range g.Versions {
				paths["/apis/"+v.GroupVersion] = true
			}
		}
		for p := range want {
			if !paths[p] {
				t.Errorf("testdata has %s, the live server does not", p)
			}
		}
		for p := range paths {
			code, live := do(t, c, "GET", kubeURL+p, tok, nil)
			if code != 200 {
				t.Errorf("%s: %d", p, code)
				continue
			}
			var a, b any
			json.Unmarshal(live, &a)
			json.Unmarshal(want[p], &b)
			if p == "/api" {
				a.(map[string]any)["serverAddressByClientCIDRs"] = nil
				if b != nil {
					b.(map[string]any)["serverAddressByClientCIDRs"] = nil
				}
			}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("%s differs from testdata/discovery-v1.32.json (capture it again from the real mode):\nlive %s", p, live)
			}
		}
	})

	// Objects written through the proxy, as the admin (AmazonEKSClusterAdminPolicy).
	ns := map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "kept"}}
	if code, body := do(t, c, "POST", kubeURL+"/api/v1/namespaces", tok, ns); code != 201 {
		t.Fatalf("create namespace: %d %s", code, body)
	}
	// No controller manager, no default service account: pods can be made all the same.
	pod := map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "p"},
		"spec": map[string]any{"containers": []any{map[string]any{"name": "c", "image": "busybox"}}}}
	if code, body := do(t, c, "POST", kubeURL+"/api/v1/namespaces/kept/pods", tok, pod); code != 201 {
		t.Fatalf("create pod: %d %s", code, body)
	}

	t.Run("token webhook", func(t *testing.T) {
		// What the API server saw for the admin (through the SelfSubjectReview).
		code, body := do(t, c, "POST", kubeURL+"/apis/authentication.k8s.io/v1/selfsubjectreviews", tok,
			map[string]any{"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
		var ssr authenticationv1.SelfSubjectReview
		if code != 201 || json.Unmarshal(body, &ssr) != nil {
			t.Fatalf("ssr %d %s", code, body)
		}
		u := ssr.Status.UserInfo
		if u.Username != "arn:aws:iam::111122223333:user/admin" || !reflect.DeepEqual(u.Groups, []string{"system:authenticated"}) ||
			u.Extra["canonicalArn"][0] != u.Username || len(u.Extra["accessKeyId"]) != 1 || !strings.HasPrefix(u.UID, "aws-iam-authenticator:111122223333:") {
			t.Errorf("user %+v", u)
		}
		// A token for another cluster is refused.
		other := adminToken(t, srv, "legacy-cm")
		req, _ := http.NewRequest("GET", kubeURL+"/api/v1/namespaces", nil)
		req.Header.Set("Authorization", "Bearer "+other)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		// Why, as the builtin mode says it (never the token).
		why := resp.Header.Get(kube.AuthErrorHeader)
		if resp.StatusCode != 401 || why == "" || strings.Contains(why, other) {
			t.Errorf("other cluster's token: %d %q", resp.StatusCode, why)
		}
	})

	t.Run("authorization webhook answers only for callers mapped by an access entry", func(t *testing.T) {
		// Impersonating the admin's own username (no uid): RBAC alone, so no.
		req, _ := http.NewRequest("GET", kubeURL+"/api/v1/namespaces/kept/pods", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Impersonate-User", "arn:aws:iam::111122223333:user/admin")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 403 || !strings.Contains(string(b), `pods is forbidden: User \"arn:aws:iam::111122223333:user/admin\" cannot list resource \"pods\" in API group \"\" in the namespace \"kept\"`) {
			t.Errorf("impersonated admin: %d %s", resp.StatusCode, b)
		}
		var sar authorizationv1.SelfSubjectAccessReview
		code, body := do(t, c, "POST", kubeURL+"/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", tok,
			map[string]any{"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
				"spec": map[string]any{"resourceAttributes": map[string]any{"verb": "delete", "resource": "nodes"}}})
		if code != 201 || json.Unmarshal(body, &sar) != nil || !sar.Status.Allowed {
			t.Errorf("admin ssar %d %s", code, body)
		}
	})

	t.Run("aws-auth is read from the API server", func(t *testing.T) {
		id, secret, _ := srv.AdminCredentials()
		admin := sdktest.Config(srv.Endpoint(), "us-west-2", id, secret, "")
		key, err := iam.NewFromConfig(admin).CreateAccessKey(context.Background(), &iam.CreateAccessKeyInput{UserName: aws.String("dave")})
		if err != nil {
			t.Fatal(err)
		}
		daveCfg := sdktest.Config("http://127.0.0.1:1", "us-west-2", *key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey, "")
		daveTok, err := kubeauth.GetToken(context.Background(), daveCfg, demo, nil)
		if err != nil {
			t.Fatal(err)
		}
		whoami := func() (int, string) {
			code, body := do(t, c, "POST", kubeURL+"/apis/authentication.k8s.io/v1/selfsubjectreviews", daveTok.Token,
				map[string]any{"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
			return code, string(body)
		}
		if code, body := whoami(); code != 401 {
			t.Fatalf("dave before any mapping: %d %s", code, body)
		}
		cm := map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "aws-auth", "namespace": "kube-system"},
			"data": map[string]string{"mapUsers": "- userarn: arn:aws:iam::111122223333:user/dave\n  username: dave-{{AccountID}}\n  groups: [viewers]\n"}}
		if code, body := do(t, c, "POST", kubeURL+"/api/v1/namespaces/kube-system/configmaps", tok, cm); code != 201 {
			t.Fatalf("create aws-auth: %d %s", code, body)
		}
		// The API server caches a failed authentication for no time, a successful one for 10 s.
		code, body := whoami()
		if code != 201 || !strings.Contains(body, `"username":"dave-111122223333"`) || !strings.Contains(body, `"groups":["viewers","system:authenticated"]`) {
			t.Errorf("dave mapped by aws-auth: %d %s", code, body)
		}
		// Mapped by aws-auth, not an access entry: the access-policy webhook has nothing to say.
		if code, body := do(t, c, "GET", kubeURL+"/api/v1/namespaces/kept/pods", daveTok.Token, nil); code != 403 {
			t.Errorf("dave lists pods: %d %s", code, body)
		}
	})

	// Stop, start again on the same directory: the data is still there.
	srv.Close()
	closed = true
	if _, err := os.Stat(filepath.Join(dir, kubereal.DirName, demo, "etcd")); err != nil {
		t.Fatal(err)
	}
	srv2 := realSandbox(t, dir)
	c2 := client(srv2)
	code, body := do(t, c2, "GET", srv2.KubeEndpoint(demo)+"/api/v1/namespaces/kept/pods/p", adminToken(t, srv2, demo), nil)
	if code != 200 {
		t.Errorf("after a restart: %d %s", code, body)
	}

	// A deleted cluster's API server stops and its data goes.
	if err := srv2.Store().Update(func(d *state.Data) error {
		delete(d.Clusters, demo)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if code, _ := do(t, c2, "GET", srv2.KubeEndpoint(demo)+"/version", "", nil); code != 404 {
		t.Errorf("deleted cluster: %d", code)
	}
	if got := srv2.KubeManager().Running(); len(got) != 0 {
		t.Errorf("still running: %v", got)
	}
	if _, err := os.Stat(filepath.Join(dir, kubereal.DirName, demo)); !os.IsNotExist(err) {
		t.Errorf("data left: %v", err)
	}
	srv2.Close()

	// sandbox reset clears the clusters' Kubernetes data.
	if err := sandbox.Reset(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, kubereal.DirName)); !os.IsNotExist(err) {
		t.Errorf("reset left %s: %v", kubereal.DirName, err)
	}
}

// countProcesses counts this process's children named name.
func countProcesses(t *testing.T, name string) int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	me := strconv.Itoa(os.Getpid())
	n := 0
	for _, e := range entries {
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		s := string(stat)
		i := strings.LastIndex(s, ")")
		j := strings.Index(s, "(")
		if i < 0 || j < 0 {
			continue
		}
		fields := strings.Fields(s[i+1:])
		if s[j+1:i] == name && len(fields) > 1 && fields[1] == me {
			n++
		}
	}
	return n
}

// TestRealModeOtherAccount: the partner account's cluster gets an API server of its own,
// whose token webhook knows principals through that cluster's entries; DeleteCluster stops
// it and removes its data without any further Kubernetes request.
func TestRealModeOtherAccount(t *testing.T) {
	dir := t.TempDir()
	srv := realSandbox(t, dir)
	defer srv.Close()
	c := client(srv)
	ref := sandbox.PartnerCluster + "." + sandbox.PartnerAccount
	id, secret, err := srv.AccountAdminCredentials(sandbox.PartnerAccount)
	if err != nil {
		t.Fatal(err)
	}
	partnerCfg := sdktest.Config(srv.Endpoint(), "us-west-2", id, secret, "")
	partnerTok, err := kubeauth.GetToken(context.Background(), partnerCfg, sandbox.PartnerCluster, nil)
	if err != nil {
		t.Fatal(err)
	}
	dc, err := eks.NewFromConfig(partnerCfg).DescribeCluster(context.Background(), &eks.DescribeClusterInput{Name: aws.String(sandbox.PartnerCluster)})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(dc.Cluster.Endpoint); got != srv.KubeEndpoint(ref) {
		t.Fatalf("endpoint %s, want %s", got, srv.KubeEndpoint(ref))
	}
	review := func(tok string) (int, string) {
		code, body := do(t, c, "POST", srv.KubeEndpoint(ref)+"/apis/authentication.k8s.io/v1/selfsubjectreviews", tok,
			map[string]any{"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
		return code, string(body)
	}
	partnerAdmin := "arn:aws:iam::" + sandbox.PartnerAccount + ":user/admin"
	if code, body := review(partnerTok.Token); code != 201 || !strings.Contains(body, `"username":"`+partnerAdmin+`"`) {
		t.Fatalf("partner admin's review: %d %s", code, body)
	}
	// The first account's admin has no entry on partner-prod.
	if code, body := review(adminToken(t, srv, sandbox.PartnerCluster)); code != 401 {
		t.Errorf("first-account admin: %d %s", code, body)
	}
	if got := srv.KubeManager().Running(); !reflect.DeepEqual(got, []string{ref}) {
		t.Errorf("running %v", got)
	}
	if _, err := os.Stat(filepath.Join(dir, kubereal.DirName, ref, "etcd")); err != nil {
		t.Fatal(err)
	}

	if _, err := eks.NewFromConfig(partnerCfg).DeleteCluster(context.Background(), &eks.DeleteClusterInput{Name: aws.String(sandbox.PartnerCluster)}); err != nil {
		t.Fatal(err)
	}
	// The settle tick stops the cluster's processes, then removes its data: wait for both.
	data := filepath.Join(dir, kubereal.DirName, ref)
	dataLeft := func() bool { _, err := os.Stat(data); return !os.IsNotExist(err) }
	deadline := time.Now().Add(30 * time.Second)
	for len(srv.KubeManager().Running()) > 0 || countProcesses(t, "kube-apiserver") > 0 || countProcesses(t, "etcd") > 0 || dataLeft() {
		if time.Now().After(deadline) {
			t.Fatalf("after DeleteCluster: running %v, %d kube-apiserver, %d etcd, data left %v", srv.KubeManager().Running(), countProcesses(t, "kube-apiserver"), countProcesses(t, "etcd"), dataLeft())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestEnsureBuiltFindsOrRefuses(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"kube-apiserver", "etcd"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv(kubereal.DirEnv, dir)
	b, err := kubereal.EnsureBuilt(io.Discard)
	if err != nil || b.APIServer != filepath.Join(dir, "kube-apiserver") {
		t.Fatalf("built components not found: %+v %v", b, err)
	}
	t.Setenv(kubereal.DirEnv, t.TempDir())
	if _, err := kubereal.EnsureBuilt(io.Discard); err == nil || !strings.Contains(err.Error(), "holds no components") {
		t.Fatalf("an empty EKSACCESS_KUBE_DIR must be refused, not built into: %v", err)
	}
}
