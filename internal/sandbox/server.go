// Package sandbox is the local, wire-compatible AWS that eksaccess runs against by default
// and in every test: one process serving EKS (restJson1), IAM and STS (awsQuery) and
// SageMaker (awsJson1_1) on a plain-HTTP loopback listener, and each EKS cluster's
// Kubernetes API on an HTTPS listener, all over one persistent state directory.
//
// The server routes each request by its SigV4 credential scope, verifies the signature
// (package sigv4), applies the test knobs (latency, throttling, faults, connection
// resets), and hands the request to the service's handler with the verified caller,
// a request id and an OpInfo in the context; it logs one record per request.
package sandbox

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"eksaccess/internal/atomicfile"
	"eksaccess/internal/sandbox/eks"
	"eksaccess/internal/sandbox/iam"
	"eksaccess/internal/sandbox/kube"
	"eksaccess/internal/sandbox/kubereal"
	"eksaccess/internal/sandbox/sagemaker"
	"eksaccess/internal/sandbox/sigv4"
	"eksaccess/internal/sandbox/state"
	"eksaccess/internal/sandbox/sts"
	"eksaccess/internal/sandbox/wire"
)

// DefaultAddr is where `eksaccess sandbox serve` listens unless told otherwise (LocalStack's port,
// which users already associate with a local AWS).
const DefaultAddr = "127.0.0.1:4566"

// DefaultClusterDelay is how long CreateCluster's cluster stays CREATING unless told otherwise.
const DefaultClusterDelay = 2 * time.Second

// RunInfoFile is written to the state directory while a server is running.
const RunInfoFile = "server.json"

// maxBody bounds request bodies; the largest legitimate one (an IAM policy document) is 128 KiB.
const maxBody = 8 << 20

// Options configure a sandbox server. Zero values are the defaults.
type Options struct {
	Addr     string // AWS APIs, plain HTTP; "" → 127.0.0.1:0
	KubeAddr string // Kubernetes endpoints, HTTPS; "" → 127.0.0.1:0
	StateDir string // required
	// Wait for another process's lock on StateDir instead of failing with state.ErrLocked.
	Wait bool
	// Embedded: the server lives inside one eksaccess command (--sandbox) and is not announced
	// in RunInfoFile, so other processes wait for the directory instead of connecting to a
	// server that is about to stop.
	Embedded bool

	Latency     time.Duration // added to every AWS call
	ThrottleRPS float64       // token bucket rate per account and service (EKS, IAM, STS, SageMaker each); 0 = off
	FaultRate   float64       // fraction of calls answered with a 500/503
	ResetRate   float64       // fraction of calls whose connection is dropped
	// ConsistencyDelay: see state.Config.ConsistencyDelay.
	ConsistencyDelay time.Duration
	// NoIAMEnforce turns off the evaluation of IAM identity-based policies (on by default):
	// then any authenticated caller may call anything, as before policies were modelled.
	NoIAMEnforce bool
	// ClusterDelay is how long a new EKS cluster stays CREATING (a deleted one DELETING, a
	// configuration update InProgress); 0 → DefaultClusterDelay.
	ClusterDelay time.Duration

	// Kubernetes is the mode of the clusters' Kubernetes endpoints: KubeBuiltin ("" too),
	// KubeReal, or KubeAuto (real when the components are built). See package kubereal.
	Kubernetes string
	// KubeNoFsync: the real mode's etcds skip fsync (tests; an OS crash loses recent writes).
	KubeNoFsync bool

	LogPath  string // JSON lines request log; "" = in memory only
	RandSeed int64  // seeds the fault and reset decisions (0 = 1), so runs are reproducible
	Now      func() time.Time
}

// Kubernetes modes (Options.Kubernetes).
const (
	KubeBuiltin = "builtin"
	KubeReal    = "real"
	KubeAuto    = "auto"
)

// Server is a running sandbox.
type Server struct {
	opts  Options
	now   func() time.Time
	store *state.Store
	cfg   state.Config
	ca    *authority

	apiLn, kubeLn   net.Listener
	apiSrv, kubeSrv *http.Server
	services        map[string]http.Handler
	kubeMode        string
	kubeReal        *kubereal.Manager // nil in the builtin mode

	// limiters: one token bucket per account and service, as AWS throttles each account's
	// calls to each service (and API) separately: IAM lookups do not eat into EKS's rate,
	// nor one account's calls into another's. Made on first use.
	limMu    sync.Mutex
	limiters map[throttleKey]*rate.Limiter
	rngMu    sync.Mutex
	rng      *rand.Rand

	log *requestLog

	closeOnce sync.Once
	closeErr  error
	done      chan struct{}
}

