// Package query holds what the sandbox's awsQuery services (IAM, STS) share: reading the
// form parameters of a request, `.member.N` lists, input validation that reports errors the
// way AWS does ("1 validation error detected: …"), Marker/MaxItems pagination, the
// URL-encoding IAM applies to policy documents, and identifier generation.
// The wire facts are in shared/reference/aws-wire.md §2 and §3.
package query

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"eksaccess/internal/sandbox/wire"
)

// maxBody bounds a request body: a policy document is at most 131072 characters, which
// URL-encoding can triple.
const maxBody = 2 << 20

// Error is an awsQuery error answer: HTTP status, wire code and message.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf makes an *Error.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// WriteError writes err in namespace ns; anything that is not an *Error is an internal
// failure answered as 500 with internalCode (IAM says ServiceFailure, STS InternalFailure).
func WriteError(ctx context.Context, w http.ResponseWriter, ns, internalCode string, err error) {
	var qe *Error
	if !errors.As(err, &qe) {
		qe = &Error{Status: http.StatusInternalServerError, Code: internalCode, Message: "internal error: " + err.Error()}
	}
	wire.QueryError(ctx, w, ns, qe.Status, qe.Code, qe.Message)
}

// Params are the request parameters of an awsQuery call (form body and URL query merged).
type Params url.Values

// ParseAction parses a query-protocol request and returns its parameters and Action: a
// missing Action is MissingAction; an action known does not know, or a Version other than
// version, is InvalidAction, as AWS answers them. action is "" when the request does not
// parse or names none.
func ParseAction(r *http.Request, version string, known func(action string) bool) (p Params, action string, err error) {
	if p, err = Parse(r); err != nil {
		return nil, "", err
	}
	action, ok := p.Get("Action")
	if !ok || action == "" {
		return p, "", Errorf(400, "MissingAction", "The request must contain the parameter Action.")
	}
	if v, given := p.Get("Version"); !known(action) || (given && v != version) {
		return p, action, Errorf(400, "InvalidAction", "Could not find operation %s for version %s", action, p.Str("Version"))
	}
	return p, action, nil
}

// Parse reads the parameters of r: the URL query, plus a form body for POST (whatever its
// Content-Type claims, as botocore and Go both send form bodies).
func Parse(r *http.Request) (Params, error) {
	p := Params{}
	for k, v := range r.URL.Query() {
		p[k] = append(p[k], v...)
	}
	if r.Body != nil && r.Method != http.MethodGet {
		b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil {
			return nil, Errorf(400, "MalformedQueryString", "the request body could not be read: %v", err)
		}
		if len(b) > maxBody {
			return nil, Errorf(413, "RequestEntityTooLarge", "Request body must be less than %d bytes", maxBody)
		}
		form, err := url.ParseQuery(string(b))
		if err != nil {
			return nil, Errorf(400, "MalformedQueryString", "the request body is not a valid form: %v", err)
		}
		for k, v := range form {
			p[k] = append(p[k], v...)
		}
	}
	return p, nil
}

// Get returns the first value of name and whether it was given.
func (p Params) Get(name string) (string, bool) {
	v, ok := p[name]
	if !ok || len(v) == 0 {
		return "", false
	}
	return v[0], true
}

// Str returns the first value of name, or "".
func (p Params) Str(name string) string {
	v, _ := p.Get(name)
	return v
}

// List returns the values of name.member.1, name.member.2, … in index order.
func (p Params) List(name string) []string {
	idx := p.memberIndexes(name + ".member.")
	out := make([]string, 0, len(idx))
	for _, n := range idx {
		out = append(out, p.Str(name+".member."+strconv.Itoa(n)))
	}
	return out
}

