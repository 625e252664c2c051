package sigv4

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"eksaccess/internal/sandbox/state"
)

var now = time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)

const (
	userKey     = "AKIAEXAMPLEEXAMPLE01"
	userSecret  = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	sessKey     = "ASIAEXAMPLEEXAMPLE02"
	sessSecret  = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
	sessToken   = "FQoGZXIvYXdzEBYaDEXAMPLETOKEN"
	expiredKey  = "ASIAEXAMPLEEXPIRED03"
	expiredSecr = "expiredsecretexpiredsecretexpiredsecret0"
)

func lookup(akid string) (state.Credential, bool, bool) {
	switch akid {
	case userKey:
		return state.Credential{AccessKeyID: userKey, SecretAccessKey: userSecret, Caller: state.Caller{Arn: "arn:aws:iam::111122223333:user/admin"}}, true, false
	case sessKey:
		return state.Credential{AccessKeyID: sessKey, SecretAccessKey: sessSecret, SessionToken: sessToken, Expiration: now.Add(time.Hour),
			Caller: state.Caller{Arn: "arn:aws:sts::111122223333:assumed-role/r/s", Session: true}}, true, false
	case expiredKey:
		return state.Credential{}, false, true
	}
	return state.Credential{}, false, false
}

// verifyServer runs Verify on every request it receives and hands back the outcome.
func verifyServer(t *testing.T) (*httptest.Server, <-chan error) {
	t.Helper()
	results := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_, err := Verify(r, body, now, lookup)
		results <- err
	}))
	t.Cleanup(srv.Close)
	return srv, results
}

type signCase struct {
	name     string
	method   string
	path     string
	body     string
	ctype    string
	creds    aws.Credentials
	signedAt time.Time
	region   string
	service  string
	// after signing, before sending
	tamper func(r *http.Request)
	// botocore does not sign content-length
	unsignedLength bool
	want           Kind // 0 = accepted
}

