// Package sigv4 verifies AWS Signature Version 4 on requests the sandbox receives.
//
// It does not reimplement the algorithm: it rebuilds the request from what the
// client says it signed (the signed headers, the body hash, the signing time and
// region of the credential scope) and signs that again with aws-sdk-go-v2's own
// signer, so the sandbox accepts exactly what the SDK and botocore produce.
package sigv4

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"eksaccess/internal/sandbox/state"
)

// MaxSkew is how far the signing time may be from the server clock, as AWS allows for
// IAM and STS (the sandbox applies it to every service).
const MaxSkew = 15 * time.Minute

// MaxPresignExpiry is the longest X-Amz-Expires AWS accepts on a presigned request.
const MaxPresignExpiry = 7 * 24 * time.Hour

const (
	algorithm       = "AWS4-HMAC-SHA256"
	amzDateFormat   = "20060102T150405Z"
	emptyHash       = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	unsignedPayload = "UNSIGNED-PAYLOAD"
)

// Kind classifies why a request was refused; the server maps it to each protocol's error code.
type Kind int

const (
	// Missing: no Authorization header and no presigned query.
	Missing Kind = iota + 1
	// Incomplete: an Authorization header or presigned query that cannot be parsed.
	Incomplete
	// UnknownKey: the access key id is not known (or inactive).
	UnknownKey
	// InvalidToken: a session key without its session token, a wrong token, or a token on a long-term key.
	InvalidToken
	// ExpiredToken: the session behind the key has expired.
	ExpiredToken
	// Skewed: the signing time is more than MaxSkew from the server clock.
	Skewed
	// Expired: a presigned request past its X-Amz-Expires.
	Expired
	// Mismatch: the signature does not match.
	Mismatch
)

func (k Kind) String() string {
	switch k {
	case Missing:
		return "missing"
	case Incomplete:
		return "incomplete"
	case UnknownKey:
		return "unknown-key"
	case InvalidToken:
		return "invalid-token"
	case ExpiredToken:
		return "expired-token"
	case Skewed:
		return "skewed"
	case Expired:
		return "expired"
	case Mismatch:
		return "mismatch"
	}
	return "unknown"
}

// Error is a refused request. Message is what AWS says for it.
type Error struct {
	Kind    Kind
	Message string
}

func (e *Error) Error() string { return "sigv4 " + e.Kind.String() + ": " + e.Message }

// Messages AWS uses for these refusals.
const (
	MsgMismatch     = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	MsgInvalidToken = "The security token included in the request is invalid."
	MsgExpiredToken = "The security token included in the request is expired"
)

// Scope is the credential scope of a request: who claims to sign it, and for what.
type Scope struct {
	AccessKeyID string
	Date        string // yyyymmdd
	Region      string
	Service     string
	Presigned   bool
}

// Lookup finds the credential for an access key id (see state.Data.LookupCredential).
type Lookup func(akid string) (cred state.Credential, ok, expired bool)

// Result is a verified request.
type Result struct {
	Scope      Scope
	Credential state.Credential
}

// ParseScope reads the credential scope from the Authorization header or the presigned
// query without checking anything else; the server uses it to route unsigned-looking
// requests to the right protocol's error. ok is false when neither is present or parseable.
func ParseScope(r *http.Request) (Scope, bool) {
	if a := r.Header.Get("Authorization"); a != "" {
		auth, err := parseAuthorization(a)
		if err != nil {
			return Scope{}, false
		}
		return auth.scope, true
	}
	q := r.URL.Query()
	if c := q.Get("X-Amz-Credential"); c != "" {
		sc, err := parseCredential(c)
		if err != nil {
			return Scope{}, false
		}
		sc.Presigned = true
		return sc, true
	}
	return Scope{}, false
}

type authorization struct {
	scope         Scope
	signedHeaders []string
	signature     string
}

func parseCredential(c string) (Scope, error) {
	parts := strings.Split(c, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" || parts[0] == "" || len(parts[1]) != 8 || parts[2] == "" || parts[3] == "" {
		return Scope{}, fmt.Errorf("Credential should be scoped to a valid region, not '%s'. ", c)
	}
	return Scope{AccessKeyID: parts[0], Date: parts[1], Region: parts[2], Service: parts[3]}, nil
}

