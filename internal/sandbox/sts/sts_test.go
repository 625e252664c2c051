package sts_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"eksaccess/internal/sandbox/iam/iamtest"
	"eksaccess/internal/sandbox/state"
	"eksaccess/internal/sandbox/sts"
)

func start(t *testing.T) *iamtest.Env { return iamtest.Serve(t, "sts", sts.New) }

type creds struct{ key, secret, token string }

var (
	admin = creds{iamtest.AdminKey, iamtest.AdminSecret, ""}
	alice = creds{iamtest.AliceKey, iamtest.AliceSecret, ""}
	bob   = creds{iamtest.BobKey, iamtest.BobSecret, ""}
)

func client(env *iamtest.Env, c creds) *awssts.Client {
	return awssts.NewFromConfig(env.SDKConfig(c.key, c.secret, c.token))
}

func credsOf(out *awssts.AssumeRoleOutput) creds {
	return creds{*out.Credentials.AccessKeyId, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken}
}

func apiError(err error) (code, msg string) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode(), ae.ErrorMessage()
	}
	return fmt.Sprintf("not an API error: %v", err), ""
}

func roleArn(path, name string) string { return "arn:aws:iam::111122223333:role" + path + name }

// mustAssume has c assume role as session (for duration seconds, or the default when 0),
// failing the test on an error.
func mustAssume(t *testing.T, env *iamtest.Env, c creds, role, session string, duration int32) *awssts.AssumeRoleOutput {
	t.Helper()
	in := &awssts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String(session)}
	if duration != 0 {
		in.DurationSeconds = aws.Int32(duration)
	}
	out, err := client(env, c).AssumeRole(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func denied(who, arn string) string {
	return "User: " + who + " is not authorized to perform: sts:AssumeRole on resource: " + arn
}

const (
	aliceArn = "arn:aws:iam::111122223333:user/alice"
	bobArn   = "arn:aws:iam::111122223333:user/bob"
	adminArn = "arn:aws:iam::111122223333:user/admin"
	mfaFail  = "MultiFactorAuthentication failed with invalid MFA one time pass code."
)

func TestGetCallerIdentity(t *testing.T) {
	env := start(t)
	ctx := context.Background()
	out, err := client(env, alice).GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *out.Account != "111122223333" || *out.Arn != aliceArn || *out.UserId != iamtest.UserID("alice") {
		t.Fatalf("GetCallerIdentity = %s %s %s", *out.Account, *out.Arn, *out.UserId)
	}
	if op := env.LastOp(); op != (state.OpInfo{Service: "sts", Operation: "GetCallerIdentity"}) {
		t.Fatalf("op = %+v", op)
	}

	_, err = client(env, admin).AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(roleArn("/team/", "AliceOnly")), RoleSessionName: aws.String("x")})
	if code, _ := apiError(err); code != "ValidationError" {
		t.Fatalf("short session name: %v", err)
	}
	ar := mustAssume(t, env, alice, roleArn("/team/", "AliceOnly"), "alice@example.com", 0)
	out, err = client(env, credsOf(ar)).GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *out.Arn != "arn:aws:sts::111122223333:assumed-role/AliceOnly/alice@example.com" || *out.UserId != iamtest.RoleID("AliceOnly")+":alice@example.com" {
		t.Fatalf("session identity = %s %s", *out.Arn, *out.UserId)
	}
}

