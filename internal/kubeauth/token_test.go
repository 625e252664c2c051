package kubeauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

const (
	exampleKey    = "AKIDEXAMPLE"
	exampleSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	// goldenToken is the token `aws eks get-token --cluster-name c1` printed for AKIDEXAMPLE
	// at 2026-11-27T14:57:49Z in us-west-2 (aws-wire.md §7.1): our generator must match it byte for byte.
	goldenToken = "k8s-aws-v1.aHR0cHM6Ly9zdHMudXMtd2VzdC0yLmFtYXpvbmF3cy5jb20vP0FjdGlvbj1HZXRDYWxsZXJJZGVudGl0eSZWZXJzaW9uPTIwMTEtMDYtMTUmWC1BbXotQWxnb3JpdGhtPUFXUzQtSE1BQy1TSEEyNTYmWC1BbXotQ3JlZGVudGlhbD1BS0lERVhBTVBMRSUyRjIwMjYxMTI3JTJGdXMtd2VzdC0yJTJGc3RzJTJGYXdzNF9yZXF1ZXN0JlgtQW16LURhdGU9MjAyNjExMjdUMTQ1NzQ5WiZYLUFtei1FeHBpcmVzPTYwJlgtQW16LVNpZ25lZEhlYWRlcnM9aG9zdCUzQngtazhzLWF3cy1pZCZYLUFtei1TaWduYXR1cmU9OTMyYjk2YTQwMjRhYWU2Y2ZkYTg0NTJlMmRhYzkxYmFmMzY5NTEzODE2MjdiODA2NzFjNjhmZTY1OTkyMjE4Ng"
	// goldenStdout is the exact stdout of that get-token call.
	goldenStdout = `{
    "kind": "ExecCredential",
    "apiVersion": "client.authentication.k8s.io/v1beta1",
    "spec": {},
    "status": {
        "expirationTimestamp": "2026-11-27T15:11:49Z",
        "token": "` + goldenToken + `"
    }
}
`
)

var goldenTime = time.Date(2026, 11, 27, 14, 57, 49, 0, time.UTC)

func fixed(t time.Time) func() time.Time { return func() time.Time { return t } }

func cfgFor(akid, secret, session, endpoint string) aws.Config {
	cfg := aws.Config{Region: "us-west-2", Credentials: credentials.NewStaticCredentialsProvider(akid, secret, session)}
	if endpoint != "" {
		cfg.BaseEndpoint = aws.String(endpoint)
	}
	return cfg
}

func TestGetTokenGolden(t *testing.T) {
	tok, err := GetToken(context.Background(), cfgFor(exampleKey, exampleSecret, "", ""), "c1", fixed(goldenTime))
	if err != nil {
		t.Fatal(err)
	}
	if tok.Token != goldenToken {
		t.Fatalf("token\n got %s\nwant %s", tok.Token, goldenToken)
	}
	if want := time.Date(2026, 11, 27, 15, 11, 49, 0, time.UTC); !tok.Expiration.Equal(want) {
		t.Errorf("expiration %v, want %v", tok.Expiration, want)
	}
	out, err := ExecCredentialJSON(tok, ExecV1beta1)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != goldenStdout {
		t.Errorf("exec credential\n got %s\nwant %s", out, goldenStdout)
	}
}

