// Package e2e runs the real eksaccess command line (the same cli.Main as cmd/eksaccess),
// the real aws CLI and kubectl against the sandbox, from testscript scripts in
// testdata/script. Each script gets its own HOME, XDG directories, journal and sandbox state
// under $WORK, and no AWS configuration of the machine it runs on.
//
// Commands the scripts have beside testscript's own:
//
//	eksaccess ARGS...           cli.Main (use with exec)
//	sandbox start [-state DIR] [-consistency-delay D] [-throttle-rps R] [-cluster-delay D]
//	                            start a sandbox server inside the test process on DIR
//	                            (default $EKSACCESS_SANDBOX) and point AWS_* at it
//	sandbox stop | restart      stop it / stop and start it again on the same state
//	sandbox calls               the requests the server answered since the last `sandbox calls`,
//	                            one per line, then "mutating N"
//	wait-sandbox DIR            wait for a `sandbox serve` process on DIR; sets SERVE_ENDPOINT
//	status N PROG ARGS...       exec PROG, expecting exit code N (stdout/stderr kept as exec's)
//	mkfile FILE 'GO-ESCAPED'    write a file with \r, \ufeff, no final newline and the like
//	readme-command N            print the Nth command of README.md's first sh block
package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"eksaccess/internal/cli"
	"eksaccess/internal/sandbox"
	"eksaccess/internal/sandbox/kubereal"
)

func TestMain(m *testing.M) {
	// The test binary itself (not a command testscript runs through it) makes sure the real
	// Kubernetes mode's components are built, so `go test ./...` alone covers the scripts that
	// use them on a fresh machine.
	if strings.HasSuffix(os.Args[0], ".test") {
		if _, err := kubereal.EnsureBuilt(os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	testscript.Main(m, map[string]func(){
		"eksaccess": func() { os.Exit(cli.Main()) },
	})
}

// requiredTools are part of the test environment: a machine without them fails the suite
// rather than quietly skipping the scripts that prove compatibility with them.
var requiredTools = []string{"aws", "kubectl", "bash"}

func TestScripts(t *testing.T) {
	for _, tool := range requiredTools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed: the end-to-end tests need the real aws CLI (v1 or v2), kubectl and bash on PATH; install them and run again", tool)
		}
	}
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup:               func(env *testscript.Env) error { return setup(env, repo) },
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"sandbox":        cmdSandbox,
			"wait-sandbox":   cmdWaitSandbox,
			"mkfile":         cmdMkfile,
			"status":         cmdStatus,
			"readme-command": func(ts *testscript.TestScript, neg bool, args []string) { cmdReadmeCommand(ts, neg, args, repo) },
		},
	})
}

// sandboxKey holds the script's in-process sandbox in Env.Values.
type sandboxKey struct{}

type scriptSandbox struct {
	srv  *sandbox.Server
	opts sandbox.Options
	seen int // requests already reported by `sandbox calls`
}

