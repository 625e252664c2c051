package usecase

import (
	"context"
	"fmt"
	"strings"

	"eksaccess/internal/plan"
	"eksaccess/internal/policy"
	"eksaccess/internal/rbac"
)

// CanIRequest asks offline whether a principal may make a Kubernetes request.
type CanIRequest struct {
	Cluster   ClusterRef  `json:"cluster"`
	Principal string      `json:"principal"`
	Request   KubeRequest `json:"request"`
	// Offline answers from the access entry and policies alone; otherwise the cluster's
	// RBAC is read too when its API answers.
	Offline bool `json:"offline,omitempty"`
}

// Validate checks the request offline and returns the notes of KubeRequest.Parse.
func (r *CanIRequest) Validate() ([]string, error) {
	var who error
	if strings.TrimSpace(r.Principal) == "" {
		who = inputErrorf("PRINCIPAL is empty: give an IAM user name, role/NAME or an ARN")
	}
	return validateQuery(r.Cluster, who, r.Request)
}

// validateQuery checks a can-i or who-can request offline: the cluster first, then the
// request's own problem (nil for none), then the Kubernetes request, whose notes it returns.
func validateQuery(cluster ClusterRef, own error, req KubeRequest) ([]string, error) {
	if err := cluster.check(); err != nil {
		return nil, err
	}
	if own != nil {
		return nil, own
	}
	_, notes, err := req.Parse()
	return notes, err
}

// CanIResult is the answer (what `eksaccess can-i -o json` prints).
type CanIResult struct {
	Cluster         string            `json:"cluster"`
	Principal       string            `json:"principal"`
	Request         string            `json:"request"`
	Answer          string            `json:"answer"` // yes | no | unknown | depends-on-rbac
	Entry           *CanIEntry        `json:"entry,omitempty"`
	GrantedBy       []CanIGrant       `json:"grantedBy,omitempty"`
	UnknownPolicies []string          `json:"unknownPolicies,omitempty"`
	Reason          string            `json:"reason"`
	Attributes      RequestAttributes `json:"attributes"`
	// RBACRead: the cluster's RBAC was read and is part of the answer; RBACGrants are the
	// RBAC rules that allow the request (binding → role → rule).
	RBACRead   bool        `json:"rbacRead,omitempty"`
	RBACGrants []RBACGrant `json:"rbacGrants,omitempty"`
	// Via names what grants it, in words (for a table).
	Via string `json:"-"`
}

// Allowed reports a yes.
func (r *CanIResult) Allowed() bool { return r.Answer == policy.Allowed.String() }

// RequestAttributes are the Kubernetes request attributes that were evaluated.
type RequestAttributes struct {
	Verb           string `json:"verb"`
	APIGroup       string `json:"apiGroup"`
	Resource       string `json:"resource,omitempty"`
	Subresource    string `json:"subresource,omitempty"`
	Namespace      string `json:"namespace,omitempty"`
	NonResourceURL string `json:"nonResourceURL,omitempty"`
}

// CanIEntry is the access entry an answer comes from.
type CanIEntry struct {
	PrincipalArn string   `json:"principalArn"`
	Type         string   `json:"type"`
	Username     string   `json:"username,omitempty"`
	Groups       []string `json:"kubernetesGroups,omitempty"`
}

// CanIGrant names one access policy (or Kubernetes default) that allows the request.
type CanIGrant struct {
	Policy     string   `json:"policy"`
	PolicyArn  string   `json:"policyArn,omitempty"`
	Scope      string   `json:"scope"`
	Namespaces []string `json:"namespaces,omitempty"`
	Builtin    bool     `json:"builtin,omitempty"`
}

func grantsOf(d policy.Decision) []CanIGrant {
	var out []CanIGrant
	for _, g := range d.GrantedBy {
		out = append(out, CanIGrant{Policy: g.PolicyName, PolicyArn: g.PolicyArn, Scope: g.ScopeType, Namespaces: g.Namespaces, Builtin: g.Builtin})
	}
	return out
}

func grantsText(d policy.Decision) string {
	parts := make([]string, len(d.GrantedBy))
	for i, g := range d.GrantedBy {
		parts[i] = g.String()
	}
	return strings.Join(parts, "; ")
}

// policyEntry maps a live access entry to what the evaluator needs.
func policyEntry(e *plan.LiveEntry) policy.Entry {
	pe := policy.Entry{PrincipalArn: e.PrincipalArn, Type: e.Type, Username: e.Username, Groups: append([]string(nil), e.KubernetesGroups...)}
	for _, p := range e.Policies {
		pe.Associations = append(pe.Associations, policy.Association{PolicyArn: p.PolicyArn, ScopeType: p.ScopeType, Namespaces: append([]string(nil), p.Namespaces...)})
	}
	return pe
}

