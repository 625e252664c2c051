package iam

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"eksaccess/internal/sandbox/iam/policydoc"
	"eksaccess/internal/sandbox/query"
	"eksaccess/internal/sandbox/state"
	"eksaccess/internal/sandbox/wire"
)

// maxPolicyVersions is IAM's fixed limit of versions kept per managed policy.
const maxPolicyVersions = 5

func defaultVersion(p *state.ManagedPolicy) string {
	if p.DefaultVersionID == "" {
		return "v1"
	}
	return p.DefaultVersionID
}

// versions returns a policy's versions; a policy seeded with only Document has one.
func versions(p *state.ManagedPolicy) []state.PolicyVersion {
	if len(p.Versions) > 0 {
		return p.Versions
	}
	return []state.PolicyVersion{{VersionID: defaultVersion(p), Document: p.Document, CreateDate: p.CreateDate}}
}

func validateIdentity(doc string) error {
	err := policydoc.ValidateIdentity(doc)
	var me *policydoc.MalformedError
	if errors.As(err, &me) {
		return query.Errorf(400, "MalformedPolicyDocument", "%s", me.Msg)
	}
	return err
}

func noSuchPolicy(a string) error {
	return query.Errorf(404, "NoSuchEntity", "Policy %s was not found.", a)
}

type createPolicyResult struct {
	Policy xmlPolicy `xml:"Policy"`
}

