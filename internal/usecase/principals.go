package usecase

import (
	"context"
	"os"
	"regexp"
	"strings"

	"eksaccess/internal/awsapi"
	"eksaccess/internal/declare"
	"eksaccess/internal/principal"
)

var permissionSetRE = regexp.MustCompile(`^[\w+=,.@-]{1,32}$`)

// Principals are the ways a command names principals: arguments, users files, IAM groups,
// IAM Identity Center permission sets.
type Principals struct {
	Args           []string `json:"args,omitempty"`
	UsersFiles     []string `json:"usersFiles,omitempty"`
	IAMGroups      []string `json:"iamGroups,omitempty"`
	PermissionSets []string `json:"permissionSets,omitempty"`
}

// Empty reports whether no principal is named at all.
func (s Principals) Empty() bool {
	return len(s.Args) == 0 && len(s.UsersFiles) == 0 && len(s.IAMGroups) == 0 && len(s.PermissionSets) == 0
}

func permissionSetSource(name string) principal.Source {
	return principal.Source{File: "--permission-set " + name}
}

// readRefs parses arguments and users files (no AWS calls): every problem is collected, and
// the references that parsed are returned alongside the error.
func (s Principals) readRefs(partition string) ([]principal.Ref, error) {
	var ie principal.InputError
	var refs []principal.Ref
	for i, a := range s.Args {
		src := principal.ArgSource(i + 1)
		a = strings.TrimSpace(a)
		t, err := principal.ParseRef(a)
		if err != nil {
			ie.Add(src, "%v", err)
			continue
		}
		if t.Kind == principal.RefARN && partition != "" && t.ARN.Partition != partition {
			ie.Add(src, "%s is in partition %s, but your credentials are in %s: use credentials for that partition", a, t.ARN.Partition, partition)
			continue
		}
		refs = append(refs, principal.Ref{Raw: a, Source: src})
	}
	for _, name := range s.UsersFiles {
		fh, err := os.Open(name)
		if err != nil {
			ie.Add(principal.FileSource(name, 0), "cannot read the users file: %v", unwrapPathError(err))
			continue
		}
		uf, err := principal.ReadUsersFile(name, fh, principal.FileOptions{Partition: partition})
		fh.Close()
		if err != nil && !ie.Merge(err) {
			return nil, err
		}
		refs = append(refs, uf.Refs...) // the good lines, so IAM checks them too
	}
	for _, g := range s.IAMGroups {
		if err := principal.ValidateGroupName(g); err != nil {
			ie.Add(principal.GroupSource(g), "%v", err)
		}
	}
	for _, ps := range s.PermissionSets {
		// The name part of AWSReservedSSO_NAME_SUFFIX: IAM role-name characters, no "_" that
		// would make the suffix ambiguous, and at most 32 as Identity Center allows.
		if !permissionSetRE.MatchString(ps) {
			ie.Add(permissionSetSource(ps), "%q is not a permission set name: 1 to 32 letters, digits or +=,.@-", ps)
		}
	}
	return refs, ie.Err()
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// resolvePrincipals is the one way from what a user typed to principal ARNs: files and
// arguments parsed first (a typo costs no AWS call), then IAM groups expanded, then every
// reference checked against IAM in the caller's account. Every problem is collected and
// returned at once, each naming its source.
func resolvePrincipals(ctx context.Context, c *awsapi.Clients, caller principal.Caller, src Principals) ([]principal.Principal, error) {
	var ie principal.InputError
	refs, err := src.readRefs(caller.Partition)
	if err != nil && !ie.Merge(err) {
		return nil, err
	}
	res := &principal.Resolver{IAM: c.IAM, Account: caller.Account, Partition: caller.Partition}
	for _, g := range src.IAMGroups {
		members, err := res.ExpandGroup(ctx, g, principal.GroupSource(g))
		if err != nil {
			if !ie.Merge(err) {
				return nil, err
			}
			continue
		}
		refs = append(refs, members...)
	}
	for _, name := range src.PermissionSets {
		if !permissionSetRE.MatchString(name) {
			continue // reported by readRefs
		}
		arn, err := declare.PermissionSetRole(ctx, c.IAM, caller.Account, name, permissionSetSource(name))
		if err != nil {
			if !ie.Merge(err) {
				return nil, err
			}
			continue
		}
		refs = append(refs, principal.Ref{Raw: arn, Source: permissionSetSource(name)})
	}
	ps, err := res.Resolve(ctx, refs)
	if err != nil && !ie.Merge(err) {
		return nil, err
	}
	if err := ie.Err(); err != nil {
		ie.Sort()
		return nil, err
	}
	return ps, nil
}

// matchEntry finds the entry a reference names, comparing as IAM does: names (and the name
// part of an ARN) case-insensitively, role paths optional for role/NAME. Several matches are
// ambiguous.
func matchEntry(raw string, arns []string) (found []string, err error) {
	t, err := principal.ParseRef(raw)
	if err != nil {
		return nil, err
	}
	for _, a := range arns {
		p, err := principal.ParsePrincipalARN(a)
		if err != nil {
			continue
		}
		switch t.Kind {
		case principal.RefARN:
			if p.Partition == t.ARN.Partition && p.Account == t.ARN.Account && p.Kind == t.ARN.Kind &&
				strings.EqualFold(p.Name, t.ARN.Name) && strings.EqualFold(p.Path, t.ARN.Path) {
				found = append(found, a)
			}
		case principal.RefUserName:
			if p.Kind == principal.KindUser && strings.EqualFold(p.Name, t.Name) {
				found = append(found, a)
			}
		case principal.RefRoleName:
			if p.Kind == principal.KindRole && strings.EqualFold(p.Name, t.Name) && (t.Path == "" || strings.EqualFold(t.Path, p.Path)) {
				found = append(found, a)
			}
		}
	}
	return found, nil
}
