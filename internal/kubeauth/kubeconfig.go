package kubeauth

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"eksaccess/internal/atomicfile"
)

// ClusterInfo is what DescribeCluster says about a cluster, as a kubeconfig needs it.
type ClusterInfo struct {
	Name     string
	Arn      string
	Endpoint string // https URL, verbatim from DescribeCluster
	CAData   string // certificateAuthority.data: base64 of the PEM, verbatim from DescribeCluster
	Region   string
}

// ExecUser is the exec credential plugin a kubeconfig user runs (e.g. `eksaccess token`).
type ExecUser struct {
	Command    string
	Args       []string
	Env        []EnvVar
	APIVersion string // ExecV1beta1 when empty, as `aws eks update-kubeconfig` writes
}

// EnvVar is one environment variable of an exec plugin.
type EnvVar struct{ Name, Value string }

// ResolveKubeconfigPath picks the file to write as `aws eks update-kubeconfig` does: the
// explicit path; else the first $KUBECONFIG entry that already holds a cluster named
// clusterName; else the first $KUBECONFIG entry; else ~/.kube/config.
func ResolveKubeconfigPath(explicit, clusterName string) (string, error) {
	if explicit != "" {
		return explicit, nil
	}
	var list []string
	for _, p := range filepath.SplitList(os.Getenv("KUBECONFIG")) {
		if p != "" {
			list = append(list, p)
		}
	}
	if clusterName != "" {
		for _, p := range list {
			if cfg, err := clientcmd.LoadFromFile(p); err == nil {
				if _, ok := cfg.Clusters[clusterName]; ok {
					return p, nil
				}
			}
		}
	}
	if len(list) > 0 {
		return list[0], nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the home directory for ~/.kube/config: %w: pass --kubeconfig PATH", err)
	}
	return filepath.Join(home, ".kube", "config"), nil
}

// MergeKubeconfig adds or replaces, in the kubeconfig at path, a cluster named by the
// cluster ARN, and a user and a context named contextName (the ARN when empty, as update-kubeconfig
// does; an alias otherwise, so two aliases of one cluster, e.g. for two roles, keep separate
// users). Every other entry is kept. With setCurrent the context becomes current-context.
// The file is written atomically: created 0600 (its directory 0700); an existing file keeps
// its mode minus any group/other bits, so it is never loosened. A symlinked path is followed.
func MergeKubeconfig(path string, cluster ClusterInfo, user ExecUser, contextName string, setCurrent bool) error {
	if path == "" {
		return errors.New("no kubeconfig path: pass --kubeconfig PATH")
	}
	clusterName := cluster.Arn
	if clusterName == "" {
		clusterName = cluster.Name
	}
	if clusterName == "" || cluster.Endpoint == "" {
		return fmt.Errorf("cluster %q has no ARN or endpoint yet: wait until it is ACTIVE and retry", cluster.Name)
	}
	if contextName == "" {
		contextName = clusterName
	}
	ca, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cluster.CAData))
	if err != nil {
		return fmt.Errorf("cluster %s: certificate authority data is not base64: %w", clusterName, err)
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}

	mode := os.FileMode(0o600)
	cfg := clientcmdapi.NewConfig()
	switch st, err := os.Stat(path); {
	case err == nil:
		mode = st.Mode().Perm() & 0o600
		loaded, err := clientcmd.LoadFromFile(path)
		if err != nil {
			return fmt.Errorf("read kubeconfig %s: %w: fix or move the file, or pass --kubeconfig", path, err)
		}
		cfg = loaded
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return fmt.Errorf("create kubeconfig directory: %w", err)
		}
	default:
		return fmt.Errorf("read kubeconfig %s: %w", path, err)
	}

	c := clientcmdapi.NewCluster()
	c.Server = cluster.Endpoint
	c.CertificateAuthorityData = ca
	cfg.Clusters[clusterName] = c

	apiVersion := user.APIVersion
	if apiVersion == "" {
		apiVersion = ExecV1beta1
	}
	exec := &clientcmdapi.ExecConfig{
		APIVersion: apiVersion,
		Command:    user.Command,
		Args:       append([]string(nil), user.Args...),
	}
	if apiVersion == ExecV1 {
		exec.InteractiveMode = clientcmdapi.IfAvailableExecInteractiveMode // required by v1
	}
	for _, e := range user.Env {
		exec.Env = append(exec.Env, clientcmdapi.ExecEnvVar{Name: e.Name, Value: e.Value})
	}
	ai := clientcmdapi.NewAuthInfo()
	ai.Exec = exec
	cfg.AuthInfos[contextName] = ai

	ctx := clientcmdapi.NewContext()
	ctx.Cluster = clusterName
	ctx.AuthInfo = contextName
	cfg.Contexts[contextName] = ctx
	if setCurrent {
		cfg.CurrentContext = contextName
	}

	b, err := clientcmd.Write(*cfg)
	if err != nil {
		return fmt.Errorf("encode kubeconfig: %w", err)
	}
	if err := atomicfile.Write(path, b, mode, true); err != nil {
		return fmt.Errorf("write kubeconfig %s: %w: check the directory's permissions", path, err)
	}
	return nil
}