func parseAuthorization(h string) (authorization, error) {
	var a authorization
	rest, ok := strings.CutPrefix(h, algorithm+" ")
	if !ok {
		return a, fmt.Errorf("Authorization header requires the %s algorithm.", algorithm)
	}
	var cred, signed, sig string
	for _, kv := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		switch k {
		case "Credential":
			cred = v
		case "SignedHeaders":
			signed = v
		case "Signature":
			sig = v
		}
	}
	var missing []string
	if cred == "" {
		missing = append(missing, "'Credential'")
	}
	if signed == "" {
		missing = append(missing, "'SignedHeaders'")
	}
	if sig == "" {
		missing = append(missing, "'Signature'")
	}
	if len(missing) > 0 {
		return a, fmt.Errorf("Authorization header requires %s parameter. Authorization=%s", strings.Join(missing, ", "), h)
	}
	sc, err := parseCredential(cred)
	if err != nil {
		return a, err
	}
	a.scope = sc
	a.signedHeaders = strings.Split(strings.ToLower(signed), ";")
	a.signature = sig
	return a, nil
}

// Verify checks r's SigV4 signature (Authorization header or presigned query) against the
// key found by lookup. body is the complete request body (r.Body is not read).
func Verify(r *http.Request, body []byte, now time.Time, lookup Lookup) (*Result, error) {
	if r.Header.Get("Authorization") != "" {
		return verifyHeader(r, body, now, lookup)
	}
	if r.URL.Query().Get("X-Amz-Algorithm") != "" || r.URL.Query().Get("X-Amz-Credential") != "" {
		return verifyPresigned(r, body, now, lookup)
	}
	return nil, &Error{Missing, "Missing Authentication Token"}
}

func checkSkew(signed, now time.Time) error {
	const f = amzDateFormat
	if signed.Before(now.Add(-MaxSkew)) {
		return &Error{Skewed, fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 15 min.)",
			signed.UTC().Format(f), now.Add(-MaxSkew).UTC().Format(f), now.UTC().Format(f))}
	}
	if signed.After(now.Add(MaxSkew)) {
		return &Error{Skewed, fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + 15 min.)",
			signed.UTC().Format(f), now.Add(MaxSkew).UTC().Format(f), now.UTC().Format(f))}
	}
	return nil
}

// credentialFor resolves the key and checks the session token the request presents.
func credentialFor(akid, token string, lookup Lookup) (state.Credential, error) {
	cred, ok, expired := lookup(akid)
	if expired {
		return cred, &Error{ExpiredToken, MsgExpiredToken}
	}
	if !ok {
		return cred, &Error{UnknownKey, MsgInvalidToken}
	}
	if cred.SessionToken != "" || token != "" {
		if !hmac.Equal([]byte(cred.SessionToken), []byte(token)) {
			return cred, &Error{InvalidToken, MsgInvalidToken}
		}
	}
	return cred, nil
}

func awsCreds(c state.Credential) aws.Credentials {
	return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
}

// requestURL is r's URL with the path exactly as the client sent it (still percent-encoded),
// since SigV4 signs the encoded path.
func requestURL(r *http.Request, query string) *url.URL {
	rawPath := r.URL.EscapedPath()
	if ru := r.RequestURI; ru != "" && !strings.HasPrefix(ru, "http") {
		p, _, _ := strings.Cut(ru, "?")
		if p != "" {
			rawPath = p
		}
	}
	u := &url.URL{Scheme: "http", Host: r.Host, RawQuery: query}
	if p, err := url.PathUnescape(rawPath); err == nil {
		u.Path = p
		u.RawPath = rawPath
	} else {
		u.Opaque = rawPath
	}
	if u.Path == "" && u.Opaque == "" {
		u.Path = "/"
	}
	return u
}

