// Package policydoc parses IAM policy documents, validates them as IAM does when a role's
// trust policy or a managed policy is written, and evaluates them: trust policies for STS
// AssumeRole (Evaluate) and identity-based policies (permissions, boundaries, session
// policies) for every signed request (EvaluateIdentity).
//
// Evaluation covers Allow/Deny statements, Action/NotAction and Resource/NotResource with
// wildcards (policy variables such as ${aws:username} in resources), Principal ("*",
// {"AWS": account id | account root ARN | user/role/session ARN}), and the condition
// operators String*, Bool, Numeric*, Date*, Arn*, IpAddress/NotIpAddress, Null, each with
// …IfExists and the ForAnyValue:/ForAllValues: set qualifiers for multivalued keys.
// A condition this package cannot evaluate (an unknown operator, a value of the wrong type)
// fails closed: it never satisfies an Allow statement, and it always applies a Deny
// statement, so an unsupported policy can only refuse, never grant by accident.
package policydoc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// MalformedError is a policy IAM would refuse with MalformedPolicyDocument; Error() is the
// message IAM gives.
type MalformedError struct{ Msg string }

func (e *MalformedError) Error() string { return e.Msg }

func malformed(format string, args ...any) error {
	return &MalformedError{Msg: fmt.Sprintf(format, args...)}
}

// Document is a parsed policy.
type Document struct {
	Version    string
	Statements []Statement
}

// Statement is one policy statement.
type Statement struct {
	Sid          string
	Effect       string // Allow | Deny
	Action       []string
	NotAction    []string
	Resource     []string
	NotResource  []string
	HasAction    bool // Action or NotAction present
	HasResource  bool // Resource or NotResource present
	Principal    *Principal
	NotPrincipal *Principal
	// Condition: operator → condition key → values (numbers and booleans as strings).
	Condition map[string]map[string][]string
}

// Principal is a statement's Principal or NotPrincipal.
type Principal struct {
	All       bool // "*"
	AWS       []string
	Service   []string
	Federated []string
	Canonical []string
}

// Parse reads a policy document; it checks the grammar common to all policies.
func Parse(doc string) (*Document, error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(doc)))
	dec.UseNumber()
	var top any
	if err := dec.Decode(&top); err != nil {
		return nil, malformed("This policy contains invalid Json")
	}
	if dec.More() {
		return nil, malformed("This policy contains invalid Json")
	}
	obj, ok := top.(map[string]any)
	if !ok {
		return nil, malformed("Syntax errors in policy.")
	}
	d := &Document{}
	for k, v := range obj {
		switch k {
		case "Version":
			s, ok := v.(string)
			if !ok || (s != "2012-10-17" && s != "2008-10-17") {
				return nil, malformed("The policy failed legacy parsing")
			}
			d.Version = s
		case "Id":
		case "Statement":
		default:
			return nil, malformed("Syntax errors in policy.")
		}
	}
	// The sandbox insists on Version and Statement (AWS defaults a missing Version to
	// 2008-10-17; every policy eksaccess or a user should write names 2012-10-17).
	if d.Version == "" {
		return nil, malformed("Syntax errors in policy.")
	}
	raw, ok := obj["Statement"]
	if !ok {
		return nil, malformed("Syntax errors in policy.")
	}
	var stmts []any
	switch s := raw.(type) {
	case map[string]any:
		stmts = []any{s}
	case []any:
		stmts = s
	default:
		return nil, malformed("Syntax errors in policy.")
	}
	if len(stmts) == 0 {
		return nil, malformed("Syntax errors in policy.")
	}
	for _, s := range stmts {
		m, ok := s.(map[string]any)
		if !ok {
			return nil, malformed("Syntax errors in policy.")
		}
		st, err := parseStatement(m)
		if err != nil {
			return nil, err
		}
		d.Statements = append(d.Statements, st)
	}
	return d, nil
}