func configMapOnly(cluster string) string {
	return fmt.Sprintf("cluster %s maps IAM principals with the aws-auth ConfigMap only (authentication mode CONFIG_MAP), which eksaccess cannot read offline: see `eksaccess migrate aws-auth -c %s`", cluster, cluster)
}

// offlineDecision evaluates req for principalArn on a cluster read: the entry's decision,
// or a "no"/"unknown" that explains why there is no entry to evaluate.
func offlineDecision(live *plan.LiveCluster, principalArn string, req policy.Request) (policy.Decision, *plan.LiveEntry) {
	if live.AuthenticationMode == "CONFIG_MAP" {
		return policy.Decision{Outcome: policy.Unknown, Reason: configMapOnly(live.Name)}, nil
	}
	e := live.Entries[principalArn]
	if e == nil {
		reason := fmt.Sprintf("%s has no access entry on cluster %s, so EKS refuses its tokens", principalArn, live.Name)
		if live.AuthenticationMode == "API_AND_CONFIG_MAP" {
			reason += " (unless the aws-auth ConfigMap maps it)"
		}
		return policy.Decision{Outcome: policy.Denied, Reason: reason}, nil
	}
	return policy.Evaluate(policyEntry(e), req), e
}

// Evaluation is what a principal's access entry allows, request by request, offline.
type Evaluation struct {
	Cluster      string
	PrincipalArn string
	Entry        *plan.LiveEntry // nil: none
	Decisions    []policy.Decision
	// NoEntry explains why there is no entry to evaluate (Entry nil).
	NoEntry string
}

// EvaluateOffline resolves the principal (the one resolver), reads its access entry and
// evaluates each request with the access policies' published rules.
func (e *Env) EvaluateOffline(ctx context.Context, ref ClusterRef, principal string, reqs []policy.Request) (*Evaluation, error) {
	_, cluster, live, arn, err := e.entryOf(ctx, ref, principal)
	if err != nil {
		return nil, err
	}
	ev := &Evaluation{Cluster: cluster, PrincipalArn: arn}
	// Who the cluster would see at all: any request answers that.
	probe, le := offlineDecision(live, arn, policy.Request{Verb: "create", APIGroup: "authentication.k8s.io", Resource: "selfsubjectreviews"})
	ev.Entry = le
	if le == nil {
		ev.NoEntry = probe.Reason
	}
	for _, req := range reqs {
		d, _ := offlineDecision(live, arn, req)
		ev.Decisions = append(ev.Decisions, d)
	}
	return ev, nil
}

// CanI answers offline, from the principal's access entry and the Kubernetes rules AWS
// publishes for each access policy, whether it may make the request, and through what.
func (e *Env) CanI(ctx context.Context, r CanIRequest) (*CanIResult, error) {
	if _, err := r.Validate(); err != nil {
		return nil, err
	}
	req, _, _ := r.Request.Parse()
	ev, err := e.EvaluateOffline(ctx, r.Cluster, r.Principal, []policy.Request{req})
	if err != nil {
		return nil, err
	}
	d := ev.Decisions[0]
	var grants []rbac.Grant
	rbacRead := false
	if !r.Offline && e.ClusterKube != nil && ev.Entry != nil {
		if objs, err := e.readRBACFor(ctx, r.Cluster, ev.Cluster); err != nil {
			e.logf("can-i: the cluster's RBAC is not read (%v); answering from access policies alone", err)
		} else {
			rbacRead = true
			d, grants = withClusterRBAC(d, objs, ev.Entry, req)
		}
	}
	res := &CanIResult{
		Cluster: ev.Cluster, Principal: ev.PrincipalArn, Request: DescribeRequest(req), Answer: d.Outcome.String(),
		GrantedBy: grantsOf(d), UnknownPolicies: d.UnknownPolicies, Reason: d.Reason, Via: grantsText(d),
		Attributes: RequestAttributes{Verb: req.Verb, APIGroup: req.APIGroup, Resource: req.Resource, Subresource: req.Subresource, Namespace: req.Namespace, NonResourceURL: req.NonResourceURL},
	}
	if le := ev.Entry; le != nil {
		res.Entry = &CanIEntry{PrincipalArn: le.PrincipalArn, Type: le.Type, Username: le.Username, Groups: le.KubernetesGroups}
	}
	res.RBACRead = rbacRead
	if len(grants) > 0 {
		res.RBACGrants = rbacGrants(grants)
		if res.Via != "" {
			res.Via += "; "
		}
		res.Via += "RBAC " + res.RBACGrants[0].Path
		for _, g := range res.RBACGrants[1:] {
			res.Via += "; RBAC " + g.Path
		}
	}
	return res, nil
}

