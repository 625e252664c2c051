package usecase

import (
	"context"
	"fmt"
	"strings"

	"eksaccess/internal/apply"
	"eksaccess/internal/plan"
	"eksaccess/internal/principal"
	"eksaccess/internal/role"
)

// RoleCreateRequest converges the shared role: policy, trusted role, attachment, and with
// Grant the role's access entry (an additive grant through the one engine).
type RoleCreateRequest struct {
	Spec role.Spec `json:"spec"`
	// Trust: "account", an account id, or principal ARNs.
	Trust  []string   `json:"trust"`
	Grant  *RoleGrant `json:"grant,omitempty"`
	DryRun bool       `json:"dryRun,omitempty"`
	Force  []string   `json:"force,omitempty"`
	// Adopt, when set, is asked before taking over a role or policy eksaccess did not create
	// (it shows the trust-policy diff and the new policy version); nil refuses them.
	Adopt func([]role.Adoption) (bool, error) `json:"-"`
}

// RoleGrant is role create's --grant.
type RoleGrant struct {
	Cluster    ClusterRef `json:"cluster"`
	Policies   []string   `json:"policies"`
	Namespaces []string   `json:"namespaces,omitempty"`
}

// RoleCreateResult is what role create did.
type RoleCreateResult struct {
	*role.Result
	Grant *RoleGrantResult `json:"grant,omitempty"`
	// RoleCreated: the role is new (users are told how to assume it).
	RoleCreated bool `json:"-"`
}

// RoleGrantResult is the access-entry step.
type RoleGrantResult struct {
	Cluster string        `json:"cluster"`
	Status  role.Status   `json:"status"`
	Changes []plan.Change `json:"changes,omitempty"`
	// Error: the role is set up but the access entry is not complete.
	Error string `json:"error,omitempty"`
}

// Validate checks the request offline.
func (r *RoleCreateRequest) Validate() error {
	for _, t := range r.Trust {
		if err := role.CheckTrustSyntax(t); err != nil {
			return &InputError{Err: err}
		}
	}
	spec := r.Spec
	spec.Trust = []string{"placeholder"} // resolved once the caller's account is known
	if err := spec.Validate(); err != nil {
		return &InputError{Err: err}
	}
	if g := r.Grant; g != nil {
		if err := g.Cluster.check(); err != nil {
			return err
		}
		if len(g.Policies) == 0 {
			return inputErrorf("--grant needs --policy: name the EKS access policy, e.g. --policy AmazonEKSClusterAdminPolicy (list them with `eksaccess policies`)")
		}
		for _, ns := range g.Namespaces {
			if err := principal.ValidateNamespace(ns); err != nil {
				return inputErrorf("--namespace %s: %v", ns, err)
			}
		}
	}
	return nil
}

// RoleCreate converges only what eksaccess owns (tagged eksaccess/managed), adopting others
// only when Adopt agrees; the grant is checked (cluster, mode, policies) before the first IAM
// change, then planned additively and run through the engine under the same journal run.
func (e *Env) RoleCreate(ctx context.Context, r RoleCreateRequest) (*RoleCreateResult, error) {
	c, caller, err := e.beginSession(ctx, &r)
	if err != nil {
		return nil, err
	}
	spec := r.Spec
	spec.Trust = nil
	seen := map[string]bool{}
	for _, t := range r.Trust {
		arn, err := role.TrustPrincipal(t, caller.Account, caller.Partition)
		if err != nil {
			return nil, &InputError{Err: err}
		}
		if !seen[arn] {
			seen[arn] = true
			spec.Trust = append(spec.Trust, arn)
		}
	}
	var live *plan.LiveCluster
	var policyArns []string
	if g := r.Grant; g != nil {
		cluster, err := e.resolveCluster(ctx, c, g.Cluster)
		if err != nil {
			return nil, err
		}
		if live, err = readCluster(ctx, c, cluster, 16); err != nil {
			return nil, err
		}
		if live.AuthenticationMode == "CONFIG_MAP" {
			return nil, fmt.Errorf("cluster %s uses the aws-auth ConfigMap only (authentication mode CONFIG_MAP) and has no access entries: switch it with `eksaccess auth-mode -c %s --set API_AND_CONFIG_MAP`", cluster, cluster)
		}
		if policyArns, err = resolvePolicies(ctx, c.EKS, g.Policies); err != nil {
			return nil, err
		}
	}
	var j *apply.Journal
	if !r.DryRun {
		if j, err = e.beginRun(caller, "role create "+spec.RoleName); err != nil {
			return nil, err
		}
	}
	interrupted := false
	defer func() {
		if j != nil {
			endRun(ctx, j, interrupted)
		}
	}()
	res, err := role.Converge(ctx, c.IAM, spec, role.Options{Account: caller.Account, Partition: caller.Partition, DryRun: r.DryRun, Adopt: r.Adopt})
	if err != nil {
		return nil, err
	}
	for _, s := range res.Steps {
		if s.Status != role.Unchanged {
			j.Write(apply.Record{Principal: res.RoleArn, Action: roleJournalAction(s), Policy: res.PolicyArn, Result: "ok"})
		}
	}
	out := &RoleCreateResult{Result: res, RoleCreated: len(res.Steps) > 1 && res.Steps[1].Status == role.Created}
	if r.Grant == nil {
		return out, nil
	}
	g := &RoleGrantResult{Cluster: live.Name, Status: role.Unchanged}
	out.Grant = g
	plans, err := GrantPlans(live, []principal.Principal{{Arn: res.RoleArn, Source: principal.ArgSource(1)}},
		GrantSpec{PolicyArns: policyArns, Namespaces: r.Grant.Namespaces})
	if err != nil {
		return nil, err
	}
	g.Changes = plans[0].Changes
	switch {
	case len(g.Changes) == 0:
	case live.Entries[res.RoleArn] == nil:
		g.Status = role.Created
	default:
		g.Status = role.Updated
	}
	run, err := e.Run(ctx, caller, []*Change{{Live: live, Plans: plans}}, RunOptions{Command: "role create", DryRun: r.DryRun, Force: r.Force, Concurrency: 1, Journal: j})
	if err != nil {
		return out, err
	}
	if run.Summary != nil {
		interrupted = run.Summary.Interrupted
		if rr := run.Summary.Results[0]; rr.Outcome == apply.Failed || rr.Outcome == apply.NotRun {
			g.Error = fmt.Sprintf("access entry for %s on %s: %s", res.RoleArn, live.Name, rr.Error)
			g.Changes = rr.Applied
		}
	}
	return out, nil
}

// roleJournalAction names an IAM step in the journal: create-policy, update-policy,
// create-role, update-role, attach-policy, adopt-role, ...
func roleJournalAction(s role.Step) string {
	if s.Resource == "attachment" {
		return "attach-policy"
	}
	return strings.TrimSuffix(string(s.Status), "d") + "-" + s.Resource
}
