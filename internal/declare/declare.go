// Package declare turns a loaded access file into the desired access of each cluster:
// HyperPod names resolved to their EKS clusters, users files, IAM groups and permission
// sets resolved to principal ARNs (paths included), and every item turned into a
// plan.DesiredEntry. It only reads (SageMaker, IAM); planning and applying are the plan
// and apply packages' job.
package declare

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"golang.org/x/sync/errgroup"

	"eksaccess/internal/accessfile"
	"eksaccess/internal/awsapi"
	"eksaccess/internal/plan"
	"eksaccess/internal/principal"
	"eksaccess/internal/rbac"
)

// SSOPath is where IAM Identity Center creates the roles of permission sets.
const SSOPath = "/aws-reserved/sso.amazonaws.com/"

// Cluster is one cluster section of the file, resolved.
type Cluster struct {
	// Name is the EKS cluster name (a HyperPod section's orchestrator).
	Name   string
	Region string
	// Source is where the section starts ("access.yaml:4") and how it named the cluster.
	Source             string
	HyperPod           string
	Prune              bool
	AuthenticationMode string
	Desired            []plan.DesiredEntry
	// Teams are the section's teams; their members' groups are in Desired already.
	Teams []Team
	// Account, Profile and AssumeRole say which account the cluster is in and how to reach
	// it, as the file wrote them (empty: the run's credentials).
	Account    string
	Profile    string
	AssumeRole *accessfile.AssumeRole
}

// Team is a team of the file, resolved: its Kubernetes objects and groups, and the ARNs of
// its members (each once, sorted). Each member's desired entry carries the team's groups.
type Team struct {
	*rbac.Team
	// Source is where the team starts in the file (FILE:LINE).
	Source  string
	Members []string
}

// Options give Resolve its clients and context.
type Options struct {
	IAM awsapi.IAM
	// HyperPod resolves a HyperPod cluster name (or ARN) in region to its EKS cluster.
	HyperPod func(ctx context.Context, name, region string) (awsapi.EKSCluster, error)
	Caller   principal.Caller
	Now      time.Time
	// Concurrency bounds concurrent IAM lookups (0: principal.DefaultConcurrency).
	Concurrency int
}