// RunInfo is the content of RunInfoFile: how to reach the running server.
type RunInfo struct {
	PID          int       `json:"pid"`
	Addr         string    `json:"addr"`
	KubeAddr     string    `json:"kubeAddr"`
	Endpoint     string    `json:"endpoint"`
	KubeEndpoint string    `json:"kubeEndpoint"` // prefix; append the cluster name
	StartedAt    time.Time `json:"startedAt"`
}

// Start opens (seeding on first use) and locks the state directory, and serves until Close
// or until ctx is cancelled.
func Start(ctx context.Context, o Options) (*Server, error) {
	if o.StateDir == "" {
		return nil, errors.New("no sandbox state directory given: pass --state DIR or set EKSACCESS_SANDBOX")
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"fault rate", o.FaultRate}, {"reset rate", o.ResetRate}} {
		if f.v < 0 || f.v > 1 || math.IsNaN(f.v) {
			return nil, fmt.Errorf("%s %v is out of range: give a fraction between 0 and 1", f.name, f.v)
		}
	}
	if o.ThrottleRPS < 0 || o.Latency < 0 || o.ConsistencyDelay < 0 || o.ClusterDelay < 0 {
		return nil, errors.New("latency, throttle rate, consistency delay and cluster delay must not be negative")
	}
	if o.ClusterDelay == 0 {
		o.ClusterDelay = DefaultClusterDelay
	}
	kubeMode, bins, err := resolveKubeMode(o.Kubernetes)
	if err != nil {
		return nil, err
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	seed := o.RandSeed
	if seed == 0 {
		seed = 1
	}
	s := &Server{opts: o, now: now, rng: rand.New(rand.NewSource(seed)), done: make(chan struct{}), kubeMode: kubeMode}

	store, err := state.Open(o.StateDir, func() *state.Data { return Seed(now()) }, o.Wait)
	if err != nil {
		return nil, err
	}
	s.store = store
	old := false
	store.Read(func(d *state.Data) error { old = d.Version < SeedVersion; return nil })
	if old {
		if err := store.Update(func(d *state.Data) error { UpgradeSeed(d, now()); return nil }); err != nil {
			store.Close()
			return nil, err
		}
	}
	fail := func(err error) (*Server, error) {
		if s.apiLn != nil {
			s.apiLn.Close()
		}
		if s.kubeLn != nil {
			s.kubeLn.Close()
		}
		if s.log != nil {
			s.log.close()
		}
		store.Close()
		return nil, err
	}
	if s.ca, err = loadOrCreateCA(o.StateDir, now()); err != nil {
		return fail(err)
	}
	cert, err := s.ca.serverCert(now())
	if err != nil {
		return fail(err)
	}
	if s.log, err = openRequestLog(o.LogPath); err != nil {
		return fail(err)
	}
	if s.apiLn, err = listen(o.Addr); err != nil {
		return fail(err)
	}
	if s.kubeLn, err = listen(o.KubeAddr); err != nil {
		return fail(err)
	}

	caData := base64.StdEncoding.EncodeToString(s.ca.certPEM)
	s.cfg = state.Config{
		Now:              now,
		ConsistencyDelay: o.ConsistencyDelay,
		KubeEndpoint:     s.KubeEndpoint,
		CAData:           func() string { return caData },
		EnforceIAM:       !o.NoIAMEnforce,
		// ClusterCreateDelay: see Options.ClusterDelay.
		ClusterCreateDelay: o.ClusterDelay,
	}
	s.services = map[string]http.Handler{
		"eks":       eks.New(store, s.cfg),
		"iam":       iam.New(store, s.cfg),
		"sts":       sts.New(store, s.cfg),
		"sagemaker": sagemaker.New(store, s.cfg),
	}
	s.apiSrv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      2*time.Minute + o.Latency,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          nil,
	}
	var kubeHandler http.Handler = kube.New(store, s.cfg)
	if kubeMode == KubeReal {
		s.kubeReal, err = kubereal.New(kubereal.Options{
			Store: store, Now: now, StateDir: o.StateDir, Bins: bins, CAPEM: s.ca.certPEM,
			Base:     func() string { return "https://" + loopback(s.kubeLn.Addr()) },
			Fallback: kubeHandler, EtcdFsync: !o.KubeNoFsync,
		})
		if err != nil {
			return fail(err)
		}
		kubeHandler = s.kubeReal
	}
	s.kubeSrv = &http.Server{
		Handler:           kubeHandler,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
	}
	if !o.Embedded {
		if err := s.writeRunInfo(); err != nil {
			return fail(err)
		}
	}
	go s.apiSrv.Serve(s.apiLn)
	go s.kubeSrv.ServeTLS(s.kubeLn, "", "")
	go s.settleLoop()
	if ctx != nil && ctx.Done() != nil {
		go func() {
			select {
			case <-ctx.Done():
				s.Close()
			case <-s.done:
			}
		}()
	}
	return s, nil
}

