package policy

import (
	"reflect"
	"strings"
	"testing"
)

const (
	view        = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
	edit        = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
	admin       = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy"
	adminView   = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy"
	clusterAdm  = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
	secretRead  = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSSecretReaderPolicy"
	training    = "arn:aws:eks::aws:cluster-access-policy/AmazonSagemakerHyperpodTrainingPolicy"
	alice       = "arn:aws:iam::111122223333:user/alice"
	teamA       = "hyperpod-ns-team-a"
	clusterWide = ScopeCluster
)

func TestLookup(t *testing.T) {
	tests := []struct {
		in         string
		ok         bool
		name, arn  string
		documented bool
		rules      int
	}{
		{"AmazonEKSViewPolicy", true, "AmazonEKSViewPolicy", view, true, 10},
		{view, true, "AmazonEKSViewPolicy", view, true, 10},
		{"arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSEditPolicy", true, "AmazonEKSEditPolicy", "arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSEditPolicy", true, 20},
		{"arn:aws-us-gov:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy", true, "AmazonEKSAdminPolicy", "arn:aws-us-gov:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy", true, 22},
		{"AmazonEKSClusterAdminPolicy", true, "AmazonEKSClusterAdminPolicy", clusterAdm, true, 2},
		{"AmazonEKSAdminViewPolicy", true, "AmazonEKSAdminViewPolicy", adminView, true, 1},
		{"AmazonEKSSecretReaderPolicy", true, "AmazonEKSSecretReaderPolicy", secretRead, true, 1},
		{"AmazonEKSHybridPolicy", true, "AmazonEKSHybridPolicy", "arn:aws:eks::aws:cluster-access-policy/AmazonEKSHybridPolicy", true, 1},
		{"AmazonEKSAutoNodePolicy", true, "AmazonEKSAutoNodePolicy", "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAutoNodePolicy", false, 0},
		{training, true, "AmazonSagemakerHyperpodTrainingPolicy", training, false, 0},
		{"AmazonEKSNoSuchPolicy", false, "", "", false, 0},
		{"arn:aws:iam::aws:policy/AmazonEKSViewPolicy", false, "", "", false, 0},
		{"arn:aws:eks::aws:cluster-access-policy/", false, "", "", false, 0},
	}
	for _, tt := range tests {
		p, ok := Lookup(tt.in)
		if ok != tt.ok || p.Name != tt.name || p.Arn != tt.arn || p.Documented != tt.documented || len(p.Rules) != tt.rules {
			t.Errorf("Lookup(%q) = %q %q documented=%v rules=%d ok=%v; want %q %q %v %d %v",
				tt.in, p.Name, p.Arn, p.Documented, len(p.Rules), ok, tt.name, tt.arn, tt.documented, tt.rules, tt.ok)
		}
	}
	if n := len(Names()); n != 29 {
		t.Errorf("Names() has %d policies, want 29 (19 with a section in the reference + 10 not in it)", n)
	}
}

func entry(assocs ...Association) Entry {
	return Entry{PrincipalArn: alice, Type: "STANDARD", Username: alice, Associations: assocs}
}

func cl(p string) Association { return Association{PolicyArn: p, ScopeType: ScopeCluster} }
func ns(p string, namespaces ...string) Association {
	return Association{PolicyArn: p, ScopeType: ScopeNamespace, Namespaces: namespaces}
}

