// Package sts is the sandbox's STS service: GetCallerIdentity and AssumeRole over awsQuery
// (shared/reference/aws-wire.md §3), GetCallerIdentity also as a presigned GET and in the
// JSON form aws-iam-authenticator reads (§7.2).
//
// AssumeRole evaluates both sides, as AWS does: the role's trust policy must allow the
// caller (see policydoc), and, with IAM enforcement on, the caller's identity-based policies
// must allow sts:AssumeRole on the role (package authz) — except within one account when the
// trust policy names the caller itself. The role may be in another account of the sandbox;
// its sessions belong to the role's account. Session policies (Policy, PolicyArns) are kept
// with the session and narrow what it may do.
package sts

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"eksaccess/internal/sandbox/iam/authz"
	"eksaccess/internal/sandbox/iam/policydoc"
	"eksaccess/internal/sandbox/query"
	"eksaccess/internal/sandbox/state"
	"eksaccess/internal/sandbox/wire"
)

// APIVersion is the only Version STS answers.
const APIVersion = "2011-06-15"

// DefaultDuration is the session length when AssumeRole gives no DurationSeconds, and the
// most a role chain (a session assuming a role) may ask for.
const DefaultDuration = 3600

type service struct{ state.Service }

// New returns the STS handler. The server calls it for requests signed for service "sts"
// (POST forms and presigned GETs), with the verified caller in the context.
func New(st *state.Store, cfg state.Config) http.Handler {
	return &service{state.NewService(st, cfg)}
}

func (s *service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	jsonOut := strings.Contains(r.Header.Get("Accept"), "application/json")
	fail := func(err error) {
		if jsonOut {
			writeJSONError(ctx, w, err)
			return
		}
		query.WriteError(ctx, w, wire.STSNamespace, "InternalFailure", err)
	}
	p, action, err := query.ParseAction(r, APIVersion, func(a string) bool { return a == "GetCallerIdentity" || a == "AssumeRole" })
	if err != nil {
		if p != nil { // a request that does not parse keeps the server's guess
			state.SetOperation(ctx, action, false)
		}
		fail(err)
		return
	}
	switch action {
	case "GetCallerIdentity":
		state.SetOperation(ctx, action, false)
		res, err := s.getCallerIdentity(ctx)
		switch {
		case err != nil:
			fail(err)
		case jsonOut:
			writeCallerIdentityJSON(ctx, w, res)
		default:
			wire.QueryResult(ctx, w, wire.STSNamespace, action, res)
		}
	case "AssumeRole":
		state.SetOperation(ctx, action, true)
		res, err := s.assumeRole(ctx, p)
		if err != nil {
			fail(err)
			return
		}
		wire.QueryResult(ctx, w, wire.STSNamespace, action, res)
	}
}

type getCallerIdentityResult struct {
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
	Arn     string `xml:"Arn"`
}

func (s *service) getCallerIdentity(ctx context.Context) (getCallerIdentityResult, error) {
	c := state.CallerFrom(ctx)
	if c == nil {
		return getCallerIdentityResult{}, query.Errorf(403, "MissingAuthenticationToken", "Request is missing Authentication Token")
	}
	return getCallerIdentityResult{UserID: c.UserID, Account: c.Account, Arn: c.Arn}, nil
}

func writeCallerIdentityJSON(ctx context.Context, w http.ResponseWriter, res getCallerIdentityResult) {
	type result struct {
		Account string `json:"Account"`
		Arn     string `json:"Arn"`
		UserID  string `json:"UserId"`
	}
	type meta struct {
		RequestID string `json:"RequestId"`
	}
	type response struct {
		Result result `json:"GetCallerIdentityResult"`
		Meta   meta   `json:"ResponseMetadata"`
	}
	body := map[string]response{"GetCallerIdentityResponse": {
		Result: result{Account: res.Account, Arn: res.Arn, UserID: res.UserID},
		Meta:   meta{RequestID: wire.RequestID(ctx)},
	}}
	wire.WriteJSON(ctx, w, http.StatusOK, body)
}