// get sends a presigned-style GET (the test middleware reads only X-Amz-Credential).
func get(t *testing.T, env *iamtest.Env, accept string) (int, string, string) {
	t.Helper()
	u := env.URL + "/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" +
		iamtest.BobKey + "%2F20261127%2Fus-west-2%2Fsts%2Faws4_request&X-Amz-Date=20261127T120000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Signature=00"
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("x-k8s-aws-id", "hyperpod-demo")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

func TestGetCallerIdentityPresigned(t *testing.T) {
	env := start(t)
	// aws-iam-authenticator asks for JSON.
	status, ctype, body := get(t, env, "application/json")
	var got struct {
		GetCallerIdentityResponse struct {
			GetCallerIdentityResult struct{ Account, Arn, UserId string }
			ResponseMetadata        struct{ RequestId string }
		}
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil || status != 200 || ctype != "application/json" {
		t.Fatalf("JSON answer: %d %s %s (%v)", status, ctype, body, err)
	}
	r := got.GetCallerIdentityResponse
	if r.GetCallerIdentityResult.Account != "111122223333" || r.GetCallerIdentityResult.Arn != bobArn ||
		r.GetCallerIdentityResult.UserId != iamtest.UserID("bob") || r.ResponseMetadata.RequestId == "" {
		t.Fatalf("JSON answer = %s", body)
	}
	// Without Accept: the XML document.
	status, ctype, body = get(t, env, "")
	want := `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><UserId>` + iamtest.UserID("bob") +
		`</UserId><Account>111122223333</Account><Arn>` + bobArn + `</Arn></GetCallerIdentityResult><ResponseMetadata><RequestId>`
	if status != 200 || ctype != "text/xml" || !strings.HasPrefix(body, want) {
		t.Fatalf("XML answer: %d %s %s", status, ctype, body)
	}
}

func TestAssumeRoleTrust(t *testing.T) {
	type tc struct {
		name     string
		caller   creds
		arn      string
		duration int32
		serial   string
		code     string
		wantCode string // "" = success
		wantMsg  string
		wantDur  int // expected session length when successful
	}
	root := roleArn("/", "RootTrusted")
	team := roleArn("/team/", "AliceOnly")
	mfa := roleArn("/", "NeedsMFA")
	cases := []tc{
		{name: "account root trusts a user", caller: bob, arn: root, wantDur: 3600},
		{name: "account root trusts the admin", caller: admin, arn: root, wantDur: 3600},
		{name: "account id with sts:* and 12h", caller: alice, arn: roleArn("/", "AccountIDTrusted"), duration: 43200, wantDur: 43200},
		{name: "named user", caller: alice, arn: team, wantDur: 3600},
		{name: "named user, other caller", caller: bob, arn: team, wantCode: "AccessDenied", wantMsg: denied(bobArn, team)},
		{name: "role ARN without its path", caller: alice, arn: roleArn("/", "AliceOnly"), wantCode: "AccessDenied", wantMsg: denied(aliceArn, roleArn("/", "AliceOnly"))},
		{name: "named role, user caller", caller: alice, arn: roleArn("/", "RoleTrusted"), wantCode: "AccessDenied", wantMsg: denied(aliceArn, roleArn("/", "RoleTrusted"))},
		{name: "role that does not exist", caller: admin, arn: roleArn("/", "Ghost"), wantCode: "AccessDenied", wantMsg: denied(adminArn, roleArn("/", "Ghost"))},
		{name: "SAML-only role", caller: admin, arn: iamtest.SSORoleArn, wantCode: "AccessDenied", wantMsg: denied(adminArn, iamtest.SSORoleArn)},
		{name: "service-trusted role", caller: admin, arn: roleArn("/aws-service-role/eks.amazonaws.com/", "AWSServiceRoleForAmazonEKS"), wantCode: "AccessDenied",
			wantMsg: denied(adminArn, roleArn("/aws-service-role/eks.amazonaws.com/", "AWSServiceRoleForAmazonEKS"))},
		{name: "deny wins", caller: bob, arn: roleArn("/", "DenyBob"), wantCode: "AccessDenied", wantMsg: denied(bobArn, roleArn("/", "DenyBob"))},
		{name: "deny applies to named user only", caller: alice, arn: roleArn("/", "DenyBob"), wantDur: 3600},
		{name: "unknown condition operator never allows", caller: admin, arn: roleArn("/", "UnknownCondition"), wantCode: "AccessDenied", wantMsg: denied(adminArn, roleArn("/", "UnknownCondition"))},
		{name: "MFA required, none given", caller: alice, arn: mfa, wantCode: "AccessDenied", wantMsg: denied(aliceArn, mfa)},
		{name: "MFA required, given", caller: alice, arn: mfa, serial: iamtest.AliceMFA, code: iamtest.AliceMFACode, wantDur: 3600},
		{name: "MFA wrong code", caller: alice, arn: mfa, serial: iamtest.AliceMFA, code: "654321", wantCode: "AccessDenied", wantMsg: mfaFail},
		{name: "MFA device of another user", caller: bob, arn: mfa, serial: iamtest.AliceMFA, code: iamtest.AliceMFACode, wantCode: "AccessDenied", wantMsg: mfaFail},
		{name: "MFA unknown device", caller: alice, arn: root, serial: "arn:aws:iam::111122223333:mfa/ghost", code: "123456", wantCode: "AccessDenied", wantMsg: mfaFail},
		{name: "MFA on a role without MFA condition", caller: alice, arn: root, serial: iamtest.AliceMFA, code: iamtest.AliceMFACode, wantDur: 3600},
		{name: "duration at role max", caller: bob, arn: root, duration: 7200, wantDur: 7200},
		{name: "duration above role max", caller: bob, arn: root, duration: 7201, wantCode: "ValidationError",
			wantMsg: "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."},
		{name: "duration minimum", caller: bob, arn: root, duration: 900, wantDur: 900},
		{name: "duration below minimum", caller: bob, arn: root, duration: 899, wantCode: "ValidationError",
			wantMsg: "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"},
		{name: "duration above maximum", caller: bob, arn: root, duration: 43201, wantCode: "ValidationError",
			wantMsg: "1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200"},
		{name: "bad token code format", caller: alice, arn: mfa, serial: iamtest.AliceMFA, code: "12a", wantCode: "ValidationError",
			wantMsg: `2 validation errors detected: Value '12a' at 'tokenCode' failed to satisfy constraint: Member must have length greater than or equal to 6; Value '12a' at 'tokenCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [\d]*`},
	}
	env := start(t)
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := &awssts.AssumeRoleInput{RoleArn: aws.String(c.arn), RoleSessionName: aws.String("s1")}
			if c.duration != 0 {
				in.DurationSeconds = aws.Int32(c.duration)
			}
			if c.serial != "" {
				in.SerialNumber, in.TokenCode = aws.String(c.serial), aws.String(c.code)
			}
			out, err := client(env, c.caller).AssumeRole(ctx, in)
			if c.wantCode != "" {
				code, msg := apiError(err)
				if code != c.wantCode || msg != c.wantMsg {
					t.Fatalf("got %s %q\nwant %s %q", code, msg, c.wantCode, c.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			name := c.arn[strings.LastIndex(c.arn, "/")+1:]
			if *out.AssumedRoleUser.Arn != "arn:aws:sts::111122223333:assumed-role/"+name+"/s1" || *out.AssumedRoleUser.AssumedRoleId != iamtest.RoleID(name)+":s1" {
				t.Fatalf("AssumedRoleUser = %s %s", *out.AssumedRoleUser.Arn, *out.AssumedRoleUser.AssumedRoleId)
			}
			cr := out.Credentials
			if !regexp.MustCompile(`^ASIA[A-Z0-9]{16}$`).MatchString(*cr.AccessKeyId) || len(*cr.SecretAccessKey) != 40 || len(*cr.SessionToken) < 400 {
				t.Fatalf("credentials = %+v", cr)
			}
			if want := iamtest.Start.Add(time.Duration(c.wantDur) * time.Second); !cr.Expiration.Equal(want) {
				t.Fatalf("expiration = %v, want %v", cr.Expiration, want)
			}
			// The stored session: role ARN with path, the caller, MFA.
			var s state.Session
			env.Store.Read(func(d *state.Data) error { s = *d.Sessions[*cr.AccessKeyId]; return nil })
			wantMFA := c.serial != ""
			if s.RoleArn != c.arn || s.RoleID != iamtest.RoleID(name) || s.SessionName != "s1" || s.SourceArn != "arn:aws:iam::111122223333:user/"+userOf(c.caller) ||
				s.MFA != wantMFA || s.SessionToken != *cr.SessionToken || !s.Expiration.Equal(*cr.Expiration) {
				t.Fatalf("stored session = %+v", s)
			}
		})
	}
}

func userOf(c creds) string {
	switch c.key {
	case iamtest.AdminKey:
		return "admin"
	case iamtest.AliceKey:
		return "alice"
	}
	return "bob"
}

func TestAssumeRoleValidation(t *testing.T) {
	env := start(t)
	c := client(env, admin)
	ctx := context.Background()
	cases := []struct {
		name string
		in   awssts.AssumeRoleInput
		msg  string
	}{
		{"session name too short", awssts.AssumeRoleInput{RoleArn: aws.String(roleArn("/", "RootTrusted")), RoleSessionName: aws.String("a")},
			"1 validation error detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2"},
		{"session name pattern", awssts.AssumeRoleInput{RoleArn: aws.String(roleArn("/", "RootTrusted")), RoleSessionName: aws.String("bad name!")},
			`1 validation error detected: Value 'bad name!' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`},
		{"session name too long", awssts.AssumeRoleInput{RoleArn: aws.String(roleArn("/", "RootTrusted")), RoleSessionName: aws.String(strings.Repeat("s", 65))},
			"1 validation error detected: Value '" + strings.Repeat("s", 65) + "' at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64"},
		{"role arn too short", awssts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::1:role"), RoleSessionName: aws.String("ok")},
			"1 validation error detected: Value 'arn:aws:iam::1:role' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.AssumeRole(ctx, &tc.in)
			if code, msg := apiError(err); code != "ValidationError" || msg != tc.msg {
				t.Fatalf("got %s %q", code, msg)
			}
		})
	}
	// A malformed session policy.
	_, err := c.AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(roleArn("/", "RootTrusted")), RoleSessionName: aws.String("ok"), Policy: aws.String("{")})
	var mpd *types.MalformedPolicyDocumentException
	if !errors.As(err, &mpd) {
		t.Fatalf("bad session policy: %v", err)
	}
	// Nothing refused was stored.
	env.Store.Read(func(d *state.Data) error {
		if len(d.Sessions) != 0 {
			t.Fatalf("sessions after refusals: %d", len(d.Sessions))
		}
		return nil
	})
	if op := env.LastOp(); op != (state.OpInfo{Service: "sts", Operation: "AssumeRole", Mutating: true}) {
		t.Fatalf("op = %+v", op)
	}
}