// Resolve resolves every cluster and principal of cfg. Every input problem (unknown
// principal, group or permission set, wrong partition, a principal reached through two
// items, a cluster named twice) is collected into one *principal.InputError; AWS failures
// are returned as they come.
func Resolve(ctx context.Context, cfg *accessfile.Config, o Options) ([]Cluster, error) {
	var ie principal.InputError
	file := cfg.File
	r := &resolver{o: o, res: &principal.Resolver{IAM: o.IAM, Account: o.Caller.Account, Partition: o.Caller.Partition, Concurrency: o.Concurrency},
		cache: map[string]*resolved{}, ssoCache: map[string]*resolved{}}

	// Clusters first: a HyperPod name that does not resolve makes the rest moot.
	out := make([]Cluster, len(cfg.Clusters))
	seen := map[string]string{}
	for i := range cfg.Clusters {
		c := &cfg.Clusters[i]
		src := principal.FileSource(file, c.Pos.Line)
		rc := Cluster{Name: c.Name, Region: c.Region, Source: src.String(), HyperPod: c.HyperPod, Prune: c.Prune, AuthenticationMode: c.AuthenticationMode,
			Account: c.AccountOf(), Profile: c.Profile, AssumeRole: c.AssumeRole}
		if part := accessfile.PartitionOf(c.Region); o.Caller.Partition != "" && part != o.Caller.Partition {
			ie.Add(src, "cluster region %s is in partition %s, but your credentials are in %s: use credentials for that partition, or split the file by partition", c.Region, part, o.Caller.Partition)
			continue
		}
		if c.HyperPod != "" {
			if o.HyperPod == nil {
				return nil, fmt.Errorf("declare: no HyperPod resolver: this is a bug in eksaccess, please report it")
			}
			ec, err := o.HyperPod(ctx, c.HyperPod, c.Region)
			if err != nil {
				ie.Add(src, "hyperpod %s: %v", c.HyperPod, err)
				continue
			}
			if ec.Region != "" && ec.Region != c.Region {
				ie.Add(src, "HyperPod cluster %s runs on EKS cluster %s in %s, not %s: fix region", c.HyperPod, ec.Name, ec.Region, c.Region)
				continue
			}
			rc.Name = ec.Name
		}
		key := rc.Account + "/" + rc.Name + "@" + rc.Region
		if first, dup := seen[key]; dup {
			ie.Add(src, "EKS cluster %s in %s is already managed by the section at %s (a HyperPod cluster and its EKS cluster are the same cluster): merge the two sections", rc.Name, rc.Region, first)
			continue
		}
		seen[key] = src.String()
		out[i] = rc
	}
	if err := ie.Err(); err != nil {
		return nil, err
	}

	// Then every principal, each distinct reference looked up once for the whole file.
	items := make([][][]string, len(cfg.Clusters))     // cluster → item → ARNs
	members := make([][][][]string, len(cfg.Clusters)) // cluster → team → member → ARNs
	for i := range cfg.Clusters {
		c := &cfg.Clusters[i]
		items[i] = make([][]string, len(c.Access))
		for j := range c.Access {
			arns, err := r.item(ctx, file, &c.Access[j])
			if err != nil {
				if !ie.Merge(err) {
					return nil, err
				}
				continue
			}
			items[i][j] = arns
		}
		members[i] = make([][][]string, len(c.Teams))
		for ti := range c.Teams {
			t := &c.Teams[ti]
			members[i][ti] = make([][]string, len(t.Members))
			for mi := range t.Members {
				it := t.Members[mi].Item()
				keys, err := r.item(ctx, file, &it)
				if err != nil {
					if !ie.Merge(err) {
						return nil, err
					}
					continue
				}
				members[i][ti][mi] = keys
			}
		}
	}
	if err := r.wait(ctx); err != nil {
		if !ie.Merge(err) {
			return nil, err
		}
	}
	// Duplicates among what did resolve are reported with the lookup problems, so one run
	// lists every problem of the file.
	for i := range cfg.Clusters {
		c := &cfg.Clusters[i]
		part := accessfile.PartitionOf(c.Region)
		firstAt := map[string]principal.Source{}
		for j := range c.Access {
			it := &c.Access[j]
			src := principal.FileSource(file, it.Pos.Line)
			var arns []string
			for _, a := range items[i][j] {
				arns = append(arns, r.arnOf(a)...)
			}
			for _, arn := range arns {
				if first, dup := firstAt[arn]; dup {
					if first == src {
						continue // the same principal twice in one users file or group: one entry
					}
					ie.Add(src, "%s is also given access by the item at %s; an access entry has one set of policies, groups and username: merge the two items or remove the principal from one", arn, first)
					continue
				}
				firstAt[arn] = src
				out[i].Desired = append(out[i].Desired, desiredEntry(arn, it, part, src.String(), o.Now))
			}
		}
		teams, err := r.teams(file, c, members[i], &out[i], &ie)
		if err != nil {
			return nil, err
		}
		out[i].Teams = teams
	}
	if err := ie.Err(); err != nil {
		ie.Sort()
		return nil, &ie
	}
	return out, nil
}

