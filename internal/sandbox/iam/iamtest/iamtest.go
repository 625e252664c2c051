// Package iamtest runs the sandbox's IAM and STS handlers behind a small test server, for
// the tests of both packages: a seeded store on a temporary directory, a settable clock, and
// a middleware that stands in for the sandbox core (it finds the caller from the access key
// a request was signed with, without checking the signature, and records the operation).
package iamtest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"eksaccess/internal/sandbox/sdktest"
	"eksaccess/internal/sandbox/state"
	"eksaccess/internal/sandbox/state/statetest"
	"eksaccess/internal/sandbox/wire"
)

// Seed facts tests assert against.
const (
	Account = statetest.Account
	Region  = "us-west-2"

	AdminKey     = "AKIAEXAMPLEADMIN01"
	AdminSecret  = "adminSecretKey0000000000000000000000000a"
	AliceKey     = "AKIAEXAMPLEALICE01"
	AliceSecret  = "aliceSecretKey0000000000000000000000000a"
	BobKey       = "AKIAEXAMPLEBOB0001"
	BobSecret    = "bobSecretKey000000000000000000000000000a"
	AliceMFA     = "arn:aws:iam::111122223333:mfa/alice"
	AliceMFACode = "123456"

	SSORoleArn = statetest.SSORoleArn
)

// Start is when the seed was made and where the test clock starts.
var Start = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// UserID returns the seeded id of a user.
func UserID(name string) string { return "AIDA" + pad17(strings.ToUpper(name)) }

// RoleID returns the seeded id of a role.
func RoleID(name string) string { return "AROA" + pad17(strings.ToUpper(name)) }

func pad17(s string) string {
	s = regexp.MustCompile(`[^A-Z0-9]`).ReplaceAllString(s, "")
	if len(s) > 17 {
		return s[:17]
	}
	return s + strings.Repeat("0", 17-len(s))
}

