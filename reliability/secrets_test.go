package reliability

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"eksaccess/internal/sandbox"
	"eksaccess/internal/sandbox/state"
)

// secretRun is one command of the sweep: its arguments, the exit code it must have (so the
// sweep really exercises the path it names), and whether printing credentials or tokens on
// stdout is its job.
type secretRun struct {
	args      []string
	exit      int
	printsOut bool
}

// bearerRE matches an EKS bearer token.
var bearerRE = regexp.MustCompile(`k8s-aws-v1\.[A-Za-z0-9_-]{20,}`)

// TestNoSecretLeaks runs every command with -v against the sandbox — successes and failures,
// the role flow, assume, token, kubeconfig and verify included — and searches everything they
// produced for the sandbox's secrets: the admin's secret key, every session's secret key and
// session token (read from the sandbox after the run) and EKS bearer tokens. Secrets may
// appear only on the stdout of the commands whose job is to print them. The journal, the
// sandbox's request log, the token cache and the kubeconfig are searched too, and must be
// 0600 (directories 0700); the token cache may hold bearer tokens (that is what it caches)
// but no key or session token; a kubeconfig holds no credential at all.
func TestNoSecretLeaks(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "requests.jsonl")
	stateDir := t.TempDir()
	e := newEnv(t, sandbox.Options{StateDir: stateDir, LogPath: logPath})
	kubeconfig := filepath.Join(e.home, "kube", "config")
	e.vars["KUBECONFIG"] = kubeconfig
	t.Setenv("KUBECONFIG", kubeconfig)
	// An existing kubeconfig, group-readable: its mode may be kept or tightened, never loosened.
	loose := e.write("loose-kubeconfig", "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
	if err := os.Chmod(loose, 0o640); err != nil {
		t.Fatal(err)
	}
	access := e.write("access.yaml", `apiVersion: eksaccess/v1
kind: AccessConfig
clusters:
  - name: hyperpod-demo
    region: us-west-2
    access:
      - principal: admin
        policies: [{policy: AmazonEKSClusterAdminPolicy}]
      - principal: bob
        policies: [{policy: AmazonEKSViewPolicy, namespaces: [default]}]
`)
	awsAuth := e.write("aws-auth.yaml", `apiVersion: v1
kind: ConfigMap
metadata: {name: aws-auth, namespace: kube-system}
data:
  mapUsers: |
    - userarn: arn:aws:iam::111122223333:user/alice
      username: alice
      groups: [system:masters]
`)
	runs := []secretRun{
		{args: []string{"policies"}},
		{args: []string{"clusters"}},
		{args: []string{"entries", "list", "-c", cluster}},
		{args: []string{"entries", "show", "-c", cluster, "admin"}},
		{args: []string{"grant", "-c", cluster, "--policy", "AmazonEKSViewPolicy", "alice", "--expires", "30d"}},
		{args: []string{"grant", "-c", cluster, "--policy", "AmazonEKSViewPolicy", "ghost"}, exit: 2},
		{args: []string{"grant", "-c", cluster, "--policy", "AmazonEKSViewPolicy", "--dry-run", "carol", "-o", "json"}},
		{args: []string{"revoke", "-c", cluster, "--policy", "AmazonEKSViewPolicy", "alice"}},
		{args: []string{"revoke", "-c", cluster, "role/SageMakerHyperPodNodeRole"}, exit: 1}, // a guardrail refuses
		{args: []string{"role", "create", "EKSFullAccessRole", "--grant", "-c", cluster, "--policy", "AmazonEKSClusterAdminPolicy"}},
		{args: []string{"role", "create", "MFARole", "--require-mfa"}},
		{args: []string{"assume", "EKSFullAccessRole"}, printsOut: true},
		{args: []string{"assume", "EKSFullAccessRole", "--format", "json"}, printsOut: true},
		{args: []string{"assume", "EKSFullAccessRole", "--format", "credential-process"}, printsOut: true},
		{args: []string{"assume", "EKSFullAccessRole", "--shell", "fish"}, printsOut: true},
		{args: []string{"assume", "EKSFullAccessRole", "--", "sh", "-c", "test -n \"$AWS_SESSION_TOKEN\""}},
		{args: []string{"assume", "MFARole"}, exit: 1},
		{args: []string{"assume", "NoSuchRole"}, exit: 2},
		{args: []string{"token", "-c", cluster}, printsOut: true},
		{args: []string{"token", "-c", cluster}, printsOut: true}, // from the cache
		{args: []string{"token", "-c", cluster, "--role", "EKSFullAccessRole"}, printsOut: true},
		{args: []string{"token", "-c", "no-such-cluster"}, printsOut: true}, // like aws eks get-token, no cluster check
		{args: []string{"kubeconfig", "-c", cluster}},
		{args: []string{"kubeconfig", "-c", cluster, "--role", "EKSFullAccessRole", "--alias", "full"}},
		{args: []string{"kubeconfig", "-c", cluster, "--kubeconfig", loose}},
		{args: []string{"verify", "-c", cluster, "--check", "list:pods:default"}},
		{args: []string{"verify", "-c", cluster, "--role", "EKSFullAccessRole", "--check", "create:pods:default"}},
		{args: []string{"verify", "-c", cluster, "--role", "NoSuchRole"}, exit: 2},
		{args: []string{"can-i", "-c", cluster, "admin", "list", "pods"}},
		{args: []string{"who-can", "-c", cluster, "get", "secrets", "-n", "default"}},
		{args: []string{"plan", "-f", access}},
		{args: []string{"apply", "-f", access, "--yes"}},
		{args: []string{"export", "-c", cluster}},
		{args: []string{"migrate", "aws-auth", "-c", cluster, "--from", awsAuth}},
		{args: []string{"auth-mode", "-c", cluster}},
		{args: []string{"auth-mode", "-c", cluster, "--set", "CONFIG_MAP", "--yes"}, exit: 2},
		{args: []string{"expire", "-c", cluster, "--dry-run"}},
		{args: []string{"sandbox", "env", "--state", stateDir}, printsOut: true},
	}
	type output struct {
		run      secretRun
		out, err string
	}
	var outputs []output
	for _, r := range runs {
		res := e.run(append([]string{"-v"}, r.args...)...)
		if res.code != r.exit {
			t.Errorf("eksaccess -v %s: exit %d, want %d\n%v", strings.Join(r.args, " "), res.code, r.exit, res)
		}
		outputs = append(outputs, output{r, res.out, res.err})
	}
	// A wrong secret key is a secret too: the refusal must not echo it.
	const wrong = "WrongSecretValueThatMustNeverBePrinted00"
	t.Setenv("AWS_SECRET_ACCESS_KEY", wrong)
	res := e.run("-v", "policies")
	if res.code != 1 {
		t.Errorf("policies with a wrong secret key: %v", res)
	}
	outputs = append(outputs, output{secretRun{args: []string{"policies (wrong secret key)"}}, res.out, res.err})
	t.Setenv("AWS_SECRET_ACCESS_KEY", testSecret)

	// The secrets: the admin key, and every session the sandbox issued during the sweep.
	secrets := map[string]string{testSecret: "the admin's secret key", wrong: "a wrong secret key"}
	e.srv.Store().Read(func(d *state.Data) error {
		for _, s := range d.Sessions {
			secrets[s.SecretAccessKey] = "a session secret key (" + s.SessionName + ")"
			secrets[s.SessionToken] = "a session token (" + s.SessionName + ")"
		}
		return nil
	})
	if len(secrets) < 6 {
		t.Fatalf("the sweep assumed no role: %d secrets", len(secrets))
	}
	check := func(where, text string, bearerOK bool) {
		t.Helper()
		for s, what := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s contains %s", where, what)
			}
		}
		if !bearerOK && bearerRE.MatchString(text) {
			t.Errorf("%s contains a bearer token", where)
		}
	}
	for _, o := range outputs {
		name := "eksaccess -v " + strings.Join(o.run.args, " ")
		check(name+" stderr", o.err, false)
		if !o.run.printsOut {
			check(name+" stdout", o.out, false)
		}
	}
	// The commands that print credentials really did (or the sweep proves nothing).
	var printed string
	for _, o := range outputs {
		if o.run.printsOut {
			printed += o.out
		}
	}
	if !strings.Contains(printed, "AWS_SESSION_TOKEN") || !bearerRE.MatchString(printed) {
		t.Errorf("assume/token printed no credentials:\n%s", printed)
	}

	// Files: the journal, the request log, the token cache, the kubeconfigs.
	e.srv.Close() // flush the request log
	files := map[string]bool{e.vars["EKSACCESS_JOURNAL"]: false, logPath: false, kubeconfig: false, loose: false}
	cacheDir := filepath.Join(e.vars["XDG_CACHE_HOME"], "eksaccess")
	filepath.WalkDir(cacheDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files[p] = true // a token cache file may hold its bearer token
		}
		return nil
	})
	cached := 0
	for p, bearerOK := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("read %s: %v", p, err)
			continue
		}
		check(p, string(b), bearerOK)
		if bearerOK && bearerRE.Match(b) {
			cached++
		}
		fi, _ := os.Stat(p)
		switch {
		case p == loose:
			if m := fi.Mode().Perm(); m&^0o640 != 0 {
				t.Errorf("the existing kubeconfig was loosened from 0640 to %v", m)
			}
		case fi.Mode().Perm() != 0o600:
			t.Errorf("%s has mode %v, want 0600", p, fi.Mode().Perm())
		}
	}
	if cached == 0 {
		t.Errorf("no token was cached under %s", cacheDir)
	}
	for _, d := range []string{cacheDir, filepath.Dir(kubeconfig)} {
		filepath.WalkDir(d, func(p string, de fs.DirEntry, err error) error {
			if err == nil && de.IsDir() {
				if fi, _ := de.Info(); fi.Mode().Perm()&0o077 != 0 {
					t.Errorf("directory %s has mode %v: others can read it", p, fi.Mode().Perm())
				}
			}
			return nil
		})
	}
	if b, _ := os.ReadFile(kubeconfig); !bytes.Contains(b, []byte("command:")) {
		t.Errorf("kubeconfig has no exec plugin:\n%s", b)
	}
}

