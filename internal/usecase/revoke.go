package usecase

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"eksaccess/internal/plan"
	"eksaccess/internal/principal"
)

// RevokeRequest takes access away: without policies the entries go; with policies those
// associations go; with policies and namespaces only those namespaces leave the associations
// (an association left with none goes).
type RevokeRequest struct {
	AccessTarget
	Force       []string `json:"force,omitempty"`
	DryRun      bool     `json:"dryRun,omitempty"`
	Concurrency int      `json:"concurrency,omitempty"`
}

// Validate checks the request offline.
func (r *RevokeRequest) Validate() error {
	if err := r.Cluster.check(); err != nil {
		return err
	}
	if r.Principals.Empty() {
		return inputErrorf("name whose access to revoke: principals as arguments, --users-file FILE or --iam-group GROUP")
	}
	if len(r.Namespaces) > 0 && len(r.Policies) == 0 {
		return inputErrorf("--namespace narrows an association: name its policy with --policy")
	}
	for _, ns := range r.Namespaces {
		if err := principal.ValidateNamespace(ns); err != nil {
			return inputErrorf("--namespace %s: %v", ns, err)
		}
	}
	return checkConcurrency(r.Concurrency)
}

// Revoke takes access away, under the same invariants as every change. Principals are
// matched against the cluster's entries as IAM compares names, so a user already deleted
// from IAM can still be revoked; a name that matches neither an entry nor IAM is bad input.
func (e *Env) Revoke(ctx context.Context, r RevokeRequest) (*Outcome, error) {
	c, caller, err := e.beginSession(ctx, &r)
	if err != nil {
		return nil, err
	}
	refs, err := r.Principals.readRefs(caller.Partition)
	if err != nil {
		return nil, err
	}
	var policyArns []string
	if len(r.Policies) > 0 {
		if policyArns, err = resolvePolicies(ctx, c.EKS, r.Policies); err != nil {
			return nil, err
		}
	}
	cluster, err := e.resolveCluster(ctx, c, r.Cluster)
	if err != nil {
		return nil, err
	}
	res := resolverFor(c, caller)
	var ie principal.InputError
	members, err := expandGroups(ctx, res, r.Principals.IAMGroups, &ie)
	if err != nil {
		return nil, err
	}
	refs = append(refs, members...)
	sets, err := permissionSetRoles(ctx, c, caller, r.Principals.PermissionSets, &ie)
	if err != nil {
		return nil, err
	}
	refs = append(refs, sets...)
	if err := ie.Err(); err != nil {
		return nil, err
	}
	live, err := readCluster(ctx, c, cluster, r.Concurrency)
	if err != nil {
		return nil, err
	}
	arns := make([]string, 0, len(live.Entries))
	for a := range live.Entries {
		arns = append(arns, a)
	}
	slices.Sort(arns)
	// Match entries first (no IAM call for what the cluster knows); what matches no entry
	// must at least be a real IAM principal, or it is a typo.
	targets := map[string]string{} // entry ARN → source
	var order []string
	var unmatched []principal.Ref
	for _, ref := range refs {
		found, err := matchEntry(ref.Raw, arns)
		if err != nil {
			ie.Add(ref.Source, "%v", err)
			continue
		}
		switch len(found) {
		case 0:
			unmatched = append(unmatched, ref)
		case 1:
			if _, dup := targets[found[0]]; !dup {
				targets[found[0]] = ref.Source.String()
				order = append(order, found[0])
			}
		default:
			ie.Add(ref.Source, "%s matches several entries (%s): give the full ARN", ref.Raw, strings.Join(found, ", "))
		}
	}
	var none []plan.PrincipalPlan
	if len(unmatched) > 0 {
		ps, err := res.Resolve(ctx, unmatched)
		if err != nil && !ie.Merge(err) {
			return nil, err
		}
		for _, p := range ps {
			none = append(none, plan.PrincipalPlan{Principal: p.Arn, Source: p.Source.String()})
		}
	}
	if err := ie.Err(); err != nil {
		ie.Sort()
		return nil, err
	}
	plans, err := RevokePlans(live, order, targets, policyArns, r.Namespaces)
	if err != nil {
		return nil, err
	}
	plans = append(plans, none...)
	force, err := e.forceARNs(ctx, r.Force, arns)
	if err != nil {
		return nil, err
	}
	return e.Run(ctx, caller, []*Change{{Live: live, Plans: plans}}, RunOptions{Command: "revoke", DryRun: r.DryRun, Force: force, Concurrency: r.Concurrency})
}

// RevokePlans plans the revocation on the entries named (in order).
func RevokePlans(live *plan.LiveCluster, order []string, sources map[string]string, policyArns, namespaces []string) ([]plan.PrincipalPlan, error) {
	var plans []plan.PrincipalPlan
	var bad []string
	for _, a := range order {
		le := live.Entries[a]
		var pp plan.PrincipalPlan
		switch {
		case len(policyArns) == 0:
			pp = plan.DeleteEntry(live.Name, le, "")
		case len(namespaces) == 0:
			pp = plan.PrincipalPlan{Principal: a, Exists: true}
			for _, pa := range policyArns {
				pp.Changes = append(pp.Changes, plan.DisassociatePolicy(live.Name, le, pa, "").Changes...)
			}
		default:
			pp = plan.PrincipalPlan{Principal: a, Exists: true}
			for _, pa := range policyArns {
				ch, err := plan.NarrowPolicy(live.Name, le, pa, namespaces)
				if err != nil {
					bad = append(bad, fmt.Sprintf("%s: %v", sources[a], err))
					continue
				}
				pp.Changes = append(pp.Changes, ch...)
			}
		}
		pp.Source = sources[a]
		plans = append(plans, pp)
	}
	if len(bad) > 0 {
		return nil, &InputError{Err: errors.New(strings.Join(bad, "\n"))}
	}
	return plans, nil
}

// forceARNs maps what --force names (an ARN, a user name, role/NAME, as given) to entry
// ARNs, keeping what it was given too (a cluster ARN, a mapping's ARN).
func (e *Env) forceARNs(_ context.Context, force []string, arns []string) ([]string, error) {
	var out []string
	for _, f := range force {
		out = append(out, f)
		if found, err := matchEntry(f, arns); err == nil {
			out = append(out, found...)
		}
	}
	return out, nil
}
