package principal

import (
	"errors"
	"strings"
	"testing"
)

func TestParseARN(t *testing.T) {
	ok := []struct {
		in   string
		want ARN
	}{
		{"arn:aws:iam::111122223333:user/alice", ARN{"aws", "iam", "", "111122223333", "user/alice"}},
		{"arn:aws-cn:iam::111122223333:role/a/b/r", ARN{"aws-cn", "iam", "", "111122223333", "role/a/b/r"}},
		{"arn:aws-us-gov:sts::111122223333:assumed-role/R/s", ARN{"aws-us-gov", "sts", "", "111122223333", "assumed-role/R/s"}},
		{"arn:aws-iso-b:iam::111122223333:root", ARN{"aws-iso-b", "iam", "", "111122223333", "root"}},
		{"arn:aws:eks:us-west-2:111122223333:cluster/ml-prod", ARN{"aws", "eks", "us-west-2", "111122223333", "cluster/ml-prod"}},
		{"arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", ARN{"aws", "eks", "", "aws", "cluster-access-policy/AmazonEKSViewPolicy"}},
		{"arn:aws:iam::aws:policy/AdministratorAccess", ARN{"aws", "iam", "", "aws", "policy/AdministratorAccess"}},
		{"arn:aws:sns:us-east-1:111122223333:topic:sub", ARN{"aws", "sns", "us-east-1", "111122223333", "topic:sub"}},
		{"arn:aws:s3:::bucket", ARN{"aws", "s3", "", "", "bucket"}},
	}
	for _, tc := range ok {
		got, err := ParseARN(tc.in)
		if err != nil {
			t.Errorf("ParseARN(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseARN(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
		if got.String() != tc.in {
			t.Errorf("ParseARN(%q).String() = %q", tc.in, got.String())
		}
	}

	bad := []struct{ in, want string }{
		{"", `invalid ARN "": has 1 colon-separated fields, not 6: ARNs look like arn:aws:iam::111122223333:user/NAME`},
		{"arn:aws:iam::111122223333", `invalid ARN "arn:aws:iam::1111222…": has 5 colon-separated fields, not 6: ARNs look like arn:aws:iam::111122223333:user/NAME`},
		{"ARN:aws:iam::111122223333:user/a", `invalid ARN "ARN:aws:iam::1111222…": does not start with "arn:": ARNs look like arn:aws:iam::111122223333:user/NAME`},
		{"arn:aws-mars:iam::111122223333:user/a", `invalid ARN "arn:aws-mars:iam::11…": unknown partition "aws-mars": use one of aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc`},
		{"arn:aws:IAM::111122223333:user/a", `invalid ARN "arn:aws:IAM::1111222…": service "IAM" is not a lower-case service name such as iam, sts or eks`},
		{"arn:aws:::111122223333:user/a", `invalid ARN "arn:aws:::1111222233…": service "" is not a lower-case service name such as iam, sts or eks`},
		{"arn:aws:eks:US_WEST:111122223333:cluster/c", `invalid ARN "arn:aws:eks:US_WEST:…": region "US_WEST" is not a region name such as us-west-2`},
		{"arn:aws:iam::11112222333:user/a", `invalid ARN "arn:aws:iam::1111222…": account "11112222333" is not a 12-digit AWS account ID`},
		{"arn:aws:iam::1111-2222-3333:user/a", `invalid ARN "arn:aws:iam::1111-22…": account "1111-2222-3333" is not a 12-digit AWS account ID`},
		{"arn:aws:iam::111122223333:", `invalid ARN "arn:aws:iam::1111222…": has no resource after the account: ARNs look like arn:aws:iam::111122223333:user/NAME`},
		{"arn:aws:iam:us-east-1:111122223333:user/a", `invalid ARN "arn:aws:iam:us-east-…": IAM ARNs have no region, but this one has "us-east-1": remove it (arn:aws:iam::111122223333:user/a)`},
		{"arn:aws:iam:::user/a", `invalid ARN "arn:aws:iam:::user/a": IAM ARNs need the 12-digit account ID, found "": ARNs look like arn:aws:iam::111122223333:user/NAME`},
		{"arn:aws:sts::aws:assumed-role/a/b", `invalid ARN "arn:aws:sts::aws:ass…": STS ARNs need the 12-digit account ID, found "aws": ARNs look like arn:aws:iam::111122223333:user/NAME`},
		{"arn:aws:iam::111122223333:user/a b", `invalid ARN "arn:aws:iam::1111222…": contains a space at byte 33: ARNs are printable ASCII without spaces; retype it`},
		{"arn:aws:iam::111122223333:user/a\x00", `invalid ARN "arn:aws:iam::1111222…": contains a NUL byte at byte 33: ARNs are printable ASCII without spaces; retype it`},
		{"arn:aws:iam::111122223333:user/é", `invalid ARN "arn:aws:iam::1111222…": contains 'é' (U+00E9) at byte 32: ARNs are printable ASCII without spaces; retype it`},
		{"arn:aws:iam::111122223333:user/" + strings.Repeat("a", 2030), `invalid ARN "arn:aws:iam::1111222…": 2061 characters long, more than the 2048 an ARN can have: check the value`},
	}
	for _, tc := range bad {
		_, err := ParseARN(tc.in)
		if err == nil {
			t.Errorf("ParseARN(%q): no error", tc.in)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("ParseARN(%q):\n got %s\nwant %s", tc.in, err, tc.want)
		}
		if !errors.Is(err, ErrInvalidARN) {
			t.Errorf("ParseARN(%q): error does not wrap ErrInvalidARN", tc.in)
		}
	}
}

func TestParsePrincipalARN(t *testing.T) {
	tests := []struct {
		in            string
		kind          Kind
		path, name    string
		session       string
		serviceLinked bool
	}{
		{"arn:aws:iam::111122223333:user/alice", KindUser, "/", "alice", "", false},
		{"arn:aws:iam::111122223333:user/eng/team/bob", KindUser, "/eng/team/", "bob", "", false},
		{"arn:aws:iam::111122223333:role/EKSFullAccessRole", KindRole, "/", "EKSFullAccessRole", "", false},
		{"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/us-west-2/AWSReservedSSO_Admin_0123", KindRole, "/aws-reserved/sso.amazonaws.com/us-west-2/", "AWSReservedSSO_Admin_0123", "", false},
		{"arn:aws:iam::111122223333:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS", KindRole, "/aws-service-role/eks.amazonaws.com/", "AWSServiceRoleForAmazonEKS", "", true},
		{"arn:aws:iam::111122223333:group/devs", KindGroup, "/", "devs", "", false},
		{"arn:aws:iam::111122223333:root", KindRoot, "", "", "", false},
		{"arn:aws:sts::111122223333:assumed-role/Admin/alice@example.com", KindAssumedRole, "", "Admin", "alice@example.com", false},
		{"arn:aws:sts::111122223333:federated-user/bob", KindFederatedUser, "", "bob", "", false},
	}
	for _, tc := range tests {
		p, err := ParsePrincipalARN(tc.in)
		if err != nil {
			t.Errorf("ParsePrincipalARN(%q): %v", tc.in, err)
			continue
		}
		if p.Kind != tc.kind || p.Path != tc.path || p.Name != tc.name || p.Session != tc.session || p.ServiceLinked() != tc.serviceLinked {
			t.Errorf("ParsePrincipalARN(%q) = kind %v path %q name %q session %q serviceLinked %v, want %v %q %q %q %v",
				tc.in, p.Kind, p.Path, p.Name, p.Session, p.ServiceLinked(), tc.kind, tc.path, tc.name, tc.session, tc.serviceLinked)
		}
		if p.ARN.String() != tc.in {
			t.Errorf("round trip %q → %q", tc.in, p.ARN.String())
		}
	}

	bad := []struct{ in, want string }{
		{"arn:aws:iam::111122223333:policy/p", `invalid ARN "arn:aws:iam::1111222…": "policy" is not an IAM user or role: principal ARNs look like arn:aws:iam::111122223333:user/NAME or arn:aws:iam::111122223333:role/NAME`},
		{"arn:aws:iam::111122223333:user/", `invalid ARN "arn:aws:iam::1111222…": has no user name: write user/NAME`},
		{"arn:aws:iam::111122223333:user/eng/", `invalid ARN "arn:aws:iam::1111222…": empty user name: IAM user names have 1 to 64 characters`},
		{"arn:aws:iam::111122223333:user//alice", `invalid ARN "arn:aws:iam::1111222…": IAM path "//" must start and end with /: write / or /team/app/`},
		{"arn:aws:iam::111122223333:role/bad!name", `invalid ARN "arn:aws:iam::1111222…": role name "bad!name" contains '!': IAM names use only letters, digits and + = , . @ _ -`},
		{"arn:aws:iam::111122223333:role/" + strings.Repeat("r", 65), `invalid ARN "arn:aws:iam::1111222…": role name "rrrrrrrrrrrrrrrrrrrr…" is 65 characters long: IAM allows at most 64`},
		{"arn:aws:sts::111122223333:assumed-role/Admin", `invalid ARN "arn:aws:sts::1111222…": assumed-role ARNs look like arn:aws:sts::111122223333:assumed-role/ROLE/SESSION`},
		{"arn:aws:sts::111122223333:assumed-role/Admin/s", `invalid ARN "arn:aws:sts::1111222…": session name "s" is too short: STS needs 2 to 64 characters`},
		{"arn:aws:sts::111122223333:federated-user/", `invalid ARN "arn:aws:sts::1111222…": federated-user ARNs look like arn:aws:sts::111122223333:federated-user/NAME`},
		{"arn:aws:sts::111122223333:session/x", `invalid ARN "arn:aws:sts::1111222…": "session" is not an STS session: principal ARNs look like arn:aws:iam::111122223333:user/NAME`},
		{"arn:aws:eks:us-west-2:111122223333:cluster/c", `invalid ARN "arn:aws:eks:us-west-…": service "eks" does not name IAM principals: principal ARNs look like arn:aws:iam::111122223333:user/NAME`},
	}
	for _, tc := range bad {
		_, err := ParsePrincipalARN(tc.in)
		if err == nil {
			t.Errorf("ParsePrincipalARN(%q): no error", tc.in)
		} else if err.Error() != tc.want {
			t.Errorf("ParsePrincipalARN(%q):\n got %s\nwant %s", tc.in, err, tc.want)
		}
	}
}

func TestEntryError(t *testing.T) {
	tests := []struct{ in, want string }{
		{"arn:aws:iam::111122223333:user/alice", ""},
		{"arn:aws:iam::111122223333:role/p/r", ""},
		{"arn:aws:sts::111122223333:assumed-role/Admin/alice", "arn:aws:sts::111122223333:assumed-role/Admin/alice is an STS session, and EKS refuses sessions as access-entry principals: use the role ARN arn:aws:iam::111122223333:role/Admin instead (with the role's path, e.g. arn:aws:iam::111122223333:role/PATH/Admin)"},
		{"arn:aws:sts::111122223333:federated-user/bob", "arn:aws:sts::111122223333:federated-user/bob is an STS federated-user session, and EKS refuses sessions as access-entry principals: grant the IAM user or role the federation signs in as"},
		{"arn:aws:iam::111122223333:group/eng/devs", "arn:aws:iam::111122223333:group/eng/devs is an IAM group, which is not a principal EKS can map: grant its members with --iam-group devs"},
		{"arn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:root is the account root, which eksaccess does not map to a cluster: grant an IAM user or role instead"},
	}
	for _, tc := range tests {
		p, err := ParsePrincipalARN(tc.in)
		if err != nil {
			t.Fatalf("ParsePrincipalARN(%q): %v", tc.in, err)
		}
		got := ""
		if err := p.EntryError(); err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("EntryError(%q):\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}

func TestRoleArnFromAssumedRole(t *testing.T) {
	tests := []struct{ in, path, want, err string }{
		{"arn:aws:sts::111122223333:assumed-role/Admin/alice", "", "arn:aws:iam::111122223333:role/Admin", ""},
		{"arn:aws:sts::111122223333:assumed-role/Admin/alice", "/", "arn:aws:iam::111122223333:role/Admin", ""},
		{"arn:aws-cn:sts::111122223333:assumed-role/AWSReservedSSO_Dev_1/alice@example.com", "/aws-reserved/sso.amazonaws.com/", "arn:aws-cn:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Dev_1", ""},
		{"arn:aws:sts::111122223333:assumed-role/Admin/alice", "team", "", `IAM path "team" must start and end with /: write / or /team/app/`},
		{"arn:aws:iam::111122223333:role/Admin", "/", "", "arn:aws:iam::111122223333:role/Admin is a role ARN, not an assumed-role session: pass arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION"},
	}
	for _, tc := range tests {
		got, err := RoleArnFromAssumedRole(tc.in, tc.path)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if got != tc.want || gotErr != tc.err {
			t.Errorf("RoleArnFromAssumedRole(%q, %q) = %q, %q; want %q, %q", tc.in, tc.path, got, gotErr, tc.want, tc.err)
		}
	}
}

func TestKindStrings(t *testing.T) {
	kinds := map[Kind]string{KindUnknown: "unknown", KindUser: "user", KindRole: "role", KindGroup: "group", KindRoot: "root",
		KindAssumedRole: "assumed-role", KindFederatedUser: "federated-user"}
	for k, want := range kinds {
		if k.String() != want {
			t.Errorf("Kind(%d) = %q, want %q", int(k), k.String(), want)
		}
	}
	refKinds := map[RefKind]string{RefUserName: "user name", RefRoleName: "role name", RefARN: "ARN", 0: "unknown"}
	for k, want := range refKinds {
		if k.String() != want {
			t.Errorf("RefKind(%d) = %q, want %q", int(k), k.String(), want)
		}
	}
	if _, err := ParseARN("arn:aws:iam::aws:user/x"); errString(err) != `invalid ARN "arn:aws:iam::aws:use…": IAM ARNs need the 12-digit account ID, found "aws": ARNs look like arn:aws:iam::111122223333:user/NAME` {
		t.Errorf("iam account aws for a user: %v", err)
	}
}
