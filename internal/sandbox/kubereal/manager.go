package kubereal

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"

	"eksaccess/internal/policy"
	"eksaccess/internal/sandbox/kube"
	"eksaccess/internal/sandbox/state"
)

// WebhookPrefix starts the paths of the webhooks the API servers call on the sandbox's
// listener: WebhookPrefix + CLUSTER + /tokenreview or /subjectaccessreview.
const WebhookPrefix = "/webhooks/"

// DirName is the directory under the sandbox state directory that holds every cluster's
// etcd data, certificates and logs (`sandbox reset` removes it).
const DirName = "kube"

// Options configure a Manager.
type Options struct {
	Store    *state.Store
	Now      func() time.Time
	StateDir string   // the sandbox state directory; the clusters live in StateDir/kube
	Bins     Binaries // from Find
	CAPEM    []byte   // the sandbox CA, which signs the listener's certificate
	// Base is the sandbox listener's https://HOST:PORT, where the webhooks are served.
	Base func() string
	// Fallback answers what is not a known cluster's API (the root /version, 404s): the
	// builtin handler.
	Fallback http.Handler
	// EtcdFsync: etcd syncs every write to disk (the default for `sandbox serve`; tests
	// turn it off for speed).
	EtcdFsync bool
}

// Manager runs the clusters' API servers and serves, on the sandbox's TLS listener, both
// the proxy to them and the webhooks they call.
type Manager struct {
	o      Options
	dir    string
	caFile string
	secret string // the API servers' password for the webhooks

	mu       sync.Mutex
	clusters map[string]*entry // by the cluster's reference (state.Data.ClusterRef)
	// stopping holds the clusters forget is tearing down, closed when their data is gone.
	stopping map[string]chan struct{}
	closed   bool

	issuedMu sync.Mutex
	// issued remembers, per cluster, the users the TokenReview webhook vouched for through an
	// access entry (uid and username → principal ARN): a SubjectAccessReview for anyone else
	// (an impersonated user, an aws-auth mapping) gets no access policies, as in EKS.
	issued map[string]string
	// refused remembers why the token webhook refused a token (by the token's SHA-256), so
	// the proxy can add kube.AuthErrorHeader to the API server's bare 401, as the builtin
	// mode does.
	refused map[[32]byte]string

	writesMu sync.Mutex
	// writes are the Kubernetes writes proxied, per cluster ("METHOD PATH"): what a test
	// counts to show a run changed nothing. Reviews (TokenReview, SubjectAccessReview and
	// their self- forms) persist nothing and are left out.
	writes map[string][]string
}

// Writes returns the Kubernetes writes proxied to the cluster's API server so far.
func (m *Manager) Writes(cluster string) []string {
	m.writesMu.Lock()
	defer m.writesMu.Unlock()
	return append([]string(nil), m.writes[cluster]...)
}

func (m *Manager) recordWrite(cluster string, r *http.Request, path string) {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return
	}
	if strings.HasPrefix(path, "/apis/authorization.k8s.io/") || strings.HasPrefix(path, "/apis/authentication.k8s.io/") {
		return
	}
	m.writesMu.Lock()
	defer m.writesMu.Unlock()
	if m.writes == nil {
		m.writes = map[string][]string{}
	}
	m.writes[cluster] = append(m.writes[cluster], r.Method+" "+path)
}

// entry serialises the start of one cluster; ready closes once start finished.
type entry struct {
	id    string // the EKS cluster's id: one created again under its name is another
	ready chan struct{}
	c     *cluster
	err   error
	proxy *httputil.ReverseProxy
}

