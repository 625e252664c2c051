package iam

// Tagging of roles and customer managed policies (TagRole, TagPolicy, ListRoleTags,
// ListPolicyTags), which `eksaccess role create --adopt` uses to mark what it took over.
// Kept in a file of its own, registered from init, so it stays apart from the rest of the
// service.

import (
	"context"
	"strings"

	"eksaccess/internal/sandbox/query"
	"eksaccess/internal/sandbox/state"
)

func init() {
	operations["TagRole"] = operation{(*service).tagRole, true}
	operations["TagPolicy"] = operation{(*service).tagPolicy, true}
	operations["ListRoleTags"] = operation{(*service).listRoleTags, false}
	operations["ListPolicyTags"] = operation{(*service).listPolicyTags, false}
}

// mergeTags adds or replaces tags (keys compare case-insensitively, as IAM's do) and keeps
// IAM's limit of 50 per resource.
func mergeTags(have, add []state.Tag) ([]state.Tag, error) {
	out := append([]state.Tag(nil), have...)
	for _, t := range add {
		replaced := false
		for i := range out {
			if strings.EqualFold(out[i].Key, t.Key) {
				out[i] = t
				replaced = true
			}
		}
		if !replaced {
			out = append(out, t)
		}
	}
	if len(out) > 50 {
		return nil, query.Errorf(409, "LimitExceeded", "The number of tags has reached the maximum limit of 50.")
	}
	return out, nil
}

func requiredTags(v *query.Validator, p query.Params) ([]state.Tag, error) {
	in, err := tags(v, p)
	if err != nil {
		return nil, err
	}
	if len(in) == 0 {
		v.Required(p, "Tags.member.1.Key", "tags")
	}
	return in, nil
}

type tagResult struct{}

func (s *service) tagRole(ctx context.Context, p query.Params) (any, error) {
	var v query.Validator
	roleName := name(&v, p, "RoleName", "roleName", 64)
	add, err := requiredTags(&v, p)
	if err != nil {
		return nil, err
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	err = s.st.Update(func(d *state.Data) error {
		r, ok := d.Roles[strings.ToLower(roleName)]
		if !ok {
			return noSuchRole(roleName)
		}
		if err := unmodifiable(r); err != nil {
			return err
		}
		merged, err := mergeTags(r.Tags, add)
		if err != nil {
			return err
		}
		r.Tags = merged
		return nil
	})
	if err != nil {
		return nil, err
	}
	return tagResult{}, nil
}

func (s *service) tagPolicy(ctx context.Context, p query.Params) (any, error) {
	var v query.Validator
	pa := policyArn(&v, p)
	add, err := requiredTags(&v, p)
	if err != nil {
		return nil, err
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := checkArn(pa); err != nil {
		return nil, err
	}
	err = s.st.Update(func(d *state.Data) error {
		pol, ok := d.Policies[pa]
		if !ok {
			return noSuchPolicy(pa)
		}
		if pol.AWSManaged {
			return query.Errorf(400, "InvalidInput", "Cannot tag AWS managed policy %s.", pa)
		}
		merged, err := mergeTags(pol.Tags, add)
		if err != nil {
			return err
		}
		pol.Tags = merged
		return nil
	})
	if err != nil {
		return nil, err
	}
	return tagResult{}, nil
}

type listTagsResult struct {
	Tags        xmlList[xmlTag] `xml:"Tags"`
	IsTruncated bool            `xml:"IsTruncated"`
}

func toListTags(ts []state.Tag) listTagsResult {
	var res listTagsResult
	for _, t := range ts {
		res.Tags.Member = append(res.Tags.Member, xmlTag{Key: t.Key, Value: t.Value})
	}
	return res
}

func (s *service) listRoleTags(ctx context.Context, p query.Params) (any, error) {
	var v query.Validator
	roleName := name(&v, p, "RoleName", "roleName", 64)
	if err := v.Err(); err != nil {
		return nil, err
	}
	var res listTagsResult
	err := s.st.Read(func(d *state.Data) error {
		r, ok := d.Roles[strings.ToLower(roleName)]
		if !ok {
			return noSuchRole(roleName)
		}
		res = toListTags(r.Tags)
		return nil
	})
	return res, err
}

func (s *service) listPolicyTags(ctx context.Context, p query.Params) (any, error) {
	var v query.Validator
	pa := policyArn(&v, p)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := checkArn(pa); err != nil {
		return nil, err
	}
	var res listTagsResult
	err := s.st.Read(func(d *state.Data) error {
		pol, ok := d.Policies[pa]
		if !ok {
			return noSuchPolicy(pa)
		}
		res = toListTags(pol.Tags)
		return nil
	})
	return res, err
}
