package accessfile

import (
	"fmt"
	"regexp"

	"github.com/goccy/go-yaml/ast"
)

// AssumeRole is how a cluster's account is reached by assuming a role (with the run's
// credentials, or the cluster's profile when it names one).
type AssumeRole struct {
	// RoleArn is the role to assume; it must be in the cluster's account.
	RoleArn string `json:"roleArn" yaml:"roleArn" jsonschema:"required,pattern=^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$" jsonschema_description:"IAM role to assume, in the cluster's account."`
	// ExternalID is passed to sts:AssumeRole when the role's trust policy asks for one.
	ExternalID string `json:"externalId,omitempty" yaml:"externalId,omitempty" jsonschema:"minLength=2,maxLength=1224" jsonschema_description:"External id the role's trust policy requires."`
	// SessionName names the role session (default eksaccess).
	SessionName string `json:"sessionName,omitempty" yaml:"sessionName,omitempty" jsonschema:"minLength=2,maxLength=64" jsonschema_description:"Role session name (default eksaccess)."`
}

var (
	accountRE     = regexp.MustCompile(`^[0-9]{12}$`)
	roleArnRE     = regexp.MustCompile(`^arn:(aws[a-z-]*):iam::([0-9]{12}):role/[\w+=,.@/-]{1,512}$`)
	externalIDRE  = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
	sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	profileRE     = regexp.MustCompile(`^[^\s\[\]]{1,128}$`)
	assumeFields  = []string{"roleArn", "externalId", "sessionName"}
)

// clusterAccount reads a cluster's account:, profile: and assumeRole: keys.
func (l *loader) clusterAccount(c *Cluster, fs map[string]*ast.MappingValueNode, partition string) {
	if mv := fs["account"]; mv != nil {
		v := ""
		switch t := l.resolve(mv.Value).(type) {
		case *ast.IntegerNode:
			// account: 111122223333 unquoted is a YAML integer; its digits are the account.
			v = t.GetToken().Value
		default:
			v, _ = l.str(mv, "account")
		}
		if accountRE.MatchString(v) {
			c.Account = v
		} else {
			l.addf(valuePos(mv), "account %q is not an AWS account id; write its 12 digits, quoted: account: \"111122223333\"", clip(v))
		}
	}
	l.checkedStr(fs, "profile", &c.Profile, profileRE.MatchString, func(v string) string {
		return fmt.Sprintf("profile %q is not an AWS profile name (from ~/.aws/config); write the name without brackets or spaces", clip(v))
	})
	mv := fs["assumeRole"]
	if mv == nil {
		return
	}
	afs, ok := l.fields(mv.Value, "assumeRole", assumeFields)
	if !ok {
		return
	}
	ar := &AssumeRole{}
	if rv := afs["roleArn"]; rv == nil {
		l.add(valuePos(mv), "assumeRole is missing roleArn; add roleArn: arn:aws:iam::ACCOUNT:role/NAME")
	} else if v, ok := l.str(rv, "roleArn"); ok {
		m := roleArnRE.FindStringSubmatch(v)
		switch {
		case m == nil:
			l.addf(valuePos(rv), "roleArn %q is not an IAM role ARN; write it like arn:aws:iam::444455556666:role/NAME", clip(v))
		case partition != "" && m[1] != partition:
			l.addf(valuePos(rv), "roleArn %q is in partition %s, but region %s is in %s; fix the ARN or the region", clip(v), m[1], c.Region, partition)
		case c.Account != "" && m[2] != c.Account:
			l.addf(valuePos(rv), "roleArn %q is in account %s, not the cluster's account %s; assume a role of account %s", clip(v), m[2], c.Account, c.Account)
		default:
			ar.RoleArn = v
		}
	}
	l.checkedStr(afs, "externalId", &ar.ExternalID, func(v string) bool {
		return len(v) >= 2 && len(v) <= 1224 && externalIDRE.MatchString(v)
	}, func(string) string { return "externalId must be 2 to 1224 letters, digits or +=,.@:/-_" })
	l.checkedStr(afs, "sessionName", &ar.SessionName, sessionNameRE.MatchString, func(v string) string {
		return fmt.Sprintf("sessionName %q must be 2 to 64 letters, digits or +=,.@-_", clip(v))
	})
	c.AssumeRole = ar
}

// checkedStr reads the optional string field into dst when valid accepts it, and otherwise
// reports bad(value) at the value; ok is false after a problem.
func (l *loader) checkedStr(fs map[string]*ast.MappingValueNode, field string, dst *string, valid func(string) bool, bad func(string) string) (ok bool) {
	mv := fs[field]
	if mv == nil {
		return true
	}
	v, ok := l.str(mv, field)
	if !ok {
		return false
	}
	if !valid(v) {
		l.add(valuePos(mv), bad(v))
		return false
	}
	*dst = v
	return true
}

// AccountOf is the account a cluster says it is in: account:, else the assumeRole's account
// ("" when the file leaves it to the run's credentials).
func (c *Cluster) AccountOf() string {
	if c.Account != "" {
		return c.Account
	}
	if c.AssumeRole != nil {
		if m := roleArnRE.FindStringSubmatch(c.AssumeRole.RoleArn); m != nil {
			return m[2]
		}
	}
	return ""
}

// accountPrefix keys a cluster by account too: one name may exist in two accounts.
func (c *Cluster) accountPrefix() string {
	if a := c.AccountOf(); a != "" {
		return a + "/"
	}
	return ""
}
