package cli

import (
	"context"
	"os"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"eksaccess/internal/buildinfo"
	"eksaccess/internal/iostreams"
	"eksaccess/internal/stalltest"
)

// Flag help names no backticked words as value types (pflag's UnquoteUsage turns
// "`eksaccess expire`" into the type of --expires) and shows no [=true|false] on booleans.
func TestFlagHelpHasNoBacktickTypesNorBoolValues(t *testing.T) {
	io, _, _, _ := iostreams.Test()
	root := NewRootCmd(newFactory(io))
	root.InitDefaultHelpFlag()
	root.InitDefaultVersionFlag()
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.InitDefaultHelpFlag()
		check := func(fs *pflag.FlagSet) {
			fs.VisitAll(func(fl *pflag.Flag) {
				if strings.Contains(fl.Usage, "`") {
					name, _ := pflag.UnquoteUsage(fl)
					t.Errorf("%s --%s: usage has backticks, so help shows %q as its value type: %q", c.CommandPath(), fl.Name, name, fl.Usage)
				}
			})
			if u := fs.FlagUsages(); strings.Contains(u, "[=true|false]") {
				t.Errorf("%s: flag help shows [=true|false]:\n%s", c.CommandPath(), u)
			}
		}
		check(c.LocalFlags())
		check(c.InheritedFlags())
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

func TestVersionFromBuildInfo(t *testing.T) {
	t.Parallel()
	vcs := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	for _, tc := range []struct {
		name, override string
		bi             *debug.BuildInfo
		want           string
	}{
		{"ldflags wins", "v1.4.0", &debug.BuildInfo{Main: debug.Module{Version: "v1.3.0"}}, "v1.4.0"},
		{"module version", "dev", &debug.BuildInfo{Main: debug.Module{Version: "v1.3.0"}}, "v1.3.0"},
		{"pseudo version", "dev", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261201221500-f18563e0c1a2"}}, "v0.0.0-20261201221500-f18563e0c1a2"},
		{"vcs revision", "dev", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: vcs("vcs.revision", "f18563e0c1a2b3c4d5e6", "vcs.time", "2026-12-01T22:15:00Z", "vcs.modified", "false")}, "dev-f18563e0c1a2 (2026-12-01T22:15:00Z)"},
		{"dirty tree", "dev", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: vcs("vcs.revision", "f18563e0c1a2b3c4d5e6", "vcs.modified", "true")}, "dev-f18563e0c1a2-dirty"},
		{"nothing stamped", "dev", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev"},
		{"no build info", "dev", nil, "dev"},
	} {
		if got := buildinfo.From(tc.override, tc.bi); got != tc.want {
			t.Errorf("%s: From = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// Bad input found in the arguments is a usage error (exit 2) before any AWS call.
func TestUsageErrorsBeforeAnyCall(t *testing.T) {
	h := newSBHarness(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"entries", "show", "-c", "hyperpod-demo", ""}, "PRINCIPAL is empty"},
		{[]string{"entries", "show", "-c", "hyperpod-demo", "  "}, "PRINCIPAL is empty"},
		{[]string{"grant", "-c", "hyperpod-demo", "--policy", "AmazonEKSViewPolicy", "--expires=", "alice"}, "--expires: empty value"},
		{[]string{"grant", "-c", "hyperpod-demo", "--policy", "AmazonEKSViewPolicy", "--expires", " ", "alice"}, "--expires: empty value"},
		{[]string{"--timeout", "0s", "entries", "list", "-c", "hyperpod-demo"}, "--timeout 0s is out of range"},
		{[]string{"--timeout", "-1s", "entries", "list", "-c", "hyperpod-demo"}, "--timeout -1s is out of range"},
		{[]string{"role", "create", "X", "--yes"}, "--yes goes with --adopt"},
		// One username validator: the access-file loader refused this, --username accepted it.
		{[]string{"grant", "-c", "hyperpod-demo", "--policy", "AmazonEKSViewPolicy", "--username", "alice{{SessionName}}", "alice"}, `--username: username "alice{{SessionName}}" needs a colon before {{SessionName}}`},
		{[]string{"grant", "-c", "hyperpod-demo", "--policy", "AmazonEKSViewPolicy", "--username", "a:{{AccountID}}", "alice"}, `uses {{AccountID}}, which EKS access entries do not support`},
	} {
		before := len(h.srv.Requests())
		_, errOut, code := h.run(tc.args...)
		if code != ExitInput || !strings.Contains(errOut, tc.want) {
			t.Errorf("eksaccess %q: exit %d, stderr %q; want exit 2 and %q", tc.args, code, errOut, tc.want)
		}
		if n := len(h.srv.Requests()) - before; n != 0 {
			t.Errorf("eksaccess %q: %d AWS call(s) before the usage error", tc.args, n)
		}
	}
}

func setStaticAWSEnv(t *testing.T) {
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIAEXAMPLEEXAMPLE00", "AWS_SECRET_ACCESS_KEY": "c2VjcmV0LW5ldmVyLXByaW50ZWQ", "AWS_REGION": "us-west-2",
		"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_PROFILE": "", "AWS_SESSION_TOKEN": "", "AWS_ENDPOINT_URL": "", "EKSACCESS_TIMEOUT": "",
	} {
		t.Setenv(k, v)
	}
	t.Setenv("XDG_STATE_HOME", t.TempDir())
}

// A stalled endpoint (accepts, never answers) is a clear error within the timeout that names
// the endpoint and the flag, attempts are not retried into minutes, and -v shows the attempt.
func TestStalledEndpointTimesOut(t *testing.T) {
	setStaticAWSEnv(t)
	stall := stalltest.Listen(t)
	addr := stall.Addr()
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"flag", []string{"--timeout", "300ms"}, nil},
		{"env", nil, map[string]string{"EKSACCESS_TIMEOUT": "300ms"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			io, _, out, errOut := iostreams.Test()
			args := append(append([]string{"--endpoint-url", "http://" + addr, "-v"}, tc.args...), "entries", "list", "-c", "ml-prod")
			getenv := func(k string) string {
				if v, ok := tc.env[k]; ok {
					return v
				}
				return os.Getenv(k)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			start := time.Now()
			code := Run(ctx, args, io, getenv)
			took := time.Since(start)
			if code != ExitFailure {
				t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", code, out, errOut)
			}
			if took > 5*time.Second {
				t.Errorf("took %s against a stalled endpoint with a 300ms timeout", took)
			}
			msg := errOut.String()
			mustContain(t, "stderr", msg, "http://"+addr, "did not answer within 300ms", "--timeout", "EKSACCESS_TIMEOUT", "aws: EKS.DescribeCluster - timeout")
			if strings.Contains(msg, "c2VjcmV0LW5ldmVyLXByaW50ZWQ") {
				t.Errorf("stderr shows the secret key:\n%s", msg)
			}
			if stall.Accepted() == 0 {
				t.Errorf("the stalled listener saw no connection: the test did not test a stall")
			}
		})
	}
}

func TestTimeoutFromEnvIsChecked(t *testing.T) {
	setStaticAWSEnv(t)
	io, _, _, errOut := iostreams.Test()
	code := Run(context.Background(), []string{"entries", "list", "-c", "ml-prod"}, io, func(k string) string {
		if k == "EKSACCESS_TIMEOUT" {
			return "soon"
		}
		return os.Getenv(k)
	})
	if code != ExitInput || !strings.Contains(errOut.String(), `EKSACCESS_TIMEOUT: "soon" is not a duration`) {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}
