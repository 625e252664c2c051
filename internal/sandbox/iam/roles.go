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

// roleResult is the answer of GetRole and CreateRole.
type roleResult struct {
	Role xmlRole `xml:"Role"`
}

func (s *service) getRole(ctx context.Context, p query.Params) (any, error) {
	roleName, err := entityAnd(p, "role", 64, nil)
	if err != nil {
		return nil, err
	}
	return readNamed(s, ctx, allRoles, roleName, noSuchRole, func(_ *state.Data, r *state.Role) (roleResult, error) {
		return roleResult{Role: toXMLRole(r, true)}, nil
	})
}

func (s *service) listRoles(ctx context.Context, p query.Params) (any, error) {
	// ListRoles leaves out Tags (and PermissionsBoundary, RoleLastUsed), as IAM does.
	return listUnderPath(s, ctx, p, "Roles", allRoles,
		func(r *state.Role) string { return r.Path }, func(r *state.Role) xmlRole { return toXMLRole(r, false) })
}

func (s *service) createRole(ctx context.Context, p query.Params) (any, error) {
	var (
		doc, desc string
		maxDur    int
	)
	e, err := entityParams(p, "RoleName", "roleName", func(v *query.Validator) {
		doc = policyDocument(v, p, "AssumeRolePolicyDocument", "assumeRolePolicyDocument")
		desc, _ = description(v, p, 1000)
		var given bool
		if maxDur, given, _ = v.Int(p, "MaxSessionDuration", "maxSessionDuration", 3600, 43200); !given {
			maxDur = 3600
		}
	})
	if err != nil {
		return nil, err
	}
	return write(s, ctx, func(root, d *state.Data) (roleResult, error) {
		if _, exists := d.Roles[strings.ToLower(e.name)]; !exists {
			if err := validateTrust(d, doc); err != nil {
				return roleResult{}, err
			}
		}
		r := &state.Role{
			Path:                     e.path,
			RoleName:                 e.name,
			RoleID:                   uniqueID("AROA", func(id string) bool { return idInUse(d, id) }),
			Arn:                      arn(d, "role", e.path, e.name),
			CreateDate:               s.Now(),
			AssumeRolePolicyDocument: doc,
			Description:              desc,
			MaxSessionDuration:       maxDur,
			Tags:                     e.tags,
			AttachedPolicies:         []string{},
		}
		if err := add(root, d, &d.Roles, e, "Role", r, &r.PermissionsBoundary); err != nil {
			return roleResult{}, err
		}
		return roleResult{Role: toXMLRole(r, true)}, nil
	})
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
	var (
		desc                string
		maxDur              int
		descGiven, durGiven bool
	)
	n, err := entityAnd(p, "role", 64, func(v *query.Validator) {
		desc, descGiven = description(v, p, 1000)
		maxDur, durGiven, _ = v.Int(p, "MaxSessionDuration", "maxSessionDuration", 3600, 43200)
	})
	if err != nil {
		return nil, err
	}
	if _, err := s.changeEntity(ctx, "role", n, func(_, _ *state.Data, e *entity) error {
		if descGiven {
			e.role.Description = desc
		}
		if durGiven {
			e.role.MaxSessionDuration = maxDur
		}
		return nil
	}); err != nil {
		return nil, err
	}
	return updateRoleResult{}, nil
}

func (s *service) updateAssumeRolePolicy(ctx context.Context, p query.Params) (any, error) {
	var doc string
	n, err := entityAnd(p, "role", 64, func(v *query.Validator) {
		doc = policyDocument(v, p, "PolicyDocument", "policyDocument")
	})
	if err != nil {
		return nil, err
	}
	return s.changeEntity(ctx, "role", n, func(_, d *state.Data, e *entity) error {
		if err := validateTrust(d, doc); err != nil {
			return err
		}
		e.role.AssumeRolePolicyDocument = doc
		return nil
	})
}

func (s *service) deleteRole(ctx context.Context, p query.Params) (any, error) {
	return deleteNamed(s, ctx, p, "role", allRoles, noSuchRole, func(root, d *state.Data, r *state.Role) error {
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
		return nil
	})
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

type xmlAttachedPolicy struct {
	PolicyName string `xml:"PolicyName"`
	PolicyArn  string `xml:"PolicyArn"`
}
