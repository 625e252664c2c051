package cli

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"eksaccess/internal/iostreams"
	"eksaccess/internal/usecase"
)

// These tests check argv → request through each command's injected run function: no
// server, no AWS call, as gh's TestNewCmd* do.

func testFactory() *Factory {
	io, _, _, _ := iostreams.Test()
	f := newFactory(io)
	f.Getenv = func(string) string { return "" }
	f.Now = func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }
	return f
}

// parse runs cmd with args and returns the error its RunE (or flag parsing) returned.
func parse(cmd *cobra.Command, args ...string) error {
	cmd.SetArgs(args)
	cmd.SetOut(new(strings.Builder))
	cmd.SetErr(new(strings.Builder))
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &UsageError{Err: err} })
	return cmd.Execute()
}

// argvTable is a table of argv → request cases: a case with wantErr must be a usage error
// (exit 2) that never reaches the run function; the others must reach it with want.
type argvTable[R any] []struct {
	args    []string
	want    R
	wantErr string
}

// run parses each case with the command newCmd builds and checks the request req takes
// out of the options its run function received.
func (tests argvTable[R]) run(t *testing.T, newCmd func(*Factory, func(*R) error) *cobra.Command) {
	t.Helper()
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			var got *R
			err := parse(newCmd(testFactory(), func(r *R) error { got = r; return nil }), tc.args...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || exitCodeOf(err) != ExitInput || got != nil {
					t.Fatalf("err = %v (exit %d), want %q and no run", err, exitCodeOf(err), tc.wantErr)
				}
				return
			}
			if err != nil || got == nil {
				t.Fatalf("err = %v", err)
			}
			if !reflect.DeepEqual(*got, tc.want) {
				t.Fatalf("request\n%+v\nwant\n%+v", *got, tc.want)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestGrantArgvToRequest(t *testing.T) {
	t.Parallel()
	argvTable[usecase.GrantRequest]{
		{args: []string{"-c", "ml", "--policy", "AmazonEKSViewPolicy", "alice", "role/ops"},
			want: usecase.GrantRequest{AccessTarget: usecase.AccessTarget{Cluster: usecase.ClusterRef{Name: "ml"}, Principals: usecase.Principals{Args: []string{"alice", "role/ops"}}, Policies: []string{"AmazonEKSViewPolicy"}}, Type: "STANDARD", Concurrency: 16}},
		{args: []string{"--hyperpod", "hp", "--policy", "AmazonEKSEditPolicy", "-n", "a", "--namespace", "dev-*", "--users-file", "u.txt", "--iam-group", "g", "--group", "x", "--username", " team:{{SessionName}} ", "--expires", "30d", "--dry-run", "--concurrency", "4"},
			want: usecase.GrantRequest{AccessTarget: usecase.AccessTarget{Cluster: usecase.ClusterRef{HyperPod: "hp"}, Principals: usecase.Principals{Args: []string{}, UsersFiles: []string{"u.txt"}, IAMGroups: []string{"g"}},
				Policies: []string{"AmazonEKSEditPolicy"}, Namespaces: []string{"a", "dev-*"}}, Groups: []string{"x"}, Username: ptr("team:{{SessionName}}"), Type: "STANDARD", Expires: "30d", DryRun: true, Concurrency: 4}},
		{args: []string{"-c", "ml", "--type", "ec2_linux", "role/node"},
			want: usecase.GrantRequest{AccessTarget: usecase.AccessTarget{Cluster: usecase.ClusterRef{Name: "ml"}, Principals: usecase.Principals{Args: []string{"role/node"}}}, Type: "EC2_LINUX", Concurrency: 16}},
		{args: []string{"-c", "ml", "alice"}, wantErr: "name at least one access policy"},
		{args: []string{"-c", "ml", "--policy", "P"}, wantErr: "name who gets access"},
		{args: []string{"--policy", "P", "alice"}, wantErr: "name a cluster with -c CLUSTER"},
		{args: []string{"-c", "ml", "--policy", "P", "--expires=", "alice"}, wantErr: "--expires: empty value"},
		{args: []string{"-c", "ml", "--policy", "P", "--username", "alice{{SessionName}}", "alice"}, wantErr: "--username"},
		{args: []string{"-c", "ml", "--policy", "P", "--concurrency", "0", "alice"}, wantErr: "--concurrency must be between 1 and 256"},
		{args: []string{"-c", "ml", "-n", "a", "--group", "g", "alice"}, wantErr: "--namespace scopes access policies"},
	}.run(t, func(f *Factory, runF func(*usecase.GrantRequest) error) *cobra.Command {
		return newGrantCmd(f, func(o *grantOptions) error { return runF(&o.Req) })
	})
}

func TestRevokeArgvToRequest(t *testing.T) {
	t.Parallel()
	var got *usecase.RevokeRequest
	err := parse(newRevokeCmd(testFactory(), func(o *revokeOptions) error { got = &o.Req; return nil }),
		"-c", "ml", "--policy", "AmazonEKSViewPolicy", "-n", "b", "--force", "arn:aws:iam::111122223333:user/x", "--dry-run", "bob")
	want := usecase.RevokeRequest{AccessTarget: usecase.AccessTarget{Cluster: usecase.ClusterRef{Name: "ml"}, Principals: usecase.Principals{Args: []string{"bob"}}, Policies: []string{"AmazonEKSViewPolicy"},
		Namespaces: []string{"b"}}, Force: []string{"arn:aws:iam::111122223333:user/x"}, DryRun: true, Concurrency: 16}
	if err != nil || got == nil || !reflect.DeepEqual(*got, want) {
		t.Fatalf("err %v request %+v", err, got)
	}
	for _, args := range [][]string{{"-c", "ml"}, {"-c", "ml", "-n", "b", "bob"}, {"-c", "bad name", "bob"}} {
		got = nil
		if err := parse(newRevokeCmd(testFactory(), func(o *revokeOptions) error { got = &o.Req; return nil }), args...); exitCodeOf(err) != ExitInput || got != nil {
			t.Errorf("%v: err %v", args, err)
		}
	}
}

func TestFileCommandsArgvToRequest(t *testing.T) {
	t.Parallel()
	want := usecase.FileRequest{File: "a.yaml", Prune: true, Force: []string{"arn:aws:iam::111122223333:user/x"}, Concurrency: 8, AllowOutsidePaths: true}
	args := []string{"-f", "a.yaml", "--prune", "--force", "arn:aws:iam::111122223333:user/x", "--concurrency", "8", "--allow-outside-paths"}
	var gotPlan *planOptions
	if err := parse(newPlanCmd(testFactory(), func(o *planOptions) error { gotPlan = o; return nil }), append(args, "--detailed-exitcode")...); err != nil || !reflect.DeepEqual(gotPlan.Req, want) || !gotPlan.detailed {
		t.Fatalf("plan: %v %+v", err, gotPlan)
	}
	var gotApply *applyOptions
	if err := parse(newApplyCmd(testFactory(), func(o *applyOptions) error { gotApply = o; return nil }), append(args, "--yes")...); err != nil || !reflect.DeepEqual(gotApply.Req, want) || !gotApply.yes {
		t.Fatalf("apply: %v %+v", err, gotApply)
	}
	if err := parse(newPlanCmd(testFactory(), func(*planOptions) error { t.Fatal("ran"); return nil })); exitCodeOf(err) != ExitInput || !strings.Contains(err.Error(), "-f FILE") {
		t.Fatalf("plan without -f: %v", err)
	}
	if err := parse(newApplyCmd(testFactory(), func(*applyOptions) error { t.Fatal("ran"); return nil }), "-f", "a.yaml", "--force", "alice"); exitCodeOf(err) != ExitInput {
		t.Fatalf("apply --force NAME: %v", err)
	}
}

func TestAuthModeExpireExportMigrateArgvToRequest(t *testing.T) {
	t.Parallel()
	var am *authModeOptions
	if err := parse(newAuthModeCmd(testFactory(), func(o *authModeOptions) error { am = o; return nil }), "-c", "legacy", "--set", "api", "--yes", "--force", "arn:aws:eks:us-west-2:111122223333:cluster/legacy"); err != nil ||
		!reflect.DeepEqual(am.Req, usecase.AuthModeRequest{Cluster: usecase.ClusterRef{Name: "legacy"}, Set: "API", Force: []string{"arn:aws:eks:us-west-2:111122223333:cluster/legacy"}}) || !am.yes {
		t.Fatalf("auth-mode: %v %+v", err, am)
	}
	if err := parse(newAuthModeCmd(testFactory(), func(*authModeOptions) error { t.Fatal("ran"); return nil }), "-c", "legacy", "--set", "CONFIG_MAP"); exitCodeOf(err) != ExitInput {
		t.Fatalf("auth-mode backwards: %v", err)
	}
	var ex *expireOptions
	if err := parse(newExpireCmd(testFactory(), func(o *expireOptions) error { ex = o; return nil }), "-f", "a.yaml", "--dry-run", "--force", "x"); err != nil ||
		!reflect.DeepEqual(ex.Req, usecase.ExpireRequest{File: "a.yaml", DryRun: true, Force: []string{"x"}, Concurrency: 16}) {
		t.Fatalf("expire: %v %+v", err, ex)
	}
	if err := parse(newExpireCmd(testFactory(), func(*expireOptions) error { t.Fatal("ran"); return nil }), "-f", "a.yaml", "-c", "ml"); exitCodeOf(err) != ExitInput {
		t.Fatalf("expire -f and -c: %v", err)
	}
	var exp *exportOptions
	if err := parse(newExportCmd(testFactory(), func(o *exportOptions) error { exp = o; return nil }), "-c", "a", "-c", "b", "--output-file", "x.yaml"); err != nil ||
		!reflect.DeepEqual(exp.Req, usecase.ExportRequest{Clusters: []string{"a", "b"}, Concurrency: 16}) || exp.outFile != "x.yaml" {
		t.Fatalf("export: %v %+v", err, exp)
	}
	var mg *migrateOptions
	if err := parse(newMigrateAwsAuthCmd(testFactory(), func(o *migrateOptions) error { mg = o; return nil }), "--hyperpod", "hp", "--from", "cm.yaml", "--out", "a.yaml"); err != nil ||
		!reflect.DeepEqual(mg.Req, usecase.MigrateRequest{Cluster: usecase.ClusterRef{HyperPod: "hp"}, From: "cm.yaml"}) || mg.out != "a.yaml" {
		t.Fatalf("migrate: %v %+v", err, mg)
	}
}

func TestRoleCreateArgvToRequest(t *testing.T) {
	t.Parallel()
	var got *roleCreateOptions
	err := parse(newRoleCreateCmd(testFactory(), func(o *roleCreateOptions) error { got = o; return nil }),
		"Shared", "--require-mfa", "--max-session", "4h", "--trust", "account", "--grant", "-c", "ml", "--policy", "AmazonEKSClusterAdminPolicy", "--namespace", "a", "--adopt", "--yes", "--dry-run")
	if err != nil || got == nil {
		t.Fatalf("err %v", err)
	}
	r := got.Req
	if r.Spec.RoleName != "Shared" || !r.Spec.RequireMFA || r.Spec.MaxSession != 4*3600 || !r.DryRun || r.Adopt == nil ||
		!reflect.DeepEqual(r.Grant, &usecase.RoleGrant{Cluster: usecase.ClusterRef{Name: "ml"}, Policies: []string{"AmazonEKSClusterAdminPolicy"}, Namespaces: []string{"a"}}) {
		t.Fatalf("request %+v grant %+v", r, r.Grant)
	}
	for _, args := range [][]string{{"R", "-c", "ml"}, {"R", "--grant", "-c", "ml"}, {"R", "--yes"}, {"R", "--max-session", "30m"}} {
		got = nil
		if err := parse(newRoleCreateCmd(testFactory(), func(o *roleCreateOptions) error { got = o; return nil }), args...); exitCodeOf(err) != ExitInput || got != nil {
			t.Errorf("%v: err %v", args, err)
		}
	}
}
