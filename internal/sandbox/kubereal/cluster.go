package kubereal

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"eksaccess/internal/atomicfile"
)

// readyTimeout bounds how long a first request waits for a cluster's API server (cold, on a
// busy 2-core machine, it is ready in a few seconds).
const readyTimeout = 2 * time.Minute

// cluster is one EKS cluster's running etcd and kube-apiserver.
type cluster struct {
	name, dir string
	pki       *pki
	ports     ports
	etcd, api *process
	client    *http.Client // the sandbox's admin client (system:masters)
	base      string       // https://127.0.0.1:PORT
}

// ports are the loopback ports of a cluster's components, kept in ports.json so that a
// restarted etcd finds its member at the same peer URL.
type ports struct {
	EtcdClient int `json:"etcdClient"`
	EtcdPeer   int `json:"etcdPeer"`
	APIServer  int `json:"apiServer"`
}

type process struct {
	name   string
	cmd    *exec.Cmd
	log    string
	exited chan struct{}
	err    error // set before exited closes
}

func (p *process) alive() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM and, after grace, SIGKILL; it returns once the process is gone.
func (p *process) stop(grace time.Duration) {
	if p == nil || !p.alive() {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(grace):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// tail is the end of the process's log, for error messages.
func (p *process) tail() string {
	b, err := os.ReadFile(p.log)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return strings.Join(lines, "\n")
}

func startProcess(name, bin, dir string, args []string) (*process, error) {
	logPath := filepath.Join(dir, name+".log")
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(lf, "---- %s started by the eksaccess sandbox at %s\n", name, time.Now().UTC().Format(time.RFC3339))
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + dir}
	// Its own process group, so a terminal's Ctrl-C reaches the sandbox alone and the sandbox
	// stops the API server before etcd; killed with the sandbox if the sandbox dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &process{name: name, cmd: cmd, log: logPath, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		lf.Close()
		close(p.exited)
	}()
	return p, nil
}