// teams resolves a section's teams: each member's desired entry gets the team's groups, added
// to what its access item gives (a member no item lists gets an entry with the groups alone).
// A member whose item makes a node entry, which takes no groups, is bad input.
func (r *resolver) teams(file string, c *accessfile.Cluster, keys [][][]string, rc *Cluster, ie *principal.InputError) ([]Team, error) {
	index := map[string]int{}
	for k, d := range rc.Desired {
		index[d.PrincipalArn] = k
	}
	var out []Team
	for ti := range c.Teams {
		t := &c.Teams[ti]
		built, err := rbac.Build(t.Name, t.Namespace, t.Variant())
		if err != nil {
			return nil, fmt.Errorf("team %s at %s: %w: this is a bug in eksaccess (the loader checks teams), please report it", t.Name, principal.FileSource(file, t.Pos.Line), err)
		}
		dt := Team{Team: built, Source: principal.FileSource(file, t.Pos.Line).String(), Members: []string{}}
		seen := map[string]bool{}
		for mi := range t.Members {
			src := principal.FileSource(file, t.Members[mi].Pos.Line)
			for _, key := range keys[ti][mi] {
				for _, arn := range r.arnOf(key) {
					if seen[arn] {
						continue // the same principal through two members: one membership
					}
					seen[arn] = true
					dt.Members = append(dt.Members, arn)
					k, listed := index[arn]
					if !listed {
						index[arn] = len(rc.Desired)
						rc.Desired = append(rc.Desired, plan.DesiredEntry{PrincipalArn: arn, Source: src.String(),
							Tags: map[string]string{plan.TagManaged: "true"}, Policies: []plan.DesiredPolicy{}, KubernetesGroups: slices.Clone(built.Groups)})
						continue
					}
					d := &rc.Desired[k]
					if d.TypeOrStandard() != accessfile.TypeStandard {
						ie.Add(src, "%s is a member of team %s, but the item at %s makes it a %s access entry, which takes no Kubernetes groups: remove it from the team or from that item", arn, t.Name, d.Source, d.Type)
						continue
					}
					d.KubernetesGroups = union(d.KubernetesGroups, built.Groups)
				}
			}
		}
		slices.Sort(dt.Members)
		out = append(out, dt)
	}
	return out, nil
}

// union is a followed by what of b it lacks.
func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, g := range b {
		if !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out
}

// desiredEntry is the access one item gives one principal.
func desiredEntry(arn string, it *accessfile.AccessItem, partition, source string, now time.Time) plan.DesiredEntry {
	d := plan.DesiredEntry{PrincipalArn: arn, Source: source, Tags: map[string]string{plan.TagManaged: "true"}, Policies: []plan.DesiredPolicy{}}
	if it.EntryType() != accessfile.TypeStandard {
		d.Type = it.EntryType()
	}
	if it.Username != "" {
		u := it.Username
		d.Username = &u
	}
	if len(it.KubernetesGroups) > 0 {
		d.KubernetesGroups = slices.Clone(it.KubernetesGroups)
	}
	for _, p := range it.Policies {
		dp := plan.DesiredPolicy{PolicyArn: p.ARN(partition)}
		if len(p.Namespaces) > 0 {
			dp.Namespaces = slices.Clone(p.Namespaces)
			slices.Sort(dp.Namespaces)
			dp.Namespaces = slices.Compact(dp.Namespaces)
		}
		d.Policies = append(d.Policies, dp)
	}
	for k, v := range it.Tags {
		d.Tags[k] = v
	}
	if at, ok := it.Expiry(now); ok {
		d.ExpiresAt = at
		if it.ExpiresAt.IsZero() {
			d.ExpiresSpec = it.Expires
		}
	}
	return d
}

// resolved is one reference's lookup, shared by every item that names it.
type resolved struct {
	arns []string // a group's members, a permission set's role, or one principal
	ref  *principal.Ref
	done bool
}

type resolver struct {
	o   Options
	res *principal.Resolver

	cache    map[string]*resolved // by "kind:raw"
	ssoCache map[string]*resolved
	pending  []*resolved
}

// item returns the lookup keys of the principals an item names (group and permission-set
// lookups happen now, single principals are queued for one concurrent pass).
func (r *resolver) item(ctx context.Context, file string, it *accessfile.AccessItem) ([]string, error) {
	src := principal.FileSource(file, it.Pos.Line)
	switch {
	case it.Principal != "":
		return []string{r.queue(it.Principal, src)}, nil
	case it.UsersFile != "":
		keys := make([]string, 0, len(it.Users))
		for _, u := range it.Users {
			keys = append(keys, r.queue(u.Principal, principal.FileSource(it.UsersFilePath, u.Line)))
		}
		return keys, nil
	case it.IAMGroup != "":
		key := "group:" + it.IAMGroup
		if _, ok := r.cache[key]; ok {
			return []string{key}, nil
		}
		src.Group = it.IAMGroup
		refs, err := r.res.ExpandGroup(ctx, it.IAMGroup, src)
		if err != nil {
			return nil, err
		}
		ps, err := r.res.Resolve(ctx, refs)
		if err != nil {
			return nil, err
		}
		rv := &resolved{done: true, arns: []string{}}
		for _, p := range ps {
			rv.arns = append(rv.arns, p.Arn)
		}
		r.cache[key] = rv
		return []string{key}, nil
	case it.PermissionSet != "":
		key := "sso:" + it.PermissionSet
		if _, ok := r.cache[key]; ok {
			return []string{key}, nil
		}
		arn, err := r.permissionSet(ctx, it.PermissionSet, src)
		if err != nil {
			return nil, err
		}
		r.cache[key] = &resolved{done: true, arns: []string{arn}}
		return []string{key}, nil
	}
	return nil, nil
}

