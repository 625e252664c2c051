package authz

import (
	"strings"
	"testing"
	"time"

	"eksaccess/internal/sandbox/state"
)

const acct = "111122223333"

var now = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func allow(action, resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"` + resource + `"}]}`
}

// data is an account with user u (inline policy, one managed policy, a group), role r and
// a session of r.
func data() *state.Data {
	admin := "arn:aws:iam::aws:policy/AdministratorAccess"
	read := "arn:aws:iam::111122223333:policy/read"
	return &state.Data{
		Account: acct, Partition: "aws", Region: "us-west-2",
		Users: map[string]*state.User{
			"u":     {UserName: "u", Arn: "arn:aws:iam::111122223333:user/u", InlinePolicies: map[string]string{"own": allow("iam:GetUser", "arn:aws:iam::111122223333:user/${aws:username}")}, AttachedPolicies: []string{read}, Tags: []state.Tag{{Key: "team", Value: "a"}}},
			"admin": {UserName: "admin", Arn: "arn:aws:iam::111122223333:user/admin", AttachedPolicies: []string{admin}, PermissionsBoundary: read},
			"g1":    {UserName: "g1", Arn: "arn:aws:iam::111122223333:user/g1"},
		},
		Groups: map[string]*state.Group{"ops": {GroupName: "ops", Members: []string{"G1"}, InlinePolicies: map[string]string{"p": allow("eks:*", "*")}}},
		Roles: map[string]*state.Role{"r": {RoleName: "r", Arn: "arn:aws:iam::111122223333:role/r", AttachedPolicies: []string{admin},
			InlinePolicies: map[string]string{"deny": `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:Delete*","Resource":"*"}]}`}}},
		Policies: map[string]*state.ManagedPolicy{
			admin: {Arn: admin, Document: allow("*", "*"), AWSManaged: true},
			read:  {Arn: read, Document: allow("eks:Describe*", "arn:aws:eks:*:111122223333:cluster/*")},
		},
		Sessions: map[string]*state.Session{
			"ASIA1": {AccessKeyID: "ASIA1", RoleName: "r", RoleArn: "arn:aws:iam::111122223333:role/r", SessionName: "s", Expiration: now.Add(time.Hour)},
			"ASIA2": {AccessKeyID: "ASIA2", RoleName: "r", RoleArn: "arn:aws:iam::111122223333:role/r", SessionName: "t", Expiration: now.Add(time.Hour),
				Policy: allow("eks:List*", "*")},
		},
	}
}

func user(name string) *state.Caller {
	return &state.Caller{Account: acct, Arn: "arn:aws:iam::111122223333:user/" + name, PrincipalArn: "arn:aws:iam::111122223333:user/" + name, UserName: name}
}

func session(key string) *state.Caller {
	return &state.Caller{Account: acct, Arn: "arn:aws:sts::111122223333:assumed-role/r/s", PrincipalArn: "arn:aws:iam::111122223333:role/r", AccessKeyID: key, Session: true, RoleName: "r"}
}

func TestCheck(t *testing.T) {
	cluster := "arn:aws:eks:us-west-2:111122223333:cluster/c"
	cases := []struct {
		name   string
		caller *state.Caller
		req    Request
		want   string // "" = allowed, else a part of the message
	}{
		{"managed policy allows", user("u"), Request{Action: "eks:DescribeCluster", Resource: cluster}, ""},
		{"no policy allows", user("u"), Request{Action: "eks:CreateAccessEntry", Resource: cluster}, "because no identity-based policy allows the eks:CreateAccessEntry action"},
		{"policy variable", user("u"), Request{Action: "iam:GetUser", Resource: "arn:aws:iam::111122223333:user/u"}, ""},
		{"policy variable, other user", user("u"), Request{Action: "iam:GetUser", Resource: "arn:aws:iam::111122223333:user/v"}, "no identity-based policy allows"},
		{"group membership, case-insensitive", user("g1"), Request{Action: "eks:CreateAccessEntry", Resource: cluster}, ""},
		{"boundary narrows admin", user("admin"), Request{Action: "eks:CreateAccessEntry", Resource: cluster}, "because no permissions boundary allows the eks:CreateAccessEntry action"},
		{"boundary and identity both allow", user("admin"), Request{Action: "eks:DescribeCluster", Resource: cluster}, ""},
		{"role session", session("ASIA1"), Request{Action: "eks:CreateAccessEntry", Resource: cluster}, ""},
		{"explicit deny in role policy", session("ASIA1"), Request{Action: "iam:DeleteUser", Resource: "*"}, "with an explicit deny in an identity-based policy"},
		{"session policy narrows", session("ASIA2"), Request{Action: "eks:CreateAccessEntry", Resource: cluster}, "because no session policy allows the eks:CreateAccessEntry action"},
		{"session policy allows", session("ASIA2"), Request{Action: "eks:ListClusters", Resource: "*"}, ""},
		{"unknown session", session("ASIA9"), Request{Action: "eks:ListClusters", Resource: "*"}, "no identity-based policy allows"},
		{"other account caller", &state.Caller{Account: "999999999999", Arn: "arn:aws:iam::999999999999:user/x", UserName: "x"}, Request{Action: "eks:ListClusters", Resource: "*"}, "no identity-based policy allows"},
		{"no caller", nil, Request{Action: "eks:ListClusters", Resource: "*"}, "User: anonymous"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			den := Check(data(), tc.caller, now, tc.req)
			switch {
			case tc.want == "" && den != nil:
				t.Fatalf("refused: %s", den.Message)
			case tc.want != "" && den == nil:
				t.Fatalf("allowed, want a refusal containing %q", tc.want)
			case den != nil && !strings.Contains(den.Message, tc.want):
				t.Fatalf("message %q, want it to contain %q", den.Message, tc.want)
			}
			if den != nil && !strings.HasPrefix(den.Message, "User: ") {
				t.Fatalf("message %q does not start as AWS's does", den.Message)
			}
		})
	}
}

