package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"eksaccess/internal/creds"
	"eksaccess/internal/sandbox"
)

const assumedAdmin = "arn:aws:sts::111122223333:assumed-role/EKSFullAccessRole/admin"

type assumeJSON struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	SessionToken    string `json:"SessionToken"`
	Expiration      string `json:"Expiration"`
	AssumedRoleArn  string `json:"AssumedRoleArn"`
}

func assumeParse(t *testing.T, out string) assumeJSON {
	t.Helper()
	var a assumeJSON
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatalf("assume json output %q: %v", out, err)
	}
	return a
}

func TestAssumeFormats(t *testing.T) {
	s := startRoleSandbox(t)
	if _, errOut, code := s.run("role", "create", "EKSFullAccessRole", "--path", "/shared/"); code != 0 {
		t.Fatalf("role create: %s", errOut)
	}

	out, errOut, code := s.run("assume", "EKSFullAccessRole")
	want := regexp.MustCompile(`^export AWS_ACCESS_KEY_ID=ASIA[A-Z0-9]{16}
export AWS_SECRET_ACCESS_KEY=[A-Za-z0-9+/]{40}
export AWS_SESSION_TOKEN=[A-Za-z0-9+/=]+
export AWS_ENDPOINT_URL=` + regexp.QuoteMeta(s.srv.Endpoint()) + `
export AWS_REGION=us-west-2
export AWS_DEFAULT_REGION=us-west-2
unset AWS_PROFILE
unset AWS_DEFAULT_PROFILE
unset AWS_SECURITY_TOKEN
unset AWS_CREDENTIAL_EXPIRATION
# ` + regexp.QuoteMeta(assumedAdmin) + ` expires \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in 1h0m0s\)
$`)
	if code != 0 || errOut != "" || !want.MatchString(out) {
		t.Errorf("assume (env): exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	// ARN (with the path GetRole found), role/NAME, a session name, a duration.
	for _, ref := range []string{"arn:aws:iam::111122223333:role/shared/EKSFullAccessRole", "role/EKSFullAccessRole"} {
		out, errOut, code = s.run("assume", ref, "--format", "json", "--session-name", "ci-job.42", "--duration", "900")
		a := assumeParse(t, out)
		exp, err := time.Parse(time.RFC3339, a.Expiration)
		if code != 0 || errOut != "" || err != nil || a.AssumedRoleArn != "arn:aws:sts::111122223333:assumed-role/EKSFullAccessRole/ci-job.42" ||
			!strings.HasPrefix(a.AccessKeyID, "ASIA") || a.SessionToken == "" || time.Until(exp) > 15*time.Minute || time.Until(exp) < 14*time.Minute {
			t.Errorf("assume %s --format json: exit %d %+v %s", ref, code, a, errOut)
		}
	}

	out, _, code = s.run("assume", "EKSFullAccessRole", "--format", "credential-process")
	var cp map[string]any
	if err := json.Unmarshal([]byte(out), &cp); err != nil || code != 0 || cp["Version"] != float64(1) || len(cp) != 5 || cp["AccessKeyId"] == "" {
		t.Errorf("credential-process: exit %d %v %s", code, err, out)
	}

	out, _, code = s.run("assume", "EKSFullAccessRole", "--shell", "fish")
	if code != 0 || !strings.HasPrefix(out, "set -gx AWS_ACCESS_KEY_ID ASIA") || !strings.Contains(out, "\nset -gx AWS_ENDPOINT_URL "+s.srv.Endpoint()+";\n") {
		t.Errorf("fish: %s", out)
	}
	out, _, code = s.run("assume", "EKSFullAccessRole", "--shell", "powershell")
	if code != 0 || !strings.HasPrefix(out, `$env:AWS_ACCESS_KEY_ID = "ASIA`) || !strings.Contains(out, "\n$env:AWS_REGION = \"us-west-2\"\n") {
		t.Errorf("powershell: %s", out)
	}

	// The command's exit code comes back.
	_, _, code = s.run("assume", "EKSFullAccessRole", "--", "sh", "-c", "exit 7")
	if code != 7 {
		t.Errorf("-- sh -c 'exit 7': exit %d", code)
	}
	out, _, code = s.run("assume", "EKSFullAccessRole", "--", "sh", "-c", `echo "$AWS_ENDPOINT_URL $AWS_REGION ${AWS_SESSION_TOKEN:+token}"`)
	if code != 0 || out != s.srv.Endpoint()+" us-west-2 token\n" {
		t.Errorf("command environment: exit %d %q", code, out)
	}
}

func TestAssumeRequiresMFA(t *testing.T) {
	s := startRoleSandbox(t)
	if _, errOut, code := s.run("role", "create", "EKSFullAccessRole", "--require-mfa"); code != 0 {
		t.Fatalf("role create: %s", errOut)
	}
	out, errOut, code := s.run("assume", "EKSFullAccessRole")
	if code != ExitFailure || out != "" ||
		!strings.Contains(errOut, "api error AccessDenied: User: arn:aws:iam::111122223333:user/admin is not authorized to perform: sts:AssumeRole on resource: "+roleRoleArn) ||
		!strings.HasSuffix(errOut, ": the role requires MFA: pass --mfa-serial arn:aws:iam::111122223333:mfa/DEVICE --token-code CODE (the 6-digit code of your MFA device)\n") {
		t.Errorf("assume without MFA: exit %d\nstdout %q\nstderr %s", code, out, errOut)
	}

	// alice has a virtual MFA device in the seed.
	s.as(s.accessKey("alice"))
	mfa := []string{"--mfa-serial", "arn:aws:iam::111122223333:mfa/alice", "--token-code"}
	out, errOut, code = s.run(append([]string{"assume", "EKSFullAccessRole", "--format", "json"}, append(mfa, sandbox.DemoMFACode)...)...)
	if a := assumeParse(t, out); code != 0 || errOut != "" || a.AssumedRoleArn != "arn:aws:sts::111122223333:assumed-role/EKSFullAccessRole/alice" {
		t.Errorf("assume with MFA: exit %d %+v %s", code, a, errOut)
	}
	out, errOut, code = s.run(append([]string{"assume", "EKSFullAccessRole"}, append(mfa, "000000")...)...)
	if code != ExitFailure || out != "" || !strings.Contains(errOut, "MultiFactorAuthentication failed with invalid MFA one time pass code.") ||
		!strings.HasSuffix(errOut, "check --mfa-serial (your own MFA device's ARN) and use a fresh --token-code\n") {
		t.Errorf("wrong code: exit %d %s", code, errOut)
	}
	if strings.Contains(errOut, "ASIA") {
		t.Errorf("credentials in an error: %s", errOut)
	}
}

func TestAssumeBadInput(t *testing.T) {
	s := startRoleSandbox(t)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"assume"}, 2, `error: eksaccess assume takes one ROLE, then optionally -- COMMAND ARGS... (got []): put the command after --`},
		{[]string{"assume", "R", "aws", "sts"}, 2, `error: eksaccess assume takes one ROLE, then optionally -- COMMAND ARGS... (got ["R" "aws" "sts"]): put the command after --`},
		{[]string{"assume", "R", "--"}, 2, `error: nothing after --: give the command to run, e.g. -- aws sts get-caller-identity`},
		{[]string{"assume", "R", "--duration", "5m"}, 2, `error: --duration 5m0s is out of range: STS allows 15m to 12h (and at most the role's maximum session duration)`},
		{[]string{"assume", "R", "--format", "xml"}, 2, `error: unknown --format "xml": use env, json or credential-process`},
		{[]string{"assume", "R", "--token-code", "123456"}, 2, `error: --mfa-serial and --token-code go together: pass your MFA device's ARN and its current 6-digit code`},
		{[]string{"assume", "R", "--mfa-serial", "arn:aws:iam::111122223333:mfa/alice", "--token-code", "12345"}, 2, `error: --token-code must be the 6 digits your MFA device shows`},
		{[]string{"assume", "R", "--session-name", "a"}, 2, `error: --session-name: session name "a" is too short: STS needs 2 to 64 characters`},
		{[]string{"assume", "R", "--format", "json", "--", "true"}, 2, `error: --format and --shell choose how credentials are printed; with -- COMMAND they go to the command's environment instead: drop them`},
		{[]string{"assume", "arn:aws:iam::111122223333:user/alice"}, 2, `error: ROLE arn:aws:iam::111122223333:user/alice is a user ARN: give a role name, role/NAME or a role ARN (arn:aws:iam::ACCOUNT:role/NAME)`},
		{[]string{"assume", "NoSuchRole"}, 2, "error: no IAM role named NoSuchRole in account 111122223333: check the spelling or create it with eksaccess role create NoSuchRole"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out, errOut, code := s.run(tt.args...)
			first, _, _ := strings.Cut(errOut, "\n")
			if code != tt.code || first != tt.want || out != "" {
				t.Errorf("exit %d (want %d)\nstderr: %s\nwant:   %s\nstdout: %q", code, tt.code, first, tt.want, out)
			}
		})
	}
}

