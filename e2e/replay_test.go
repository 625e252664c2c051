package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"eksaccess/internal/sandbox"
)

// A signed request must not be usable by whoever captures it once the 15-minute window has
// passed, and a request signed with the wrong secret must never be accepted. Raw HTTP with the
// SDK's own signer, so nothing but the signature and its time differ from a valid call.

type call struct {
	service, method, path, body, contentType string
}

var (
	stsCall = call{"sts", http.MethodPost, "/", "Action=GetCallerIdentity&Version=2011-06-15", "application/x-www-form-urlencoded; charset=utf-8"}
	eksCall = call{"eks", http.MethodGet, "/clusters", "", ""}
)

// clock is the sandbox's clock, moved by the test to replay a request later.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func startSandbox(t *testing.T, now func() time.Time) (*sandbox.Server, aws.Credentials) {
	t.Helper()
	srv, err := sandbox.Start(context.Background(), sandbox.Options{StateDir: t.TempDir(), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	id, secret, err := srv.AdminCredentials()
	if err != nil {
		t.Fatal(err)
	}
	return srv, aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}
}

func signed(t *testing.T, endpoint string, c call, creds aws.Credentials, at time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(c.method, endpoint+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if c.contentType != "" {
		req.Header.Set("Content-Type", c.contentType)
	}
	sum := sha256.Sum256([]byte(c.body))
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), c.service, "us-west-2", at); err != nil {
		t.Fatal(err)
	}
	return req
}

// send sends req (again, for a replay: same headers, same body) and returns the status and
// the AWS error code, from the header restJson1 uses or the awsQuery XML body.
func send(t *testing.T, req *http.Request, body string) (int, string, string) {
	t.Helper()
	r := req.Clone(context.Background())
	r.Body = io.NopCloser(strings.NewReader(body))
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	code := resp.Header.Get("X-Amzn-ErrorType")
	if code == "" && resp.StatusCode >= 400 {
		var e struct {
			Error struct{ Code string }
		}
		if err := xml.Unmarshal(b, &e); err != nil {
			t.Fatalf("error body %q is not an awsQuery error: %v", b, err)
		}
		code = e.Error.Code
	}
	return resp.StatusCode, code, string(b)
}

func TestSignatureTimeAndSecret(t *testing.T) {
	srv, creds := startSandbox(t, nil)
	wrong := creds
	wrong.SecretAccessKey = strings.Repeat("x", 40)
	now := time.Now()
	for _, tc := range []struct {
		name    string
		call    call
		creds   aws.Credentials
		at      time.Time
		status  int
		code    string
		message string
	}{
		{"sts now", stsCall, creds, now, 200, "", ""},
		{"eks now", eksCall, creds, now, 200, "", ""},
		{"sts signed 14m ago", stsCall, creds, now.Add(-14 * time.Minute), 200, "", ""},
		{"sts signed 16m ago", stsCall, creds, now.Add(-16 * time.Minute), 403, "SignatureDoesNotMatch", "Signature expired"},
		{"eks signed 16m ago", eksCall, creds, now.Add(-16 * time.Minute), 403, "InvalidSignatureException", "Signature expired"},
		{"sts signed 16m ahead", stsCall, creds, now.Add(16 * time.Minute), 403, "SignatureDoesNotMatch", "Signature not yet current"},
		{"sts wrong secret", stsCall, wrong, now, 403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."},
		{"eks wrong secret", eksCall, wrong, now, 403, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, code, body := send(t, signed(t, srv.Endpoint(), tc.call, tc.creds, tc.at), tc.call.body)
			if status != tc.status || code != tc.code || !strings.Contains(body, tc.message) {
				t.Errorf("got %d %q %s; want %d %q with %q", status, code, body, tc.status, tc.code, tc.message)
			}
		})
	}
}

// TestReplay16MinutesLater sends one captured request twice: accepted now, refused when the
// sandbox's clock says 16 minutes have passed.
func TestReplay16MinutesLater(t *testing.T) {
	clk := &clock{t: time.Now()}
	srv, creds := startSandbox(t, clk.now)
	for _, c := range []call{stsCall, eksCall} {
		req := signed(t, srv.Endpoint(), c, creds, clk.now())
		if status, code, body := send(t, req, c.body); status != 200 {
			t.Fatalf("%s first send: %d %s %s", c.service, status, code, body)
		}
		clk.add(16 * time.Minute)
		status, code, body := send(t, req, c.body)
		want := map[string]string{"sts": "SignatureDoesNotMatch", "eks": "InvalidSignatureException"}[c.service]
		if status != 403 || code != want || !strings.Contains(body, "Signature expired") {
			t.Errorf("%s replayed 16m later: %d %q %s; want 403 %s, Signature expired", c.service, status, code, body, want)
		}
	}
}
