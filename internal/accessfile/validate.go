package accessfile

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"eksaccess/internal/principal"
)

var (
	regionRE      = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	clusterNameRE = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9_-]*$`)
	// SageMaker ClusterName pattern.
	hyperPodNameRE = regexp.MustCompile(`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`)
	hyperPodARNRE  = regexp.MustCompile(`^arn:[a-z-]+:sagemaker:[a-z0-9-]+:[0-9]{12}:cluster/[a-z0-9]{12}$`)
	// IAM user, role, group and permission-set names share this character set.
	iamNameRE    = regexp.MustCompile(`^[\w+=,.@-]+$`)
	dns1123Label = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	nsPrefixRE   = regexp.MustCompile(`^[a-z0-9][-a-z0-9]*$`)
	tagRE        = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	durationRE   = regexp.MustCompile(`^([0-9]+(\.[0-9]+)?)(d|w)$`)
)

// knownPartitions are the partitions whose ARNs the tool accepts.
var knownPartitions = map[string]bool{
	"aws": true, "aws-cn": true, "aws-us-gov": true, "aws-iso": true,
	"aws-iso-b": true, "aws-iso-e": true, "aws-iso-f": true, "aws-eusc": true,
}

// PartitionOf returns the ARN partition of an AWS Region name.
func PartitionOf(region string) string {
	for _, p := range regionPartitions {
		if strings.HasPrefix(region, p.prefix) {
			return p.partition
		}
	}
	return "aws"
}

// regionPartitions maps Region name prefixes to partitions; the first match wins, so a
// prefix stands before any shorter prefix of it (us-isob- before us-iso-).
var regionPartitions = []struct{ prefix, partition string }{
	{"cn-", "aws-cn"},
	{"us-gov-", "aws-us-gov"},
	{"us-isob-", "aws-iso-b"},
	{"us-iso-", "aws-iso"},
	{"eu-isoe-", "aws-iso-e"},
	{"us-isof-", "aws-iso-f"},
	{"eusc-", "aws-eusc"},
}

// checkPrincipal validates a principal as written in the file: an IAM user name,
// user/PATH/NAME, role/NAME, role/PATH/NAME, or an IAM user or role ARN, by the one parser
// --users-file and arguments use too (principal.ParseRef), plus what an access entry needs.
// partition is the cluster's partition ("" when the region is unknown). It returns "" when
// the principal is acceptable, else a problem message that repeats at most
// principal.MaxEcho characters of the value.
func checkPrincipal(s, partition string) string {
	c := principal.Clip(s)
	if strings.TrimSpace(s) != s {
		return fmt.Sprintf("principal %q has leading or trailing spaces; remove them", c)
	}
	if name, ok := strings.CutPrefix(s, "group/"); ok {
		return fmt.Sprintf("principal %q is an IAM group, which access entries cannot use; write iamGroup: %s instead", c, principal.Clip(lastSegment(name)))
	}
	t, err := principal.ParseRef(s)
	if err != nil {
		return "principal: " + err.Error()
	}
	switch t.Kind {
	case principal.RefRoleName:
		if strings.HasPrefix(t.Path, principal.ServiceLinkedPath) {
			return fmt.Sprintf("principal %q is a service-linked role, which access entries do not support; use another role", c)
		}
		return ""
	case principal.RefARN:
	default:
		return ""
	}
	a := t.ARN
	if partition != "" && a.Partition != partition {
		return fmt.Sprintf("principal %q is in partition %s but the cluster's region is in %s; use an arn:%s: ARN", c, a.Partition, partition, partition)
	}
	switch a.Kind {
	case principal.KindUser:
		return ""
	case principal.KindRole:
		if a.ServiceLinked() {
			return fmt.Sprintf("principal %q is a service-linked role, which access entries do not support; use another role", c)
		}
		return ""
	case principal.KindAssumedRole:
		return fmt.Sprintf("principal %q is an STS session, which access entries cannot use; use the role's IAM ARN %s (with its path, if any)",
			c, principal.RoleARN(a.Partition, a.Account, "/", a.Name))
	case principal.KindGroup:
		return fmt.Sprintf("principal %q is an IAM group, which access entries cannot use; write iamGroup: %s instead", c, a.Name)
	}
	if err := a.EntryError(); err != nil {
		return "principal: " + err.Error()
	}
	return ""
}

// IsRolePrincipal reports whether a principal as written names an IAM role.
func IsRolePrincipal(s string) bool {
	if strings.HasPrefix(s, "arn:") {
		parts := strings.SplitN(s, ":", 6)
		return len(parts) == 6 && strings.HasPrefix(parts[5], "role/")
	}
	return strings.HasPrefix(s, "role/")
}

func lastSegment(s string) string {
	if i := strings.LastIndex(s, "/"); i >= 0 {
		return s[i+1:]
	}
	return s
}

// checkPolicy validates a policy name or ARN; it returns the problem or "".
func checkPolicy(s, partition string, known func(string) bool) string {
	name := s
	if strings.HasPrefix(s, "arn:") {
		parts := strings.SplitN(s, ":", 6)
		if len(parts) != 6 || parts[2] != "eks" || parts[3] != "" || parts[4] != "aws" || !strings.HasPrefix(parts[5], "cluster-access-policy/") {
			return fmt.Sprintf("policy %q is not an access policy ARN; write arn:PARTITION:eks::aws:cluster-access-policy/NAME or just the policy name", clip(s))
		}
		if !knownPartitions[parts[1]] {
			return fmt.Sprintf("policy %q has unknown partition %q; write just the policy name", clip(s), clip(parts[1]))
		}
		if partition != "" && parts[1] != partition {
			return fmt.Sprintf("policy %q is in partition %s but the cluster's region is in %s; write just the policy name", clip(s), parts[1], partition)
		}
		name = strings.TrimPrefix(parts[5], "cluster-access-policy/")
	}
	if known(name) {
		return ""
	}
	msg := fmt.Sprintf("unknown access policy %q", name)
	if sug := suggest(name, builtinPolicies, known); sug != "" {
		return msg + fmt.Sprintf("; did you mean %q?", sug)
	}
	return msg + "; run `eksaccess policies` to list the policy names"
}

// checkNamespace validates a namespace or a prefix wildcard (dev-*).
func checkNamespace(ns string) string {
	if ns == "" {
		return "namespace is empty; write a namespace name"
	}
	if ns == "*" {
		return `namespace "*" matches every namespace; omit namespaces for cluster scope`
	}
	if prefix, ok := strings.CutSuffix(ns, "*"); ok {
		if len(ns) > 63 || !nsPrefixRE.MatchString(prefix) {
			return fmt.Sprintf("namespace wildcard %q is invalid; a wildcard is a lower-case prefix followed by one *, like dev-*", clip(ns))
		}
		return ""
	}
	if len(ns) > 63 || !dns1123Label.MatchString(ns) {
		return fmt.Sprintf("namespace %q is not a valid Kubernetes namespace; use lower-case letters, digits and '-', at most 63 characters, starting and ending with a letter or digit", clip(ns))
	}
	return ""
}

// checkUsername applies the EKS rules for custom usernames: principal.ValidateUsername, the
// check --username uses too.
func checkUsername(u string) string {
	if err := principal.ValidateUsername(u); err != nil {
		return err.Error()
	}
	return ""
}

// checkGroup applies the EKS rules for Kubernetes group names.
func checkGroup(g string) string {
	if g == "" {
		return "kubernetes group name is empty; remove it"
	}
	if strings.HasPrefix(g, "system:") {
		if g == "system:masters" {
			return `kubernetes group "system:masters" is refused by EKS (names cannot start with system:); associate AmazonEKSClusterAdminPolicy instead`
		}
		return fmt.Sprintf("kubernetes group %q is refused by EKS (names cannot start with system:); use another group name", clip(g))
	}
	if strings.TrimSpace(g) != g {
		return fmt.Sprintf("kubernetes group %q has leading or trailing spaces; remove them", clip(g))
	}
	return ""
}

// checkTag validates one extra tag.
func checkTag(k, v string) string {
	switch {
	case strings.HasPrefix(k, reservedTagPrefix):
		return fmt.Sprintf("tag key %q starts with %s, which eksaccess reserves for its own tags; use another key", clip(k), reservedTagPrefix)
	case strings.HasPrefix(strings.ToLower(k), awsTagPrefix):
		return fmt.Sprintf("tag key %q starts with aws:, which AWS reserves; use another key", clip(k))
	case k == "" || len(k) > 128 || !tagRE.MatchString(k):
		return fmt.Sprintf("tag key %q is invalid; keys are 1-128 letters, digits, spaces and _.:/=+-@", clip(k))
	case len(v) > 256 || !tagRE.MatchString(v):
		return fmt.Sprintf("tag value %q for key %q is invalid; values are at most 256 letters, digits, spaces and _.:/=+-@", clip(v), clip(k))
	}
	return ""
}

// ParseExpires reads an expires value: an RFC 3339 time, a YYYY-MM-DD date
// (midnight UTC), or a positive duration from apply time (Go syntax such as
// 720h, or a whole number of days or weeks such as 30d or 2w).
func ParseExpires(s string) (at time.Time, in time.Duration, err error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), 0, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.UTC(), 0, nil
	}
	if m := durationRE.FindStringSubmatch(s); m != nil {
		n, perr := strconv.ParseFloat(m[1], 64)
		unit := 24 * time.Hour
		if m[3] == "w" {
			unit *= 7
		}
		if perr == nil && n > 0 && n < 36500 {
			return time.Time{}, time.Duration(n * float64(unit)), nil
		}
	} else if d, derr := time.ParseDuration(s); derr == nil {
		if d <= 0 {
			return time.Time{}, 0, fmt.Errorf("expires %q is not a positive duration; write a time in the future like 2026-12-31T00:00:00Z or a duration like 720h or 30d", clip(s))
		}
		return time.Time{}, d, nil
	}
	return time.Time{}, 0, fmt.Errorf("expires %q is neither an RFC 3339 time nor a duration; write it like 2026-12-31T00:00:00Z, 2026-12-31, 720h or 30d", clip(s))
}

// suggest returns the closest name to s among candidates (and, when known
// is set, only names it accepts), or "" when none is close.
func suggest(s string, candidates []string, known func(string) bool) string {
	best, bestD := "", 1<<30
	limit := max(2, len(s)/4)
	for _, c := range candidates {
		if known != nil && !known(c) {
			continue
		}
		d := levenshtein(strings.ToLower(s), strings.ToLower(c))
		if d < bestD {
			best, bestD = c, d
		}
	}
	if bestD <= limit {
		return best
	}
	return ""
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// CheckPrincipal reports what is wrong with a principal as written in an
// access file ("" when it is acceptable). partition, when not "", is the
// partition the principal's ARN must be in.
func CheckPrincipal(s, partition string) string { return checkPrincipal(s, partition) }

// CheckUsername reports why EKS would refuse a custom access-entry username
// ("" when it would accept it).
func CheckUsername(u string) string { return checkUsername(u) }

// CheckGroup reports why EKS would refuse a Kubernetes group name ("" when
// it would accept it).
func CheckGroup(g string) string { return checkGroup(g) }

// clip shortens a value from the file for a message: an error repeats at most
// principal.MaxEcho characters of what it complains about, never a whole line.
func clip(s string) string { return principal.Clip(s) }
