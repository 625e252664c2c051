package kube

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"eksaccess/internal/kubeauth"
	"eksaccess/internal/policy"
	"eksaccess/internal/sandbox/sdktest"
	"eksaccess/internal/sandbox/state"
	"eksaccess/internal/sandbox/state/statetest"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
)

const (
	roleArn    = "arn:aws:iam::111122223333:role/teams/dev-role"
	aliceKey   = "AKIAALICEEXAMPLE0001"
	aliceSec   = "alice-secret"
	bobKey     = "AKIABOBEXAMPLE000001"
	bobSec     = "bob-secret"
	sessKey    = "ASIADEVEXAMPLE000001"
	sessSec    = "session-secret"
	sessTok    = "FQoGZXIvYXdzEXAMPLE/+="
	oldSessKey = "ASIAOLDEXAMPLE000001"
	demo       = "hyperpod-demo"
	teamA      = "hyperpod-ns-team-a"
	viewArn    = statetest.AccessPolicyPrefix + "AmazonEKSViewPolicy"
	editArn    = statetest.AccessPolicyPrefix + "AmazonEKSEditPolicy"
)

var t0 = time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)

func seed(now time.Time) func() *state.Data {
	return func() *state.Data {
		entry := func(principal, typ, username string, groups []string, pols ...*state.AssociatedPolicy) *state.AccessEntry {
			e := &state.AccessEntry{PrincipalArn: principal, Type: typ, Username: username, KubernetesGroups: groups, Policies: map[string]*state.AssociatedPolicy{}}
			for _, p := range pols {
				e.Policies[p.PolicyArn] = p
			}
			return e
		}
		return &state.Data{
			Version: 1, Account: statetest.Account, Partition: "aws", Region: "us-west-2",
			Users: map[string]*state.User{
				"alice": {UserName: "alice", UserID: "AIDAALICEEXAMPLE", Arn: statetest.AliceArn, Path: "/"},
				"bob":   {UserName: "bob", UserID: "AIDABOBEXAMPLE", Arn: statetest.BobArn, Path: "/"},
			},
			AccessKeys: map[string]*state.AccessKey{
				aliceKey: {AccessKeyID: aliceKey, SecretAccessKey: aliceSec, UserName: "alice", Status: "Active"},
				bobKey:   {AccessKeyID: bobKey, SecretAccessKey: bobSec, UserName: "bob", Status: "Active"},
			},
			Roles: map[string]*state.Role{
				"dev-role": {RoleName: "dev-role", RoleID: "AROADEVEXAMPLE", Arn: roleArn, Path: "/teams/"},
			},
			Sessions: map[string]*state.Session{
				sessKey:    {AccessKeyID: sessKey, SecretAccessKey: sessSec, SessionToken: sessTok, RoleArn: roleArn, RoleName: "dev-role", RoleID: "AROADEVEXAMPLE", SessionName: "alice@example.com", Expiration: now.Add(12 * time.Hour)},
				oldSessKey: {AccessKeyID: oldSessKey, SecretAccessKey: sessSec, SessionToken: sessTok, RoleArn: roleArn, RoleName: "dev-role", RoleID: "AROADEVEXAMPLE", SessionName: "old", Expiration: now.Add(time.Minute)},
			},
			Clusters: map[string]*state.Cluster{
				demo: {Name: demo, Arn: "arn:aws:eks:us-west-2:111122223333:cluster/" + demo, Version: "1.32", Status: "ACTIVE", AuthenticationMode: "API_AND_CONFIG_MAP",
					Entries: map[string]*state.AccessEntry{
						statetest.AliceArn: entry(statetest.AliceArn, "STANDARD", "", nil, &state.AssociatedPolicy{PolicyArn: viewArn, ScopeType: "namespace", Namespaces: []string{teamA}}),
						roleArn: entry(roleArn, "STANDARD", "dev:{{SessionName}}:{{SessionNameRaw}}:{{AccountID}}", []string{"team-a"},
							&state.AssociatedPolicy{PolicyArn: editArn, ScopeType: "namespace", Namespaces: []string{"hyperpod-ns-*"}}),
					}},
				"other": {Name: "other", Arn: "arn:aws:eks:us-west-2:111122223333:cluster/other", Version: "1.31", Status: "ACTIVE", AuthenticationMode: "API",
					Entries: map[string]*state.AccessEntry{statetest.AliceArn: entry(statetest.AliceArn, "STANDARD", "alice", nil)}},
				"legacy": {Name: "legacy", Arn: "arn:aws:eks:us-west-2:111122223333:cluster/legacy", Version: "1.29", Status: "ACTIVE", AuthenticationMode: "CONFIG_MAP",
					Entries: map[string]*state.AccessEntry{statetest.AliceArn: entry(statetest.AliceArn, "STANDARD", "", nil)},
					AwsAuth: map[string]string{
						"mapUsers": "- userarn: " + statetest.BobArn + "\n  username: bob\n  groups:\n  - system:masters\n",
						"mapRoles": "- rolearn: arn:aws:iam::111122223333:role/dev-role\n  username: legacy-dev:{{SessionName}}\n  groups: [devs]\n",
					}},
			},
		}
	}
}