// writeJSONError answers a JSON-accepting client (aws-iam-authenticator only reads the
// status) in the shape STS uses for JSON: {"Error":{"Code","Message","Type"},"RequestId"}.
func writeJSONError(ctx context.Context, w http.ResponseWriter, err error) {
	var qe *query.Error
	if !errors.As(err, &qe) {
		qe = &query.Error{Status: 500, Code: "InternalFailure", Message: "internal error: " + err.Error()}
	}
	typ := "Sender"
	if qe.Status >= 500 {
		typ = "Receiver"
	}
	wire.WriteJSON(ctx, w, qe.Status, map[string]any{
		"Error":     map[string]string{"Code": qe.Code, "Message": qe.Message, "Type": typ},
		"RequestId": wire.RequestID(ctx),
	})
}

// Constraint patterns of the STS model (aws-wire.md §3.3).
var (
	sessionNameRe  = regexp.MustCompile(`^[\w+=,.@-]*$`)
	sessionNamePat = `[\w+=,.@-]*`
	serialRe       = regexp.MustCompile(`^[\w+=/:,.@-]*$`)
	serialPat      = `[\w+=/:,.@-]*`
	tokenCodeRe    = regexp.MustCompile(`^[\d]*$`)
	tokenCodePat   = `[\d]*`
	externalIDRe   = regexp.MustCompile(`^[\w+=,.@:\/-]*$`)
	externalIDPat  = `[\w+=,.@:\/-]*`
	policyRe       = regexp.MustCompile(`^[\x{09}\x{0A}\x{0D}\x{20}-\x{FF}]+$`)
	policyPat      = `[\u0009\u000A\u000D\u0020-\u00FF]+`
)

type xmlCredentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type xmlAssumedRoleUser struct {
	AssumedRoleID string `xml:"AssumedRoleId"`
	Arn           string `xml:"Arn"`
}

type assumeRoleResult struct {
	Credentials     xmlCredentials     `xml:"Credentials"`
	AssumedRoleUser xmlAssumedRoleUser `xml:"AssumedRoleUser"`
	SourceIdentity  string             `xml:"SourceIdentity,omitempty"`
}

func accessDenied(callerArn, roleArn string) error {
	return query.Errorf(403, "AccessDenied", "User: %s is not authorized to perform: sts:AssumeRole on resource: %s", callerArn, roleArn)
}

const mfaFailed = "MultiFactorAuthentication failed with invalid MFA one time pass code."

