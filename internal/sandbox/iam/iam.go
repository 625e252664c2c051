// Package iam is the sandbox's IAM service: the awsQuery (XML) operations eksaccess and
// the aws CLI use on users, groups, roles, managed policies and access keys, with IAM's
// names, validation rules, error codes and pagination (shared/reference/aws-wire.md §2).
//
// With state.Config.EnforceIAM, every call is first authorised against the caller's
// identity-based policies (package authz); trust policies are evaluated by the sts package.
// Each account of the sandbox has its own IAM: a caller sees and changes its account only.
package iam

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"eksaccess/internal/sandbox/query"
	"eksaccess/internal/sandbox/state"
	"eksaccess/internal/sandbox/wire"
)

// APIVersion is the only Version IAM answers.
const APIVersion = "2010-05-08"

type service struct{ state.Service }

type operation struct {
	fn       func(s *service, ctx context.Context, p query.Params) (any, error)
	mutating bool
}

var operations = map[string]operation{
	"GetUser":                  {(*service).getUser, false},
	"ListUsers":                {(*service).listUsers, false},
	"CreateUser":               {(*service).createUser, true},
	"GetGroup":                 {(*service).getGroup, false},
	"ListGroups":               {(*service).listGroups, false},
	"GetRole":                  {(*service).getRole, false},
	"ListRoles":                {(*service).listRoles, false},
	"CreateRole":               {(*service).createRole, true},
	"UpdateRole":               {(*service).updateRole, true},
	"UpdateAssumeRolePolicy":   {(*service).updateAssumeRolePolicy, true},
	"DeleteRole":               {(*service).deleteRole, true},
	"CreatePolicy":             {(*service).createPolicy, true},
	"GetPolicy":                {(*service).getPolicy, false},
	"GetPolicyVersion":         {(*service).getPolicyVersion, false},
	"CreatePolicyVersion":      {(*service).createPolicyVersion, true},
	"ListPolicies":             {(*service).listPolicies, false},
	"AttachRolePolicy":         {attachPolicy("role"), true},
	"DetachRolePolicy":         {detachPolicy("role"), true},
	"ListAttachedRolePolicies": {listAttached("role"), false},
	"CreateAccessKey":          {(*service).createAccessKey, true},

	"ListAccessKeys":      {(*service).listAccessKeys, false},
	"UpdateAccessKey":     {(*service).updateAccessKey, true},
	"DeleteAccessKey":     {(*service).deleteAccessKey, true},
	"DeleteUser":          {(*service).deleteUser, true},
	"ListMFADevices":      {(*service).listMFADevices, false},
	"CreateGroup":         {(*service).createGroup, true},
	"DeleteGroup":         {(*service).deleteGroup, true},
	"AddUserToGroup":      {membership(true), true},
	"RemoveUserFromGroup": {membership(false), true},
	"ListGroupsForUser":   {(*service).listGroupsForUser, false},

	"DeletePolicy":            {(*service).deletePolicy, true},
	"ListPolicyVersions":      {(*service).listPolicyVersions, false},
	"DeletePolicyVersion":     {(*service).deletePolicyVersion, true},
	"SetDefaultPolicyVersion": {(*service).setDefaultPolicyVersion, true},
	"ListEntitiesForPolicy":   {(*service).listEntitiesForPolicy, false},

	"PutUserPolicy": {putInline("user"), true}, "GetUserPolicy": {getInline("user"), false},
	"DeleteUserPolicy": {deleteInline("user"), true}, "ListUserPolicies": {listInline("user"), false},
	"PutGroupPolicy": {putInline("group"), true}, "GetGroupPolicy": {getInline("group"), false},
	"DeleteGroupPolicy": {deleteInline("group"), true}, "ListGroupPolicies": {listInline("group"), false},
	"PutRolePolicy": {putInline("role"), true}, "GetRolePolicy": {getInline("role"), false},
	"DeleteRolePolicy": {deleteInline("role"), true}, "ListRolePolicies": {listInline("role"), false},

	"AttachUserPolicy": {attachPolicy("user"), true}, "DetachUserPolicy": {detachPolicy("user"), true},
	"ListAttachedUserPolicies": {listAttached("user"), false},
	"AttachGroupPolicy":        {attachPolicy("group"), true}, "DetachGroupPolicy": {detachPolicy("group"), true},
	"ListAttachedGroupPolicies": {listAttached("group"), false},

	"PutUserPermissionsBoundary": {putBoundary("user"), true}, "DeleteUserPermissionsBoundary": {deleteBoundary("user"), true},
	"PutRolePermissionsBoundary": {putBoundary("role"), true}, "DeleteRolePermissionsBoundary": {deleteBoundary("role"), true},

	"TagUser": {tagEntity("user"), true}, "UntagUser": {untagEntity("user"), true}, "ListUserTags": {listEntityTags("user"), false},
	"TagRole": {tagEntity("role"), true}, "UntagRole": {untagEntity("role"), true}, "ListRoleTags": {listEntityTags("role"), false},
}