type fixture struct {
	st    *state.Store
	h     http.Handler
	clock *statetest.Clock
}

func (f *fixture) set(t time.Time) { f.clock.Set(t) }

func newFixture(t *testing.T, now time.Time) *fixture {
	t.Helper()
	f := &fixture{st: statetest.Open(t, seed(now)), clock: statetest.NewClock(now)}
	f.h = New(f.st, state.Config{Now: f.clock.Now})
	return f
}

func token(t *testing.T, akid, secret, session, cluster string, at time.Time) string {
	t.Helper()
	cfg := sdktest.Config("http://127.0.0.1:1", "us-west-2", akid, secret, session)
	tok, err := kubeauth.GetToken(context.Background(), cfg, cluster, func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	return tok.Token
}

func (f *fixture) do(t *testing.T, method, path, tok, contentType string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, "https://127.0.0.1:6443"+path, bytes.NewReader(body))
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec
}

const (
	ssrPath  = "/k8s/" + demo + "/apis/authentication.k8s.io/v1/selfsubjectreviews"
	ssarPath = "/k8s/" + demo + "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
	jsonCT   = "application/json"
	protoCT  = "application/vnd.kubernetes.protobuf"
)

func protoBody(t *testing.T, gv schema.GroupVersion, obj runtime.Object) []byte {
	t.Helper()
	enc := codecs.EncoderForVersion(protobuf.NewSerializer(scheme, scheme), gv)
	b, err := runtime.Encode(enc, obj)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("k8s\x00")) {
		t.Fatalf("protobuf body lacks the k8s envelope: %x", b[:8])
	}
	return b
}

func ssarBody(t *testing.T, ct string, spec authorizationv1.SelfSubjectAccessReviewSpec) []byte {
	t.Helper()
	obj := &authorizationv1.SelfSubjectAccessReview{Spec: spec}
	if ct == protoCT {
		return protoBody(t, authorizationv1.SchemeGroupVersion, obj)
	}
	obj.TypeMeta = metav1.TypeMeta{Kind: "SelfSubjectAccessReview", APIVersion: "authorization.k8s.io/v1"}
	b, _ := json.Marshal(obj)
	return b
}

func ssrBody(t *testing.T, ct string) []byte {
	obj := &authenticationv1.SelfSubjectReview{}
	if ct == protoCT {
		return protoBody(t, authenticationv1.SchemeGroupVersion, obj)
	}
	return []byte(`{"kind":"SelfSubjectReview","apiVersion":"authentication.k8s.io/v1","metadata":{"creationTimestamp":null},"status":{"userInfo":{}}}`)
}

func decodeStatus(t *testing.T, rec *httptest.ResponseRecorder) metav1.Status {
	t.Helper()
	var s metav1.Status
	if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil {
		t.Fatalf("body %q: %v", rec.Body.String(), err)
	}
	return s
}

