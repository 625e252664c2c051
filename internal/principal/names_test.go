package principal

import (
	"strings"
	"testing"
)

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestValidators(t *testing.T) {
	tests := []struct {
		name string
		fn   func(string) error
		in   string
		want string // "" = valid
	}{
		{"user", ValidateUserName, "alice", ""},
		{"user", ValidateUserName, "a.b+c=d,e@f_g-h", ""},
		{"user", ValidateUserName, strings.Repeat("u", 64), ""},
		{"user", ValidateUserName, strings.Repeat("u", 65), `user name "` + strings.Repeat("u", 20) + `…" is 65 characters long: IAM allows at most 64`},
		{"user", ValidateUserName, "", "empty user name: IAM user names have 1 to 64 characters"},
		{"user", ValidateUserName, "bad!name", `user name "bad!name" contains '!': IAM names use only letters, digits and + = , . @ _ -`},
		{"user", ValidateUserName, "alice bob", `user name "alice bob" contains a space: IAM names use only letters, digits and + = , . @ _ -; give one name per line or argument`},
		{"user", ValidateUserName, "alice#x", `user name "alice#x" contains '#': IAM names use only letters, digits and + = , . @ _ -; a comment needs a space before the # (alice # note)`},
		{"user", ValidateUserName, "team/alice", `user name "team/alice" contains '/': IAM names use only letters, digits and + = , . @ _ -; for a role write role/NAME or role/PATH/NAME, and for any principal you may give its full ARN`},
		{"user", ValidateUserName, "jürgen", `user name "jürgen" contains 'ü' (U+00FC): IAM names use only letters, digits and + = , . @ _ -`},
		{"user", ValidateUserName, "al\u00a0ice", `user name "al\u00a0ice" contains a non-breaking space: IAM names use only letters, digits and + = , . @ _ -`},
		{"user", ValidateUserName, "al\u200bice", `user name "al\u200bice" contains an invisible zero-width character: IAM names use only letters, digits and + = , . @ _ -`},
		{"user", ValidateUserName, "al\x01ice", `user name "al\x01ice" contains control character U+0001: IAM names use only letters, digits and + = , . @ _ -`},
		{"role", ValidateRoleName, "EKSFullAccessRole", ""},
		{"role", ValidateRoleName, strings.Repeat("r", 65), `role name "` + strings.Repeat("r", 20) + `…" is 65 characters long: IAM allows at most 64`},
		{"group", ValidateGroupName, strings.Repeat("g", 128), ""},
		{"group", ValidateGroupName, strings.Repeat("g", 129), `group name "` + strings.Repeat("g", 20) + `…" is 129 characters long: IAM allows at most 128`},
		{"policy", ValidatePolicyName, "EKSFullAccessPolicy", ""},
		{"policy", ValidatePolicyName, "eks:*", `policy name "eks:*" contains ':': IAM names use only letters, digits and + = , . @ _ -; an ARN must be complete (arn:aws:iam::111122223333:user/NAME)`},
		{"session", ValidateSessionName, "alice@example.com", ""},
		{"session", ValidateSessionName, "a", `session name "a" is too short: STS needs 2 to 64 characters`},
		{"path", ValidatePath, "/", ""},
		{"path", ValidatePath, "/aws-reserved/sso.amazonaws.com/us-west-2/", ""},
		{"path", ValidatePath, "team", `IAM path "team" must start and end with /: write / or /team/app/`},
		{"path", ValidatePath, "/team", `IAM path "/team" must start and end with /: write / or /team/app/`},
		{"path", ValidatePath, "/a b/", `IAM path "/a b/" contains a space: paths are printable ASCII without spaces`},
		{"path", ValidatePath, "/" + strings.Repeat("p", 511) + "/", `IAM path "/` + strings.Repeat("p", 19) + `…" is 513 characters long: IAM allows at most 512`},
		{"namespace", ValidateNamespace, "team-a", ""},
		{"namespace", ValidateNamespace, "hyperpod-ns-team-a", ""},
		{"namespace", ValidateNamespace, "0", ""},
		{"namespace", ValidateNamespace, "dev-*", ""},
		{"namespace", ValidateNamespace, "d*", ""},
		{"namespace", ValidateNamespace, strings.Repeat("n", 63), ""},
		{"namespace", ValidateNamespace, strings.Repeat("n", 64), `namespace "` + strings.Repeat("n", 20) + `…" is 64 characters long: Kubernetes namespace names have at most 63`},
		{"namespace", ValidateNamespace, "", "empty namespace: give a namespace name such as team-a, or omit --namespace for cluster scope"},
		{"namespace", ValidateNamespace, "*", `namespace "*" is not a documented EKS wildcard: omit --namespace for cluster scope, or give a prefix such as dev-*`},
		{"namespace", ValidateNamespace, "*-dev", `namespace "*-dev" has a wildcard that is not at the end: EKS documents only a trailing * (dev-* matches every namespace starting with dev-)`},
		{"namespace", ValidateNamespace, "dev-?", `namespace "dev-?" has a wildcard that is not at the end: EKS documents only a trailing * (dev-* matches every namespace starting with dev-)`},
		{"namespace", ValidateNamespace, "dev**", `namespace "dev**" has a wildcard that is not at the end: EKS documents only a trailing * (dev-* matches every namespace starting with dev-)`},
		{"namespace", ValidateNamespace, "Team-A", `namespace "Team-A" contains upper-case 'T': namespace names are lower-case; write "team-a"`},
		{"namespace", ValidateNamespace, "team_a", `namespace "team_a" contains '_': namespace names use only a-z, 0-9 and - (DNS-1123 labels)`},
		{"namespace", ValidateNamespace, "team.a", `namespace "team.a" contains '.': namespace names use only a-z, 0-9 and - (DNS-1123 labels)`},
		{"namespace", ValidateNamespace, "-team", `namespace "-team" starts with -: namespace names start with a lower-case letter or digit`},
		{"namespace", ValidateNamespace, "team-", `namespace "team-" ends with -: namespace names end with a letter or digit (for a prefix match write team-*)`},
		{"k8s group", ValidateKubernetesGroup, "hyperpod-scientist-user-cluster-level", ""},
		{"k8s group", ValidateKubernetesGroup, "team:viewers", ""},
		{"k8s group", ValidateKubernetesGroup, "", "empty Kubernetes group name: give the group a RoleBinding or ClusterRoleBinding names as subject"},
		{"k8s group", ValidateKubernetesGroup, "system:masters", `the Kubernetes group "system:masters" starts with system:, which EKS reserves: bind your RBAC to a group of your own (e.g. cluster-admins) and use that, or grant AmazonEKSClusterAdminPolicy with --policy`},
		{"k8s group", ValidateKubernetesGroup, "my group", `the Kubernetes group "my group" contains a space: use printable ASCII without spaces`},
		{"k8s group", ValidateKubernetesGroup, strings.Repeat("g", 256), `the Kubernetes group "` + strings.Repeat("g", 20) + `…" is 256 characters long: keep it to 255`},
		{"username", ValidateUsername, "alice", ""},
		{"username", ValidateUsername, "arn:aws:sts::111122223333:assumed-role/Admin/{{SessionName}}", ""},
		{"username", ValidateUsername, "dev:{{SessionNameRaw}}", ""},
		{"username", ValidateUsername, "team a:{{SessionName}}", ""},
		// EKS: a {{SessionName}} needs a colon before it (the access-file loader always said so).
		{"username", ValidateUsername, "alice{{SessionName}}", `username "alice{{SessionName}}" needs a colon before {{SessionName}}: write it like team:{{SessionName}}`},
		{"username", ValidateUsername, "a:{{SessionName}}-{{SessionNameRaw}}", ""},
		{"username", ValidateUsername, "dev-{{AccountID}}-{{SessionNameRaw}}", `username "dev-{{AccountID}}-{{…" uses {{AccountID}}, which EKS access entries do not support: only {{SessionName}} and {{SessionNameRaw}} are allowed`},
		{"username", ValidateUsername, "", "username is empty: write a username, or leave it out to let EKS generate one"},
		{"username", ValidateUsername, "system:admin", `username "system:admin" starts with system:, which EKS reserves (system: eks: aws: amazon: iam:): choose another username, or leave it out to let EKS generate one`},
		{"username", ValidateUsername, "eks:x", `username "eks:x" starts with eks:, which EKS reserves (system: eks: aws: amazon: iam:): choose another username, or leave it out to let EKS generate one`},
		{"username", ValidateUsername, "Amazon:x", `username "Amazon:x" starts with amazon:, which EKS reserves (system: eks: aws: amazon: iam:): choose another username, or leave it out to let EKS generate one`},
		{"username", ValidateUsername, "iam:x", `username "iam:x" starts with iam:, which EKS reserves (system: eks: aws: amazon: iam:): choose another username, or leave it out to let EKS generate one`},
		{"username", ValidateUsername, "aws:x", `username "aws:x" starts with aws:, which EKS reserves (system: eks: aws: amazon: iam:): choose another username, or leave it out to let EKS generate one`},
		{"username", ValidateUsername, "dev:{{Session}}", `username "dev:{{Session}}" uses {{Session}}, which EKS access entries do not support: only {{SessionName}} and {{SessionNameRaw}} are allowed`},
		{"username", ValidateUsername, "dev:{{SessionName", `username "dev:{{SessionName" has {{ without }}: placeholders look like team:{{SessionName}}`},
		{"username", ValidateUsername, "dev:SessionName}}", `username "dev:SessionName}}" has }} without {{: placeholders look like team:{{SessionName}}`},
		{"username", ValidateUsername, " a", `username " a" has leading or trailing spaces: remove them`},
		{"username", ValidateUsername, "a\tb", `username "a\tb" contains a tab: use printable ASCII`},
		{"username", ValidateUsername, "x:" + strings.Repeat("u", 300), `username "x:uuuuuuuuuuuuuuuuuu…" is 302 characters long: keep it to 255`},
	}
	for _, tc := range tests {
		if got := errString(tc.fn(tc.in)); got != tc.want {
			t.Errorf("%s %q:\n got %s\nwant %s", tc.name, tc.in, got, tc.want)
		}
	}
}

