package iam

import (
	"context"
	"errors"
	"strings"

	"eksaccess/internal/sandbox/iam/policydoc"
	"eksaccess/internal/sandbox/query"
	"eksaccess/internal/sandbox/state"
)

// maxPoliciesPerRole is IAM's default quota of managed policies attached to one role.
const maxPoliciesPerRole = 10

// PrincipalExists reports whether arn names an existing user or role of d (path included,
// names case-insensitive).
func PrincipalExists(d *state.Data, arn string) bool {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 {
		return false
	}
	res := parts[5]
	kind, rest, ok := strings.Cut(res, "/")
	if !ok {
		return false
	}
	n := rest[strings.LastIndex(rest, "/")+1:]
	switch kind {
	case "user":
		u, ok := d.Users[strings.ToLower(n)]
		return ok && strings.EqualFold(u.Arn, arn)
	case "role":
		r, ok := d.Roles[strings.ToLower(n)]
		return ok && strings.EqualFold(r.Arn, arn)
	}
	return false
}

// validateTrust checks a trust policy and turns policydoc's refusals into
// MalformedPolicyDocument.
func validateTrust(d *state.Data, doc string) error {
	err := policydoc.ValidateTrust(doc, d.Account, func(arn string) bool { return PrincipalExists(d, arn) })
	var me *policydoc.MalformedError
	if errors.As(err, &me) {
		return query.Errorf(400, "MalformedPolicyDocument", "%s", me.Msg)
	}
	return err
}

type getRoleResult struct {
	Role xmlRole `xml:"Role"`
}

