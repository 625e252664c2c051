package iam

import (
	"context"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"eksaccess/internal/sandbox/query"
	"eksaccess/internal/sandbox/state"
	"eksaccess/internal/sandbox/wire"
)

// IAM quotas (IAM User Guide, "IAM and AWS STS quotas"): managed policies per user, group
// and role (default 10), groups a user is in (10), the aggregate size of a principal's inline
// policies (user 2048, group 5120, role 10240 characters, whitespace excluded).
const (
	maxPoliciesPerUser  = 10
	maxPoliciesPerGroup = 10
	maxGroupsPerUser    = 10
	maxTags             = 50
)

var maxInlineSize = map[string]int{"user": 2048, "group": 5120, "role": 10240}

// entity is a user, group or role seen through what the policy, tag and boundary
// operations share.
type entity struct {
	kind     string // user | group | role
	name     string
	id       string
	arn      string
	inline   *map[string]string
	attached *[]string
	boundary *string      // nil for groups
	tags     *[]state.Tag // nil for groups
	role     *state.Role
}

func lookupEntity(d *state.Data, kind, name string) (*entity, error) {
	switch kind {
	case "user":
		u, err := find(d.Users, name, noSuchUser)
		if err != nil {
			return nil, err
		}
		return &entity{kind: kind, name: u.UserName, id: u.UserID, arn: u.Arn, inline: &u.InlinePolicies, attached: &u.AttachedPolicies, boundary: &u.PermissionsBoundary, tags: &u.Tags}, nil
	case "group":
		g, err := find(d.Groups, name, noSuchGroup)
		if err != nil {
			return nil, err
		}
		return &entity{kind: kind, name: g.GroupName, id: g.GroupID, arn: g.Arn, inline: &g.InlinePolicies, attached: &g.AttachedPolicies}, nil
	case "role":
		r, err := find(d.Roles, name, noSuchRole)
		if err != nil {
			return nil, err
		}
		return &entity{kind: kind, name: r.RoleName, id: r.RoleID, arn: r.Arn, inline: &r.InlinePolicies, attached: &r.AttachedPolicies, boundary: &r.PermissionsBoundary, tags: &r.Tags, role: r}, nil
	}
	return nil, query.Errorf(500, "ServiceFailure", "unknown entity kind %s", kind)
}

// entityParam is the request parameter naming an entity of kind, and the model's maximum
// length of that name for the operation.
func entityName(v *query.Validator, p query.Params, kind string, max int) string {
	switch kind {
	case "user":
		return name(v, p, "UserName", "userName", max)
	case "group":
		return name(v, p, "GroupName", "groupName", 128)
	}
	return name(v, p, "RoleName", "roleName", 64)
}

func (e *entity) modifiable() error {
	if e.role != nil {
		return unmodifiable(e.role)
	}
	return nil
}

// inlineSize is the size IAM counts against the inline-policy quota: the documents'
// characters without whitespace.
func inlineSize(docs map[string]string) int {
	n := 0
	for _, d := range docs {
		for _, r := range d {
			if r != ' ' && r != '\t' && r != '\n' && r != '\r' {
				n++
			}
		}
	}
	return n
}

// handler is the signature of an IAM operation in the operations table.
type handler = func(*service, context.Context, query.Params) (any, error)

// changeEntity runs fn on entity kind n of the caller's account under the write lock, after
// refusing a service-linked role; the answer is empty.
func (s *service) changeEntity(ctx context.Context, kind, n string, fn func(root, d *state.Data, e *entity) error) (any, error) {
	return s.change(ctx, func(root, d *state.Data) error {
		e, err := lookupEntity(d, kind, n)
		if err != nil {
			return err
		}
		if err := e.modifiable(); err != nil {
			return err
		}
		return fn(root, d, e)
	})
}

// readEntity answers what fn computes from entity kind n of the caller's account.
func readEntity[T any](s *service, ctx context.Context, kind, n string, fn func(root, d *state.Data, e *entity) (T, error)) (any, error) {
	return read(s, ctx, func(root, d *state.Data) (T, error) {
		e, err := lookupEntity(d, kind, n)
		if err != nil {
			var zero T
			return zero, err
		}
		return fn(root, d, e)
	})
}

// listOfEntity is the handler of a listing of something an entity of kind holds (its inline
// policy names, its tags): it takes only the entity's name and the paging parameters, which
// list reads from p.
func listOfEntity[T any](kind string, list func(p query.Params, e *entity) (T, error)) handler {
	return func(s *service, ctx context.Context, p query.Params) (any, error) {
		n, err := entityAnd(p, kind, 128, nil)
		if err != nil {
			return nil, err
		}
		return readEntity(s, ctx, kind, n, func(_, _ *state.Data, e *entity) (T, error) { return list(p, e) })
	}
}

