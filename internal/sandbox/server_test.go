package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"eksaccess/internal/sandbox/state"
)

func addSession(t *testing.T, s *Server, id, token string, exp time.Time) aws.Credentials {
	t.Helper()
	secret := NewSecretAccessKey()
	err := s.Store().Update(func(d *state.Data) error {
		r := d.Roles[strings.ToLower(DemoSSORole)]
		d.Sessions[id] = &state.Session{
			AccessKeyID: id, SecretAccessKey: secret, SessionToken: token,
			RoleArn: r.Arn, RoleName: r.RoleName, RoleID: r.RoleID, SessionName: "alice",
			Expiration: exp, SourceArn: d.Users["alice"].Arn,
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: token}
}

// TestSigV4EndToEnd drives SDK clients with good and bad credentials at every protocol's
// error format (the errors come from the server before any service handler runs).
func TestSigV4EndToEnd(t *testing.T) {
	s := start(t, Options{})
	admin := adminCreds(t, s)
	sess := addSession(t, s, "ASIASESSIONSESSION01", "session-token-1", time.Now().Add(time.Hour))
	expired := addSession(t, s, "ASIASESSIONEXPIRED02", "session-token-2", time.Now().Add(-time.Minute))

	wrongSecret := admin
	wrongSecret.SecretAccessKey = "0000000000000000000000000000000000000000"
	unknown := aws.Credentials{AccessKeyID: "AKIAUNKNOWNUNKNOWN00", SecretAccessKey: admin.SecretAccessKey}
	noToken := sess
	noToken.SessionToken = ""

	sm := func(c aws.Credentials) error {
		_, err := smClient(s, c, clientOpts{}).ListClusters(ctx(), &sagemaker.ListClustersInput{})
		return err
	}
	sm2 := func(c aws.Credentials) error {
		_, err := smClient(s, c, clientOpts{region: "eu-central-1"}).ListClusters(ctx(), &sagemaker.ListClustersInput{})
		return err
	}
	ek := func(c aws.Credentials) error {
		_, err := eksClient(s, c, clientOpts{}).DescribeCluster(ctx(), &eks.DescribeClusterInput{Name: aws.String(DemoCluster)})
		return err
	}
	st := func(c aws.Credentials) error {
		_, err := stsClient(s, c, clientOpts{}).GetCallerIdentity(ctx(), &sts.GetCallerIdentityInput{})
		return err
	}
	im := func(c aws.Credentials) error {
		_, err := iamClient(s, c, clientOpts{}).GetUser(ctx(), &iam.GetUserInput{UserName: aws.String("alice")})
		return err
	}
	cases := []struct {
		name   string
		call   func(aws.Credentials) error
		creds  aws.Credentials
		code   string // "" = success
		status int
	}{
		{"sagemaker right key", sm, admin, "", 200},
		{"sagemaker any region", sm2, admin, "", 200},
		{"sagemaker session", sm, sess, "", 200},
		{"sagemaker wrong secret", sm, wrongSecret, "InvalidSignatureException", 403},
		{"sagemaker unknown key", sm, unknown, "UnrecognizedClientException", 403},
		{"sagemaker session without token", sm, noToken, "UnrecognizedClientException", 403},
		{"sagemaker expired session", sm, expired, "ExpiredTokenException", 403},
		{"eks wrong secret", ek, wrongSecret, "InvalidSignatureException", 403},
		{"eks unknown key", ek, unknown, "UnrecognizedClientException", 403},
		{"eks expired session", ek, expired, "ExpiredTokenException", 403},
		{"sts wrong secret", st, wrongSecret, "SignatureDoesNotMatch", 403},
		{"sts unknown key", st, unknown, "InvalidClientTokenId", 403},
		{"sts session without token", st, noToken, "InvalidClientTokenId", 403},
		{"sts expired session", st, expired, "ExpiredToken", 403},
		{"iam wrong secret", im, wrongSecret, "SignatureDoesNotMatch", 403},
		{"iam unknown key", im, unknown, "InvalidClientTokenId", 403},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(tc.creds)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			apiErr(t, err, tc.code, tc.status)
		})
	}
}