// TestEveryPublishedRule expands every (group, resource, verb) of every rule of the six
// customer policies and checks it is granted at cluster scope, and at namespace scope exactly
// when the resource is namespaced.
func TestEveryPublishedRule(t *testing.T) {
	for _, name := range []string{"AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy", "AmazonEKSEditPolicy", "AmazonEKSViewPolicy", "AmazonEKSAdminViewPolicy", "AmazonEKSSecretReaderPolicy"} {
		p, ok := Lookup(name)
		if !ok || !p.Documented {
			t.Fatalf("%s missing from the embedded file", name)
		}
		checked := 0
		for _, rule := range p.Rules {
			for _, verb := range rule.Verbs {
				for _, u := range rule.NonResourceURLs {
					r := Request{Verb: verb, NonResourceURL: "/" + strings.TrimPrefix(u, "*") + "metrics"}
					if d := Evaluate(entry(cl(p.Arn)), r); d.Outcome != Allowed {
						t.Errorf("%s cluster: %+v = %v (%s)", name, r, d.Outcome, d.Reason)
					}
					if d := Evaluate(entry(ns(p.Arn, teamA)), r); d.Outcome != Denied {
						t.Errorf("%s namespace scope must not grant non-resource URL %+v: %v", name, r, d.Outcome)
					}
					checked++
				}
				for _, g := range rule.APIGroups {
					for _, res := range rule.Resources {
						resource, sub, _ := strings.Cut(res, "/")
						r := Request{Verb: verb, APIGroup: g, Resource: resource, Subresource: sub, Namespace: teamA}
						if d := Evaluate(entry(cl(p.Arn)), r); d.Outcome != Allowed || d.GrantedBy[len(d.GrantedBy)-1].PolicyName != name {
							t.Errorf("%s cluster: %+v = %v (%s)", name, r, d.Outcome, d.Reason)
						}
						want := Allowed
						if IsClusterScoped(g, resource) {
							want = Denied
						}
						if d := Evaluate(entry(ns(p.Arn, teamA)), r); d.Outcome != want {
							t.Errorf("%s namespace %s: %+v = %v, want %v (%s)", name, teamA, r, d.Outcome, want, d.Reason)
						}
						r.Namespace = "other"
						if d := Evaluate(entry(ns(p.Arn, teamA)), r); d.Outcome != Denied {
							t.Errorf("%s namespace %s must not grant in other: %+v = %v", name, teamA, r, d.Outcome)
						}
						checked++
					}
				}
			}
		}
		if checked == 0 {
			t.Errorf("%s: no rule checked", name)
		}
	}
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name    string
		e       Entry
		r       Request
		want    Outcome
		reason  string
		granted []string
	}{
		// AmazonEKSViewPolicy
		{"view list pods in scope", entry(ns(view, teamA)), Request{Verb: "list", Resource: "pods", Namespace: teamA}, Allowed,
			"allowed by AmazonEKSViewPolicy (namespaces hyperpod-ns-team-a)", []string{"AmazonEKSViewPolicy"}},
		{"view create pods", entry(ns(view, teamA)), Request{Verb: "create", Resource: "pods", Namespace: teamA}, Denied,
			"no access policy allows it and the entry has no Kubernetes groups", nil},
		{"view list pods other namespace", entry(ns(view, teamA)), Request{Verb: "list", Resource: "pods", Namespace: "other"}, Denied,
			"no access policy allows it and the entry has no Kubernetes groups (AmazonEKSViewPolicy would allow it but it is scoped to namespaces hyperpod-ns-team-a)", nil},
		{"view list pods all namespaces", entry(ns(view, teamA)), Request{Verb: "list", Resource: "pods"}, Denied,
			"no access policy allows it and the entry has no Kubernetes groups (AmazonEKSViewPolicy would allow it but it is scoped to namespaces hyperpod-ns-team-a, not all namespaces)", nil},
		{"view get secrets", entry(cl(view)), Request{Verb: "get", Resource: "secrets", Namespace: teamA}, Denied, "", nil},
		{"view get pods/log", entry(cl(view)), Request{Verb: "get", Resource: "pods", Subresource: "log", Namespace: teamA}, Allowed, "allowed by AmazonEKSViewPolicy (cluster)", nil},
		{"view get pods/exec", entry(cl(view)), Request{Verb: "get", Resource: "pods", Subresource: "exec", Namespace: teamA}, Denied, "", nil},
		{"view create pods/exec", entry(cl(view)), Request{Verb: "create", Resource: "pods", Subresource: "exec", Namespace: teamA}, Denied, "", nil},
		{"view wrong group", entry(cl(view)), Request{Verb: "list", APIGroup: "apps", Resource: "pods", Namespace: teamA}, Denied, "", nil},
		{"view list nodes cluster scope", entry(cl(view)), Request{Verb: "list", Resource: "nodes"}, Denied, "", nil},
		{"view list namespaces cluster scope", entry(cl(view)), Request{Verb: "list", Resource: "namespaces"}, Allowed, "", nil},
		{"view list namespaces ns scope", entry(ns(view, teamA)), Request{Verb: "list", Resource: "namespaces", Namespace: "default"}, Denied,
			"no access policy allows it and the entry has no Kubernetes groups (AmazonEKSViewPolicy would allow it but it is scoped to namespaces hyperpod-ns-team-a and namespaces are cluster-scoped)", nil},
		{"view get own namespace object", entry(ns(view, teamA)), Request{Verb: "get", Resource: "namespaces", Name: teamA}, Allowed, "", nil},
		{"view get own namespace object ns attr", entry(ns(view, teamA)), Request{Verb: "get", Resource: "namespaces", Name: teamA, Namespace: teamA}, Allowed, "", nil},
		{"view get other namespace object", entry(ns(view, teamA)), Request{Verb: "get", Resource: "namespaces", Name: "kube-system"}, Denied, "", nil},
		{"view namespace object via other ns attr", entry(ns(view, teamA)), Request{Verb: "get", Resource: "namespaces", Name: teamA, Namespace: "default"}, Denied, "", nil},
		{"view verb wildcard request", entry(cl(view)), Request{Verb: "*", Resource: "pods", Namespace: teamA}, Denied, "", nil},
		// AmazonEKSEditPolicy
		{"edit create pods/exec", entry(ns(edit, teamA)), Request{Verb: "create", Resource: "pods", Subresource: "exec", Namespace: teamA}, Allowed, "", nil},
		{"edit create secrets", entry(ns(edit, teamA)), Request{Verb: "create", Resource: "secrets", Namespace: teamA}, Allowed, "", nil},
		{"edit get secrets", entry(ns(edit, teamA)), Request{Verb: "get", Resource: "secrets", Namespace: teamA}, Allowed, "", nil},
		{"edit create roles", entry(ns(edit, teamA)), Request{Verb: "create", APIGroup: "rbac.authorization.k8s.io", Resource: "roles", Namespace: teamA}, Denied, "", nil},
		{"edit create namespaces", entry(cl(edit)), Request{Verb: "create", Resource: "namespaces"}, Denied, "", nil},
		{"edit impersonate serviceaccounts", entry(ns(edit, teamA)), Request{Verb: "impersonate", Resource: "serviceaccounts", Namespace: teamA}, Allowed, "", nil},
		{"edit get pods/log but not create", entry(cl(edit)), Request{Verb: "create", Resource: "pods", Subresource: "log", Namespace: teamA}, Denied, "", nil},
		{"edit create pytorchjobs", entry(cl(edit)), Request{Verb: "create", APIGroup: "kubeflow.org", Resource: "pytorchjobs", Namespace: teamA}, Denied, "", nil},
		// AmazonEKSAdminPolicy
		{"admin create roles", entry(ns(admin, teamA)), Request{Verb: "create", APIGroup: "rbac.authorization.k8s.io", Resource: "rolebindings", Namespace: teamA}, Allowed, "", nil},
		{"admin create localsubjectaccessreviews", entry(ns(admin, teamA)), Request{Verb: "create", APIGroup: "authorization.k8s.io", Resource: "localsubjectaccessreviews", Namespace: teamA}, Allowed, "", nil},
		{"admin create clusterroles", entry(cl(admin)), Request{Verb: "create", APIGroup: "rbac.authorization.k8s.io", Resource: "clusterroles"}, Denied, "", nil},
		{"admin delete nodes", entry(cl(admin)), Request{Verb: "delete", Resource: "nodes", Name: "n1"}, Denied, "", nil},
		// AmazonEKSAdminViewPolicy: * / * / get,list,watch
		{"adminview get secrets", entry(ns(adminView, teamA)), Request{Verb: "get", Resource: "secrets", Namespace: teamA}, Allowed, "", nil},
		{"adminview list nodes cluster", entry(cl(adminView)), Request{Verb: "list", Resource: "nodes", Namespace: "default"}, Allowed, "", nil},
		{"adminview list crd-like resource", entry(cl(adminView)), Request{Verb: "watch", APIGroup: "kubeflow.org", Resource: "pytorchjobs", Subresource: "status", Namespace: teamA}, Allowed, "", nil},
		{"adminview create pods", entry(cl(adminView)), Request{Verb: "create", Resource: "pods", Namespace: teamA}, Denied, "", nil},
		{"adminview no nonresource", entry(cl(adminView)), Request{Verb: "get", NonResourceURL: "/metrics"}, Denied, "", nil},
		{"adminview list nodes ns scope", entry(ns(adminView, teamA)), Request{Verb: "list", Resource: "nodes", Namespace: teamA}, Denied, "", nil},
		// AmazonEKSClusterAdminPolicy
		{"clusteradmin anything", entry(cl(clusterAdm)), Request{Verb: "escalate", APIGroup: "rbac.authorization.k8s.io", Resource: "clusterroles"}, Allowed, "allowed by AmazonEKSClusterAdminPolicy (cluster)", nil},
		{"clusteradmin wildcard request", entry(cl(clusterAdm)), Request{Verb: "*", APIGroup: "*", Resource: "*"}, Allowed, "", nil},
		{"clusteradmin nonresource", entry(cl(clusterAdm)), Request{Verb: "post", NonResourceURL: "/logs/anything"}, Allowed, "", nil},
		{"clusteradmin ns-scoped", entry(ns(clusterAdm, teamA)), Request{Verb: "delete", Resource: "pods", Namespace: teamA}, Allowed, "", nil},
		{"clusteradmin ns-scoped no nodes", entry(ns(clusterAdm, teamA)), Request{Verb: "get", Resource: "nodes", Name: "n1", Namespace: teamA}, Denied, "", nil},
		{"clusteradmin ns-scoped no nonresource", entry(ns(clusterAdm, teamA)), Request{Verb: "get", NonResourceURL: "/metrics"}, Denied, "", nil},
		// AmazonEKSSecretReaderPolicy
		{"secretreader get", entry(ns(secretRead, teamA)), Request{Verb: "get", Resource: "secrets", Namespace: teamA, Name: "db"}, Allowed, "", nil},
		{"secretreader update", entry(ns(secretRead, teamA)), Request{Verb: "update", Resource: "secrets", Namespace: teamA}, Denied, "", nil},
		{"secretreader pods", entry(ns(secretRead, teamA)), Request{Verb: "list", Resource: "pods", Namespace: teamA}, Denied, "", nil},
		{"secretreader other group", entry(cl(secretRead)), Request{Verb: "get", APIGroup: "apps", Resource: "secrets", Namespace: teamA}, Denied, "", nil},
		// namespace wildcards
		{"wildcard dev-*", entry(ns(view, "dev-*")), Request{Verb: "list", Resource: "pods", Namespace: "dev-alpha"}, Allowed, "allowed by AmazonEKSViewPolicy (namespaces dev-*)", nil},
		{"wildcard dev-* exact prefix", entry(ns(view, "dev-*")), Request{Verb: "list", Resource: "pods", Namespace: "dev-"}, Allowed, "", nil},
		{"wildcard dev-* no match", entry(ns(view, "dev-*")), Request{Verb: "list", Resource: "pods", Namespace: "prod-dev-a"}, Denied, "", nil},
		{"wildcard dev-* not dev", entry(ns(view, "dev-*")), Request{Verb: "list", Resource: "pods", Namespace: "dev"}, Denied, "", nil},
		{"wildcard hyperpod-ns-*", entry(ns(edit, "hyperpod-ns-*")), Request{Verb: "create", APIGroup: "batch", Resource: "jobs", Namespace: teamA}, Allowed, "", nil},
		{"wildcard list of namespaces", entry(ns(view, "a", "b-*")), Request{Verb: "get", Resource: "configmaps", Namespace: "b-1"}, Allowed, "", nil},
		// multiple associations: union
		{"multi union view+secretreader", entry(ns(view, teamA), ns(secretRead, teamA)), Request{Verb: "get", Resource: "secrets", Namespace: teamA}, Allowed,
			"allowed by AmazonEKSSecretReaderPolicy (namespaces hyperpod-ns-team-a)", []string{"AmazonEKSSecretReaderPolicy"}},
		{"multi both grant", entry(ns(view, teamA), cl(adminView)), Request{Verb: "list", Resource: "pods", Namespace: teamA}, Allowed,
			"allowed by AmazonEKSViewPolicy (namespaces hyperpod-ns-team-a); AmazonEKSAdminViewPolicy (cluster)", []string{"AmazonEKSViewPolicy", "AmazonEKSAdminViewPolicy"}},
		{"multi edit in a view in b", entry(ns(edit, "a"), ns(view, "b")), Request{Verb: "create", Resource: "pods", Namespace: "b"}, Denied,
			"no access policy allows it and the entry has no Kubernetes groups (AmazonEKSEditPolicy would allow it but it is scoped to namespaces a)", nil},
		// unknown policies
		{"unknown training in scope", entry(ns(training, teamA)), Request{Verb: "create", APIGroup: "sagemaker.amazonaws.com", Resource: "hyperpodpytorchjobs", Namespace: teamA}, Unknown,
			"unknown: AWS does not publish the Kubernetes rules of AmazonSagemakerHyperpodTrainingPolicy", nil},
		{"unknown training out of scope", entry(ns(training, teamA)), Request{Verb: "create", Resource: "pods", Namespace: "other"}, Denied, "", nil},
		{"unknown but documented grants", entry(ns(training, teamA), ns(view, teamA)), Request{Verb: "list", Resource: "pods", Namespace: teamA}, Allowed, "", []string{"AmazonEKSViewPolicy"}},
		{"unknown not even named", entry(cl("arn:aws:eks::aws:cluster-access-policy/AmazonEKSFuturePolicy")), Request{Verb: "list", Resource: "pods", Namespace: teamA}, Unknown,
			"unknown: AWS does not publish the Kubernetes rules of AmazonEKSFuturePolicy", nil},
		{"unknown with groups", Entry{PrincipalArn: alice, Groups: []string{"g1"}, Associations: []Association{cl(training)}}, Request{Verb: "list", Resource: "pods", Namespace: teamA}, Unknown,
			"unknown: AWS does not publish the Kubernetes rules of AmazonSagemakerHyperpodTrainingPolicy; RBAC for groups g1 could also grant it", nil},
		// groups and types
		{"depends on rbac", Entry{PrincipalArn: alice, Type: "STANDARD", Groups: []string{"hyperpod-scientist-user-cluster-level", "team-a"}}, Request{Verb: "list", Resource: "nodes"}, DependsOnRBAC,
			"no access policy allows it; depends on RBAC for groups hyperpod-scientist-user-cluster-level, team-a", nil},
		{"system:masters", Entry{PrincipalArn: alice, Groups: []string{"system:masters"}}, Request{Verb: "delete", Resource: "nodes"}, Allowed,
			"allowed: group system:masters bypasses Kubernetes authorization", nil},
		{"node entry takes no policies", Entry{PrincipalArn: "arn:aws:iam::111122223333:role/node", Type: "EC2_LINUX", Associations: []Association{cl(clusterAdm)}}, Request{Verb: "list", Resource: "pods"}, DependsOnRBAC,
			"EC2_LINUX access entries take no access policies; what they may do is decided inside Kubernetes (node authorizer, RBAC)", nil},
		// Kubernetes defaults bound to system:authenticated
		{"basic-user ssar", entry(), Request{Verb: "create", APIGroup: "authorization.k8s.io", Resource: "selfsubjectaccessreviews"}, Allowed,
			"allowed by ClusterRole system:basic-user", nil},
		{"discovery /apis/apps", entry(), Request{Verb: "get", NonResourceURL: "/apis/apps/v1"}, Allowed, "allowed by ClusterRole system:discovery", nil},
		{"version", entry(), Request{Verb: "get", NonResourceURL: "/version"}, Allowed, "allowed by ClusterRole system:discovery; ClusterRole system:public-info-viewer", nil},
		{"metrics not default", entry(), Request{Verb: "get", NonResourceURL: "/metrics"}, Denied, "", nil},
		{"bad scope type", entry(Association{PolicyArn: view, ScopeType: "galaxy"}), Request{Verb: "list", Resource: "pods", Namespace: teamA}, Denied,
			`no access policy allows it and the entry has no Kubernetes groups (AmazonEKSViewPolicy would allow it but its scope type "galaxy" is not cluster or namespace)`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Evaluate(tt.e, tt.r)
			if d.Outcome != tt.want {
				t.Fatalf("outcome %v, want %v (reason %q)", d.Outcome, tt.want, d.Reason)
			}
			if tt.reason != "" && d.Reason != tt.reason {
				t.Errorf("reason\n got %q\nwant %q", d.Reason, tt.reason)
			}
			if tt.granted != nil {
				var got []string
				for _, g := range d.GrantedBy {
					if !g.Builtin {
						got = append(got, g.PolicyName)
					}
				}
				if !reflect.DeepEqual(got, tt.granted) {
					t.Errorf("granted by %v, want %v", got, tt.granted)
				}
			}
		})
	}
}

