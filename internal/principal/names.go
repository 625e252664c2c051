package principal

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// IAM name rules come from the IAM API model (aws-wire.md §2.2): names are 1–64 (users,
// roles) or 1–128 (groups, policies) characters of [\w+=,.@-], where \w is ASCII.

// ValidateUserName checks an IAM user name (userNameType: 1–64, [\w+=,.@-]+).
func ValidateUserName(name string) error { return validateIAMName("user", name, 64) }

// ValidateRoleName checks an IAM role name (roleNameType: 1–64, [\w+=,.@-]+).
func ValidateRoleName(name string) error { return validateIAMName("role", name, 64) }

// ValidateGroupName checks an IAM group name (groupNameType: 1–128, [\w+=,.@-]+).
func ValidateGroupName(name string) error { return validateIAMName("group", name, 128) }

// ValidatePolicyName checks an IAM managed policy name (policyNameType: 1–128,
// [\w+=,.@-]+), e.g. the --policy-name of `role create`. EKS access policy names
// (AmazonEKSEditPolicy) also pass; whether one exists is ListAccessPolicies' business.
func ValidatePolicyName(name string) error { return validateIAMName("policy", name, 128) }

// ValidateSessionName checks an STS role session name (2–64, [\w+=,.@-]*).
func ValidateSessionName(name string) error {
	if len(name) < 2 {
		return fmt.Errorf("session name %q is too short: STS needs 2 to 64 characters", name)
	}
	return validateIAMName("session", name, 64)
}

func validateIAMName(what, name string, max int) error {
	if name == "" {
		return fmt.Errorf("empty %s name: IAM %s names have 1 to %d characters", what, what, max)
	}
	if len(name) > max {
		return fmt.Errorf("%s name %q is %d characters long: IAM allows at most %d", what, clip(name), len(name), max)
	}
	for i, r := range name {
		if !isIAMNameRune(r) {
			return fmt.Errorf("%s name %q contains %s: IAM names use only letters, digits and + = , . @ _ -%s",
				what, clip(name), describeRune(name, i, r), nameHint(r))
		}
	}
	return nil
}

func isIAMNameRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_+=,.@-", r)
}

// nameHint explains the usual reason a forbidden character is there.
func nameHint(r rune) string {
	switch r {
	case '/':
		return "; for a role write role/NAME or role/PATH/NAME, and for any principal you may give its full ARN"
	case ':':
		return "; an ARN must be complete (arn:aws:iam::111122223333:user/NAME)"
	case ' ', '\t':
		return "; give one name per line or argument"
	case '#':
		return "; a comment needs a space before the # (alice # note)"
	}
	return ""
}

func describeRune(s string, i int, r rune) string {
	switch {
	case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
		return "bytes that are not UTF-8"
	case r == ' ':
		return "a space"
	case r == '\t':
		return "a tab"
	case r == 0:
		return "a NUL byte"
	case r == '\u00a0':
		return "a non-breaking space"
	case r == '\u200b' || r == '\ufeff':
		return "an invisible zero-width character"
	case r < ' ' || r == 0x7f:
		return fmt.Sprintf("control character %U", r)
	case r > 0x7f:
		return fmt.Sprintf("%q (%U)", r, r)
	default:
		return fmt.Sprintf("%q", r)
	}
}

// ValidatePath checks an IAM path (pathType: 1–512, "/" or "/…/" with printable ASCII
// between the slashes).
func ValidatePath(path string) error {
	if path == "/" {
		return nil
	}
	if len(path) > 512 {
		return fmt.Errorf("IAM path %q is %d characters long: IAM allows at most 512", clip(path), len(path))
	}
	if len(path) < 3 || path[0] != '/' || path[len(path)-1] != '/' {
		return fmt.Errorf("IAM path %q must start and end with /: write / or /team/app/", clip(path))
	}
	for i, r := range path {
		if r < 0x21 || r > 0x7e {
			return fmt.Errorf("IAM path %q contains %s: paths are printable ASCII without spaces", clip(path), describeRune(path, i, r))
		}
	}
	return nil
}

// ValidateNamespace checks a namespace for an access policy's namespace scope: a Kubernetes
// namespace name (a DNS-1123 label: 1–63 of a-z, 0-9 and -, starting and ending with a
// letter or digit), or a prefix wildcard. The EKS user guide (access-policies: "You can use
// wildcard characters for a namespace name … specify dev-* … all namespaces that start
// with dev-") documents only a trailing *; eksaccess accepts exactly that — a non-empty
// prefix of a valid name followed by one * — and refuses a bare *, a * elsewhere and ?, which
// EKS does not document. EKS does not check that namespaces exist.
func ValidateNamespace(ns string) error {
	const what = "namespace"
	if ns == "" {
		return fmt.Errorf("empty namespace: give a namespace name such as team-a, or omit --namespace for cluster scope")
	}
	if len(ns) > 63 {
		return fmt.Errorf("namespace %q is %d characters long: Kubernetes namespace names have at most 63", clip(ns), len(ns))
	}
	if ns == "*" {
		return fmt.Errorf("namespace \"*\" is not a documented EKS wildcard: omit --namespace for cluster scope, or give a prefix such as dev-*")
	}
	name, wildcard := strings.CutSuffix(ns, "*")
	for i, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		case r == '-':
			if i == 0 {
				return fmt.Errorf("%s %q starts with -: namespace names start with a lower-case letter or digit", what, ns)
			}
		case r == '*' || r == '?':
			return fmt.Errorf("%s %q has a wildcard that is not at the end: EKS documents only a trailing * (dev-* matches every namespace starting with dev-)", what, ns)
		case r >= 'A' && r <= 'Z':
			return fmt.Errorf("%s %q contains upper-case %q: namespace names are lower-case; write %q", what, ns, r, strings.ToLower(ns))
		default:
			return fmt.Errorf("%s %q contains %s: namespace names use only a-z, 0-9 and - (DNS-1123 labels)", what, clip(ns), describeRune(name, i, r))
		}
	}
	if !wildcard && strings.HasSuffix(name, "-") {
		return fmt.Errorf("%s %q ends with -: namespace names end with a letter or digit (for a prefix match write %s*)", what, ns, ns)
	}
	return nil
}

