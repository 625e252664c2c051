package eks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/smithy-go"

	"eksaccess/internal/sandbox/sdktest"
	"eksaccess/internal/sandbox/state"
	"eksaccess/internal/sandbox/state/statetest"
	"eksaccess/internal/sandbox/wire"
)

const (
	acct      = statetest.Account
	aliceArn  = statetest.AliceArn
	bobArn    = statetest.BobArn
	carolArn  = "arn:aws:iam::111122223333:user/eng/carol"
	adminArn  = "arn:aws:iam::111122223333:user/admin"
	devRole   = "arn:aws:iam::111122223333:role/dev-role"
	nodeRole  = "arn:aws:iam::111122223333:role/NodeRole"
	ssoRole   = statetest.SSORoleArn
	slrRole   = "arn:aws:iam::111122223333:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS"
	freshRole = "arn:aws:iam::111122223333:role/fresh-role"
	clusterRl = "arn:aws:iam::111122223333:role/eks-cluster-role"

	policyPrefix = statetest.AccessPolicyPrefix
)

// t0 has milliseconds so tests see fractional epoch seconds.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC)

// testSeed is a small account: users, roles (with a path, service-linked, freshly created),
// and clusters in each authentication mode.
func testSeed(extraUsers int) func() *state.Data {
	return func() *state.Data {
		old := t0.Add(-24 * time.Hour)
		d := &state.Data{
			Version: 1, Account: acct, Partition: "aws", Region: "us-west-2",
			Clusters: map[string]*state.Cluster{}, Users: map[string]*state.User{},
			Roles: map[string]*state.Role{}, Groups: map[string]*state.Group{},
			Policies: map[string]*state.ManagedPolicy{}, AccessKeys: map[string]*state.AccessKey{},
			Sessions: map[string]*state.Session{}, MFADevices: map[string]*state.MFADevice{},
		}
		addUser := func(path, name string) {
			d.Users[strings.ToLower(name)] = &state.User{Path: path, UserName: name, UserID: "AIDA" + strings.ToUpper(name), Arn: "arn:aws:iam::" + acct + ":user" + path + name, CreateDate: old}
		}
		addRole := func(path, name string, created time.Time) {
			d.Roles[strings.ToLower(name)] = &state.Role{Path: path, RoleName: name, RoleID: "AROA" + strings.ToUpper(name), Arn: "arn:aws:iam::" + acct + ":role" + path + name,
				CreateDate: created, MaxSessionDuration: 3600, ServiceLinked: strings.HasPrefix(path, "/aws-service-role/")}
		}
		for _, n := range []string{"admin", "alice", "bob"} {
			addUser("/", n)
		}
		addUser("/eng/", "carol")
		for i := 0; i < extraUsers; i++ {
			addUser("/", fmt.Sprintf("user%04d", i))
		}
		addRole("/", "dev-role", old)
		addRole("/", "NodeRole", old)
		addRole("/", "eks-cluster-role", old)
		addRole("/aws-reserved/sso.amazonaws.com/us-west-2/", "AWSReservedSSO_DataScientist_0123456789abcdef", old)
		addRole("/aws-service-role/eks.amazonaws.com/", "AWSServiceRoleForAmazonEKS", old)
		addRole("/", "fresh-role", t0.Add(-time.Second))
		for name, mode := range map[string]string{"demo": "API_AND_CONFIG_MAP", "legacy": "CONFIG_MAP", "apionly": "API"} {
			d.Clusters[name] = &state.Cluster{
				Name: name, Arn: "arn:aws:eks:us-west-2:" + acct + ":cluster/" + name, Version: "1.32", PlatformVersion: "eks.7",
				RoleArn: clusterRl, Status: "ACTIVE", CreatedAt: old, AuthenticationMode: mode,
				BootstrapClusterCreatorAdminPermissions: true, CreatorArn: adminArn,
				Entries: map[string]*state.AccessEntry{},
			}
		}
		return d
	}
}

type env struct {
	t      *testing.T
	st     *state.Store
	clock  *statetest.Clock
	srv    *httptest.Server
	client *awseks.Client
	mu     sync.Mutex
	ops    []state.OpInfo
}

type envOpts struct {
	extraUsers int
	delay      time.Duration
}

func newEnv(t *testing.T, o envOpts) *env {
	t.Helper()
	st := statetest.Open(t, testSeed(o.extraUsers))
	e := &env{t: t, st: st, clock: statetest.NewClock(t0)}
	h := New(st, state.Config{
		Now:              e.clock.Now,
		ConsistencyDelay: o.delay,
		KubeEndpoint:     func(c string) string { return "https://127.0.0.1:4566/k8s/" + c },
		CAData:           func() string { return "Q0FEQVRB" },
	})
	caller := &state.Caller{Account: acct, Arn: adminArn, UserID: "AIDAADMIN", AccessKeyID: "AKIDEXAMPLE", PrincipalArn: adminArn, UserName: "admin"}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := &state.OpInfo{Service: "eks"}
		ctx := state.WithOpInfo(state.WithCaller(r.Context(), caller), op)
		ctx = wire.WithRequestID(ctx, "req-1")
		h.ServeHTTP(w, r.WithContext(ctx))
		e.mu.Lock()
		e.ops = append(e.ops, *op)
		e.mu.Unlock()
	}))
	t.Cleanup(e.srv.Close)
	cfg := sdktest.Config(e.srv.URL, "us-west-2", "AKIDEXAMPLE", "x", "")
	cfg.RetryMaxAttempts = 1
	e.client = awseks.NewFromConfig(cfg)
	return e
}

func (e *env) lastOp() state.OpInfo {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.ops[len(e.ops)-1]
}

func ctx() context.Context { return context.Background() }

// wantAPIError checks err is the SDK error type T with the exact code and a message
// containing msg.
func wantAPIError[T error](t *testing.T, err error, msg string) {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("error = %v (%T), want %T", err, err, target)
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && !strings.Contains(ae.ErrorMessage(), msg) {
		t.Fatalf("message = %q, want it to contain %q", ae.ErrorMessage(), msg)
	}
}
