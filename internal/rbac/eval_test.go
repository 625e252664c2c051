package rbac

import (
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"eksaccess/internal/policy"
)

func TestRuleAllows(t *testing.T) {
	t.Parallel()
	pods := rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list"}}
	for _, tc := range []struct {
		rule rbacv1.PolicyRule
		req  policy.Request
		want bool
	}{
		{pods, policy.Request{Verb: "get", Resource: "pods"}, true},
		{pods, policy.Request{Verb: "delete", Resource: "pods"}, false},
		{pods, policy.Request{Verb: "get", Resource: "pods", Subresource: "log"}, false},
		{pods, policy.Request{Verb: "get", APIGroup: "apps", Resource: "pods"}, false},
		{rbacv1.PolicyRule{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}, policy.Request{Verb: "escalate", APIGroup: "rbac.authorization.k8s.io", Resource: "roles"}, true},
		{rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"*/log"}, Verbs: []string{"get"}}, policy.Request{Verb: "get", Resource: "pods", Subresource: "log"}, true},
		{rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"*/log"}, Verbs: []string{"get"}}, policy.Request{Verb: "get", Resource: "pods"}, false},
		{rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods/*"}, Verbs: []string{"get"}}, policy.Request{Verb: "get", Resource: "pods", Subresource: "log"}, false},
		{rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"s1"}, Verbs: []string{"get"}}, policy.Request{Verb: "get", Resource: "secrets", Name: "s1"}, true},
		{rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"s1"}, Verbs: []string{"get"}}, policy.Request{Verb: "get", Resource: "secrets"}, false},
		{rbacv1.PolicyRule{NonResourceURLs: []string{"/healthz/*"}, Verbs: []string{"get"}}, policy.Request{Verb: "get", NonResourceURL: "/healthz/etcd"}, true},
		{rbacv1.PolicyRule{NonResourceURLs: []string{"/healthz"}, Verbs: []string{"get"}}, policy.Request{Verb: "get", NonResourceURL: "/healthz/etcd"}, false},
		{rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"users"}, Verbs: []string{"impersonate"}}, policy.Request{Verb: "impersonate", Resource: "users"}, true},
	} {
		if got := RuleAllows(tc.rule, tc.req); got != tc.want {
			t.Errorf("RuleAllows(%s, %+v) = %v, want %v", RuleString(tc.rule), tc.req, got, tc.want)
		}
	}
}

func TestAllowsFollowsBindings(t *testing.T) {
	t.Parallel()
	group := func(g string) []rbacv1.Subject {
		return []rbacv1.Subject{{Kind: "Group", APIGroup: rbacv1.GroupName, Name: g}}
	}
	podsRule := rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get"}}
	logRule := rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods/log"}, Verbs: []string{"get"}}
	objs := &Objects{
		ClusterRoles: []rbacv1.ClusterRole{
			{ObjectMeta: metav1.ObjectMeta{Name: "agg"}, AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"to": "agg"}}}},
				Rules: []rbacv1.PolicyRule{podsRule, logRule}},
			{ObjectMeta: metav1.ObjectMeta{Name: "agg-logs", Labels: map[string]string{"to": "agg"}}, Rules: []rbacv1.PolicyRule{logRule}},
			{ObjectMeta: metav1.ObjectMeta{Name: "urls"}, Rules: []rbacv1.PolicyRule{{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}}}},
			{ObjectMeta: metav1.ObjectMeta{Name: "nodes"}, Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"list"}}}},
		},
		ClusterRoleBindings: []rbacv1.ClusterRoleBinding{
			{ObjectMeta: metav1.ObjectMeta{Name: "u-nodes"}, RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "nodes"}, Subjects: []rbacv1.Subject{{Kind: "User", Name: "alice"}}},
			{ObjectMeta: metav1.ObjectMeta{Name: "dangling"}, RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "gone"}, Subjects: group("devs")},
		},
		RoleBindings: []rbacv1.RoleBinding{
			{ObjectMeta: metav1.ObjectMeta{Name: "devs-agg", Namespace: "a"}, RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "agg"}, Subjects: group("devs")},
			{ObjectMeta: metav1.ObjectMeta{Name: "devs-urls", Namespace: "a"}, RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "urls"}, Subjects: group("devs")},
			{ObjectMeta: metav1.ObjectMeta{Name: "sa", Namespace: "b"}, RoleRef: rbacv1.RoleRef{Kind: "Role", Name: "r"}, Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "bot"}}},
		},
		Roles: []rbacv1.Role{{ObjectMeta: metav1.ObjectMeta{Name: "r", Namespace: "b"}, Rules: []rbacv1.PolicyRule{podsRule}}},
	}
	dev := Subject{User: "bob", Groups: []string{"devs", "system:authenticated"}}
	for _, tc := range []struct {
		who  Subject
		req  policy.Request
		want string // the path of the first grant, "" for none
	}{
		{dev, policy.Request{Verb: "get", Resource: "pods", Namespace: "a"}, "RoleBinding/a/devs-agg (Group devs) → ClusterRole/agg → apiGroups=\"\" resources=pods verbs=get"},
		{dev, policy.Request{Verb: "get", Resource: "pods", Subresource: "log", Namespace: "a"}, "RoleBinding/a/devs-agg (Group devs) → ClusterRole/agg (aggregated from ClusterRole/agg-logs)"},
		{dev, policy.Request{Verb: "get", Resource: "pods", Namespace: "b"}, ""},
		{dev, policy.Request{Verb: "get", Resource: "pods"}, ""}, // all namespaces: a RoleBinding does not reach
		{dev, policy.Request{Verb: "get", NonResourceURL: "/metrics"}, ""},
		{dev, policy.Request{Verb: "list", Resource: "nodes"}, ""},
		{Subject{User: "alice"}, policy.Request{Verb: "list", Resource: "nodes"}, "ClusterRoleBinding/u-nodes (User alice) → ClusterRole/nodes"},
		{Subject{User: "system:serviceaccount:b:bot"}, policy.Request{Verb: "get", Resource: "pods", Namespace: "b"}, "RoleBinding/b/sa (ServiceAccount b/bot) → Role/b/r"},
		{Subject{User: "system:serviceaccount:a:bot"}, policy.Request{Verb: "get", Resource: "pods", Namespace: "b"}, ""},
	} {
		gs := objs.Allows(tc.who, tc.req)
		got := ""
		if len(gs) > 0 {
			got = gs[0].Path()
		}
		if (tc.want == "") != (got == "") || !strings.HasPrefix(got, tc.want) {
			t.Errorf("%+v %+v: %q, want %q", tc.who, tc.req, got, tc.want)
		}
	}
}
