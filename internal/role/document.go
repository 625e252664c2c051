package role

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// PolicyVersion is the IAM policy language version eksaccess writes.
const PolicyVersion = "2012-10-17"

// PermissionsPolicy is the identity policy allowing actions on every resource (the workshop's
// EKSFullAccessPolicy when actions is ["eks:*"]).
func PermissionsPolicy(actions []string) string {
	stmt := map[string]any{"Effect": "Allow", "Action": oneOrMany(actions), "Resource": "*"}
	return marshalDoc(stmt)
}

// TrustPolicy lets principals (ARNs) call sts:AssumeRole; with requireMFA only sessions
// authenticated with MFA may.
func TrustPolicy(principals []string, requireMFA bool) string {
	stmt := map[string]any{
		"Effect":    "Allow",
		"Principal": map[string]any{"AWS": oneOrMany(principals)},
		"Action":    "sts:AssumeRole",
	}
	if requireMFA {
		stmt["Condition"] = map[string]any{"Bool": map[string]any{"aws:MultiFactorAuthPresent": "true"}}
	}
	return marshalDoc(stmt)
}

func oneOrMany(s []string) any {
	if len(s) == 1 {
		return s[0]
	}
	return s
}

func marshalDoc(stmt map[string]any) string {
	// encoding/json sorts map keys, so the same inputs always give the same bytes.
	b, err := json.Marshal(map[string]any{"Version": PolicyVersion, "Statement": []any{stmt}})
	if err != nil {
		panic("marshal policy document: " + err.Error()) // only strings and maps: cannot fail
	}
	return string(b)
}

// DecodeDocument undoes the URL encoding IAM applies to policy documents in responses
// (AssumeRolePolicyDocument, PolicyVersion.Document). A document that is already plain JSON
// is returned as is.
func DecodeDocument(s string) (string, error) {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "{") {
		return s, nil
	}
	d, err := url.QueryUnescape(s)
	if err != nil {
		return "", fmt.Errorf("decode policy document: %w", err)
	}
	return d, nil
}

// Equivalent reports whether two policy documents mean the same, as IAM reads them: key
// order, whitespace, a single string versus a one-element list, the order within lists of
// strings and the order of statements do not matter.
func Equivalent(a, b string) (bool, error) {
	na, err := normalize(a)
	if err != nil {
		return false, err
	}
	nb, err := normalize(b)
	if err != nil {
		return false, err
	}
	return na == nb, nil
}

func normalize(doc string) (string, error) {
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return "", fmt.Errorf("policy document is not JSON: %w", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return "", fmt.Errorf("policy document is not a JSON object")
	}
	if st, ok := m["Statement"].(map[string]any); ok {
		m["Statement"] = []any{st}
	}
	out := map[string]any{}
	for k, val := range m {
		if k == "Statement" {
			list, _ := val.([]any)
			stmts := make([]string, 0, len(list))
			for _, s := range list {
				b, _ := json.Marshal(canon(s))
				stmts = append(stmts, string(b))
			}
			sort.Strings(stmts)
			out[k] = stmts
			continue
		}
		out[k] = canon(val)
	}
	b, err := json.Marshal(out)
	return string(b), err
}

// canon turns every string into a one-element list and sorts lists of strings, so that the
// forms IAM treats as equal compare equal.
func canon(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, val := range t {
			out[k] = canon(val)
		}
		return out
	case string:
		return []string{t}
	case []any:
		strs := make([]string, 0, len(t))
		for _, e := range t {
			s, ok := e.(string)
			if !ok {
				items := make([]any, len(t))
				for i, e := range t {
					items[i] = canon(e)
				}
				return items
			}
			strs = append(strs, s)
		}
		sort.Strings(strs)
		return slices.Compact(strs)
	}
	return v
}

var (
	accountRe     = regexp.MustCompile(`^\d{12}$`)
	trustArnRe    = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):iam::(\d{12}):(root|user/.+|role/.+)$`)
	iamNameRe     = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	actionRe      = regexp.MustCompile(`^([a-zA-Z0-9-]+:[A-Za-z0-9*?]+|\*)$`)
	policyPathRe  = regexp.MustCompile(`^((/[A-Za-z0-9.,+@=_-]+)*)/$`)
	policyNameRe  = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	descriptionRe = regexp.MustCompile(`^[\x{09}\x{0A}\x{0D}\x{20}-\x{7E}\x{A1}-\x{FF}]*$`)
)

// TrustPrincipal checks one --trust value and returns the principal ARN for the trust
// policy. "account" means the caller's account root; a 12-digit account id becomes that
// account's root ARN (IAM stores it that way too); otherwise an IAM user, role or root ARN
// of the caller's partition, in any account.
func TrustPrincipal(v, account, partition string) (string, error) {
	switch {
	case v == "account":
		return "arn:" + partition + ":iam::" + account + ":root", nil
	case accountRe.MatchString(v):
		return "arn:" + partition + ":iam::" + v + ":root", nil
	}
	if err := CheckTrustSyntax(v); err != nil {
		return "", err
	}
	m := trustArnRe.FindStringSubmatch(v)
	if m[1] != partition {
		return "", fmt.Errorf("--trust %s is in partition %s, but you are in %s: a role can only trust principals of its own partition", v, m[1], partition)
	}
	return v, nil
}

// CheckTrustSyntax validates a --trust value without knowing the caller: "account", a
// 12-digit account id, or an IAM user, role or root ARN.
func CheckTrustSyntax(v string) error {
	if v == "account" || accountRe.MatchString(v) {
		return nil
	}
	m := trustArnRe.FindStringSubmatch(v)
	if m == nil {
		return fmt.Errorf("--trust %q is not a principal: give `account`, a 12-digit account id, or an IAM ARN like arn:aws:iam::111122223333:user/alice or arn:aws:iam::111122223333:role/ops", v)
	}
	if res := m[3]; res != "root" {
		name := res[strings.LastIndex(res, "/")+1:]
		if !iamNameRe.MatchString(name) {
			return fmt.Errorf("--trust %q: %q is not a valid IAM name (1–64 of letters, digits and +=,.@_-)", v, name)
		}
	}
	return nil
}