func (s *service) getRole(ctx context.Context, p query.Params) (any, error) {
	var v query.Validator
	roleName := name(&v, p, "RoleName", "roleName", 64)
	if err := v.Err(); err != nil {
		return nil, err
	}
	var res getRoleResult
	err := s.st.Read(func(root *state.Data) error {
		d := state.AccountData(ctx, root)
		r, ok := d.Roles[strings.ToLower(roleName)]
		if !ok {
			return noSuchRole(roleName)
		}
		res.Role = toXMLRole(r, true)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

type listRolesResult struct {
	Roles       xmlList[xmlRole] `xml:"Roles"`
	IsTruncated bool             `xml:"IsTruncated"`
	Marker      string           `xml:"Marker,omitempty"`
}

func (s *service) listRoles(ctx context.Context, p query.Params) (any, error) {
	var v query.Validator
	prefix := pathPrefix(&v, p, pathPrefixRe, pathPrefixPat)
	if err := v.Err(); err != nil {
		return nil, err
	}
	var res listRolesResult
	err := s.st.Read(func(root *state.Data) error {
		d := state.AccountData(ctx, root)
		var keys []string
		for _, k := range sortedKeys(d.Roles) {
			if strings.HasPrefix(d.Roles[k].Path, prefix) {
				keys = append(keys, k)
			}
		}
		pg, err := query.Paginate(p, keys)
		if err != nil {
			return err
		}
		res.Roles.Member = []xmlRole{}
		for _, k := range keys[pg.Start:pg.End] {
			// ListRoles leaves out Tags (and PermissionsBoundary, RoleLastUsed), as IAM does.
			res.Roles.Member = append(res.Roles.Member, toXMLRole(d.Roles[k], false))
		}
		res.IsTruncated, res.Marker = pg.IsTruncated, pg.Marker
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

type createRoleResult struct {
	Role xmlRole `xml:"Role"`
}

func (s *service) createRole(ctx context.Context, p query.Params) (any, error) {
	var v query.Validator
	roleName := name(&v, p, "RoleName", "roleName", 64)
	path := entityPath(&v, p)
	doc := policyDocument(&v, p, "AssumeRolePolicyDocument", "assumeRolePolicyDocument")
	desc, _ := description(&v, p, 1000)
	maxDur, given, _ := v.Int(p, "MaxSessionDuration", "maxSessionDuration", 3600, 43200)
	if !given {
		maxDur = 3600
	}
	tags, err := tags(&v, p)
	if err != nil {
		return nil, err
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	boundary, hasBoundary := p.Get("PermissionsBoundary")
	if hasBoundary {
		if err := checkArn(boundary); err != nil {
			return nil, err
		}
	}
	var res createRoleResult
	err = s.st.Update(func(root *state.Data) error {
		d := state.AccountData(ctx, root)
		key := strings.ToLower(roleName)
		if _, exists := d.Roles[key]; exists {
			return query.Errorf(409, "EntityAlreadyExists", "Role with name %s already exists.", roleName)
		}
		if err := validateTrust(d, doc); err != nil {
			return err
		}
		r := &state.Role{
			Path:                     path,
			RoleName:                 roleName,
			RoleID:                   uniqueID("AROA", func(id string) bool { return idInUse(d, id) }),
			Arn:                      arn(d, "role", path, roleName),
			CreateDate:               s.now(),
			AssumeRolePolicyDocument: doc,
			Description:              desc,
			MaxSessionDuration:       maxDur,
			Tags:                     tags,
			AttachedPolicies:         []string{},
		}
		if hasBoundary {
			if err := setBoundary(root, d, &r.PermissionsBoundary, boundary); err != nil {
				return err
			}
		}
		if d.Roles == nil {
			d.Roles = map[string]*state.Role{}
		}
		d.Roles[key] = r
		d.Seq++
		res.Role = toXMLRole(r, true)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// unmodifiable refuses changes to service-linked roles, which only AWS may change.
func unmodifiable(r *state.Role) error {
	if r.ServiceLinked {
		return query.Errorf(400, "UnmodifiableEntity", "Cannot perform the operation on the protected role '%s' - this role is only modifiable by AWS", r.RoleName)
	}
	return nil
}

// updateRoleResult is empty: IAM answers UpdateRole with an empty UpdateRoleResult.
type updateRoleResult struct{}

func (s *service) updateRole(ctx context.Context, p query.Params) (any, error) {
	var v query.Validator
	roleName := name(&v, p, "RoleName", "roleName", 64)
	desc, descGiven := description(&v, p, 1000)
	maxDur, durGiven, _ := v.Int(p, "MaxSessionDuration", "maxSessionDuration", 3600, 43200)
	if err := v.Err(); err != nil {
		return nil, err
	}
	err := s.st.Update(func(root *state.Data) error {
		d := state.AccountData(ctx, root)
		r, ok := d.Roles[strings.ToLower(roleName)]
		if !ok {
			return noSuchRole(roleName)
		}
		if err := unmodifiable(r); err != nil {
			return err
		}
		if descGiven {
			r.Description = desc
		}
		if durGiven {
			r.MaxSessionDuration = maxDur
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return updateRoleResult{}, nil
}

func (s *service) updateAssumeRolePolicy(ctx context.Context, p query.Params) (any, error) {
	var v query.Validator
	roleName := name(&v, p, "RoleName", "roleName", 64)
	doc := policyDocument(&v, p, "PolicyDocument", "policyDocument")
	if err := v.Err(); err != nil {
		return nil, err
	}
	err := s.st.Update(func(root *state.Data) error {
		d := state.AccountData(ctx, root)
		r, ok := d.Roles[strings.ToLower(roleName)]
		if !ok {
			return noSuchRole(roleName)
		}
		if err := unmodifiable(r); err != nil {
			return err
		}
		if err := validateTrust(d, doc); err != nil {
			return err
		}
		r.AssumeRolePolicyDocument = doc
		return nil
	})
	return nil, err
}

func (s *service) deleteRole(ctx context.Context, p query.Params) (any, error) {
	var v query.Validator
	roleName := name(&v, p, "RoleName", "roleName", 64)
	if err := v.Err(); err != nil {
		return nil, err
	}
	err := s.st.Update(func(root *state.Data) error {
		d := state.AccountData(ctx, root)
		key := strings.ToLower(roleName)
		r, ok := d.Roles[key]
		if !ok {
			return noSuchRole(roleName)
		}
		if err := unmodifiable(r); err != nil {
			return err
		}
		if len(r.AttachedPolicies) > 0 {
			return query.Errorf(409, "DeleteConflict", "Cannot delete entity, must detach all policies first.")
		}
		if len(r.InlinePolicies) > 0 {
			return query.Errorf(409, "DeleteConflict", "Cannot delete entity, must delete policies first.")
		}
		if r.PermissionsBoundary != "" {
			setBoundary(root, d, &r.PermissionsBoundary, "")
		}
		delete(d.Roles, key)
		return nil
	})
	return nil, err
}

// policyArn validates a required PolicyArn parameter.
func policyArn(v *query.Validator, p query.Params) string {
	s, ok := v.Required(p, "PolicyArn", "policyArn")
	if ok {
		v.Length(s, "policyArn", 20, 2048)
	}
	return s
}

// checkArn refuses a string that is not an ARN at all, as IAM does with InvalidInput.
func checkArn(a string) error {
	if parts := strings.SplitN(a, ":", 6); len(parts) != 6 || parts[0] != "arn" {
		return query.Errorf(400, "InvalidInput", "ARN %s is not valid.", a)
	}
	return nil
}

func (s *service) attachRolePolicy(ctx context.Context, p query.Params) (any, error) {
	var v query.Validator
	roleName := name(&v, p, "RoleName", "roleName", 64)
	pa := policyArn(&v, p)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := checkArn(pa); err != nil {
		return nil, err
	}
	err := s.st.Update(func(root *state.Data) error {
		d := state.AccountData(ctx, root)
		r, ok := d.Roles[strings.ToLower(roleName)]
		if !ok {
			return noSuchRole(roleName)
		}
		pol := managedPolicy(root, d, pa)
		if pol == nil {
			return query.Errorf(404, "NoSuchEntity", "Policy %s does not exist or is not attachable.", pa)
		}
		if err := unmodifiable(r); err != nil {
			return err
		}
		for _, a := range r.AttachedPolicies {
			if a == pa {
				return nil // attaching again changes nothing, as in IAM
			}
		}
		if len(r.AttachedPolicies) >= maxPoliciesPerRole {
			return query.Errorf(409, "LimitExceeded", "Cannot exceed quota for PoliciesPerRole: %d", maxPoliciesPerRole)
		}
		r.AttachedPolicies = append(r.AttachedPolicies, pa)
		pol.AttachmentCount++
		return nil
	})
	return nil, err
}

func (s *service) detachRolePolicy(ctx context.Context, p query.Params) (any, error) {
	var v query.Validator
	roleName := name(&v, p, "RoleName", "roleName", 64)
	pa := policyArn(&v, p)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := checkArn(pa); err != nil {
		return nil, err
	}
	err := s.st.Update(func(root *state.Data) error {
		d := state.AccountData(ctx, root)
		r, ok := d.Roles[strings.ToLower(roleName)]
		if !ok {
			return noSuchRole(roleName)
		}
		if err := unmodifiable(r); err != nil {
			return err
		}
		idx := -1
		for i, a := range r.AttachedPolicies {
			if a == pa {
				idx = i
			}
		}
		if idx < 0 {
			return query.Errorf(404, "NoSuchEntity", "Policy %s was not found.", pa)
		}
		r.AttachedPolicies = append(r.AttachedPolicies[:idx:idx], r.AttachedPolicies[idx+1:]...)
		if pol := managedPolicy(root, d, pa); pol != nil && pol.AttachmentCount > 0 {
			pol.AttachmentCount--
		}
		return nil
	})
	return nil, err
}

type xmlAttachedPolicy struct {
	PolicyName string `xml:"PolicyName"`
	PolicyArn  string `xml:"PolicyArn"`
}

type listAttachedRolePoliciesResult struct {
	AttachedPolicies xmlList[xmlAttachedPolicy] `xml:"AttachedPolicies"`
	IsTruncated      bool                       `xml:"IsTruncated"`
	Marker           string                     `xml:"Marker,omitempty"`
}

func (s *service) listAttachedRolePolicies(ctx context.Context, p query.Params) (any, error) {
	var v query.Validator
	roleName := name(&v, p, "RoleName", "roleName", 64)
	prefix := pathPrefix(&v, p, policyPathRe, policyPathPat)
	if err := v.Err(); err != nil {
		return nil, err
	}
	var res listAttachedRolePoliciesResult
	err := s.st.Read(func(root *state.Data) error {
		d := state.AccountData(ctx, root)
		r, ok := d.Roles[strings.ToLower(roleName)]
		if !ok {
			return noSuchRole(roleName)
		}
		// Keys sort by policy name then ARN, so pages are stable.
		byKey := map[string]*state.ManagedPolicy{}
		for _, a := range r.AttachedPolicies {
			pol := managedPolicy(root, d, a)
			ok := pol != nil
			if !ok || !strings.HasPrefix(pol.Path, prefix) {
				continue
			}
			byKey[pol.PolicyName+"\x00"+pol.Arn] = pol
		}
		keys := sortedKeys(byKey)
		pg, err := query.Paginate(p, keys)
		if err != nil {
			return err
		}
		res.AttachedPolicies.Member = []xmlAttachedPolicy{}
		for _, k := range keys[pg.Start:pg.End] {
			res.AttachedPolicies.Member = append(res.AttachedPolicies.Member, xmlAttachedPolicy{PolicyName: byKey[k].PolicyName, PolicyArn: byKey[k].Arn})
		}
		res.IsTruncated, res.Marker = pg.IsTruncated, pg.Marker
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}