func TestVerifyHeaderSigned(t *testing.T) {
	user := aws.Credentials{AccessKeyID: userKey, SecretAccessKey: userSecret}
	sess := aws.Credentials{AccessKeyID: sessKey, SecretAccessKey: sessSecret, SessionToken: sessToken}
	cases := []signCase{
		{name: "right key", creds: user},
		{name: "right key eu-central-1", creds: user, region: "eu-central-1"},
		{name: "json body", method: "POST", path: "/clusters/c1/access-entries", body: `{"principalArn":"arn:aws:iam::111122223333:user/alice"}`, ctype: "application/json", creds: user},
		{name: "encoded ARN path", path: "/clusters/c1/access-entries/arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fpath%2Fdev-role", creds: user},
		{name: "query string", path: "/clusters", creds: user, tamper: nil},
		{name: "botocore style unsigned content-length", method: "POST", path: "/", body: "Action=GetUser&Version=2010-05-08", ctype: "application/x-www-form-urlencoded; charset=utf-8", creds: user, unsignedLength: true, service: "iam"},
		{name: "wrong secret", creds: aws.Credentials{AccessKeyID: userKey, SecretAccessKey: "not-the-secret"}, want: Mismatch},
		{name: "tampered body", method: "POST", path: "/clusters/c1/access-entries", body: `{"principalArn":"arn:aws:iam::111122223333:user/alice"}`, ctype: "application/json", creds: user,
			tamper: func(r *http.Request) {
				b := []byte(`{"principalArn":"arn:aws:iam::111122223333:user/mallo"}`)
				r.Body = io.NopCloser(bytes.NewReader(b))
			}, want: Mismatch},
		{name: "tampered header", method: "POST", path: "/", body: "{}", ctype: "application/x-amz-json-1.1", creds: user,
			tamper: func(r *http.Request) { r.Header.Set("X-Amz-Target", "SageMaker.DeleteCluster") }, want: Mismatch},
		{name: "tampered path", path: "/clusters/c1", creds: user,
			tamper: func(r *http.Request) { r.URL.Path = "/clusters/c2" }, want: Mismatch},
		{name: "replay 16 minutes later", creds: user, signedAt: now.Add(-16 * time.Minute), want: Skewed},
		{name: "14 minutes old accepted", creds: user, signedAt: now.Add(-14 * time.Minute)},
		{name: "16 minutes in the future", creds: user, signedAt: now.Add(16 * time.Minute), want: Skewed},
		{name: "unknown key", creds: aws.Credentials{AccessKeyID: "AKIANOTKNOWNNOTKNOWN", SecretAccessKey: userSecret}, want: UnknownKey},
		{name: "session with token", creds: sess},
		{name: "session without token", creds: aws.Credentials{AccessKeyID: sessKey, SecretAccessKey: sessSecret}, want: InvalidToken},
		{name: "session with wrong token", creds: aws.Credentials{AccessKeyID: sessKey, SecretAccessKey: sessSecret, SessionToken: "forged"}, want: InvalidToken},
		{name: "long-term key with a token", creds: aws.Credentials{AccessKeyID: userKey, SecretAccessKey: userSecret, SessionToken: "x"}, want: InvalidToken},
		{name: "expired session", creds: aws.Credentials{AccessKeyID: expiredKey, SecretAccessKey: expiredSecr, SessionToken: "t"}, want: ExpiredToken},
		{name: "missing", creds: aws.Credentials{}, want: Missing},
		{name: "malformed", creds: user, tamper: func(r *http.Request) { r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x") }, want: Incomplete},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, results := verifyServer(t)
			method := tc.method
			if method == "" {
				method = "GET"
			}
			path := tc.path
			if path == "" {
				path = "/clusters?maxResults=10&nextToken=tok%2F1%3D&include=all"
			}
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			req, err := http.NewRequest(method, srv.URL+path, body)
			if err != nil {
				t.Fatal(err)
			}
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			if strings.Contains(tc.name, "tampered header") {
				req.Header.Set("X-Amz-Target", "SageMaker.DescribeCluster")
			}
			at := tc.signedAt
			if at.IsZero() {
				at = now
			}
			region, service := tc.region, tc.service
			if region == "" {
				region = "us-west-2"
			}
			if service == "" {
				service = "eks"
			}
			if tc.creds.AccessKeyID != "" {
				cl := req.ContentLength
				if tc.unsignedLength {
					req.ContentLength = 0
				}
				h := sha256Hex(tc.body)
				if err := v4.NewSigner().SignHTTP(context.Background(), tc.creds, req, h, service, region, at); err != nil {
					t.Fatal(err)
				}
				req.ContentLength = cl
			}
			if tc.unsignedLength && strings.Contains(req.Header.Get("Authorization"), "content-length") {
				t.Fatal("test setup: content-length was signed")
			}
			if tc.tamper != nil {
				tc.tamper(req)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			got := <-results
			assertKind(t, got, tc.want)
		})
	}
}

func sha256Hex(s string) string { return hashHex([]byte(s)) }

func assertKind(t *testing.T, err error, want Kind) {
	t.Helper()
	if want == 0 {
		if err != nil {
			t.Fatalf("Verify refused a good request: %v", err)
		}
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Verify = %v, want a %v refusal", err, want)
	}
	if e.Kind != want {
		t.Fatalf("Verify refused with %v (%s), want %v", e.Kind, e.Message, want)
	}
}

func TestSkewMessage(t *testing.T) {
	err := checkSkew(now.Add(-16*time.Minute), now)
	want := "Signature expired: 20261127T144400Z is now earlier than 20261127T144500Z (20261127T150000Z - 15 min.)"
	if err == nil || err.(*Error).Message != want {
		t.Fatalf("message = %v, want %q", err, want)
	}
}

func TestVerifyPresigned(t *testing.T) {
	user := aws.Credentials{AccessKeyID: userKey, SecretAccessKey: userSecret}
	sess := aws.Credentials{AccessKeyID: sessKey, SecretAccessKey: sessSecret, SessionToken: sessToken}
	cases := []struct {
		name     string
		creds    aws.Credentials
		signedAt time.Time
		expires  string
		sendID   string // x-k8s-aws-id sent (signed value is c1)
		want     Kind
	}{
		{name: "EKS token style", creds: user, expires: "60", sendID: "c1"},
		{name: "session credentials", creds: sess, expires: "60", sendID: "c1"},
		{name: "other cluster id", creds: user, expires: "60", sendID: "c2", want: Mismatch},
		{name: "expired", creds: user, expires: "60", signedAt: now.Add(-2 * time.Minute), sendID: "c1", want: Expired},
		{name: "wrong secret", creds: aws.Credentials{AccessKeyID: userKey, SecretAccessKey: "x"}, expires: "60", sendID: "c1", want: Mismatch},
		{name: "unknown key", creds: aws.Credentials{AccessKeyID: "AKIANOTKNOWNNOTKNOWN", SecretAccessKey: "x"}, expires: "60", sendID: "c1", want: UnknownKey},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, results := verifyServer(t)
			req, _ := http.NewRequest("GET", srv.URL+"/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires="+tc.expires, nil)
			req.Header.Set("x-k8s-aws-id", "c1")
			at := tc.signedAt
			if at.IsZero() {
				at = now
			}
			u, _, err := v4.NewSigner().PresignHTTP(context.Background(), tc.creds, req, emptyHash, "sts", "us-west-2", at)
			if err != nil {
				t.Fatal(err)
			}
			get, _ := http.NewRequest("GET", u, nil)
			get.Header.Set("x-k8s-aws-id", tc.sendID)
			resp, err := http.DefaultClient.Do(get)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			assertKind(t, <-results, tc.want)
		})
	}
}