// memberIndexes returns the distinct N of keys "prefixN" or "prefixN.…", sorted.
func (p Params) memberIndexes(prefix string) []int {
	seen := map[int]bool{}
	for k := range p {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(rest, ".")
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 {
			continue
		}
		seen[n] = true
	}
	out := make([]int, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

// Tag is a Key/Value pair from a `Tags.member.N.Key/Value` list.
type Tag struct{ Key, Value string }

// Tags returns the list name.member.N.{Key,Value}.
func (p Params) Tags(name string) []Tag {
	var out []Tag
	for _, n := range p.memberIndexes(name + ".member.") {
		pre := name + ".member." + strconv.Itoa(n) + "."
		out = append(out, Tag{Key: p.Str(pre + "Key"), Value: p.Str(pre + "Value")})
	}
	return out
}

// Validator collects input-constraint violations and reports them together, as AWS's
// ValidationError does ("2 validation errors detected: Value … at 'roleName' …; Value …").
type Validator struct {
	errs []string
}

func (v *Validator) add(value *string, field, constraint string) {
	shown := "null"
	if value != nil {
		shown = "'" + *value + "'"
	}
	v.errs = append(v.errs, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: Member must %s", shown, field, constraint))
}

// Required checks a required parameter is present; field is the member name in lower camel
// case, as AWS spells it in these messages (roleName).
func (v *Validator) Required(p Params, param, field string) (string, bool) {
	s, ok := p.Get(param)
	if !ok {
		v.add(nil, field, "not be null")
	}
	return s, ok
}

// Optional checks an optional parameter, when given, has min to max characters (max 0: no
// limit) and matches re (nil: any); it returns the value and whether it was given.
func (v *Validator) Optional(p Params, param, field string, min, max int, re *regexp.Regexp, pattern string) (string, bool) {
	s, ok := p.Get(param)
	if ok {
		v.Length(s, field, min, max)
		if re != nil {
			v.Pattern(s, field, re, pattern)
		}
	}
	return s, ok
}

// Length checks min ≤ len(s) ≤ max (in characters).
func (v *Validator) Length(s, field string, min, max int) {
	n := len([]rune(s))
	if n < min {
		v.add(&s, field, fmt.Sprintf("have length greater than or equal to %d", min))
	}
	if max > 0 && n > max {
		v.add(&s, field, fmt.Sprintf("have length less than or equal to %d", max))
	}
}

// Pattern checks s matches re entirely; pattern is the model's spelling of it.
func (v *Validator) Pattern(s, field string, re *regexp.Regexp, pattern string) {
	if !re.MatchString(s) {
		v.add(&s, field, "satisfy regular expression pattern: "+pattern)
	}
}

// Enum checks s is one of allowed.
func (v *Validator) Enum(s, field string, allowed ...string) {
	for _, a := range allowed {
		if s == a {
			return
		}
	}
	v.add(&s, field, "satisfy enum value set: ["+strings.Join(allowed, ", ")+"]")
}

// Int parses an optional integer parameter and checks min ≤ n ≤ max; ok reports whether it
// was given and valid.
func (v *Validator) Int(p Params, param, field string, min, max int) (n int, given, ok bool) {
	s, given := p.Get(param)
	if !given {
		return 0, false, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		v.add(&s, field, "be a number")
		return 0, true, false
	}
	ok = true
	if n < min {
		v.add(&s, field, fmt.Sprintf("have value greater than or equal to %d", min))
		ok = false
	}
	if n > max {
		v.add(&s, field, fmt.Sprintf("have value less than or equal to %d", max))
		ok = false
	}
	return n, true, ok
}

// Bool parses an optional boolean parameter ("true"/"false", case-insensitive).
func (v *Validator) Bool(p Params, param, field string) bool {
	s, given := p.Get(param)
	if !given {
		return false
	}
	switch strings.ToLower(s) {
	case "true":
		return true
	case "false":
		return false
	}
	v.add(&s, field, "be a boolean")
	return false
}

// Err returns the collected violations as a 400 ValidationError, or nil.
func (v *Validator) Err() error {
	switch len(v.errs) {
	case 0:
		return nil
	case 1:
		return Errorf(400, "ValidationError", "1 validation error detected: %s", v.errs[0])
	}
	return Errorf(400, "ValidationError", "%d validation errors detected: %s", len(v.errs), strings.Join(v.errs, "; "))
}

// Page is one page of a Marker/MaxItems listing.
type Page struct {
	Start, End  int    // items[Start:End] are on this page
	IsTruncated bool   // more items follow
	Marker      string // the Marker for the next page when IsTruncated
}

// Paginate picks the page of keys (sorted ascending, unique) that the request's Marker and
// MaxItems (1–1000, default 100) ask for. A Marker names the first key of the next page, so
// pages stay consistent while items are added or removed between calls.
func Paginate(p Params, keys []string) (Page, error) {
	var v Validator
	max, given, ok := v.Int(p, "MaxItems", "maxItems", 1, 1000)
	if err := v.Err(); err != nil {
		return Page{}, err
	}
	if !given || !ok {
		max = 100
	}
	start := 0
	if m, ok := p.Get("Marker"); ok {
		if len(m) < 1 || len(m) > 320 {
			v.Length(m, "marker", 1, 320)
			return Page{}, v.Err()
		}
		b, err := base64.RawURLEncoding.DecodeString(m)
		if err != nil {
			return Page{}, Errorf(400, "InvalidInput", "Invalid Marker value %q: pass the Marker from the previous response unchanged.", m)
		}
		from := string(b)
		start = sort.SearchStrings(keys, from)
	}
	end := min(start+max, len(keys))
	pg := Page{Start: start, End: end}
	if end < len(keys) {
		pg.IsTruncated = true
		pg.Marker = base64.RawURLEncoding.EncodeToString([]byte(keys[end]))
	}
	return pg, nil
}

// EncodePolicy URL-encodes a policy document as IAM returns it (every byte outside
// RFC 3986's unreserved set as %XX; a space is %20, never '+', because botocore decodes
// with urllib's unquote, which leaves '+' alone).
func EncodePolicy(doc string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(doc) * 2)
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

const upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// secretAlphabet is the alphabet of AWS secret access keys (base64 characters).
const secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

func randomString(alphabet string, n int) string {
	max := big.NewInt(int64(len(alphabet)))
	b := make([]byte, n)
	for i := range b {
		k, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic("crypto/rand failed: " + err.Error())
		}
		b[i] = alphabet[k.Int64()]
	}
	return string(b)
}

// NewID returns prefix followed by n random upper-case letters and digits (AIDA + 17 for a
// user id, AKIA + 16 for an access key id, …).
func NewID(prefix string, n int) string { return prefix + randomString(upperAlnum, n) }

// NewSecret returns a 40-character secret access key.
func NewSecret() string { return randomString(secretAlphabet, 40) }

// NewSessionToken returns an opaque session token of the length real STS tokens have.
func NewSessionToken() string {
	b := make([]byte, 420)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return "IQoJb3JpZ2luX2VjE" + base64.StdEncoding.EncodeToString(b)
}