// freePort asks the kernel for an unused loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func portFree(p int) bool {
	if p <= 0 {
		return false
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

// loadPorts reuses the ports of the last run where they are free, and picks new ones else.
func loadPorts(dir string) (ports, error) {
	var p ports
	path := filepath.Join(dir, "ports.json")
	if b, err := os.ReadFile(path); err == nil {
		json.Unmarshal(b, &p)
	}
	for _, f := range []*int{&p.EtcdClient, &p.EtcdPeer, &p.APIServer} {
		if portFree(*f) {
			continue
		}
		n, err := freePort()
		if err != nil {
			return p, err
		}
		*f = n
	}
	b, _ := json.Marshal(p)
	return p, os.WriteFile(path, b, 0o600)
}

// clusterSettings is what a cluster's API server is configured with.
type clusterSettings struct {
	name, id  string
	issuer    string // service account issuer (the cluster's OIDC issuer, as in EKS)
	bins      Binaries
	webhook   webhookTarget
	awsAuth   map[string]string // seeded into kube-system/aws-auth on first start
	etcdFsync bool
}

type webhookTarget struct {
	base   string // https://127.0.0.1:PORT of the sandbox listener
	caFile string // the sandbox CA, which signs the listener's certificate
	token  string // what the API server must present
}

// startCluster starts (or restarts, on the data of a previous run) a cluster's components
// and waits until its API server is ready.
func startCluster(ctx context.Context, dir string, s clusterSettings, now time.Time) (_ *cluster, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	// A cluster deleted and created again under the same name starts empty.
	idFile := filepath.Join(dir, "cluster-id")
	if b, err := os.ReadFile(idFile); err == nil && strings.TrimSpace(string(b)) != s.id {
		if err := os.RemoveAll(dir); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(idFile, []byte(s.id+"\n"), 0o600); err != nil {
		return nil, err
	}
	c := &cluster{name: s.name, dir: dir}
	if c.pki, err = loadOrCreatePKI(filepath.Join(dir, "pki"), now); err != nil {
		return nil, err
	}
	if c.ports, err = loadPorts(dir); err != nil {
		return nil, err
	}
	for _, wh := range []struct{ file, path string }{
		{"authn-webhook.kubeconfig", "/tokenreview"},
		{"authz-webhook.kubeconfig", "/subjectaccessreview"},
	} {
		if err := writeWebhookConfig(filepath.Join(dir, wh.file), s.webhook, s.name, wh.path); err != nil {
			return nil, err
		}
	}
	defer func() {
		if err != nil {
			c.stop()
		}
	}()

	etcdURL := "http://127.0.0.1:" + strconv.Itoa(c.ports.EtcdClient)
	peerURL := "http://127.0.0.1:" + strconv.Itoa(c.ports.EtcdPeer)
	etcdArgs := []string{
		"--name=sandbox",
		"--data-dir=" + filepath.Join(dir, "etcd"),
		"--listen-client-urls=" + etcdURL, "--advertise-client-urls=" + etcdURL,
		"--listen-peer-urls=" + peerURL, "--initial-advertise-peer-urls=" + peerURL,
		"--initial-cluster=sandbox=" + peerURL,
		"--log-level=warn",
		// One member on loopback: no need to keep many snapshots around.
		"--snapshot-count=10000",
	}
	if !s.etcdFsync {
		// Tests only: an OS crash would lose the last writes, nothing else can.
		etcdArgs = append(etcdArgs, "--unsafe-no-fsync")
	}
	if c.etcd, err = startProcess("etcd", s.bins.Etcd, dir, etcdArgs); err != nil {
		return nil, err
	}

	pk := c.pki.path
	apiArgs := []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(c.ports.APIServer),
		"--tls-cert-file=" + pk("apiserver.crt"),
		"--tls-private-key-file=" + pk("apiserver.key"),
		"--client-ca-file=" + pk("ca.crt"),
		// EKS: Node,RBAC,Webhook — access policies behind the SubjectAccessReview webhook.
		"--authorization-mode=Node,RBAC,Webhook",
		"--authorization-webhook-config-file=" + filepath.Join(dir, "authz-webhook.kubeconfig"),
		"--authorization-webhook-version=v1",
		// No caching, so a revoke or a new association takes effect on the next request.
		"--authorization-webhook-cache-authorized-ttl=0s",
		"--authorization-webhook-cache-unauthorized-ttl=0s",
		"--authentication-token-webhook-config-file=" + filepath.Join(dir, "authn-webhook.kubeconfig"),
		"--authentication-token-webhook-version=v1",
		"--authentication-token-webhook-cache-ttl=0s",
		"--service-account-issuer=" + s.issuer,
		"--service-account-key-file=" + pk("sa.pub"),
		"--service-account-signing-key-file=" + pk("sa.key"),
		"--api-audiences=" + s.issuer + ",kubernetes.default.svc",
		"--service-cluster-ip-range=10.100.0.0/16", // EKS's default
		// No controller manager runs: the ServiceAccount admission plugin would refuse every
		// pod for want of a default service account, which only that manager creates.
		"--disable-admission-plugins=ServiceAccount",
		// The endpoints reconciler would publish 127.0.0.1, which Endpoints refuse.
		"--endpoint-reconciler-type=none",
		"--allow-privileged=true",
		"--profiling=false",
		"--v=0",
	}
	if c.api, err = startProcess("kube-apiserver", s.bins.APIServer, dir, apiArgs); err != nil {
		return nil, err
	}

	c.base = "https://127.0.0.1:" + strconv.Itoa(c.ports.APIServer)
	c.client = &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{RootCAs: c.pki.caPool, Certificates: []tls.Certificate{c.pki.admin}, MinVersion: tls.VersionTLS12},
			MaxIdleConnsPerHost: 4,
			IdleConnTimeout:     time.Minute,
		},
	}
	if err := c.waitReady(ctx); err != nil {
		return nil, err
	}
	if err := c.bootstrap(ctx, s); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *cluster) alive() bool {
	return c.etcd != nil && c.etcd.alive() && c.api != nil && c.api.alive()
}