// ValidateKubernetesGroup checks a Kubernetes group name for an access entry's
// kubernetesGroups. EKS refuses the reserved system: prefix (system:masters and friends
// belong to Kubernetes); eksaccess also keeps names to 1–255 printable ASCII characters
// without spaces, so they survive files, flags and tables.
func ValidateKubernetesGroup(g string) error {
	if g == "" {
		return fmt.Errorf("empty Kubernetes group name: give the group a RoleBinding or ClusterRoleBinding names as subject")
	}
	if len(g) > 255 {
		return fmt.Errorf("the Kubernetes group %q is %d characters long: keep it to 255", clip(g), len(g))
	}
	if strings.HasPrefix(strings.ToLower(g), "system:") {
		return fmt.Errorf("the Kubernetes group %q starts with system:, which EKS reserves: bind your RBAC to a group of your own (e.g. cluster-admins) and use that, or grant AmazonEKSClusterAdminPolicy with --policy", g)
	}
	for i, r := range g {
		if r <= ' ' || r >= 0x7f {
			return fmt.Errorf("the Kubernetes group %q contains %s: use printable ASCII without spaces", clip(g), describeRune(g, i, r))
		}
	}
	return nil
}

// ReservedUsernamePrefixes are the Kubernetes username prefixes EKS refuses in an access
// entry's custom username (EKS user guide, creating-access-entries).
var ReservedUsernamePrefixes = []string{"system:", "eks:", "aws:", "amazon:", "iam:"}

// UsernameTemplates are the placeholders a custom access-entry username may contain; EKS
// fills them in when the principal authenticates. The EKS user guide names only these two for
// access entries, and requires a colon before them (alice:{{SessionName}}); the aws-auth
// ConfigMap's other placeholders ({{AccountID}}, {{EC2PrivateDNSName}}, …) are not accepted.
var UsernameTemplates = []string{"{{SessionName}}", "{{SessionNameRaw}}"}

// ValidateUsername is the one check of a custom Kubernetes username for an access entry,
// used for --username and for the access file's username: non-empty, at most 255 printable
// ASCII characters without leading or trailing spaces, no reserved prefix (compared
// case-insensitively, to be safe), and {{…}} only around {{SessionName}} or
// {{SessionNameRaw}}, with a colon somewhere before it.
func ValidateUsername(u string) error {
	if u == "" {
		return fmt.Errorf("username is empty: write a username, or leave it out to let EKS generate one")
	}
	if len(u) > 255 {
		return fmt.Errorf("username %q is %d characters long: keep it to 255", clip(u), len(u))
	}
	if strings.TrimSpace(u) != u {
		return fmt.Errorf("username %q has leading or trailing spaces: remove them", clip(u))
	}
	for i, r := range u {
		if r < ' ' || r >= 0x7f {
			return fmt.Errorf("username %q contains %s: use printable ASCII", clip(u), describeRune(u, i, r))
		}
	}
	for _, p := range ReservedUsernamePrefixes {
		if strings.HasPrefix(strings.ToLower(u), p) {
			return fmt.Errorf("username %q starts with %s, which EKS reserves (%s): choose another username, or leave it out to let EKS generate one",
				clip(u), p, strings.Join(ReservedUsernamePrefixes, " "))
		}
	}
	rest, off := u, 0
	for {
		i := strings.Index(rest, "{{")
		j := strings.Index(rest, "}}")
		if i < 0 && j < 0 {
			return nil
		}
		if i < 0 || j >= 0 && j < i {
			return fmt.Errorf("username %q has }} without {{: placeholders look like team:{{SessionName}}", clip(u))
		}
		end := strings.Index(rest[i:], "}}")
		if end < 0 {
			return fmt.Errorf("username %q has {{ without }}: placeholders look like team:{{SessionName}}", clip(u))
		}
		ph := rest[i : i+end+2]
		if !slices.Contains(UsernameTemplates, ph) {
			return fmt.Errorf("username %q uses %s, which EKS access entries do not support: only %s are allowed", clip(u), clip(ph), strings.Join(UsernameTemplates, " and "))
		}
		if !strings.Contains(u[:off+i], ":") {
			return fmt.Errorf("username %q needs a colon before %s: write it like team:%s", clip(u), ph, ph)
		}
		rest, off = rest[i+end+2:], off+i+end+2
	}
}

// UsernameAdvice returns a note (not an error) for a custom username on a role's entry
// without a session placeholder: every session would then share one Kubernetes name, and
// audit logs could not tell people apart. EKS recommends {{SessionName}}.
func UsernameAdvice(kind Kind, username string) string {
	if kind != KindRole || username == "" || strings.Contains(username, "{{SessionName}}") || strings.Contains(username, "{{SessionNameRaw}}") {
		return ""
	}
	return fmt.Sprintf("username %q for a role has no {{SessionName}}: every session of the role gets the same Kubernetes username; consider %s-{{SessionName}}", username, username)
}
