package creds

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"
)

var (
	now = time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)
	c   = Credentials{
		AccessKeyID:     "ASIAEXAMPLEEXAMPLE01",
		SecretAccessKey: "wJalr/XUtnFEMI+K7MDENG",
		SessionToken:    "IQoJ/tok+en=",
		Expiration:      now.Add(time.Hour),
		AssumedRoleArn:  "arn:aws:sts::111122223333:assumed-role/EKSFullAccessRole/alice",
	}
	sandboxVars = []Var{{"AWS_ENDPOINT_URL", "http://127.0.0.1:4566"}, {"AWS_REGION", "us-west-2"}}
)

func TestWriteEnv(t *testing.T) {
	// What bash and zsh print around the sandbox variables (which stand between the two).
	posixKeys := `export AWS_ACCESS_KEY_ID=ASIAEXAMPLEEXAMPLE01
export AWS_SECRET_ACCESS_KEY=wJalr/XUtnFEMI+K7MDENG
export AWS_SESSION_TOKEN=IQoJ/tok+en=
`
	posixTail := `unset AWS_PROFILE
unset AWS_DEFAULT_PROFILE
unset AWS_SECURITY_TOKEN
unset AWS_CREDENTIAL_EXPIRATION
# arn:aws:sts::111122223333:assumed-role/EKSFullAccessRole/alice expires 2026-11-27T16:00:00Z (in 1h0m0s)
`
	tests := []struct {
		shell Shell
		extra []Var
		want  string
	}{
		{Bash, nil, posixKeys + posixTail},
		{Zsh, sandboxVars, posixKeys + "export AWS_ENDPOINT_URL=http://127.0.0.1:4566\nexport AWS_REGION=us-west-2\n" + posixTail},
		{Fish, sandboxVars[1:], `set -gx AWS_ACCESS_KEY_ID ASIAEXAMPLEEXAMPLE01;
set -gx AWS_SECRET_ACCESS_KEY wJalr/XUtnFEMI+K7MDENG;
set -gx AWS_SESSION_TOKEN IQoJ/tok+en=;
set -gx AWS_REGION us-west-2;
set -e AWS_PROFILE;
set -e AWS_DEFAULT_PROFILE;
set -e AWS_SECURITY_TOKEN;
set -e AWS_CREDENTIAL_EXPIRATION;
# arn:aws:sts::111122223333:assumed-role/EKSFullAccessRole/alice expires 2026-11-27T16:00:00Z (in 1h0m0s)
`},
		{PowerShell, sandboxVars[1:], `$env:AWS_ACCESS_KEY_ID = "ASIAEXAMPLEEXAMPLE01"
$env:AWS_SECRET_ACCESS_KEY = "wJalr/XUtnFEMI+K7MDENG"
$env:AWS_SESSION_TOKEN = "IQoJ/tok+en="
$env:AWS_REGION = "us-west-2"
Remove-Item Env:AWS_PROFILE -ErrorAction SilentlyContinue
Remove-Item Env:AWS_DEFAULT_PROFILE -ErrorAction SilentlyContinue
Remove-Item Env:AWS_SECURITY_TOKEN -ErrorAction SilentlyContinue
Remove-Item Env:AWS_CREDENTIAL_EXPIRATION -ErrorAction SilentlyContinue
# arn:aws:sts::111122223333:assumed-role/EKSFullAccessRole/alice expires 2026-11-27T16:00:00Z (in 1h0m0s)
`},
	}
	for _, tt := range tests {
		t.Run(string(tt.shell), func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteEnv(&b, tt.shell, c, tt.extra, now); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", b.String(), tt.want)
			}
		})
	}
}

func TestQuoting(t *testing.T) {
	tests := []struct{ in, sh, fish, ps string }{
		{"plain/+=", "plain/+=", "plain/+=", `"plain/+="`},
		{"it's $x `y` \\z", `'it'\''s $x ` + "`y`" + ` \z'`, `'it\'s $x ` + "`y`" + ` \\z'`, "\"it's `$x ``y`` \\z\""},
		{"", "''", "''", `""`},
	}
	for _, tt := range tests {
		if got := ShellQuote(tt.in); got != tt.sh {
			t.Errorf("ShellQuote(%q) = %s, want %s", tt.in, got, tt.sh)
		}
		if got := fishQuote(tt.in); got != tt.fish {
			t.Errorf("fishQuote(%q) = %s, want %s", tt.in, got, tt.fish)
		}
		if got := psQuote(tt.in); got != tt.ps {
			t.Errorf("psQuote(%q) = %s, want %s", tt.in, got, tt.ps)
		}
	}
	// The POSIX form survives a real shell unchanged.
	for _, tt := range tests {
		out, err := exec.Command("sh", "-c", "printf %s "+ShellQuote(tt.in)).Output()
		if err != nil || string(out) != tt.in {
			t.Errorf("sh printed %q (%v), want %q", out, err, tt.in)
		}
	}
}

func TestJSONFormats(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(*bytes.Buffer) error
		want  string
	}{
		{"json", func(b *bytes.Buffer) error { return WriteJSON(b, c) }, `{
  "AccessKeyId": "ASIAEXAMPLEEXAMPLE01",
  "SecretAccessKey": "wJalr/XUtnFEMI+K7MDENG",
  "SessionToken": "IQoJ/tok+en=",
  "Expiration": "2026-11-27T16:00:00Z",
  "AssumedRoleArn": "arn:aws:sts::111122223333:assumed-role/EKSFullAccessRole/alice"
}
`},
		{"credential-process", func(b *bytes.Buffer) error { return WriteCredentialProcess(b, c) }, `{
  "Version": 1,
  "AccessKeyId": "ASIAEXAMPLEEXAMPLE01",
  "SecretAccessKey": "wJalr/XUtnFEMI+K7MDENG",
  "SessionToken": "IQoJ/tok+en=",
  "Expiration": "2026-11-27T16:00:00Z"
}
`},
	} {
		var b bytes.Buffer
		if err := tc.write(&b); err != nil {
			t.Fatal(err)
		}
		if b.String() != tc.want {
			t.Errorf("%s:\n%s\nwant:\n%s", tc.name, b.String(), tc.want)
		}
	}
}