func verifyHeader(r *http.Request, body []byte, now time.Time, lookup Lookup) (*Result, error) {
	auth, err := parseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return nil, &Error{Incomplete, err.Error()}
	}
	dateStr := r.Header.Get("X-Amz-Date")
	if dateStr == "" {
		return nil, &Error{Incomplete, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=" + r.Header.Get("Authorization")}
	}
	signTime, err := time.Parse(amzDateFormat, dateStr)
	if err != nil {
		return nil, &Error{Incomplete, "Date must be in ISO-8601 'basic format'. Got '" + dateStr + "'."}
	}
	if signTime.UTC().Format("20060102") != auth.scope.Date {
		return nil, &Error{Mismatch, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" + auth.scope.Date + "' != '" + signTime.UTC().Format("20060102") + "', from '" + dateStr + "'."}
	}
	if err := checkSkew(signTime, now); err != nil {
		return nil, err
	}
	signed := map[string]bool{}
	for _, h := range auth.signedHeaders {
		signed[h] = true
	}
	if !signed["host"] {
		return nil, &Error{Mismatch, "'Host' must be a 'SignedHeader' in the AWS Authorization."}
	}
	cred, err := credentialFor(auth.scope.AccessKeyID, r.Header.Get("X-Amz-Security-Token"), lookup)
	if err != nil {
		return nil, err
	}

	payloadHash := hashHex(body)
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" {
		switch {
		case h == unsignedPayload:
			payloadHash = h
		case h != payloadHash:
			return nil, &Error{Mismatch, "The provided 'x-amz-content-sha256' header does not match what was computed."}
		}
	}

	req, err := http.NewRequestWithContext(context.Background(), r.Method, "http://placeholder/", nil)
	if err != nil {
		return nil, &Error{Incomplete, err.Error()}
	}
	req.URL = requestURL(r, r.URL.RawQuery)
	req.Host = r.Host
	for _, h := range auth.signedHeaders {
		switch h {
		case "host", "content-length", "x-amz-date", "authorization":
			continue
		}
		if vs, ok := r.Header[http.CanonicalHeaderKey(h)]; ok {
			req.Header[http.CanonicalHeaderKey(h)] = vs
		}
	}
	// The SDK signs content-length whenever it is positive, botocore never: follow the client.
	if signed["content-length"] {
		req.ContentLength = int64(len(body))
		if cl := r.Header.Get("Content-Length"); cl != "" {
			if n, err := strconv.ParseInt(cl, 10, 64); err == nil {
				req.ContentLength = n
			}
		}
	}
	signer := v4.NewSigner()
	err = signer.SignHTTP(context.Background(), awsCreds(cred), req, payloadHash, auth.scope.Service, auth.scope.Region, signTime,
		func(o *v4.SignerOptions) {
			o.DisableSessionToken = !signed["x-amz-security-token"]
		})
	if err != nil {
		return nil, &Error{Incomplete, err.Error()}
	}
	want, err := parseAuthorization(req.Header.Get("Authorization"))
	if err != nil {
		return nil, &Error{Incomplete, err.Error()}
	}
	if strings.Join(want.signedHeaders, ";") != strings.Join(auth.signedHeaders, ";") ||
		!hmac.Equal([]byte(want.signature), []byte(auth.signature)) {
		return nil, &Error{Mismatch, MsgMismatch}
	}
	return &Result{Scope: auth.scope, Credential: cred}, nil
}