func TestRoleChaining(t *testing.T) {
	env := start(t)
	ctx := context.Background()
	first := mustAssume(t, env, admin, roleArn("/", "RootTrusted"), "hop1", 7200)
	sess := client(env, credsOf(first))
	target := roleArn("/", "RoleTrusted")
	_, err := sess.AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(target), RoleSessionName: aws.String("hop2"), DurationSeconds: aws.Int32(3601)})
	if code, msg := apiError(err); code != "ValidationError" || msg != "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining." {
		t.Fatalf("chain over 1h: %s %q", code, msg)
	}
	second, err := sess.AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(target), RoleSessionName: aws.String("hop2")})
	if err != nil {
		t.Fatal(err)
	}
	if *second.AssumedRoleUser.Arn != "arn:aws:sts::111122223333:assumed-role/RoleTrusted/hop2" {
		t.Fatalf("second hop = %s", *second.AssumedRoleUser.Arn)
	}
	var s state.Session
	env.Store.Read(func(d *state.Data) error { s = *d.Sessions[*second.Credentials.AccessKeyId]; return nil })
	if s.SourceArn != "arn:aws:sts::111122223333:assumed-role/RootTrusted/hop1" {
		t.Fatalf("SourceArn = %s", s.SourceArn)
	}
	// The named-role principal does not trust the role's own users.
	_, err = client(env, alice).AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(target), RoleSessionName: aws.String("x1")})
	if code, _ := apiError(err); code != "AccessDenied" {
		t.Fatalf("alice → RoleTrusted: %v", err)
	}
	// A session can't use an MFA device.
	_, err = sess.AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(roleArn("/", "NeedsMFA")), RoleSessionName: aws.String("x1"),
		SerialNumber: aws.String(iamtest.AliceMFA), TokenCode: aws.String(iamtest.AliceMFACode)})
	if code, msg := apiError(err); code != "AccessDenied" || msg != mfaFail {
		t.Fatalf("session with MFA device: %s %q", code, msg)
	}
}

