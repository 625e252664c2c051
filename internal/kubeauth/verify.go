package kubeauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Errors Verify and ParseToken wrap; callers map any of them to 401.
var (
	ErrMalformed         = errors.New("malformed EKS token")
	ErrExpired           = errors.New("EKS token expired")
	ErrNotYetValid       = errors.New("EKS token is dated in the future")
	ErrUnknownKey        = errors.New("EKS token signed with an unknown access key")
	ErrSignatureMismatch = errors.New("EKS token signature does not match (tampered, or made for another cluster)")
)

// MaxTokenLength is the longest token EKS (aws-iam-authenticator) accepts.
const MaxTokenLength = 4096

// allowedParams are the only query parameters a token URL may carry (lower-cased).
var allowedParams = map[string]bool{
	"action": true, "version": true, "x-amz-algorithm": true, "x-amz-credential": true,
	"x-amz-date": true, "x-amz-expires": true, "x-amz-security-token": true,
	"x-amz-signature": true, "x-amz-signedheaders": true,
}

// PresignedRequest is a parsed token: the presigned STS URL and its SigV4 fields.
type PresignedRequest struct {
	URL           *url.URL
	Query         url.Values // as presented, canonical keys
	AccessKeyID   string
	Date          time.Time // X-Amz-Date
	Region        string    // credential scope region
	Expires       int       // X-Amz-Expires, seconds (EKS ignores it beyond 0..900)
	SignedHeaders []string
	Signature     string
	SecurityToken string
}

// ParseToken decodes an EKS token and checks its shape the way EKS does: prefix, length,
// base64url, path /, whitelisted single-valued parameters, Action=GetCallerIdentity,
// x-k8s-aws-id signed, 0 ≤ X-Amz-Expires ≤ 900, and an STS (or loopback sandbox) host.
// It does not check the signature or the clock: see Verify.
func ParseToken(tok string) (*PresignedRequest, error) {
	if len(tok) > MaxTokenLength {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrMalformed, MaxTokenLength)
	}
	if !strings.HasPrefix(tok, TokenPrefix) {
		return nil, fmt.Errorf("%w: no %s prefix", ErrMalformed, TokenPrefix)
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, TokenPrefix))
	if err != nil {
		return nil, fmt.Errorf("%w: not base64url: %v", ErrMalformed, err)
	}
	u, err := url.Parse(string(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: not a URL: %v", ErrMalformed, err)
	}
	if err := checkHost(u); err != nil {
		return nil, err
	}
	if u.Path != "/" || u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return nil, fmt.Errorf("%w: URL must be the STS root path", ErrMalformed)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("%w: bad query: %v", ErrMalformed, err)
	}
	seen := map[string]bool{}
	for k, vs := range q {
		lk := strings.ToLower(k)
		if !allowedParams[lk] {
			return nil, fmt.Errorf("%w: parameter %q is not allowed", ErrMalformed, k)
		}
		if len(vs) != 1 || seen[lk] {
			return nil, fmt.Errorf("%w: parameter %q given more than once", ErrMalformed, k)
		}
		seen[lk] = true
	}
	p := &PresignedRequest{URL: u, Query: q}
	if q.Get("Action") != "GetCallerIdentity" {
		return nil, fmt.Errorf("%w: action is %q, not GetCallerIdentity", ErrMalformed, q.Get("Action"))
	}
	if q.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" {
		return nil, fmt.Errorf("%w: algorithm must be AWS4-HMAC-SHA256", ErrMalformed)
	}
	p.SignedHeaders = strings.Split(q.Get("X-Amz-SignedHeaders"), ";")
	hasHost, hasID := false, false
	for _, h := range p.SignedHeaders {
		switch h {
		case "host":
			hasHost = true
		case ClusterIDHeader:
			hasID = true
		default:
			// Only host and the cluster id travel with the token; any other signed header
			// would be unverifiable.
			return nil, fmt.Errorf("%w: signed header %q is not allowed", ErrMalformed, h)
		}
	}
	if !hasID || !hasHost {
		return nil, fmt.Errorf("%w: host and %s must be signed", ErrMalformed, ClusterIDHeader)
	}
	exp, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || exp < 0 || exp > 900 {
		return nil, fmt.Errorf("%w: X-Amz-Expires must be 0..900", ErrMalformed)
	}
	p.Expires = exp
	p.Date, err = time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
	if err != nil {
		return nil, fmt.Errorf("%w: bad X-Amz-Date", ErrMalformed)
	}
	cred := strings.Split(q.Get("X-Amz-Credential"), "/")
	if len(cred) != 5 || cred[0] == "" || cred[2] == "" || cred[3] != "sts" || cred[4] != "aws4_request" || cred[1] != p.Date.Format("20060102") {
		return nil, fmt.Errorf("%w: bad X-Amz-Credential scope", ErrMalformed)
	}
	p.AccessKeyID, p.Region = cred[0], cred[2]
	if want := stsHostRegion(u.Hostname()); want != "" && want != p.Region {
		return nil, fmt.Errorf("%w: signed for region %s but addressed to %s", ErrMalformed, p.Region, u.Host)
	}
	p.Signature = q.Get("X-Amz-Signature")
	if len(p.Signature) != 64 {
		return nil, fmt.Errorf("%w: bad X-Amz-Signature", ErrMalformed)
	}
	p.SecurityToken = q.Get("X-Amz-Security-Token")
	return p, nil
}

