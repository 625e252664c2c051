package usecase

import (
	"context"
	"os"
	"regexp"
	"strings"

	"eksaccess/internal/awsapi"
	"eksaccess/internal/declare"
	"eksaccess/internal/plan"
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

// resolverFor is the one principal resolver, in the caller's account and partition.
func resolverFor(c *awsapi.Clients, caller principal.Caller) *principal.Resolver {
	return &principal.Resolver{IAM: c.IAM, Account: caller.Account, Partition: caller.Partition}
}

// expandGroups lists the members of IAM groups; a group that does not resolve is an input
// problem collected in ie, other failures are returned.
func expandGroups(ctx context.Context, res *principal.Resolver, groups []string, ie *principal.InputError) ([]principal.Ref, error) {
	var refs []principal.Ref
	for _, g := range groups {
		members, err := res.ExpandGroup(ctx, g, principal.GroupSource(g))
		if err != nil {
			if !ie.Merge(err) {
				return nil, err
			}
			continue
		}
		refs = append(refs, members...)
	}
	return refs, nil
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
	res := resolverFor(c, caller)
	members, err := expandGroups(ctx, res, src.IAMGroups, &ie)
	if err != nil {
		return nil, err
	}
	refs = append(refs, members...)
	sets, err := permissionSetRoles(ctx, c, caller, src.PermissionSets, &ie)
	if err != nil {
		return nil, err
	}
	refs = append(refs, sets...)
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

// entryOf reads the clients and EKS cluster ref names, then the cluster's entry of the
// principal raw names (readPrincipalEntry).
func (e *Env) entryOf(ctx context.Context, ref ClusterRef, raw string) (c *awsapi.Clients, cluster string, live *plan.LiveCluster, arn string, err error) {
	if c, cluster, err = e.clusterOf(ctx, ref); err != nil {
		return nil, "", nil, "", err
	}
	live, arn, err = e.readPrincipalEntry(ctx, c, cluster, raw)
	return c, cluster, live, arn, err
}

// readPrincipalEntry reads the access entry one principal (as a user typed it) has on a
// cluster, through the one resolver: the cluster's entries first, compared as IAM compares
// names (no IAM call for what the cluster knows, and a principal already deleted from IAM
// is still found), then IAM for a principal without an entry. An STS session ARN names
// its role. The cluster read holds that entry only; arn is the principal's ARN.
func (e *Env) readPrincipalEntry(ctx context.Context, c *awsapi.Clients, cluster, raw string) (live *plan.LiveCluster, arn string, err error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, "", inputErrorf("PRINCIPAL is empty: give an IAM user name, role/NAME or an ARN (eksaccess entries list -c CLUSTER shows them)")
	}
	t, err := principal.ParseRef(raw)
	if err != nil {
		return nil, "", &InputError{Err: err}
	}
	caller, err := e.Caller(ctx)
	if err != nil {
		return nil, "", err
	}
	ref := raw
	if t.Kind == principal.RefARN && t.ARN.Kind == principal.KindAssumedRole {
		if caller.Account != "" && t.ARN.Account != caller.Account {
			return nil, "", inputErrorf("%s is a session of a role in account %s, whose path eksaccess cannot look up from account %s: give the role ARN", raw, t.ARN.Account, caller.Account)
		}
		ref = "role/" + t.ARN.Name // the session's role, path looked up
	}
	read, err := plan.ReadCluster(ctx, c.EKS, cluster, plan.ReadOptions{Only: map[string]bool{}})
	if err != nil {
		return nil, "", err
	}
	listed := read.Listed
	if !strings.HasPrefix(ref, "arn:") && caller.Account != "" {
		// A name means a principal of the caller's account, as IAM reads it; an entry for
		// another account's role of the same name is not it.
		listed = nil
		for _, a := range read.Listed {
			if p, err := principal.ParsePrincipalARN(a); err == nil && p.Account == caller.Account {
				listed = append(listed, a)
			}
		}
	}
	found, err := matchEntry(ref, listed)
	if err != nil {
		return nil, "", &InputError{Err: err}
	}
	switch len(found) {
	case 0:
		// One principal, named by an argument or a flag: its problem needs no "argument N".
		res := &principal.Resolver{IAM: c.IAM, Account: caller.Account, Partition: caller.Partition}
		ps, err := res.Resolve(ctx, []principal.Ref{{Raw: ref}})
		if err != nil {
			return nil, "", err
		}
		return read.LiveCluster, ps[0].Arn, nil
	case 1:
		arn = found[0]
	default:
		return nil, "", inputErrorf("%s matches several entries of cluster %s (%s): give the full ARN", raw, cluster, strings.Join(found, ", "))
	}
	le, err := plan.ReadEntry(ctx, c.EKS, cluster, arn)
	if err != nil {
		return nil, "", plan.ClusterError(cluster, err)
	}
	if le != nil {
		read.Entries[arn] = le
	}
	return read.LiveCluster, arn, nil
}

// permissionSetRoles finds each permission set's AWSReservedSSO_ role in the caller's
// account; problems go to ie (names readRefs refused are skipped: it reported them).
func permissionSetRoles(ctx context.Context, c *awsapi.Clients, caller principal.Caller, names []string, ie *principal.InputError) ([]principal.Ref, error) {
	var refs []principal.Ref
	for _, name := range names {
		if !permissionSetRE.MatchString(name) {
			continue
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
	return refs, nil
}
