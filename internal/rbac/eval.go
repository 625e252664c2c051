package rbac

import (
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"eksaccess/internal/policy"
)

// Objects are a cluster's RBAC objects, as read through its API.
type Objects struct {
	ClusterRoles        []rbacv1.ClusterRole
	ClusterRoleBindings []rbacv1.ClusterRoleBinding
	Roles               []rbacv1.Role
	RoleBindings        []rbacv1.RoleBinding
}

// Subject is who asks: the username and groups the cluster's authenticator gives.
type Subject struct {
	User   string
	Groups []string
}

// Grant is one RBAC rule that applies to a subject, with the path to it: binding → role →
// rule (and, for an aggregated ClusterRole, the ClusterRole the rule was aggregated from).
type Grant struct {
	Binding        string            `json:"binding"` // ClusterRoleBinding/NAME or RoleBinding/NS/NAME
	Subject        string            `json:"subject"` // the binding's subject that matched: Group g, User u
	Role           string            `json:"role"`    // ClusterRole/NAME or Role/NS/NAME
	AggregatedFrom string            `json:"aggregatedFrom,omitempty"`
	Namespace      string            `json:"namespace,omitempty"` // where it applies ("" everywhere)
	Rule           rbacv1.PolicyRule `json:"rule"`
}

// Path renders the grant as binding → role → rule.
func (g Grant) Path() string {
	role := g.Role
	if g.AggregatedFrom != "" {
		role += " (aggregated from " + g.AggregatedFrom + ")"
	}
	return fmt.Sprintf("%s (%s) → %s → %s", g.Binding, g.Subject, role, RuleString(g.Rule))
}

// RuleString renders a rule as kubectl describe does, compactly.
func RuleString(r rbacv1.PolicyRule) string {
	var parts []string
	if len(r.NonResourceURLs) > 0 {
		parts = append(parts, "nonResourceURLs="+strings.Join(r.NonResourceURLs, ","))
	} else {
		groups := make([]string, len(r.APIGroups))
		for i, g := range r.APIGroups {
			if g == "" {
				g = `""`
			}
			groups[i] = g
		}
		parts = append(parts, "apiGroups="+strings.Join(groups, ","), "resources="+strings.Join(r.Resources, ","))
		if len(r.ResourceNames) > 0 {
			parts = append(parts, "resourceNames="+strings.Join(r.ResourceNames, ","))
		}
	}
	parts = append(parts, "verbs="+strings.Join(r.Verbs, ","))
	return strings.Join(parts, " ")
}

func has(list []string, v string) bool { return slices.Contains(list, "*") || slices.Contains(list, v) }

// RuleAllows applies Kubernetes RBAC's matching: '*' matches any verb, group or resource;
// a resource "*/sub" matches subresource sub of any resource; resourceNames restrict to
// requests naming one of them; a non-resource URL ending in '*' matches by prefix.
func RuleAllows(rule rbacv1.PolicyRule, r policy.Request) bool {
	if !has(rule.Verbs, r.Verb) {
		return false
	}
	if r.NonResourceURL != "" {
		for _, u := range rule.NonResourceURLs {
			if u == "*" || u == r.NonResourceURL || (strings.HasSuffix(u, "*") && strings.HasPrefix(r.NonResourceURL, strings.TrimSuffix(u, "*"))) {
				return true
			}
		}
		return false
	}
	if !has(rule.APIGroups, r.APIGroup) {
		return false
	}
	combined := r.Resource
	if r.Subresource != "" {
		combined += "/" + r.Subresource
	}
	ok := false
	for _, res := range rule.Resources {
		if res == "*" || res == combined || (r.Subresource != "" && res == "*/"+r.Subresource) {
			ok = true
			break
		}
	}
	if !ok {
		return false
	}
	return len(rule.ResourceNames) == 0 || slices.Contains(rule.ResourceNames, r.Name)
}

func subjectMatches(s rbacv1.Subject, bindingNS string, who Subject) (string, bool) {
	switch s.Kind {
	case rbacv1.GroupKind:
		if slices.Contains(who.Groups, s.Name) {
			return "Group " + s.Name, true
		}
	case rbacv1.UserKind:
		if s.Name == who.User {
			return "User " + s.Name, true
		}
	case rbacv1.ServiceAccountKind:
		ns := s.Namespace
		if ns == "" {
			ns = bindingNS
		}
		if who.User == "system:serviceaccount:"+ns+":"+s.Name {
			return "ServiceAccount " + ns + "/" + s.Name, true
		}
	}
	return "", false
}