func TestVersion(t *testing.T) {
	f := newFixture(t, t0)
	alice := token(t, aliceKey, aliceSec, "", demo, t0)
	tests := []struct {
		path, tok, minor string
		code             int
	}{
		{"/version", "", "32", 200},
		{"/version?timeout=5s", alice, "32", 200},
		{"/k8s/" + demo + "/version?timeout=5s", alice, "32", 200},
		{"/k8s/" + demo + "/version", "", "32", 200}, // anonymous public info
		{"/k8s/other/version", token(t, aliceKey, aliceSec, "", "other", t0), "31", 200},
		{"/k8s/" + demo + "/version", token(t, aliceKey, aliceSec, "", "other", t0), "", 401},
	}
	for _, tt := range tests {
		rec := f.do(t, "GET", tt.path, tt.tok, "", nil)
		if rec.Code != tt.code {
			t.Errorf("%s: code %d, want %d: %s", tt.path, rec.Code, tt.code, rec.Body)
			continue
		}
		if tt.code != 200 {
			continue
		}
		var v struct{ Major, Minor, GitVersion string }
		json.Unmarshal(rec.Body.Bytes(), &v)
		if v.Major != "1" || v.Minor != tt.minor || v.GitVersion != "v1."+tt.minor+".0-eks-sandbox" {
			t.Errorf("%s: version %+v", tt.path, v)
		}
	}
}

func TestUnauthorized(t *testing.T) {
	f := newFixture(t, t0)
	good := token(t, aliceKey, aliceSec, "", demo, t0)
	tampered := []byte(good)
	tampered[len(tampered)-5] ^= 1
	tests := []struct {
		name, tok, why string
		at             time.Time
	}{
		{"no token", "", "no bearer token", t0},
		{"not an EKS token", "abc", "malformed", t0},
		{"expired 16 min", good, "expired", t0.Add(16 * time.Minute)},
		{"future dated", token(t, aliceKey, aliceSec, "", demo, t0.Add(20*time.Minute)), "future", t0},
		{"other cluster", token(t, aliceKey, aliceSec, "", "other", t0), "does not match", t0},
		{"tampered", string(tampered), "", t0},
		{"wrong secret", token(t, aliceKey, "not-alice", "", demo, t0), "does not match", t0},
		{"unknown key", token(t, "AKIANOBODY0000000001", "x", "", demo, t0), "unknown access key", t0},
		{"no access entry", token(t, bobKey, bobSec, "", demo, t0), "has no access entry", t0},
		{"session without its token", token(t, sessKey, sessSec, "", demo, t0), "session token", t0},
		{"expired session credentials", token(t, oldSessKey, sessSec, sessTok, demo, t0), "have expired", t0.Add(2 * time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.set(tt.at)
			rec := f.do(t, "POST", ssrPath, tt.tok, jsonCT, ssrBody(t, jsonCT))
			if rec.Code != 401 {
				t.Fatalf("code %d, want 401: %s", rec.Code, rec.Body)
			}
			s := decodeStatus(t, rec)
			if s.Kind != "Status" || s.Reason != metav1.StatusReasonUnauthorized || s.Code != 401 || s.Message != "Unauthorized" {
				t.Errorf("status %+v", s)
			}
			if why := rec.Header().Get(AuthErrorHeader); !strings.Contains(why, tt.why) {
				t.Errorf("auth error %q, want it to mention %q", why, tt.why)
			}
			if tt.tok != "" && strings.Contains(rec.Header().Get(AuthErrorHeader)+rec.Body.String(), tt.tok) {
				t.Error("the token leaked into the answer")
			}
		})
	}
	f.set(t0)
	if rec := f.do(t, "POST", "/k8s/nope/apis/authentication.k8s.io/v1/selfsubjectreviews", good, jsonCT, ssrBody(t, jsonCT)); rec.Code != 404 {
		t.Errorf("unknown cluster: %d", rec.Code)
	}
}

