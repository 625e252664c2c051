package reliability

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"eksaccess/internal/apply"
	"eksaccess/internal/cli"
	"eksaccess/internal/iostreams"
	"eksaccess/internal/sandbox"
	"eksaccess/internal/sandbox/state"
)

const (
	cluster   = "hyperpod-demo"
	account   = "111122223333"
	editArn   = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
	namespace = "hyperpod-ns-team-a"
)

func userArn(n string) string { return "arn:aws:iam::" + account + ":user/" + n }

// env is one sandbox and one eksaccess home (journal, state and cache directories).
type env struct {
	t    *testing.T
	srv  *sandbox.Server
	home string
	vars map[string]string // per-run variables eksaccess reads through its getenv
}

// newEnv starts an in-process sandbox with o (StateDir defaults to a temporary directory)
// and installs the package's fixed credentials in it.
func newEnv(t *testing.T, o sandbox.Options) *env {
	t.Helper()
	if o.StateDir == "" {
		o.StateDir = t.TempDir()
	}
	srv, err := sandbox.Start(context.Background(), o)
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	installKey(t, srv.Store())
	home := t.TempDir()
	return &env{t: t, srv: srv, home: home, vars: map[string]string{
		"HOME":              home,
		"XDG_STATE_HOME":    filepath.Join(home, "state"),
		"XDG_CACHE_HOME":    filepath.Join(home, "cache"),
		"XDG_CONFIG_HOME":   filepath.Join(home, "config"),
		"EKSACCESS_JOURNAL": filepath.Join(home, "journal.jsonl"),
		"KUBECONFIG":        filepath.Join(home, "kubeconfig"),
	}}
}