// rawCall signs a request with the SDK's signer at signedAt, lets tamper change it, and
// sends it; it returns the status and body.
func rawCall(t *testing.T, s *Server, c aws.Credentials, service, target, body string, signedAt time.Time, tamper func(*http.Request)) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest("POST", s.Endpoint()+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	switch service {
	case "sagemaker":
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", target)
	default:
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if c.AccessKeyID != "" {
		h := sha256hex(body)
		if err := v4.NewSigner().SignHTTP(ctx(), c, req, h, service, DemoRegion, signedAt); err != nil {
			t.Fatal(err)
		}
	}
	if tamper != nil {
		tamper(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestSigV4Raw(t *testing.T) {
	s := start(t, Options{})
	admin := adminCreds(t, s)
	sess := addSession(t, s, "ASIASESSIONSESSION03", "tok-3", time.Now().Add(time.Hour))
	noToken := sess
	noToken.SessionToken = ""
	now := time.Now()
	describe := `{"ClusterName":"ml-team-hp"}`
	cases := []struct {
		name     string
		creds    aws.Credentials
		signedAt time.Time
		tamper   func(*http.Request)
		status   int
		wantBody string // substring
	}{
		{"right key", admin, now, nil, 200, `"ClusterName":"ml-team-hp"`},
		{"replayed 16 minutes later", admin, now.Add(-16 * time.Minute), nil, 403, `{"Message":"Signature expired: `},
		{"signed 16 minutes ahead", admin, now.Add(16 * time.Minute), nil, 403, `"Signature not yet current: `},
		{"tampered body", admin, now, func(r *http.Request) {
			b := `{"ClusterName":"ml-team-hq"}`
			r.Body = io.NopCloser(strings.NewReader(b))
		}, 403, `"__type":"InvalidSignatureException"`},
		{"tampered header", admin, now, func(r *http.Request) { r.Header.Set("X-Amz-Target", "SageMaker.ListClusters") }, 403, `"__type":"InvalidSignatureException"`},
		{"unsigned", aws.Credentials{}, now, nil, 403, `"__type":"MissingAuthenticationTokenException"`},
		{"session without token", noToken, now, nil, 403, `"__type":"UnrecognizedClientException"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body, _ := rawCall(t, s, tc.creds, "sagemaker", "SageMaker.DescribeCluster", describe, tc.signedAt, tc.tamper)
			if status != tc.status || !strings.Contains(body, tc.wantBody) {
				t.Fatalf("got %d %s, want %d containing %s", status, body, tc.status, tc.wantBody)
			}
		})
	}
	// Query services: XML error with the short codes.
	status, body, _ := rawCall(t, s, admin, "sts", "", "Action=GetCallerIdentity&Version=2011-06-15", now.Add(-16*time.Minute), nil)
	if status != 403 || !strings.Contains(body, "<Code>SignatureDoesNotMatch</Code><Message>Signature expired: ") ||
		!strings.Contains(body, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>`) {
		t.Fatalf("sts replay: %d %s", status, body)
	}
	status, body, _ = rawCall(t, s, aws.Credentials{}, "iam", "", "Action=GetUser&Version=2010-05-08", now, nil)
	if status != 403 || !strings.Contains(body, "<Code>MissingAuthenticationToken</Code>") || !strings.Contains(body, "https://iam.amazonaws.com/doc/2010-05-08/") {
		t.Fatalf("iam unsigned: %d %s", status, body)
	}
}

func sha256hex(s string) string {
	h := sha256Sum([]byte(s))
	return h
}

func TestPresignedGetCallerIdentityRouted(t *testing.T) {
	s := start(t, Options{})
	admin := adminCreds(t, s)
	req, _ := http.NewRequest("GET", s.Endpoint()+"/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=60", nil)
	req.Header.Set("x-k8s-aws-id", DemoCluster)
	u, _, err := v4.NewSigner().PresignHTTP(ctx(), admin, req, sha256hex(""), "sts", DemoRegion, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		id     string
		status int
	}{{DemoCluster, 200}, {"other", 403}} {
		get, _ := http.NewRequest("GET", u, nil)
		get.Header.Set("x-k8s-aws-id", tc.id)
		resp, err := http.DefaultClient.Do(get)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Fatalf("presigned GET with x-k8s-aws-id %s: %d %s, want %d", tc.id, resp.StatusCode, b, tc.status)
		}
	}
	recs := s.Requests()
	if len(recs) != 2 || recs[0].Service != "sts" || recs[0].Caller != "arn:aws:iam::111122223333:user/admin" || recs[1].Fault != "auth" {
		t.Errorf("log = %+v", recs)
	}
}

func TestThrottle(t *testing.T) {
	s := start(t, Options{ThrottleRPS: 1})
	admin := adminCreds(t, s)
	// Each service has its own bucket of one token: per service, the first call passes and
	// the next one in the same second does not.
	if _, err := smClient(s, admin, clientOpts{}).ListClusters(ctx(), &sagemaker.ListClustersInput{}); err != nil {
		t.Fatal(err)
	}
	_, err := smClient(s, admin, clientOpts{}).ListClusters(ctx(), &sagemaker.ListClustersInput{})
	apiErr(t, err, "ThrottlingException", 400)
	ec := eksClient(s, admin, clientOpts{})
	if _, err := ec.DescribeCluster(ctx(), &eks.DescribeClusterInput{Name: aws.String(DemoCluster)}); err != nil {
		t.Fatalf("first EKS call is throttled by SageMaker's bucket: %v", err)
	}
	_, err = ec.DescribeCluster(ctx(), &eks.DescribeClusterInput{Name: aws.String(DemoCluster)})
	apiErr(t, err, "ThrottlingException", 429)
	// Each account has its own buckets, as AWS throttles each account separately: the
	// partner's first EKS call passes while the first account's bucket is empty.
	pid, psecret, err := s.AccountAdminCredentials(PartnerAccount)
	if err != nil {
		t.Fatal(err)
	}
	pc := eksClient(s, aws.Credentials{AccessKeyID: pid, SecretAccessKey: psecret}, clientOpts{})
	if _, err := pc.DescribeCluster(ctx(), &eks.DescribeClusterInput{Name: aws.String(PartnerCluster)}); err != nil {
		t.Fatalf("the partner's first EKS call is throttled by the first account's bucket: %v", err)
	}
	_, err = pc.DescribeCluster(ctx(), &eks.DescribeClusterInput{Name: aws.String(PartnerCluster)})
	apiErr(t, err, "ThrottlingException", 429)
	ic := iamClient(s, admin, clientOpts{})
	if _, err := ic.GetUser(ctx(), &iam.GetUserInput{}); err != nil {
		t.Fatal(err)
	}
	_, err = ic.GetUser(ctx(), &iam.GetUserInput{})
	apiErr(t, err, "Throttling", 400)
	sc := stsClient(s, admin, clientOpts{})
	if _, err := sc.GetCallerIdentity(ctx(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	_, err = sc.GetCallerIdentity(ctx(), &sts.GetCallerIdentityInput{})
	ae := apiErr(t, err, "Throttling", 400)
	if ae.ErrorMessage() != "Rate exceeded" {
		t.Errorf("message %q", ae.ErrorMessage())
	}

	// With retries the SDK waits the throttling out.
	s2 := start(t, Options{ThrottleRPS: 10})
	sm := smClient(s2, adminCreds(t, s2), clientOpts{attempts: 10, backoff: 50 * time.Millisecond})
	for i := 0; i < 20; i++ {
		if _, err := sm.ListClusters(ctx(), &sagemaker.ListClustersInput{}); err != nil {
			t.Fatalf("call %d with retries: %v", i, err)
		}
	}
	ok, throttled := 0, 0
	for _, r := range s2.Requests() {
		switch {
		case r.Fault == "throttle":
			throttled++
			if r.Status != 400 || r.ErrorCode != "ThrottlingException" {
				t.Errorf("throttled record %+v", r)
			}
		case r.Status == 200:
			ok++
		}
	}
	if ok != 20 || throttled == 0 {
		t.Errorf("log: %d ok, %d throttled; want 20 ok and some throttled", ok, throttled)
	}
}

func TestFaults(t *testing.T) {
	s := start(t, Options{FaultRate: 1, RandSeed: 7})
	admin := adminCreds(t, s)
	codes := map[string]bool{}
	for i := 0; i < 20; i++ {
		_, err := eksClient(s, admin, clientOpts{}).DescribeCluster(ctx(), &eks.DescribeClusterInput{Name: aws.String(DemoCluster)})
		var ae interface{ ErrorCode() string }
		if !errors.As(err, &ae) {
			t.Fatalf("call %d: %v", i, err)
		}
		codes[ae.ErrorCode()] = true
	}
	if !codes["ServerException"] || !codes["ServiceUnavailableException"] || len(codes) != 2 {
		t.Errorf("EKS fault codes %v, want ServerException and ServiceUnavailableException", codes)
	}
	_, err := iamClient(s, admin, clientOpts{}).GetUser(ctx(), &iam.GetUserInput{})
	var ae interface{ ErrorCode() string }
	if !errors.As(err, &ae) || (ae.ErrorCode() != "ServiceFailure" && ae.ErrorCode() != "ServiceUnavailable") {
		t.Errorf("IAM fault = %v", err)
	}
	// The SDK retries 5xx: three attempts, all in the log.
	before := len(s.Requests())
	_, err = smClient(s, admin, clientOpts{attempts: 3}).ListClusters(ctx(), &sagemaker.ListClustersInput{})
	if err == nil || !strings.Contains(err.Error(), "exceeded maximum number of attempts, 3") {
		t.Errorf("with retries: %v", err)
	}
	if n := len(s.Requests()) - before; n != 3 {
		t.Errorf("%d attempts logged, want 3", n)
	}
}

func TestFaultsRetriedToSuccess(t *testing.T) {
	s := start(t, Options{FaultRate: 0.5, RandSeed: 42})
	sm := smClient(s, adminCreds(t, s), clientOpts{attempts: 20})
	for i := 0; i < 10; i++ {
		if _, err := sm.DescribeCluster(ctx(), &sagemaker.DescribeClusterInput{ClusterName: aws.String(DemoHyperPod)}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	faults := 0
	for _, r := range s.Requests() {
		if r.Fault == "fault" {
			faults++
			if r.Status != 500 && r.Status != 503 {
				t.Errorf("fault record status %d", r.Status)
			}
		}
	}
	if faults == 0 || len(s.Requests()) != 10+faults {
		t.Errorf("%d records, %d faults", len(s.Requests()), faults)
	}
}

func TestResets(t *testing.T) {
	s := start(t, Options{ResetRate: 1, RandSeed: 3})
	admin := adminCreds(t, s)
	_, err := smClient(s, admin, clientOpts{}).ListClusters(ctx(), &sagemaker.ListClustersInput{})
	if err == nil {
		t.Fatal("call succeeded through a dropped connection")
	}
	s2 := start(t, Options{ResetRate: 0.5, RandSeed: 3})
	sm := smClient(s2, adminCreds(t, s2), clientOpts{attempts: 20})
	for i := 0; i < 10; i++ {
		if _, err := sm.DescribeCluster(ctx(), &sagemaker.DescribeClusterInput{ClusterName: aws.String(DemoHyperPod)}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	kinds := map[string]int{}
	for _, r := range s2.Requests() {
		kinds[r.Fault]++
		if strings.HasPrefix(r.Fault, "reset") && r.Status != 0 {
			t.Errorf("reset record with status %d", r.Status)
		}
		if r.Fault == "reset-after" && r.Operation != "DescribeCluster" {
			t.Errorf("reset-after record did not run the handler: %+v", r)
		}
	}
	if kinds[""] != 10 || kinds["reset-before"] == 0 || kinds["reset-after"] == 0 {
		t.Errorf("outcomes %v, want 10 clean and both kinds of reset", kinds)
	}
}

func TestLatency(t *testing.T) {
	s := start(t, Options{Latency: 150 * time.Millisecond})
	t0 := time.Now()
	if _, err := smClient(s, adminCreds(t, s), clientOpts{}).ListClusters(ctx(), &sagemaker.ListClustersInput{}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d < 150*time.Millisecond {
		t.Errorf("call took %v, want at least 150ms", d)
	}
	if r := s.Requests(); len(r) != 1 || r[0].DurationMS < 150 {
		t.Errorf("log %+v", r)
	}
}

func TestRequestLog(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "requests.jsonl")
	s := start(t, Options{StateDir: filepath.Join(dir, "state"), LogPath: logPath})
	admin := adminCreds(t, s)
	sm := smClient(s, admin, clientOpts{})
	for i := 0; i < 3; i++ {
		if _, err := sm.DescribeCluster(ctx(), &sagemaker.DescribeClusterInput{ClusterName: aws.String(DemoHyperPod)}); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = sm.DescribeCluster(ctx(), &sagemaker.DescribeClusterInput{ClusterName: aws.String("missing")})
	bad := admin
	bad.SecretAccessKey = "x"
	_, _ = smClient(s, bad, clientOpts{}).ListClusters(ctx(), &sagemaker.ListClustersInput{})

	recs := s.Requests()
	if len(recs) != 5 {
		t.Fatalf("%d records, want 5: %+v", len(recs), recs)
	}
	want := LogRecord{Service: "sagemaker", Operation: "DescribeCluster", Caller: "arn:aws:iam::111122223333:user/admin", Status: 200}
	for i, r := range recs[:3] {
		if r.Service != want.Service || r.Operation != want.Operation || r.Caller != want.Caller || r.Status != 200 || r.Mutating || r.RequestID == "" || r.Fault != "" {
			t.Errorf("record %d = %+v", i, r)
		}
	}
	if r := recs[3]; r.Status != 400 || r.ErrorCode != "ResourceNotFound" || r.Operation != "DescribeCluster" {
		t.Errorf("record 3 = %+v", r)
	}
	if r := recs[4]; r.Status != 403 || r.ErrorCode != "InvalidSignatureException" || r.Operation != "ListClusters" || r.Caller != "" || r.Fault != "auth" {
		t.Errorf("record 4 = %+v", r)
	}

	f, err := os.Open(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 5 {
		t.Fatalf("%d log lines, want 5", len(lines))
	}
	for _, k := range []string{"operation", "service", "caller", "status", "duration_ms", "mutating"} {
		if _, ok := lines[0][k]; !ok {
			t.Errorf("log line lacks %q: %v", k, lines[0])
		}
	}
}

func TestPersistenceAndRunInfo(t *testing.T) {
	dir := t.TempDir()
	s, err := Start(ctx(), Options{StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	admin := adminCreds(t, s)
	if err := s.Store().Update(func(d *state.Data) error {
		d.HyperPod["extra"] = &state.HyperPodCluster{ClusterName: "extra", ClusterArn: "arn:aws:sagemaker:us-west-2:111122223333:cluster/extra0000000", ClusterStatus: "InService", CreationTime: time.Unix(1700000000, 0).UTC()}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	info, running, err := ReadRunInfo(dir)
	if err != nil || !running || info.Endpoint != s.Endpoint() || info.PID != os.Getpid() {
		t.Fatalf("ReadRunInfo = %+v %v %v, want endpoint %s", info, running, err, s.Endpoint())
	}
	lines, running, err := EnvForDir(dir)
	wantLines := "export AWS_ENDPOINT_URL=" + s.Endpoint() + "\nexport AWS_REGION=us-west-2\nexport AWS_DEFAULT_REGION=us-west-2\n" +
		"export AWS_ACCESS_KEY_ID=" + admin.AccessKeyID + "\nexport AWS_SECRET_ACCESS_KEY=" + admin.SecretAccessKey + "\n"
	if err != nil || !running || lines != wantLines || s.EnvLines() != wantLines {
		t.Fatalf("EnvForDir = %q %v %v\nwant %q", lines, running, err, wantLines)
	}
	caPEM := s.CAPEM()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, RunInfoFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("running-info file after Close: %v", err)
	}
	lines, running, err = EnvForDir(dir)
	if err != nil || running || !strings.HasPrefix(lines, "export AWS_ENDPOINT_URL=http://127.0.0.1:4566\n") || !strings.Contains(lines, admin.AccessKeyID) {
		t.Fatalf("EnvForDir stopped = %q %v %v", lines, running, err)
	}

	s2 := start(t, Options{StateDir: dir})
	if got := adminCreds(t, s2); got != admin {
		t.Errorf("admin key after restart %v, want %v", got.AccessKeyID, admin.AccessKeyID)
	}
	out, err := smClient(s2, admin, clientOpts{}).DescribeCluster(ctx(), &sagemaker.DescribeClusterInput{ClusterName: aws.String("extra")})
	if err != nil || aws.ToTime(out.CreationTime).Unix() != 1700000000 {
		t.Fatalf("extra after restart: %v %v", out, err)
	}
	if !bytes.Equal(s2.CAPEM(), caPEM) {
		t.Error("CA changed across restart")
	}
}

func TestLocking(t *testing.T) {
	dir := t.TempDir()
	s, err := Start(ctx(), Options{StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Start(ctx(), Options{StateDir: dir}); !errors.Is(err, state.ErrLocked) {
		t.Fatalf("second Start = %v, want ErrLocked", err)
	}
	if err := Reset(dir); !errors.Is(err, state.ErrLocked) {
		t.Fatalf("Reset while running = %v, want ErrLocked", err)
	}

	type result struct {
		s   *Server
		err error
	}
	done := make(chan result, 1)
	go func() {
		s2, err := Start(ctx(), Options{StateDir: dir, Wait: true})
		done <- result{s2, err}
	}()
	select {
	case r := <-done:
		t.Fatalf("waiting Start returned while the first server held the directory: %v", r.err)
	case <-time.After(150 * time.Millisecond):
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("waiting Start: %v", r.err)
	}
	s2 := r.s
	s2.Close()
}

func TestContextCancelCloses(t *testing.T) {
	dir := t.TempDir()
	c, cancel := context.WithCancel(ctx())
	_, err := Start(c, Options{StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s2, err := Start(ctx(), Options{StateDir: dir})
		if err == nil {
			s2.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("directory still locked after cancel: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestReset(t *testing.T) {
	dir := t.TempDir()
	s := start(t, Options{StateDir: dir})
	old := adminCreds(t, s)
	if err := s.Store().Update(func(d *state.Data) error {
		delete(d.Clusters, DemoCluster)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := Reset(dir); err != nil {
		t.Fatal(err)
	}
	d, err := state.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := d.Clusters[DemoCluster]; !ok {
		t.Error("Reset did not restore hyperpod-demo")
	}
	if id, _, _ := AdminKey(d); id == old.AccessKeyID {
		t.Error("Reset kept the old admin key")
	}
	// Over an unreadable state too.
	os.WriteFile(filepath.Join(dir, state.FileName), []byte("{garbage"), 0o600)
	if err := Reset(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := state.Load(dir); err != nil {
		t.Fatal(err)
	}
}

func TestKubeListenerTLS(t *testing.T) {
	dir := t.TempDir()
	s := start(t, Options{StateDir: dir})
	for _, f := range []string{CACertFile, CAKeyFile} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", f, fi, err)
		}
	}
	ep := s.KubeEndpoint(DemoCluster)
	if !strings.HasPrefix(ep, "https://127.0.0.1:") || !strings.HasSuffix(ep, "/k8s/hyperpod-demo") {
		t.Errorf("KubeEndpoint = %s", ep)
	}
	pemData, err := base64.StdEncoding.DecodeString(s.Config().CAData())
	if err != nil || !bytes.Equal(pemData, s.CAPEM()) {
		t.Fatalf("CAData does not decode to the CA PEM: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemData)
	cl := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 5 * time.Second}
	resp, err := cl.Get(strings.TrimSuffix(ep, "/k8s/hyperpod-demo") + "/k8s/hyperpod-demo/version")
	if err != nil {
		t.Fatalf("TLS to the Kubernetes listener with the sandbox CA: %v", err)
	}
	resp.Body.Close()
	cl2 := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"}}, Timeout: 5 * time.Second}
	resp, err = cl2.Get(ep + "/version")
	if err != nil {
		t.Fatalf("TLS as localhost: %v", err)
	}
	resp.Body.Close()
}

func TestStartValidation(t *testing.T) {
	for _, o := range []Options{
		{},
		{StateDir: t.TempDir(), FaultRate: 1.5},
		{StateDir: t.TempDir(), ResetRate: -0.1},
		{StateDir: t.TempDir(), ThrottleRPS: -1},
	} {
		if s, err := Start(ctx(), o); err == nil {
			s.Close()
			t.Errorf("Start(%+v) succeeded", o)
		}
	}
}