func TestSelfSubjectReview(t *testing.T) {
	f := newFixture(t, t0)
	tests := []struct {
		name, tok, cluster string
		want               authenticationv1.UserInfo
	}{
		{"user, default username", token(t, aliceKey, aliceSec, "", demo, t0), demo, authenticationv1.UserInfo{
			Username: statetest.AliceArn, UID: "aws-iam-authenticator:111122223333:AIDAALICEEXAMPLE",
			Groups: []string{"system:authenticated"},
			Extra:  map[string]authenticationv1.ExtraValue{"arn": {statetest.AliceArn}, "canonicalArn": {statetest.AliceArn}, "principalId": {"AIDAALICEEXAMPLE"}, "accessKeyId": {aliceKey}},
		}},
		{"assumed role with path, username template", token(t, sessKey, sessSec, sessTok, demo, t0), demo, authenticationv1.UserInfo{
			Username: "dev:alice-example.com:alice@example.com:111122223333", UID: "aws-iam-authenticator:111122223333:AROADEVEXAMPLE",
			Groups: []string{"team-a", "system:authenticated"},
			Extra: map[string]authenticationv1.ExtraValue{
				"arn": {"arn:aws:sts::111122223333:assumed-role/dev-role/alice@example.com"}, "canonicalArn": {roleArn},
				"principalId": {"AROADEVEXAMPLE"}, "accessKeyId": {sessKey}, "sessionName": {"alice@example.com"},
			},
		}},
		{"aws-auth mapUsers in CONFIG_MAP mode", token(t, bobKey, bobSec, "", "legacy", t0), "legacy", authenticationv1.UserInfo{
			Username: "bob", UID: "aws-iam-authenticator:111122223333:AIDABOBEXAMPLE",
			Groups: []string{"system:masters", "system:authenticated"},
			Extra:  map[string]authenticationv1.ExtraValue{"arn": {statetest.BobArn}, "canonicalArn": {statetest.BobArn}, "principalId": {"AIDABOBEXAMPLE"}, "accessKeyId": {bobKey}},
		}},
		{"aws-auth mapRoles matches the path-less role ARN", token(t, sessKey, sessSec, sessTok, "legacy", t0), "legacy", authenticationv1.UserInfo{
			Username: "legacy-dev:alice-example.com", UID: "aws-iam-authenticator:111122223333:AROADEVEXAMPLE",
			Groups: []string{"devs", "system:authenticated"},
			Extra: map[string]authenticationv1.ExtraValue{
				"arn": {"arn:aws:sts::111122223333:assumed-role/dev-role/alice@example.com"}, "canonicalArn": {roleArn},
				"principalId": {"AROADEVEXAMPLE"}, "accessKeyId": {sessKey}, "sessionName": {"alice@example.com"},
			},
		}},
	}
	for _, tt := range tests {
		for _, ct := range []string{jsonCT, protoCT} {
			t.Run(tt.name+" "+ct, func(t *testing.T) {
				rec := f.do(t, "POST", "/k8s/"+tt.cluster+"/apis/authentication.k8s.io/v1/selfsubjectreviews", tt.tok, ct, ssrBody(t, ct))
				if rec.Code != 201 || rec.Header().Get("Content-Type") != "application/json" {
					t.Fatalf("code %d %s: %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
				}
				var got authenticationv1.SelfSubjectReview
				if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
					t.Fatal(err)
				}
				if got.Kind != "SelfSubjectReview" || got.APIVersion != "authentication.k8s.io/v1" {
					t.Errorf("type %+v", got.TypeMeta)
				}
				if !reflect.DeepEqual(got.Status.UserInfo, tt.want) {
					t.Errorf("userInfo\n got %+v\nwant %+v", got.Status.UserInfo, tt.want)
				}
			})
		}
	}
	// CONFIG_MAP mode ignores access entries: alice has one on legacy but no mapping.
	if rec := f.do(t, "POST", "/k8s/legacy/apis/authentication.k8s.io/v1/selfsubjectreviews", token(t, aliceKey, aliceSec, "", "legacy", t0), jsonCT, ssrBody(t, jsonCT)); rec.Code != 401 {
		t.Errorf("CONFIG_MAP cluster used an access entry: %d", rec.Code)
	}
}

