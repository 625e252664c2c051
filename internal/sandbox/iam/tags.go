package iam

// Tagging of customer managed policies (TagPolicy, ListPolicyTags), which `eksaccess role
// create` uses to mark what it owns. Users' and roles' tags are in lifecycle.go.

import (
	"context"
	"encoding/xml"
	"strings"

	"eksaccess/internal/sandbox/query"
	"eksaccess/internal/sandbox/state"
)

func init() {
	operations["TagPolicy"] = operation{(*service).tagPolicy, true}
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

func (s *service) tagPolicy(ctx context.Context, p query.Params) (any, error) {
	var v query.Validator
	pa := policyArn(&v, p)
	add, err := requiredTags(&v, p)
	if err != nil {
		return nil, err
	}
	if err := valid(&v, pa); err != nil {
		return nil, err
	}
	err = s.Store.Update(func(root *state.Data) error {
		d := state.AccountData(ctx, root)
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

func toListTags(ts []state.Tag) listed[xmlTag] {
	res := listed[xmlTag]{Items: namedList[xmlTag]{XMLName: xml.Name{Local: "Tags"}, Member: []xmlTag{}}}
	for _, t := range ts {
		res.Items.Member = append(res.Items.Member, xmlTag{Key: t.Key, Value: t.Value})
	}
	return res
}

func (s *service) listPolicyTags(ctx context.Context, p query.Params) (any, error) {
	var v query.Validator
	pa := policyArn(&v, p)
	if err := valid(&v, pa); err != nil {
		return nil, err
	}
	var res listed[xmlTag]
	err := s.Store.Read(func(root *state.Data) error {
		d := state.AccountData(ctx, root)
		pol, ok := d.Policies[pa]
		if !ok {
			return noSuchPolicy(pa)
		}
		res = toListTags(pol.Tags)
		return nil
	})
	return res, err
}
