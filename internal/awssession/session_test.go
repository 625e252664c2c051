package awssession_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"eksaccess/internal/awsapi"
	"eksaccess/internal/awssession"
	"eksaccess/internal/sandbox"
)

// start runs a sandbox for the test and returns options that reach it as its admin user.
func start(t *testing.T) awssession.Options {
	t.Helper()
	conn, closeSandbox, err := sandbox.Connect(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeSandbox() })
	return awssession.Options{
		Settings: awsapi.Settings{Region: conn.Region, Credentials: credentials.NewStaticCredentialsProvider(conn.AccessKeyID, conn.SecretAccessKey, "")},
		Endpoint: conn.Endpoint,
	}
}

func TestOwnAccountAndRegions(t *testing.T) {
	o := start(t)
	var resolved atomic.Int32
	s := awssession.New(func(context.Context) (awssession.Options, error) { resolved.Add(1); return o, nil })
	ctx := context.Background()
	c, err := s.Caller(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Account != sandbox.DemoAccount {
		t.Fatalf("caller account %q, want %s", c.Account, sandbox.DemoAccount)
	}
	home, _ := s.Clients(ctx, "")
	same, _ := s.Clients(ctx, o.Settings.Region)
	other, _ := s.Clients(ctx, "eu-west-1")
	again, _ := s.Clients(ctx, "eu-west-1")
	if home != same || other != again || other == home {
		t.Fatalf("clients per region are not cached one per region")
	}
	if other.Config.Region != "eu-west-1" {
		t.Fatalf("region %q", other.Config.Region)
	}
	if viaDefault, _ := s.ClientsFor(ctx, awssession.Reach{}, ""); viaDefault != home {
		t.Fatalf("the default reach is not the run's own clients")
	}
	if n := resolved.Load(); n != 1 {
		t.Fatalf("options resolved %d times, want once", n)
	}
}

func TestOtherAccountByRole(t *testing.T) {
	o := start(t)
	s := awssession.New(func(context.Context) (awssession.Options, error) { return o, nil })
	ctx := context.Background()
	r := awssession.Reach{Account: sandbox.PartnerAccount, RoleArn: "arn:aws:iam::" + sandbox.PartnerAccount + ":role/" + sandbox.PartnerRole, SessionName: "audit"}
	var wg sync.WaitGroup
	got := make([]*awsapi.Clients, 8)
	for i := range got {
		wg.Add(1)
		go func() { defer wg.Done(); got[i], _ = s.ClientsFor(ctx, r, "") }()
	}
	wg.Wait()
	for _, c := range got {
		if c == nil || c != got[0] {
			t.Fatalf("concurrent callers did not share one set of clients")
		}
	}
	c, err := s.CallerFor(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if c.Account != sandbox.PartnerAccount || !strings.Contains(c.Arn, "assumed-role/"+sandbox.PartnerRole+"/audit") {
		t.Fatalf("caller in the other account: %+v", c)
	}
	own, _ := s.Caller(ctx)
	if own.Account != sandbox.DemoAccount {
		t.Fatalf("the run's own caller changed: %+v", own)
	}
}

func TestReachErrors(t *testing.T) {
	o := start(t)
	o.NoProfiles = "profiles cannot reach the embedded sandbox"
	s := awssession.New(func(context.Context) (awssession.Options, error) { return o, nil })
	ctx := context.Background()
	_, err := s.ClientsFor(ctx, awssession.Reach{Profile: "prod"}, "")
	if err == nil || !strings.Contains(err.Error(), "profile prod: profiles cannot reach the embedded sandbox") {
		t.Fatalf("profile on the sandbox: %v", err)
	}
	// A role the caller may not assume: the error names the reach; the run's own account still works.
	bad := awssession.Reach{RoleArn: "arn:aws:iam::" + sandbox.PartnerAccount + ":role/NoSuchRole"}
	if _, err := s.CallerFor(ctx, bad); err == nil || !strings.Contains(err.Error(), "role "+bad.RoleArn) {
		t.Fatalf("unassumable role: %v", err)
	}
	if _, err := s.Caller(ctx); err != nil {
		t.Fatalf("own account after another's failure: %v", err)
	}

	boom := errors.New("no sandbox")
	failing := awssession.New(func(context.Context) (awssession.Options, error) { return awssession.Options{}, boom })
	if _, err := failing.Clients(ctx, ""); !errors.Is(err, boom) {
		t.Fatalf("options error: %v", err)
	}
	if _, err := failing.CallerFor(ctx, bad); !errors.Is(err, boom) {
		t.Fatalf("options error through CallerFor: %v", err)
	}
}

func TestAssumeFirst(t *testing.T) {
	o := start(t)
	o.Assume = awssession.Reach{RoleArn: "arn:aws:iam::" + sandbox.PartnerAccount + ":role/" + sandbox.PartnerRole, SessionName: "platform"}
	s := awssession.New(func(context.Context) (awssession.Options, error) { return o, nil })
	if r, base := s.Assumed(); !r.IsDefault() || base != nil {
		t.Fatalf("before first use (options not resolved yet): %+v %v", r, base)
	}
	c, err := s.Caller(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c.Account != sandbox.PartnerAccount || !strings.HasSuffix(c.Arn, "assumed-role/"+sandbox.PartnerRole+"/platform") {
		t.Fatalf("the run's caller is not the assumed role: %+v", c)
	}
	r, base := s.Assumed()
	if r != o.Assume || base == nil {
		t.Fatalf("Assumed() = %+v, %v; want the role and the credentials that assume it", r, base)
	}
	k, err := base.Retrieve(context.Background())
	if err != nil || k.AccessKeyID == "" || k.SessionToken != "" {
		t.Fatalf("base credentials are not the admin's long-term key: %+v %v", k, err)
	}
}