func TestSelfSubjectAccessReview(t *testing.T) {
	f := newFixture(t, t0)
	alice := token(t, aliceKey, aliceSec, "", demo, t0)
	dev := token(t, sessKey, sessSec, sessTok, demo, t0)
	bobLegacy := token(t, bobKey, bobSec, "", "legacy", t0)
	res := func(ns, verb, group, resource, sub string) authorizationv1.SelfSubjectAccessReviewSpec {
		return authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: ns, Verb: verb, Group: group, Resource: resource, Subresource: sub}}
	}
	tests := []struct {
		name, tok, cluster string
		spec               authorizationv1.SelfSubjectAccessReviewSpec
		allowed            bool
		reason             string
	}{
		{"alice list pods team-a", alice, demo, res(teamA, "list", "", "pods", ""), true, "allowed by AmazonEKSViewPolicy (namespaces hyperpod-ns-team-a)"},
		{"alice create pods team-a", alice, demo, res(teamA, "create", "", "pods", ""), false, ""},
		{"alice list pods other", alice, demo, res("other", "list", "", "pods", ""), false, ""},
		{"alice get secrets", alice, demo, res(teamA, "get", "", "secrets", ""), false, ""},
		{"alice pods/log", alice, demo, res(teamA, "get", "", "pods", "log"), true, "allowed by AmazonEKSViewPolicy (namespaces hyperpod-ns-team-a)"},
		{"alice list nodes (kubectl sends default ns)", alice, demo, res("default", "list", "", "nodes", ""), false, ""},
		{"alice own ssar", alice, demo, res("", "create", "authorization.k8s.io", "selfsubjectaccessreviews", ""), true, "allowed by ClusterRole system:basic-user"},
		{"alice nonresource /version", alice, demo, authorizationv1.SelfSubjectAccessReviewSpec{NonResourceAttributes: &authorizationv1.NonResourceAttributes{Path: "/version", Verb: "get"}}, true, "allowed by ClusterRole system:discovery; ClusterRole system:public-info-viewer"},
		{"dev create pods/exec wildcard ns", dev, demo, res("hyperpod-ns-team-b", "create", "", "pods", "exec"), true, "allowed by AmazonEKSEditPolicy (namespaces hyperpod-ns-*)"},
		{"dev list nodes depends on rbac", dev, demo, res("", "list", "", "nodes", ""), false, ""},
		{"bob system:masters", bobLegacy, "legacy", res("", "delete", "", "nodes", ""), true, "allowed: group system:masters bypasses Kubernetes authorization"},
	}
	for _, tt := range tests {
		for _, ct := range []string{jsonCT, protoCT} {
			t.Run(tt.name+" "+ct, func(t *testing.T) {
				rec := f.do(t, "POST", "/k8s/"+tt.cluster+"/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", tt.tok, ct, ssarBody(t, ct, tt.spec))
				if rec.Code != 201 {
					t.Fatalf("code %d: %s", rec.Code, rec.Body)
				}
				var got authorizationv1.SelfSubjectAccessReview
				if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
					t.Fatal(err)
				}
				if got.Kind != "SelfSubjectAccessReview" || !reflect.DeepEqual(got.Spec, tt.spec) {
					t.Errorf("echoed %+v %+v", got.TypeMeta, got.Spec)
				}
				// A denial has no reason (a bare "no", as RBAC answers).
				if got.Status.Allowed != tt.allowed || got.Status.Reason != tt.reason {
					t.Errorf("status %+v, want allowed=%v reason %q", got.Status, tt.allowed, tt.reason)
				}
			})
		}
	}
}