// resolveKubeMode turns Options.Kubernetes into KubeBuiltin or KubeReal (with the components).
func resolveKubeMode(mode string) (string, kubereal.Binaries, error) {
	switch mode {
	case "", KubeBuiltin:
		return KubeBuiltin, kubereal.Binaries{}, nil
	case KubeAuto:
		if bins, err := kubereal.Find(); err == nil {
			return KubeReal, bins, nil
		}
		return KubeBuiltin, kubereal.Binaries{}, nil
	case KubeReal:
		bins, err := kubereal.Find()
		if err != nil {
			return "", kubereal.Binaries{}, fmt.Errorf("--kubernetes real: %w", err)
		}
		return KubeReal, bins, nil
	}
	return "", kubereal.Binaries{}, fmt.Errorf("unknown Kubernetes mode %q: use real or builtin", mode)
}

// loopback is how a process on this machine reaches the listener at addr: its host, or
// 127.0.0.1 when it listens on every address (the CA's certificate names 127.0.0.1).
func loopback(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// KubeMode is the mode of the clusters' Kubernetes endpoints: KubeBuiltin or KubeReal.
func (s *Server) KubeMode() string { return s.kubeMode }

// KubeManager is the real mode's cluster manager (nil in the builtin mode).
func (s *Server) KubeManager() *kubereal.Manager { return s.kubeReal }

// settleLoop persists the EKS transitions that come due (a cluster turning ACTIVE, a
// deleted one going, an update succeeding), so every reader of the state sees them, and
// in the real mode stops the Kubernetes components of the clusters that went.
func (s *Server) settleLoop() {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		}
		due := false
		s.store.Read(func(d *state.Data) error {
			due = eks.Due(d, s.now())
			return nil
		})
		if due {
			s.store.Update(func(d *state.Data) error {
				eks.Settle(d, s.now())
				return nil
			})
		}
		if s.kubeReal != nil {
			// A deleted cluster's API server and etcd go with it.
			s.kubeReal.Sweep()
		}
	}
}

func listen(addr string) (net.Listener, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w (is another sandbox running? pick another address with --addr)", addr, err)
	}
	return ln, nil
}

// Endpoint is the AWS endpoint URL (for AWS_ENDPOINT_URL).
func (s *Server) Endpoint() string { return "http://" + s.apiLn.Addr().String() }

// KubeEndpoint is the Kubernetes API server URL of the cluster ref names: a cluster name of
// the primary account, or NAME.ACCOUNT for another account's (state.Data.ClusterRef).
func (s *Server) KubeEndpoint(cluster string) string {
	return "https://" + s.kubeLn.Addr().String() + "/k8s/" + url.PathEscape(cluster)
}

// CAPEM is the PEM of the CA that signs the Kubernetes endpoints' certificates.
func (s *Server) CAPEM() []byte { return append([]byte(nil), s.ca.certPEM...) }

// Store is the server's state store.
func (s *Server) Store() *state.Store { return s.store }

// Config is what the server gives its services.
func (s *Server) Config() state.Config { return s.cfg }

// Requests returns a copy of the request log so far.
func (s *Server) Requests() []LogRecord { return s.log.snapshot() }

// AdminCredentials returns the demo admin's access key pair (the default credentials).
func (s *Server) AdminCredentials() (id, secret string, err error) {
	return s.AccountAdminCredentials("")
}

// AccountAdminCredentials returns the access key pair of user admin of an account of the
// sandbox ("" = the primary account).
func (s *Server) AccountAdminCredentials(account string) (id, secret string, err error) {
	err = s.store.Read(func(root *state.Data) error {
		d, err := accountOf(root, account)
		if err != nil {
			return err
		}
		var ok bool
		id, secret, ok = AdminKey(d)
		if !ok {
			return fmt.Errorf("account %s of the sandbox has no active access key for user admin: run `eksaccess sandbox reset`", d.Account)
		}
		return nil
	})
	return id, secret, err
}