func TestSessionName(t *testing.T) {
	tests := []struct{ arn, want string }{
		{"arn:aws:iam::111122223333:user/alice", "alice"},
		{"arn:aws:iam::111122223333:user/eng/team/bob.smith@example.com", "bob.smith@example.com"},
		{"arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_DataScientist_0123/carol@example.com", "carol@example.com"},
		{"arn:aws:sts::111122223333:federated-user/dave", "dave"},
		{"arn:aws:iam::111122223333:root", "root"},
		{"arn:aws:iam::111122223333:user/x", "x-eksaccess"},
		{"garbage", "eksaccess"},
	}
	for _, tt := range tests {
		if got := SessionName(tt.arn); got != tt.want {
			t.Errorf("SessionName(%s) = %q, want %q", tt.arn, got, tt.want)
		}
	}
	sanitize := []struct{ in, want string }{
		{"Jane Doe (ops)", "Jane-Doe--ops-"},
		{strings.Repeat("a", 70), strings.Repeat("a", 64)},
		{"é", "--eksaccess"},
	}
	for _, tt := range sanitize {
		got := SanitizeSessionName(tt.in)
		if got != tt.want || !ValidSessionName(got) {
			t.Errorf("SanitizeSessionName(%q) = %q (valid %v), want %q", tt.in, got, ValidSessionName(got), tt.want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"1h", time.Hour, ""},
		{"3600", time.Hour, ""},
		{"15m", 15 * time.Minute, ""},
		{"12h", 12 * time.Hour, ""},
		{"900", 15 * time.Minute, ""},
		{"899", 0, "out of range"},
		{"12h1s", 0, "out of range"},
		{"1.5s", 0, "whole number"},
		{"soon", 0, "not a duration"},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseDuration(%q) = %v, %v; want error %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestEnviron(t *testing.T) {
	base := []string{"PATH=/bin", "AWS_PROFILE=prod", "AWS_REGION=eu-west-1", "AWS_ACCESS_KEY_ID=AKIAOLD", "AWS_SESSION_TOKEN=old", "HOME=/h"}
	got := Environ(base, c, nil)
	want := []string{"PATH=/bin", "AWS_REGION=eu-west-1", "HOME=/h",
		"AWS_ACCESS_KEY_ID=ASIAEXAMPLEEXAMPLE01", "AWS_SECRET_ACCESS_KEY=wJalr/XUtnFEMI+K7MDENG", "AWS_SESSION_TOKEN=IQoJ/tok+en="}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Environ:\n got %v\nwant %v", got, want)
	}
	got = Environ(base, c, sandboxVars)
	if got[1] != "HOME=/h" || got[len(got)-1] != "AWS_REGION=us-west-2" || got[len(got)-2] != "AWS_ENDPOINT_URL=http://127.0.0.1:4566" {
		t.Errorf("Environ with endpoint: %v", got)
	}
}

func TestRun(t *testing.T) {
	ctx := context.Background()
	var out, errOut bytes.Buffer
	env := Environ([]string{"PATH=" + os.Getenv("PATH")}, c, nil)
	code, err := Run(ctx, []string{"sh", "-c", `printf '%s %s' "$AWS_ACCESS_KEY_ID" "${AWS_PROFILE-unset}"; exit 7`}, env, nil, &out, &errOut)
	if err != nil || code != 7 || out.String() != "ASIAEXAMPLEEXAMPLE01 unset" {
		t.Errorf("Run = %d, %v, %q", code, err, out.String())
	}
	code, err = Run(ctx, []string{"sh", "-c", "kill -TERM $$"}, env, nil, &out, &errOut)
	if err != nil || code != 128+15 {
		t.Errorf("killed child: %d, %v; want 143", code, err)
	}
	code, err = Run(ctx, []string{"no-such-command-eksaccess"}, env, nil, &out, &errOut)
	var ece *ExitCodeError
	if code != 127 || err == nil || !strings.Contains(err.Error(), "cannot run no-such-command-eksaccess") {
		t.Errorf("missing command: %d, %v", code, err)
	} else if e, ok := err.(*ExitCodeError); !ok || e.ExitCode() != 127 {
		t.Errorf("missing command error %T %v", err, ece)
	}
}

func TestEndpointVars(t *testing.T) {
	got := EndpointVars("http://127.0.0.1:4566", "us-west-2")
	want := []Var{{"AWS_ENDPOINT_URL", "http://127.0.0.1:4566"}, {"AWS_REGION", "us-west-2"}, {"AWS_DEFAULT_REGION", "us-west-2"}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	if v := EndpointVars("", ""); len(v) != 0 {
		t.Fatalf("nothing to point at: got %v", v)
	}
}

func TestWriteDispatchesOnFormat(t *testing.T) {
	for format, want := range map[Format]string{
		FormatEnv:               "export AWS_ACCESS_KEY_ID=" + c.AccessKeyID,
		FormatJSON:              `"AssumedRoleArn": "` + c.AssumedRoleArn + `"`,
		FormatCredentialProcess: `"Version": 1`,
	} {
		var b strings.Builder
		if err := Write(&b, format, Bash, c, nil, c.Expiration.Add(-time.Hour)); err != nil || !strings.Contains(b.String(), want) {
			t.Errorf("Write(%s) = %q, %v; want it to contain %q", format, b.String(), err, want)
		}
	}
}