// TestKubectlWireBytes posts the exact protobuf bodies kubectl 1.32 sent (aws-wire.md §8.3).
func TestKubectlWireBytes(t *testing.T) {
	f := newFixture(t, t0)
	alice := token(t, aliceKey, aliceSec, "", demo, t0)
	ssar, _ := hex.DecodeString(strings.Join([]string{
		"6b387300", "0a32", "0a17", hex.EncodeToString([]byte("authorization.k8s.io/v1")), "1217", hex.EncodeToString([]byte("SelfSubjectAccessReview")),
		"123e", "0a10", "0a00", "1200", "1a00", "2200", "2a00", "3200", "3800", "4200",
		"1220", "0a1e", "0a06", hex.EncodeToString([]byte("team-a")), "1206", hex.EncodeToString([]byte("create")), "1a00", "2200", "2a04", hex.EncodeToString([]byte("pods")), "3200", "3a00",
		"1a08", "0800", "1200", "1a00", "2000",
		"1a00", "2200",
	}, ""))
	rec := f.do(t, "POST", ssarPath, alice, protoCT, ssar)
	if rec.Code != 201 {
		t.Fatalf("ssar: %d %s", rec.Code, rec.Body)
	}
	var got authorizationv1.SelfSubjectAccessReview
	json.Unmarshal(rec.Body.Bytes(), &got)
	want := authorizationv1.ResourceAttributes{Namespace: "team-a", Verb: "create", Resource: "pods"}
	if got.Spec.ResourceAttributes == nil || *got.Spec.ResourceAttributes != want || got.Status.Allowed {
		t.Errorf("decoded %+v status %+v", got.Spec.ResourceAttributes, got.Status)
	}
	ssr, _ := hex.DecodeString("6b3873000a2d0a1861757468656e7469636174696f6e2e6b38732e696f2f7631121153656c665375626a656374526576696577121a0a100a0012001a0022002a0032003800420012060a040a0012001a002200")
	rec = f.do(t, "POST", ssrPath, alice, protoCT, ssr)
	if rec.Code != 201 || !strings.Contains(rec.Body.String(), `"username":"`+statetest.AliceArn+`"`) {
		t.Errorf("ssr: %d %s", rec.Code, rec.Body)
	}
}

func TestBadRequests(t *testing.T) {
	f := newFixture(t, t0)
	alice := token(t, aliceKey, aliceSec, "", demo, t0)
	tests := []struct {
		name, method, path, ct string
		body                   []byte
		code                   int
		reason                 metav1.StatusReason
	}{
		{"text body", "POST", ssarPath, "text/plain", []byte("x"), 415, metav1.StatusReasonUnsupportedMediaType},
		{"garbage json", "POST", ssarPath, jsonCT, []byte("{"), 400, metav1.StatusReasonBadRequest},
		{"wrong kind", "POST", ssarPath, jsonCT, ssrBody(t, jsonCT), 400, metav1.StatusReasonBadRequest},
		{"no attributes", "POST", ssarPath, jsonCT, []byte(`{"kind":"SelfSubjectAccessReview","apiVersion":"authorization.k8s.io/v1","spec":{}}`), 422, metav1.StatusReasonInvalid},
		{"GET review", "GET", ssarPath, "", nil, 405, metav1.StatusReasonMethodNotAllowed},
		{"unknown path", "GET", "/k8s/" + demo + "/api/v1/namespaces/default/widgets", "", nil, 404, metav1.StatusReasonNotFound},
		{"no prefix", "GET", "/api", "", nil, 404, metav1.StatusReasonNotFound},
		{"v1beta1 ssr", "POST", "/k8s/" + demo + "/apis/authentication.k8s.io/v1beta1/selfsubjectreviews", jsonCT, ssrBody(t, jsonCT), 404, metav1.StatusReasonNotFound},
	}
	for _, tt := range tests {
		rec := f.do(t, tt.method, tt.path, alice, tt.ct, tt.body)
		if rec.Code != tt.code {
			t.Errorf("%s: code %d, want %d: %s", tt.name, rec.Code, tt.code, rec.Body)
			continue
		}
		if s := decodeStatus(t, rec); s.Reason != tt.reason || s.Code != int32(tt.code) {
			t.Errorf("%s: status %+v", tt.name, s)
		}
	}
	// Minimal JSON without kind/apiVersion is read as the endpoint's type.
	rec := f.do(t, "POST", ssarPath, alice, jsonCT, []byte(`{"spec":{"resourceAttributes":{"namespace":"`+teamA+`","verb":"get","resource":"pods"}}}`))
	if rec.Code != 201 || !strings.Contains(rec.Body.String(), `"allowed":true`) {
		t.Errorf("minimal json: %d %s", rec.Code, rec.Body)
	}
}