func TestGetTokenLocalEndpointWithSession(t *testing.T) {
	tok, err := GetToken(context.Background(), cfgFor("ASIAEXAMPLE", "secret", "tok/en+x=", "http://127.0.0.1:18080"), "c1", fixed(time.Date(2026, 11, 27, 15, 27, 39, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok.Token, TokenPrefix))
	// Same parameters and signature as awscli produced for these inputs; only the position of
	// X-Amz-Security-Token differs (Go sorts the query, botocore appends it after SignedHeaders).
	want := "http://127.0.0.1:18080/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAEXAMPLE%2F20261127%2Fus-west-2%2Fsts%2Faws4_request&X-Amz-Date=20261127T152739Z&X-Amz-Expires=60&X-Amz-Security-Token=tok%2Fen%2Bx%3D&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Signature=05bc71926c884cbd5e4320c300566f0573664268c12f8b9ffe1465654172a848"
	if string(raw) != want {
		t.Errorf("url\n got %s\nwant %s", raw, want)
	}
}

func TestGetTokenNoCluster(t *testing.T) {
	if _, err := GetToken(context.Background(), cfgFor(exampleKey, exampleSecret, "", ""), "", nil); err == nil {
		t.Fatal("want an error for an empty cluster name")
	}
}

func TestExecAPIVersion(t *testing.T) {
	tests := []struct {
		info, want string
		warn       bool
	}{
		{"", ExecV1beta1, false},
		{`{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}`, ExecV1, false},
		{`{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":false}}`, ExecV1beta1, false},
		{`{"apiVersion":"client.authentication.k8s.io/v1alpha1"}`, ExecV1beta1, true},
		{`{"apiVersion":"client.authentication.k8s.io/v2"}`, ExecV1beta1, true},
		{`not json`, ExecV1beta1, true},
	}
	for _, tt := range tests {
		got, warn := ExecAPIVersion(tt.info)
		if got != tt.want || (warn != "") != tt.warn {
			t.Errorf("ExecAPIVersion(%q) = %q, %q", tt.info, got, warn)
		}
	}
}

type key struct{ secret, session string }

func lookupIn(keys map[string]key) func(string) (string, string, bool) {
	return func(akid string) (string, string, bool) {
		k, ok := keys[akid]
		return k.secret, k.session, ok
	}
}

var testKeys = map[string]key{
	exampleKey:          {exampleSecret, ""},
	"ASIAEXAMPLE":       {"secret", "tok/en+x="},
	"AKIAOTHERSECRET01": {"other", ""},
}

func mustToken(t *testing.T, cfg aws.Config, cluster string, at time.Time) string {
	t.Helper()
	tok, err := GetToken(context.Background(), cfg, cluster, fixed(at))
	if err != nil {
		t.Fatal(err)
	}
	return tok.Token
}

// reencode decodes tok, lets edit change the URL, and encodes it again.
func reencode(t *testing.T, tok string, edit func(string) string) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, TokenPrefix))
	if err != nil {
		t.Fatal(err)
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(edit(string(raw))))
}

func TestVerify(t *testing.T) {
	local := "http://127.0.0.1:18080"
	user := mustToken(t, cfgFor(exampleKey, exampleSecret, "", local), "c1", goldenTime)
	session := mustToken(t, cfgFor("ASIAEXAMPLE", "secret", "tok/en+x=", "https://localhost:8443"), "c1", goldenTime)
	tamper := func(tok, old, new string) string {
		return reencode(t, tok, func(u string) string { return strings.Replace(u, old, new, 1) })
	}
	tests := []struct {
		name    string
		tok     string
		cluster string
		now     time.Time
		keys    map[string]key
		want    error // nil means accepted
	}{
		{"golden real endpoint", goldenToken, "c1", goldenTime.Add(time.Minute), testKeys, nil},
		{"local endpoint", user, "c1", goldenTime, testKeys, nil},
		{"session token", session, "c1", goldenTime, testKeys, nil},
		{"at 15 minutes", user, "c1", goldenTime.Add(15 * time.Minute), testKeys, nil},
		{"expired 15m1s", user, "c1", goldenTime.Add(15*time.Minute + time.Second), testKeys, ErrExpired},
		{"expired 16m", user, "c1", goldenTime.Add(16 * time.Minute), testKeys, ErrExpired},
		{"future 14m ok", user, "c1", goldenTime.Add(-14 * time.Minute), testKeys, nil},
		{"future 16m", user, "c1", goldenTime.Add(-16 * time.Minute), testKeys, ErrNotYetValid},
		{"wrong cluster", user, "c2", goldenTime, testKeys, ErrSignatureMismatch},
		{"cluster case matters", user, "C1", goldenTime, testKeys, ErrSignatureMismatch},
		{"unknown key", user, "c1", goldenTime, map[string]key{}, ErrUnknownKey},
		{"wrong secret", user, "c1", goldenTime, map[string]key{exampleKey: {"nope", ""}}, ErrSignatureMismatch},
		{"session token expected", user, "c1", goldenTime, map[string]key{exampleKey: {exampleSecret, "x"}}, ErrSignatureMismatch},
		{"session token differs", session, "c1", goldenTime, map[string]key{"ASIAEXAMPLE": {"secret", "other"}}, ErrSignatureMismatch},
		{"session token stripped", tamper(session, "&X-Amz-Security-Token=tok%2Fen%2Bx%3D", ""), "c1", goldenTime, testKeys, ErrSignatureMismatch},
		{"tampered signature", reencode(t, user, func(u string) string {
			i := strings.Index(u, "X-Amz-Signature=") + len("X-Amz-Signature=")
			c := byte('0')
			if u[i] == '0' {
				c = '1'
			}
			return u[:i] + string(c) + u[i+1:]
		}), "c1", goldenTime, testKeys, ErrSignatureMismatch},
		{"tampered date", tamper(user, "X-Amz-Date=20261127T145749Z", "X-Amz-Date=20261127T150749Z"), "c1", goldenTime, testKeys, ErrSignatureMismatch},
		{"tampered expires", tamper(user, "X-Amz-Expires=60", "X-Amz-Expires=900"), "c1", goldenTime, testKeys, ErrSignatureMismatch},
		{"tampered host port", tamper(user, "127.0.0.1:18080", "127.0.0.1:18081"), "c1", goldenTime, testKeys, ErrSignatureMismatch},
		{"tampered key id", tamper(user, "AKIDEXAMPLE", "AKIAOTHERSECRET01"), "c1", goldenTime, testKeys, ErrSignatureMismatch},
		{"extra param", reencode(t, user, func(u string) string { return u + "&X-Amz-Foo=1" }), "c1", goldenTime, testKeys, ErrMalformed},
		{"foreign host", tamper(goldenToken, "sts.us-west-2.amazonaws.com", "sts.us-west-2.evil.com"), "c1", goldenTime, testKeys, ErrMalformed},
		{"not a token", "Bearer nothing", "c1", goldenTime, testKeys, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			akid, err := Verify(tt.tok, tt.cluster, tt.now, lookupIn(tt.keys))
			if tt.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				p, _ := ParseToken(tt.tok)
				if akid != p.AccessKeyID {
					t.Errorf("akid %q, want %q", akid, p.AccessKeyID)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			if akid != "" {
				t.Errorf("akid %q returned with an error", akid)
			}
		})
	}
}