func TestParseRef(t *testing.T) {
	tests := []struct {
		in   string
		kind RefKind
		name string
		path string
		err  string
	}{
		{"alice", RefUserName, "alice", "", ""},
		{"role/EKSFullAccessRole", RefRoleName, "EKSFullAccessRole", "", ""},
		{"role/team/apps/dev-role", RefRoleName, "dev-role", "/team/apps/", ""},
		{"arn:aws:iam::111122223333:user/eng/bob", RefARN, "bob", "/eng/", ""},
		{"arn:aws:sts::111122223333:assumed-role/Admin/alice", RefARN, "Admin", "", ""},
		{"", 0, "", "", "empty principal: give an IAM user name, role/NAME, or an ARN"},
		{"role/", 0, "", "", `"role/": empty role name: IAM role names have 1 to 64 characters`},
		{"role/team/", 0, "", "", `"role/team/": empty role name: IAM role names have 1 to 64 characters`},
		{"role/bad!", 0, "", "", `"role/bad!": role name "bad!" contains '!': IAM names use only letters, digits and + = , . @ _ -`},
		{"user/alice", RefUserName, "alice", "", ""},
		{"user/eng/ml/alice", RefUserName, "alice", "/eng/ml/", ""},
		{"user/", 0, "", "", `"user/": empty user name: IAM user names have 1 to 64 characters`},
		{"group/devs", 0, "", "", `"group/devs": an IAM group is not a principal: grant its members with --iam-group devs`},
		{"ARN:aws:iam::111122223333:user/a", 0, "", "", `"ARN:aws:iam::1111222…": write "arn:", in lower case`},
		{"Role/x", 0, "", "", `"Role/x": write "role/", in lower case`},
		{"arn:aws:iam::111122223333:user/a:b", 0, "", "", `invalid ARN "arn:aws:iam::1111222…": user name "a:b" contains ':': IAM names use only letters, digits and + = , . @ _ -; an ARN must be complete (arn:aws:iam::111122223333:user/NAME)`},
		{"bob@example.com", RefUserName, "bob@example.com", "", ""},
		{"bad name", 0, "", "", `user name "bad name" contains a space: IAM names use only letters, digits and + = , . @ _ -; give one name per line or argument`},
	}
	for _, tc := range tests {
		got, err := ParseRef(tc.in)
		if gotErr := errString(err); gotErr != tc.err {
			t.Errorf("ParseRef(%q) error:\n got %s\nwant %s", tc.in, gotErr, tc.err)
			continue
		}
		if err == nil && (got.Kind != tc.kind || got.Name != tc.name || got.Path != tc.path) {
			t.Errorf("ParseRef(%q) = %v %q %q, want %v %q %q", tc.in, got.Kind, got.Name, got.Path, tc.kind, tc.name, tc.path)
		}
	}
}

