package kube

import (
	"bytes"
	"eksaccess/internal/sandbox/state/statetest"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestParseRequestInfo(t *testing.T) {
	tests := []struct {
		method, path, query string
		want                requestInfo
		ok                  bool
	}{
		{"GET", "/api/v1/namespaces/ns/pods", "", requestInfo{verb: "list", version: "v1", namespace: "ns", resource: "pods"}, true},
		{"GET", "/api/v1/pods", "watch=true", requestInfo{verb: "watch", version: "v1", resource: "pods"}, true},
		{"GET", "/api/v1/namespaces/ns/pods/p/log", "", requestInfo{verb: "get", version: "v1", namespace: "ns", resource: "pods", name: "p", subresource: "log"}, true},
		{"GET", "/api/v1/namespaces/ns/pods", "fieldSelector=metadata.name%3Dp", requestInfo{verb: "list", version: "v1", namespace: "ns", resource: "pods", name: "p"}, true},
		{"POST", "/apis/apps/v1/namespaces/ns/deployments", "", requestInfo{verb: "create", group: "apps", version: "v1", namespace: "ns", resource: "deployments"}, true},
		{"DELETE", "/apis/apps/v1/namespaces/ns/deployments", "", requestInfo{verb: "deletecollection", group: "apps", version: "v1", namespace: "ns", resource: "deployments"}, true},
		{"PATCH", "/api/v1/nodes/n1/status", "", requestInfo{verb: "patch", version: "v1", resource: "nodes", name: "n1", subresource: "status"}, true},
		// The Namespace object itself: its name is its namespace.
		{"GET", "/api/v1/namespaces/team", "", requestInfo{verb: "get", version: "v1", namespace: "team", resource: "namespaces", name: "team"}, true},
		{"PUT", "/api/v1/namespaces/team/finalize", "", requestInfo{verb: "update", version: "v1", namespace: "team", resource: "namespaces", name: "team", subresource: "finalize"}, true},
		{"GET", "/api", "", requestInfo{}, false},
		{"GET", "/healthz", "", requestInfo{}, false},
	}
	for _, tt := range tests {
		q, _ := url.ParseQuery(tt.query)
		got, ok := parseRequestInfo(tt.method, tt.path, q)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("%s %s?%s: %+v %v, want %+v %v", tt.method, tt.path, tt.query, got, ok, tt.want, tt.ok)
		}
	}
}

