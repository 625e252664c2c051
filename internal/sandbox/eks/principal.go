package eks

import (
	"regexp"
	"strings"
	"time"

	"eksaccess/internal/sandbox/state"
)

// principal is an IAM user or role that may hold an access entry.
type principal struct {
	arn     string
	isRole  bool
	name    string // user or role name, without path
	account string
	id      string // RoleId or UserId ("" for a principal of an account the sandbox does not hold)
}

// errInvalidPrincipal is what EKS answers for every principal it will not take: malformed,
// unknown, an STS session, a service-linked role, a role ARN missing its path, or (during
// the sandbox's consistency delay) one IAM created moments ago.
func errInvalidPrincipal() *apiError {
	return invalidParam("The specified principalArn is invalid: invalid principal.")
}

// resolvePrincipal checks that arn names an existing IAM user or role exactly (path
// included) and old enough to have propagated. The principal may be of another account, as
// EKS accepts for STANDARD entries: when the sandbox holds that account it must exist there;
// a principal of an account the sandbox does not hold is taken on its well-formed ARN alone
// (EKS cannot look into accounts it is not given either).
func resolvePrincipal(root, d *state.Data, arn string, now time.Time, delay time.Duration) (principal, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] != d.Partition || parts[2] != "iam" || parts[3] != "" || !accountID.MatchString(parts[4]) {
		return principal{}, errInvalidPrincipal()
	}
	if parts[4] != d.Account {
		if other := root.ForAccount(parts[4]); other != nil {
			d = other
		} else {
			return foreignPrincipal(arn, parts[4], parts[5])
		}
	}
	res := parts[5]
	fresh := func(created time.Time) bool { return delay > 0 && now.Sub(created) < delay }
	switch {
	case strings.HasPrefix(res, "user/"):
		name := res[strings.LastIndex(res, "/")+1:]
		u, ok := d.Users[strings.ToLower(name)]
		if !ok || u.Arn != arn || fresh(u.CreateDate) {
			return principal{}, errInvalidPrincipal()
		}
		return principal{arn: arn, name: u.UserName, account: d.Account, id: u.UserID}, nil
	case strings.HasPrefix(res, "role/"):
		name := res[strings.LastIndex(res, "/")+1:]
		rl, ok := d.Roles[strings.ToLower(name)]
		if !ok || rl.Arn != arn || rl.ServiceLinked || strings.HasPrefix(rl.Path, "/aws-service-role/") || fresh(rl.CreateDate) {
			return principal{}, errInvalidPrincipal()
		}
		return principal{arn: arn, isRole: true, name: rl.RoleName, account: d.Account, id: rl.RoleID}, nil
	}
	return principal{}, errInvalidPrincipal()
}

var (
	accountID = regexp.MustCompile(`^\d{12}$`)
	// foreignRe is a user or role resource with an optional path: user/NAME, role/a/b/NAME.
	foreignRe = regexp.MustCompile(`^(user|role)(/[\x21-\x7E]+)?/[\w+=,.@-]{1,64}$`)
)

// foreignPrincipal takes a principal of an account the sandbox does not hold.
func foreignPrincipal(arn, account, res string) (principal, error) {
	if !foreignRe.MatchString(res) {
		return principal{}, errInvalidPrincipal()
	}
	kind, rest, _ := strings.Cut(res, "/")
	if kind == "role" && strings.HasPrefix(rest, "aws-service-role/") {
		return principal{}, errInvalidPrincipal()
	}
	return principal{arn: arn, isRole: kind == "role", name: rest[strings.LastIndex(rest, "/")+1:], account: account}, nil
}

// Access-entry types EKS accepts; only STANDARD takes policies, groups and a username.
var entryTypes = map[string]bool{
	"STANDARD": true, "EC2_LINUX": true, "EC2_WINDOWS": true, "EC2": true,
	"FARGATE_LINUX": true, "HYBRID_LINUX": true, "HYPERPOD_LINUX": true,
}

// defaultUsername is the username EKS forms when the request gives none.
func defaultUsername(partition string, p principal, typ string) string {
	switch typ {
	case "EC2_LINUX", "EC2_WINDOWS", "EC2", "HYPERPOD_LINUX":
		return "system:node:{{EC2PrivateDNSName}}"
	case "FARGATE_LINUX", "HYBRID_LINUX":
		return "system:node:{{SessionName}}"
	}
	if p.isRole {
		// The role's path is dropped: an assumed-role ARN never carries it.
		return "arn:" + partition + ":sts::" + p.account + ":assumed-role/" + p.name + "/{{SessionName}}"
	}
	return p.arn
}

// defaultGroups are the Kubernetes groups EKS shows on node entries. Only EC2_LINUX is
// documented (awscli example: ["system:nodes"]); the others are left empty rather than guessed.
func defaultGroups(typ string) []string {
	if typ == "EC2_LINUX" {
		return []string{"system:nodes"}
	}
	return []string{}
}

var reservedUsernamePrefixes = []string{"system:", "eks:", "aws:", "amazon:", "iam:"}

// checkIdentity validates a requested username and groups for an entry of type typ.
func checkIdentity(typ string, username *string, groups []string) error {
	if typ != "STANDARD" {
		if (username != nil && *username != "") || len(groups) > 0 {
			return invalidParam("kubernetesGroups and username can only be specified for access entries of type STANDARD; EKS sets them for type %s.", typ)
		}
		return nil
	}
	if username != nil && *username != "" {
		for _, p := range reservedUsernamePrefixes {
			if strings.HasPrefix(*username, p) {
				return invalidParam("The username %s is invalid: a username can't start with system:, eks:, aws:, amazon:, or iam:.", *username)
			}
		}
		// {{SessionName}} (and {{SessionNameRaw}}) may only follow a colon, as in
		// admin:{{SessionName}}; EKS refuses john{{SessionName}}.
		u := *username
		for i := strings.Index(u, "{{SessionName"); i >= 0; {
			if i == 0 || u[i-1] != ':' {
				return invalidParam("The username %s is invalid: {{SessionName}} can only follow a colon (:), as in name:{{SessionName}}.", *username)
			}
			j := strings.Index(u[i+1:], "{{SessionName")
			if j < 0 {
				break
			}
			i += 1 + j
		}
	}
	for _, g := range groups {
		if g == "" {
			return invalidParam("kubernetesGroups must not contain an empty group name.")
		}
		if strings.HasPrefix(g, "system:") {
			return invalidParam("The kubernetesGroups value %s is invalid: a group name can't start with system:.", g)
		}
	}
	return nil
}

// checkTags enforces EKS's tag limits: 1–50 tags, keys 1–128, values up to 256, no aws: keys.
func checkTags(tags map[string]string, mk func(string, ...any) *apiError) error {
	if len(tags) > 50 {
		return mk("Too many tags: %d; a resource can have at most 50 tags.", len(tags))
	}
	for k, v := range tags {
		if len(k) < 1 || len(k) > 128 {
			return mk("Tag key %q must be 1 to 128 characters long.", k)
		}
		if len(v) > 256 {
			return mk("Tag value for key %q must be at most 256 characters long.", k)
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return mk("Tag key %q is invalid: keys starting with aws: are reserved for AWS use.", k)
		}
	}
	return nil
}
