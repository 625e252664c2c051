package principal

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ARN is an Amazon Resource Name split into its six colon-separated fields. Resource keeps
// any further colons.
type ARN struct {
	Partition, Service, Region, Account, Resource string
}

// String joins the fields back; for any ARN ParseARN accepted, it returns the input.
func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":" + a.Resource
}

// ErrInvalidARN is wrapped by every ParseARN error.
var ErrInvalidARN = errors.New("invalid ARN")

// Partitions are the AWS partitions the SDK (aws-sdk-go-v2 v1.48.0 partitions.json) knows.
var Partitions = []string{"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}

// maxARNLen is IAM's arnType maximum.
const maxARNLen = 2048

const arnExample = "arn:aws:iam::111122223333:user/NAME"

// ParseARN parses s strictly: "arn", a known partition, a lower-case service, a region of
// lower-case letters, digits and hyphens (or empty), an account that is empty, 12 digits or
// "aws" (AWS-owned policies), and a non-empty resource; printable ASCII only. IAM and STS
// ARNs must have no region and a 12-digit account ("aws" allowed for IAM policies).
func ParseARN(s string) (ARN, error) {
	bad := func(format string, args ...any) (ARN, error) {
		return ARN{}, fmt.Errorf("%w %q: %s", ErrInvalidARN, clip(s), fmt.Sprintf(format, args...))
	}
	if len(s) > maxARNLen {
		return bad("%d characters long, more than the %d an ARN can have: check the value", len(s), maxARNLen)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f {
			r, _ := utf8.DecodeRuneInString(s[i:])
			return bad("contains %s at byte %d: ARNs are printable ASCII without spaces; retype it", describeRune(s, i, r), i+1)
		}
	}
	f := strings.SplitN(s, ":", 6)
	if len(f) < 6 {
		return bad("has %d colon-separated fields, not 6: ARNs look like %s", len(f), arnExample)
	}
	if f[0] != "arn" {
		return bad("does not start with \"arn:\": ARNs look like %s", arnExample)
	}
	a := ARN{Partition: f[1], Service: f[2], Region: f[3], Account: f[4], Resource: f[5]}
	if !knownPartition(a.Partition) {
		return bad("unknown partition %q: use one of %s", a.Partition, strings.Join(Partitions, ", "))
	}
	if a.Service == "" || !isLowerAlnumDash(a.Service) {
		return bad("service %q is not a lower-case service name such as iam, sts or eks", a.Service)
	}
	if a.Region != "" && !isLowerAlnumDash(a.Region) {
		return bad("region %q is not a region name such as us-west-2", a.Region)
	}
	switch {
	case a.Account == "", a.Account == "aws", isAccountID(a.Account):
	default:
		return bad("account %q is not a 12-digit AWS account ID", a.Account)
	}
	if a.Resource == "" {
		return bad("has no resource after the account: ARNs look like %s", arnExample)
	}
	if a.Service == "iam" || a.Service == "sts" {
		if a.Region != "" {
			return bad("%s ARNs have no region, but this one has %q: remove it (arn:%s:%s::%s:%s)",
				strings.ToUpper(a.Service), a.Region, a.Partition, a.Service, a.Account, a.Resource)
		}
		if !isAccountID(a.Account) && !(a.Service == "iam" && a.Account == "aws" && strings.HasPrefix(a.Resource, "policy/")) {
			return bad("%s ARNs need the 12-digit account ID, found %q: ARNs look like %s", strings.ToUpper(a.Service), a.Account, arnExample)
		}
	}
	return a, nil
}

func knownPartition(p string) bool {
	for _, k := range Partitions {
		if p == k {
			return true
		}
	}
	return false
}

func isLowerAlnumDash(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Kind is what sort of IAM principal an ARN names.
type Kind int

const (
	KindUnknown       Kind = iota
	KindUser               // arn:aws:iam::ACCT:user/PATH/NAME
	KindRole               // arn:aws:iam::ACCT:role/PATH/NAME
	KindGroup              // arn:aws:iam::ACCT:group/PATH/NAME (not a principal)
	KindRoot               // arn:aws:iam::ACCT:root
	KindAssumedRole        // arn:aws:sts::ACCT:assumed-role/NAME/SESSION
	KindFederatedUser      // arn:aws:sts::ACCT:federated-user/NAME
)

func (k Kind) String() string {
	switch k {
	case KindUser:
		return "user"
	case KindRole:
		return "role"
	case KindGroup:
		return "group"
	case KindRoot:
		return "root"
	case KindAssumedRole:
		return "assumed-role"
	case KindFederatedUser:
		return "federated-user"
	}
	return "unknown"
}

// ServiceLinkedPath is the path IAM gives service-linked roles; AWS services own them.
const ServiceLinkedPath = "/aws-service-role/"

// PrincipalARN is an ARN that names an IAM principal (or group), split into its parts.
type PrincipalARN struct {
	ARN
	Kind    Kind
	Path    string // "/" or "/a/b/" for users, roles and groups; empty otherwise
	Name    string // user, role, group or federated-user name; role name for assumed-role
	Session string // session name of an assumed-role ARN
}

// ServiceLinked reports a service-linked role: granting it cluster access is almost never
// what the admin meant.
func (p PrincipalARN) ServiceLinked() bool {
	return p.Kind == KindRole && strings.HasPrefix(p.Path, ServiceLinkedPath)
}

// EntryError says why EKS would refuse p as an access-entry principal, and what to use
// instead; nil for users and roles.
func (p PrincipalARN) EntryError() error {
	switch p.Kind {
	case KindUser, KindRole:
		return nil
	case KindAssumedRole:
		return fmt.Errorf("%s is an STS session, and EKS refuses sessions as access-entry principals: use the role ARN %s instead (with the role's path, e.g. %s)",
			p.ARN, RoleARN(p.Partition, p.Account, "/", p.Name), RoleARN(p.Partition, p.Account, "/PATH/", p.Name))
	case KindFederatedUser:
		return fmt.Errorf("%s is an STS federated-user session, and EKS refuses sessions as access-entry principals: grant the IAM user or role the federation signs in as", p.ARN)
	case KindGroup:
		return fmt.Errorf("%s is an IAM group, which is not a principal EKS can map: grant its members with --iam-group %s", p.ARN, p.Name)
	case KindRoot:
		return fmt.Errorf("%s is the account root, which eksaccess does not map to a cluster: grant an IAM user or role instead", p.ARN)
	}
	return fmt.Errorf("%s is not an IAM user or role: give a user or role ARN such as %s", p.ARN, arnExample)
}

// UserARN builds arn:PARTITION:iam::ACCOUNT:user/PATH/NAME; path "" means "/".
func UserARN(partition, account, path, name string) string {
	return "arn:" + partition + ":iam::" + account + ":user" + orRoot(path) + name
}

// RoleARN builds arn:PARTITION:iam::ACCOUNT:role/PATH/NAME; path "" means "/".
func RoleARN(partition, account, path, name string) string {
	return "arn:" + partition + ":iam::" + account + ":role" + orRoot(path) + name
}

func orRoot(path string) string {
	if path == "" {
		return "/"
	}
	return path
}

// ParsePrincipalARN parses s and classifies it. IAM user, role and group ARNs must carry
// names and paths IAM accepts; STS ARNs must be assumed-role or federated-user sessions.
// Other IAM/STS resources (policies, MFA devices, …) and other services are errors.
func ParsePrincipalARN(s string) (PrincipalARN, error) {
	a, err := ParseARN(s)
	if err != nil {
		return PrincipalARN{}, err
	}
	return ClassifyARN(a)
}

// ClassifyARN splits an already parsed ARN into principal parts; see ParsePrincipalARN.
func ClassifyARN(a ARN) (PrincipalARN, error) {
	p := PrincipalARN{ARN: a}
	bad := func(format string, args ...any) (PrincipalARN, error) {
		return PrincipalARN{}, fmt.Errorf("%w %q: %s", ErrInvalidARN, clip(a.String()), fmt.Sprintf(format, args...))
	}
	switch a.Service {
	case "iam":
		if a.Resource == "root" {
			p.Kind = KindRoot
			return p, nil
		}
		typ, rest, _ := strings.Cut(a.Resource, "/")
		var validate func(string) error
		switch typ {
		case "user":
			p.Kind, validate = KindUser, ValidateUserName
		case "role":
			p.Kind, validate = KindRole, ValidateRoleName
		case "group":
			p.Kind, validate = KindGroup, ValidateGroupName
		default:
			return bad("%q is not an IAM user or role: principal ARNs look like %s or arn:%s:iam::%s:role/NAME", typ, arnExample, a.Partition, a.Account)
		}
		if rest == "" {
			return bad("has no %s name: write %s/NAME", typ, typ)
		}
		i := strings.LastIndexByte(rest, '/')
		p.Path, p.Name = "/"+rest[:i+1], rest[i+1:]
		if err := validate(p.Name); err != nil {
			return bad("%v", err)
		}
		if err := ValidatePath(p.Path); err != nil {
			return bad("%v", err)
		}
		return p, nil
	case "sts":
		typ, rest, _ := strings.Cut(a.Resource, "/")
		switch typ {
		case "assumed-role":
			name, session, ok := strings.Cut(rest, "/")
			if !ok || name == "" || session == "" || strings.Contains(session, "/") {
				return bad("assumed-role ARNs look like arn:%s:sts::%s:assumed-role/ROLE/SESSION", a.Partition, a.Account)
			}
			if err := ValidateRoleName(name); err != nil {
				return bad("%v", err)
			}
			if err := ValidateSessionName(session); err != nil {
				return bad("%v", err)
			}
			p.Kind, p.Name, p.Session = KindAssumedRole, name, session
			return p, nil
		case "federated-user":
			if rest == "" || strings.Contains(rest, "/") {
				return bad("federated-user ARNs look like arn:%s:sts::%s:federated-user/NAME", a.Partition, a.Account)
			}
			p.Kind, p.Name = KindFederatedUser, rest
			return p, nil
		}
		return bad("%q is not an STS session: principal ARNs look like %s", typ, arnExample)
	}
	return bad("service %q does not name IAM principals: principal ARNs look like %s", a.Service, arnExample)
}

// RoleArnFromAssumedRole turns an STS assumed-role ARN into the IAM role ARN EKS maps it to.
// The session ARN drops the role's path, so the caller supplies it (from IAM GetRole;
// "" means "/").
func RoleArnFromAssumedRole(assumed, path string) (string, error) {
	p, err := ParsePrincipalARN(assumed)
	if err != nil {
		return "", err
	}
	if p.Kind != KindAssumedRole {
		return "", fmt.Errorf("%s is a %s ARN, not an assumed-role session: pass arn:%s:sts::ACCOUNT:assumed-role/ROLE/SESSION", assumed, p.Kind, p.Partition)
	}
	if err := ValidatePath(orRoot(path)); err != nil {
		return "", err
	}
	return RoleARN(p.Partition, p.Account, path, p.Name), nil
}

// clip keeps error messages readable when fed a huge value.
// clip shortens a value for an error message to MaxEcho characters. Errors about a line of
// a file never repeat the whole line: a users file that is really a credentials file must
// not put a secret key into a CI log.
func clip(s string) string { return Clip(s) }

// MaxEcho is the most characters of an input value an error message repeats.
const MaxEcho = 20

// Clip shortens s to MaxEcho characters (runes), marking the cut with "…".
func Clip(s string) string {
	n := 0
	for i := range s {
		if n == MaxEcho {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// PathlessRoleARN turns arn:aws:iam::ACCT:role/a/b/NAME into arn:aws:iam::ACCT:role/NAME:
// how aws-auth and EKS's authenticator name a role (other ARNs are returned as they are).
func PathlessRoleARN(arn string) string {
	i := strings.Index(arn, ":role/")
	if i < 0 {
		return arn
	}
	name := arn[i+len(":role/"):]
	if j := strings.LastIndex(name, "/"); j >= 0 {
		name = name[j+1:]
	}
	return arn[:i] + ":role/" + name
}