// roleRules are a role's rules, each with the ClusterRole it was aggregated from ("" for
// its own).
type sourcedRule struct {
	rule rbacv1.PolicyRule
	from string
}

func (o *Objects) clusterRole(name string) *rbacv1.ClusterRole {
	for i := range o.ClusterRoles {
		if o.ClusterRoles[i].Name == name {
			return &o.ClusterRoles[i]
		}
	}
	return nil
}

func (o *Objects) clusterRoleRules(cr *rbacv1.ClusterRole) []sourcedRule {
	out := make([]sourcedRule, 0, len(cr.Rules))
	var selected []*rbacv1.ClusterRole
	if cr.AggregationRule != nil {
		for _, sel := range cr.AggregationRule.ClusterRoleSelectors {
			s, err := metav1.LabelSelectorAsSelector(&sel)
			if err != nil {
				continue
			}
			for i := range o.ClusterRoles {
				c := &o.ClusterRoles[i]
				if c.Name != cr.Name && s.Matches(labels.Set(c.Labels)) {
					selected = append(selected, c)
				}
			}
		}
	}
	// The API server authorizes with the ClusterRole's rules; for an aggregated one the
	// aggregation controller keeps them the union of the selected ClusterRoles', and each
	// rule is credited to the ClusterRole it came from.
	for _, r := range cr.Rules {
		sr := sourcedRule{rule: r}
		for _, c := range selected {
			if slices.ContainsFunc(c.Rules, func(x rbacv1.PolicyRule) bool { return equality.Semantic.DeepEqual(x, r) }) {
				sr.from = "ClusterRole/" + c.Name
				break
			}
		}
		out = append(out, sr)
	}
	return out
}

// Grants returns every rule that applies to who in namespace (and, for namespace "", only the
// cluster-wide ones: those bound by ClusterRoleBindings).
func (o *Objects) Grants(who Subject, namespace string) []Grant {
	var out []Grant
	for _, b := range o.ClusterRoleBindings {
		subj, ok := matchAny(b.Subjects, "", who)
		if !ok || b.RoleRef.Kind != "ClusterRole" {
			continue
		}
		cr := o.clusterRole(b.RoleRef.Name)
		if cr == nil {
			continue
		}
		for _, sr := range o.clusterRoleRules(cr) {
			out = append(out, Grant{Binding: "ClusterRoleBinding/" + b.Name, Subject: subj, Role: "ClusterRole/" + cr.Name, AggregatedFrom: sr.from, Rule: sr.rule})
		}
	}
	if namespace == "" {
		return out
	}
	for _, b := range o.RoleBindings {
		if b.Namespace != namespace {
			continue
		}
		subj, ok := matchAny(b.Subjects, b.Namespace, who)
		if !ok {
			continue
		}
		binding := "RoleBinding/" + b.Namespace + "/" + b.Name
		switch b.RoleRef.Kind {
		case "ClusterRole":
			cr := o.clusterRole(b.RoleRef.Name)
			if cr == nil {
				continue
			}
			for _, sr := range o.clusterRoleRules(cr) {
				if len(sr.rule.NonResourceURLs) > 0 {
					continue // a RoleBinding grants no non-resource URL
				}
				out = append(out, Grant{Binding: binding, Subject: subj, Role: "ClusterRole/" + cr.Name, AggregatedFrom: sr.from, Namespace: namespace, Rule: sr.rule})
			}
		case "Role":
			for _, r := range o.Roles {
				if r.Namespace == b.Namespace && r.Name == b.RoleRef.Name {
					for _, rule := range r.Rules {
						out = append(out, Grant{Binding: binding, Subject: subj, Role: "Role/" + r.Namespace + "/" + r.Name, Namespace: namespace, Rule: rule})
					}
				}
			}
		}
	}
	return out
}

func matchAny(ss []rbacv1.Subject, ns string, who Subject) (string, bool) {
	for _, s := range ss {
		if d, ok := subjectMatches(s, ns, who); ok {
			return d, true
		}
	}
	return "", false
}

// Allows returns the grants that allow the request (none: RBAC denies it). Requests across
// all namespaces, on cluster-scoped resources and on non-resource URLs are allowed only by
// ClusterRoleBindings.
func (o *Objects) Allows(who Subject, r policy.Request) []Grant {
	ns := r.Namespace
	if r.NonResourceURL != "" {
		ns = ""
	}
	var out []Grant
	for _, g := range o.Grants(who, ns) {
		if RuleAllows(g.Rule, r) {
			out = append(out, g)
		}
	}
	return out
}