// installKey makes testKeyID/testSecret the admin's only access key.
func installKey(t *testing.T, st *state.Store) {
	t.Helper()
	err := st.Update(func(d *state.Data) error {
		d.AccessKeys = map[string]*state.AccessKey{testKeyID: {
			AccessKeyID: testKeyID, SecretAccessKey: testSecret, UserName: "admin", Status: "Active",
			CreateDate: time.Date(2026, 1, 15, 9, 30, 0, 0, time.UTC),
		}}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (e *env) getenv(k string) string {
	if v, ok := e.vars[k]; ok {
		return v
	}
	return os.Getenv(k)
}

type result struct {
	out, err string
	code     int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.err)
}

// run executes `eksaccess --endpoint-url SANDBOX args...` in-process.
func (e *env) run(args ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	return e.runCtx(ctx, args...)
}

func (e *env) runCtx(ctx context.Context, args ...string) result {
	io, _, out, errOut := iostreams.Test()
	full := append([]string{"--endpoint-url", e.srv.Endpoint()}, args...)
	code := cli.Run(ctx, full, io, e.getenv)
	return result{out.String(), errOut.String(), code}
}

// runReadOnly is run for a command that must change nothing: the test fails (naming what)
// when it made any mutating request.
func (e *env) runReadOnly(what string, args ...string) result {
	e.t.Helper()
	mark := len(e.srv.Requests())
	r := e.run(args...)
	if m := mutatingOps(e.srv.Requests()[mark:]); len(m) != 0 {
		e.t.Fatalf("%s made mutating calls: %v\n%v", what, m, r)
	}
	return r
}

func (e *env) mustRun(args ...string) result {
	e.t.Helper()
	r := e.run(args...)
	if r.code != 0 {
		e.t.Fatalf("eksaccess %s: %v", strings.Join(args, " "), r)
	}
	return r
}

// childEnv is the environment of an eksaccess child process.
func (e *env) childEnv(extra ...string) []string {
	var out []string
	for k, v := range baseEnv {
		out = append(out, k+"="+v)
	}
	for k, v := range e.vars {
		out = append(out, k+"="+v)
	}
	out = append(out, "PATH="+os.Getenv("PATH"))
	return append(out, extra...)
}

// child prepares the real binary against this sandbox; stdout and stderr go to buffers.
func (e *env) child(args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	cmd := exec.Command(binPath, append([]string{"--endpoint-url", e.srv.Endpoint(), "--no-progress"}, args...)...)
	cmd.Env = e.childEnv()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	return cmd, &out, &errOut
}

// write creates a file in the home directory (0600) and returns its path.
func (e *env) write(name, content string) string {
	e.t.Helper()
	p := filepath.Join(e.home, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// addUsers creates n IAM users prefixNNN directly in the sandbox state. The first fresh of
// them are created now, so EKS (the sandbox's consistency delay) refuses them for a while;
// the others an hour ago.
func (e *env) addUsers(prefix string, n, fresh int) []string {
	e.t.Helper()
	var names []string
	now := time.Now()
	err := e.srv.Store().Update(func(d *state.Data) error {
		for i := 0; i < n; i++ {
			name := fmt.Sprintf("%s%03d", prefix, i)
			created := now.Add(-time.Hour)
			if i < fresh {
				created = now
			}
			names = append(names, name)
			d.Users[strings.ToLower(name)] = &state.User{
				Path: "/", UserName: name, UserID: fmt.Sprintf("AIDA%s%012d", strings.ToUpper(prefix[:min(4, len(prefix))]), i), Arn: userArn(name),
				CreateDate: created,
			}
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return names
}

// usersFile writes the names one per line and returns the path.
func (e *env) usersFile(name string, users []string) string {
	return e.write(name, strings.Join(users, "\n")+"\n")
}

// accessFile writes an access file granting AmazonEKSEditPolicy in namespace to the users
// of usersFile on the demo cluster, and returns its path.
func (e *env) accessFile(name, usersFile string) string {
	return e.write(name, `apiVersion: eksaccess/v1
kind: AccessConfig
clusters:
  - name: `+cluster+`
    region: us-west-2
    access:
      - usersFile: `+filepath.Base(usersFile)+`
        policies: [{policy: AmazonEKSEditPolicy, namespaces: [`+namespace+`]}]
`)
}

// snapshot returns a deep copy of a cluster's access entries, read from the sandbox's store
// (the truth, without going through the faulty API).
func (e *env) snapshot(name string) map[string]state.AccessEntry {
	e.t.Helper()
	out := map[string]state.AccessEntry{}
	err := e.srv.Store().Read(func(d *state.Data) error {
		c := d.Clusters[name]
		if c == nil {
			return fmt.Errorf("no cluster %s", name)
		}
		for arn, en := range c.Entries {
			cp := *en
			cp.Policies = map[string]*state.AssociatedPolicy{}
			for k, p := range en.Policies {
				pc := *p
				pc.Namespaces = slices.Clone(p.Namespaces)
				cp.Policies[k] = &pc
			}
			cp.Tags = map[string]string{}
			for k, v := range en.Tags {
				cp.Tags[k] = v
			}
			out[arn] = cp
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// granted reports what is wrong with a principal's entry, or "" when it is exactly the
// desired grant: STANDARD, managed, AmazonEKSEditPolicy scoped to namespace only.
func granted(en state.AccessEntry, ok bool) string {
	switch {
	case !ok:
		return "no entry"
	case en.Type != "STANDARD":
		return "type " + en.Type
	case en.Tags["eksaccess/managed"] != "true":
		return "not tagged managed"
	case len(en.Policies) != 1:
		return fmt.Sprintf("%d policies", len(en.Policies))
	}
	p := en.Policies[editArn]
	if p == nil || p.ScopeType != "namespace" || strings.Join(p.Namespaces, ",") != namespace {
		return fmt.Sprintf("policy %+v", en.Policies)
	}
	return ""
}

// requireGranted fails unless every user has exactly the desired grant.
func (e *env) requireGranted(users []string) {
	e.t.Helper()
	snap := e.snapshot(cluster)
	var bad []string
	for _, u := range users {
		en, ok := snap[userArn(u)]
		if why := granted(en, ok); why != "" {
			bad = append(bad, u+": "+why)
		}
	}
	if len(bad) > 0 {
		e.t.Fatalf("%d of %d principals not in the desired state, e.g.:\n  %s", len(bad), len(users), strings.Join(bad[:min(10, len(bad))], "\n  "))
	}
}

// halfDone counts users whose entry exists without any policy (a run stopped between
// CreateAccessEntry and AssociateAccessPolicy).
func (e *env) halfDone(users []string) (half, done int) {
	snap := e.snapshot(cluster)
	for _, u := range users {
		en, ok := snap[userArn(u)]
		switch {
		case ok && len(en.Policies) == 0:
			half++
		case granted(en, ok) == "":
			done++
		}
	}
	return half, done
}

// opStats counts a mutating operation's answers in the request log.
type opStats struct {
	OK       int // 200: applied and acknowledged
	Lost     int // reset-after: applied, answer dropped
	Conflict int // 409 ResourceInUseException
	Refused  int // any other answer (faults, throttles, resets before, validation)
}

func stats(recs []sandbox.LogRecord) map[string]*opStats {
	m := map[string]*opStats{}
	for _, r := range recs {
		if !r.Mutating {
			continue
		}
		s := m[r.Operation]
		if s == nil {
			s = &opStats{}
			m[r.Operation] = s
		}
		switch {
		case r.Fault == "reset-after":
			s.Lost++
		case r.Status == 200:
			s.OK++
		case r.Status == 409:
			s.Conflict++
		default:
			s.Refused++
		}
	}
	return m
}

func (s *opStats) String() string {
	if s == nil {
		return "{}"
	}
	return fmt.Sprintf("{ok %d lost %d conflict %d refused %d}", s.OK, s.Lost, s.Conflict, s.Refused)
}

// faultCounts counts the requests each knob decided.
func faultCounts(recs []sandbox.LogRecord) map[string]int {
	m := map[string]int{}
	for _, r := range recs {
		if r.Fault != "" {
			m[r.Fault]++
		}
	}
	return m
}

func mutatingOps(recs []sandbox.LogRecord) map[string]int {
	m := map[string]int{}
	for _, r := range recs {
		if r.Mutating {
			m[r.Operation]++
		}
	}
	return m
}

// requireExactlyOnce checks, from the request log of a run that granted n new principals one
// policy each, that no change was applied twice: each principal's entry was acknowledged
// created exactly once (a 200, or a 409 after the create's answer was lost), and its policy
// associated once; nothing else changed.
func requireExactlyOnce(t *testing.T, recs []sandbox.LogRecord, n int) {
	t.Helper()
	st := stats(recs)
	c, a := st["CreateAccessEntry"], st["AssociateAccessPolicy"]
	if c == nil || a == nil {
		t.Fatalf("no creates or associations in the log: %v", st)
	}
	if c.OK+c.Conflict != n {
		t.Errorf("CreateAccessEntry %v: acknowledged %d times for %d principals", c, c.OK+c.Conflict, n)
	}
	if c.Conflict > c.Lost {
		t.Errorf("CreateAccessEntry %v: %d conflicts but only %d lost answers: eksaccess re-created entries it knew existed", c, c.Conflict, c.Lost)
	}
	if a.OK != n || a.Conflict != 0 {
		t.Errorf("AssociateAccessPolicy %v: want exactly %d acknowledged", a, n)
	}
	for op, s := range st {
		if op != "CreateAccessEntry" && op != "AssociateAccessPolicy" && s.OK+s.Lost > 0 {
			t.Errorf("unexpected mutating call %s %v", op, s)
		}
	}
}

// journal reads the journal and groups its records by run, in the order runs started.
func (e *env) journal() (runs []string, byRun map[string][]apply.Record) {
	e.t.Helper()
	path := e.vars["EKSACCESS_JOURNAL"]
	raw, err := os.ReadFile(path)
	if err != nil {
		e.t.Fatal(err)
	}
	// Every line must be whole JSON: records are appended with one write each, so even a
	// killed run leaves no torn line.
	lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	recs, err := apply.ReadJournal(path)
	if err != nil {
		e.t.Fatal(err)
	}
	if len(recs) != len(lines) {
		e.t.Fatalf("journal has %d lines but %d parse", len(lines), len(recs))
	}
	byRun = map[string][]apply.Record{}
	for _, r := range recs {
		if _, ok := byRun[r.Run]; !ok {
			runs = append(runs, r.Run)
		}
		byRun[r.Run] = append(byRun[r.Run], r)
	}
	return runs, byRun
}

// waitFor polls cond every 5ms until it holds or d passes.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return cond()
}

// syncBuffer is a bytes.Buffer safe for a child's output and a concurrent reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// summaryLine is the engine's counts line.
func summaryLine(created, updated, deleted, unchanged, failed int) string {
	return fmt.Sprintf("%d created, %d updated, %d deleted, %d unchanged, %d failed", created, updated, deleted, unchanged, failed)
}