func (r *resolver) queue(raw string, src principal.Source) string {
	key := "p:" + raw
	if _, ok := r.cache[key]; !ok {
		rv := &resolved{ref: &principal.Ref{Raw: raw, Source: src}}
		r.cache[key] = rv
		r.pending = append(r.pending, rv)
	}
	return key
}

// wait resolves the queued principals, each on its own so that its ARN is known even when
// two spellings name the same principal.
func (r *resolver) wait(ctx context.Context) error {
	conc := r.o.Concurrency
	if conc <= 0 {
		conc = principal.DefaultConcurrency
	}
	// Hundreds of principals cost one ListUsers (and ListRoles), not a lookup each.
	refs := make([]principal.Ref, 0, len(r.pending))
	for _, rv := range r.pending {
		refs = append(refs, *rv.ref)
	}
	if err := r.res.Preload(ctx, refs); err != nil {
		return err
	}
	var ie principal.InputError
	var mu sync.Mutex
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(conc)
	for _, rv := range r.pending {
		g.Go(func() error {
			ps, err := r.res.Resolve(ctx, []principal.Ref{*rv.ref})
			if err != nil {
				mu.Lock()
				defer mu.Unlock()
				if ie.Merge(err) {
					return nil
				}
				return err
			}
			rv.done = true
			for _, p := range ps {
				rv.arns = append(rv.arns, p.Arn)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	r.pending = nil
	return ie.Err()
}

func (r *resolver) arnOf(key string) []string {
	if rv := r.cache[key]; rv != nil {
		return rv.arns
	}
	return nil
}

// permissionSet finds the role IAM Identity Center made for a permission set in this
// account: AWSReservedSSO_NAME_SUFFIX under /aws-reserved/sso.amazonaws.com/ (the path may
// carry a region).
func (r *resolver) permissionSet(ctx context.Context, name string, src principal.Source) (string, error) {
	return PermissionSetRole(ctx, r.o.IAM, r.o.Caller.Account, name, src)
}

// PermissionSetRole finds the role IAM Identity Center made for permission set name in the
// account api reaches (account names it in messages): the one AWSReservedSSO_NAME_SUFFIX
// role under /aws-reserved/sso.amazonaws.com/. None, or several, is bad input.
func PermissionSetRole(ctx context.Context, api awsapi.IAM, account, name string, src principal.Source) (string, error) {
	prefix := "AWSReservedSSO_" + name + "_"
	var found []string
	var marker *string
	for {
		out, err := api.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String(SSOPath), Marker: marker})
		if err != nil {
			return "", fmt.Errorf("%s: list IAM Identity Center roles (iam ListRoles): %w: allow iam:ListRoles for your credentials, or name the role with principal: ARN", src, err)
		}
		for _, ro := range out.Roles {
			n := aws.ToString(ro.RoleName)
			if strings.HasPrefix(n, prefix) && !strings.Contains(n[len(prefix):], "_") {
				found = append(found, aws.ToString(ro.Arn))
			}
		}
		if !out.IsTruncated || aws.ToString(out.Marker) == "" {
			break
		}
		marker = out.Marker
	}
	switch len(found) {
	case 0:
		return "", &principal.InputError{Problems: []principal.Problem{{Source: src, Msg: fmt.Sprintf("no IAM Identity Center role for permission set %s in account %s (no role %s* under %s): check the name, and that the permission set is provisioned to this account", name, account, prefix, SSOPath)}}}
	case 1:
		return found[0], nil
	}
	slices.Sort(found)
	return "", &principal.InputError{Problems: []principal.Problem{{Source: src, Msg: fmt.Sprintf("permission set %s matches several roles (%s): name the one you mean with principal: ARN", name, strings.Join(found, ", "))}}}
}