func (s *service) assumeRole(ctx context.Context, p query.Params) (any, error) {
	c := state.CallerFrom(ctx)
	if c == nil {
		return nil, query.Errorf(403, "MissingAuthenticationToken", "Request is missing Authentication Token")
	}
	var v query.Validator
	roleArn, ok := v.Required(p, "RoleArn", "roleArn")
	if ok {
		v.Length(roleArn, "roleArn", 20, 2048)
	}
	sessionName, ok := v.Required(p, "RoleSessionName", "roleSessionName")
	if ok {
		v.Length(sessionName, "roleSessionName", 2, 64)
		v.Pattern(sessionName, "roleSessionName", sessionNameRe, sessionNamePat)
	}
	duration, durGiven, _ := v.Int(p, "DurationSeconds", "durationSeconds", 900, 43200)
	if !durGiven {
		duration = DefaultDuration
	}
	serial, hasSerial := v.Optional(p, "SerialNumber", "serialNumber", 9, 256, serialRe, serialPat)
	token, hasToken := v.Optional(p, "TokenCode", "tokenCode", 6, 6, tokenCodeRe, tokenCodePat)
	externalID, hasExternalID := v.Optional(p, "ExternalId", "externalId", 2, 1224, externalIDRe, externalIDPat)
	sourceIdentity, hasSourceIdentity := v.Optional(p, "SourceIdentity", "sourceIdentity", 2, 64, sessionNameRe, sessionNamePat)
	policy, hasPolicy := v.Optional(p, "Policy", "policy", 1, 0, policyRe, policyPat)
	policyArns := p.List("PolicyArns")
	if n := len(policyArns); n == 0 {
		// botocore and Go send PolicyArns.member.N.arn (a structure per member).
		for i := 1; ; i++ {
			a, ok := p.Get("PolicyArns.member." + strconv.Itoa(i) + ".arn")
			if !ok {
				break
			}
			policyArns = append(policyArns, a)
		}
	}
	if len(policyArns) > 10 {
		v.Length(strconv.Itoa(len(policyArns)), "policyArns", 0, 0)
	}
	for i, a := range policyArns {
		v.Length(a, "policyArns."+strconv.Itoa(i+1)+".member.arn", 20, 2048)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if len(policyArns) > 10 {
		return nil, query.Errorf(400, "ValidationError", "1 validation error detected: Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to 10")
	}
	if hasPolicy {
		var me *policydoc.MalformedError
		if err := policydoc.ValidateIdentity(policy); errors.As(err, &me) {
			return nil, query.Errorf(400, "MalformedPolicyDocument", "%s", me.Msg)
		}
	}

	now := s.Now()
	var res assumeRoleResult
	err := s.Store.Update(func(root *state.Data) error {
		// d is the role's account, own the caller's.
		own := state.AccountData(ctx, root)
		d := own
		if acct := arnAccount(roleArn); acct != "" {
			if d = root.ForAccount(acct); d == nil {
				return accessDenied(c.Arn, roleArn)
			}
		}
		role := findRole(d, roleArn)
		if role == nil {
			if s.Config.EnforceIAM {
				if den := authz.Check(root, c, now, authz.Request{Action: "sts:AssumeRole", Resource: roleArn}); den != nil {
					return query.Errorf(403, "AccessDenied", "%s", den.Message)
				}
			}
			return accessDenied(c.Arn, roleArn)
		}
		for _, a := range policyArns {
			if root.Policies[a] == nil && d.Policies[a] == nil {
				return query.Errorf(400, "ValidationError", "Policy %s does not exist or is not attachable.", a)
			}
		}

		mfa, mfaAt := false, time.Time{}
		if c.Session {
			if sess := own.Sessions[c.AccessKeyID]; sess != nil && sess.MFA {
				mfa, mfaAt = true, sess.MFAAuthTime
			}
		}
		if hasSerial || hasToken {
			dev := d.MFADevices[serial]
			if !hasSerial || !hasToken || dev == nil || c.Session || !strings.EqualFold(dev.UserName, c.UserName) || dev.Code != token {
				return query.Errorf(403, "AccessDenied", "%s", mfaFailed)
			}
			mfa, mfaAt = true, now
		}

		doc, err := policydoc.Parse(role.AssumeRolePolicyDocument)
		if err != nil {
			return accessDenied(c.Arn, roleArn) // an unreadable trust policy trusts no one
		}
		req := policydoc.Request{
			Action:     "sts:AssumeRole",
			Account:    c.Account,
			Principals: []string{c.PrincipalArn, c.Arn},
			Context:    conditionContext(c, sessionName, now, mfa, mfaAt),
		}
		if hasExternalID {
			req.Context["sts:externalid"] = externalID
		}
		// The caller's own tags (a user's, or the role's behind a session) are
		// aws:PrincipalTag/… to the trust policy too; a session's source identity is
		// aws:SourceIdentity.
		var ptags []state.Tag
		if c.Session {
			if sess := own.Sessions[c.AccessKeyID]; sess != nil {
				if r := own.Roles[strings.ToLower(sess.RoleName)]; r != nil {
					ptags = r.Tags
				}
				if sess.SourceIdentity != "" {
					req.Context["aws:sourceidentity"] = sess.SourceIdentity
				}
			}
		} else if u := own.Users[strings.ToLower(c.UserName)]; u != nil {
			ptags = u.Tags
		}
		for _, t := range ptags {
			req.Context["aws:principaltag/"+strings.ToLower(t.Key)] = t.Value
		}
		if hasSourceIdentity {
			req.Context["sts:sourceidentity"] = sourceIdentity
		}
		if doc.Evaluate(req) != policydoc.Allowed {
			return accessDenied(c.Arn, roleArn)
		}
		if s.Config.EnforceIAM && (d != own || !doc.NamesPrincipal(req)) {
			if den := authz.Check(root, c, now, authz.Request{Action: "sts:AssumeRole", Resource: role.Arn, ResourceTags: tagMap(role.Tags)}); den != nil {
				return query.Errorf(403, "AccessDenied", "%s", den.Message)
			}
		}

		max := role.MaxSessionDuration
		if max == 0 {
			max = 3600
		}
		if c.Session && duration > DefaultDuration {
			return query.Errorf(400, "ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
		}
		if duration > max {
			return query.Errorf(400, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
		}
		if c.Session && !hasSourceIdentity {
			// A source identity, once set, follows the session along a role chain.
			if sess := own.Sessions[c.AccessKeyID]; sess != nil && sess.SourceIdentity != "" {
				sourceIdentity = sess.SourceIdentity
			}
		}

		akid := query.NewID("ASIA", 16)
		for keyInUse(root, akid) {
			akid = query.NewID("ASIA", 16)
		}
		sess := &state.Session{
			AccessKeyID:     akid,
			SecretAccessKey: query.NewSecret(),
			SessionToken:    query.NewSessionToken(),
			RoleArn:         role.Arn,
			RoleName:        role.RoleName,
			RoleID:          role.RoleID,
			SessionName:     sessionName,
			Expiration:      now.Add(time.Duration(duration) * time.Second),
			MFA:             mfa,
			MFAAuthTime:     mfaAt,
			SourceArn:       c.Arn,
			SourceIdentity:  sourceIdentity,
			PolicyArns:      policyArns,
		}
		if hasPolicy {
			sess.Policy = policy
		}

		// Everything is checked: now change state. Expired sessions go here, lazily.
		for id, old := range d.Sessions {
			if !now.Before(old.Expiration) {
				delete(d.Sessions, id)
			}
		}
		if d.Sessions == nil {
			d.Sessions = map[string]*state.Session{}
		}
		d.Sessions[akid] = sess
		d.Seq++

		part := d.Partition
		if part == "" {
			part = "aws"
		}
		res = assumeRoleResult{
			Credentials: xmlCredentials{
				AccessKeyID: sess.AccessKeyID, SecretAccessKey: sess.SecretAccessKey,
				SessionToken: sess.SessionToken, Expiration: wire.ISO(sess.Expiration),
			},
			AssumedRoleUser: xmlAssumedRoleUser{
				AssumedRoleID: role.RoleID + ":" + sessionName,
				// The session ARN names the role without its path, as AWS forms it.
				Arn: "arn:" + part + ":sts::" + d.Account + ":assumed-role/" + role.RoleName + "/" + sessionName,
			},
			SourceIdentity: sourceIdentity,
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// keyInUse reports whether any account of the sandbox has the access key id.
func keyInUse(root *state.Data, akid string) bool {
	for _, a := range root.AllAccounts() {
		if a.Sessions[akid] != nil || a.AccessKeys[akid] != nil {
			return true
		}
	}
	return false
}

// arnAccount returns the account field of an ARN, or "".
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 {
		return ""
	}
	return parts[4]
}

func tagMap(tags []state.Tag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}

// findRole returns the role whose ARN is exactly arn (path included), or nil.
func findRole(d *state.Data, arn string) *state.Role {
	i := strings.LastIndex(arn, "/")
	if i < 0 {
		return nil
	}
	r := d.Roles[strings.ToLower(arn[i+1:])]
	if r == nil || r.Arn != arn {
		return nil
	}
	return r
}

// conditionContext is the request context trust-policy conditions see, by lower-cased key.
// aws:MultiFactorAuthPresent is absent for long-term credentials without MFA (so
// {"Bool": {"aws:MultiFactorAuthPresent": "false"}} does not match them, as in AWS), and
// "false" for role sessions created without MFA.
func conditionContext(c *state.Caller, sessionName string, now time.Time, mfa bool, mfaAt time.Time) map[string]string {
	ctx := authz.GlobalContext(c, now)
	ctx["sts:rolesessionname"] = sessionName
	if c.Session {
		ctx["aws:principaltype"] = "AssumedRole"
	} else {
		ctx["aws:principaltype"] = "User"
		ctx["aws:username"] = c.UserName
	}
	switch {
	case mfa:
		ctx["aws:multifactorauthpresent"] = "true"
		age := int64(now.Sub(mfaAt) / time.Second)
		if age < 0 {
			age = 0
		}
		ctx["aws:multifactorauthage"] = strconv.FormatInt(age, 10)
	case c.Session:
		ctx["aws:multifactorauthpresent"] = "false"
	}
	return ctx
}
