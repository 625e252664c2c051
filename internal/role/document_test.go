package role

import (
	"net/url"
	"strings"
	"testing"
)

func TestPolicyDocuments(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"permissions one action", PermissionsPolicy([]string{"eks:*"}),
			`{"Statement":[{"Action":"eks:*","Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}`},
		{"permissions two actions", PermissionsPolicy([]string{"eks:Describe*", "eks:List*"}),
			`{"Statement":[{"Action":["eks:Describe*","eks:List*"],"Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}`},
		{"trust account", TrustPolicy([]string{"arn:aws:iam::111122223333:root"}, false),
			`{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"}}],"Version":"2012-10-17"}`},
		{"trust mfa two principals", TrustPolicy([]string{"arn:aws:iam::111122223333:user/alice", "arn:aws:iam::444455556666:root"}, true),
			`{"Statement":[{"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}},"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:user/alice","arn:aws:iam::444455556666:root"]}}],"Version":"2012-10-17"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got  %s\nwant %s", tt.got, tt.want)
			}
		})
	}
}

func TestEquivalent(t *testing.T) {
	base := TrustPolicy([]string{"arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:user/bob"}, true)
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{"identical", base, base, true},
		{"whitespace and key order", base, `{
  "Version": "2012-10-17",
  "Statement": [{"Principal": {"AWS": ["arn:aws:iam::111122223333:user/bob", "arn:aws:iam::111122223333:user/alice"]},
    "Effect": "Allow", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}, "Action": ["sts:AssumeRole"]}]}`, true},
		{"statement object instead of list",
			`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"eks:*","Resource":"*"}}`,
			PermissionsPolicy([]string{"eks:*"}), true},
		{"statement order", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*"},{"Effect":"Deny","Action":"c:d","Resource":"*"}]}`,
			`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"c:d","Resource":"*"},{"Effect":"Allow","Action":"a:b","Resource":"*"}]}`, true},
		{"mfa dropped", base, TrustPolicy([]string{"arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:user/bob"}, false), false},
		{"principal differs", base, TrustPolicy([]string{"arn:aws:iam::111122223333:user/alice"}, true), false},
		{"action differs", PermissionsPolicy([]string{"eks:*"}), PermissionsPolicy([]string{"eks:Describe*"}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Equivalent(tt.a, tt.b)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Equivalent = %v, want %v", got, tt.want)
			}
		})
	}
	if _, err := Equivalent("not json", base); err == nil {
		t.Error("Equivalent accepted a non-JSON document")
	}
}

func TestDecodeDocument(t *testing.T) {
	doc := TrustPolicy([]string{"arn:aws:iam::111122223333:root"}, true)
	for _, in := range []string{doc, url.QueryEscape(doc), strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")} {
		got, err := DecodeDocument(in)
		if err != nil || got != doc {
			t.Errorf("DecodeDocument(%q) = %q, %v; want %q", in, got, err, doc)
		}
	}
}

func TestTrustPrincipal(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{"account", "arn:aws:iam::111122223333:root", ""},
		{"444455556666", "arn:aws:iam::444455556666:root", ""},
		{"arn:aws:iam::444455556666:user/eng/alice", "arn:aws:iam::444455556666:user/eng/alice", ""},
		{"arn:aws:iam::111122223333:role/ops", "arn:aws:iam::111122223333:role/ops", ""},
		{"arn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:root", ""},
		{"arn:aws-cn:iam::111122223333:user/alice", "", "partition aws-cn"},
		{"arn:aws:iam::111122223333:group/devs", "", "is not a principal"},
		{"arn:aws:sts::111122223333:assumed-role/ops/x", "", "is not a principal"},
		{"alice", "", "is not a principal"},
		{"12345", "", "is not a principal"},
		{"arn:aws:iam::111122223333:user/bad!name", "", "not a valid IAM name"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := TrustPrincipal(tt.in, "111122223333", "aws")
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("TrustPrincipal(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("TrustPrincipal(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestSpecValidate(t *testing.T) {
	good := Spec{RoleName: "EKSFullAccessRole", PolicyName: "EKSFullAccessPolicy", Actions: []string{"eks:*"}, Trust: []string{"arn:aws:iam::111122223333:root"}}
	if err := good.Validate(); err != nil {
		t.Fatalf("valid spec refused: %v", err)
	}
	tests := []struct {
		name string
		edit func(*Spec)
		want string
	}{
		{"role name", func(s *Spec) { s.RoleName = "bad name" }, `role name "bad name" is not valid`},
		{"long role name", func(s *Spec) { s.RoleName = strings.Repeat("a", 65) }, "role name"},
		{"policy name", func(s *Spec) { s.PolicyName = "" }, "--policy-name"},
		{"path", func(s *Spec) { s.Path = "eks" }, `--path "eks" is not valid`},
		{"action", func(s *Spec) { s.Actions = []string{"eks"} }, `--actions "eks" is not an IAM action`},
		{"no actions", func(s *Spec) { s.Actions = nil }, "no --actions"},
		{"no trust", func(s *Spec) { s.Trust = nil }, "no --trust"},
		{"max session", func(s *Spec) { s.MaxSession = 1800 }, "--max-session 30m0s is out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := good
			tt.edit(&s)
			err := s.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want error containing %q", err, tt.want)
			}
		})
	}
}