func parseStatement(m map[string]any) (Statement, error) {
	var st Statement
	var err error
	for k, v := range m {
		switch k {
		case "Sid":
			s, ok := v.(string)
			if !ok {
				return st, malformed("Syntax errors in policy.")
			}
			st.Sid = s
		case "Effect":
			s, ok := v.(string)
			if !ok || (s != "Allow" && s != "Deny") {
				return st, malformed("Syntax errors in policy.")
			}
			st.Effect = s
		case "Action", "NotAction":
			if err := setList(m, k, "Action", &st.Action, &st.NotAction, &st.HasAction); err != nil {
				return st, err
			}
		case "Resource", "NotResource":
			if err := setList(m, k, "Resource", &st.Resource, &st.NotResource, &st.HasResource); err != nil {
				return st, err
			}
		case "Principal", "NotPrincipal":
			p, err := parsePrincipal(v)
			if err != nil {
				return st, err
			}
			if k == "Principal" {
				st.Principal = p
			} else {
				st.NotPrincipal = p
			}
		case "Condition":
			st.Condition, err = parseCondition(v)
			if err != nil {
				return st, err
			}
		default:
			return st, malformed("Syntax errors in policy.")
		}
	}
	if st.Effect == "" {
		return st, malformed("Missing required field Effect")
	}
	return st, nil
}

// setList reads statement member k of m, element pos or its negation ("Not"+pos), a
// non-empty string list, into *list or *not; a statement may not hold both.
func setList(m map[string]any, k, pos string, list, not *[]string, has *bool) error {
	if _, dup := m[pos]; dup && k != pos {
		return malformed("Syntax errors in policy.")
	}
	l, ok := stringList(m[k])
	if !ok || len(l) == 0 {
		return malformed("Syntax errors in policy.")
	}
	if k == pos {
		*list = l
	} else {
		*not = l
	}
	*has = true
	return nil
}

// stringList accepts a string or a list of strings.
func stringList(v any) ([]string, bool) {
	switch x := v.(type) {
	case string:
		return []string{x}, true
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}

func parsePrincipal(v any) (*Principal, error) {
	if s, ok := v.(string); ok {
		if s == "*" {
			return &Principal{All: true}, nil
		}
		return nil, malformed("Invalid principal in policy: %q", s)
	}
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		return nil, malformed("Syntax errors in policy.")
	}
	p := &Principal{}
	for k, raw := range m {
		list, ok := stringList(raw)
		if !ok || len(list) == 0 {
			return nil, malformed("Syntax errors in policy.")
		}
		switch k {
		case "AWS":
			p.AWS = list
		case "Service":
			p.Service = list
		case "Federated":
			p.Federated = list
		case "CanonicalUser":
			p.Canonical = list
		default:
			return nil, malformed("Invalid principal in policy: %q", k)
		}
	}
	return p, nil
}

func parseCondition(v any) (map[string]map[string][]string, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, malformed("Syntax errors in policy.")
	}
	out := map[string]map[string][]string{}
	for op, raw := range m {
		keys, ok := raw.(map[string]any)
		if !ok {
			return nil, malformed("Syntax errors in policy.")
		}
		out[op] = map[string][]string{}
		for key, val := range keys {
			var vals []any
			if l, ok := val.([]any); ok {
				vals = l
			} else {
				vals = []any{val}
			}
			for _, e := range vals {
				switch x := e.(type) {
				case string:
					out[op][key] = append(out[op][key], x)
				case bool:
					out[op][key] = append(out[op][key], strconv.FormatBool(x))
				case json.Number:
					out[op][key] = append(out[op][key], x.String())
				default:
					return nil, malformed("Syntax errors in policy.")
				}
			}
		}
	}
	return out, nil
}

