// Package authz decides whether the caller of a signed request may perform an IAM action on
// a resource, as AWS evaluates identity-based policies within an account: the inline and
// managed policies of a user and of its groups, or of the role behind a session; a
// permissions boundary; the session policies passed to AssumeRole. An explicit Deny in any
// of them refuses; otherwise the identity policies must allow, and so must the boundary and
// the session policies where there are any. Resource-based policies other than trust
// policies (which package sts evaluates) and service control policies are not modelled.
//
// Every service of the sandbox calls Check with the action, the resource ARN as that
// service forms it, and the condition keys of the request; a refusal carries AWS's wording
// ("User: ARN is not authorized to perform: ACTION on resource: ARN because …"), which each
// service wraps in its own AccessDenied error.
package authz

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"eksaccess/internal/sandbox/iam/policydoc"
	"eksaccess/internal/sandbox/state"
	"eksaccess/internal/sandbox/wire"
)

// Request is one authorisation question.
type Request struct {
	Action   string // service:Operation, e.g. eks:CreateAccessEntry
	Resource string // the ARN the action is on, or "*"
	// Keys are the service's single-valued condition keys (eks:principalArn, …) and Multi
	// the multivalued ones (eks:namespaces, …), by key name in any case.
	Keys  map[string]string
	Multi map[string][]string
	// ResourceTags are the tags of the resource (aws:ResourceTag/…); RequestTags those the
	// request sets (aws:RequestTag/…, aws:TagKeys).
	ResourceTags map[string]string
	RequestTags  map[string]string
}

// Denial is a refused request; Error() is AWS's message.
type Denial struct {
	Message string
	// Explicit is set when a Deny statement refused (not just the absence of an Allow).
	Explicit bool
}

func (e *Denial) Error() string { return e.Message }

// policySet is the documents of one kind that apply to the caller.
type policySet struct {
	docs  []*policydoc.Document
	given bool // the kind applies (a boundary is set, session policies were passed)
}

func (p policySet) decide(req policydoc.Request, resource string) policydoc.Decision {
	out := policydoc.NotAllowed
	for _, d := range p.docs {
		switch d.EvaluateIdentity(req, resource) {
		case policydoc.Denied:
			return policydoc.Denied
		case policydoc.Allowed:
			out = policydoc.Allowed
		}
	}
	return out
}

// Check decides req for caller c, whose account's data is in root (the sandbox's primary
// account data, holding the others). It returns nil when the request is allowed.
func Check(root *state.Data, c *state.Caller, now time.Time, req Request) *Denial {
	who := "anonymous"
	if c != nil {
		who = c.Arn
	}
	deny := func(why string, explicit bool) *Denial {
		return &Denial{Explicit: explicit, Message: "User: " + who + " is not authorized to perform: " + req.Action + " on resource: " + req.Resource + " " + why}
	}
	if c == nil {
		return deny("because no identity-based policy allows the "+req.Action+" action", false)
	}
	acct := root.ForAccount(c.Account)
	if acct == nil {
		return deny("because no identity-based policy allows the "+req.Action+" action", false)
	}
	identity, boundary, session, pctx := collect(root, acct, c, now)
	preq := policydoc.Request{Action: req.Action, Account: c.Account, Context: pctx, Multi: map[string][]string{}}
	for k, v := range req.Keys {
		preq.Context[strings.ToLower(k)] = v
	}
	for k, v := range req.Multi {
		preq.Multi[strings.ToLower(k)] = v
	}
	for k, v := range req.ResourceTags {
		preq.Context["aws:resourcetag/"+strings.ToLower(k)] = v
	}
	if req.RequestTags != nil {
		keys := make([]string, 0, len(req.RequestTags))
		for k, v := range req.RequestTags {
			preq.Context["aws:requesttag/"+strings.ToLower(k)] = v
			keys = append(keys, k)
		}
		preq.Multi["aws:tagkeys"] = keys
	}

	id := identity.decide(preq, req.Resource)
	var bd, sd policydoc.Decision = policydoc.Allowed, policydoc.Allowed
	if boundary.given {
		bd = boundary.decide(preq, req.Resource)
	}
	if session.given {
		sd = session.decide(preq, req.Resource)
	}
	switch {
	case id == policydoc.Denied:
		return deny("with an explicit deny in an identity-based policy", true)
	case bd == policydoc.Denied:
		return deny("with an explicit deny in a permissions boundary", true)
	case sd == policydoc.Denied:
		return deny("with an explicit deny in a session policy", true)
	case id != policydoc.Allowed:
		return deny("because no identity-based policy allows the "+req.Action+" action", false)
	case bd != policydoc.Allowed:
		return deny("because no permissions boundary allows the "+req.Action+" action", false)
	case sd != policydoc.Allowed:
		return deny("because no session policy allows the "+req.Action+" action", false)
	}
	return nil
}

