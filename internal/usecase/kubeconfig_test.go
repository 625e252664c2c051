package usecase

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"k8s.io/client-go/tools/clientcmd"

	"eksaccess/internal/kubeauth"
)

func TestTokenCachedPerIdentity(t *testing.T) {
	t.Parallel()
	w := newReadWorld()
	w.env.CacheDir = t.TempDir()
	ctx := context.Background()
	tok, err := w.env.Token(ctx, TokenRequest{Cluster: ClusterRef{Name: "demo"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok.Token, "k8s-aws-v1.") || !tok.Expiration.Equal(w.now.Add(14*time.Minute)) {
		t.Fatalf("token %+v", tok)
	}
	// A plain token needs no AWS call at all: it is presigned locally.
	if len(w.calls.calls) != 0 {
		t.Fatalf("calls %v", w.calls.calls)
	}
	again, err := w.env.Token(ctx, TokenRequest{Cluster: ClusterRef{Name: "demo"}})
	if err != nil || again != tok {
		t.Fatalf("not from the cache: %+v %v", again, err)
	}

	// As a role by name: resolved to its ARN (path included), assumed as the caller's
	// user name; once, then from the cache.
	as := AsRole{Role: "eks-team-a"}
	rt, err := w.env.Token(ctx, TokenRequest{Cluster: ClusterRef{Name: "demo"}, As: as})
	if err != nil || rt == tok {
		t.Fatalf("role token %+v %v", rt, err)
	}
	if _, err := w.env.Token(ctx, TokenRequest{Cluster: ClusterRef{Name: "demo"}, As: as}); err != nil {
		t.Fatal(err)
	}
	if len(w.sts.assumed) != 1 || aws.ToString(w.sts.assumed[0].RoleArn) != teamRole || aws.ToString(w.sts.assumed[0].RoleSessionName) != "admin" {
		t.Fatalf("assumed %v", w.calls.calls)
	}
	// Another session name is another identity.
	if _, err := w.env.Token(ctx, TokenRequest{Cluster: ClusterRef{Name: "demo"}, As: AsRole{Role: teamRole, SessionName: "alice@example.com"}}); err != nil || len(w.sts.assumed) != 2 {
		t.Fatalf("%v %v", err, w.calls.calls)
	}
	if n := w.calls.count("iam:GetRole"); n != 1 {
		t.Fatalf("a role ARN cost an IAM call: %v", w.calls.calls)
	}
}

func TestTokenErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		req   TokenRequest
		want  string
		input bool
	}{
		{TokenRequest{}, "name a cluster with -c CLUSTER", true},
		{TokenRequest{Cluster: ClusterRef{Name: "demo"}, As: AsRole{SessionName: "bob"}}, "--session-name names the session of an assumed role: add --role ROLE", true},
		{TokenRequest{Cluster: ClusterRef{Name: "demo"}, As: AsRole{Role: "nosuch"}}, "no IAM role named nosuch in account 111122223333", true},
		{TokenRequest{Cluster: ClusterRef{Name: "demo"}, As: AsRole{Role: "role/x/"}}, "--role: ", true},
		{TokenRequest{Cluster: ClusterRef{HyperPod: "nope"}}, "nope", false},
	} {
		t.Run(tc.want, func(t *testing.T) {
			t.Parallel()
			w := newReadWorld()
			w.env.CacheDir = t.TempDir()
			_, err := w.env.Token(context.Background(), tc.req)
			wantFailure(t, err, tc.want, tc.input)
		})
	}
}

func TestKubeconfig(t *testing.T) {
	t.Parallel()
	w := newReadWorld()
	path := filepath.Join(t.TempDir(), "config")
	plugin := Plugin{Command: "/opt/bin/eksaccess", Args: []string{"--endpoint-url", "http://127.0.0.1:4566"}, Env: []kubeauth.EnvVar{{Name: "AWS_PROFILE", Value: "dev"}}}
	res, err := w.env.Kubeconfig(context.Background(), KubeconfigRequest{TokenRequest: TokenRequest{Cluster: ClusterRef{HyperPod: "hp-team"}, As: AsRole{Role: "role/eks-team-a"}}, Alias: "team-a", Path: path, Plugin: plugin})
	if err != nil {
		t.Fatal(err)
	}
	clusterArn := "arn:aws:eks:us-west-2:111122223333:cluster/demo"
	wantArgs := []string{"token", "-c", "demo", "--region", "us-west-2", "--role", teamRole, "--session-name", "admin", "--endpoint-url", "http://127.0.0.1:4566"}
	want := &KubeconfigResult{Path: path, Context: "team-a", Cluster: "demo", ClusterArn: clusterArn, Server: "https://demo.example", Region: "us-west-2",
		RoleArn: teamRole, SessionName: "admin", Command: "/opt/bin/eksaccess", Args: wantArgs, Env: []string{"AWS_PROFILE=dev"}}
	if !reflect.DeepEqual(res, want) {
		t.Fatalf("got  %+v\nwant %+v", res, want)
	}
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CurrentContext != "team-a" || cfg.Clusters[clusterArn] == nil || cfg.Clusters[clusterArn].Server != "https://demo.example" ||
		!reflect.DeepEqual(cfg.AuthInfos["team-a"].Exec.Args, wantArgs) {
		t.Fatalf("kubeconfig %+v", cfg)
	}
	res, err = w.env.Kubeconfig(context.Background(), KubeconfigRequest{TokenRequest: TokenRequest{Cluster: ClusterRef{Name: "demo"}}, Path: path, Plugin: Plugin{Command: "/opt/bin/eksaccess"}})
	if err != nil || res.Updated || res.Context != clusterArn || !reflect.DeepEqual(res.Args, []string{"token", "-c", "demo", "--region", "us-west-2"}) {
		t.Fatalf("second context: %+v %v", res, err)
	}
	res, err = w.env.Kubeconfig(context.Background(), KubeconfigRequest{TokenRequest: TokenRequest{Cluster: ClusterRef{Name: "demo"}}, Path: path, Plugin: Plugin{Command: "/opt/bin/eksaccess"}})
	if err != nil || !res.Updated {
		t.Fatalf("again: %+v %v", res, err)
	}
	if _, err := w.env.Kubeconfig(context.Background(), KubeconfigRequest{TokenRequest: TokenRequest{Cluster: ClusterRef{Name: "nope"}}, Path: filepath.Join(t.TempDir(), "x")}); err == nil ||
		!strings.HasPrefix(err.Error(), `cluster "nope" not found`) {
		t.Fatalf("unknown cluster: %v", err)
	}
}