// ValidateIdentity checks a managed (identity-based) policy as CreatePolicy and
// CreatePolicyVersion do.
func ValidateIdentity(doc string) error {
	d, err := Parse(doc)
	if err != nil {
		return err
	}
	for _, st := range d.Statements {
		if st.Principal != nil || st.NotPrincipal != nil {
			return malformed("Policy document should not specify a principal.")
		}
		if !st.HasAction {
			return malformed("Policy statement must contain actions.")
		}
		if !st.HasResource {
			return malformed("Policy statement must contain resources.")
		}
	}
	return nil
}

var (
	accountRe = regexp.MustCompile(`^\d{12}$`)
	// arn:PARTITION:iam::ACCOUNT:root|user/…|role/…, or an STS session / federated user.
	principalArnRe = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):(iam|sts)::(\d{12}):(.+)$`)
)

// ValidateTrust checks a role trust policy as CreateRole and UpdateAssumeRolePolicy do.
// exists reports whether an IAM user or role ARN of the sandbox's account exists; a trust
// policy naming a missing principal of that account is refused, as IAM refuses it.
func ValidateTrust(doc, account string, exists func(arn string) bool) error {
	d, err := Parse(doc)
	if err != nil {
		return err
	}
	for _, st := range d.Statements {
		if st.HasResource {
			return malformed("Has prohibited field Resource")
		}
		if st.Principal == nil && st.NotPrincipal == nil {
			return malformed("Missing required field Principal")
		}
		if !st.HasAction {
			return malformed("Missing required field Action")
		}
		for _, a := range append(append([]string{}, st.Action...), st.NotAction...) {
			if a != "*" && !strings.HasPrefix(strings.ToLower(a), "sts:") {
				return malformed("AssumeRole policy may only specify STS AssumeRole actions.")
			}
		}
		for _, p := range []*Principal{st.Principal, st.NotPrincipal} {
			if p == nil {
				continue
			}
			for _, a := range p.AWS {
				if err := checkAWSPrincipal(a, account, exists); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func checkAWSPrincipal(a, account string, exists func(string) bool) error {
	bad := malformed("Invalid principal in policy: \"AWS\":\"%s\"", a)
	if a == "*" || accountRe.MatchString(a) {
		return nil
	}
	m := principalArnRe.FindStringSubmatch(a)
	if m == nil {
		return bad
	}
	svc, acct, res := m[2], m[3], m[4]
	switch {
	case svc == "iam" && res == "root":
		return nil
	case svc == "iam" && (strings.HasPrefix(res, "user/") || strings.HasPrefix(res, "role/")):
		if acct == account && !exists(a) {
			return bad
		}
		return nil
	case svc == "sts" && (strings.HasPrefix(res, "assumed-role/") || strings.HasPrefix(res, "federated-user/")):
		return nil
	}
	return bad
}

// Request is what a trust policy is evaluated against.
type Request struct {
	Action  string // e.g. sts:AssumeRole
	Account string // the caller's account
	// Principals are the ARNs that identify the caller: a user's ARN; for a role session,
	// the role ARN (with path) and the session ARN.
	Principals []string
	// Context holds the single-valued condition keys present in the request, by lower-cased
	// key name; Multi the multivalued ones (aws:TagKeys, eks:namespaces, …).
	Context map[string]string
	Multi   map[string][]string
}

// lookup returns the values of a condition key and whether the request has it.
func (req *Request) lookup(key string) ([]string, bool) {
	if v, ok := req.Multi[key]; ok {
		return v, true
	}
	if v, ok := req.Context[key]; ok {
		return []string{v}, true
	}
	return nil, false
}

// Decision is the outcome of an evaluation.
type Decision int

// Outcomes: no statement allows (implicit deny), one allows, or one denies explicitly.
const (
	NotAllowed Decision = iota
	Allowed
	Denied
)

func (d Decision) String() string {
	return [...]string{"NotAllowed", "Allowed", "Denied"}[d]
}

// Evaluate decides a request against a trust policy: an applicable Deny wins, else an
// applicable Allow allows, else the request is not allowed.
func (d *Document) Evaluate(req Request) Decision {
	return d.decide(&req, func(st *Statement) bool { return st.matchesAction(req.Action) && st.matchesPrincipal(req) })
}

// EvaluateIdentity decides a request for Action on Resource against an identity-based
// policy (a permissions policy, a permissions boundary or a session policy): an applicable
// Deny wins, else an applicable Allow allows, else the request is not allowed. Principals of
// req are not used (identity policies have none).
func (d *Document) EvaluateIdentity(req Request, resource string) Decision {
	return d.decide(&req, func(st *Statement) bool {
		return st.matchesAction(req.Action) && st.matchesResource(resource, &req)
	})
}

// decide is the evaluation both kinds of policy share, over the statements applies accepts.
func (d *Document) decide(req *Request, applies func(*Statement) bool) Decision {
	allowed := false
	for i := range d.Statements {
		st := &d.Statements[i]
		if !applies(st) {
			continue
		}
		cond := evalConditions(st.Condition, req)
		if st.Effect == "Deny" {
			if cond != condFalse { // unknown conditions fail closed
				return Denied
			}
			continue
		}
		if cond == condTrue {
			allowed = true
		}
	}
	if allowed {
		return Allowed
	}
	return NotAllowed
}

func (st *Statement) matchesResource(resource string, req *Request) bool {
	if st.NotResource != nil {
		for _, r := range st.NotResource {
			if p, ok := expandVariables(r, req); ok && Glob(p, resource) {
				return false
			}
		}
		return true
	}
	for _, r := range st.Resource {
		if p, ok := expandVariables(r, req); ok && Glob(p, resource) {
			return true
		}
	}
	return false
}

// expandVariables replaces the policy variables ${key} in a resource pattern with the
// request's single value for key (${*}, ${?} and ${$} are the literal characters). A
// variable the request has no single value for makes the pattern match nothing, as IAM
// treats it.
func expandVariables(pattern string, req *Request) (string, bool) {
	if !strings.Contains(pattern, "${") {
		return pattern, true
	}
	var b strings.Builder
	for {
		i := strings.Index(pattern, "${")
		if i < 0 {
			b.WriteString(pattern)
			return b.String(), true
		}
		j := strings.Index(pattern[i:], "}")
		if j < 0 {
			b.WriteString(pattern)
			return b.String(), true
		}
		b.WriteString(pattern[:i])
		key := pattern[i+2 : i+j]
		switch key {
		case "*", "?", "$":
			// A literal * or ? must not act as a wildcard: IAM matches it as itself, which
			// the sandbox's ARNs never contain, so the resource cannot match.
			if key != "$" {
				return "", false
			}
			b.WriteString(key)
		default:
			vals, ok := req.lookup(strings.ToLower(key))
			if !ok || len(vals) != 1 {
				return "", false
			}
			b.WriteString(vals[0])
		}
		pattern = pattern[i+j+1:]
	}
}

func (st *Statement) matchesAction(action string) bool {
	if st.NotAction != nil {
		for _, a := range st.NotAction {
			if Glob(strings.ToLower(a), strings.ToLower(action)) {
				return false
			}
		}
		return true
	}
	for _, a := range st.Action {
		if Glob(strings.ToLower(a), strings.ToLower(action)) {
			return true
		}
	}
	return false
}

// NamesPrincipal reports whether an Allow statement for req.Action names one of
// req.Principals itself (a user, role or session ARN, not an account, its root or "*"). A
// trust policy that names the caller so lets it assume the role without an identity-based
// permission in the same account; one that trusts the account leaves the decision to the
// account's identity policies.
func (d *Document) NamesPrincipal(req Request) bool {
	for _, st := range d.Statements {
		if st.Effect != "Allow" || st.Principal == nil || !st.matchesAction(req.Action) {
			continue
		}
		for _, a := range st.Principal.AWS {
			if m := principalArnRe.FindStringSubmatch(a); m != nil && m[4] != "root" {
				for _, id := range req.Principals {
					if strings.EqualFold(a, id) {
						return true
					}
				}
			}
		}
	}
	return false
}

func (st *Statement) matchesPrincipal(req Request) bool {
	if st.NotPrincipal != nil {
		return !st.NotPrincipal.matches(req)
	}
	return st.Principal != nil && st.Principal.matches(req)
}

func (p *Principal) matches(req Request) bool {
	if p.All {
		return true
	}
	for _, a := range p.AWS {
		if a == "*" {
			return true
		}
		if accountRe.MatchString(a) {
			if a == req.Account {
				return true
			}
			continue
		}
		if m := principalArnRe.FindStringSubmatch(a); m != nil && m[2] == "iam" && m[4] == "root" {
			if m[3] == req.Account {
				return true
			}
			continue
		}
		for _, id := range req.Principals {
			// IAM names are case-insensitive, and AWS resolves principals to unique ids
			// when the policy is saved, so case never decides a match.
			if strings.EqualFold(a, id) {
				return true
			}
		}
	}
	return false
}

type condResult int

const (
	condTrue condResult = iota
	condFalse
	condUnknown
)

// evalConditions ANDs every operator and key; a list of values under one key is ORed
// (NORed for the negated operators).
func evalConditions(c map[string]map[string][]string, req *Request) condResult {
	ops := make([]string, 0, len(c))
	for op := range c {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	result := condTrue
	for _, op := range ops {
		for key, vals := range c[op] {
			switch evalOne(op, strings.ToLower(key), vals, req) {
			case condFalse:
				if result == condTrue {
					result = condFalse
				}
			case condUnknown:
				result = condUnknown
			}
		}
	}
	return result
}

func evalOne(op, key string, vals []string, req *Request) condResult {
	got, present := req.lookup(key)
	if op == "Null" {
		for _, v := range vals {
			switch strings.ToLower(v) {
			case "true":
				if !present {
					return condTrue
				}
			case "false":
				if present {
					return condTrue
				}
			default:
				return condUnknown
			}
		}
		return condFalse
	}
	set := ""
	if q, rest, ok := strings.Cut(op, ":"); ok {
		if q != "ForAnyValue" && q != "ForAllValues" {
			return condUnknown
		}
		set, op = q, rest
	}
	base, ifExists := strings.CutSuffix(op, "IfExists")
	match, negated, known := matcher(base)
	if !known {
		return condUnknown
	}
	// one reports whether a single request value satisfies the operator against the
	// policy's values (any of them; none of them for the negated operators).
	one := func(g string) (bool, bool) {
		any := false
		for _, v := range vals {
			ok, valid := match(g, v)
			if !valid {
				return false, false
			}
			if ok {
				any = true
				break
			}
		}
		return any != negated, true
	}
	switch set {
	case "ForAllValues":
		// Every request value must satisfy; a key with no values (or none at all) does.
		return scanValues(got, one, false)
	case "ForAnyValue":
		return scanValues(got, one, true)
	}
	if !present {
		if ifExists || negated {
			return condTrue
		}
		return condFalse
	}
	// A single-valued operator on a multivalued key: a positive operator needs one value
	// to match, a negated one that no value matches the policy's values.
	return scanValues(got, one, !negated)
}

// scanValues goes through the request values in order: condUnknown at the first that cannot
// be compared, the result stopAt at the first whose match is stopAt, and the other result when
// none is (false stops at a value that fails: every value must match; true stops at one that
// matches: any value will do).
func scanValues(got []string, one func(string) (bool, bool), stopAt bool) condResult {
	for _, g := range got {
		ok, valid := one(g)
		if !valid {
			return condUnknown
		}
		if ok == stopAt {
			return condOf(stopAt)
		}
	}
	return condOf(!stopAt)
}

func condOf(b bool) condResult {
	if b {
		return condTrue
	}
	return condFalse
}

// matcher returns the comparison of an operator (without IfExists): match(requestValue,
// policyValue) → (matches, comparable).
func matcher(op string) (match func(got, want string) (bool, bool), negated, known bool) {
	str := func(f func(a, b string) bool) func(string, string) (bool, bool) {
		return func(a, b string) (bool, bool) { return f(a, b), true }
	}
	num := func(f func(a, b float64) bool) func(string, string) (bool, bool) {
		return func(a, b string) (bool, bool) {
			x, err1 := strconv.ParseFloat(a, 64)
			y, err2 := strconv.ParseFloat(b, 64)
			if err1 != nil || err2 != nil {
				return false, false
			}
			return f(x, y), true
		}
	}
	date := func(f func(a, b time.Time) bool) func(string, string) (bool, bool) {
		return func(a, b string) (bool, bool) {
			x, ok1 := parseDate(a)
			y, ok2 := parseDate(b)
			if !ok1 || !ok2 {
				return false, false
			}
			return f(x, y), true
		}
	}
	eq := func(a, b string) bool { return a == b }
	like := func(a, b string) bool { return Glob(b, a) }
	switch op {
	case "StringEquals", "ArnEquals":
		return str(eq), false, true
	case "StringNotEquals", "ArnNotEquals":
		return str(eq), true, true
	case "StringEqualsIgnoreCase":
		return str(strings.EqualFold), false, true
	case "StringNotEqualsIgnoreCase":
		return str(strings.EqualFold), true, true
	case "StringLike", "ArnLike":
		return str(like), false, true
	case "StringNotLike", "ArnNotLike":
		return str(like), true, true
	case "Bool":
		return func(a, b string) (bool, bool) {
			b = strings.ToLower(b)
			if b != "true" && b != "false" {
				return false, false
			}
			return strings.ToLower(a) == b, true
		}, false, true
	case "DateEquals":
		return date(func(a, b time.Time) bool { return a.Equal(b) }), false, true
	case "DateNotEquals":
		return date(func(a, b time.Time) bool { return a.Equal(b) }), true, true
	case "DateLessThan":
		return date(func(a, b time.Time) bool { return a.Before(b) }), false, true
	case "DateLessThanEquals":
		return date(func(a, b time.Time) bool { return !a.After(b) }), false, true
	case "DateGreaterThan":
		return date(func(a, b time.Time) bool { return a.After(b) }), false, true
	case "DateGreaterThanEquals":
		return date(func(a, b time.Time) bool { return !a.Before(b) }), false, true
	case "IpAddress", "NotIpAddress":
		return func(a, b string) (bool, bool) {
			ip := net.ParseIP(a)
			if ip == nil {
				return false, false
			}
			if !strings.Contains(b, "/") {
				other := net.ParseIP(b)
				return other != nil && other.Equal(ip), other != nil
			}
			_, n, err := net.ParseCIDR(b)
			if err != nil {
				return false, false
			}
			return n.Contains(ip), true
		}, op == "NotIpAddress", true
	case "NumericEquals":
		return num(func(a, b float64) bool { return a == b }), false, true
	case "NumericNotEquals":
		return num(func(a, b float64) bool { return a == b }), true, true
	case "NumericLessThan":
		return num(func(a, b float64) bool { return a < b }), false, true
	case "NumericLessThanEquals":
		return num(func(a, b float64) bool { return a <= b }), false, true
	case "NumericGreaterThan":
		return num(func(a, b float64) bool { return a > b }), false, true
	case "NumericGreaterThanEquals":
		return num(func(a, b float64) bool { return a >= b }), false, true
	}
	return nil, false, false
}

// parseDate reads a condition date: ISO 8601 (with or without time) or epoch seconds.
func parseDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), true
	}
	return time.Time{}, false
}

// Glob matches s against pattern, where * is any run of characters and ? any one.
func Glob(pattern, s string) bool {
	p, t := []rune(pattern), []rune(s)
	pi, ti, star, mark := 0, 0, -1, 0
	for ti < len(t) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == t[ti]):
			pi++
			ti++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ti
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			ti = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