// GlobalContext is the part of a request's condition context every policy sees, by
// lower-cased key: who the caller is, the time, and that the request came over TLS.
func GlobalContext(c *state.Caller, now time.Time) map[string]string {
	return map[string]string{
		"aws:principalarn":     c.PrincipalArn,
		"aws:principalaccount": c.Account,
		"aws:userid":           c.UserID,
		"aws:currenttime":      wire.ISO(now),
		"aws:epochtime":        strconv.FormatInt(now.Unix(), 10),
		"aws:securetransport":  "true",
	}
}

// collect gathers the caller's policies and the global condition keys of its request.
func collect(root, acct *state.Data, c *state.Caller, now time.Time) (identity, boundary, session policySet, ctx map[string]string) {
	ctx = GlobalContext(c, now)
	ctx["aws:requestedregion"] = root.Region
	managed := func(arn string) *policydoc.Document {
		p := acct.Policies[arn]
		if p == nil {
			p = root.Policies[arn] // AWS managed policies live in the primary account's data
		}
		if p == nil {
			return nil
		}
		return parsed(p.Document)
	}
	add := func(set *policySet, d *policydoc.Document) {
		if d != nil {
			set.docs = append(set.docs, d)
		}
	}
	tags := func(ts []state.Tag) {
		for _, t := range ts {
			ctx["aws:principaltag/"+strings.ToLower(t.Key)] = t.Value
		}
	}
	// own adds a principal's inline and attached policies, and its boundary.
	own := func(inline map[string]string, attached []string, bound string) {
		for _, doc := range inline {
			add(&identity, parsed(doc))
		}
		for _, a := range attached {
			add(&identity, managed(a))
		}
		if bound != "" {
			boundary.given = true
			add(&boundary, managed(bound))
		}
	}
	if !c.Session {
		ctx["aws:principaltype"] = "User"
		ctx["aws:username"] = c.UserName
		u := acct.Users[strings.ToLower(c.UserName)]
		if u == nil {
			return
		}
		tags(u.Tags)
		own(u.InlinePolicies, u.AttachedPolicies, u.PermissionsBoundary)
		for _, g := range acct.Groups {
			if member(g, u.UserName) {
				own(g.InlinePolicies, g.AttachedPolicies, "")
			}
		}
		return
	}
	ctx["aws:principaltype"] = "AssumedRole"
	ctx["aws:multifactorauthpresent"] = "false"
	s := acct.Sessions[c.AccessKeyID]
	if s == nil {
		return
	}
	if s.MFA {
		ctx["aws:multifactorauthpresent"] = "true"
		ctx["aws:multifactorauthage"] = strconv.FormatInt(max(0, int64(now.Sub(s.MFAAuthTime)/time.Second)), 10)
	}
	if s.SourceIdentity != "" {
		ctx["aws:sourceidentity"] = s.SourceIdentity
	}
	r := acct.Roles[strings.ToLower(s.RoleName)]
	if r == nil || r.Arn != s.RoleArn {
		return // the role is gone: its sessions can do nothing
	}
	tags(r.Tags)
	own(r.InlinePolicies, r.AttachedPolicies, r.PermissionsBoundary)
	if s.Policy != "" || len(s.PolicyArns) > 0 {
		session.given = true
		if s.Policy != "" {
			add(&session, parsed(s.Policy))
		}
		for _, a := range s.PolicyArns {
			add(&session, managed(a))
		}
	}
	return
}

func member(g *state.Group, user string) bool {
	for _, m := range g.Members {
		if strings.EqualFold(m, user) {
			return true
		}
	}
	return false
}

// The parsed form of each document, by its text: evaluation runs on every call, parsing
// once per distinct document keeps it cheap. Bounded: the cache starts over when full.
var (
	cacheMu sync.Mutex
	cache   = map[string]*policydoc.Document{}
)

const cacheMax = 4096

// parsed returns a document's parsed form, or nil for a document that does not parse (it
// then allows nothing, as an unreadable policy must not grant).
func parsed(doc string) *policydoc.Document {
	cacheMu.Lock()
	d, ok := cache[doc]
	cacheMu.Unlock()
	if ok {
		return d
	}
	d, err := policydoc.Parse(doc)
	if err != nil {
		d = nil
	}
	cacheMu.Lock()
	if len(cache) >= cacheMax {
		cache = map[string]*policydoc.Document{}
	}
	cache[doc] = d
	cacheMu.Unlock()
	return d
}