func TestMFAAlongChainAndAge(t *testing.T) {
	env := start(t)
	ctx := context.Background()
	first, err := client(env, alice).AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(roleArn("/", "RootTrusted")), RoleSessionName: aws.String("mfa1"),
		DurationSeconds: aws.Int32(7200), SerialNumber: aws.String(iamtest.AliceMFA), TokenCode: aws.String(iamtest.AliceMFACode)})
	if err != nil {
		t.Fatal(err)
	}
	sess := client(env, credsOf(first))
	in := &awssts.AssumeRoleInput{RoleArn: aws.String(roleArn("/", "NeedsMFA")), RoleSessionName: aws.String("mfa2")}
	env.Clock.Advance(3599 * time.Second)
	if _, err := sess.AssumeRole(ctx, in); err != nil {
		t.Fatalf("MFA session, age 3599s: %v", err)
	}
	env.Clock.Advance(time.Second) // MultiFactorAuthAge 3600 is not < 3600
	if _, err := sess.AssumeRole(ctx, in); err == nil {
		t.Fatalf("MFA age 3600s allowed")
	}
	// A session made without MFA has aws:MultiFactorAuthPresent=false.
	plain := mustAssume(t, env, alice, roleArn("/", "RootTrusted"), "plain", 0)
	if _, err := client(env, credsOf(plain)).AssumeRole(ctx, in); err == nil {
		t.Fatalf("session without MFA allowed into NeedsMFA")
	}
}