// accountOf returns an account's data, or an error naming the accounts the sandbox has.
func accountOf(root *state.Data, account string) (*state.Data, error) {
	if d := root.ForAccount(account); d != nil {
		return d, nil
	}
	var ids []string
	for _, a := range root.AllAccounts() {
		ids = append(ids, a.Account)
	}
	return nil, fmt.Errorf("the sandbox has no account %s: give one of %s", account, strings.Join(ids, ", "))
}

// Banner is what `sandbox serve` says on stderr once it serves: where, its state, and
// which Kubernetes answers at the clusters' endpoints.
func (s *Server) Banner(stateDir string) string {
	b := fmt.Sprintf("# sandbox serving AWS at %s, state in %s; paste the export lines above into another shell. Ctrl-C stops it.\n", s.Endpoint(), stateDir)
	if s.KubeMode() == KubeReal {
		return b + fmt.Sprintf("# Kubernetes: real (kube-apiserver %s and etcd %s per cluster, started on first use)\n", kubereal.KubeVersion, kubereal.EtcdVersion)
	}
	return b + fmt.Sprintf("# Kubernetes: builtin (whoami, can-i, discovery; no writes). For a real API server: `%s`, then --kubernetes real\n", kubereal.BuildCommand)
}

// EnvLines are shell lines that point the aws CLI and SDKs at this server as the demo admin.
func (s *Server) EnvLines() string {
	id, secret, err := s.AdminCredentials()
	if err != nil {
		return "# " + err.Error() + "\n"
	}
	return envLines(s.Endpoint(), id, secret)
}

func envLines(endpoint, id, secret string) string {
	var b strings.Builder
	for _, kv := range [][2]string{
		{"AWS_ENDPOINT_URL", endpoint},
		{"AWS_REGION", DemoRegion},
		// The aws CLI v1 reads only AWS_DEFAULT_REGION.
		{"AWS_DEFAULT_REGION", DemoRegion},
		{"AWS_ACCESS_KEY_ID", id},
		{"AWS_SECRET_ACCESS_KEY", secret},
	} {
		fmt.Fprintf(&b, "export %s=%s\n", kv[0], kv[1])
	}
	return b.String()
}

func (s *Server) writeRunInfo() error {
	info := RunInfo{
		PID:          os.Getpid(),
		Addr:         s.apiLn.Addr().String(),
		KubeAddr:     s.kubeLn.Addr().String(),
		Endpoint:     s.Endpoint(),
		KubeEndpoint: "https://" + s.kubeLn.Addr().String() + "/k8s/",
		StartedAt:    s.now().UTC(),
	}
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(s.opts.StateDir, RunInfoFile), append(b, '\n'), 0o600, false); err != nil {
		return fmt.Errorf("write %s: %w", RunInfoFile, err)
	}
	return nil
}