// New returns the IAM handler. The server calls it for requests signed for service "iam",
// with the verified caller in the context (state.CallerFrom) and a request id
// (wire.RequestID).
func New(st *state.Store, cfg state.Config) http.Handler {
	return &service{state.NewService(st, cfg)}
}

func (s *service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, action, err := query.ParseAction(r, APIVersion, func(a string) bool { _, ok := operations[a]; return ok })
	op := operations[action]
	if p != nil { // a request that does not parse keeps the server's guess
		state.SetOperation(ctx, action, err == nil && op.mutating)
	}
	if err != nil {
		s.fail(ctx, w, err)
		return
	}
	if err := s.authorize(ctx, action, p); err != nil {
		s.fail(ctx, w, err)
		return
	}
	res, err := op.fn(s, ctx, p)
	if err != nil {
		s.fail(ctx, w, err)
		return
	}
	wire.QueryResult(ctx, w, wire.IAMNamespace, action, res)
}

func (s *service) fail(ctx context.Context, w http.ResponseWriter, err error) {
	query.WriteError(ctx, w, wire.IAMNamespace, "ServiceFailure", err)
}

// Constraint patterns of the IAM model (aws-wire.md §2.2); the second string of each pair
// is the model's spelling, quoted in ValidationError messages.
var (
	nameRe          = regexp.MustCompile(`^[\w+=,.@-]+$`)
	namePat         = `[\w+=,.@-]+`
	pathRe          = regexp.MustCompile(`^(/|/[\x{21}-\x{7E}]+/)$`)
	pathPat         = `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`
	policyPathRe    = regexp.MustCompile(`^((/[A-Za-z0-9\.,\+@=_-]+)*)/$`)
	policyPathPat   = `((/[A-Za-z0-9\.,\+@=_-]+)*)/`
	pathPrefixRe    = regexp.MustCompile(`^/[\x{21}-\x{7F}]*$`)
	pathPrefixPat   = `\u002F[\u0021-\u007F]*`
	policyDocRe     = regexp.MustCompile(`^[\x{09}\x{0A}\x{0D}\x{20}-\x{FF}]+$`)
	policyDocPat    = `[\u0009\u000A\u000D\u0020-\u00FF]+`
	descriptionRe   = regexp.MustCompile(`^[\x{09}\x{0A}\x{0D}\x{20}-\x{7E}\x{A1}-\x{FF}]*$`)
	descriptionPat  = `[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*`
	tagKeyRe        = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`)
	tagKeyPat       = `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`
	tagValueRe      = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	tagValuePat     = `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`
	versionIDRe     = regexp.MustCompile(`^v[1-9][0-9]*(\.[A-Za-z0-9-]*)?$`)
	versionIDPat    = `v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`
	policyDocMaxLen = 131072
)

// name validates a required IAM name parameter.
func name(v *query.Validator, p query.Params, param, field string, max int) string {
	s, ok := v.Required(p, param, field)
	if ok {
		v.Length(s, field, 1, max)
		v.Pattern(s, field, nameRe, namePat)
	}
	return s
}

// optName validates an optional IAM name parameter.
func optName(v *query.Validator, p query.Params, param, field string, max int) (string, bool) {
	return v.Optional(p, param, field, 1, max, nameRe, namePat)
}

// entityPath validates an optional user/role/group Path (default "/").
func entityPath(v *query.Validator, p query.Params) string {
	return orRoot(v.Optional(p, "Path", "path", 1, 512, pathRe, pathPat))
}

func orRoot(s string, given bool) string {
	if !given {
		return "/"
	}
	return s
}

// pathPrefix validates an optional PathPrefix (default "/").
func pathPrefix(v *query.Validator, p query.Params, re *regexp.Regexp, pat string) string {
	return orRoot(v.Optional(p, "PathPrefix", "pathPrefix", 1, 512, re, pat))
}

func policyDocument(v *query.Validator, p query.Params, param, field string) string {
	s, ok := v.Required(p, param, field)
	if ok {
		v.Length(s, field, 1, policyDocMaxLen)
		v.Pattern(s, field, policyDocRe, policyDocPat)
	}
	return s
}

func description(v *query.Validator, p query.Params, max int) (string, bool) {
	return v.Optional(p, "Description", "description", 0, max, descriptionRe, descriptionPat)
}

// tags validates Tags.member.N (at most 50, keys unique case-insensitively).
func tags(v *query.Validator, p query.Params) ([]state.Tag, error) {
	in := p.Tags("Tags")
	if len(in) > 50 {
		return nil, query.Errorf(400, "LimitExceeded", "The number of tags has reached the maximum limit of 50.")
	}
	seen := map[string]bool{}
	out := make([]state.Tag, 0, len(in))
	for i, t := range in {
		field := "tags." + strconv.Itoa(i+1) + ".member.key"
		v.Length(t.Key, field, 1, 128)
		v.Pattern(t.Key, field, tagKeyRe, tagKeyPat)
		vfield := "tags." + strconv.Itoa(i+1) + ".member.value"
		v.Length(t.Value, vfield, 0, 256)
		v.Pattern(t.Value, vfield, tagValueRe, tagValuePat)
		if seen[strings.ToLower(t.Key)] {
			return nil, query.Errorf(400, "InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[strings.ToLower(t.Key)] = true
		out = append(out, state.Tag{Key: t.Key, Value: t.Value})
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func partition(d *state.Data) string {
	if d.Partition == "" {
		return "aws"
	}
	return d.Partition
}

// arn builds arn:PARTITION:iam::ACCOUNT:KIND<path><name>.
func arn(d *state.Data, kind, path, name string) string {
	return "arn:" + partition(d) + ":iam::" + d.Account + ":" + kind + path + name
}

// uniqueID returns a fresh id with prefix that no entity in used has.
func uniqueID(prefix string, used func(id string) bool) string {
	for {
		id := query.NewID(prefix, 17)
		if !used(id) {
			return id
		}
	}
}

// idInUse reports whether any user, group, role or policy has id.
func idInUse(d *state.Data, id string) bool {
	return hasID(d.Users, id, func(u *state.User) string { return u.UserID }) ||
		hasID(d.Groups, id, func(g *state.Group) string { return g.GroupID }) ||
		hasID(d.Roles, id, func(r *state.Role) string { return r.RoleID }) ||
		hasID(d.Policies, id, func(p *state.ManagedPolicy) string { return p.PolicyID })
}

// hasID reports whether any of m's values has id, as idOf reads it.
func hasID[T any](m map[string]*T, id string, idOf func(*T) string) bool {
	for _, v := range m {
		if idOf(v) == id {
			return true
		}
	}
	return false
}

func noSuchUser(name string) error {
	return query.Errorf(404, "NoSuchEntity", "The user with name %s cannot be found.", name)
}

func noSuchRole(name string) error {
	return query.Errorf(404, "NoSuchEntity", "The role with name %s cannot be found.", name)
}

// callerUserName resolves an omitted UserName to the calling IAM user, as GetUser and
// CreateAccessKey do; role sessions have no user.
func callerUserName(ctx context.Context) (string, error) {
	c := state.CallerFrom(ctx)
	if c == nil || c.Session || c.UserName == "" {
		return "", query.Errorf(400, "ValidationError", "Must specify userName when calling with non-User credentials")
	}
	return c.UserName, nil
}

// XML shapes (element order = model order, aws-wire.md §2.3).

type xmlList[T any] struct {
	Member []T `xml:"member"`
}

type xmlTag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

func xmlTags(tags []state.Tag) *xmlList[xmlTag] {
	if len(tags) == 0 {
		return nil
	}
	l := &xmlList[xmlTag]{}
	for _, t := range tags {
		l.Member = append(l.Member, xmlTag{Key: t.Key, Value: t.Value})
	}
	return l
}

type xmlBoundary struct {
	PermissionsBoundaryType string `xml:"PermissionsBoundaryType"`
	PermissionsBoundaryArn  string `xml:"PermissionsBoundaryArn"`
}

func xmlBoundaryOf(arn string) *xmlBoundary {
	if arn == "" {
		return nil
	}
	return &xmlBoundary{PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: arn}
}

// xmlDetail is what IAM adds to a user or role in GetUser/GetRole and the create calls, and
// leaves out of listings.
type xmlDetail struct {
	PermissionsBoundary *xmlBoundary     `xml:"PermissionsBoundary,omitempty"`
	Tags                *xmlList[xmlTag] `xml:"Tags,omitempty"`
}

func xmlDetailOf(boundary string, tags []state.Tag) xmlDetail {
	return xmlDetail{PermissionsBoundary: xmlBoundaryOf(boundary), Tags: xmlTags(tags)}
}

type xmlUser struct {
	Path       string `xml:"Path"`
	UserName   string `xml:"UserName"`
	UserID     string `xml:"UserId"`
	Arn        string `xml:"Arn"`
	CreateDate string `xml:"CreateDate"`
	xmlDetail
}

// toXMLUser renders a user; full (GetUser, CreateUser) adds its boundary and tags, which
// listings leave out, as IAM does.
func toXMLUser(u *state.User, full bool) xmlUser {
	x := xmlUser{Path: u.Path, UserName: u.UserName, UserID: u.UserID, Arn: u.Arn, CreateDate: wire.ISO(u.CreateDate)}
	if full {
		x.xmlDetail = xmlDetailOf(u.PermissionsBoundary, u.Tags)
	}
	return x
}

type xmlGroup struct {
	Path       string `xml:"Path"`
	GroupName  string `xml:"GroupName"`
	GroupID    string `xml:"GroupId"`
	Arn        string `xml:"Arn"`
	CreateDate string `xml:"CreateDate"`
}

func toXMLGroup(g *state.Group) xmlGroup {
	return xmlGroup{Path: g.Path, GroupName: g.GroupName, GroupID: g.GroupID, Arn: g.Arn, CreateDate: wire.ISO(g.CreateDate)}
}

type xmlRole struct {
	Path                     string `xml:"Path"`
	RoleName                 string `xml:"RoleName"`
	RoleID                   string `xml:"RoleId"`
	Arn                      string `xml:"Arn"`
	CreateDate               string `xml:"CreateDate"`
	AssumeRolePolicyDocument string `xml:"AssumeRolePolicyDocument,omitempty"`
	Description              string `xml:"Description,omitempty"`
	MaxSessionDuration       int    `xml:"MaxSessionDuration,omitempty"`
	xmlDetail
}

func toXMLRole(r *state.Role, withTags bool) xmlRole {
	x := xmlRole{
		Path: r.Path, RoleName: r.RoleName, RoleID: r.RoleID, Arn: r.Arn,
		CreateDate:               wire.ISO(r.CreateDate),
		AssumeRolePolicyDocument: query.EncodePolicy(r.AssumeRolePolicyDocument),
		Description:              r.Description,
		MaxSessionDuration:       maxSession(r),
	}
	if withTags {
		x.xmlDetail = xmlDetailOf(r.PermissionsBoundary, r.Tags)
	}
	return x
}

// maxSession is a role's MaxSessionDuration (a seed may leave it 0: IAM's default is 3600).
func maxSession(r *state.Role) int {
	if r.MaxSessionDuration == 0 {
		return 3600
	}
	return r.MaxSessionDuration
}

type xmlPolicy struct {
	PolicyName                    string           `xml:"PolicyName"`
	PolicyID                      string           `xml:"PolicyId"`
	Arn                           string           `xml:"Arn"`
	Path                          string           `xml:"Path"`
	DefaultVersionID              string           `xml:"DefaultVersionId"`
	AttachmentCount               int              `xml:"AttachmentCount"`
	PermissionsBoundaryUsageCount int              `xml:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool             `xml:"IsAttachable"`
	Description                   string           `xml:"Description,omitempty"`
	CreateDate                    string           `xml:"CreateDate"`
	UpdateDate                    string           `xml:"UpdateDate"`
	Tags                          *xmlList[xmlTag] `xml:"Tags,omitempty"`
}

// toXMLPolicy renders a policy; ListPolicies leaves out Description and Tags, as IAM does.
func toXMLPolicy(p *state.ManagedPolicy, full bool) xmlPolicy {
	x := xmlPolicy{
		PolicyName: p.PolicyName, PolicyID: p.PolicyID, Arn: p.Arn, Path: p.Path,
		DefaultVersionID: defaultVersion(p), AttachmentCount: p.AttachmentCount, PermissionsBoundaryUsageCount: p.BoundaryCount,
		IsAttachable: true, CreateDate: wire.ISO(p.CreateDate), UpdateDate: wire.ISO(p.UpdateDate),
	}
	if full {
		x.Description = p.Description
		x.Tags = xmlTags(p.Tags)
	}
	return x
}

// Operations lists the IAM operations the sandbox implements, sorted.
func Operations() []string { return state.SortedKeys(operations) }
