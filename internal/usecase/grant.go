package usecase

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"eksaccess/internal/plan"
	"eksaccess/internal/principal"
)

// EntryTypes are the access entry types EKS knows.
var EntryTypes = []string{"STANDARD", "EC2_LINUX", "EC2_WINDOWS", "EC2", "FARGATE_LINUX", "HYBRID_LINUX", "HYPERPOD_LINUX"}

// AccessTarget is the access a grant gives or a revoke takes: the principals' entries on a
// cluster, and access policies (by name or ARN) with the namespaces they cover, if any.
type AccessTarget struct {
	Cluster    ClusterRef `json:"cluster"`
	Principals Principals `json:"principals"`
	Policies   []string   `json:"policies,omitempty"`
	Namespaces []string   `json:"namespaces,omitempty"`
}

// GrantRequest is a grant: principals get policies (cluster scope, or the namespaces), and
// optionally Kubernetes groups, a username, a type, an expiry.
type GrantRequest struct {
	AccessTarget
	Groups   []string `json:"groups,omitempty"`
	Username *string  `json:"username,omitempty"`
	Type     string   `json:"type,omitempty"`
	// Expires is a duration (30d) or a time (2026-12-31); "" never expires.
	Expires     string `json:"expires,omitempty"`
	DryRun      bool   `json:"dryRun,omitempty"`
	Concurrency int    `json:"concurrency,omitempty"`
}

// Validate checks the request offline (exit 2 when it fails): every problem at once.
func (r *GrantRequest) Validate(now time.Time) error {
	if err := r.Cluster.check(); err != nil {
		return err
	}
	if r.Principals.Empty() {
		return inputErrorf("name who gets access: principals as arguments, --users-file FILE or --iam-group GROUP")
	}
	if r.Type == "" {
		r.Type = "STANDARD"
	}
	r.Type = strings.ToUpper(strings.TrimSpace(r.Type))
	if !slices.Contains(EntryTypes, r.Type) {
		return inputErrorf("--type %q is not an access entry type: use one of %s", r.Type, strings.Join(EntryTypes, ", "))
	}
	if r.Type == "STANDARD" && len(r.Policies) == 0 && len(r.Groups) == 0 {
		return inputErrorf("name at least one access policy with --policy (see `eksaccess policies`), or a Kubernetes group with --group")
	}
	if r.Type != "STANDARD" && (len(r.Policies) > 0 || len(r.Groups) > 0 || r.Username != nil || len(r.Namespaces) > 0 || r.Expires != "") {
		return inputErrorf("a %s entry takes no --policy, --namespace, --group, --username or --expires: EKS gives node and service entries their own", r.Type)
	}
	if len(r.Namespaces) > 0 && len(r.Policies) == 0 {
		return inputErrorf("--namespace scopes access policies: add --policy")
	}
	if err := checkConcurrency(r.Concurrency); err != nil {
		return err
	}
	var problems []string
	for _, ns := range r.Namespaces {
		if err := principal.ValidateNamespace(ns); err != nil {
			problems = append(problems, "--namespace "+ns+": "+err.Error())
		}
	}
	for _, g := range r.Groups {
		if err := principal.ValidateKubernetesGroup(g); err != nil {
			problems = append(problems, "--group "+g+": "+err.Error())
		}
	}
	if r.Username != nil {
		u := strings.TrimSpace(*r.Username)
		r.Username = &u
		if err := principal.ValidateUsername(u); err != nil {
			problems = append(problems, "--username: "+err.Error())
		}
	}
	if r.Expires != "" {
		if _, err := plan.ParseExpiry(r.Expires, now); err != nil {
			problems = append(problems, "--expires: "+err.Error())
		}
	}
	for _, p := range r.Policies {
		if strings.TrimSpace(p) == "" {
			problems = append(problems, "--policy: empty policy name")
		}
	}
	if len(problems) > 0 {
		return &InputError{Err: errors.New(strings.Join(problems, "\n"))}
	}
	return nil
}

func checkConcurrency(n int) error {
	if n < 1 || n > 256 {
		return inputErrorf("--concurrency must be between 1 and 256, got %d", n)
	}
	return nil
}