// Trust policies of the seeded roles.
const (
	TrustAccountRoot = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}`
	TrustAlice       = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:user/alice"]},"Action":["sts:AssumeRole","sts:TagSession"]}}`
	TrustAccountID   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:*"}]}`
	TrustRole        = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/RootTrusted"},"Action":"sts:AssumeRole"}]}`
	TrustDenyBob     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"*"},{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"},"Action":"sts:AssumeRole"}]}`
	TrustMFA         = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"},"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}}]}`
	TrustUnknownCond = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole","Condition":{"DateLessThanMaybe":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}}]}`
	TrustSAML        = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:saml-provider/AWSSSO_0123456789abcdef_DO_NOT_DELETE"},"Action":["sts:AssumeRoleWithSAML","sts:TagSession"],"Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}]}`
	TrustEKS         = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	AdminPolicyDoc   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
)

// Seed builds the test account: users admin, alice, bob, carol, dave, erin (keys for admin,
// alice, bob; an MFA device for alice), group data-scientists, roles trusting in each way the
// STS tests need, a service-linked role, and two AWS managed policies.
func Seed() *state.Data {
	d := &state.Data{
		Version: 1, Account: Account, Partition: "aws", Region: Region,
		Clusters: map[string]*state.Cluster{}, HyperPod: map[string]*state.HyperPodCluster{},
		Users: map[string]*state.User{}, Groups: map[string]*state.Group{}, Roles: map[string]*state.Role{},
		Policies: map[string]*state.ManagedPolicy{}, AccessKeys: map[string]*state.AccessKey{},
		Sessions: map[string]*state.Session{}, MFADevices: map[string]*state.MFADevice{},
	}
	for _, n := range []string{"admin", "alice", "bob", "carol", "dave", "erin"} {
		d.Users[n] = &state.User{Path: "/", UserName: n, UserID: UserID(n), Arn: "arn:aws:iam::" + Account + ":user/" + n, CreateDate: Start}
	}
	for _, k := range [][3]string{{AdminKey, AdminSecret, "admin"}, {AliceKey, AliceSecret, "alice"}, {BobKey, BobSecret, "bob"}} {
		d.AccessKeys[k[0]] = &state.AccessKey{AccessKeyID: k[0], SecretAccessKey: k[1], UserName: k[2], Status: "Active", CreateDate: Start}
	}
	d.MFADevices[AliceMFA] = &state.MFADevice{SerialNumber: AliceMFA, UserName: "alice", Code: AliceMFACode}
	d.Groups["data-scientists"] = &state.Group{Path: "/", GroupName: "data-scientists", GroupID: "AGPA" + pad17("DATASCIENTISTS"),
		Arn: "arn:aws:iam::" + Account + ":group/data-scientists", CreateDate: Start, Members: []string{"alice", "bob", "carol"}}
	role := func(path, name, trust string, max int) {
		d.Roles[strings.ToLower(name)] = &state.Role{Path: path, RoleName: name, RoleID: RoleID(name),
			Arn: "arn:aws:iam::" + Account + ":role" + path + name, CreateDate: Start, AssumeRolePolicyDocument: trust,
			MaxSessionDuration: max, AttachedPolicies: []string{}, ServiceLinked: strings.HasPrefix(path, "/aws-service-role/")}
	}
	role("/", "RootTrusted", TrustAccountRoot, 7200)
	role("/team/", "AliceOnly", TrustAlice, 3600)
	role("/", "AccountIDTrusted", TrustAccountID, 43200)
	role("/", "RoleTrusted", TrustRole, 3600)
	role("/", "DenyBob", TrustDenyBob, 3600)
	role("/", "NeedsMFA", TrustMFA, 3600)
	role("/", "UnknownCondition", TrustUnknownCond, 3600)
	role("/aws-reserved/sso.amazonaws.com/us-west-2/", "AWSReservedSSO_DataScientist_0123456789abcdef", TrustSAML, 43200)
	role("/aws-service-role/eks.amazonaws.com/", "AWSServiceRoleForAmazonEKS", TrustEKS, 3600)
	for _, n := range []string{"AdministratorAccess", "ReadOnlyAccess"} {
		a := "arn:aws:iam::aws:policy/" + n
		d.Policies[a] = &state.ManagedPolicy{PolicyName: n, PolicyID: "ANPA" + pad17(strings.ToUpper(n)), Arn: a, Path: "/",
			Document: AdminPolicyDoc, DefaultVersionID: "v1", CreateDate: Start, UpdateDate: Start, AWSManaged: true}
	}
	return d
}

// Clock is a settable sandbox clock.
type Clock = statetest.Clock

// Env is a running test server.
type Env struct {
	URL   string
	Store *state.Store
	Clock *Clock

	mu  sync.Mutex
	ops []state.OpInfo
}

// Ops returns the operations recorded so far (what the handler passed to SetOperation).
func (e *Env) Ops() []state.OpInfo {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]state.OpInfo(nil), e.ops...)
}

// LastOp returns the last recorded operation.
func (e *Env) LastOp() state.OpInfo {
	ops := e.Ops()
	if len(ops) == 0 {
		return state.OpInfo{}
	}
	return ops[len(ops)-1]
}

var credRe = regexp.MustCompile(`Credential=([A-Z0-9]+)/`)

// Serve starts handler (built by newHandler from the seeded store) for service ("iam" or
// "sts") and stops it when the test ends.
func Serve(t testing.TB, service string, newHandler func(*state.Store, state.Config) http.Handler) *Env {
	t.Helper()
	st := statetest.Open(t, Seed)
	clock := statetest.NewClock(Start)
	env := &Env{Store: st, Clock: clock}
	h := newHandler(st, state.Config{Now: clock.Now})
	ns := wire.IAMNamespace
	if service == "sts" {
		ns = wire.STSNamespace
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := wire.WithRequestID(r.Context(), wire.NewRequestID())
		akid := r.URL.Query().Get("X-Amz-Credential")
		if m := credRe.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
			akid = m[1]
		}
		akid, _, _ = strings.Cut(akid, "/")
		var cred state.Credential
		var ok bool
		st.Read(func(d *state.Data) error {
			cred, ok, _ = d.LookupCredential(akid, clock.Now())
			return nil
		})
		if !ok {
			wire.QueryError(ctx, w, ns, 403, "InvalidClientTokenId", "The security token included in the request is invalid.")
			return
		}
		caller := cred.Caller
		op := &state.OpInfo{Service: service}
		ctx = state.WithOpInfo(state.WithCaller(ctx, &caller), op)
		h.ServeHTTP(w, r.WithContext(ctx))
		env.mu.Lock()
		env.ops = append(env.ops, *op)
		env.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	env.URL = srv.URL
	return env
}

// AWS runs the real aws CLI (v1) against env with the given key pair and returns its
// stdout; the test fails when the CLI is missing or exits non-zero.
func AWS(t testing.TB, env *Env, key, secret, token string, args ...string) []byte {
	t.Helper()
	bin, err := exec.LookPath("aws")
	if err != nil {
		t.Fatalf("the aws CLI is required for this test: install awscli v1 (%v)", err)
	}
	home := t.TempDir()
	cmd := exec.Command(bin, append(args, "--output", "json")...)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"AWS_ENDPOINT_URL=" + env.URL,
		"AWS_ACCESS_KEY_ID=" + key,
		"AWS_SECRET_ACCESS_KEY=" + secret,
		"AWS_REGION=" + Region,
		"AWS_DEFAULT_REGION=" + Region,
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_MAX_ATTEMPTS=1",
	}
	if token != "" {
		cmd.Env = append(cmd.Env, "AWS_SESSION_TOKEN="+token)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("aws %s: %v\nstderr: %s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// SDKConfig is an aws.Config for e signed with the given keys (token "" outside a session),
// with no retries: a test sees each answer as the handler gave it.
func (e *Env) SDKConfig(key, secret, token string) aws.Config {
	cfg := sdktest.Config(e.URL, Region, key, secret, token)
	cfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
	return cfg
}

// PostForm sends a raw awsQuery form as the admin, signed-looking for service (the test
// middleware only reads the key id), and returns the status and the body.
func (e *Env) PostForm(t testing.TB, service, form string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", e.URL+"/", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+AdminKey+"/20261127/us-west-2/"+service+"/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