func TestExpiredSessionsArePruned(t *testing.T) {
	env := start(t)
	ctx := context.Background()
	old := mustAssume(t, env, admin, roleArn("/", "RootTrusted"), "short", 900)
	env.Clock.Advance(900 * time.Second)
	_, err := client(env, credsOf(old)).GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	if code, _ := apiError(err); code != "InvalidClientTokenId" {
		t.Fatalf("expired credentials: %v", err)
	}
	fresh := mustAssume(t, env, admin, roleArn("/", "RootTrusted"), "next", 0)
	env.Store.Read(func(d *state.Data) error {
		if _, ok := d.Sessions[*old.Credentials.AccessKeyId]; ok || len(d.Sessions) != 1 || d.Sessions[*fresh.Credentials.AccessKeyId] == nil {
			t.Fatalf("sessions after pruning: %d, old kept %v", len(d.Sessions), ok)
		}
		return nil
	})
}

func TestProtocolErrors(t *testing.T) {
	env := start(t)
	post := func(form string) (int, string) { return env.PostForm(t, "sts", form) }
	cases := []struct {
		form   string
		status int
		body   string
	}{
		{"Action=GetSessionToken&Version=2011-06-15", 400, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>Could not find operation GetSessionToken for version 2011-06-15</Message>`},
		{"Action=AssumeRole&Version=2011-06-15", 400, `<Code>ValidationError</Code><Message>2 validation errors detected: Value null at &#39;roleArn&#39; failed to satisfy constraint: Member must not be null; Value null at &#39;roleSessionName&#39; failed to satisfy constraint: Member must not be null</Message>`},
		{"Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2FRootTrusted&RoleSessionName=s1&DurationSeconds=50000", 400,
			`Value &#39;50000&#39; at &#39;durationSeconds&#39; failed to satisfy constraint: Member must have value less than or equal to 43200`},
		{"Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2FAliceOnly&RoleSessionName=s1", 403,
			`<Code>AccessDenied</Code><Message>User: arn:aws:iam::111122223333:user/admin is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111122223333:role/AliceOnly</Message>`},
	}
	for _, c := range cases {
		status, body := post(c.form)
		if status != c.status || !strings.Contains(body, c.body) {
			t.Fatalf("%s: %d %s\nwant %d containing %s", c.form, status, body, c.status, c.body)
		}
	}
}

func TestAWSCLI(t *testing.T) {
	env := start(t)
	t.Run("get-caller-identity", func(t *testing.T) {
		t.Parallel()
		var id struct{ UserId, Account, Arn string }
		out := iamtest.AWS(t, env, alice.key, alice.secret, "", "sts", "get-caller-identity")
		if err := json.Unmarshal(out, &id); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if id.UserId != iamtest.UserID("alice") || id.Account != "111122223333" || id.Arn != aliceArn {
			t.Fatalf("aws sts get-caller-identity = %s", out)
		}
	})
	t.Run("assume-role", func(t *testing.T) {
		t.Parallel()
		cliAssumeRole(t, env)
	})
}

func cliAssumeRole(t *testing.T, env *iamtest.Env) {
	var id struct{ UserId, Account, Arn string }
	out := iamtest.AWS(t, env, alice.key, alice.secret, "", "sts", "assume-role", "--role-arn", roleArn("/", "NeedsMFA"),
		"--role-session-name", "cli", "--duration-seconds", "900", "--serial-number", iamtest.AliceMFA, "--token-code", iamtest.AliceMFACode)
	var ar struct {
		Credentials     struct{ AccessKeyId, SecretAccessKey, SessionToken, Expiration string }
		AssumedRoleUser struct{ AssumedRoleId, Arn string }
	}
	if err := json.Unmarshal(out, &ar); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if ar.AssumedRoleUser.Arn != "arn:aws:sts::111122223333:assumed-role/NeedsMFA/cli" || ar.AssumedRoleUser.AssumedRoleId != iamtest.RoleID("NeedsMFA")+":cli" ||
		ar.Credentials.Expiration != "2026-11-27T12:15:00Z" || !strings.HasPrefix(ar.Credentials.AccessKeyId, "ASIA") {
		t.Fatalf("aws sts assume-role = %s", out)
	}
	// The CLI with the session's credentials (session token included).
	out = iamtest.AWS(t, env, ar.Credentials.AccessKeyId, ar.Credentials.SecretAccessKey, ar.Credentials.SessionToken, "sts", "get-caller-identity")
	if err := json.Unmarshal(out, &id); err != nil || id.Arn != "arn:aws:sts::111122223333:assumed-role/NeedsMFA/cli" {
		t.Fatalf("session get-caller-identity = %s", out)
	}
}

// The caller's tags are aws:PrincipalTag/… to the trust policy.
func TestAssumeRolePrincipalTag(t *testing.T) {
	env := start(t)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalTag/team":"ml"}}}]}`
	err := env.Store.Update(func(d *state.Data) error {
		d.Roles["tagged"] = &state.Role{Path: "/", RoleName: "tagged", RoleID: iamtest.RoleID("tagged"), Arn: roleArn("/", "tagged"), AssumeRolePolicyDocument: trust, MaxSessionDuration: 3600}
		d.Users["alice"].Tags = []state.Tag{{Key: "Team", Value: "ml"}}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	in := &awssts.AssumeRoleInput{RoleArn: aws.String(roleArn("/", "tagged")), RoleSessionName: aws.String("s1")}
	if _, err := client(env, alice).AssumeRole(context.Background(), in); err != nil {
		t.Fatalf("alice (team=ml): %v", err)
	}
	if _, err := client(env, bob).AssumeRole(context.Background(), in); err == nil {
		t.Fatal("bob (untagged) assumed the role")
	} else if code, msg := apiError(err); code != "AccessDenied" || msg != denied("arn:aws:iam::111122223333:user/bob", roleArn("/", "tagged")) {
		t.Fatalf("bob: %s %s", code, msg)
	}
}