// Grant gives principals access. It is additive: it never removes a namespace or narrows a
// cluster scope (namespaces merge into an existing association), never touches what it
// was not asked for, and records an expiry per grant. Everything is checked before the first
// change; entries that already have the access are left alone, so a second run changes
// nothing.
func (e *Env) Grant(ctx context.Context, r GrantRequest) (*Outcome, error) {
	now := e.now()
	if err := r.Validate(now); err != nil {
		return nil, err
	}
	c, err := e.AWS(ctx, "")
	if err != nil {
		return nil, err
	}
	// Policies and principals both, so one run reports every problem.
	var policyArns []string
	var policyErr error
	if len(r.Policies) > 0 {
		policyArns, policyErr = resolvePolicies(ctx, c.EKS, r.Policies)
		if policyErr != nil && !IsInput(policyErr) {
			return nil, policyErr
		}
	}
	caller, err := e.Caller(ctx)
	if err != nil {
		return nil, err
	}
	ps, err := resolvePrincipals(ctx, c, caller, r.Principals)
	if err != nil {
		if policyErr != nil && IsInput(err) {
			return nil, &InputError{Err: fmt.Errorf("%w\n%v", policyErr, err)}
		}
		return nil, err
	}
	if policyErr != nil {
		return nil, policyErr
	}
	cluster, err := e.resolveCluster(ctx, c, r.Cluster)
	if err != nil {
		return nil, err
	}
	only := map[string]bool{}
	for _, p := range ps {
		only[p.Arn] = true
	}
	live, err := readEntries(ctx, c, cluster, r.Concurrency, only)
	if err != nil {
		return nil, err
	}
	if live.AuthenticationMode == "CONFIG_MAP" {
		return nil, fmt.Errorf("cluster %s authenticates only through the aws-auth ConfigMap (CONFIG_MAP) and has no access entries: switch it with `eksaccess auth-mode -c %s --set API_AND_CONFIG_MAP` first", cluster, cluster)
	}
	var at time.Time
	if r.Expires != "" {
		at, _ = plan.ParseExpiry(r.Expires, now)
	}
	plans, err := GrantPlans(live, ps, GrantSpec{PolicyArns: policyArns, Namespaces: r.Namespaces, Groups: r.Groups, Username: r.Username, Type: r.Type, ExpiresAt: at})
	if err != nil {
		return nil, err
	}
	return e.Run(ctx, caller, []*Change{{Live: live, Plans: plans}}, RunOptions{Command: "grant", DryRun: r.DryRun, Concurrency: r.Concurrency})
}

// GrantSpec is a grant resolved to ARNs.
type GrantSpec struct {
	PolicyArns []string
	Namespaces []string
	Groups     []string
	Username   *string
	Type       string
	ExpiresAt  time.Time
}

// GrantPlans plans an additive grant of spec to each principal on live (also used by role
// create --grant and team add).
func GrantPlans(live *plan.LiveCluster, ps []principal.Principal, spec GrantSpec) ([]plan.PrincipalPlan, error) {
	var ns []string
	if len(spec.Namespaces) > 0 {
		ns = slices.Clone(spec.Namespaces)
		slices.Sort(ns)
		ns = slices.Compact(ns)
	}
	typ := spec.Type
	if typ == "" {
		typ = "STANDARD"
	}
	var pols []plan.DesiredPolicy
	for _, arn := range spec.PolicyArns {
		pols = append(pols, plan.DesiredPolicy{PolicyArn: arn, Namespaces: ns})
	}
	var plans []plan.PrincipalPlan
	var bad []string
	for _, p := range ps {
		le := live.Entries[p.Arn]
		if le != nil && le.Type != typ {
			bad = append(bad, fmt.Sprintf("%s already has a %s access entry on %s; the type of an entry cannot change: revoke it first if you mean to replace it", p.Arn, le.Type, live.Name))
			continue
		}
		d := &plan.DesiredEntry{PrincipalArn: p.Arn, Source: p.Source.String(), Tags: map[string]string{}, Policies: pols}
		if le == nil || le.Managed() {
			d.Tags[plan.TagManaged] = "true" // grant does not take over entries it did not create
		}
		if typ != "STANDARD" {
			d.Type = typ
		}
		d.Username = spec.Username
		if len(spec.Groups) > 0 {
			have := []string{}
			if le != nil {
				have = le.KubernetesGroups
			}
			d.KubernetesGroups = append(slices.Clone(have), spec.Groups...) // groups are added
		}
		if typ == "STANDARD" {
			set, remove, err := plan.GrantExpiry(le, pols, spec.ExpiresAt)
			if err != nil {
				bad = append(bad, fmt.Sprintf("%s: %v", p.Arn, err))
				continue
			}
			for k, v := range set {
				d.Tags[k] = v
			}
			d.RemoveTags = remove
			if le == nil && !spec.ExpiresAt.IsZero() {
				d.ExpiresAt = spec.ExpiresAt
			}
		}
		plans = append(plans, plan.DiffEntry(live.Name, plan.Additive, d, le))
	}
	if len(bad) > 0 {
		return nil, &InputError{Err: errors.New(strings.Join(bad, "\n"))}
	}
	return plans, nil
}