func (s *service) createPolicy(ctx context.Context, p query.Params) (any, error) {
	var v query.Validator
	policyName := name(&v, p, "PolicyName", "policyName", 128)
	path := orRoot(v.Optional(p, "Path", "path", 1, 512, policyPathRe, policyPathPat))
	doc := policyDocument(&v, p, "PolicyDocument", "policyDocument")
	desc, _ := description(&v, p, 1000)
	tags, err := tags(&v, p)
	if err != nil {
		return nil, err
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := validateIdentity(doc); err != nil {
		return nil, err
	}
	return write(s, ctx, func(root, d *state.Data) (res createPolicyResult, err error) {
		// Customer managed policy names are unique in the account whatever their path.
		for _, pol := range d.Policies {
			if !pol.AWSManaged && strings.EqualFold(pol.PolicyName, policyName) {
				return res, query.Errorf(409, "EntityAlreadyExists", "A policy called %s already exists. Duplicate names are not allowed.", policyName)
			}
		}
		now := s.Now()
		pol := &state.ManagedPolicy{
			PolicyName:       policyName,
			PolicyID:         uniqueID("ANPA", func(id string) bool { return idInUse(d, id) }),
			Arn:              arn(d, "policy", path, policyName),
			Path:             path,
			Description:      desc,
			Document:         doc,
			DefaultVersionID: "v1",
			CreateDate:       now,
			UpdateDate:       now,
			Tags:             tags,
			Versions:         []state.PolicyVersion{{VersionID: "v1", Document: doc, CreateDate: now}},
		}
		if d.Policies == nil {
			d.Policies = map[string]*state.ManagedPolicy{}
		}
		d.Policies[pol.Arn] = pol
		d.Seq++
		res.Policy = toXMLPolicy(pol, true)
		return res, nil
	})
}

type getPolicyResult struct {
	Policy xmlPolicy `xml:"Policy"`
}

func (s *service) getPolicy(ctx context.Context, p query.Params) (any, error) {
	pa, err := policyParams(p, nil)
	if err != nil {
		return nil, err
	}
	return readPolicy(s, ctx, pa, func(pol *state.ManagedPolicy) (getPolicyResult, error) {
		return getPolicyResult{Policy: toXMLPolicy(pol, true)}, nil
	})
}

// policyParams validates PolicyArn and what more adds.
func policyParams(p query.Params, more func(*query.Validator)) (string, error) {
	var v query.Validator
	pa := policyArn(&v, p)
	if more != nil {
		more(&v)
	}
	return pa, valid(&v, pa)
}

// readPolicy answers what fn computes from managed policy pa (the account's own or an AWS
// managed one).
func readPolicy[T any](s *service, ctx context.Context, pa string, fn func(*state.ManagedPolicy) (T, error)) (any, error) {
	return read(s, ctx, func(root, d *state.Data) (T, error) {
		pol := managedPolicy(root, d, pa)
		if pol == nil {
			var zero T
			return zero, noSuchPolicy(pa)
		}
		return fn(pol)
	})
}

// findVersion returns the index of version vid of pol's versions vs.
func findVersion(pa string, vs []state.PolicyVersion, vid string) (int, error) {
	for i, pv := range vs {
		if pv.VersionID == vid {
			return i, nil
		}
	}
	return -1, query.Errorf(404, "NoSuchEntity", "Policy %s version %s does not exist or is not attachable.", pa, vid)
}

type xmlPolicyVersion struct {
	Document         string `xml:"Document,omitempty"`
	VersionID        string `xml:"VersionId"`
	IsDefaultVersion bool   `xml:"IsDefaultVersion"`
	CreateDate       string `xml:"CreateDate"`
}

type getPolicyVersionResult struct {
	PolicyVersion xmlPolicyVersion `xml:"PolicyVersion"`
}

func (s *service) getPolicyVersion(ctx context.Context, p query.Params) (any, error) {
	var vid string
	pa, err := policyParams(p, func(v *query.Validator) { vid = versionParam(v, p) })
	if err != nil {
		return nil, err
	}
	return readPolicy(s, ctx, pa, func(pol *state.ManagedPolicy) (getPolicyVersionResult, error) {
		vs := versions(pol)
		i, err := findVersion(pa, vs, vid)
		if err != nil {
			return getPolicyVersionResult{}, err
		}
		pv := vs[i]
		return getPolicyVersionResult{PolicyVersion: xmlPolicyVersion{
			Document:         query.EncodePolicy(pv.Document),
			VersionID:        pv.VersionID,
			IsDefaultVersion: pv.VersionID == defaultVersion(pol),
			CreateDate:       wire.ISO(pv.CreateDate),
		}}, nil
	})
}

type createPolicyVersionResult struct {
	PolicyVersion xmlPolicyVersion `xml:"PolicyVersion"`
}

func (s *service) createPolicyVersion(ctx context.Context, p query.Params) (any, error) {
	var (
		doc        string
		setDefault bool
	)
	pa, err := policyParams(p, func(v *query.Validator) {
		doc = policyDocument(v, p, "PolicyDocument", "policyDocument")
		setDefault = v.Bool(p, "SetAsDefault", "setAsDefault")
	})
	if err != nil {
		return nil, err
	}
	if err := validateIdentity(doc); err != nil {
		return nil, err
	}
	return write(s, ctx, func(root, d *state.Data) (res createPolicyVersionResult, err error) {
		pol, err := s.ownPolicy(ctx, root, d, pa, "CreatePolicyVersion")
		if err != nil {
			return res, err
		}
		vs := versions(pol)
		if len(vs) >= maxPolicyVersions {
			return res, query.Errorf(409, "LimitExceeded", "A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", maxPolicyVersions)
		}
		// Version ids only grow (v1, v2, …), even after versions are deleted.
		next := 0
		for _, pv := range vs {
			num, _, _ := strings.Cut(strings.TrimPrefix(pv.VersionID, "v"), ".")
			if n, err := strconv.Atoi(num); err == nil && n > next {
				next = n
			}
		}
		now := s.Now()
		pv := state.PolicyVersion{VersionID: "v" + strconv.Itoa(next+1), Document: doc, CreateDate: now}
		pol.Versions = append(append([]state.PolicyVersion{}, vs...), pv)
		if setDefault {
			pol.DefaultVersionID = pv.VersionID
			pol.Document = doc
		}
		pol.UpdateDate = now
		res.PolicyVersion = xmlPolicyVersion{VersionID: pv.VersionID, IsDefaultVersion: setDefault, CreateDate: wire.ISO(now)}
		return res, nil
	})
}

func (s *service) listPolicies(ctx context.Context, p query.Params) (any, error) {
	var v query.Validator
	scope := "All"
	if sc, ok := p.Get("Scope"); ok {
		v.Enum(sc, "scope", "All", "AWS", "Local")
		scope = sc
	}
	onlyAttached := v.Bool(p, "OnlyAttached", "onlyAttached")
	prefix := pathPrefix(&v, p, policyPathRe, policyPathPat)
	usage, ok := p.Get("PolicyUsageFilter")
	if ok {
		v.Enum(usage, "policyUsageFilter", "PermissionsPolicy", "PermissionsBoundary")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return read(s, ctx, func(root, d *state.Data) (listed[xmlPolicy], error) {
		byKey := map[string]*state.ManagedPolicy{}
		all := d.Policies
		if d != root {
			// Another account sees its own policies and the AWS managed ones.
			all = map[string]*state.ManagedPolicy{}
			for k, pol := range root.Policies {
				if pol.AWSManaged {
					all[k] = pol
				}
			}
			for k, pol := range d.Policies {
				all[k] = pol
			}
		}
		for _, pol := range all {
			switch {
			case scope == "AWS" && !pol.AWSManaged, scope == "Local" && pol.AWSManaged:
				continue
			case onlyAttached && pol.AttachmentCount == 0 && pol.BoundaryCount == 0:
				continue
			case !strings.HasPrefix(pol.Path, prefix):
				continue
			case usage == "PermissionsBoundary" && pol.BoundaryCount == 0 && onlyAttached:
				continue
			}
			byKey[pol.PolicyName+"\x00"+pol.Arn] = pol
		}
		return pageOf(p, "Policies", state.SortedKeys(byKey), func(k string) xmlPolicy { return toXMLPolicy(byKey[k], false) })
	})
}