func TestWhoCan(t *testing.T) {
	entries := []Entry{
		{PrincipalArn: "arn:aws:iam::111122223333:user/zed", Associations: []Association{ns(view, teamA)}},
		{PrincipalArn: "arn:aws:iam::111122223333:user/bob", Associations: []Association{ns(view, "other")}},
		{PrincipalArn: "arn:aws:iam::111122223333:role/admin", Associations: []Association{cl(clusterAdm)}},
		{PrincipalArn: "arn:aws:iam::111122223333:role/sci", Groups: []string{"scientists"}},
		{PrincipalArn: "arn:aws:iam::111122223333:role/trainer", Associations: []Association{ns(training, "hyperpod-ns-*")}},
	}
	rows := WhoCan(entries, Request{Verb: "list", Resource: "pods", Namespace: teamA})
	var got []string
	for _, r := range rows {
		got = append(got, r.PrincipalArn+" "+r.Decision.Outcome.String())
	}
	want := []string{
		"arn:aws:iam::111122223333:role/admin yes",
		"arn:aws:iam::111122223333:user/zed yes",
		"arn:aws:iam::111122223333:role/trainer unknown",
		"arn:aws:iam::111122223333:role/sci depends-on-rbac",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("WhoCan\n got %q\nwant %q", got, want)
	}
}