// entityAnd validates the entity name of kind (at most max characters) and what more adds.
func entityAnd(p query.Params, kind string, max int, more func(*query.Validator)) (string, error) {
	var v query.Validator
	n := entityName(&v, p, kind, max)
	if more != nil {
		more(&v)
	}
	return n, v.Err()
}

// --- inline policies -------------------------------------------------------------------

type inlinePolicyResult struct {
	UserName       string `xml:"UserName,omitempty"`
	GroupName      string `xml:"GroupName,omitempty"`
	RoleName       string `xml:"RoleName,omitempty"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

// inlineParams validates the entity name and PolicyName of an inline-policy operation.
func inlineParams(p query.Params, kind string, more func(*query.Validator)) (n, pn string, err error) {
	n, err = entityAnd(p, kind, 128, func(v *query.Validator) {
		pn = name(v, p, "PolicyName", "policyName", 128)
		if more != nil {
			more(v)
		}
	})
	return n, pn, err
}

// inlineKey is the name under which e keeps inline policy pn (names compare
// case-insensitively), or "" if it has none.
func inlineKey(e *entity, pn string) string {
	for k := range *e.inline {
		if strings.EqualFold(k, pn) {
			return k
		}
	}
	return ""
}

func noSuchInline(kind, pn string) error {
	return query.Errorf(404, "NoSuchEntity", "The %s policy with name %s cannot be found.", titleKind(kind), pn)
}

func putInline(kind string) handler {
	return func(s *service, ctx context.Context, p query.Params) (any, error) {
		var doc string
		n, pn, err := inlineParams(p, kind, func(v *query.Validator) {
			doc = policyDocument(v, p, "PolicyDocument", "policyDocument")
		})
		if err != nil {
			return nil, err
		}
		if err := validateIdentity(doc); err != nil {
			return nil, err
		}
		return s.changeEntity(ctx, kind, n, func(_, _ *state.Data, e *entity) error {
			next := map[string]string{}
			for k, x := range *e.inline {
				if !strings.EqualFold(k, pn) {
					next[k] = x
				}
			}
			next[pn] = doc
			if size := inlineSize(next); size > maxInlineSize[kind] {
				return query.Errorf(409, "LimitExceeded", "Maximum policy size of %d bytes exceeded for %s %s", maxInlineSize[kind], kind, e.name)
			}
			*e.inline = next
			return nil
		})
	}
}

func getInline(kind string) handler {
	return func(s *service, ctx context.Context, p query.Params) (any, error) {
		n, pn, err := inlineParams(p, kind, nil)
		if err != nil {
			return nil, err
		}
		return readEntity(s, ctx, kind, n, func(_, _ *state.Data, e *entity) (inlinePolicyResult, error) {
			k := inlineKey(e, pn)
			if k == "" {
				return inlinePolicyResult{}, noSuchInline(kind, pn)
			}
			res := inlinePolicyResult{PolicyName: k, PolicyDocument: query.EncodePolicy((*e.inline)[k])}
			switch kind {
			case "user":
				res.UserName = e.name
			case "group":
				res.GroupName = e.name
			case "role":
				res.RoleName = e.name
			}
			return res, nil
		})
	}
}

func titleKind(kind string) string { return strings.ToUpper(kind[:1]) + kind[1:] }

func deleteInline(kind string) handler {
	return func(s *service, ctx context.Context, p query.Params) (any, error) {
		n, pn, err := inlineParams(p, kind, nil)
		if err != nil {
			return nil, err
		}
		return s.changeEntity(ctx, kind, n, func(_, _ *state.Data, e *entity) error {
			k := inlineKey(e, pn)
			if k == "" {
				return noSuchInline(kind, pn)
			}
			delete(*e.inline, k)
			if len(*e.inline) == 0 {
				*e.inline = nil
			}
			return nil
		})
	}
}

func listInline(kind string) handler {
	return listOfEntity(kind, func(p query.Params, e *entity) (listed[string], error) {
		return pageOf(p, "PolicyNames", state.SortedKeys(*e.inline), func(k string) string { return k })
	})
}

// --- managed policy attachments --------------------------------------------------------

var attachQuota = map[string]int{"user": maxPoliciesPerUser, "group": maxPoliciesPerGroup, "role": maxPoliciesPerRole}

// attachParams validates the entity name and PolicyArn of an attachment operation.
func attachParams(p query.Params, kind string) (n, pa string, err error) {
	var v query.Validator
	n = entityName(&v, p, kind, 64)
	pa = policyArn(&v, p)
	return n, pa, valid(&v, pa)
}

func attachPolicy(kind string) handler {
	return func(s *service, ctx context.Context, p query.Params) (any, error) {
		n, pa, err := attachParams(p, kind)
		if err != nil {
			return nil, err
		}
		return s.change(ctx, func(root, d *state.Data) error {
			e, err := lookupEntity(d, kind, n)
			if err != nil {
				return err
			}
			pol := managedPolicy(root, d, pa)
			if pol == nil {
				return query.Errorf(404, "NoSuchEntity", "Policy %s does not exist or is not attachable.", pa)
			}
			if err := e.modifiable(); err != nil {
				return err
			}
			if slices.Contains(*e.attached, pa) {
				return nil // attaching again changes nothing, as in IAM
			}
			if q := attachQuota[kind]; len(*e.attached) >= q {
				return query.Errorf(409, "LimitExceeded", "Cannot exceed quota for PoliciesPer%s: %d", titleKind(kind), q)
			}
			*e.attached = append(*e.attached, pa)
			pol.AttachmentCount++
			return nil
		})
	}
}

func detachPolicy(kind string) handler {
	return func(s *service, ctx context.Context, p query.Params) (any, error) {
		n, pa, err := attachParams(p, kind)
		if err != nil {
			return nil, err
		}
		return s.changeEntity(ctx, kind, n, func(root, d *state.Data, e *entity) error {
			idx := -1
			for i, a := range *e.attached {
				if a == pa {
					idx = i
				}
			}
			if idx < 0 {
				return query.Errorf(404, "NoSuchEntity", "Policy %s was not found.", pa)
			}
			l := *e.attached
			*e.attached = append(l[:idx:idx], l[idx+1:]...)
			if pol := managedPolicy(root, d, pa); pol != nil && pol.AttachmentCount > 0 {
				pol.AttachmentCount--
			}
			return nil
		})
	}
}

func listAttached(kind string) handler {
	return func(s *service, ctx context.Context, p query.Params) (any, error) {
		var prefix string
		n, err := entityAnd(p, kind, 64, func(v *query.Validator) {
			prefix = pathPrefix(v, p, policyPathRe, policyPathPat)
		})
		if err != nil {
			return nil, err
		}
		return readEntity(s, ctx, kind, n, func(root, d *state.Data, e *entity) (listed[xmlAttachedPolicy], error) {
			// Keys sort by policy name then ARN, so pages are stable.
			byKey := map[string]*state.ManagedPolicy{}
			for _, a := range *e.attached {
				pol := managedPolicy(root, d, a)
				if pol == nil || !strings.HasPrefix(pol.Path, prefix) {
					continue
				}
				byKey[pol.PolicyName+"\x00"+pol.Arn] = pol
			}
			return pageOf(p, "AttachedPolicies", state.SortedKeys(byKey), func(k string) xmlAttachedPolicy {
				return xmlAttachedPolicy{PolicyName: byKey[k].PolicyName, PolicyArn: byKey[k].Arn}
			})
		})
	}
}

// managedPolicy finds a managed policy by ARN: the account's own, or an AWS managed one
// (kept once, in the primary account's data).
func managedPolicy(root, d *state.Data, arn string) *state.ManagedPolicy {
	if p, ok := d.Policies[arn]; ok {
		return p
	}
	if p, ok := root.Policies[arn]; ok && p.AWSManaged {
		return p
	}
	return nil
}

// --- permissions boundaries ------------------------------------------------------------

func putBoundary(kind string) handler {
	return func(s *service, ctx context.Context, p query.Params) (any, error) {
		var pa string
		n, err := entityAnd(p, kind, 64, func(v *query.Validator) {
			var ok bool
			if pa, ok = v.Required(p, "PermissionsBoundary", "permissionsBoundary"); ok {
				v.Length(pa, "permissionsBoundary", 20, 2048)
			}
		})
		if err != nil {
			return nil, err
		}
		if err := checkArn(pa); err != nil {
			return nil, err
		}
		return s.changeEntity(ctx, kind, n, func(root, d *state.Data, e *entity) error {
			return setBoundary(root, d, e.boundary, pa)
		})
	}
}

// setBoundary sets *b to policy ARN pa ("" removes it), keeping usage counts.
func setBoundary(root, d *state.Data, b *string, pa string) error {
	var pol *state.ManagedPolicy
	if pa != "" {
		if pol = managedPolicy(root, d, pa); pol == nil {
			return query.Errorf(404, "NoSuchEntity", "Scope ARN: %s does not exist or is not attachable.", pa)
		}
	}
	if *b != "" {
		if old := managedPolicy(root, d, *b); old != nil && old.BoundaryCount > 0 {
			old.BoundaryCount--
		}
	}
	*b = pa
	if pol != nil {
		pol.BoundaryCount++
	}
	return nil
}

func deleteBoundary(kind string) handler {
	return func(s *service, ctx context.Context, p query.Params) (any, error) {
		n, err := entityAnd(p, kind, 64, nil)
		if err != nil {
			return nil, err
		}
		return s.changeEntity(ctx, kind, n, func(root, d *state.Data, e *entity) error {
			if *e.boundary == "" {
				return query.Errorf(404, "NoSuchEntity", "The %s with name %s has no permissions boundary.", kind, e.name)
			}
			return setBoundary(root, d, e.boundary, "")
		})
	}
}

// --- tags --------------------------------------------------------------------------------

func tagEntity(kind string) handler {
	return func(s *service, ctx context.Context, p query.Params) (any, error) {
		var v query.Validator
		n := entityName(&v, p, kind, 128)
		in, err := tags(&v, p)
		if err != nil {
			return nil, err
		}
		if _, given := p["Tags"]; !given && len(in) == 0 {
			v.Required(p, "Tags", "tags")
		}
		if err := v.Err(); err != nil {
			return nil, err
		}
		return s.changeEntity(ctx, kind, n, func(_, _ *state.Data, e *entity) error {
			merged := append([]state.Tag(nil), (*e.tags)...)
			for _, t := range in {
				found := false
				for i := range merged {
					if strings.EqualFold(merged[i].Key, t.Key) {
						merged[i].Value = t.Value
						found = true
					}
				}
				if !found {
					merged = append(merged, t)
				}
			}
			if len(merged) > maxTags {
				return query.Errorf(409, "LimitExceeded", "The number of tags has reached the maximum limit of %d.", maxTags)
			}
			*e.tags = merged
			return nil
		})
	}
}

func untagEntity(kind string) handler {
	return func(s *service, ctx context.Context, p query.Params) (any, error) {
		var v query.Validator
		n := entityName(&v, p, kind, 128)
		keys := p.List("TagKeys")
		if _, given := p["TagKeys"]; len(keys) == 0 && !given {
			v.Required(p, "TagKeys", "tagKeys")
		}
		if len(keys) > 50 {
			return nil, query.Errorf(400, "ValidationError", "1 validation error detected: Value at 'tagKeys' failed to satisfy constraint: Member must have length less than or equal to 50")
		}
		for i, k := range keys {
			field := "tagKeys." + strconv.Itoa(i+1) + ".member"
			v.Length(k, field, 1, 128)
			v.Pattern(k, field, tagKeyRe, tagKeyPat)
		}
		if err := v.Err(); err != nil {
			return nil, err
		}
		return s.changeEntity(ctx, kind, n, func(_, _ *state.Data, e *entity) error {
			var kept []state.Tag
			for _, t := range *e.tags {
				drop := false
				for _, k := range keys {
					if strings.EqualFold(k, t.Key) {
						drop = true
					}
				}
				if !drop {
					kept = append(kept, t)
				}
			}
			*e.tags = kept
			return nil
		})
	}
}

func listEntityTags(kind string) handler {
	return listOfEntity(kind, func(p query.Params, e *entity) (listed[xmlTag], error) {
		byKey := map[string]state.Tag{}
		for _, t := range *e.tags {
			byKey[t.Key] = t
		}
		return pageOf(p, "Tags", state.SortedKeys(byKey), func(k string) xmlTag { return xmlTag{Key: k, Value: byKey[k].Value} })
	})
}

// --- users, groups, access keys, MFA devices ---------------------------------------------

// deleteNamed answers DeleteUser, DeleteGroup and DeleteRole: it deletes the entity of kind
// the request names from the caller's account's collection (of), once release has found
// nothing that must go first (a DeleteConflict) and let go of what the entity holds.
func deleteNamed[T any](s *service, ctx context.Context, p query.Params, kind string, of func(*state.Data) map[string]*T, missing func(string) error, release func(root, d *state.Data, x *T) error) (any, error) {
	n, err := entityAnd(p, kind, 128, nil) // a role's name: at most 64 (entityName)
	if err != nil {
		return nil, err
	}
	return s.change(ctx, func(root, d *state.Data) error {
		x, err := find(of(d), n, missing)
		if err != nil {
			return err
		}
		if err := release(root, d, x); err != nil {
			return err
		}
		delete(of(d), strings.ToLower(n))
		return nil
	})
}

func (s *service) deleteUser(ctx context.Context, p query.Params) (any, error) {
	return deleteNamed(s, ctx, p, "user", allUsers, noSuchUser, func(root, d *state.Data, u *state.User) error {
		conflict := func(what string) error {
			return query.Errorf(409, "DeleteConflict", "Cannot delete entity, must %s first.", what)
		}
		if len(ownedBy(d.AccessKeys, u.UserName, func(k *state.AccessKey) string { return k.UserName })) > 0 {
			return conflict("delete access keys")
		}
		if len(ownedBy(d.MFADevices, u.UserName, func(m *state.MFADevice) string { return m.UserName })) > 0 {
			return conflict("delete MFA device")
		}
		if len(u.InlinePolicies) > 0 || len(u.AttachedPolicies) > 0 {
			return conflict("detach all policies")
		}
		if len(groupsOf(d, u.UserName)) > 0 {
			return conflict("remove user from all groups")
		}
		if u.PermissionsBoundary != "" {
			setBoundary(root, d, &u.PermissionsBoundary, "")
		}
		return nil
	})
}

func member(g *state.Group, user string) bool {
	for _, m := range g.Members {
		if strings.EqualFold(m, user) {
			return true
		}
	}
	return false
}

// groupsOf returns the keys of the groups user is in, sorted.
func groupsOf(d *state.Data, user string) []string {
	var keys []string
	for _, k := range state.SortedKeys(d.Groups) {
		if member(d.Groups[k], user) {
			keys = append(keys, k)
		}
	}
	return keys
}

type createGroupResult struct {
	Group xmlGroup `xml:"Group"`
}

func (s *service) createGroup(ctx context.Context, p query.Params) (any, error) {
	var v query.Validator
	n := name(&v, p, "GroupName", "groupName", 128)
	path := entityPath(&v, p)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return write(s, ctx, func(root, d *state.Data) (createGroupResult, error) {
		g := &state.Group{
			Path: path, GroupName: n, Arn: arn(d, "group", path, n), CreateDate: s.Now(), Members: []string{},
			GroupID: uniqueID("AGPA", func(id string) bool { return idInUse(d, id) }),
		}
		if err := add(root, d, &d.Groups, newEntity{name: n}, "Group", g, nil); err != nil {
			return createGroupResult{}, err
		}
		return createGroupResult{Group: toXMLGroup(g)}, nil
	})
}

func (s *service) deleteGroup(ctx context.Context, p query.Params) (any, error) {
	return deleteNamed(s, ctx, p, "group", allGroups, noSuchGroup, func(_, _ *state.Data, g *state.Group) error {
		if len(g.Members) > 0 {
			return query.Errorf(409, "DeleteConflict", "Cannot delete entity, must remove users from group first.")
		}
		if len(g.InlinePolicies) > 0 || len(g.AttachedPolicies) > 0 {
			return query.Errorf(409, "DeleteConflict", "Cannot delete entity, must delete policies first.")
		}
		return nil
	})
}

func membership(add bool) handler {
	return func(s *service, ctx context.Context, p query.Params) (any, error) {
		var v query.Validator
		gn := name(&v, p, "GroupName", "groupName", 128)
		un := name(&v, p, "UserName", "userName", 128)
		if err := v.Err(); err != nil {
			return nil, err
		}
		return s.change(ctx, func(root, d *state.Data) error {
			g, err := find(d.Groups, gn, noSuchGroup)
			if err != nil {
				return err
			}
			u, err := find(d.Users, un, noSuchUser)
			if err != nil {
				return err
			}
			if !add {
				kept := []string{}
				for _, m := range g.Members {
					if !strings.EqualFold(m, u.UserName) {
						kept = append(kept, m)
					}
				}
				if len(kept) == len(g.Members) {
					return query.Errorf(404, "NoSuchEntity", "The user with name %s cannot be found in group %s.", un, g.GroupName)
				}
				g.Members = kept
				return nil
			}
			if member(g, u.UserName) {
				return nil // adding again changes nothing, as in IAM
			}
			if len(groupsOf(d, u.UserName)) >= maxGroupsPerUser {
				return query.Errorf(409, "LimitExceeded", "Cannot exceed quota for GroupsPerUser: %d", maxGroupsPerUser)
			}
			g.Members = append(g.Members, u.UserName)
			return nil
		})
	}
}

func (s *service) listGroupsForUser(ctx context.Context, p query.Params) (any, error) {
	un, err := entityAnd(p, "user", 128, nil)
	if err != nil {
		return nil, err
	}
	return readNamed(s, ctx, allUsers, un, noSuchUser, func(d *state.Data, u *state.User) (listed[xmlGroup], error) {
		return pageOf(p, "Groups", groupsOf(d, u.UserName), func(k string) xmlGroup { return toXMLGroup(d.Groups[k]) })
	})
}

type xmlAccessKeyMetadata struct {
	UserName    string `xml:"UserName"`
	AccessKeyID string `xml:"AccessKeyId"`
	Status      string `xml:"Status"`
	CreateDate  string `xml:"CreateDate"`
}

// userOrCaller validates an optional UserName, defaulting to the calling user.
func userOrCaller(ctx context.Context, v *query.Validator, p query.Params) (string, error) {
	un, given := optName(v, p, "UserName", "userName", 128)
	if err := v.Err(); err != nil {
		return "", err
	}
	if !given {
		return callerUserName(ctx)
	}
	return un, nil
}

// readUser answers what fn computes from the user an operation on a user or the user's
// items names by its optional UserName (default: the caller).
func readUser[R any](s *service, ctx context.Context, p query.Params, fn func(d *state.Data, u *state.User) (R, error)) (any, error) {
	var v query.Validator
	un, err := userOrCaller(ctx, &v, p)
	if err != nil {
		return nil, err
	}
	return readNamed(s, ctx, allUsers, un, noSuchUser, fn)
}

func (s *service) listAccessKeys(ctx context.Context, p query.Params) (any, error) {
	return readUser(s, ctx, p, func(d *state.Data, u *state.User) (listed[xmlAccessKeyMetadata], error) {
		keys := ownedBy(d.AccessKeys, u.UserName, func(k *state.AccessKey) string { return k.UserName })
		return pageOf(p, "AccessKeyMetadata", keys, func(id string) xmlAccessKeyMetadata {
			k := d.AccessKeys[id]
			return xmlAccessKeyMetadata{UserName: u.UserName, AccessKeyID: id, Status: keyStatus(k), CreateDate: wire.ISO(k.CreateDate)}
		})
	})
}

func keyStatus(k *state.AccessKey) string {
	if k.Status == "" {
		return "Active"
	}
	return k.Status
}

var accessKeyIDRe = regexp.MustCompile(`^[\w]+$`)

func accessKeyParam(v *query.Validator, p query.Params) string {
	id, ok := v.Required(p, "AccessKeyId", "accessKeyId")
	if ok {
		v.Length(id, "accessKeyId", 16, 128)
		v.Pattern(id, "accessKeyId", accessKeyIDRe, `[\w]+`)
	}
	return id
}

// userKey finds access key id of user un (the key must be the user's).
func userKey(d *state.Data, un, id string) (*state.AccessKey, error) {
	if _, ok := d.Users[strings.ToLower(un)]; !ok {
		return nil, noSuchUser(un)
	}
	k, ok := d.AccessKeys[id]
	if !ok || !strings.EqualFold(k.UserName, un) {
		return nil, query.Errorf(404, "NoSuchEntity", "The Access Key with id %s cannot be found.", id)
	}
	return k, nil
}

func (s *service) updateAccessKey(ctx context.Context, p query.Params) (any, error) {
	var v query.Validator
	id := accessKeyParam(&v, p)
	st, ok := v.Required(p, "Status", "status")
	if ok {
		v.Enum(st, "status", "Active", "Inactive", "Expired")
	}
	un, err := userOrCaller(ctx, &v, p)
	if err != nil {
		return nil, err
	}
	if st == "Expired" {
		return nil, query.Errorf(400, "InvalidInput", "Status Expired is not valid: set an access key Active or Inactive.")
	}
	return s.change(ctx, func(root, d *state.Data) error {
		k, err := userKey(d, un, id)
		if err != nil {
			return err
		}
		k.Status = st
		return nil
	})
}

func (s *service) deleteAccessKey(ctx context.Context, p query.Params) (any, error) {
	var v query.Validator
	id := accessKeyParam(&v, p)
	un, err := userOrCaller(ctx, &v, p)
	if err != nil {
		return nil, err
	}
	return s.change(ctx, func(root, d *state.Data) error {
		if _, err := userKey(d, un, id); err != nil {
			return err
		}
		delete(d.AccessKeys, id)
		return nil
	})
}

type xmlMFADevice struct {
	UserName     string `xml:"UserName"`
	SerialNumber string `xml:"SerialNumber"`
	EnableDate   string `xml:"EnableDate"`
}

func (s *service) listMFADevices(ctx context.Context, p query.Params) (any, error) {
	return readUser(s, ctx, p, func(d *state.Data, u *state.User) (listed[xmlMFADevice], error) {
		keys := ownedBy(d.MFADevices, u.UserName, func(m *state.MFADevice) string { return m.UserName })
		return pageOf(p, "MFADevices", keys, func(k string) xmlMFADevice {
			m := d.MFADevices[k]
			enabled := m.EnableDate
			if enabled.IsZero() {
				enabled = u.CreateDate
			}
			return xmlMFADevice{UserName: u.UserName, SerialNumber: m.SerialNumber, EnableDate: wire.ISO(enabled)}
		})
	})
}

// --- managed policy lifecycle ------------------------------------------------------------

// ownPolicy finds managed policy pa for a change: an AWS managed one is refused as IAM
// refuses it, AccessDenied for action.
func (s *service) ownPolicy(ctx context.Context, root, d *state.Data, pa, action string) (*state.ManagedPolicy, error) {
	pol := managedPolicy(root, d, pa)
	if pol == nil {
		return nil, noSuchPolicy(pa)
	}
	if pol.AWSManaged {
		who := "anonymous"
		if c := state.CallerFrom(ctx); c != nil {
			who = c.Arn
		}
		return nil, query.Errorf(403, "AccessDenied", "User: %s is not authorized to perform: iam:%s on resource: policy %s", who, action, pa)
	}
	return pol, nil
}

// changePolicy validates PolicyArn (and what more adds) and runs fn on the caller's own
// managed policy under the write lock; the answer is empty.
func (s *service) changePolicy(ctx context.Context, p query.Params, action string, more func(*query.Validator), fn func(d *state.Data, pa string, pol *state.ManagedPolicy) error) (any, error) {
	pa, err := policyParams(p, more)
	if err != nil {
		return nil, err
	}
	return s.change(ctx, func(root, d *state.Data) error {
		pol, err := s.ownPolicy(ctx, root, d, pa, action)
		if err != nil {
			return err
		}
		return fn(d, pa, pol)
	})
}

func (s *service) deletePolicy(ctx context.Context, p query.Params) (any, error) {
	return s.changePolicy(ctx, p, "DeletePolicy", nil, func(d *state.Data, pa string, pol *state.ManagedPolicy) error {
		if pol.AttachmentCount > 0 || pol.BoundaryCount > 0 {
			return query.Errorf(409, "DeleteConflict", "Cannot delete a policy attached to entities.")
		}
		if len(versions(pol)) > 1 {
			return query.Errorf(409, "DeleteConflict", "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
		}
		delete(d.Policies, pa)
		return nil
	})
}

func (s *service) listPolicyVersions(ctx context.Context, p query.Params) (any, error) {
	pa, err := policyParams(p, nil)
	if err != nil {
		return nil, err
	}
	return readPolicy(s, ctx, pa, func(pol *state.ManagedPolicy) (listed[xmlPolicyVersion], error) {
		// Newest first, as IAM lists them; keys sort that way (zero-padded, inverted).
		byKey := map[string]state.PolicyVersion{}
		for _, pv := range versions(pol) {
			num, _, _ := strings.Cut(strings.TrimPrefix(pv.VersionID, "v"), ".")
			n, _ := strconv.Atoi(num)
			byKey[strconv.Itoa(1_000_000_000-n)+pv.VersionID] = pv
		}
		return pageOf(p, "Versions", state.SortedKeys(byKey), func(k string) xmlPolicyVersion {
			pv := byKey[k]
			return xmlPolicyVersion{VersionID: pv.VersionID, IsDefaultVersion: pv.VersionID == defaultVersion(pol), CreateDate: wire.ISO(pv.CreateDate)}
		})
	})
}

func versionParam(v *query.Validator, p query.Params) string {
	vid, ok := v.Required(p, "VersionId", "versionId")
	if ok {
		v.Pattern(vid, "versionId", versionIDRe, versionIDPat)
	}
	return vid
}

// changeVersion runs fn on version vid (the request's VersionId) of the managed policy the
// request names, under the write lock; vs are the policy's versions, i is vid's index in vs.
func (s *service) changeVersion(ctx context.Context, p query.Params, action string, fn func(pol *state.ManagedPolicy, vs []state.PolicyVersion, i int, vid string) error) (any, error) {
	var vid string
	return s.changePolicy(ctx, p, action, func(v *query.Validator) { vid = versionParam(v, p) }, func(_ *state.Data, pa string, pol *state.ManagedPolicy) error {
		vs := versions(pol)
		i, err := findVersion(pa, vs, vid)
		if err != nil {
			return err
		}
		return fn(pol, vs, i, vid)
	})
}

func (s *service) deletePolicyVersion(ctx context.Context, p query.Params) (any, error) {
	return s.changeVersion(ctx, p, "DeletePolicyVersion", func(pol *state.ManagedPolicy, vs []state.PolicyVersion, i int, vid string) error {
		if vid == defaultVersion(pol) {
			return query.Errorf(409, "DeleteConflict", "Cannot delete the default version of a policy.")
		}
		pol.Versions = append(append([]state.PolicyVersion{}, vs[:i]...), vs[i+1:]...)
		pol.UpdateDate = s.Now()
		return nil
	})
}

func (s *service) setDefaultPolicyVersion(ctx context.Context, p query.Params) (any, error) {
	return s.changeVersion(ctx, p, "SetDefaultPolicyVersion", func(pol *state.ManagedPolicy, vs []state.PolicyVersion, i int, vid string) error {
		pol.Versions = vs
		pol.DefaultVersionID = vid
		pol.Document = vs[i].Document
		pol.UpdateDate = s.Now()
		return nil
	})
}

type xmlPolicyGroup struct {
	GroupName string `xml:"GroupName"`
	GroupID   string `xml:"GroupId"`
}

type xmlPolicyUser struct {
	UserName string `xml:"UserName"`
	UserID   string `xml:"UserId"`
}

type xmlPolicyRole struct {
	RoleName string `xml:"RoleName"`
	RoleID   string `xml:"RoleId"`
}

type listEntitiesForPolicyResult struct {
	PolicyGroups xmlList[xmlPolicyGroup] `xml:"PolicyGroups"`
	PolicyUsers  xmlList[xmlPolicyUser]  `xml:"PolicyUsers"`
	PolicyRoles  xmlList[xmlPolicyRole]  `xml:"PolicyRoles"`
	page
}

func (s *service) listEntitiesForPolicy(ctx context.Context, p query.Params) (any, error) {
	var v query.Validator
	pa := policyArn(&v, p)
	filter, hasFilter := p.Get("EntityFilter")
	if hasFilter {
		v.Enum(filter, "entityFilter", "User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy")
	}
	usage, hasUsage := p.Get("PolicyUsageFilter")
	if hasUsage {
		v.Enum(usage, "policyUsageFilter", "PermissionsPolicy", "PermissionsBoundary")
	}
	prefix := pathPrefix(&v, p, pathRe, pathPat)
	if err := valid(&v, pa); err != nil {
		return nil, err
	}
	return read(s, ctx, func(root, d *state.Data) (res listEntitiesForPolicyResult, err error) {
		if managedPolicy(root, d, pa) == nil {
			return res, noSuchPolicy(pa)
		}
		uses := func(attached []string, boundary string) bool {
			perm := usage != "PermissionsBoundary" && slices.Contains(attached, pa)
			bound := usage != "PermissionsPolicy" && boundary == pa
			return perm || bound
		}
		want := func(kind string) bool { return !hasFilter || filter == kind }
		var keys []string
		if want("Group") {
			for k, g := range d.Groups {
				if strings.HasPrefix(g.Path, prefix) && usage != "PermissionsBoundary" && slices.Contains(g.AttachedPolicies, pa) {
					keys = append(keys, "g\x00"+k)
				}
			}
		}
		if want("User") {
			for k, u := range d.Users {
				if strings.HasPrefix(u.Path, prefix) && uses(u.AttachedPolicies, u.PermissionsBoundary) {
					keys = append(keys, "u\x00"+k)
				}
			}
		}
		if want("Role") {
			for k, r := range d.Roles {
				if strings.HasPrefix(r.Path, prefix) && uses(r.AttachedPolicies, r.PermissionsBoundary) {
					keys = append(keys, "r\x00"+k)
				}
			}
		}
		sort.Strings(keys)
		pg, err := query.Paginate(p, keys)
		if err != nil {
			return res, err
		}
		res.PolicyGroups.Member, res.PolicyUsers.Member, res.PolicyRoles.Member = []xmlPolicyGroup{}, []xmlPolicyUser{}, []xmlPolicyRole{}
		for _, k := range keys[pg.Start:pg.End] {
			kind, key, _ := strings.Cut(k, "\x00")
			switch kind {
			case "g":
				res.PolicyGroups.Member = append(res.PolicyGroups.Member, xmlPolicyGroup{GroupName: d.Groups[key].GroupName, GroupID: d.Groups[key].GroupID})
			case "u":
				res.PolicyUsers.Member = append(res.PolicyUsers.Member, xmlPolicyUser{UserName: d.Users[key].UserName, UserID: d.Users[key].UserID})
			case "r":
				res.PolicyRoles.Member = append(res.PolicyRoles.Member, xmlPolicyRole{RoleName: d.Roles[key].RoleName, RoleID: d.Roles[key].RoleID})
			}
		}
		res.IsTruncated, res.Marker = pg.IsTruncated, pg.Marker
		return res, nil
	})
}
