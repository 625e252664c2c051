package cli

import (
	"bytes"
	"context"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"eksaccess/internal/creds"
	"eksaccess/internal/iostreams"
	"eksaccess/internal/kubeauth"
	"eksaccess/internal/usecase"
)

// execCmd runs one command built on a factory that has no server behind it: the injected
// run function receives the options, so these tests check argv → request only.
func execCmd(t *testing.T, build func(*Factory) *cobra.Command, args ...string) (stderr string, code int) {
	t.Helper()
	ios, _, _, errOut := iostreams.Test()
	f := newFactory(ios)
	f.Getenv = func(string) string { return "" }
	cmd := build(f)
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	if err != nil {
		var b bytes.Buffer
		b.WriteString(errOut.String())
		b.WriteString("error: " + err.Error())
		return b.String(), exitCodeOf(err)
	}
	return errOut.String(), 0
}

// argvCase is one argv → request case of a command test: the request the run function
// receives (code 0), or the exit code and a part of stderr (and the run function not called).
type argvCase[R any] struct {
	name    string
	args    []string
	want    R
	code    int
	wantErr string
}

// checkArgv runs each case through the command newCmd builds; req takes the request out of
// the options the run function received.
func checkArgv[O, R any](t *testing.T, cases []argvCase[R], newCmd func(*Factory, func(*O) error) *cobra.Command, req func(*O) R) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got *O
			stderr, code := execCmd(t, func(f *Factory) *cobra.Command {
				return newCmd(f, func(o *O) error { got = o; return nil })
			}, tc.args...)
			if code != tc.code || (tc.wantErr != "" && !strings.Contains(stderr, tc.wantErr)) {
				t.Fatalf("exit %d, stderr %q; want exit %d, %q", code, stderr, tc.code, tc.wantErr)
			}
			if tc.code == 0 && (got == nil || !reflect.DeepEqual(req(got), tc.want)) {
				t.Fatalf("request %+v, want %+v", got, tc.want)
			}
			if tc.code != 0 && got != nil {
				t.Fatalf("bad input reached the run function: %+v", req(got))
			}
		})
	}
}

func TestNewCmdCanI(t *testing.T) {
	t.Parallel()
	checkArgv(t, []argvCase[usecase.CanIRequest]{
		{name: "all flags", args: []string{"-c", "demo", "alice", "create", "pods", "-n", "team-a", "--subresource", "exec", "--api-group", ""},
			want: usecase.CanIRequest{Cluster: usecase.ClusterRef{Name: "demo"}, Principal: "alice", Request: usecase.KubeRequest{Verb: "create", Resource: "pods", Namespace: "team-a", Subresource: "exec"}}},
		{name: "hyperpod", args: []string{"--hyperpod", "hp", "role/x", "get", "deployments.apps"},
			want: usecase.CanIRequest{Cluster: usecase.ClusterRef{HyperPod: "hp"}, Principal: "role/x", Request: usecase.KubeRequest{Verb: "get", Resource: "deployments.apps"}}},
		{name: "no cluster", args: []string{"alice", "get", "pods"}, code: 2, wantErr: "name a cluster with -c CLUSTER"},
		{name: "two clusters", args: []string{"-c", "a", "--hyperpod", "b", "alice", "get", "pods"}, code: 2, wantErr: "-c and --hyperpod both name a cluster"},
		{name: "arguments", args: []string{"-c", "demo", "alice", "get"}, code: 2, wantErr: "takes 3 argument(s): PRINCIPAL VERB RESOURCE (got 2)"},
		{name: "bad namespace", args: []string{"-c", "demo", "alice", "get", "pods", "-n", "Team_A"}, code: 2, wantErr: "-n: "},
		{name: "bad verb", args: []string{"-c", "demo", "alice", "get:x", "pods"}, code: 2, wantErr: `verb "get:x" is not a Kubernetes verb`},
		{name: "url with namespace", args: []string{"-c", "demo", "alice", "get", "/healthz", "-n", "x"}, code: 2, wantErr: "/healthz is a non-resource URL"},
		{name: "empty principal", args: []string{"-c", "demo", " ", "get", "pods"}, code: 2, wantErr: "PRINCIPAL is empty"},
	}, newCanICmd, func(o *canIOptions) usecase.CanIRequest { return o.Req })
}