func TestIsClusterScoped(t *testing.T) {
	tests := []struct {
		g, r string
		want bool
	}{
		{"", "nodes", true}, {"", "nodes/status", true}, {"", "namespaces", true}, {"", "persistentvolumes", true},
		{"rbac.authorization.k8s.io", "clusterroles", true}, {"rbac.authorization.k8s.io", "clusterrolebindings", true},
		{"storage.k8s.io", "storageclasses", true}, {"apiextensions.k8s.io", "customresourcedefinitions", true},
		{"*", "nodes", true}, {"kueue.x-k8s.io", "clusterqueues", true},
		{"", "pods", false}, {"", "secrets", false}, {"rbac.authorization.k8s.io", "roles", false},
		{"apps", "nodes", false}, {"kubeflow.org", "pytorchjobs", false}, {"authorization.k8s.io", "localsubjectaccessreviews", false},
	}
	for _, tt := range tests {
		if got := IsClusterScoped(tt.g, tt.r); got != tt.want {
			t.Errorf("IsClusterScoped(%q, %q) = %v", tt.g, tt.r, got)
		}
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"dev-*", "dev-a", true}, {"dev-*", "dev-", true}, {"dev-*", "dev", false}, {"*", "", true},
		{"a*b*c", "abc", true}, {"a*b*c", "ac", false}, {"ab*b", "ab", false}, {"*-team", "x-team", true}, {"team", "team", true},
		{"team", "team2", false},
	}
	for _, tt := range tests {
		if got := globMatch(tt.p, tt.s); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v", tt.p, tt.s, got)
		}
	}
}