func TestConditionKeys(t *testing.T) {
	d := data()
	entry := "arn:aws:eks:us-west-2:111122223333:access-entry/c/user/111122223333/bob/x"
	d.Users["u"].InlinePolicies["delegate"] = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:AssociateAccessPolicy","Resource":"*",` +
		`"Condition":{"StringEquals":{"eks:accessScope":"namespace","aws:PrincipalTag/team":"a"},"ForAllValues:StringLike":{"eks:namespaces":["team-a-*"]}}},` +
		`{"Effect":"Deny","Action":"eks:TagResource","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["owner"]}}},` +
		`{"Effect":"Allow","Action":"eks:TagResource","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/env":"dev"}}}]}`
	assoc := func(scope string, ns ...string) Request {
		return Request{Action: "eks:AssociateAccessPolicy", Resource: entry, Keys: map[string]string{"eks:accessScope": scope}, Multi: map[string][]string{"eks:namespaces": ns}}
	}
	cases := []struct {
		name string
		req  Request
		ok   bool
	}{
		{"inside team-a-*", assoc("namespace", "team-a-dev"), true},
		{"all inside", assoc("namespace", "team-a-dev", "team-a-prod"), true},
		{"one outside", assoc("namespace", "team-a-dev", "team-b"), false},
		{"cluster scope", assoc("cluster"), false},
		{"resource tag matches", Request{Action: "eks:TagResource", Resource: entry, ResourceTags: map[string]string{"env": "dev"}, RequestTags: map[string]string{"cost": "1"}}, true},
		{"resource tag differs", Request{Action: "eks:TagResource", Resource: entry, ResourceTags: map[string]string{"env": "prod"}, RequestTags: map[string]string{"cost": "1"}}, false},
		{"denied tag key", Request{Action: "eks:TagResource", Resource: entry, ResourceTags: map[string]string{"env": "dev"}, RequestTags: map[string]string{"owner": "x"}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			den := Check(d, user("u"), now, tc.req)
			if (den == nil) != tc.ok {
				t.Fatalf("allowed=%v, want %v (%v)", den == nil, tc.ok, den)
			}
		})
	}
	// Without the principal tag the statement no longer applies.
	d.Users["u"].Tags = nil
	if den := Check(d, user("u"), now, assoc("namespace", "team-a-dev")); den == nil {
		t.Fatal("allowed without aws:PrincipalTag/team")
	}
}

// BenchmarkCheck is the evaluation one call costs: a user with an inline policy, a managed
// policy and a group (BenchmarkCheck/user), and the delegated-admin shape with conditions on
// multivalued keys (BenchmarkCheck/conditions).
func BenchmarkCheck(b *testing.B) {
	d := data()
	cluster := "arn:aws:eks:us-west-2:111122223333:cluster/c"
	b.Run("user", func(b *testing.B) {
		req := Request{Action: "eks:DescribeCluster", Resource: cluster}
		for i := 0; i < b.N; i++ {
			if Check(d, user("u"), now, req) != nil {
				b.Fatal("refused")
			}
		}
	})
	d.Users["u"].InlinePolicies["delegate"] = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:AssociateAccessPolicy","Resource":"arn:aws:eks:*:111122223333:access-entry/c/*",` +
		`"Condition":{"StringEquals":{"eks:accessScope":"namespace"},"ForAllValues:StringLike":{"eks:namespaces":["team-a-*"]}}}]}`
	b.Run("conditions", func(b *testing.B) {
		req := Request{Action: "eks:AssociateAccessPolicy", Resource: "arn:aws:eks:us-west-2:111122223333:access-entry/c/user/111122223333/bob/x",
			Keys: map[string]string{"eks:accessScope": "namespace", "eks:principalArn": "arn:aws:iam::111122223333:user/bob"}, Multi: map[string][]string{"eks:namespaces": {"team-a-dev", "team-a-prod"}}}
		for i := 0; i < b.N; i++ {
			if Check(d, user("u"), now, req) != nil {
				b.Fatal("refused")
			}
		}
	})
}