func TestNewCmdCanINotes(t *testing.T) {
	t.Parallel()
	stderr, code := execCmd(t, func(f *Factory) *cobra.Command {
		return newCanICmd(f, func(o *canIOptions) error { return nil })
	}, "-c", "demo", "alice", "list", "widgets")
	if code != 0 || !strings.HasPrefix(stderr, `note: eksaccess does not know resource "widgets"`) {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

func TestNewCmdWhoCan(t *testing.T) {
	t.Parallel()
	checkArgv(t, []argvCase[usecase.WhoCanRequest]{
		{name: "namespaced", args: []string{"-c", "demo", "get", "secrets", "-n", "team-a"},
			want: usecase.WhoCanRequest{Cluster: usecase.ClusterRef{Name: "demo"}, Request: usecase.KubeRequest{Verb: "get", Resource: "secrets", Namespace: "team-a"}}},
		{name: "url", args: []string{"--hyperpod", "hp", "get", "/healthz"},
			want: usecase.WhoCanRequest{Cluster: usecase.ClusterRef{HyperPod: "hp"}, Request: usecase.KubeRequest{Verb: "get", Resource: "/healthz"}}},
		{name: "arguments", args: []string{"-c", "demo", "get"}, code: 2, wantErr: "takes 2 argument(s): VERB RESOURCE (got 1)"},
		{name: "bad cluster", args: []string{"-c", "-demo", "get", "pods"}, code: 2, wantErr: `cluster name "-demo" is not valid`},
		{name: "two subresources", args: []string{"-c", "demo", "get", "pods/log", "--subresource", "exec"}, code: 2, wantErr: "names subresource log but --subresource says exec"},
	}, newWhoCanCmd, func(o *whoCanOptions) usecase.WhoCanRequest { return o.Req })
}

func TestNewCmdVerify(t *testing.T) {
	t.Parallel()
	checkArgv(t, []argvCase[usecase.VerifyRequest]{
		{name: "live with role", args: []string{"-c", "demo", "--role", "EKSFullAccessRole", "--session-name", "alice", "--check", "list:pods:a", "--check", "!get:/metrics"},
			want: usecase.VerifyRequest{Cluster: usecase.ClusterRef{Name: "demo"}, As: usecase.AsRole{Role: "EKSFullAccessRole", SessionName: "alice"}, Checks: []string{"list:pods:a", "!get:/metrics"}}},
		{name: "offline", args: []string{"--hyperpod", "hp", "--as-principal", "alice"},
			want: usecase.VerifyRequest{Cluster: usecase.ClusterRef{HyperPod: "hp"}, AsPrincipal: "alice"}},
		{name: "both", args: []string{"-c", "demo", "--role", "r", "--as-principal", "alice"}, code: 2, wantErr: "--as-principal and --role both say whom to check"},
		{name: "session without role", args: []string{"-c", "demo", "--session-name", "s1"}, code: 2, wantErr: "add --role ROLE"},
		{name: "bad check", args: []string{"-c", "demo", "--check", "list:pods:Team_A"}, code: 2, wantErr: `--check "list:pods:Team_A": -n: `},
		{name: "arguments", args: []string{"-c", "demo", "extra"}, code: 2, wantErr: "takes no arguments"},
	}, newVerifyCmd, func(o *verifyOptions) usecase.VerifyRequest { return o.Req })
}

func TestNewCmdToken(t *testing.T) {
	t.Parallel()
	checkArgv(t, []argvCase[usecase.TokenRequest]{
		{name: "plain", args: []string{"-c", "demo"}, want: usecase.TokenRequest{Cluster: usecase.ClusterRef{Name: "demo"}}},
		{name: "role", args: []string{"--hyperpod", "hp", "--role", "role/teams/x", "--session-name", "alice"},
			want: usecase.TokenRequest{Cluster: usecase.ClusterRef{HyperPod: "hp"}, As: usecase.AsRole{Role: "role/teams/x", SessionName: "alice"}}},
		{name: "user ARN", args: []string{"-c", "demo", "--role", "arn:aws:iam::111122223333:user/alice"}, code: 2, wantErr: "is a user ARN"},
		{name: "short session", args: []string{"-c", "demo", "--role", "x", "--session-name", "b"}, code: 2, wantErr: `--session-name: session name "b" is too short`},
	}, newTokenCmd, func(o *tokenOptions) usecase.TokenRequest { return o.Req })
}

func TestNewCmdKubeconfig(t *testing.T) {
	t.Parallel()
	var got *kubeconfigOptions
	_, code := execCmd(t, func(f *Factory) *cobra.Command {
		f.EndpointURL, f.Profile = "http://127.0.0.1:4566", "dev"
		return newKubeconfigCmd(f, func(o *kubeconfigOptions) error { got = o; return nil })
	}, "-c", "demo", "--role", "EKSFullAccessRole", "--alias", "team-a", "--kubeconfig", "/tmp/kc")
	if code != 0 || got == nil {
		t.Fatalf("exit %d", code)
	}
	want := usecase.KubeconfigRequest{TokenRequest: usecase.TokenRequest{Cluster: usecase.ClusterRef{Name: "demo"}, As: usecase.AsRole{Role: "EKSFullAccessRole"}}, Alias: "team-a", Path: "/tmp/kc",
		Plugin: usecase.Plugin{Command: got.Req.Plugin.Command, Args: []string{"--endpoint-url", "http://127.0.0.1:4566", "--profile", "dev"},
			Env: []kubeauth.EnvVar{{Name: "AWS_PROFILE", Value: "dev"}}}}
	if !reflect.DeepEqual(got.Req, want) || got.Req.Plugin.Command == "" || got.sandbox != nil {
		t.Fatalf("request %+v\nwant %+v", got.Req, want)
	}
	// --assume-role (and how it is assumed) goes into the plugin, so kubectl gets the same identity.
	_, code = execCmd(t, func(f *Factory) *cobra.Command {
		f.Profile, f.AssumeRole, f.ExternalID, f.RoleSessionName = "dev", "arn:aws:iam::444455556666:role/Admin", "ext-1", "platform"
		return newKubeconfigCmd(f, func(o *kubeconfigOptions) error { got = o; return nil })
	}, "-c", "demo")
	if wantArgs := []string{"--profile", "dev", "--assume-role", "arn:aws:iam::444455556666:role/Admin", "--external-id", "ext-1", "--role-session-name", "platform"}; code != 0 || !reflect.DeepEqual(got.Req.Plugin.Args, wantArgs) {
		t.Fatalf("exit %d, plugin args %q, want %q", code, got.Req.Plugin.Args, wantArgs)
	}
	stderr, code := execCmd(t, func(f *Factory) *cobra.Command {
		return newKubeconfigCmd(f, func(o *kubeconfigOptions) error { t.Error("bad input ran"); return nil })
	}, "-c", "demo", "--role", "role/x/")
	if code != 2 || !strings.Contains(stderr, "--role: ") {
		t.Fatalf("exit %d, %s", code, stderr)
	}
}

// assumeArgv is what assume takes from argv: the request, a command to run, how to print.
type assumeArgv struct {
	Req     usecase.AssumeRequest
	command []string
	format  creds.Format
}

func TestNewCmdAssume(t *testing.T) {
	t.Parallel()
	checkArgv(t, []argvCase[assumeArgv]{
		{name: "env", args: []string{"EKSFullAccessRole"}, want: assumeArgv{Req: usecase.AssumeRequest{As: usecase.AsRole{Role: "EKSFullAccessRole"}}, format: creds.FormatEnv}},
		{name: "all flags", args: []string{"role/x", "--session-name", "ci-job.42", "--duration", "900", "--mfa-serial", "arn:aws:iam::111122223333:mfa/alice", "--token-code", "123456", "--format", "json"},
			want: assumeArgv{Req: usecase.AssumeRequest{As: usecase.AsRole{Role: "role/x", SessionName: "ci-job.42"}, Duration: 15 * time.Minute, MFASerial: "arn:aws:iam::111122223333:mfa/alice", TokenCode: "123456"},
				format: creds.FormatJSON}},
		{name: "command", args: []string{"R", "--", "kubectl", "get", "pods"}, want: assumeArgv{Req: usecase.AssumeRequest{As: usecase.AsRole{Role: "R"}}, command: []string{"kubectl", "get", "pods"}, format: creds.FormatEnv}},
		{name: "two roles", args: []string{"R", "S"}, code: 2, wantErr: "takes one ROLE"},
		{name: "format with command", args: []string{"R", "--format", "json", "--", "true"}, code: 2, wantErr: "--format and --shell choose how credentials are printed"},
		{name: "code without serial", args: []string{"R", "--token-code", "123456"}, code: 2, wantErr: "--mfa-serial and --token-code go together"},
		{name: "duration", args: []string{"R", "--duration", "5m"}, code: 2, wantErr: "--duration 5m0s is out of range"},
	}, newAssumeCmd, func(o *assumeOptions) assumeArgv { return assumeArgv{o.Req, o.command, o.format} })
}

func TestNewCmdEntriesClustersPolicies(t *testing.T) {
	t.Parallel()
	var list *entriesListOptions
	if stderr, code := execCmd(t, func(f *Factory) *cobra.Command {
		return newEntriesListCmd(f, func(o *entriesListOptions) error { list = o; return nil })
	}, "--hyperpod", "hp"); code != 0 || list.Req != (usecase.ListEntriesRequest{Cluster: usecase.ClusterRef{HyperPod: "hp"}}) {
		t.Fatalf("entries list: exit %d %s %+v", code, stderr, list)
	}
	var show *entriesShowOptions
	if stderr, code := execCmd(t, func(f *Factory) *cobra.Command {
		return newEntriesShowCmd(f, func(o *entriesShowOptions) error { show = o; return nil })
	}, "-c", "demo", " alice "); code != 0 || show.Req != (usecase.ShowEntryRequest{Cluster: usecase.ClusterRef{Name: "demo"}, Principal: "alice"}) {
		t.Fatalf("entries show: exit %d %s %+v", code, stderr, show)
	}
	for _, tc := range []struct {
		build   func(*Factory) *cobra.Command
		args    []string
		wantErr string
	}{
		{func(f *Factory) *cobra.Command { return newEntriesShowCmd(f, nil) }, []string{"-c", "demo", ""}, "PRINCIPAL is empty"},
		{func(f *Factory) *cobra.Command { return newEntriesShowCmd(f, nil) }, []string{"-c", "demo"}, "takes 1 argument(s): PRINCIPAL"},
		{func(f *Factory) *cobra.Command { return newEntriesListCmd(f, nil) }, []string{}, "name a cluster with -c CLUSTER"},
		{func(f *Factory) *cobra.Command { return newClustersCmd(f, nil) }, []string{"x"}, "takes no arguments"},
		{func(f *Factory) *cobra.Command { return newPoliciesCmd(f, nil) }, []string{"x"}, "takes no arguments"},
	} {
		stderr, code := execCmd(t, tc.build, tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.wantErr) {
			t.Fatalf("%v: exit %d, %q; want %q", tc.args, code, stderr, tc.wantErr)
		}
	}
	ran := 0
	for _, build := range []func(*Factory) *cobra.Command{
		func(f *Factory) *cobra.Command {
			return newClustersCmd(f, func(*clustersOptions) error { ran++; return nil })
		},
		func(f *Factory) *cobra.Command {
			return newPoliciesCmd(f, func(*policiesOptions) error { ran++; return nil })
		},
	} {
		if _, code := execCmd(t, build); code != 0 {
			t.Fatalf("exit %d", code)
		}
	}
	if ran != 2 {
		t.Fatalf("ran %d", ran)
	}
}

func TestAssumeRenderNotesAnInProcessSandbox(t *testing.T) {
	t.Parallel()
	for _, inProcess := range []bool{false, true} {
		ios, _, out, errOut := iostreams.Test()
		o := &assumeOptions{io: ios, format: creds.FormatEnv, shell: creds.Bash, now: func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) },
			endpoint:         func(region string) []creds.Var { return []creds.Var{{Name: "AWS_REGION", Value: region}} },
			inProcessSandbox: func() bool { return inProcess }}
		res := &usecase.AssumeResult{Region: "us-west-2", Credentials: creds.Credentials{AccessKeyID: "ASIAX", SecretAccessKey: "s", SessionToken: "t",
			Expiration: time.Date(2026, 3, 1, 13, 0, 0, 0, time.UTC)}}
		if err := o.render(context.Background(), res, nil); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(out.String(), "export AWS_ACCESS_KEY_ID=ASIAX\n") || !strings.Contains(out.String(), "export AWS_REGION=us-west-2\n") {
			t.Fatalf("stdout %q", out)
		}
		if got := strings.Contains(errOut.String(), "the sandbox ran inside this command and stops with it"); got != inProcess {
			t.Fatalf("in-process %v: stderr %q", inProcess, errOut)
		}
	}
}