func (c *cluster) stop() {
	if c.api != nil {
		c.api.stop(10 * time.Second)
	}
	if c.etcd != nil {
		c.etcd.stop(10 * time.Second)
	}
	if c.client != nil {
		c.client.CloseIdleConnections()
	}
}

func (c *cluster) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	var last string
	for {
		for _, p := range []*process{c.etcd, c.api} {
			if !p.alive() {
				return fmt.Errorf("%s for cluster %s exited (%v); the end of %s:\n%s", p.name, c.name, p.err, p.log, p.tail())
			}
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/readyz", nil)
		resp, err := c.client.Do(req)
		if err == nil {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("readyz %d: %s", resp.StatusCode, strings.TrimSpace(string(b)))
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kube-apiserver for cluster %s is not ready after %s (%s); see %s", c.name, readyTimeout, last, c.api.log)
		case <-time.After(150 * time.Millisecond):
		}
	}
}

// bootstrap runs once per data directory: the aws-auth ConfigMap of the sandbox state is
// stored in the API server, which is where the TokenReview webhook reads it from then on.
func (c *cluster) bootstrap(ctx context.Context, s clusterSettings) error {
	marker := filepath.Join(c.dir, "bootstrapped")
	if _, err := os.Stat(marker); err == nil {
		return nil
	}
	if len(s.awsAuth) > 0 {
		cm := map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": "aws-auth", "namespace": "kube-system"},
			"data":     s.awsAuth,
		}
		body, _ := json.Marshal(cm)
		deadline := time.Now().Add(30 * time.Second)
		for {
			code, msg, err := c.do(ctx, http.MethodPost, "/api/v1/namespaces/kube-system/configmaps", body)
			if err == nil && (code == http.StatusCreated || code == http.StatusConflict) {
				break
			}
			// kube-system appears a moment after readyz on a fresh etcd.
			if time.Now().After(deadline) {
				return fmt.Errorf("store the aws-auth ConfigMap in cluster %s: %d %s %v", c.name, code, msg, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	return os.WriteFile(marker, nil, 0o600)
}

// do makes one admin request and returns the status and (for failures) the body.
func (c *cluster) do(ctx context.Context, method, path string, body []byte) (int, string, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(b), nil
}

// awsAuth reads kube-system/aws-auth from the API server: nil data when there is none.
func (c *cluster) awsAuth(ctx context.Context) (map[string]string, error) {
	code, body, err := c.do(ctx, http.MethodGet, "/api/v1/namespaces/kube-system/configmaps/aws-auth", nil)
	if err != nil {
		return nil, err
	}
	switch code {
	case http.StatusNotFound:
		return nil, nil
	case http.StatusOK:
	default:
		return nil, errors.New("status " + strconv.Itoa(code))
	}
	var cm struct {
		Data map[string]string `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &cm); err != nil {
		return nil, err
	}
	return cm.Data, nil
}

// writeWebhookConfig writes the kubeconfig the API server reads to call one of the sandbox's
// webhooks; the token in it is the webhook's password, so the file is 0600.
func writeWebhookConfig(path string, w webhookTarget, cluster, sub string) error {
	cfg := map[string]any{
		"apiVersion": "v1",
		"kind":       "Config",
		"clusters": []any{map[string]any{"name": "sandbox", "cluster": map[string]any{
			"server":                w.base + WebhookPrefix + cluster + sub,
			"certificate-authority": w.caFile,
		}}},
		"users":           []any{map[string]any{"name": "kube-apiserver", "user": map[string]any{"token": w.token}}},
		"contexts":        []any{map[string]any{"name": "webhook", "context": map[string]any{"cluster": "sandbox", "user": "kube-apiserver"}}},
		"current-context": "webhook",
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, b, 0o600, false)
}
