package iam_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"eksaccess/internal/sandbox/iam"
	"eksaccess/internal/sandbox/iam/iamtest"
	"eksaccess/internal/sandbox/state"
	"eksaccess/internal/sandbox/state/statetest"
)

func start(t *testing.T) *iamtest.Env { return iamtest.Serve(t, "iam", iam.New) }

func client(env *iamtest.Env, key, secret, token string) *awsiam.Client {
	return awsiam.NewFromConfig(env.SDKConfig(key, secret, token))
}

func admin(env *iamtest.Env) *awsiam.Client {
	return client(env, iamtest.AdminKey, iamtest.AdminSecret, "")
}

// startAdmin starts the IAM test server and returns it with the admin's client and a context.
func startAdmin(t *testing.T) (*iamtest.Env, *awsiam.Client, context.Context) {
	env := start(t)
	return env, admin(env), context.Background()
}

// addSession stores a role session directly, so tests can call IAM as a role session.
func addSession(t *testing.T, env *iamtest.Env, role string) (key, secret, token string) {
	t.Helper()
	key, secret, token = "ASIAEXAMPLESESS001", "sessionSecret000000000000000000000000000", "tok"
	err := env.Store.Update(func(d *state.Data) error {
		r := d.Roles[strings.ToLower(role)]
		d.Sessions[key] = &state.Session{AccessKeyID: key, SecretAccessKey: secret, SessionToken: token,
			RoleArn: r.Arn, RoleName: r.RoleName, RoleID: r.RoleID, SessionName: "s1", Expiration: iamtest.Start.Add(time.Hour)}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return key, secret, token
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return fmt.Sprintf("not an API error: %v", err)
}

func apiMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}

func wantErr(t *testing.T, err error, code, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s error, got success", code)
	}
	if got := apiCode(err); got != code {
		t.Fatalf("error code = %q, want %q (%v)", got, code, err)
	}
	if msg != "" && apiMessage(err) != msg {
		t.Fatalf("error message = %q, want %q", apiMessage(err), msg)
	}
}

func TestGetUser(t *testing.T) {
	env, c, ctx := startAdmin(t)

	out, err := c.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	u := out.User
	if *u.UserName != "alice" || *u.Path != "/" || *u.UserId != iamtest.UserID("alice") ||
		*u.Arn != "arn:aws:iam::111122223333:user/alice" || !u.CreateDate.Equal(iamtest.Start) {
		t.Fatalf("GetUser alice = %+v", u)
	}
	if op := env.LastOp(); op != (state.OpInfo{Service: "iam", Operation: "GetUser", Mutating: false}) {
		t.Fatalf("op = %+v", op)
	}

	// Names are case-insensitive: ALICE finds alice.
	out, err = c.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("ALICE")})
	if err != nil || *out.User.UserName != "alice" {
		t.Fatalf("GetUser ALICE = %v, %v", out, err)
	}

	// Without UserName: the caller.
	out, err = c.GetUser(ctx, &awsiam.GetUserInput{})
	if err != nil || *out.User.UserName != "admin" || *out.User.UserId != iamtest.UserID("admin") {
		t.Fatalf("GetUser self = %v, %v", out, err)
	}
	out, err = client(env, iamtest.AliceKey, iamtest.AliceSecret, "").GetUser(ctx, &awsiam.GetUserInput{})
	if err != nil || *out.User.UserName != "alice" {
		t.Fatalf("GetUser self as alice = %v, %v", out, err)
	}

	// A role session has no user.
	k, s, tok := addSession(t, env, "RootTrusted")
	_, err = client(env, k, s, tok).GetUser(ctx, &awsiam.GetUserInput{})
	wantErr(t, err, "ValidationError", "Must specify userName when calling with non-User credentials")

	_, err = c.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("nosuch")})
	var nse *types.NoSuchEntityException
	if !errors.As(err, &nse) || nse.ErrorMessage() != "The user with name nosuch cannot be found." {
		t.Fatalf("GetUser nosuch: %v", err)
	}
	_, err = c.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("bad name!")})
	wantErr(t, err, "ValidationError", `1 validation error detected: Value 'bad name!' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`)
}

func TestCreateUser(t *testing.T) {
	env, c, ctx := startAdmin(t)
	env.Clock.Advance(time.Hour)

	out, err := c.CreateUser(ctx, &awsiam.CreateUserInput{
		UserName: aws.String("frank"), Path: aws.String("/eng/"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}, {Key: aws.String("env"), Value: aws.String("dev")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	u := out.User
	if *u.UserName != "frank" || *u.Path != "/eng/" || *u.Arn != "arn:aws:iam::111122223333:user/eng/frank" ||
		!u.CreateDate.Equal(iamtest.Start.Add(time.Hour)) || !regexp.MustCompile(`^AIDA[A-Z0-9]{17}$`).MatchString(*u.UserId) {
		t.Fatalf("CreateUser = %+v", u)
	}
	if len(u.Tags) != 2 || *u.Tags[0].Key != "team" || *u.Tags[0].Value != "a" || *u.Tags[1].Key != "env" {
		t.Fatalf("tags = %+v", u.Tags)
	}
	if op := env.LastOp(); op.Operation != "CreateUser" || !op.Mutating {
		t.Fatalf("op = %+v", op)
	}
	got, err := c.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("Frank")})
	if err != nil || *got.User.UserId != *u.UserId || len(got.User.Tags) != 2 {
		t.Fatalf("GetUser after create = %v, %v", got, err)
	}

	cases := []struct {
		name string
		in   awsiam.CreateUserInput
		code string
		msg  string
	}{
		{"duplicate any case", awsiam.CreateUserInput{UserName: aws.String("ALICE")}, "EntityAlreadyExists", "User with name ALICE already exists."},
		{"bad name", awsiam.CreateUserInput{UserName: aws.String("a b")}, "ValidationError",
			`1 validation error detected: Value 'a b' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`},
		{"name too long", awsiam.CreateUserInput{UserName: aws.String(strings.Repeat("x", 65))}, "ValidationError",
			"1 validation error detected: Value '" + strings.Repeat("x", 65) + "' at 'userName' failed to satisfy constraint: Member must have length less than or equal to 64"},
		{"path without trailing slash", awsiam.CreateUserInput{UserName: aws.String("g"), Path: aws.String("/eng")}, "ValidationError",
			`1 validation error detected: Value '/eng' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)`},
		{"duplicate tag keys", awsiam.CreateUserInput{UserName: aws.String("g"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("1")}, {Key: aws.String("K"), Value: aws.String("2")}}},
			"InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreateUser(ctx, &tc.in)
			wantErr(t, err, tc.code, tc.msg)
		})
	}
	var exists *types.EntityAlreadyExistsException
	_, err = c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("bob")})
	if !errors.As(err, &exists) {
		t.Fatalf("want EntityAlreadyExistsException, got %v", err)
	}
}