// New returns a Manager; nothing starts until a cluster's endpoint is first used.
func New(o Options) (*Manager, error) {
	if o.Store == nil || o.StateDir == "" || o.Base == nil || o.Fallback == nil || len(o.CAPEM) == 0 {
		return nil, errors.New("kubereal: incomplete options")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	dir := filepath.Join(o.StateDir, DirName)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	caFile := filepath.Join(dir, "sandbox-ca.crt")
	if err := os.WriteFile(caFile, o.CAPEM, 0o644); err != nil {
		return nil, err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return &Manager{o: o, dir: dir, caFile: caFile, secret: hex.EncodeToString(b), clusters: map[string]*entry{}, stopping: map[string]chan struct{}{}, issued: map[string]string{}, refused: map[[32]byte]string{}}, nil
}

// Close stops every cluster's API server and etcd.
func (m *Manager) Close() error {
	m.mu.Lock()
	m.closed = true
	all := m.clusters
	m.clusters = map[string]*entry{}
	m.mu.Unlock()
	var wg sync.WaitGroup
	for _, e := range all {
		wg.Go(func() {
			<-e.ready
			if e.c != nil {
				e.c.stop()
			}
		})
	}
	wg.Wait()
	return nil
}

// Running names the clusters whose API servers are up.
func (m *Manager) Running() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var names []string
	for n, e := range m.clusters {
		select {
		case <-e.ready:
			if e.c != nil && e.c.alive() {
				names = append(names, n)
			}
		default:
		}
	}
	return names
}

// get returns the running cluster that ref names (a cluster of any account, see
// kube.PathPrefix), starting it (once, however many requests wait) if need be.
func (m *Manager) get(ctx context.Context, ref string) (*entry, error) {
	var s clusterSettings
	found := false
	name := ref
	m.o.Store.Read(func(d *state.Data) error {
		acct, c := d.FindCluster(ref)
		if c == nil {
			return nil
		}
		found = true
		// One API server per cluster, whichever reference reached it.
		name = d.ClusterRef(acct.Account, c.Name)
		s = clusterSettings{name: name, id: c.ID, issuer: "https://kubernetes.default.svc", awsAuth: map[string]string{}}
		for k, v := range c.AwsAuth {
			s.awsAuth[k] = v
		}
		return nil
	})
	if !found {
		m.forget(name, "")
		return nil, errNoCluster
	}
	for {
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return nil, errors.New("the sandbox is stopping")
		}
		if done, ok := m.stopping[name]; ok {
			// A deleted cluster of this name is going: start afresh once it is gone.
			m.mu.Unlock()
			select {
			case <-done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			continue
		}
		e, ok := m.clusters[name]
		if ok {
			m.mu.Unlock()
			select {
			case <-e.ready:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			if e.err == nil && e.c.alive() {
				return e, nil
			}
			// It failed to start or has died since: the next request tries again, after
			// stopping what is left of it (etcd holds its data directory).
			m.mu.Lock()
			mine := m.clusters[name] == e
			if mine {
				delete(m.clusters, name)
			}
			m.mu.Unlock()
			if e.err != nil {
				return nil, e.err
			}
			if mine {
				e.c.stop()
			}
			continue
		}
		e = &entry{id: s.id, ready: make(chan struct{})}
		m.clusters[name] = e
		m.mu.Unlock()

		s.bins = m.o.Bins
		s.etcdFsync = m.o.EtcdFsync
		s.webhook = webhookTarget{base: m.o.Base(), caFile: m.caFile, token: m.secret}
		// The start outlives the request that caused it: others may be waiting for it.
		e.c, e.err = startCluster(context.Background(), filepath.Join(m.dir, name), s, m.o.Now())
		if e.err == nil {
			e.proxy = m.newProxy(e.c)
		}
		close(e.ready)
	}
}

var errNoCluster = errors.New("no such cluster")

// forget stops the components of a cluster that was deleted and removes its data, so a
// cluster created later under the same name starts empty, as in EKS. id "" forgets
// whatever runs under ref; otherwise only the cluster of that id.
// It returns once the components are stopped and the data is gone, also when another
// forget of the same cluster is under way.
func (m *Manager) forget(ref, id string) {
	m.mu.Lock()
	e, ok := m.clusters[ref]
	if !ok || (id != "" && e.id != id) {
		done, going := m.stopping[ref]
		m.mu.Unlock()
		if going && !ok {
			<-done
		}
		return
	}
	delete(m.clusters, ref)
	done := make(chan struct{})
	m.stopping[ref] = done
	m.mu.Unlock()
	<-e.ready
	if e.c != nil {
		e.c.stop()
	}
	os.RemoveAll(filepath.Join(m.dir, ref))
	m.mu.Lock()
	delete(m.stopping, ref)
	m.mu.Unlock()
	close(done)
}

// Sweep stops the API server and etcd of every running cluster the state no longer holds
// (DeleteCluster removed it, or it was created again under its name) and removes their
// data. The sandbox server calls it on every settle tick.
func (m *Manager) Sweep() {
	m.mu.Lock()
	running := make(map[string]string, len(m.clusters))
	for ref, e := range m.clusters {
		running[ref] = e.id
	}
	m.mu.Unlock()
	if len(running) == 0 {
		return
	}
	var gone []string
	m.o.Store.Read(func(d *state.Data) error {
		for ref, id := range running {
			if _, c := d.FindCluster(ref); c == nil || c.ID != id {
				gone = append(gone, ref)
			}
		}
		return nil
	})
	for _, ref := range gone {
		m.forget(ref, running[ref])
	}
}

// whyRefused is the token webhook's reason for refusing the request's bearer token.
func (m *Manager) whyRefused(r *http.Request) string {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return ""
	}
	m.issuedMu.Lock()
	defer m.issuedMu.Unlock()
	return m.refused[sha256.Sum256([]byte(strings.TrimSpace(tok)))]
}

func (m *Manager) newProxy(c *cluster) *httputil.ReverseProxy {
	target, _ := url.Parse(c.base)
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = target.Host
		},
		Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{RootCAs: c.pki.caPool, MinVersion: tls.VersionTLS12},
			MaxIdleConnsPerHost: 32,
			IdleConnTimeout:     time.Minute,
		},
		FlushInterval: -1, // watches stream
		ModifyResponse: func(resp *http.Response) error {
			if resp.StatusCode == http.StatusUnauthorized {
				if why := m.whyRefused(resp.Request); why != "" {
					resp.Header.Set(kube.AuthErrorHeader, why)
				}
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			writeStatus(w, http.StatusServiceUnavailable, "ServiceUnavailable", "the cluster's kube-apiserver did not answer: "+err.Error())
		},
	}
}