func TestDiscovery(t *testing.T) {
	f := newFixture(t, t0)
	alice := token(t, aliceKey, aliceSec, "", demo, t0)
	get := func(p string, into any) {
		t.Helper()
		rec := f.do(t, "GET", "/k8s/"+demo+p, alice, "", nil)
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", p, rec.Code, rec.Body)
		}
		if err := json.Unmarshal(rec.Body.Bytes(), into); err != nil {
			t.Fatal(err)
		}
	}
	var versions metav1.APIVersions
	get("/api?timeout=32s", &versions)
	if versions.Kind != "APIVersions" || !reflect.DeepEqual(versions.Versions, []string{"v1"}) || versions.ServerAddressByClientCIDRs[0].ServerAddress != "127.0.0.1:6443" {
		t.Errorf("/api %+v", versions)
	}
	var groups metav1.APIGroupList
	get("/apis", &groups)
	names := map[string]bool{}
	for _, g := range groups.Groups {
		names[g.Name] = true
	}
	for _, g := range []string{"apps", "authentication.k8s.io", "authorization.k8s.io", "batch", "rbac.authorization.k8s.io"} {
		if !names[g] {
			t.Errorf("/apis lacks %s", g)
		}
	}
	for _, g := range groups.Groups {
		for _, v := range g.Versions {
			var l metav1.APIResourceList
			get("/apis/"+v.GroupVersion, &l)
			if l.Kind != "APIResourceList" || l.GroupVersion != v.GroupVersion || len(l.APIResources) == 0 {
				t.Errorf("%s: %s %s %d resources", v.GroupVersion, l.Kind, l.GroupVersion, len(l.APIResources))
			}
			// What discovery calls namespaced and what the evaluator calls cluster-scoped agree.
			for _, r := range l.APIResources {
				if strings.Contains(r.Name, "/") {
					continue
				}
				if policy.IsClusterScoped(g.Name, r.Name) == r.Namespaced {
					t.Errorf("%s %s: namespaced=%v disagrees with policy.IsClusterScoped", v.GroupVersion, r.Name, r.Namespaced)
				}
			}
		}
	}
	var core metav1.APIResourceList
	get("/api/v1", &core)
	have := map[string]bool{}
	for _, r := range core.APIResources {
		have[r.Name] = true
	}
	for _, r := range []string{"pods", "pods/log", "pods/exec", "secrets", "configmaps", "services", "nodes", "namespaces"} {
		if !have[r] {
			t.Errorf("/api/v1 lacks %s", r)
		}
	}
	if rec := f.do(t, "GET", "/k8s/"+demo+"/api", "", "", nil); rec.Code != 401 {
		t.Errorf("anonymous discovery: %d", rec.Code)
	}
}

func TestAwsAuthLookup(t *testing.T) {
	data := map[string]string{"mapRoles": "- rolearn: arn:aws:iam::1:role/a/b/r\n  username: ux\n- rolearn: arn:aws:iam::1:role/q\n  username: uq\n", "mapUsers": "not: [yaml"}
	tests := []struct {
		principal string
		session   bool
		user      string
		ok        bool
	}{
		{"arn:aws:iam::1:role/a/b/r", true, "ux", true},
		{"arn:aws:iam::1:role/path/q", true, "uq", true},
		{"arn:aws:iam::1:role/z", true, "", false},
		{"arn:aws:iam::1:user/u", false, "", false},
	}
	for _, tt := range tests {
		m, ok := awsAuthLookup(data, tt.principal, tt.session)
		if ok != tt.ok || m.Username != tt.user {
			t.Errorf("%s: %v %q", tt.principal, ok, m.Username)
		}
	}
}
