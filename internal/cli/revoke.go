package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"eksaccess/internal/plan"
	"eksaccess/internal/principal"
)

func init() { register(newRevokeCmd) }

type revokeOptions struct {
	f        *Factory
	ref      clusterRef
	src      principalSources
	policies []string
	force    []string
	dryRun   bool
	conc     int
}

func newRevokeCmd(f *Factory) *cobra.Command {
	o := &revokeOptions{f: f}
	cmd := &cobra.Command{
		Use:   "revoke -c CLUSTER [--policy POLICY]... PRINCIPAL... | --users-file FILE | --iam-group GROUP",
		Short: "Take access away: disassociate a policy, or delete the access entry",
		Long: `With --policy, revoke disassociates that policy and leaves the entry; without it,
revoke deletes the access entry. Principals are matched against the cluster's entries, so
a user or role that no longer exists in IAM can still be revoked. Revoke refuses to delete
node and service entries (any type but STANDARD), the cluster creator's entry, your own
access path and the last cluster-admin entry, unless --force names the principal.`,
		Example: `  eksaccess revoke -c ml-prod alice
  eksaccess revoke -c ml-prod --policy AmazonEKSEditPolicy --users-file users.txt`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.src.args = args
			if err := o.ref.validate(); err != nil {
				return err
			}
			if o.src.empty() {
				return usageErrorf("name whose access to revoke: principals as arguments, --users-file FILE or --iam-group GROUP")
			}
			if o.conc < 1 || o.conc > 256 {
				return usageErrorf("--concurrency must be between 1 and 256, got %d", o.conc)
			}
			return runRevoke(cmd.Context(), o)
		},
	}
	o.ref.addFlags(cmd)
	o.src.addFlags(cmd)
	fl := cmd.Flags()
	fl.StringArrayVar(&o.policies, "policy", nil, "disassociate only this access policy (name or ARN); repeatable; default: delete the entry")
	fl.StringArrayVar(&o.force, "force", nil, "principal (as given, or its ARN) a guardrail may not protect this time; repeatable")
	fl.BoolVar(&o.dryRun, "dry-run", false, "show what would change and change nothing")
	fl.IntVar(&o.conc, "concurrency", 16, "principals worked on in parallel")
	return cmd
}

// matchEntries maps references to the ARNs of existing entries. Names match any path
// (IAM names are unique per account, case-insensitively), so deleted IAM principals can
// still be revoked.
func matchEntries(refs []principal.Ref, arns []string) (map[int]string, error) {
	var ie principal.InputError
	out := map[int]string{}
	for i, r := range refs {
		t, err := principal.ParseRef(r.Raw)
		if err != nil {
			ie.Add(r.Source, "%v", err)
			continue
		}
		var found []string
		for _, a := range arns {
			p, err := principal.ParsePrincipalARN(a)
			if err != nil {
				continue
			}
			switch t.Kind {
			case principal.RefARN:
				if a == t.ARN.String() {
					found = append(found, a)
				}
			case principal.RefUserName:
				if p.Kind == principal.KindUser && strings.EqualFold(p.Name, t.Name) {
					found = append(found, a)
				}
			case principal.RefRoleName:
				if p.Kind == principal.KindRole && strings.EqualFold(p.Name, t.Name) && (t.Path == "" || t.Path == p.Path) {
					found = append(found, a)
				}
			}
		}
		switch len(found) {
		case 0:
			// No entry: nothing to revoke (reported as unchanged).
		case 1:
			out[i] = found[0]
		default:
			ie.Add(r.Source, "%s matches several entries (%s): give the full ARN", r.Raw, strings.Join(found, ", "))
		}
	}
	return out, ie.Err()
}

func runRevoke(ctx context.Context, o *revokeOptions) error {
	format, err := o.f.Format()
	if err != nil {
		return err
	}
	refs, err := o.src.readRefs("")
	if err != nil {
		return err
	}
	c, err := o.f.Clients(ctx)
	if err != nil {
		return err
	}
	caller, err := o.f.Caller(ctx)
	if err != nil {
		return err
	}
	var policyArns []string
	if len(o.policies) > 0 {
		if policyArns, err = resolvePolicies(ctx, o.f, o.policies, caller.Partition); err != nil {
			return err
		}
	}
	cluster, err := o.ref.resolve(ctx, o.f)
	if err != nil {
		return err
	}
	res := &principal.Resolver{IAM: c.IAM, Account: caller.Account, Partition: caller.Partition}
	var ie principal.InputError
	for _, g := range o.src.iamGroups {
		members, err := res.ExpandGroup(ctx, g, principal.GroupSource(g))
		if err != nil {
			if !ie.Merge(err) {
				return err
			}
			continue
		}
		// Members come back with their ARNs (no further IAM calls); match them exactly.
		ps, err := res.Resolve(ctx, members)
		if err != nil {
			if !ie.Merge(err) {
				return err
			}
			continue
		}
		for _, p := range ps {
			refs = append(refs, principal.Ref{Raw: p.Arn, Source: p.Source})
		}
	}
	if err := ie.Err(); err != nil {
		return err
	}
	arns, err := plan.ListEntryArns(ctx, c.EKS, cluster)
	if err != nil {
		return err
	}
	matched, err := matchEntries(refs, arns)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for i := range refs {
		if a, ok := matched[i]; ok {
			seen[a] = true
		}
	}
	// The guardrails need the whole cluster (last admin), so read every entry.
	live, err := plan.ReadCluster(ctx, c.EKS, cluster, plan.ReadOptions{Concurrency: o.conc})
	if err != nil {
		return err
	}
	var plans []plan.PrincipalPlan
	for i, r := range refs {
		a, ok := matched[i]
		if !ok {
			plans = append(plans, plan.PrincipalPlan{Principal: r.Raw, Source: r.Source.String()})
			continue
		}
		if !seen[a] {
			continue
		}
		delete(seen, a)
		e := live.Entries[a]
		if e == nil {
			plans = append(plans, plan.PrincipalPlan{Principal: a, Source: r.Source.String()})
			continue
		}
		var pp plan.PrincipalPlan
		if len(policyArns) == 0 {
			pp = plan.DeleteEntry(cluster, e, "")
		} else {
			pp = plan.PrincipalPlan{Principal: a, Exists: true}
			for _, pa := range policyArns {
				pp.Changes = append(pp.Changes, plan.DisassociatePolicy(cluster, e, pa, "").Changes...)
			}
		}
		pp.Source = r.Source.String()
		plans = append(plans, pp)
	}
	force := map[string]bool{}
	for _, fa := range o.force {
		force[fa] = true
		if m, err := matchEntries([]principal.Ref{{Raw: fa}}, arns); err == nil {
			if a, ok := m[0]; ok {
				force[a] = true
			}
		}
	}
	refusals := plan.Check(live.LiveCluster, plans, plan.Guard{CallerPrincipalArn: caller.PrincipalArn, Force: force})
	if len(refusals) > 0 {
		var msgs []string
		for _, r := range refusals {
			msgs = append(msgs, r.Error())
		}
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("nothing was changed: %s", strings.Join(msgs, "\n"))}
	}
	return executeAndReport(ctx, o.f, "revoke", format, o.dryRun, o.conc, plans)
}