func TestParseTokenRefuses(t *testing.T) {
	enc := func(u string) string { return TokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(u)) }
	good := "https://sts.us-west-2.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261127%2Fus-west-2%2Fsts%2Faws4_request&X-Amz-Date=20261127T145749Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Signature=932b96a4024aae6cfda8452e2dac91baf36951381627b80671c68fe659922186"
	if _, err := ParseToken(enc(good)); err != nil {
		t.Fatalf("good URL refused: %v", err)
	}
	swap := func(old, new string) string { return enc(strings.Replace(good, old, new, 1)) }
	tests := map[string]string{
		"too long":          TokenPrefix + strings.Repeat("A", MaxTokenLength),
		"no prefix":         strings.TrimPrefix(enc(good), TokenPrefix),
		"padded base64":     enc(good) + "=",
		"std alphabet":      TokenPrefix + base64.StdEncoding.EncodeToString([]byte(good+"??>")),
		"http real host":    swap("https://", "http://"),
		"port on real host": swap("amazonaws.com/", "amazonaws.com:8443/"),
		"other host":        swap("sts.us-west-2.amazonaws.com", "example.com"),
		"region mismatch":   swap("sts.us-west-2.", "sts.eu-west-1."),
		"ftp loopback":      swap("https://sts.us-west-2.amazonaws.com", "ftp://127.0.0.1"),
		"path":              swap(".com/?", ".com/x?"),
		"userinfo":          swap("https://", "https://u:p@"),
		"action":            swap("GetCallerIdentity", "AssumeRole"),
		"duplicate param":   enc(good + "&Version=2011-06-15"),
		"case duplicate":    enc(good + "&version=2011-06-15"),
		"unknown param":     enc(good + "&Foo=bar"),
		"unsigned cluster":  swap("host%3Bx-k8s-aws-id", "host"),
		"extra signed hdr":  swap("host%3Bx-k8s-aws-id", "host%3Bx-amz-date%3Bx-k8s-aws-id"),
		"expires 901":       swap("X-Amz-Expires=60", "X-Amz-Expires=901"),
		"expires negative":  swap("X-Amz-Expires=60", "X-Amz-Expires=-1"),
		"bad date":          swap("20261127T145749Z", "2026-11-27"),
		"scope date":        swap("%2F20261127%2F", "%2F20261128%2F"),
		"scope service":     swap("%2Fsts%2F", "%2Fiam%2F"),
		"algorithm":         swap("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256"),
		"short signature":   swap("932b96a4", ""),
	}
	for name, tok := range tests {
		if _, err := ParseToken(tok); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err %v, want ErrMalformed", name, err)
		}
	}
	for _, host := range []string{"http://127.0.0.1:1", "https://[::1]:8443", "http://localhost", "https://sts.amazonaws.com"} {
		u := strings.Replace(good, "https://sts.us-west-2.amazonaws.com", host, 1)
		if host == "https://sts.amazonaws.com" {
			u = strings.Replace(u, "us-west-2", "us-east-1", 1)
		}
		if _, err := ParseToken(enc(u)); err != nil {
			t.Errorf("%s refused: %v", host, err)
		}
	}
}