func setup(env *testscript.Env, repo string) error {
	work := env.WorkDir
	home := filepath.Join(work, "home")
	for _, d := range []string{home, filepath.Join(work, "examples")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	// The README's first command reads examples/users.txt: use the repository's own file.
	users, err := os.ReadFile(filepath.Join(repo, "examples", "users.txt"))
	if err != nil {
		return fmt.Errorf("read the example users file: %w", err)
	}
	if err := os.WriteFile(filepath.Join(work, "examples", "users.txt"), users, 0o644); err != nil {
		return err
	}
	// Where tools/kube/build.sh put the real Kubernetes mode's components for this machine;
	// the scripts' own cache has none, so only a script that sets EKSACCESS_KUBE_DIR to it
	// gets the real mode.
	components := kubereal.ComponentsDir()
	for _, kv := range [][2]string{
		{"KUBE_COMPONENTS", components},
		{"HOME", home},
		{"XDG_CONFIG_HOME", filepath.Join(home, ".config")},
		{"XDG_STATE_HOME", filepath.Join(home, ".local", "state")},
		{"XDG_CACHE_HOME", filepath.Join(home, ".cache")},
		{"XDG_DATA_HOME", filepath.Join(home, ".local", "share")},
		{"KUBECONFIG", filepath.Join(home, ".kube", "config")},
		{"EKSACCESS_JOURNAL", filepath.Join(work, "journal.jsonl")},
		{"EKSACCESS_SANDBOX", filepath.Join(work, "sandbox")},
		// Nothing of the machine's AWS setup may leak in, and no lookup may wait on IMDS.
		{"AWS_CONFIG_FILE", os.DevNull},
		{"AWS_SHARED_CREDENTIALS_FILE", os.DevNull},
		{"AWS_EC2_METADATA_DISABLED", "true"},
		{"AWS_PAGER", ""},
		{"AWS_DEFAULT_OUTPUT", "json"},
		{"LANG", "C.UTF-8"},
		{"TZ", "UTC"},
		{"NO_COLOR", "1"},
	} {
		env.Setenv(kv[0], kv[1])
	}
	// A -race binary sleeps a second at exit so that racing goroutines can report; the
	// scripts start eksaccess dozens of times, and the race detector still reports and fails
	// the command without the sleep.
	if gorace := os.Getenv("GORACE"); !strings.Contains(gorace, "atexit_sleep_ms") {
		env.Setenv("GORACE", strings.TrimSpace(gorace+" atexit_sleep_ms=0"))
	}
	sb := &scriptSandbox{}
	env.Values[sandboxKey{}] = sb
	env.Defer(func() {
		if sb.srv != nil {
			sb.srv.Close()
		}
	})
	return nil
}

func cmdSandbox(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! sandbox")
	}
	if len(args) == 0 {
		ts.Fatalf("usage: sandbox start|stop|restart|calls")
	}
	sb := ts.Value(sandboxKey{}).(*scriptSandbox)
	switch args[0] {
	case "start":
		if sb.srv != nil {
			ts.Fatalf("sandbox already started")
		}
		o := sandbox.Options{StateDir: ts.Getenv("EKSACCESS_SANDBOX")}
		rest := args[1:]
		for len(rest) > 0 {
			if len(rest) < 2 {
				ts.Fatalf("sandbox start: %s needs a value", rest[0])
			}
			flag, val := rest[0], rest[1]
			rest = rest[2:]
			var err error
			switch flag {
			case "-state":
				o.StateDir = ts.MkAbs(val)
			case "-consistency-delay":
				o.ConsistencyDelay, err = time.ParseDuration(val)
			case "-throttle-rps":
				o.ThrottleRPS, err = strconv.ParseFloat(val, 64)
			case "-cluster-delay":
				o.ClusterDelay, err = time.ParseDuration(val)
			default:
				ts.Fatalf("sandbox start: unknown flag %s", flag)
			}
			ts.Check(err)
		}
		sb.opts = o
		sandboxUp(ts, sb)
	case "stop":
		sandboxDown(ts, sb)
	case "restart":
		sandboxDown(ts, sb)
		sandboxUp(ts, sb)
	case "calls":
		if sb.srv == nil {
			ts.Fatalf("sandbox calls: no sandbox started")
		}
		reqs := sb.srv.Requests()
		mutating := 0
		for _, r := range reqs[sb.seen:] {
			fmt.Fprintf(ts.Stdout(), "%s %s %d\n", r.Service, r.Operation, r.Status)
			if r.Mutating {
				mutating++
			}
		}
		fmt.Fprintf(ts.Stdout(), "mutating %d\n", mutating)
		sb.seen = len(reqs)
	default:
		ts.Fatalf("sandbox: unknown subcommand %q", args[0])
	}
}

func sandboxUp(ts *testscript.TestScript, sb *scriptSandbox) {
	srv, err := sandbox.Start(context.Background(), sb.opts)
	ts.Check(err)
	sb.srv, sb.seen = srv, 0
	// Point every tool at it the way a user would: with the export lines serve prints.
	for _, line := range strings.Split(strings.TrimSpace(srv.EnvLines()), "\n") {
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		if !ok {
			ts.Fatalf("sandbox env line %q is not export K=V", line)
		}
		ts.Setenv(k, v)
	}
}

func sandboxDown(ts *testscript.TestScript, sb *scriptSandbox) {
	if sb.srv == nil {
		ts.Fatalf("no sandbox started")
	}
	ts.Check(sb.srv.Close())
	sb.srv = nil
}

// cmdWaitSandbox waits until a `sandbox serve` process announces itself on a state
// directory, and sets SERVE_ENDPOINT to its endpoint.
func cmdWaitSandbox(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: wait-sandbox DIR")
	}
	dir := ts.MkAbs(args[0])
	deadline := time.Now().Add(20 * time.Second)
	for {
		info, ok, err := sandbox.ReadRunInfo(dir)
		ts.Check(err)
		if ok {
			ts.Setenv("SERVE_ENDPOINT", info.Endpoint)
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("no sandbox serving %s after 20s", dir)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cmdStatus runs a program and checks its exact exit code: eksaccess's codes (1 failure,
// 2 bad input) are part of its interface, which `! exec` cannot tell apart.
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: status N PROG ARGS...")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}

// cmdMkfile writes bytes a txtar section cannot hold reliably (CR, a BOM, no final newline).
func cmdMkfile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: mkfile FILE 'go-escaped content'")
	}
	content, err := strconv.Unquote(`"` + args[1] + `"`)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(content), 0o644))
}

// cmdReadmeCommand prints the Nth line of the first ```sh block of README.md, so a script
// can prove it runs exactly what the README tells a new user to run.
func cmdReadmeCommand(ts *testscript.TestScript, neg bool, args []string, repo string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: readme-command N")
	}
	n, err := strconv.Atoi(args[0])
	ts.Check(err)
	cmds, err := readmeCommands(filepath.Join(repo, "README.md"))
	ts.Check(err)
	if n < 1 || n > len(cmds) {
		ts.Fatalf("README.md's first sh block has %d commands, not %d", len(cmds), n)
	}
	fmt.Fprintln(ts.Stdout(), cmds[n-1])
}

func readmeCommands(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var cmds []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case !in && strings.HasPrefix(line, "```sh"):
			in = true
		case in && strings.HasPrefix(line, "```"):
			return cmds, nil
		case in && strings.TrimSpace(line) != "":
			cmds = append(cmds, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("%s has no ```sh block", path)
}