// readRBACFor reads the cluster's RBAC (the cluster already resolved).
func (e *Env) readRBACFor(ctx context.Context, _ ClusterRef, cluster string) (*rbac.Objects, error) {
	c, err := e.AWS(ctx, "")
	if err != nil {
		return nil, err
	}
	return e.clusterRBAC(ctx, c, cluster)
}

// WhoCanRequest asks offline which access entries may make a Kubernetes request.
type WhoCanRequest struct {
	Cluster ClusterRef  `json:"cluster"`
	Request KubeRequest `json:"request"`
	// Offline: access policies alone (see CanIRequest.Offline).
	Offline bool `json:"offline,omitempty"`
}

// Validate checks the request offline and returns the notes of KubeRequest.Parse.
func (r *WhoCanRequest) Validate() ([]string, error) {
	return validateQuery(r.Cluster, nil, r.Request)
}

// WhoCanResult lists the entries that may (yes), might (unknown, depends-on-rbac) make the
// request; those that may not are left out.
type WhoCanResult struct {
	Cluster  string      `json:"cluster"`
	Request  string      `json:"request"`
	RBACRead bool        `json:"rbacRead,omitempty"`
	Rows     []WhoCanRow `json:"rows"`
}

// WhoCanRow is one entry's answer (a row of `eksaccess who-can -o json`).
type WhoCanRow struct {
	PrincipalArn    string      `json:"principalArn"`
	Type            string      `json:"type"`
	Username        string      `json:"username,omitempty"`
	Answer          string      `json:"answer"`
	GrantedBy       []CanIGrant `json:"grantedBy,omitempty"`
	UnknownPolicies []string    `json:"unknownPolicies,omitempty"`
	RBACGrants      []RBACGrant `json:"rbacGrants,omitempty"`
	Reason          string      `json:"reason"`
	// Via is what grants it in words (a yes), else the reason.
	Via string `json:"-"`
}

// WhoCan evaluates the request for every access entry of the cluster.
func (e *Env) WhoCan(ctx context.Context, r WhoCanRequest) (*WhoCanResult, error) {
	if _, err := r.Validate(); err != nil {
		return nil, err
	}
	req, _, _ := r.Request.Parse()
	list, err := e.ListEntries(ctx, ListEntriesRequest{Cluster: r.Cluster})
	if err != nil {
		return nil, err
	}
	cluster := list.Cluster
	if list.AuthenticationMode == "CONFIG_MAP" {
		return nil, fmt.Errorf("%s", configMapOnly(cluster))
	}
	entries := make([]policy.Entry, len(list.Entries))
	byArn := map[string]*plan.LiveEntry{}
	for i, le := range list.Entries {
		entries[i] = policyEntry(le)
		byArn[le.PrincipalArn] = le
	}
	res := &WhoCanResult{Cluster: cluster, Request: DescribeRequest(req), Rows: []WhoCanRow{}}
	var objs *rbac.Objects
	if !r.Offline && e.ClusterKube != nil {
		if objs, err = e.readRBACFor(ctx, r.Cluster, cluster); err != nil {
			e.logf("who-can: the cluster's RBAC is not read (%v); answering from access policies alone", err)
			objs = nil
		}
	}
	type row struct {
		arn    string
		d      policy.Decision
		grants []rbac.Grant
	}
	var rows []row
	if objs == nil {
		for _, w := range policy.WhoCan(entries, req) {
			rows = append(rows, row{arn: w.PrincipalArn, d: w.Decision})
		}
	} else {
		res.RBACRead = true
		for i, le := range list.Entries {
			d, grants := withClusterRBAC(policy.Evaluate(entries[i], req), objs, le, req)
			if d.Outcome != policy.Denied {
				rows = append(rows, row{arn: le.PrincipalArn, d: d, grants: grants})
			}
		}
	}
	for _, w := range rows {
		le := byArn[w.arn]
		d := w.d
		row := WhoCanRow{
			PrincipalArn: w.arn, Type: le.Type, Username: le.Username, Answer: d.Outcome.String(),
			GrantedBy: grantsOf(d), UnknownPolicies: d.UnknownPolicies, Reason: d.Reason, Via: d.Reason,
		}
		if d.Outcome == policy.Allowed {
			row.Via = grantsText(d)
			if len(w.grants) > 0 {
				row.RBACGrants = rbacGrants(w.grants)
				for _, g := range row.RBACGrants {
					if row.Via != "" {
						row.Via += "; "
					}
					row.Via += "RBAC " + g.Path
				}
			}
		}
		res.Rows = append(res.Rows, row)
	}
	return res, nil
}