// TestAssumeEndToEnd is the "done when": the real binary, eval in bash, then the
// real aws CLI against the sandbox.
func TestAssumeEndToEnd(t *testing.T) {
	awsBin, err := exec.LookPath("aws")
	if err != nil {
		t.Fatalf("the aws CLI is not installed (it is part of the test environment): %v", err)
	}
	// Build before startRoleSandbox moves HOME (and with it Go's module cache).
	bin := filepath.Join(t.TempDir(), "eksaccess")
	build := exec.Command("go", "build", "-o", bin, "eksaccess/cmd/eksaccess")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	s := startRoleSandbox(t)
	env := []string{"PATH=" + filepath.Dir(bin) + ":" + filepath.Dir(awsBin) + ":" + os.Getenv("PATH"), "AWS_DEFAULT_REGION=us-west-2"}
	for k, v := range s.env {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	sh := func(script string) (string, string, int) {
		cmd := exec.Command("bash", "-c", script)
		cmd.Env = append(append([]string(nil), env...), "EP="+s.srv.Endpoint()) // fresh: scripts run concurrently
		var out, errOut strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			return "", err.Error(), -1
		}
		return out.String(), errOut.String(), code
	}
	if out, errOut, code := sh(`eksaccess --endpoint-url "$EP" role create EKSFullAccessRole --grant -c hyperpod-demo --policy AmazonEKSClusterAdminPolicy`); code != 0 {
		t.Fatalf("role create: %s %s", out, errOut)
	}

	// Each aws CLI process takes seconds to start: run the two side by side.
	scripts := []string{
		`set -e; eval "$(eksaccess --endpoint-url "$EP" assume EKSFullAccessRole --format env)"; aws sts get-caller-identity --query Arn --output text`,
		`eksaccess --endpoint-url "$EP" assume EKSFullAccessRole -- aws sts get-caller-identity --query Arn --output text`,
	}
	type result struct {
		out, errOut string
		code        int
	}
	results := make([]result, len(scripts))
	var wg sync.WaitGroup
	for i, script := range scripts {
		wg.Go(func() {
			r := &results[i]
			r.out, r.errOut, r.code = sh(script)
		})
	}
	wg.Wait()
	for i, r := range results {
		if r.code != 0 || r.out != assumedAdmin+"\n" {
			t.Errorf("%s\nexit %d\nstdout %q\nstderr %s", scripts[i], r.code, r.out, r.errOut)
		}
	}

	if _, _, code := sh(`eksaccess --endpoint-url "$EP" assume EKSFullAccessRole -- sh -c 'exit 7'`); code != 7 {
		t.Errorf("assume -- sh -c 'exit 7': exit %d, want 7", code)
	}

	// A signal to eksaccess reaches the command.
	cmd := exec.Command(bin, "--endpoint-url", s.srv.Endpoint(), "assume", "EKSFullAccessRole", "--", "sh", "-c", `trap 'echo got TERM; exit 3' TERM; echo ready; while :; do sleep 0.05; done`)
	cmd.Env = env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _ := stdout.Read(buf) // "ready": the trap is set
	if string(buf[:n]) != "ready\n" {
		t.Fatalf("child said %q", buf[:n])
	}
	cmd.Process.Signal(syscall.SIGTERM)
	n, _ = stdout.Read(buf)
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 || string(buf[:n]) != "got TERM\n" {
		t.Errorf("SIGTERM forwarding: %v, child said %q", err, buf[:n])
	}
}

// -o means a format on assume too: json is --format json, anything else but table is bad
// input (it used to be ignored, and env lines printed instead).
func TestAssumeOutputFlag(t *testing.T) {
	for _, c := range []struct {
		output string
		code   int
		format creds.Format
	}{
		{"", 0, creds.FormatEnv},
		{"table", 0, creds.FormatEnv},
		{"json", 0, creds.FormatJSON},
		{"yaml", 2, ""},
		{"xml", 2, ""},
	} {
		var got *assumeOptions
		stderr, code := execCmd(t, func(f *Factory) *cobra.Command {
			f.Output = c.output
			return newAssumeCmd(f, func(o *assumeOptions) error { got = o; return nil })
		}, "EKSFullAccessRole")
		if code != c.code {
			t.Errorf("-o %q: exit %d, want %d (%s)", c.output, code, c.code, stderr)
			continue
		}
		if c.code == 0 && got.format != c.format {
			t.Errorf("-o %q: format %q, want %q", c.output, got.format, c.format)
		}
		if c.code == 2 && (got != nil || !strings.Contains(stderr, "--format env|json|credential-process")) {
			t.Errorf("-o %q: ran, or the error does not say what to use: %s", c.output, stderr)
		}
	}
}
