package usecase

import (
	"context"
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"eksaccess/internal/awsapi"
	"eksaccess/internal/plan"
	"eksaccess/internal/policy"
	"eksaccess/internal/rbac"
)

// clusterRBAC reads every RBAC object of the cluster through its API, as the caller.
func (e *Env) clusterRBAC(ctx context.Context, c *awsapi.Clients, cluster string) (*rbac.Objects, error) {
	kube, err := e.connectKube(ctx, c, cluster)
	if err != nil {
		return nil, err
	}
	objs, err := kube.RBAC(ctx, "")
	if err != nil {
		return nil, teamKubeError(cluster, "read RBAC", err)
	}
	return objs, nil
}

// entrySubject is who the cluster sees for an access entry: its username (the principal ARN
// when EKS's default or a per-session template applies) and its groups plus
// system:authenticated.
func entrySubject(le *plan.LiveEntry) rbac.Subject {
	user := le.Username
	if user == "" || strings.Contains(user, "{{") {
		user = le.PrincipalArn
	}
	return rbac.Subject{User: user, Groups: append(append([]string(nil), le.KubernetesGroups...), "system:authenticated")}
}

// RBACGrant is an RBAC rule that allows a request, with its path.
type RBACGrant struct {
	rbac.Grant
	Path string `json:"path"`
}

func rbacGrants(gs []rbac.Grant) []RBACGrant {
	out := make([]RBACGrant, len(gs))
	for i, g := range gs {
		out[i] = RBACGrant{Grant: g, Path: g.Path()}
	}
	return out
}

// withClusterRBAC completes an offline decision with the cluster's RBAC: a request no access
// policy allows may be allowed by a binding of the entry's user or groups.
func withClusterRBAC(d policy.Decision, objs *rbac.Objects, le *plan.LiveEntry, req policy.Request) (policy.Decision, []rbac.Grant) {
	if le == nil || objs == nil {
		return d, nil
	}
	grants := objs.Allows(entrySubject(le), req)
	if d.Outcome == policy.Allowed {
		return d, grants
	}
	if len(grants) > 0 {
		paths := make([]string, len(grants))
		for i, g := range grants {
			paths[i] = g.Path()
		}
		d.Outcome = policy.Allowed
		d.Reason = "allowed by RBAC: " + strings.Join(paths, "; ")
		return d, grants
	}
	switch d.Outcome {
	case policy.DependsOnRBAC:
		d.Outcome = policy.Denied
		d.Reason = "no access policy allows it, and no RBAC rule bound to " + subjectText(entrySubject(le)) + " does"
	case policy.Unknown:
		d.Reason += "; the cluster's RBAC does not allow it"
	}
	return d, nil
}

func subjectText(s rbac.Subject) string {
	return "user " + s.User + " or groups " + strings.Join(s.Groups, ", ")
}

// AccessRequest asks for a principal's effective permissions.
type AccessRequest struct {
	Cluster   ClusterRef `json:"cluster"`
	Principal string     `json:"principal"`
	// Namespace: the rules that apply in it; "" the cluster-wide ones only.
	Namespace string `json:"namespace,omitempty"`
	Offline   bool   `json:"offline,omitempty"`
}

// AccessRule is one rule that applies, with where it comes from.
type AccessRule struct {
	// Source: access-policy or rbac.
	Source string `json:"source"`
	// Via: "AmazonEKSEditPolicy (namespace scope: a, b)" or binding → role.
	Via string `json:"via"`
	// Namespace is where the rule applies ("" everywhere: cluster scope).
	Namespace string            `json:"namespace,omitempty"`
	Rule      rbacv1.PolicyRule `json:"rule"`
	// For access policies.
	Policy     string   `json:"policy,omitempty"`
	Scope      string   `json:"scope,omitempty"`
	Namespaces []string `json:"namespaces,omitempty"`
	// For RBAC.
	Binding        string `json:"binding,omitempty"`
	Subject        string `json:"subject,omitempty"`
	Role           string `json:"role,omitempty"`
	AggregatedFrom string `json:"aggregatedFrom,omitempty"`
}