// TestCrashDumpHasNoSecret: a Go crash dump (what a panic or SIGQUIT prints, with every
// goroutine's stack) of a grant in the middle of its calls, with the secret key in its
// environment, shows no secret: stack traces print pointers and lengths, never string
// contents, and eksaccess keeps no secret in a panic value or a global.
func TestCrashDumpHasNoSecret(t *testing.T) {
	e := newEnv(t, sandbox.Options{Latency: 100 * time.Millisecond})
	users := e.addUsers("q", 40, 0)
	cmd, out, errOut := e.child("grant", "-c", cluster, "--policy", "AmazonEKSEditPolicy", "--users-file", e.usersFile("users.txt", users))
	cmd.Env = append(cmd.Env, "GOTRACEBACK=all")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if !waitFor(time.Minute, func() bool { return acked(e.srv.Requests()) >= 4 }) {
		cmd.Process.Kill()
		t.Fatal("grant made no progress")
	}
	cmd.Process.Signal(syscall.SIGQUIT)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errorsAs(err, &ee) || !strings.Contains(errOut.String(), "goroutine ") {
		t.Fatalf("no crash dump: %v\n%s", err, errOut)
	}
	for _, text := range []string{out.String(), errOut.String()} {
		if strings.Contains(text, testSecret) {
			t.Fatal("the crash dump contains the secret key")
		}
	}
	if !strings.Contains(errOut.String(), "eksaccess/internal/apply") {
		t.Fatalf("the dump was not taken during the run's calls:\n%.2000s", errOut)
	}
}

func errorsAs(err error, target **exec.ExitError) bool {
	ee, ok := err.(*exec.ExitError)
	if ok {
		*target = ee
	}
	return ok
}