func FuzzParseToken(f *testing.F) {
	f.Add(goldenToken)
	f.Add(TokenPrefix)
	f.Add(TokenPrefix + base64.RawURLEncoding.EncodeToString([]byte("http://127.0.0.1:1/?Action=GetCallerIdentity")))
	f.Add("k8s-aws-v1.%%%")
	f.Fuzz(func(t *testing.T, tok string) {
		p, err := ParseToken(tok)
		if err != nil {
			if p != nil {
				t.Fatal("non-nil request with an error")
			}
			return
		}
		if p.Query.Get("Action") != "GetCallerIdentity" || p.Expires < 0 || p.Expires > 900 || p.AccessKeyID == "" || len(p.Signature) != 64 {
			t.Fatalf("accepted an invalid token: %+v", p)
		}
		// Verification of a parsed token must not panic either.
		Verify(tok, "c1", p.Date, func(string) (string, string, bool) { return "s", p.SecurityToken, true })
	})
}

// TestAwsCLIToken runs the real `aws eks get-token` (no server needed: presigning is local)
// and checks the sandbox-side verifier accepts it, and that our generator produces the same
// token for the same inputs and signing time.
func TestAwsCLIToken(t *testing.T) {
	awsPath, err := exec.LookPath("aws")
	if err != nil {
		t.Fatalf("the aws CLI is required for this test (it is installed on the team image): %v", err)
	}
	home := t.TempDir()
	cmd := exec.Command(awsPath, "eks", "get-token", "--cluster-name", "hyperpod-demo")
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_ACCESS_KEY_ID=" + exampleKey, "AWS_SECRET_ACCESS_KEY=" + exampleSecret,
		"AWS_REGION=us-west-2", "AWS_DEFAULT_REGION=us-west-2",
		"AWS_ENDPOINT_URL_STS=http://127.0.0.1:18080",
	}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("aws eks get-token: %v", err)
	}
	var ec ExecCredential
	if err := json.Unmarshal(out, &ec); err != nil {
		t.Fatalf("aws output %q: %v", out, err)
	}
	p, err := ParseToken(ec.Status.Token)
	if err != nil {
		t.Fatal(err)
	}
	if akid, err := Verify(ec.Status.Token, "hyperpod-demo", p.Date.Add(time.Minute), lookupIn(testKeys)); err != nil || akid != exampleKey {
		t.Fatalf("aws token refused: %v", err)
	}
	if _, err := Verify(ec.Status.Token, "other", p.Date, lookupIn(testKeys)); !errors.Is(err, ErrSignatureMismatch) {
		t.Errorf("aws token for another cluster: err %v", err)
	}
	ours := mustToken(t, cfgFor(exampleKey, exampleSecret, "", "http://127.0.0.1:18080"), "hyperpod-demo", p.Date)
	if ours != ec.Status.Token {
		t.Errorf("tokens differ\n aws %s\n ours %s", ec.Status.Token, ours)
	}
	if want := p.Date.Add(TokenLifetime).Format("2006-01-02T15:04:05Z"); ec.Status.ExpirationTimestamp != want {
		// The CLI computes expiry from its own clock, a moment after signing; allow that second.
		if alt := p.Date.Add(TokenLifetime + time.Second).Format("2006-01-02T15:04:05Z"); ec.Status.ExpirationTimestamp != alt {
			t.Errorf("aws expiry %s, want %s", ec.Status.ExpirationTimestamp, want)
		}
	}
	if u, _ := url.Parse(p.URL.String()); u.Host != "127.0.0.1:18080" {
		t.Errorf("host %s", u.Host)
	}
}
