// Package kubereal is the sandbox's real Kubernetes mode: for each EKS cluster an etcd and a
// kube-apiserver (built by tools/kube), started on first use, stopped with the sandbox, and
// configured as EKS configures its own: a TokenReview webhook that maps EKS tokens to access
// entries (or the aws-auth ConfigMap stored in that API server), and Node,RBAC,Webhook
// authorisation with the entry's access policies behind a SubjectAccessReview webhook.
//
// The sandbox's TLS listener fronts every API server: https://HOST:PORT/k8s/{cluster}/… is
// proxied to the cluster's kube-apiserver with the prefix removed, so the endpoint and the
// CA in DescribeCluster are the ones the builtin mode serves, and kubeconfigs written by
// `eksaccess kubeconfig` or `aws eks update-kubeconfig` work in both modes.
package kubereal

import (
	"eksaccess/internal/dirs"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Versions of the components, as pinned in tools/kube/versions.env (a test keeps them equal).
const (
	KubeVersion = "v1.32.13"
	EtcdVersion = "v3.6.16"
)

// BuildCommand is what builds the components, run from the eksaccess repository.
const BuildCommand = "bash tools/kube/build.sh"

// DirEnv overrides where the built components are looked for.
const DirEnv = "EKSACCESS_KUBE_DIR"

// Binaries are the paths of the built components.
type Binaries struct {
	APIServer string
	Etcd      string
}

// ComponentsDir is where tools/kube/build.sh puts the components:
// ${XDG_CACHE_HOME:-~/.cache}/eksaccess/kube/KubeVersion, or $EKSACCESS_KUBE_DIR.
func ComponentsDir() string {
	if d := os.Getenv(DirEnv); d != "" {
		return d
	}
	return filepath.Join(dirs.Cache(os.Getenv), "kube", KubeVersion)
}

// ErrNotBuilt is returned (wrapped) by Find when the components are missing.
var ErrNotBuilt = errors.New("the real Kubernetes components are not built")

// Find locates the built kube-apiserver and etcd, or says what to run to build them.
func Find() (Binaries, error) {
	dir := ComponentsDir()
	b := Binaries{APIServer: filepath.Join(dir, "kube-apiserver"), Etcd: filepath.Join(dir, "etcd")}
	for _, p := range []string{b.APIServer, b.Etcd} {
		fi, err := os.Stat(p)
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return Binaries{}, fmt.Errorf("%w (kube-apiserver %s and etcd %s, looked for in %s): run `%s` in the eksaccess repository (about 10 minutes the first time), or use --kubernetes builtin",
				ErrNotBuilt, KubeVersion, EtcdVersion, dir, BuildCommand)
		}
	}
	return b, nil
}

// Available reports whether the components are built (serve's default mode follows it).
func Available() bool {
	_, err := Find()
	return err == nil
}