func (m *Manager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, WebhookPrefix); ok {
		m.serveWebhook(w, r, rest)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, kube.PathPrefix)
	if !ok {
		m.o.Fallback.ServeHTTP(w, r)
		return
	}
	name, sub, _ := strings.Cut(rest, "/")
	if name == "" {
		m.o.Fallback.ServeHTTP(w, r)
		return
	}
	e, err := m.get(r.Context(), name)
	if errors.Is(err, errNoCluster) {
		m.o.Fallback.ServeHTTP(w, r)
		return
	}
	if err != nil {
		state.SetOperation(r.Context(), "KubeStart", false)
		writeStatus(w, http.StatusServiceUnavailable, "ServiceUnavailable", "the sandbox could not start the Kubernetes API server of cluster "+name+": "+err.Error())
		return
	}
	state.SetOperation(r.Context(), "Kube", r.Method != http.MethodGet)
	r2 := r.Clone(r.Context())
	r2.URL.Path = "/" + sub
	r2.URL.RawPath = ""
	if raw := r.URL.RawPath; raw != "" {
		if i := strings.Index(raw[len(kube.PathPrefix):], "/"); i >= 0 {
			r2.URL.RawPath = raw[len(kube.PathPrefix)+i:]
		}
	}
	m.recordWrite(name, r, r2.URL.Path)
	e.proxy.ServeHTTP(w, r2)
}

// maxReview bounds review bodies (real ones are a few hundred bytes).
const maxReview = 1 << 20

func (m *Manager) serveWebhook(w http.ResponseWriter, r *http.Request, rest string) {
	authz := r.Header.Get("Authorization")
	tok, _ := strings.CutPrefix(authz, "Bearer ")
	if subtle.ConstantTimeCompare([]byte(tok), []byte(m.secret)) != 1 {
		writeStatus(w, http.StatusUnauthorized, "Unauthorized", "Unauthorized")
		return
	}
	cluster, kind, _ := strings.Cut(rest, "/")
	if r.Method != http.MethodPost {
		writeStatus(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "POST a review")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxReview+1))
	if err != nil || len(body) > maxReview {
		writeStatus(w, http.StatusBadRequest, "BadRequest", "the review could not be read")
		return
	}
	switch kind {
	case "tokenreview":
		answerReview(w, r, "TokenReview", body, func(tr *authenticationv1.TokenReview) { m.tokenReview(r.Context(), cluster, tr) })
	case "subjectaccessreview":
		answerReview(w, r, "SubjectAccessReview", body, func(sar *authorizationv1.SubjectAccessReview) { m.subjectAccessReview(cluster, sar) })
	default:
		writeStatus(w, http.StatusNotFound, "NotFound", "no such webhook")
	}
}