func (f *fixture) doHeaders(t *testing.T, method, path, tok string, hdr map[string][]string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, "https://127.0.0.1:6443"+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	for k, v := range hdr {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec
}

// TestBuiltinResources: Forbidden in the API server's words, an empty list where the caller
// may list, NotFound for a named object, and a refusal naming the real mode for the rest.
func TestBuiltinResources(t *testing.T) {
	f := newFixture(t, t0)
	alice := token(t, aliceKey, aliceSec, "", demo, t0)
	base := "/k8s/" + demo
	tests := []struct {
		method, path string
		code         int
		reason       metav1.StatusReason
		message      string
	}{
		{"GET", "/api/v1/namespaces/" + teamA + "/pods", 200, "", ""},
		{"GET", "/api/v1/namespaces/other/pods", 403, metav1.StatusReasonForbidden,
			`pods is forbidden: User "` + statetest.AliceArn + `" cannot list resource "pods" in API group "" in the namespace "other"`},
		{"GET", "/api/v1/namespaces/" + teamA + "/pods/p", 404, metav1.StatusReasonNotFound, `pods "p" not found`},
		{"GET", "/api/v1/namespaces/" + teamA + "/secrets/s", 403, metav1.StatusReasonForbidden,
			`secrets "s" is forbidden: User "` + statetest.AliceArn + `" cannot get resource "secrets" in API group "" in the namespace "` + teamA + `"`},
		{"GET", "/apis/apps/v1/deployments", 403, metav1.StatusReasonForbidden,
			`deployments.apps is forbidden: User "` + statetest.AliceArn + `" cannot list resource "deployments" in API group "apps" at the cluster scope`},
		{"GET", "/apis/apps/v1/namespaces/" + teamA + "/deployments", 200, "", ""},
		// May list, but the list would not be empty on a real cluster: not made up.
		{"GET", "/api/v1/namespaces/" + teamA + "/configmaps", 405, metav1.StatusReasonMethodNotAllowed, "cannot list configmaps (it keeps no objects); " + RealModeHint},
		{"POST", "/api/v1/namespaces/" + teamA + "/pods", 403, metav1.StatusReasonForbidden,
			`pods is forbidden: User "` + statetest.AliceArn + `" cannot create resource "pods" in API group "" in the namespace "` + teamA + `"`},
		{"GET", "/apis/example.com/v1/widgets", 404, metav1.StatusReasonNotFound, "the server could not find the requested resource"},
	}
	for _, tt := range tests {
		rec := f.do(t, tt.method, base+tt.path, alice, jsonCT, nil)
		if rec.Code != tt.code {
			t.Errorf("%s %s: %d %s", tt.method, tt.path, rec.Code, rec.Body)
			continue
		}
		if tt.code == 200 {
			var l struct {
				Kind  string `json:"kind"`
				Items []any  `json:"items"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &l); err != nil || !strings.HasSuffix(l.Kind, "List") || l.Items == nil || len(l.Items) != 0 {
				t.Errorf("%s: not an empty list: %s", tt.path, rec.Body)
			}
			continue
		}
		s := decodeStatus(t, rec)
		if s.Reason != tt.reason || !strings.HasSuffix(s.Message, tt.message) {
			t.Errorf("%s %s: %s %q, want %s %q", tt.method, tt.path, s.Reason, s.Message, tt.reason, tt.message)
		}
	}
	// The admin of the sandbox (cluster admin policy) gets past authorisation to the refusal.
	dev := token(t, sessKey, sessSec, sessTok, demo, t0)
	rec := f.do(t, "POST", base+"/api/v1/namespaces/hyperpod-ns-team-b/pods", dev, jsonCT, []byte(`{}`))
	if s := decodeStatus(t, rec); rec.Code != 405 || s.Message != "the sandbox's builtin Kubernetes mode cannot create pods; "+RealModeHint {
		t.Errorf("write: %d %+v", rec.Code, s)
	}
}

func TestBuiltinImpersonation(t *testing.T) {
	f := newFixture(t, t0)
	alice := token(t, aliceKey, aliceSec, "", demo, t0)
	bob := token(t, bobKey, bobSec, "", "legacy", t0) // system:masters through aws-auth
	ssar := func(tok, cluster string, hdr map[string][]string, verb, resource, ns string) (int, string) {
		body, _ := json.Marshal(authorizationv1.SelfSubjectAccessReview{
			TypeMeta: metav1.TypeMeta{Kind: "SelfSubjectAccessReview", APIVersion: "authorization.k8s.io/v1"},
			Spec:     authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: verb, Resource: resource, Namespace: ns}},
		})
		h := map[string][]string{"Content-Type": {jsonCT}}
		for k, v := range hdr {
			h[k] = v
		}
		rec := f.doHeaders(t, "POST", "/k8s/"+cluster+"/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", tok, h, body)
		return rec.Code, rec.Body.String()
	}
	// alice (view in team-a) may not impersonate.
	code, body := ssar(alice, demo, map[string][]string{"Impersonate-User": {"arn:aws:iam::111122223333:user/admin"}}, "list", "pods", teamA)
	if code != 403 || !strings.Contains(body, `users \"arn:aws:iam::111122223333:user/admin\" is forbidden: User \"`+statetest.AliceArn+`\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope`) {
		t.Errorf("alice impersonating: %d %s", code, body)
	}
	// bob (system:masters) may; the impersonated user has RBAC alone: no access policies.
	code, body = ssar(bob, "legacy", map[string][]string{"Impersonate-User": {statetest.AliceArn}}, "list", "pods", teamA)
	if code != 201 || !strings.Contains(body, `"allowed":false`) {
		t.Errorf("bob as alice: %d %s", code, body)
	}
	code, body = ssar(bob, "legacy", map[string][]string{"Impersonate-User": {"x"}, "Impersonate-Group": {"system:masters"}}, "delete", "nodes", "")
	if code != 201 || !strings.Contains(body, `"allowed":true`) {
		t.Errorf("bob as x in system:masters: %d %s", code, body)
	}
	// Groups without a user are an error, as in the API server.
	if code, _ := ssar(bob, "legacy", map[string][]string{"Impersonate-Group": {"g"}}, "get", "pods", ""); code != 500 {
		t.Errorf("group without user: %d", code)
	}
	// whoami as an impersonated service account.
	rec := f.doHeaders(t, "POST", "/k8s/legacy/apis/authentication.k8s.io/v1/selfsubjectreviews", bob,
		map[string][]string{"Content-Type": {jsonCT}, "Impersonate-User": {"system:serviceaccount:ns:sa"}}, ssrBody(t, jsonCT))
	if rec.Code != 201 || !strings.Contains(rec.Body.String(), `"username":"system:serviceaccount:ns:sa","groups":["system:serviceaccounts","system:serviceaccounts:ns","system:authenticated"]`) {
		t.Errorf("ssr as service account: %d %s", rec.Code, rec.Body)
	}
}

func TestBuiltinSelfSubjectRulesReview(t *testing.T) {
	f := newFixture(t, t0)
	alice := token(t, aliceKey, aliceSec, "", demo, t0)
	body := []byte(`{"kind":"SelfSubjectRulesReview","apiVersion":"authorization.k8s.io/v1","spec":{"namespace":"` + teamA + `"}}`)
	rec := f.do(t, "POST", "/k8s/"+demo+"/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", alice, jsonCT, body)
	var got authorizationv1.SelfSubjectRulesReview
	if rec.Code != 201 || json.Unmarshal(rec.Body.Bytes(), &got) != nil {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	st := got.Status
	if !st.Incomplete || st.EvaluationError != webhookRulesError || len(st.ResourceRules) != 2 || len(st.NonResourceRules) != 2 {
		t.Errorf("status %+v", st)
	}
	rec = f.do(t, "POST", "/k8s/"+demo+"/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", alice, jsonCT, []byte(`{"spec":{}}`))
	if rec.Code != 400 {
		t.Errorf("no namespace: %d %s", rec.Code, rec.Body)
	}
}
