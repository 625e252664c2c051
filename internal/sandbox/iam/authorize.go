package iam

import (
	"context"
	"strings"

	"eksaccess/internal/sandbox/iam/authz"
	"eksaccess/internal/sandbox/query"
	"eksaccess/internal/sandbox/state"
)

// resourceKinds names, per operation, the kind of resource its IAM action is on (the
// Service Authorization Reference's resource type): the entity named by UserName,
// GroupName, RoleName or PolicyArn, or, for listings, the account's path of that kind.
var resourceKinds = map[string]string{
	"GetUser": "user", "CreateUser": "user", "DeleteUser": "user", "TagUser": "user", "UntagUser": "user", "ListUserTags": "user",
	"CreateAccessKey": "user", "ListAccessKeys": "user", "UpdateAccessKey": "user", "DeleteAccessKey": "user",
	"ListGroupsForUser": "user", "ListMFADevices": "user",
	"PutUserPolicy": "user", "GetUserPolicy": "user", "DeleteUserPolicy": "user", "ListUserPolicies": "user",
	"AttachUserPolicy": "user", "DetachUserPolicy": "user", "ListAttachedUserPolicies": "user",
	"PutUserPermissionsBoundary": "user", "DeleteUserPermissionsBoundary": "user",

	"GetGroup": "group", "CreateGroup": "group", "DeleteGroup": "group", "AddUserToGroup": "group", "RemoveUserFromGroup": "group",
	"PutGroupPolicy": "group", "GetGroupPolicy": "group", "DeleteGroupPolicy": "group", "ListGroupPolicies": "group",
	"AttachGroupPolicy": "group", "DetachGroupPolicy": "group", "ListAttachedGroupPolicies": "group",

	"GetRole": "role", "CreateRole": "role", "UpdateRole": "role", "UpdateAssumeRolePolicy": "role", "DeleteRole": "role",
	"AttachRolePolicy": "role", "DetachRolePolicy": "role", "ListAttachedRolePolicies": "role",
	"PutRolePolicy": "role", "GetRolePolicy": "role", "DeleteRolePolicy": "role", "ListRolePolicies": "role",
	"TagRole": "role", "UntagRole": "role", "ListRoleTags": "role",
	"PutRolePermissionsBoundary": "role", "DeleteRolePermissionsBoundary": "role",

	"CreatePolicy": "policy", "GetPolicy": "policy", "DeletePolicy": "policy", "GetPolicyVersion": "policy",
	"CreatePolicyVersion": "policy", "ListPolicyVersions": "policy", "DeletePolicyVersion": "policy",
	"SetDefaultPolicyVersion": "policy", "ListEntitiesForPolicy": "policy", "TagPolicy": "policy", "ListPolicyTags": "policy",

	"ListUsers": "list:user", "ListGroups": "list:group", "ListRoles": "list:role", "ListPolicies": "list:policy",
}

// authorize evaluates the caller's policies for action (package authz) when enforcement is
// on; a refusal is IAM's AccessDenied (403).
func (s *service) authorize(ctx context.Context, action string, p query.Params) error {
	if !s.Config.EnforceIAM {
		return nil
	}
	c := state.CallerFrom(ctx)
	var den *authz.Denial
	s.Store.Read(func(root *state.Data) error {
		d := state.AccountData(ctx, root)
		req := authz.Request{Action: "iam:" + action, Resource: "*", Keys: map[string]string{}}
		fillResource(d, c, action, p, &req)
		if a, ok := p.Get("PolicyArn"); ok && (strings.HasPrefix(action, "Attach") || strings.HasPrefix(action, "Detach")) {
			req.Keys["iam:PolicyARN"] = a
		}
		if b, ok := p.Get("PermissionsBoundary"); ok {
			req.Keys["iam:PermissionsBoundary"] = b
		}
		if tags := p.Tags("Tags"); len(tags) > 0 {
			req.RequestTags = map[string]string{}
			for _, t := range tags {
				req.RequestTags[t.Key] = t.Value
			}
		}
		den = authz.Check(root, c, s.Now(), req)
		return nil
	})
	if den != nil {
		return query.Errorf(403, "AccessDenied", "%s", den.Message)
	}
	return nil
}

// fillResource sets the ARN (and tags) of the resource the action is on.
func fillResource(d *state.Data, c *state.Caller, action string, p query.Params, req *authz.Request) {
	kind := resourceKinds[action]
	if list, ok := strings.CutPrefix(kind, "list:"); ok {
		req.Resource = arn(d, list, "/", "")
		return
	}
	path := p.Str("Path")
	if path == "" {
		path = "/"
	}
	switch kind {
	case "user":
		n, given := p.Get("UserName")
		if !given && c != nil && !c.Session {
			n = c.UserName
		}
		if u, ok := d.Users[strings.ToLower(n)]; ok && action != "CreateUser" {
			req.Resource, req.ResourceTags = u.Arn, tagMap(u.Tags)
			return
		}
		req.Resource = arn(d, "user", path, n)
	case "group":
		n := p.Str("GroupName")
		if g, ok := d.Groups[strings.ToLower(n)]; ok && action != "CreateGroup" {
			req.Resource = g.Arn
			return
		}
		req.Resource = arn(d, "group", path, n)
	case "role":
		n := p.Str("RoleName")
		if r, ok := d.Roles[strings.ToLower(n)]; ok && action != "CreateRole" {
			req.Resource, req.ResourceTags = r.Arn, tagMap(r.Tags)
			return
		}
		req.Resource = arn(d, "role", path, n)
	case "policy":
		if action == "CreatePolicy" {
			req.Resource = arn(d, "policy", path, p.Str("PolicyName"))
			return
		}
		req.Resource = p.Str("PolicyArn")
		if pol, ok := d.Policies[req.Resource]; ok {
			req.ResourceTags = tagMap(pol.Tags)
		}
	}
}

func tagMap(tags []state.Tag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}