// AccessResult is what `eksaccess access -o json` prints.
type AccessResult struct {
	Cluster   string       `json:"cluster"`
	Principal string       `json:"principal"`
	Namespace string       `json:"namespace,omitempty"`
	Entry     *CanIEntry   `json:"entry,omitempty"`
	RBACRead  bool         `json:"rbacRead"`
	Notes     []string     `json:"notes,omitempty"`
	Rules     []AccessRule `json:"rules"`
}

// Access lists every rule that applies to the principal (in Namespace, or cluster-wide),
// from its access policies (AWS's published rules) and the cluster's RBAC (bindings of its
// username or groups, aggregated ClusterRoles credited to the ClusterRole each rule came
// from).
func (e *Env) Access(ctx context.Context, r AccessRequest) (*AccessResult, error) {
	if err := r.Cluster.check(); err != nil {
		return nil, err
	}
	if r.Namespace != "" {
		if _, _, err := (KubeRequest{Verb: "get", Resource: "pods", Namespace: r.Namespace}).Parse(); err != nil {
			return nil, err
		}
	}
	c, cluster, live, arn, err := e.entryOf(ctx, r.Cluster, r.Principal)
	if err != nil {
		return nil, err
	}
	res := &AccessResult{Cluster: cluster, Principal: arn, Namespace: r.Namespace, Rules: []AccessRule{}}
	le := live.Entries[arn]
	if le == nil {
		res.Notes = append(res.Notes, fmt.Sprintf("%s has no access entry on cluster %s, so EKS refuses its tokens", arn, cluster))
		return res, nil
	}
	res.Entry = &CanIEntry{PrincipalArn: le.PrincipalArn, Type: le.Type, Username: le.Username, Groups: le.KubernetesGroups}
	for _, a := range policyEntry(le).Associations {
		p, known := policy.Lookup(a.PolicyArn)
		name := a.PolicyArn[strings.LastIndex(a.PolicyArn, "/")+1:]
		scope := strings.ToLower(a.ScopeType)
		applies := scope == policy.ScopeCluster || (r.Namespace != "" && policy.NamespaceMatches(a.Namespaces, r.Namespace))
		if !applies {
			continue
		}
		if !known || !p.Documented {
			res.Notes = append(res.Notes, "AWS does not publish the Kubernetes rules of "+name+": what it grants is not listed")
			continue
		}
		via := p.Name + " (cluster scope)"
		ns := ""
		if scope == policy.ScopeNamespace {
			via = p.Name + " (namespace scope: " + strings.Join(a.Namespaces, ", ") + ")"
			ns = r.Namespace
		}
		for _, pr := range p.Rules {
			res.Rules = append(res.Rules, AccessRule{
				Source: "access-policy", Via: via, Namespace: ns, Policy: p.Name, Scope: scope, Namespaces: a.Namespaces,
				Rule: rbacv1.PolicyRule{APIGroups: pr.APIGroups, Resources: pr.Resources, Verbs: pr.Verbs, NonResourceURLs: pr.NonResourceURLs},
			})
		}
	}
	if r.Offline || e.ClusterKube == nil {
		res.Notes = append(res.Notes, "offline: RBAC bound to groups "+strings.Join(le.KubernetesGroups, ", ")+" is not read")
		return res, nil
	}
	objs, err := e.clusterRBAC(ctx, c, cluster)
	if err != nil {
		return nil, fmt.Errorf("%w (or add --offline for the access policies alone)", err)
	}
	res.RBACRead = true
	for _, g := range objs.Grants(entrySubject(le), r.Namespace) {
		res.Rules = append(res.Rules, AccessRule{
			Source: "rbac", Via: g.Binding + " → " + g.Role, Namespace: g.Namespace, Rule: g.Rule,
			Binding: g.Binding, Subject: g.Subject, Role: g.Role, AggregatedFrom: g.AggregatedFrom,
		})
	}
	return res, nil
}
