package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// rawRequest builds the bytes of an HTTP/1.1 request as a client would send them; the fuzz
// targets parse them with http.ReadRequest, as the sandbox's server does, so every request
// they verify is one a server could really receive (header injection included).
func rawRequest(method, target, auth, date, token, sha string, body []byte) []byte {
	var b bytes.Buffer
	b.WriteString(method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:4566\r\n")
	for _, h := range [][2]string{{"Authorization", auth}, {"X-Amz-Date", date}, {"X-Amz-Security-Token", token}, {"X-Amz-Content-Sha256", sha}} {
		if h[1] != "" {
			b.WriteString(h[0] + ": " + h[1] + "\r\n")
		}
	}
	b.WriteString("Content-Length: " + itoa(len(body)) + "\r\n\r\n")
	b.Write(body)
	return b.Bytes()
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var d []byte
	for ; n > 0; n /= 10 {
		d = append([]byte{byte('0' + n%10)}, d...)
	}
	return string(d)
}

// signedSeed is a request the SDK's signer really signed at now, with userKey.
func signedSeed(t testing.TB, method, target string, body []byte) (auth, date, sha string) {
	req, err := http.NewRequestWithContext(context.Background(), method, "http://127.0.0.1:4566"+target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	sha = hashHex(body)
	req.Header.Set("X-Amz-Content-Sha256", sha)
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: userKey, SecretAccessKey: userSecret}, req, sha, "eks", "us-west-2", now)
	if err != nil {
		t.Fatal(err)
	}
	return req.Header.Get("Authorization"), req.Header.Get("X-Amz-Date"), sha
}

// FuzzVerify: the sandbox's request authentication never panics on any request, refuses
// with a typed *Error (which the server maps to each protocol's error code), and accepts
// only requests signed with a key the lookup knows.
func FuzzVerify(f *testing.F) {
	body := []byte(`{"principalArn":"arn:aws:iam::111122223333:user/alice"}`)
	auth, date, sha := signedSeed(f, "POST", "/clusters/demo/access-entries", body)
	f.Add("POST", "/clusters/demo/access-entries", auth, date, "", sha, body)
	f.Add("POST", "/clusters/demo/access-entries", auth, date, "", "UNSIGNED-PAYLOAD", body)
	f.Add("GET", "/clusters/demo/access-entries/arn%3Aaws%3Aiam%3A%3A111122223333%3Auser%2Falice", auth, date, sessToken, "", []byte(nil))
	f.Add("GET", "/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="+userKey+"%2F20261127%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20261127T150000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Signature=00", "", "", "", "", []byte(nil))
	f.Add("POST", "/", "AWS4-HMAC-SHA256 Credential=/, SignedHeaders=, Signature=", "20261127T150000Z", "", "", []byte("Action=CreateUser"))
	f.Add("GET", "/%zz?%%", "AWS4-HMAC-SHA256 Credential="+userKey+"/20261127/us-west-2/eks/aws4_request,SignedHeaders=host,Signature=zz", "not-a-date", "", "", []byte(nil))
	f.Fuzz(func(t *testing.T, method, target, auth, date, token, sha string, body []byte) {
		r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(rawRequest(method, target, auth, date, token, sha, body))))
		if err != nil {
			return // not a request a server would hand to the sandbox
		}
		res, err := Verify(r, body, now, lookup)
		if err != nil {
			var ve *Error
			if !errors.As(err, &ve) || ve.Kind < Missing || ve.Kind > Mismatch {
				t.Fatalf("Verify returned an untyped refusal %T: %v", err, err)
			}
			return
		}
		if res == nil || res.Credential.AccessKeyID != res.Scope.AccessKeyID {
			t.Fatalf("accepted with result %+v", res)
		}
		if k := res.Credential.AccessKeyID; k != userKey && k != sessKey {
			t.Fatalf("accepted a request for unknown key %q", k)
		}
		if _, ok := ParseScope(r); !ok {
			t.Fatalf("accepted a request whose scope does not parse")
		}
	})
}

// FuzzVerifyURL: presigned URLs (the body of an EKS bearer token) never panic the verifier.
func FuzzVerifyURL(f *testing.F) {
	f.Add("https://sts.us-west-2.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + userKey + "%2F20261127%2Fus-west-2%2Fsts%2Faws4_request&X-Amz-Date=20261127T150000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Signature=abc")
	f.Add("http://[::1]:namedport/?X-Amz-Signature=1")
	f.Add("//%00?X-Amz-Signature=x&X-Amz-Credential=a/b/c/d/aws4_request&X-Amz-Algorithm=AWS4-HMAC-SHA256")
	f.Fuzz(func(t *testing.T, raw string) {
		h := http.Header{}
		h.Set("x-k8s-aws-id", "demo")
		res, err := VerifyURL("GET", raw, h, now, lookup)
		if err == nil && (res == nil || !strings.Contains(raw, res.Credential.AccessKeyID)) {
			t.Fatalf("accepted %q with %+v", raw, res)
		}
	})
}

// TestFuzzSeedVerifies keeps FuzzVerify's first seed honest: it is a request Verify accepts,
// so the fuzzer starts from the accepting path, not only from refusals.
func TestFuzzSeedVerifies(t *testing.T) {
	body := []byte(`{"principalArn":"arn:aws:iam::111122223333:user/alice"}`)
	auth, date, sha := signedSeed(t, "POST", "/clusters/demo/access-entries", body)
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(rawRequest("POST", "/clusters/demo/access-entries", auth, date, "", sha, body))))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(r, body, now, lookup); err != nil {
		t.Fatalf("the signed seed is refused: %v", err)
	}
	r, _ = http.ReadRequest(bufio.NewReader(bytes.NewReader(rawRequest("POST", "/clusters/demo/access-entries", auth, date, "", sha, append(body, ' ')))))
	if _, err := Verify(r, append(body, ' '), now, lookup); err == nil {
		t.Fatal("a changed body still verifies")
	}
}