// checkHost accepts real STS endpoints over https, and loopback sandbox endpoints over
// http or https (what AWS_ENDPOINT_URL_STS=http://127.0.0.1:PORT produces).
func checkHost(u *url.URL) error {
	host := strings.ToLower(u.Hostname())
	switch {
	case host == "127.0.0.1" || host == "::1" || host == "localhost":
		if u.Scheme == "http" || u.Scheme == "https" {
			return nil
		}
	case stsHostRegion(host) != "":
		if u.Scheme == "https" && (u.Port() == "" || u.Port() == "443") {
			return nil
		}
	}
	return fmt.Errorf("%w: %s://%s is not an STS endpoint", ErrMalformed, u.Scheme, u.Host)
}

// stsHostRegion returns the signing region an STS host implies, or "" for other hosts.
func stsHostRegion(host string) string {
	host = strings.ToLower(host)
	if host == "sts.amazonaws.com" {
		return "us-east-1"
	}
	for _, suffix := range []string{".amazonaws.com", ".amazonaws.com.cn"} {
		if strings.HasPrefix(host, "sts.") && strings.HasSuffix(host, suffix) {
			region := strings.TrimSuffix(strings.TrimPrefix(host, "sts."), suffix)
			if region != "" && !strings.Contains(region, ".") {
				return region
			}
		}
	}
	return ""
}

// Verify checks tok as EKS would for cluster at time now, offline: shape (ParseToken),
// age (accepted until X-Amz-Date + 15 minutes; refused when dated more than 15 minutes
// ahead), the key (lookup returns its secret and, for temporary keys, the session token the
// URL must carry), and the SigV4 signature over the URL with x-k8s-aws-id = cluster.
// It returns the access key id that signed the token.
func Verify(tok, cluster string, now time.Time, lookup func(akid string) (secret, sessionToken string, ok bool)) (string, error) {
	p, err := ParseToken(tok)
	if err != nil {
		return "", err
	}
	if now.After(p.Date.Add(tokenValidity)) {
		return "", fmt.Errorf("%w at %s: get a new one", ErrExpired, p.Date.Add(tokenValidity).UTC().Format(time.RFC3339))
	}
	if p.Date.After(now.Add(tokenValidity)) {
		return "", fmt.Errorf("%w (%s): check the clock", ErrNotYetValid, p.Date.UTC().Format(time.RFC3339))
	}
	secret, sessionToken, ok := lookup(p.AccessKeyID)
	if !ok {
		return "", fmt.Errorf("%w %s", ErrUnknownKey, p.AccessKeyID)
	}
	if subtle.ConstantTimeCompare([]byte(sessionToken), []byte(p.SecurityToken)) != 1 {
		return "", fmt.Errorf("%w: session token does not match the access key", ErrSignatureMismatch)
	}
	want := p.signature(secret, cluster)
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(p.Signature))) {
		return "", ErrSignatureMismatch
	}
	return p.AccessKeyID, nil
}

// signature recomputes the SigV4 query signature of the presigned GET.
func (p *PresignedRequest) signature(secret, cluster string) string {
	keys := make([]string, 0, len(p.Query))
	for k := range p.Query {
		if k != "X-Amz-Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var cq []string
	for _, k := range keys {
		cq = append(cq, uriEncode(k)+"="+uriEncode(p.Query.Get(k)))
	}
	var headers strings.Builder
	for _, h := range p.SignedHeaders {
		switch h {
		case "host":
			headers.WriteString("host:" + p.URL.Host + "\n")
		case ClusterIDHeader:
			headers.WriteString(ClusterIDHeader + ":" + strings.TrimSpace(cluster) + "\n")
		}
	}
	emptyHash := sha256.Sum256(nil)
	canonical := strings.Join([]string{
		"GET", "/", strings.Join(cq, "&"), headers.String(),
		strings.Join(p.SignedHeaders, ";"), hex.EncodeToString(emptyHash[:]),
	}, "\n")
	day := p.Date.Format("20060102")
	crHash := sha256.Sum256([]byte(canonical))
	toSign := "AWS4-HMAC-SHA256\n" + p.Date.Format("20060102T150405Z") + "\n" +
		day + "/" + p.Region + "/sts/aws4_request\n" + hex.EncodeToString(crHash[:])
	k := hmacSHA256([]byte("AWS4"+secret), day)
	k = hmacSHA256(k, p.Region)
	k = hmacSHA256(k, "sts")
	k = hmacSHA256(k, "aws4_request")
	return hex.EncodeToString(hmacSHA256(k, toSign))
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// uriEncode is SigV4's RFC 3986 encoding: everything but unreserved characters.
func uriEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