func TestPublishedRuleShapes(t *testing.T) {
	// The evaluator relies on these shapes of the AWS tables; fail loudly if a new copy of the
	// reference file changes them.
	p, _ := Lookup("AmazonEKSClusterAdminPolicy")
	want := []Rule{
		{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}, NonResourceURLs: []string{}},
		{APIGroups: []string{}, Resources: []string{}, Verbs: []string{"*"}, NonResourceURLs: []string{"*"}},
	}
	if !reflect.DeepEqual(p.Rules, want) {
		t.Errorf("cluster admin rules = %+v", p.Rules)
	}
	p, _ = Lookup("AmazonEKSSecretReaderPolicy")
	if !reflect.DeepEqual(p.Rules, []Rule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list", "watch"}, NonResourceURLs: []string{}}}) {
		t.Errorf("secret reader rules = %+v", p.Rules)
	}
}

func TestRuleAllowsSubresourcePatterns(t *testing.T) {
	tests := []struct {
		rule Rule
		r    Request
		want bool
	}{
		{Rule{APIGroups: []string{"*"}, Resources: []string{"*/status"}, Verbs: []string{"get"}}, Request{Verb: "get", APIGroup: "apps", Resource: "deployments", Subresource: "status"}, true},
		{Rule{APIGroups: []string{"*"}, Resources: []string{"*/status"}, Verbs: []string{"get"}}, Request{Verb: "get", APIGroup: "apps", Resource: "deployments"}, false},
		{Rule{APIGroups: []string{"*"}, Resources: []string{"*/status"}, Verbs: []string{"get"}}, Request{Verb: "get", Resource: "pods", Subresource: "log"}, false},
		// "pods/*" is not an RBAC pattern: it matches only a subresource literally named "*".
		{Rule{APIGroups: []string{""}, Resources: []string{"pods/*"}, Verbs: []string{"get"}}, Request{Verb: "get", Resource: "pods", Subresource: "log"}, false},
		{Rule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get"}}, Request{Verb: "get", Resource: "pods", Subresource: "log"}, false},
		{Rule{APIGroups: []string{""}, Resources: []string{"*"}, Verbs: []string{"get"}}, Request{Verb: "get", Resource: "pods", Subresource: "log"}, true},
		{Rule{NonResourceURLs: []string{"/healthz/*"}, Verbs: []string{"get"}}, Request{Verb: "get", NonResourceURL: "/healthz/etcd"}, true},
		{Rule{NonResourceURLs: []string{"/healthz/*"}, Verbs: []string{"get"}}, Request{Verb: "get", NonResourceURL: "/healthz"}, false},
		{Rule{NonResourceURLs: []string{"/healthz"}, Verbs: []string{"get"}}, Request{Verb: "get", NonResourceURL: "/healthz/etcd"}, false},
		// A resource rule never grants a non-resource URL, nor the reverse.
		{Rule{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}, Request{Verb: "get", NonResourceURL: "/metrics"}, false},
		{Rule{NonResourceURLs: []string{"*"}, Verbs: []string{"*"}}, Request{Verb: "get", Resource: "pods"}, false},
	}
	for _, tt := range tests {
		if got := ruleAllows(tt.rule, tt.r); got != tt.want {
			t.Errorf("ruleAllows(%+v, %+v) = %v", tt.rule, tt.r, got)
		}
	}
}