func TestSourceAndInputError(t *testing.T) {
	srcs := []struct {
		s    Source
		want string
	}{
		{FileSource("users.txt", 3), "users.txt:3"},
		{FileSource("users.txt", 0), "users.txt"},
		{ArgSource(2), "argument 2"},
		{GroupSource("devs"), "--iam-group devs"},
		{Source{File: "access.yaml", Line: 12, Group: "devs"}, "access.yaml:12 (IAM group devs)"},
		{Source{}, ""},
	}
	for _, tc := range srcs {
		if got := tc.s.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.s, got, tc.want)
		}
	}

	var ie InputError
	if ie.Err() != nil {
		t.Fatal("empty InputError.Err() != nil")
	}
	ie.Add(FileSource("b.txt", 2), "two")
	ie.Add(ArgSource(1), "arg")
	ie.Add(FileSource("a.txt", 9), "nine")
	ie.Add(FileSource("b.txt", 1), "one")
	ie.Sort()
	want := "4 problems in the input:\n  argument 1: arg\n  a.txt:9: nine\n  b.txt:1: one\n  b.txt:2: two"
	if got := ie.Err().Error(); got != want {
		t.Errorf("Error():\n got %s\nwant %s", got, want)
	}
	if p := ie.Problems[3]; p.File != "b.txt" || p.Line != 2 {
		t.Errorf("embedded Source fields: %+v", p)
	}
	var other InputError
	if !other.Merge(&ie) || len(other.Problems) != 4 || other.Merge(errString2("x")) {
		t.Errorf("Merge: %+v", other)
	}
	if !IsInputError(&ie) || IsInputError(errString2("x")) {
		t.Error("IsInputError")
	}

	var many InputError
	for i := 1; i <= 52; i++ {
		many.Add(FileSource("f", i), "bad")
	}
	lines := strings.Split(many.Error(), "\n")
	if len(lines) != 52 || lines[0] != "52 problems in the input:" || lines[51] != "  … and 2 more" {
		t.Errorf("long Error(): %d lines, first %q last %q", len(lines), lines[0], lines[len(lines)-1])
	}
}

type errString2 string

func (e errString2) Error() string { return string(e) }

func TestUsernameAdvice(t *testing.T) {
	tests := []struct {
		kind Kind
		u    string
		want string
	}{
		{KindRole, "", ""},
		{KindUser, "alice", ""},
		{KindRole, "dev-{{SessionName}}", ""},
		{KindRole, "dev-{{SessionNameRaw}}", ""},
		{KindRole, "dev", `username "dev" for a role has no {{SessionName}}: every session of the role gets the same Kubernetes username; consider dev-{{SessionName}}`},
	}
	for _, tc := range tests {
		if got := UsernameAdvice(tc.kind, tc.u); got != tc.want {
			t.Errorf("UsernameAdvice(%v, %q) = %q, want %q", tc.kind, tc.u, got, tc.want)
		}
	}
}