// Close stops both listeners, waiting briefly for calls in flight, removes the
// running-info file and releases the state directory.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.done)
		// New connections that never sent a request (client pools) would hold Shutdown for 5s;
		// calls in flight are short, so wait briefly, then close what is left.
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		var errs []error
		for _, srv := range []*http.Server{s.apiSrv, s.kubeSrv} {
			if err := srv.Shutdown(ctx); err != nil {
				srv.Close()
			}
		}
		if s.kubeReal != nil {
			if err := s.kubeReal.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		if !s.opts.Embedded {
			if err := os.Remove(filepath.Join(s.opts.StateDir, RunInfoFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
		if err := s.log.close(); err != nil {
			errs = append(errs, err)
		}
		if err := s.store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("release %s: %w", s.opts.StateDir, err))
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// ServeHTTP is the AWS listener: route, authenticate, apply knobs, dispatch, log.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	reqID := wire.NewRequestID()
	op := &state.OpInfo{}
	rec := LogRecord{Time: s.now().UTC(), RequestID: reqID}
	ctx := wire.WithRequestID(r.Context(), reqID)
	ctx = state.WithOpInfo(ctx, op)
	// SDKs correct their clock from this header; it must be the sandbox's clock.
	w.Header().Set("Date", s.now().UTC().Format(http.TimeFormat))
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			if !sw.wrote {
				writeError(ctx, sw, op.Service, http.StatusInternalServerError, internalCode(op.Service), fmt.Sprintf("internal error: %v", p))
			}
		}
		s.finish(&rec, op, sw, start)
	}()

	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		op.Service = guessService(r, nil)
		writeError(ctx, sw, op.Service, http.StatusBadRequest, "IncompleteBody", "the request body could not be read: "+err.Error())
		return
	}
	op.Service = guessService(r, body)
	op.Operation, op.Mutating = guessOperation(op.Service, r, body)
	if len(body) > maxBody {
		writeError(ctx, sw, op.Service, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "the request body is larger than 8 MiB")
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))

	res, err := sigv4.Verify(r, body, s.now(), func(akid string) (state.Credential, bool, bool) {
		var cred state.Credential
		var ok, expired bool
		s.store.Read(func(d *state.Data) error {
			cred, ok, expired = d.LookupCredential(akid, s.now())
			return nil
		})
		return cred, ok, expired
	})
	// (IAM policies are evaluated by each service, which knows the action, the resource
	// ARN and the condition keys of the request: see package iam/authz.)
	if err != nil {
		var ve *sigv4.Error
		if !errors.As(err, &ve) {
			ve = &sigv4.Error{Kind: sigv4.Incomplete, Message: err.Error()}
		}
		rec.Fault = "auth"
		status, code := authError(op.Service, ve.Kind)
		writeError(ctx, sw, op.Service, status, code, ve.Message)
		return
	}
	if _, known := s.services[res.Scope.Service]; !known {
		rec.Fault = "auth"
		status, code := authError(op.Service, sigv4.Mismatch)
		writeError(ctx, sw, op.Service, status, code, "Credential should be scoped to correct service: '"+op.Service+"'. ")
		return
	}
	op.Service = res.Scope.Service
	caller := res.Credential.Caller
	rec.Caller = caller.Arn
	ctx = state.WithCaller(ctx, &caller)
	r = r.WithContext(ctx)

	if fault := s.applyKnobs(ctx, sw, w, r, caller.Account, op.Service); fault != "" {
		rec.Fault = fault
		return
	}
	s.services[op.Service].ServeHTTP(sw, r)
}

func (s *Server) finish(rec *LogRecord, op *state.OpInfo, sw *statusWriter, start time.Time) {
	rec.Service = op.Service
	rec.Operation = op.Operation
	rec.Mutating = op.Mutating
	rec.Status = sw.status
	if sw.status == 0 && sw.wrote {
		rec.Status = http.StatusOK
	}
	if rec.Fault == "reset-before" || rec.Fault == "reset-after" {
		rec.Status = 0
	}
	rec.ErrorCode = sw.errorCode()
	rec.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	s.log.add(*rec)
}

// statusWriter remembers the status and the error code of what the handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
	head   []byte // the start of an error body, to read a query error's <Code>
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status = code
		w.wrote = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if w.status >= 400 && len(w.head) < 1024 {
		w.head = append(w.head, b[:min(len(b), 1024-len(w.head))]...)
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) errorCode() string {
	if w.status < 400 {
		return ""
	}
	if c := w.Header().Get("X-Amzn-ErrorType"); c != "" {
		c, _, _ = strings.Cut(c, ":")
		return c
	}
	h := string(w.head)
	if i := strings.Index(h, "<Code>"); i >= 0 {
		if j := strings.Index(h[i:], "</Code>"); j > 0 {
			return h[i+len("<Code>") : i+j]
		}
	}
	return ""
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// guessService names the service of a request before its signature is checked, so even
// a refused request gets its protocol's error format.
func guessService(r *http.Request, body []byte) string {
	if sc, ok := sigv4.ParseScope(r); ok {
		switch sc.Service {
		case "eks", "iam", "sts", "sagemaker":
			return sc.Service
		}
	}
	if strings.HasPrefix(r.Header.Get("X-Amz-Target"), sagemaker.TargetPrefix) {
		return "sagemaker"
	}
	if v := queryParams(r, body).Get("Version"); v != "" {
		switch v {
		case "2011-06-15":
			return "sts"
		case "2010-05-08":
			return "iam"
		}
	}
	if queryParams(r, body).Get("Action") != "" {
		return "sts"
	}
	return "eks"
}

func queryParams(r *http.Request, body []byte) url.Values {
	q := r.URL.Query()
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if f, err := url.ParseQuery(string(body)); err == nil {
			for k, v := range f {
				q[k] = v
			}
		}
	}
	return q
}

