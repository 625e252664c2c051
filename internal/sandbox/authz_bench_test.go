package sandbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// BenchmarkServe is the server-side cost of one signed call (SigV4 verification, routing,
// the handler and, with enforcement, the policy evaluation), without the network: a signed
// request replayed into ServeHTTP. Sub-benchmarks pair enforcement off (the baseline) and on
// for the same call and caller, so their ratio is the evaluation's share of a call.
func BenchmarkServe(b *testing.B) {
	type target struct {
		name   string
		method string
		path   string
		form   url.Values
		svc    string
	}
	entry := "/clusters/" + DemoCluster + "/access-entries/" + url.PathEscape("arn:aws:iam::111122223333:user/admin")
	targets := []target{
		{"eks-DescribeAccessEntry", "GET", entry, nil, "eks"},
		{"eks-ListAccessEntries", "GET", "/clusters/" + DemoCluster + "/access-entries", nil, "eks"},
		{"iam-GetUser", "POST", "/", url.Values{"Action": {"GetUser"}, "Version": {"2010-05-08"}, "UserName": {"alice"}}, "iam"},
	}
	for _, who := range []string{"admin", "erin"} {
		for _, tg := range targets {
			for _, mode := range []string{"off", "on"} {
				b.Run(who+"/"+tg.name+"/enforce-"+mode, func(b *testing.B) {
					s, err := Start(context.Background(), Options{StateDir: b.TempDir(), NoIAMEnforce: mode == "off"})
					if err != nil {
						b.Fatal(err)
					}
					defer s.Close()
					creds := adminCredsB(b, s)
					if who == "erin" {
						creds = userKeyB(b, s, creds, "erin")
					}
					var body []byte
					if tg.form != nil {
						body = []byte(tg.form.Encode())
					}
					req, _ := http.NewRequest(tg.method, s.Endpoint()+tg.path, bytes.NewReader(body))
					if body != nil {
						req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					}
					sum := sha256.Sum256(body)
					if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), tg.svc, DemoRegion, time.Now()); err != nil {
						b.Fatal(err)
					}
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						r := req.Clone(context.Background())
						r.Body = http.NoBody
						if body != nil {
							r.Body = ioNopCloser(body)
						}
						w := httptest.NewRecorder()
						s.ServeHTTP(w, r)
						if w.Code != http.StatusOK {
							b.Fatalf("%d %s", w.Code, w.Body.String())
						}
					}
				})
			}
		}
	}
}

func adminCredsB(b *testing.B, s *Server) aws.Credentials {
	id, secret, err := s.AdminCredentials()
	if err != nil {
		b.Fatal(err)
	}
	return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}
}

// userKeyB makes an access key for user (as the admin) through IAM.
func userKeyB(b *testing.B, s *Server, admin aws.Credentials, user string) aws.Credentials {
	form := url.Values{"Action": {"CreateAccessKey"}, "Version": {"2010-05-08"}, "UserName": {user}}
	body := []byte(form.Encode())
	req, _ := http.NewRequest("POST", s.Endpoint()+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), admin, req, hex.EncodeToString(sum[:]), "iam", DemoRegion, time.Now()); err != nil {
		b.Fatal(err)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	root, err := parseXML(w.Body.Bytes())
	if err != nil || w.Code != 200 {
		b.Fatalf("CreateAccessKey: %d %s", w.Code, w.Body.String())
	}
	k := root.child("CreateAccessKeyResult").child("AccessKey")
	return aws.Credentials{AccessKeyID: k.child("AccessKeyId").text, SecretAccessKey: k.child("SecretAccessKey").text}
}

func ioNopCloser(b []byte) *nopReader { return &nopReader{bytes.NewReader(b)} }

type nopReader struct{ *bytes.Reader }

func (nopReader) Close() error { return nil }