func TestParseScope(t *testing.T) {
	r := httptest.NewRequest("POST", "/", nil)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261127/eu-west-1/sagemaker/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc")
	got, ok := ParseScope(r)
	want := Scope{AccessKeyID: "AKID", Date: "20261127", Region: "eu-west-1", Service: "sagemaker"}
	if !ok || got != want {
		t.Fatalf("ParseScope = %+v %v, want %+v", got, ok, want)
	}
	r = httptest.NewRequest("GET", "/?X-Amz-Credential=AKID%2F20261127%2Fus-west-2%2Fsts%2Faws4_request", nil)
	got, ok = ParseScope(r)
	want = Scope{AccessKeyID: "AKID", Date: "20261127", Region: "us-west-2", Service: "sts", Presigned: true}
	if !ok || got != want {
		t.Fatalf("ParseScope presigned = %+v %v, want %+v", got, ok, want)
	}
	if _, ok := ParseScope(httptest.NewRequest("GET", "/", nil)); ok {
		t.Fatal("ParseScope found a scope on an unsigned request")
	}
}

func TestVerifyURL(t *testing.T) {
	user := aws.Credentials{AccessKeyID: userKey, SecretAccessKey: userSecret}
	req, _ := http.NewRequest("GET", "http://127.0.0.1:4566/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=60", nil)
	req.Header.Set("x-k8s-aws-id", "hyperpod-demo")
	u, _, err := v4.NewSigner().PresignHTTP(context.Background(), user, req, emptyHash, "sts", "us-west-2", now)
	if err != nil {
		t.Fatal(err)
	}
	res, err := VerifyURL("GET", u, http.Header{"X-K8s-Aws-Id": {"hyperpod-demo"}}, now, lookup)
	if err != nil || res.Credential.Caller.Arn != "arn:aws:iam::111122223333:user/admin" || res.Scope.Service != "sts" {
		t.Fatalf("VerifyURL = %+v, %v", res, err)
	}
	_, err = VerifyURL("GET", u, http.Header{"X-K8s-Aws-Id": {"legacy-cm"}}, now, lookup)
	assertKind(t, err, Mismatch)
	_, err = VerifyURL("GET", u, http.Header{"X-K8s-Aws-Id": {"hyperpod-demo"}}, now.Add(2*time.Minute), lookup)
	assertKind(t, err, Expired)
	_, err = VerifyURL("GET", "http://127.0.0.1:4566/?Action=GetCallerIdentity", nil, now, lookup)
	assertKind(t, err, Missing)
}
