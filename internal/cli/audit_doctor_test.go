package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"eksaccess/internal/iostreams"
	"eksaccess/internal/usecase"

	"github.com/spf13/cobra"
)

func TestAuditArgvToRequest(t *testing.T) {
	t.Parallel()
	argvTable[usecase.AuditRequest]{
		{args: []string{"-c", "a", "-c", "b"}, want: usecase.AuditRequest{ClusterSet: usecase.ClusterSet{Clusters: []string{"a", "b"}}, Concurrency: 16}},
		{args: []string{"--all", "--regions", "us-west-2,eu-west-1", "--concurrency", "4"}, want: usecase.AuditRequest{All: true, Regions: []string{"us-west-2", "eu-west-1"}, Concurrency: 4}},
		{args: []string{"-f", "access.yaml", "--allow-outside-paths"}, want: usecase.AuditRequest{ClusterSet: usecase.ClusterSet{File: "access.yaml"}, AllowOutsidePaths: true, Concurrency: 16}},
		{args: []string{"--all", "--account-role", "arn:aws:iam::444455556666:role/EKSAudit", "--account-role", "arn:aws:iam::777788889999:role/EKSAudit", "--account-external-id", "x-1", "--account-profile", "prod", "--no-default-account"},
			want: usecase.AuditRequest{All: true, NoDefaultAccount: true, Concurrency: 16, Accounts: []usecase.Reach{
				{RoleArn: "arn:aws:iam::444455556666:role/EKSAudit", ExternalID: "x-1"}, {RoleArn: "arn:aws:iam::777788889999:role/EKSAudit", ExternalID: "x-1"}, {Profile: "prod"}}}},
		{args: []string{"-c", "a", "--account-profile", "prod"}, wantErr: "--account-role and --account-profile go with --all"},
		{args: []string{"--all", "--account-role", "role/x"}, wantErr: "--account-role: \"role/x\" is not an IAM role ARN"},
		{args: []string{"--all", "--no-default-account"}, wantErr: "--no-default-account leaves nothing to audit"},
		{args: nil, wantErr: "one of -f FILE, -c CLUSTER... or --all"},
		{args: []string{"-c", "a", "--all"}, wantErr: "one of -f FILE"},
		{args: []string{"-c", "a", "--regions", "us-east-1"}, wantErr: "--regions goes with --all"},
		{args: []string{"--all", "--regions", "mars"}, wantErr: "not an AWS region"},
		{args: []string{"-c", "-x"}, wantErr: "not valid"},
		{args: []string{"-c", "a", "extra"}, wantErr: "takes no arguments"},
	}.run(t, func(f *Factory, runF func(*usecase.AuditRequest) error) *cobra.Command {
		return newAuditCmd(f, func(o *auditOptions) error { return runF(&o.Req) })
	})
}

func TestDoctorArgvToRequest(t *testing.T) {
	t.Parallel()
	argvTable[usecase.DoctorRequest]{
		{args: []string{"-c", "a", "--fix", "--force", "arn:x"}, want: usecase.DoctorRequest{ClusterSet: usecase.ClusterSet{Clusters: []string{"a"}}, Fix: true, Force: []string{"arn:x"}, Concurrency: 16}},
		{args: []string{"-f", "access.yaml"}, want: usecase.DoctorRequest{ClusterSet: usecase.ClusterSet{File: "access.yaml"}, Concurrency: 16}},
		{args: nil, wantErr: "-c CLUSTER... or -f FILE"},
		{args: []string{"-c", "a", "-f", "x.yaml"}, wantErr: "one of them"},
		{args: []string{"-c", "a", "--concurrency", "0"}, wantErr: "--concurrency"},
	}.run(t, func(f *Factory, runF func(*usecase.DoctorRequest) error) *cobra.Command {
		return newDoctorCmd(f, func(o *doctorOptions) error { return runF(&o.Req) })
	})
}