func verifyPresigned(r *http.Request, body []byte, now time.Time, lookup Lookup) (*Result, error) {
	q := r.URL.Query()
	if alg := q.Get("X-Amz-Algorithm"); alg != algorithm {
		return nil, &Error{Incomplete, "X-Amz-Algorithm only supports \"" + algorithm + "\""}
	}
	var missing []string
	for _, k := range []string{"X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature"} {
		if q.Get(k) == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return nil, &Error{Incomplete, "AWS query-string parameters must include " + strings.Join(missing, ", ") + ". Re-examine the query-string parameters."}
	}
	sc, err := parseCredential(q.Get("X-Amz-Credential"))
	if err != nil {
		return nil, &Error{Incomplete, err.Error()}
	}
	sc.Presigned = true
	signTime, err := time.Parse(amzDateFormat, q.Get("X-Amz-Date"))
	if err != nil {
		return nil, &Error{Incomplete, "X-Amz-Date must be in ISO-8601 'basic format'."}
	}
	if signTime.UTC().Format("20060102") != sc.Date {
		return nil, &Error{Mismatch, MsgMismatch}
	}
	if err := checkSkew(signTime, now); err != nil {
		// A presigned URL may be used later than 15 minutes after signing if it says so.
		if exp := q.Get("X-Amz-Expires"); exp == "" || signTime.After(now) {
			return nil, err
		}
	}
	if exp := q.Get("X-Amz-Expires"); exp != "" {
		n, err := strconv.Atoi(exp)
		if err != nil || n < 0 || time.Duration(n)*time.Second > MaxPresignExpiry {
			return nil, &Error{Incomplete, "X-Amz-Expires must be non-negative and at most 604800 seconds."}
		}
		if now.After(signTime.Add(time.Duration(n) * time.Second)) {
			return nil, &Error{Expired, "Request has expired"}
		}
	}
	cred, err := credentialFor(sc.AccessKeyID, q.Get("X-Amz-Security-Token"), lookup)
	if err != nil {
		return nil, err
	}
	signedList := strings.Split(strings.ToLower(q.Get("X-Amz-SignedHeaders")), ";")
	given := q.Get("X-Amz-Signature")

	// The signer sets the X-Amz-* signing parameters itself; keep everything else the client sent.
	rest := url.Values{}
	for k, vs := range q {
		switch k {
		case "X-Amz-Signature", "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Security-Token":
			continue
		}
		rest[k] = vs
	}
	req, err := http.NewRequestWithContext(context.Background(), r.Method, "http://placeholder/", nil)
	if err != nil {
		return nil, &Error{Incomplete, err.Error()}
	}
	req.URL = requestURL(r, rest.Encode())
	req.Host = r.Host
	for _, h := range signedList {
		switch h {
		case "host", "content-length":
			continue
		}
		if vs, ok := r.Header[http.CanonicalHeaderKey(h)]; ok {
			req.Header[http.CanonicalHeaderKey(h)] = vs
		}
	}
	// STS presigned URLs (EKS tokens) sign the hash of the empty body; S3-style ones sign
	// UNSIGNED-PAYLOAD. Accept either, as the client cannot say which it used.
	hashes := []string{hashHex(body), unsignedPayload}
	if h := q.Get("X-Amz-Content-Sha256"); h != "" {
		hashes = []string{h}
	}
	signer := v4.NewSigner()
	for _, ph := range hashes {
		u, _, err := signer.PresignHTTP(context.Background(), awsCreds(cred), req, ph, sc.Service, sc.Region, signTime,
			func(o *v4.SignerOptions) {
				o.DisableHeaderHoisting = true
				o.DisableSessionToken = q.Get("X-Amz-Security-Token") == ""
			})
		if err != nil {
			return nil, &Error{Incomplete, err.Error()}
		}
		pu, err := url.Parse(u)
		if err != nil {
			return nil, &Error{Incomplete, err.Error()}
		}
		pq := pu.Query()
		if pq.Get("X-Amz-SignedHeaders") == strings.Join(signedList, ";") && hmac.Equal([]byte(pq.Get("X-Amz-Signature")), []byte(given)) {
			return &Result{Scope: sc, Credential: cred}, nil
		}
	}
	return nil, &Error{Mismatch, MsgMismatch}
}

func hashHex(b []byte) string {
	if len(b) == 0 {
		return emptyHash
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// VerifyURL verifies a presigned URL (an EKS bearer token's GetCallerIdentity URL) as if it
// had been requested with method and header, without sending it.
func VerifyURL(method, rawURL string, header http.Header, now time.Time, lookup Lookup) (*Result, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, &Error{Incomplete, "the presigned URL does not parse: " + err.Error()}
	}
	r := &http.Request{Method: method, URL: u, Host: u.Host, Header: header, RequestURI: u.RequestURI()}
	if r.Header == nil {
		r.Header = http.Header{}
	}
	if r.Header.Get("Authorization") != "" {
		return nil, &Error{Incomplete, "a presigned URL must not carry an Authorization header"}
	}
	if r.URL.Query().Get("X-Amz-Signature") == "" {
		return nil, &Error{Missing, "Missing Authentication Token"}
	}
	return verifyPresigned(r, nil, now, lookup)
}