func TestListUsersPagination(t *testing.T) {
	env := start(t)
	ctx := context.Background()
	// 260 more users, half under /eng/.
	err := env.Store.Update(func(d *state.Data) error {
		for i := range 260 {
			n := fmt.Sprintf("user%03d", i)
			path := "/"
			if i%2 == 0 {
				path = "/eng/"
			}
			d.Users[n] = &state.User{Path: path, UserName: n, UserID: iamtest.UserID(n), Arn: "arn:aws:iam::111122223333:user" + path + n, CreateDate: iamtest.Start}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Retried as eksaccess retries: about one run in 150 here, a page's read fails on the
	// client's side with "use of closed network connection" (cause not found; the server
	// writes each answer whole, with its length).
	cfg := env.SDKConfig(iamtest.AdminKey, iamtest.AdminSecret, "")
	cfg.Retryer = func() aws.Retryer { return retry.NewStandard() }
	c := awsiam.NewFromConfig(cfg)
	var names []string
	p := awsiam.NewListUsersPaginator(c, &awsiam.ListUsersInput{MaxItems: aws.Int32(100)})
	pages := statetest.Pages(t, ctx, p.HasMorePages, p.NextPage)
	for i, out := range pages {
		wantTrunc := i < 2
		if out.IsTruncated != wantTrunc || (out.Marker != nil) != wantTrunc {
			t.Fatalf("page %d: IsTruncated=%v Marker=%v", i+1, out.IsTruncated, out.Marker)
		}
		for _, u := range out.Users {
			names = append(names, *u.UserName)
		}
	}
	if len(pages) != 3 || len(names) != 266 {
		t.Fatalf("pages=%d users=%d, want 3 and 266", len(pages), len(names))
	}
	if names[0] != "admin" || names[1] != "alice" || names[265] != "user259" {
		t.Fatalf("order: first %v last %v", names[:2], names[265])
	}
	for i := 1; i < len(names); i++ {
		if names[i-1] >= names[i] {
			t.Fatalf("not sorted/unique at %d: %s, %s", i, names[i-1], names[i])
		}
	}

	// Default page size is 100.
	out, err := c.ListUsers(ctx, &awsiam.ListUsersInput{})
	if err != nil || len(out.Users) != 100 || !out.IsTruncated {
		t.Fatalf("default page: %d users, truncated %v, %v", len(out.Users), out.IsTruncated, err)
	}
	// A Marker resumes exactly after the last item.
	out2, err := c.ListUsers(ctx, &awsiam.ListUsersInput{Marker: out.Marker, MaxItems: aws.Int32(1)})
	if err != nil || *out2.Users[0].UserName != names[100] {
		t.Fatalf("resume: %v, %v", out2, err)
	}

	out, err = c.ListUsers(ctx, &awsiam.ListUsersInput{PathPrefix: aws.String("/eng/"), MaxItems: aws.Int32(1000)})
	if err != nil || len(out.Users) != 130 || out.IsTruncated || *out.Users[0].UserName != "user000" || *out.Users[0].Path != "/eng/" {
		t.Fatalf("PathPrefix /eng/: %d users, %v", len(out.Users), err)
	}
	if out.Users[0].Tags != nil {
		t.Fatalf("ListUsers returns no tags")
	}

	_, err = c.ListUsers(ctx, &awsiam.ListUsersInput{MaxItems: aws.Int32(1001)})
	wantErr(t, err, "ValidationError", "1 validation error detected: Value '1001' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000")
	_, err = c.ListUsers(ctx, &awsiam.ListUsersInput{MaxItems: aws.Int32(0)})
	wantErr(t, err, "ValidationError", "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1")
	_, err = c.ListUsers(ctx, &awsiam.ListUsersInput{Marker: aws.String("!!not a marker!!")})
	wantErr(t, err, "InvalidInput", "")
}

func TestGroups(t *testing.T) {
	_, c, ctx := startAdmin(t)
	out, err := c.GetGroup(ctx, &awsiam.GetGroupInput{GroupName: aws.String("Data-Scientists")})
	if err != nil {
		t.Fatal(err)
	}
	if *out.Group.GroupName != "data-scientists" || *out.Group.Arn != "arn:aws:iam::111122223333:group/data-scientists" ||
		!strings.HasPrefix(*out.Group.GroupId, "AGPA") || out.IsTruncated {
		t.Fatalf("group = %+v", out.Group)
	}
	members := collect(out.Users, func(u types.User) string { return *u.UserName + "=" + *u.Arn })
	want := "alice=arn:aws:iam::111122223333:user/alice bob=arn:aws:iam::111122223333:user/bob carol=arn:aws:iam::111122223333:user/carol"
	if strings.Join(members, " ") != want {
		t.Fatalf("members = %v", members)
	}
	// Paged members.
	pagedByTwo(t, func(maxItems *int32, marker *string) (*awsiam.GetGroupOutput, error) {
		return c.GetGroup(ctx, &awsiam.GetGroupInput{GroupName: aws.String("data-scientists"), MaxItems: maxItems, Marker: marker})
	}, func(o *awsiam.GetGroupOutput) ([]string, bool, *string) {
		return collect(o.Users, func(u types.User) string { return *u.UserName }), o.IsTruncated, o.Marker
	}, "carol")

	_, err = c.GetGroup(ctx, &awsiam.GetGroupInput{GroupName: aws.String("nope")})
	var nse *types.NoSuchEntityException
	if !errors.As(err, &nse) || nse.ErrorMessage() != "The group with name nope cannot be found." {
		t.Fatalf("GetGroup nope: %v", err)
	}

	lg, err := c.ListGroups(ctx, &awsiam.ListGroupsInput{})
	if err != nil || len(lg.Groups) != 1 || *lg.Groups[0].GroupName != "data-scientists" || lg.IsTruncated {
		t.Fatalf("ListGroups = %v, %v", lg, err)
	}
	lg, err = c.ListGroups(ctx, &awsiam.ListGroupsInput{PathPrefix: aws.String("/eng/")})
	if err != nil || len(lg.Groups) != 0 {
		t.Fatalf("ListGroups /eng/ = %v, %v", lg, err)
	}
}

// collect is what name says of each item, in order.
func collect[T any](items []T, name func(T) string) []string {
	var out []string
	for _, it := range items {
		out = append(out, name(it))
	}
	return out
}

// pagedByTwo checks a listing of three asked for two at a time: list(2, no marker) answers a
// truncated page of two, then list(no limit, its marker) the rest, only last. page gives an
// answer's names, whether it is truncated and its marker.
func pagedByTwo[O any](t *testing.T, list func(maxItems *int32, marker *string) (O, error), page func(O) ([]string, bool, *string), last string) {
	t.Helper()
	out, err := list(aws.Int32(2), nil)
	if err != nil {
		t.Fatalf("page 1: %v", err)
	}
	names, truncated, marker := page(out)
	if len(names) != 2 || !truncated {
		t.Fatalf("page 1 = %v, truncated %v, %+v", names, truncated, out)
	}
	if out, err = list(nil, marker); err != nil {
		t.Fatalf("page 2: %v", err)
	}
	if names, truncated, _ = page(out); len(names) != 1 || names[0] != last || truncated {
		t.Fatalf("page 2 = %v, truncated %v, want [%s] and the end", names, truncated, last)
	}
}

const trustAlice = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"sts:AssumeRole"}]}`

func TestCreateRole(t *testing.T) {
	_, c, ctx := startAdmin(t)

	out, err := c.CreateRole(ctx, &awsiam.CreateRoleInput{
		RoleName: aws.String("dev-role"), Path: aws.String("/teams/ml/"), AssumeRolePolicyDocument: aws.String(trustAlice),
		Description: aws.String("ML developers"), MaxSessionDuration: aws.Int32(7200),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("ml")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := out.Role
	if *r.RoleName != "dev-role" || *r.Path != "/teams/ml/" || *r.Arn != "arn:aws:iam::111122223333:role/teams/ml/dev-role" ||
		!regexp.MustCompile(`^AROA[A-Z0-9]{17}$`).MatchString(*r.RoleId) || *r.Description != "ML developers" ||
		*r.MaxSessionDuration != 7200 || len(r.Tags) != 1 || !r.CreateDate.Equal(iamtest.Start) {
		t.Fatalf("CreateRole = %+v", r)
	}
	// IAM returns the trust policy URL-encoded; the Go SDK hands it over as is.
	if *r.AssumeRolePolicyDocument != url.PathEscape(trustAlice) && !strings.HasPrefix(*r.AssumeRolePolicyDocument, "%7B%22Version%22%3A%222012-10-17%22") {
		t.Fatalf("document not URL-encoded: %s", *r.AssumeRolePolicyDocument)
	}
	if doc, err := url.QueryUnescape(*r.AssumeRolePolicyDocument); err != nil || doc != trustAlice {
		t.Fatalf("decoded document = %q, %v", doc, err)
	}

	g, err := c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("DEV-ROLE")})
	if err != nil || *g.Role.RoleId != *r.RoleId || *g.Role.AssumeRolePolicyDocument != *r.AssumeRolePolicyDocument || len(g.Role.Tags) != 1 {
		t.Fatalf("GetRole = %+v, %v", g, err)
	}
	// A role seeded without MaxSessionDuration shows IAM's default.
	g, err = c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("AWSReservedSSO_DataScientist_0123456789abcdef")})
	if err != nil || *g.Role.Arn != iamtest.SSORoleArn || *g.Role.MaxSessionDuration != 43200 {
		t.Fatalf("GetRole SSO = %+v, %v", g, err)
	}
	_, err = c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("nope")})
	var nse *types.NoSuchEntityException
	if !errors.As(err, &nse) || nse.ErrorMessage() != "The role with name nope cannot be found." {
		t.Fatalf("GetRole nope: %v", err)
	}

	bad := func(doc string) *awsiam.CreateRoleInput {
		return &awsiam.CreateRoleInput{RoleName: aws.String("r2"), AssumeRolePolicyDocument: aws.String(doc)}
	}
	cases := []struct {
		name string
		in   *awsiam.CreateRoleInput
		code string
		msg  string
	}{
		{"duplicate any case", &awsiam.CreateRoleInput{RoleName: aws.String("Dev-Role"), AssumeRolePolicyDocument: aws.String(trustAlice)},
			"EntityAlreadyExists", "Role with name Dev-Role already exists."},
		{"bad name", &awsiam.CreateRoleInput{RoleName: aws.String("dev/role"), AssumeRolePolicyDocument: aws.String(trustAlice)},
			"ValidationError", `1 validation error detected: Value 'dev/role' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`},
		{"name too long", &awsiam.CreateRoleInput{RoleName: aws.String(strings.Repeat("r", 65)), AssumeRolePolicyDocument: aws.String(trustAlice)},
			"ValidationError", "1 validation error detected: Value '" + strings.Repeat("r", 65) + "' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64"},
		{"bad path", &awsiam.CreateRoleInput{RoleName: aws.String("r2"), Path: aws.String("teams/"), AssumeRolePolicyDocument: aws.String(trustAlice)},
			"ValidationError", `1 validation error detected: Value 'teams/' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)`},
		{"max session too short", &awsiam.CreateRoleInput{RoleName: aws.String("r2"), MaxSessionDuration: aws.Int32(3599), AssumeRolePolicyDocument: aws.String(trustAlice)},
			"ValidationError", "1 validation error detected: Value '3599' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600"},
		{"max session too long", &awsiam.CreateRoleInput{RoleName: aws.String("r2"), MaxSessionDuration: aws.Int32(43201), AssumeRolePolicyDocument: aws.String(trustAlice)},
			"ValidationError", "1 validation error detected: Value '43201' at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200"},
		{"two violations", &awsiam.CreateRoleInput{RoleName: aws.String("a b"), MaxSessionDuration: aws.Int32(1), AssumeRolePolicyDocument: aws.String(trustAlice)},
			"ValidationError", `2 validation errors detected: Value 'a b' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+; Value '1' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600`},
		{"not json", bad(`notjson`), "MalformedPolicyDocument", "This policy contains invalid Json"},
		{"no version", bad(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}]}`), "MalformedPolicyDocument", "Syntax errors in policy."},
		{"no statement", bad(`{"Version":"2012-10-17"}`), "MalformedPolicyDocument", "Syntax errors in policy."},
		{"empty statement list", bad(`{"Version":"2012-10-17","Statement":[]}`), "MalformedPolicyDocument", "Syntax errors in policy."},
		{"bad version", bad(`{"Version":"2020-01-01","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}]}`), "MalformedPolicyDocument", "The policy failed legacy parsing"},
		{"no principal", bad(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`), "MalformedPolicyDocument", "Missing required field Principal"},
		{"resource", bad(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Resource":"*"}]}`), "MalformedPolicyDocument", "Has prohibited field Resource"},
		{"non-sts action", bad(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject"}]}`), "MalformedPolicyDocument", "AssumeRole policy may only specify STS AssumeRole actions."},
		{"missing principal user", bad(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/ghost"},"Action":"sts:AssumeRole"}]}`),
			"MalformedPolicyDocument", `Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:user/ghost"`},
		{"role principal without its path", bad(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/AliceOnly"},"Action":"sts:AssumeRole"}]}`),
			"MalformedPolicyDocument", `Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:role/AliceOnly"`},
		{"garbage principal", bad(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"alice"},"Action":"sts:AssumeRole"}]}`),
			"MalformedPolicyDocument", `Invalid principal in policy: "AWS":"alice"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreateRole(ctx, tc.in)
			wantErr(t, err, tc.code, tc.msg)
		})
	}
	var mpd *types.MalformedPolicyDocumentException
	if _, err := c.CreateRole(ctx, bad(`{`)); !errors.As(err, &mpd) {
		t.Fatalf("want MalformedPolicyDocumentException, got %v", err)
	}
	// Nothing of the refused calls was kept.
	if _, err := c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("r2")}); apiCode(err) != "NoSuchEntity" {
		t.Fatalf("refused role exists: %v", err)
	}
	// Other accounts, the account id, other roles (with path), services and "*" are valid principals.
	ok := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::444455556666:user/x","111122223333","arn:aws:iam::111122223333:role/team/AliceOnly","*"],"Service":"ec2.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`
	if _, err := c.CreateRole(ctx, bad(ok)); err != nil {
		t.Fatalf("valid trust policy refused: %v", err)
	}
}

func TestListRoles(t *testing.T) {
	_, c, ctx := startAdmin(t)
	out, err := c.ListRoles(ctx, &awsiam.ListRolesInput{PathPrefix: aws.String("/aws-reserved/")})
	if err != nil || len(out.Roles) != 1 || *out.Roles[0].Arn != iamtest.SSORoleArn || out.IsTruncated {
		t.Fatalf("ListRoles /aws-reserved/ = %+v, %v", out, err)
	}
	var names []string
	p := awsiam.NewListRolesPaginator(c, &awsiam.ListRolesInput{MaxItems: aws.Int32(4)})
	for _, out := range statetest.Pages(t, context.Background(), p.HasMorePages, p.NextPage) {
		for _, r := range out.Roles {
			names = append(names, *r.RoleName)
			if r.AssumeRolePolicyDocument == nil || !strings.HasPrefix(*r.AssumeRolePolicyDocument, "%7B") {
				t.Fatalf("ListRoles document of %s: %v", *r.RoleName, r.AssumeRolePolicyDocument)
			}
		}
	}
	want := "AccountIDTrusted AliceOnly AWSReservedSSO_DataScientist_0123456789abcdef AWSServiceRoleForAmazonEKS DenyBob NeedsMFA RoleTrusted RootTrusted UnknownCondition"
	if strings.Join(names, " ") != want {
		t.Fatalf("roles = %v", names)
	}
}

func TestUpdateAndDeleteRole(t *testing.T) {
	_, c, ctx := startAdmin(t)
	if _, err := c.UpdateRole(ctx, &awsiam.UpdateRoleInput{RoleName: aws.String("rootTRUSTED"), Description: aws.String("d2"), MaxSessionDuration: aws.Int32(43200)}); err != nil {
		t.Fatal(err)
	}
	g, _ := c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("RootTrusted")})
	if *g.Role.Description != "d2" || *g.Role.MaxSessionDuration != 43200 {
		t.Fatalf("after UpdateRole: %+v", g.Role)
	}
	_, err := c.UpdateRole(ctx, &awsiam.UpdateRoleInput{RoleName: aws.String("RootTrusted"), MaxSessionDuration: aws.Int32(100)})
	wantErr(t, err, "ValidationError", "1 validation error detected: Value '100' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600")
	_, err = c.UpdateRole(ctx, &awsiam.UpdateRoleInput{RoleName: aws.String("nope")})
	wantErr(t, err, "NoSuchEntity", "The role with name nope cannot be found.")

	// UpdateAssumeRolePolicy.
	if _, err := c.UpdateAssumeRolePolicy(ctx, &awsiam.UpdateAssumeRolePolicyInput{RoleName: aws.String("RootTrusted"), PolicyDocument: aws.String(trustAlice)}); err != nil {
		t.Fatal(err)
	}
	g, _ = c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("RootTrusted")})
	if doc, _ := url.QueryUnescape(*g.Role.AssumeRolePolicyDocument); doc != trustAlice {
		t.Fatalf("trust policy after update = %s", doc)
	}
	_, err = c.UpdateAssumeRolePolicy(ctx, &awsiam.UpdateAssumeRolePolicyInput{RoleName: aws.String("RootTrusted"), PolicyDocument: aws.String(`{"Version":"2012-10-17"}`)})
	wantErr(t, err, "MalformedPolicyDocument", "Syntax errors in policy.")
	_, err = c.UpdateAssumeRolePolicy(ctx, &awsiam.UpdateAssumeRolePolicyInput{RoleName: aws.String("AWSServiceRoleForAmazonEKS"), PolicyDocument: aws.String(trustAlice)})
	var ue *types.UnmodifiableEntityException
	if !errors.As(err, &ue) {
		t.Fatalf("service-linked role: want UnmodifiableEntityException, got %v", err)
	}

	// DeleteRole refuses while policies are attached.
	pa := "arn:aws:iam::aws:policy/ReadOnlyAccess"
	if _, err := c.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String("DenyBob"), PolicyArn: aws.String(pa)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteRole(ctx, &awsiam.DeleteRoleInput{RoleName: aws.String("DenyBob")})
	var dc *types.DeleteConflictException
	if !errors.As(err, &dc) || dc.ErrorMessage() != "Cannot delete entity, must detach all policies first." {
		t.Fatalf("DeleteRole with policy: %v", err)
	}
	if _, err := c.DetachRolePolicy(ctx, &awsiam.DetachRolePolicyInput{RoleName: aws.String("DenyBob"), PolicyArn: aws.String(pa)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteRole(ctx, &awsiam.DeleteRoleInput{RoleName: aws.String("denybob")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("DenyBob")})
	wantErr(t, err, "NoSuchEntity", "The role with name DenyBob cannot be found.")
	_, err = c.DeleteRole(ctx, &awsiam.DeleteRoleInput{RoleName: aws.String("DenyBob")})
	wantErr(t, err, "NoSuchEntity", "The role with name DenyBob cannot be found.")
	_, err = c.DeleteRole(ctx, &awsiam.DeleteRoleInput{RoleName: aws.String("AWSServiceRoleForAmazonEKS")})
	wantErr(t, err, "UnmodifiableEntity", "Cannot perform the operation on the protected role 'AWSServiceRoleForAmazonEKS' - this role is only modifiable by AWS")
}

const s3Read = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::bucket/*"}]}`