func auditFixture() *usecase.AuditResult {
	t0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	return &usecase.AuditResult{GeneratedAt: t0,
		Clusters: []usecase.AuditCluster{{AuditTarget: usecase.AuditTarget{Account: "111122223333", Region: "us-west-2", Cluster: "a"}, Entries: 1},
			{AuditTarget: usecase.AuditTarget{Account: "111122223333", Region: "us-west-2", Cluster: "gone"}, Error: "cluster \"gone\" not found"},
			{AuditTarget: usecase.AuditTarget{Account: "777788889999", Reach: "role arn:aws:iam::777788889999:role/EKSAudit"}, Error: "AccessDenied"}},
		Rows: []usecase.AuditRow{{Account: "111122223333", Region: "us-west-2", Cluster: "a", Principal: "arn:aws:iam::111122223333:user/alice", EntryType: "STANDARD",
			Grant: "policy", Policy: "AmazonEKSViewPolicy", Scope: "namespace", Namespaces: []string{"team-a"}, Level: "view (namespaces)", Rank: 2, Managed: true, CreatedAt: t0}},
		Summary: usecase.AuditSummary{Clusters: 2, Failed: 1, Principals: 1, Rows: 1, ByLevel: map[string]int{"view (namespaces)": 1}},
	}
}

func TestRunAuditFormats(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ format, has string }{
		{"", "111122223333   a         arn:aws:iam::111122223333:user/alice   STANDARD   AmazonEKSViewPolicy   team-a   view (namespaces)   yes       -         2026-05-01T00:00:00Z"},
		{"csv", "111122223333,us-west-2,a,arn:aws:iam::111122223333:user/alice,STANDARD,,policy,AmazonEKSViewPolicy,namespace,team-a,,,view (namespaces),true,,2026-05-01T00:00:00Z,,"},
		{"json", `"level": "view (namespaces)"`},
		{"html", `const DATA = {"generatedAt":"2026-05-01T00:00:00Z"`},
	} {
		t.Run(tc.format, func(t *testing.T) {
			t.Parallel()
			io, _, out, errOut := iostreams.Test()
			f := newFactory(io)
			f.Output = tc.format
			o := &auditOptions{job: newJob(f, func(context.Context, usecase.AuditRequest) (*usecase.AuditResult, error) { return auditFixture(), nil })}
			if err := o.prepare(nil, auditFormats...); err != nil {
				t.Fatal(err)
			}
			err := runAudit(context.Background(), o)
			if exitCodeOf(err) != ExitFailure {
				t.Errorf("a cluster failed: exit %d, want 1", exitCodeOf(err))
			}
			if !strings.Contains(out.String(), tc.has) {
				t.Errorf("output lacks %q:\n%s", tc.has, out)
			}
			if !strings.Contains(errOut.String(), `error: gone (111122223333, us-west-2): cluster "gone" not found`) ||
				!strings.Contains(errOut.String(), `error: account 777788889999 (through role arn:aws:iam::777788889999:role/EKSAudit): AccessDenied`) {
				t.Errorf("stderr: %s", errOut)
			}
		})
	}
	io, _, _, _ := iostreams.Test()
	f := newFactory(io)
	f.Output = "xml"
	o := &auditOptions{job: job[usecase.AuditRequest, *usecase.AuditResult]{cmdIO: newCmdIO(f)}}
	if err := o.prepare(nil, auditFormats...); exitCodeOf(err) != ExitInput {
		t.Errorf("-o xml: %v", err)
	}
}

func TestRunDoctorExitCodes(t *testing.T) {
	t.Parallel()
	finding := usecase.Finding{Severity: "error", Check: usecase.CheckStale, Cluster: "a", Principal: "arn:aws:iam::111122223333:role/app", Message: "m", Evidence: "e", Fix: "f", Fixable: true}
	for _, tc := range []struct {
		name     string
		findings []usecase.Finding
		code     int
		has      string
	}{
		{"none", nil, ExitOK, "no problems found on 1 cluster(s)"},
		{"open", []usecase.Finding{finding}, ExitFailure, "error stale-entry: a arn:aws:iam::111122223333:role/app [--fix repairs it]\n  m\n  evidence: e\n  fix: f\n"},
		{"fixed", []usecase.Finding{func() usecase.Finding { f := finding; f.Fixed = true; return f }()}, ExitOK, "[fixed]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			io, _, out, _ := iostreams.Test()
			f := newFactory(io)
			o := newJob(f, func(context.Context, usecase.DoctorRequest) (*usecase.DoctorResult, error) {
				return &usecase.DoctorResult{Clusters: []string{"a"}, Findings: tc.findings}, nil
			})
			if err := runDoctor(context.Background(), &o); exitCodeOf(err) != tc.code {
				t.Errorf("exit %d, want %d (%v)", exitCodeOf(err), tc.code, err)
			}
			if !strings.Contains(out.String(), tc.has) {
				t.Errorf("output lacks %q:\n%s", tc.has, out)
			}
		})
	}
}