// answerReview logs the request as operation kind, decodes a review of that kind from body,
// lets decide fill in its status and writes it back (400 when body is not such a review).
func answerReview[T any](w http.ResponseWriter, r *http.Request, kind string, body []byte, decide func(*T)) {
	state.SetOperation(r.Context(), kind, false)
	var review T
	if err := json.Unmarshal(body, &review); err != nil {
		writeStatus(w, http.StatusBadRequest, "BadRequest", "not a "+kind+": "+err.Error())
		return
	}
	decide(&review)
	writeJSON(w, &review)
}

// tokenReview verifies an EKS token exactly as the builtin mode does, reading aws-auth from
// the cluster's own API server.
func (m *Manager) tokenReview(ctx context.Context, cluster string, tr *authenticationv1.TokenReview) {
	awsAuth := func() (map[string]string, error) {
		m.mu.Lock()
		e := m.clusters[cluster]
		m.mu.Unlock()
		if e == nil {
			return nil, errors.New("the cluster is not running")
		}
		select {
		case <-e.ready:
		default:
			return nil, errors.New("the cluster is starting")
		}
		if e.c == nil {
			return nil, e.err
		}
		return e.c.awsAuth(ctx)
	}
	auds := tr.Spec.Audiences
	tr.Status = authenticationv1.TokenReviewStatus{}
	tok := tr.Spec.Token
	id, err := kube.Authenticate(m.o.Store, m.o.Now(), strings.TrimSpace(tok), cluster, awsAuth)
	tr.Spec.Token = "" // never echoed
	if err != nil {
		tr.Status.Error = err.Error()
		m.issuedMu.Lock()
		if len(m.refused) > 1000 {
			clear(m.refused)
		}
		m.refused[sha256.Sum256([]byte(strings.TrimSpace(tok)))] = err.Error()
		m.issuedMu.Unlock()
		return
	}
	extra := map[string]authenticationv1.ExtraValue{}
	for k, v := range id.Extra {
		extra[k] = authenticationv1.ExtraValue(v)
	}
	tr.Status.Authenticated = true
	tr.Status.Audiences = auds
	tr.Status.User = authenticationv1.UserInfo{Username: id.Username, UID: id.UID, Groups: id.Groups, Extra: extra}
	if id.ViaEntry {
		m.issuedMu.Lock()
		m.issued[issuedKey(cluster, id.UID, id.Username)] = id.Entry.PrincipalArn
		m.issuedMu.Unlock()
	}
}

func issuedKey(cluster, uid, username string) string {
	return cluster + "\x00" + uid + "\x00" + username
}

// subjectAccessReview answers from the caller's access policies, and only for a caller the
// token webhook mapped through an access entry. A denial is no opinion with no reason, so
// the API server's answer is RBAC's: a bare "no", the usual Forbidden message.
func (m *Manager) subjectAccessReview(cluster string, sar *authorizationv1.SubjectAccessReview) {
	sar.Status = authorizationv1.SubjectAccessReviewStatus{}
	spec := sar.Spec
	m.issuedMu.Lock()
	principal, ok := m.issued[issuedKey(cluster, spec.UID, spec.User)]
	m.issuedMu.Unlock()
	if !ok {
		return
	}
	entry, ok := kube.AccessEntry(m.o.Store, cluster, principal)
	if !ok {
		return
	}
	var req policy.Request
	switch {
	case spec.ResourceAttributes != nil:
		ra := spec.ResourceAttributes
		req = policy.Request{Verb: ra.Verb, APIGroup: ra.Group, Resource: ra.Resource, Subresource: ra.Subresource, Name: ra.Name, Namespace: ra.Namespace}
	case spec.NonResourceAttributes != nil:
		req = policy.Request{Verb: spec.NonResourceAttributes.Verb, NonResourceURL: spec.NonResourceAttributes.Path}
	default:
		return
	}
	entry.Groups = nil // RBAC answers for the groups; the webhook for the access policies
	sar.Status.Allowed, sar.Status.Reason = kube.PolicyAllows(entry, req)
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeStatus(w, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

func writeStatus(w http.ResponseWriter, code int, reason, msg string) {
	b, _ := json.Marshal(map[string]any{"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{}, "status": "Failure", "message": msg, "reason": reason, "code": code})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(b)
}