func TestPolicies(t *testing.T) {
	env, c, ctx := startAdmin(t)

	out, err := c.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("s3-read"), Path: aws.String("/team/"),
		PolicyDocument: aws.String(s3Read), Description: aws.String("read the bucket")})
	if err != nil {
		t.Fatal(err)
	}
	p := out.Policy
	arn := "arn:aws:iam::111122223333:policy/team/s3-read"
	if *p.Arn != arn || *p.PolicyName != "s3-read" || *p.Path != "/team/" || *p.DefaultVersionId != "v1" ||
		*p.AttachmentCount != 0 || !p.IsAttachable || *p.Description != "read the bucket" ||
		!regexp.MustCompile(`^ANPA[A-Z0-9]{17}$`).MatchString(*p.PolicyId) || !p.CreateDate.Equal(iamtest.Start) {
		t.Fatalf("CreatePolicy = %+v", p)
	}

	cases := []struct {
		name string
		in   awsiam.CreatePolicyInput
		code string
		msg  string
	}{
		{"duplicate any case and path", awsiam.CreatePolicyInput{PolicyName: aws.String("S3-READ"), PolicyDocument: aws.String(s3Read)},
			"EntityAlreadyExists", "A policy called S3-READ already exists. Duplicate names are not allowed."},
		{"bad path", awsiam.CreatePolicyInput{PolicyName: aws.String("p"), Path: aws.String("/a b/"), PolicyDocument: aws.String(s3Read)},
			"ValidationError", `1 validation error detected: Value '/a b/' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: ((/[A-Za-z0-9\.,\+@=_-]+)*)/`},
		{"principal", awsiam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`)},
			"MalformedPolicyDocument", "Policy document should not specify a principal."},
		{"no resource", awsiam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}`)},
			"MalformedPolicyDocument", "Policy statement must contain resources."},
		{"no action", awsiam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}`)},
			"MalformedPolicyDocument", "Policy statement must contain actions."},
		{"bad effect", awsiam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"s3:*","Resource":"*"}]}`)},
			"MalformedPolicyDocument", "Syntax errors in policy."},
		{"not json", awsiam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(`{"Version":`)},
			"MalformedPolicyDocument", "This policy contains invalid Json"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreatePolicy(ctx, &tc.in)
			wantErr(t, err, tc.code, tc.msg)
		})
	}

	g, err := c.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil || *g.Policy.PolicyId != *p.PolicyId || *g.Policy.Description != "read the bucket" {
		t.Fatalf("GetPolicy = %+v, %v", g, err)
	}
	_, err = c.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::111122223333:policy/nope")})
	wantErr(t, err, "NoSuchEntity", "Policy arn:aws:iam::111122223333:policy/nope was not found.")
	_, err = c.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String("not-an-arn-at-all-xyz")})
	wantErr(t, err, "InvalidInput", "ARN not-an-arn-at-all-xyz is not valid.")

	// Versions.
	pv, err := c.GetPolicyVersion(ctx, &awsiam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v1")})
	if err != nil || *pv.PolicyVersion.VersionId != "v1" || !pv.PolicyVersion.IsDefaultVersion {
		t.Fatalf("GetPolicyVersion v1 = %+v, %v", pv, err)
	}
	if doc, _ := url.QueryUnescape(*pv.PolicyVersion.Document); doc != s3Read {
		t.Fatalf("v1 document = %s", doc)
	}
	docN := func(n int) string {
		return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket%d/*"}]}`, n)
	}
	env.Clock.Advance(time.Minute)
	for n := 2; n <= 5; n++ {
		cv, err := c.CreatePolicyVersion(ctx, &awsiam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(docN(n)), SetAsDefault: n == 3})
		if err != nil {
			t.Fatal(err)
		}
		if *cv.PolicyVersion.VersionId != fmt.Sprintf("v%d", n) || cv.PolicyVersion.IsDefaultVersion != (n == 3) || cv.PolicyVersion.Document != nil {
			t.Fatalf("CreatePolicyVersion %d = %+v", n, cv.PolicyVersion)
		}
	}
	_, err = c.CreatePolicyVersion(ctx, &awsiam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(docN(6))})
	var le *types.LimitExceededException
	if !errors.As(err, &le) || le.ErrorMessage() != "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version." {
		t.Fatalf("sixth version: %v", err)
	}
	g, _ = c.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if *g.Policy.DefaultVersionId != "v3" || !g.Policy.UpdateDate.Equal(iamtest.Start.Add(time.Minute)) {
		t.Fatalf("after versions: default %s update %v", *g.Policy.DefaultVersionId, g.Policy.UpdateDate)
	}
	pv, _ = c.GetPolicyVersion(ctx, &awsiam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v3")})
	if doc, _ := url.QueryUnescape(*pv.PolicyVersion.Document); doc != docN(3) || !pv.PolicyVersion.IsDefaultVersion {
		t.Fatalf("v3 = %+v", pv.PolicyVersion)
	}
	_, err = c.GetPolicyVersion(ctx, &awsiam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v9")})
	wantErr(t, err, "NoSuchEntity", "Policy "+arn+" version v9 does not exist or is not attachable.")
	// A seeded AWS managed policy has its v1.
	pv, err = c.GetPolicyVersion(ctx, &awsiam.GetPolicyVersionInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess"), VersionId: aws.String("v1")})
	if err != nil || !pv.PolicyVersion.IsDefaultVersion {
		t.Fatalf("AWS managed v1: %v %v", pv, err)
	}
	_, err = c.CreatePolicyVersion(ctx, &awsiam.CreatePolicyVersionInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess"), PolicyDocument: aws.String(s3Read)})
	wantErr(t, err, "AccessDenied", "")
}

func TestAttachAndListPolicies(t *testing.T) {
	env, c, ctx := startAdmin(t)
	for _, n := range []string{"zeta", "alpha"} {
		if _, err := c.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String(n), PolicyDocument: aws.String(s3Read)}); err != nil {
			t.Fatal(err)
		}
	}
	zeta, alpha := "arn:aws:iam::111122223333:policy/zeta", "arn:aws:iam::111122223333:policy/alpha"
	ro := "arn:aws:iam::aws:policy/ReadOnlyAccess"
	for _, a := range []string{zeta, ro, alpha, zeta} { // attaching zeta twice is a no-op
		if _, err := c.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String("RootTrusted"), PolicyArn: aws.String(a)}); err != nil {
			t.Fatalf("attach %s: %v", a, err)
		}
	}
	if _, err := c.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String("AliceOnly"), PolicyArn: aws.String(zeta)}); err != nil {
		t.Fatal(err)
	}
	if op := env.LastOp(); op.Operation != "AttachRolePolicy" || !op.Mutating {
		t.Fatalf("op = %+v", op)
	}
	g, _ := c.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String(zeta)})
	if *g.Policy.AttachmentCount != 2 {
		t.Fatalf("zeta AttachmentCount = %d, want 2", *g.Policy.AttachmentCount)
	}

	la, err := c.ListAttachedRolePolicies(ctx, &awsiam.ListAttachedRolePoliciesInput{RoleName: aws.String("RootTrusted")})
	if err != nil {
		t.Fatal(err)
	}
	got := collect(la.AttachedPolicies, func(a types.AttachedPolicy) string { return *a.PolicyName + "=" + *a.PolicyArn })
	if strings.Join(got, " ") != "ReadOnlyAccess="+ro+" alpha="+alpha+" zeta="+zeta || la.IsTruncated {
		t.Fatalf("attached = %v", got)
	}
	pagedByTwo(t, func(maxItems *int32, marker *string) (*awsiam.ListAttachedRolePoliciesOutput, error) {
		return c.ListAttachedRolePolicies(ctx, &awsiam.ListAttachedRolePoliciesInput{RoleName: aws.String("RootTrusted"), MaxItems: maxItems, Marker: marker})
	}, func(o *awsiam.ListAttachedRolePoliciesOutput) ([]string, bool, *string) {
		return collect(o.AttachedPolicies, func(a types.AttachedPolicy) string { return *a.PolicyName }), o.IsTruncated, o.Marker
	}, "zeta")
	_, err = c.ListAttachedRolePolicies(ctx, &awsiam.ListAttachedRolePoliciesInput{RoleName: aws.String("nope")})
	wantErr(t, err, "NoSuchEntity", "The role with name nope cannot be found.")

	_, err = c.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String("RootTrusted"), PolicyArn: aws.String("arn:aws:iam::111122223333:policy/ghost")})
	var nse *types.NoSuchEntityException
	if !errors.As(err, &nse) || nse.ErrorMessage() != "Policy arn:aws:iam::111122223333:policy/ghost does not exist or is not attachable." {
		t.Fatalf("attach ghost: %v", err)
	}
	_, err = c.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String("ghost"), PolicyArn: aws.String(zeta)})
	wantErr(t, err, "NoSuchEntity", "The role with name ghost cannot be found.")

	// ListPolicies: scope, attachment, path.
	list := func(in *awsiam.ListPoliciesInput) string {
		t.Helper()
		out, err := c.ListPolicies(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, p := range out.Policies {
			names = append(names, *p.PolicyName)
			if p.Description != nil {
				t.Fatalf("ListPolicies returns no Description")
			}
		}
		return strings.Join(names, " ")
	}
	if got := list(&awsiam.ListPoliciesInput{}); got != "AdministratorAccess ReadOnlyAccess alpha zeta" {
		t.Fatalf("All = %s", got)
	}
	if got := list(&awsiam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal}); got != "alpha zeta" {
		t.Fatalf("Local = %s", got)
	}
	if got := list(&awsiam.ListPoliciesInput{Scope: types.PolicyScopeTypeAws}); got != "AdministratorAccess ReadOnlyAccess" {
		t.Fatalf("AWS = %s", got)
	}
	if got := list(&awsiam.ListPoliciesInput{OnlyAttached: true}); got != "ReadOnlyAccess alpha zeta" {
		t.Fatalf("OnlyAttached = %s", got)
	}
	if got := list(&awsiam.ListPoliciesInput{PathPrefix: aws.String("/team/")}); got != "" {
		t.Fatalf("PathPrefix /team/ = %s", got)
	}
	if got := list(&awsiam.ListPoliciesInput{MaxItems: aws.Int32(3)}); got != "AdministratorAccess ReadOnlyAccess alpha" {
		t.Fatalf("MaxItems 3 = %s", got)
	}
	_, err = c.ListPolicies(ctx, &awsiam.ListPoliciesInput{Scope: "Mine"})
	wantErr(t, err, "ValidationError", "1 validation error detected: Value 'Mine' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]")

	// Detach.
	for _, a := range []string{zeta, alpha} {
		if _, err := c.DetachRolePolicy(ctx, &awsiam.DetachRolePolicyInput{RoleName: aws.String("RootTrusted"), PolicyArn: aws.String(a)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.DetachRolePolicy(ctx, &awsiam.DetachRolePolicyInput{RoleName: aws.String("RootTrusted"), PolicyArn: aws.String(zeta)})
	wantErr(t, err, "NoSuchEntity", "Policy "+zeta+" was not found.")
	g, _ = c.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String(zeta)})
	if *g.Policy.AttachmentCount != 1 {
		t.Fatalf("zeta AttachmentCount after detach = %d", *g.Policy.AttachmentCount)
	}
	if got := list(&awsiam.ListPoliciesInput{OnlyAttached: true, Scope: types.PolicyScopeTypeLocal}); got != "zeta" {
		t.Fatalf("OnlyAttached Local = %s", got)
	}

	// The quota of 10 managed policies per role.
	for i := range 10 {
		n := fmt.Sprintf("q%02d", i)
		if _, err := c.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String(n), PolicyDocument: aws.String(s3Read)}); err != nil {
			t.Fatal(err)
		}
		_, err := c.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String("NeedsMFA"), PolicyArn: aws.String("arn:aws:iam::111122223333:policy/" + n)})
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String("NeedsMFA"), PolicyArn: aws.String(zeta)})
	wantErr(t, err, "LimitExceeded", "Cannot exceed quota for PoliciesPerRole: 10")
}

func TestCreateAccessKey(t *testing.T) {
	env, c, ctx := startAdmin(t)
	out, err := c.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("ALICE")})
	if err != nil {
		t.Fatal(err)
	}
	k := out.AccessKey
	if *k.UserName != "alice" || k.Status != types.StatusTypeActive || !regexp.MustCompile(`^AKIA[A-Z0-9]{16}$`).MatchString(*k.AccessKeyId) ||
		len(*k.SecretAccessKey) != 40 || !k.CreateDate.Equal(iamtest.Start) {
		t.Fatalf("CreateAccessKey = %+v", k)
	}
	// The new key works: alice's GetUser with it.
	gu, err := client(env, *k.AccessKeyId, *k.SecretAccessKey, "").GetUser(ctx, &awsiam.GetUserInput{})
	if err != nil || *gu.User.UserName != "alice" {
		t.Fatalf("GetUser with new key = %v, %v", gu, err)
	}
	// alice now has two keys (seed + new): a third is refused.
	_, err = c.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("alice")})
	var le *types.LimitExceededException
	if !errors.As(err, &le) || le.ErrorMessage() != "Cannot exceed quota for AccessKeysPerUser: 2" {
		t.Fatalf("third key: %v", err)
	}
	// Without UserName: the caller's own key.
	out, err = c.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{})
	if err != nil || *out.AccessKey.UserName != "admin" {
		t.Fatalf("own key = %v, %v", out, err)
	}
	_, err = c.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("ghost")})
	wantErr(t, err, "NoSuchEntity", "The user with name ghost cannot be found.")
	k2, s2, tok := addSession(t, env, "RootTrusted")
	_, err = client(env, k2, s2, tok).CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{})
	wantErr(t, err, "ValidationError", "Must specify userName when calling with non-User credentials")
}

// post sends a raw awsQuery form to IAM.
func post(t *testing.T, env *iamtest.Env, form string) (int, string) {
	return env.PostForm(t, "iam", form)
}

func TestProtocol(t *testing.T) {
	env := start(t)
	cases := []struct {
		name   string
		form   string
		status int
		body   string // substring
	}{
		{"unknown action", "Action=GetBananas&Version=2010-05-08", 400,
			`<Error><Type>Sender</Type><Code>InvalidAction</Code><Message>Could not find operation GetBananas for version 2010-05-08</Message></Error>`},
		{"wrong version", "Action=GetUser&Version=2011-06-15", 400, `<Code>InvalidAction</Code>`},
		{"missing action", "Version=2010-05-08", 400, `<Code>MissingAction</Code>`},
		{"missing required", "Action=GetRole&Version=2010-05-08", 400,
			`<Code>ValidationError</Code><Message>1 validation error detected: Value null at &#39;roleName&#39; failed to satisfy constraint: Member must not be null</Message>`},
		{"no output", "Action=AttachRolePolicy&Version=2010-05-08&RoleName=RootTrusted&PolicyArn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess", 200,
			`<AttachRolePolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ResponseMetadata><RequestId>`},
		{"get user xml", "Action=GetUser&Version=2010-05-08&UserName=bob", 200,
			`<GetUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetUserResult><User><Path>/</Path><UserName>bob</UserName><UserId>` + iamtest.UserID("bob") +
				`</UserId><Arn>arn:aws:iam::111122223333:user/bob</Arn><CreateDate>2026-11-27T12:00:00Z</CreateDate></User></GetUserResult><ResponseMetadata><RequestId>`},
		{"tags list", "Action=CreateUser&Version=2010-05-08&UserName=tagged&Tags.member.2.Key=b&Tags.member.2.Value=2&Tags.member.1.Key=a&Tags.member.1.Value=1", 200,
			`<Tags><member><Key>a</Key><Value>1</Value></member><member><Key>b</Key><Value>2</Value></member></Tags>`},
		{"empty list", "Action=ListGroups&Version=2010-05-08&PathPrefix=%2Fnone%2F", 200, `<ListGroupsResult><Groups></Groups><IsTruncated>false</IsTruncated></ListGroupsResult>`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := post(t, env, tc.form)
			if status != tc.status || !strings.Contains(body, tc.body) {
				t.Fatalf("status %d body %s\nwant %d containing %s", status, body, tc.status, tc.body)
			}
		})
	}
	if op := env.LastOp(); op.Operation != "ListGroups" || op.Mutating {
		t.Fatalf("last op = %+v", op)
	}
}

func TestAWSCLI(t *testing.T) {
	env := start(t)
	t.Run("get-user", func(t *testing.T) {
		t.Parallel()
		cliGetUser(t, env)
	})
	t.Run("get-role", func(t *testing.T) {
		t.Parallel()
		cliGetRole(t, env)
	})
}

func cliGetUser(t *testing.T, env *iamtest.Env) {
	var got struct {
		User struct{ Path, UserName, UserId, Arn, CreateDate string }
	}
	out := iamtest.AWS(t, env, iamtest.AdminKey, iamtest.AdminSecret, "", "iam", "get-user", "--user-name", "alice")
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := struct{ Path, UserName, UserId, Arn, CreateDate string }{"/", "alice", iamtest.UserID("alice"), "arn:aws:iam::111122223333:user/alice", "2026-11-27T12:00:00Z"}
	if got.User != want {
		t.Fatalf("aws iam get-user = %+v\nwant %+v", got.User, want)
	}
}

func cliGetRole(t *testing.T, env *iamtest.Env) {

	// awscli URL-decodes and parses trust policies (botocore's json_decode_policies).
	var role struct {
		Role struct {
			Arn                      string
			AssumeRolePolicyDocument map[string]any
		}
	}
	out := iamtest.AWS(t, env, iamtest.AdminKey, iamtest.AdminSecret, "", "iam", "get-role", "--role-name", "AliceOnly")
	if err := json.Unmarshal(out, &role); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var wantDoc map[string]any
	json.Unmarshal([]byte(iamtest.TrustAlice), &wantDoc)
	if role.Role.Arn != "arn:aws:iam::111122223333:role/team/AliceOnly" || fmt.Sprint(role.Role.AssumeRolePolicyDocument) != fmt.Sprint(wantDoc) {
		t.Fatalf("aws iam get-role = %s", out)
	}
}