// guessOperation names the operation for the log when the handler never runs (refused,
// throttled, faulted); the handler's own SetOperation replaces it.
func guessOperation(service string, r *http.Request, body []byte) (string, bool) {
	switch service {
	case "sagemaker":
		op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), sagemaker.TargetPrefix)
		return op, !strings.HasPrefix(op, "Describe") && !strings.HasPrefix(op, "List")
	case "iam", "sts":
		op := queryParams(r, body).Get("Action")
		return op, !strings.HasPrefix(op, "Get") && !strings.HasPrefix(op, "List")
	}
	return eksOperation(r.Method, r.URL.EscapedPath()), r.Method != http.MethodGet
}

func eksOperation(method, path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	n := len(segs)
	get, post, del := method == http.MethodGet, method == http.MethodPost, method == http.MethodDelete
	switch {
	case n == 1 && segs[0] == "access-policies" && get:
		return "ListAccessPolicies"
	case n == 2 && segs[0] == "tags":
		switch {
		case get:
			return "ListTagsForResource"
		case post:
			return "TagResource"
		case del:
			return "UntagResource"
		}
	case n >= 1 && segs[0] == "clusters":
		switch {
		case n == 1 && get:
			return "ListClusters"
		case n == 1 && post:
			return "CreateCluster"
		case n == 2 && get:
			return "DescribeCluster"
		case n == 2 && del:
			return "DeleteCluster"
		case n == 3 && segs[2] == "updates" && get:
			return "ListUpdates"
		case n == 4 && segs[2] == "updates" && get:
			return "DescribeUpdate"
		case n == 3 && segs[2] == "update-config" && post:
			return "UpdateClusterConfig"
		case n == 3 && segs[2] == "access-entries" && post:
			return "CreateAccessEntry"
		case n == 3 && segs[2] == "access-entries" && get:
			return "ListAccessEntries"
		case n == 4 && segs[2] == "access-entries" && get:
			return "DescribeAccessEntry"
		case n == 4 && segs[2] == "access-entries" && post:
			return "UpdateAccessEntry"
		case n == 4 && segs[2] == "access-entries" && del:
			return "DeleteAccessEntry"
		case n == 5 && segs[4] == "access-policies" && post:
			return "AssociateAccessPolicy"
		case n == 5 && segs[4] == "access-policies" && get:
			return "ListAssociatedAccessPolicies"
		case n == 6 && segs[4] == "access-policies" && del:
			return "DisassociateAccessPolicy"
		}
	}
	return ""
}

// writeError answers in the protocol of service.
func writeError(ctx context.Context, w http.ResponseWriter, service string, status int, code, message string) {
	switch service {
	case "sagemaker":
		wire.JSON11Error(ctx, w, status, code, message)
	case "iam":
		wire.QueryError(ctx, w, wire.IAMNamespace, status, code, message)
	case "sts":
		wire.QueryError(ctx, w, wire.STSNamespace, status, code, message)
	default:
		wire.RestJSONError(ctx, w, status, code, message, nil)
	}
}

func isQuery(service string) bool { return service == "iam" || service == "sts" }

// authError is the status and code AWS answers a refused signature with: JSON services
// (EKS, SageMaker) use the …Exception codes, query services (IAM, STS) the short ones.
func authError(service string, k sigv4.Kind) (int, string) {
	q := isQuery(service)
	pick := func(json, query string) string {
		if q {
			return query
		}
		return json
	}
	switch k {
	case sigv4.Missing:
		return http.StatusForbidden, pick("MissingAuthenticationTokenException", "MissingAuthenticationToken")
	case sigv4.Incomplete:
		return http.StatusBadRequest, pick("IncompleteSignatureException", "IncompleteSignature")
	case sigv4.UnknownKey, sigv4.InvalidToken:
		return http.StatusForbidden, pick("UnrecognizedClientException", "InvalidClientTokenId")
	case sigv4.ExpiredToken:
		return http.StatusForbidden, pick("ExpiredTokenException", "ExpiredToken")
	default: // Skewed, Expired, Mismatch
		return http.StatusForbidden, pick("InvalidSignatureException", "SignatureDoesNotMatch")
	}
}

func internalCode(service string) string {
	switch service {
	case "eks":
		return "ServerException"
	case "iam":
		return "ServiceFailure"
	}
	return "InternalFailure"
}
