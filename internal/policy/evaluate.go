package policy

import (
	"fmt"
	"sort"
	"strings"
)

// Scope types of an access-policy association, as EKS names them.
const (
	ScopeCluster   = "cluster"
	ScopeNamespace = "namespace"
)

// Association is an access policy associated with an access entry.
type Association struct {
	PolicyArn  string   // ARN (any partition) or bare name
	ScopeType  string   // cluster | namespace
	Namespaces []string // for namespace scope; may hold wildcards such as dev-*
}

// Entry is an EKS access entry as the evaluator needs it.
type Entry struct {
	PrincipalArn string
	Type         string // STANDARD (or empty, meaning STANDARD), EC2_LINUX, …
	Username     string
	Groups       []string // kubernetesGroups
	Associations []Association
}

// Request is what is asked: a resource request (Resource set) or a non-resource request
// (NonResourceURL set). APIGroup "" is the core group. An empty Namespace on a namespaced
// resource means "in all namespaces".
type Request struct {
	Verb           string
	APIGroup       string
	Resource       string
	Subresource    string
	Name           string
	Namespace      string
	NonResourceURL string
}

// Outcome is the answer of an evaluation.
type Outcome int

const (
	// Denied: nothing the entry has can grant the request.
	Denied Outcome = iota
	// Allowed: a documented access policy (or a Kubernetes default) grants it.
	Allowed
	// Unknown: nothing documented grants it, but a policy whose rules AWS does not publish
	// covers the request's scope and might.
	Unknown
	// DependsOnRBAC: no access policy grants it; only RBAC bound to the entry's Kubernetes
	// groups could, and that lives inside the cluster.
	DependsOnRBAC
)

func (o Outcome) String() string {
	switch o {
	case Allowed:
		return "yes"
	case Denied:
		return "no"
	case Unknown:
		return "unknown"
	case DependsOnRBAC:
		return "depends-on-rbac"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Grant names what granted a request.
type Grant struct {
	PolicyName string   // access policy name, or "ClusterRole system:basic-user" for Kubernetes defaults
	PolicyArn  string   // empty for Kubernetes defaults
	ScopeType  string   // cluster | namespace
	Namespaces []string // the association's namespaces for namespace scope
	// Builtin marks grants that come from Kubernetes itself (default ClusterRoles bound to
	// system:authenticated, the system:masters group), not from an access policy.
	Builtin bool
}

func (g Grant) String() string {
	if g.ScopeType == ScopeNamespace {
		return fmt.Sprintf("%s (namespaces %s)", g.PolicyName, strings.Join(g.Namespaces, ", "))
	}
	if g.Builtin {
		return g.PolicyName
	}
	return g.PolicyName + " (cluster)"
}

// Decision is the result of Evaluate.
type Decision struct {
	Outcome         Outcome
	GrantedBy       []Grant
	UnknownPolicies []string // names (or ARNs, when not even the name is known) of undocumented policies that might grant it
	Groups          []string // the entry's Kubernetes groups (for DependsOnRBAC)
	Reason          string
}

// defaultRole is a ClusterRole every Kubernetes cluster binds to system:authenticated.
type defaultRole struct {
	name  string
	rules []Rule
}

// Kubernetes' bootstrap RBAC binds these to system:authenticated, so every mapped principal
// has them whatever its access policies say (this is why `kubectl auth can-i` itself works).
var defaultRoles = []defaultRole{
	{"ClusterRole system:basic-user", []Rule{
		{APIGroups: []string{"authorization.k8s.io"}, Resources: []string{"selfsubjectaccessreviews", "selfsubjectrulesreviews"}, Verbs: []string{"create"}},
		{APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"selfsubjectreviews"}, Verbs: []string{"create"}},
	}},
	{"ClusterRole system:discovery", []Rule{
		{NonResourceURLs: []string{"/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"}, Verbs: []string{"get"}},
	}},
	{"ClusterRole system:public-info-viewer", []Rule{
		{NonResourceURLs: []string{"/healthz", "/livez", "/readyz", "/version", "/version/"}, Verbs: []string{"get"}},
	}},
}

// superuserGroup bypasses authorization in every Kubernetes API server (EKS refuses it in
// access entries, but aws-auth mappings commonly use it).
const superuserGroup = "system:masters"

// Evaluate decides whether entry e may make request r, from its access policies alone.
//
// Semantics follow Kubernetes RBAC: '*' matches any verb, group or resource (subresources
// included); a rule resource "*/sub" matches subresource sub of any resource; "pods/*" is not
// a pattern (it matches nothing real); a non-resource URL ending in '*' matches by prefix.
// A cluster-scoped association grants everywhere. A namespace-scoped one acts like a
// RoleBinding in each matching namespace (exact, or a '*' pattern such as dev-*): it never
// grants cluster-scoped resources, non-resource URLs, or requests across all namespaces,
// except — as RBAC lets a RoleBinding do — requests on the Namespace object of a matching
// namespace itself (get namespaces/NAME). AWS does not document this corner for access policies.
// Only STANDARD entries take access policies.
func Evaluate(e Entry, r Request) Decision {
	d := Decision{Groups: append([]string(nil), e.Groups...)}
	for _, g := range e.Groups {
		if g == superuserGroup {
			d.Outcome = Allowed
			d.GrantedBy = []Grant{{PolicyName: "group " + superuserGroup, ScopeType: ScopeCluster, Builtin: true}}
			d.Reason = "allowed: group " + superuserGroup + " bypasses Kubernetes authorization"
			return d
		}
	}
	for _, dr := range defaultRoles {
		if rulesAllow(dr.rules, r) {
			d.GrantedBy = append(d.GrantedBy, Grant{PolicyName: dr.name, ScopeType: ScopeCluster, Builtin: true})
		}
	}

	standard := e.Type == "" || strings.EqualFold(e.Type, "STANDARD")
	var nearMiss []string
	if standard {
		for _, a := range e.Associations {
			p, known := Lookup(a.PolicyArn)
			name := policyName(a.PolicyArn)
			covers, why := scopeCovers(a, r)
			if !known || !p.Documented {
				if covers {
					d.UnknownPolicies = appendUnique(d.UnknownPolicies, name)
				}
				continue
			}
			if !rulesAllow(p.Rules, r) {
				continue
			}
			if !covers {
				nearMiss = append(nearMiss, fmt.Sprintf("%s would allow it but %s", p.Name, why))
				continue
			}
			g := Grant{PolicyName: p.Name, PolicyArn: a.PolicyArn, ScopeType: normScope(a.ScopeType)}
			if g.ScopeType == ScopeNamespace {
				g.Namespaces = append([]string(nil), a.Namespaces...)
			}
			d.GrantedBy = append(d.GrantedBy, g)
		}
	}

	groups := strings.Join(e.Groups, ", ")
	switch {
	case len(d.GrantedBy) > 0:
		d.Outcome = Allowed
		parts := make([]string, len(d.GrantedBy))
		for i, g := range d.GrantedBy {
			parts[i] = g.String()
		}
		d.Reason = "allowed by " + strings.Join(parts, "; ")
	case !standard:
		d.Outcome = DependsOnRBAC
		d.Reason = fmt.Sprintf("%s access entries take no access policies; what they may do is decided inside Kubernetes (node authorizer, RBAC)", e.Type)
	case len(d.UnknownPolicies) > 0:
		d.Outcome = Unknown
		d.Reason = fmt.Sprintf("unknown: AWS does not publish the Kubernetes rules of %s", strings.Join(d.UnknownPolicies, ", "))
		if groups != "" {
			d.Reason += "; RBAC for groups " + groups + " could also grant it"
		}
	case groups != "":
		d.Outcome = DependsOnRBAC
		d.Reason = "no access policy allows it; depends on RBAC for groups " + groups
	default:
		d.Outcome = Denied
		d.Reason = "no access policy allows it and the entry has no Kubernetes groups"
	}
	if d.Outcome != Allowed && len(nearMiss) > 0 {
		d.Reason += " (" + strings.Join(nearMiss, "; ") + ")"
	}
	return d
}

// WhoCanRow is one principal that may (or might) make a request.
type WhoCanRow struct {
	PrincipalArn string
	Decision     Decision
}

// WhoCan evaluates r for every entry and returns those not Denied: Allowed first, then
// Unknown, then DependsOnRBAC, each sorted by principal ARN.
func WhoCan(entries []Entry, r Request) []WhoCanRow {
	var rows []WhoCanRow
	for _, e := range entries {
		d := Evaluate(e, r)
		if d.Outcome == Denied {
			continue
		}
		rows = append(rows, WhoCanRow{PrincipalArn: e.PrincipalArn, Decision: d})
	}
	rank := map[Outcome]int{Allowed: 0, Unknown: 1, DependsOnRBAC: 2}
	sort.SliceStable(rows, func(i, j int) bool {
		ri, rj := rank[rows[i].Decision.Outcome], rank[rows[j].Decision.Outcome]
		if ri != rj {
			return ri < rj
		}
		return rows[i].PrincipalArn < rows[j].PrincipalArn
	})
	return rows
}

func normScope(s string) string {
	if strings.EqualFold(s, ScopeNamespace) {
		return ScopeNamespace
	}
	if strings.EqualFold(s, ScopeCluster) {
		return ScopeCluster
	}
	return s
}

// scopeCovers reports whether association a's scope reaches request r; when not, why.
func scopeCovers(a Association, r Request) (bool, string) {
	switch normScope(a.ScopeType) {
	case ScopeCluster:
		return true, ""
	case ScopeNamespace:
	default:
		return false, fmt.Sprintf("its scope type %q is not cluster or namespace", a.ScopeType)
	}
	scope := "it is scoped to namespaces " + strings.Join(a.Namespaces, ", ")
	if r.NonResourceURL != "" {
		return false, scope + " and non-resource URLs need cluster scope"
	}
	// RBAC: a RoleBinding in namespace N also covers the Namespace object N itself.
	if r.APIGroup == "" && r.Resource == "namespaces" && r.Name != "" && (r.Namespace == "" || r.Namespace == r.Name) {
		if namespaceMatches(a.Namespaces, r.Name) {
			return true, ""
		}
		return false, scope
	}
	if IsClusterScoped(r.APIGroup, r.Resource) {
		return false, scope + " and " + r.Resource + " are cluster-scoped"
	}
	if r.Namespace == "" {
		return false, scope + ", not all namespaces"
	}
	if namespaceMatches(a.Namespaces, r.Namespace) {
		return true, ""
	}
	return false, scope
}

func namespaceMatches(patterns []string, ns string) bool {
	for _, p := range patterns {
		if globMatch(p, ns) {
			return true
		}
	}
	return false
}

// globMatch matches s against p where '*' stands for any run of characters (EKS namespace
// scopes allow wildcards such as dev-*).
func globMatch(p, s string) bool {
	if !strings.Contains(p, "*") {
		return p == s
	}
	parts := strings.Split(p, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return strings.HasSuffix(s, last) && len(s) >= len(last)
}

func rulesAllow(rules []Rule, r Request) bool {
	for _, rule := range rules {
		if ruleAllows(rule, r) {
			return true
		}
	}
	return false
}

func ruleAllows(rule Rule, r Request) bool {
	if !has(rule.Verbs, r.Verb) {
		return false
	}
	if r.NonResourceURL != "" {
		for _, u := range rule.NonResourceURLs {
			if u == "*" || u == r.NonResourceURL ||
				(strings.HasSuffix(u, "*") && strings.HasPrefix(r.NonResourceURL, strings.TrimSuffix(u, "*"))) {
				return true
			}
		}
		return false
	}
	if len(rule.Resources) == 0 || !has(rule.APIGroups, r.APIGroup) {
		return false
	}
	combined := r.Resource
	if r.Subresource != "" {
		combined += "/" + r.Subresource
	}
	for _, res := range rule.Resources {
		if res == "*" || res == combined {
			return true
		}
		if r.Subresource != "" && res == "*/"+r.Subresource {
			return true
		}
	}
	return false
}

// has reports whether list holds v or the wildcard "*".
func has(list []string, v string) bool {
	for _, x := range list {
		if x == "*" || x == v {
			return true
		}
	}
	return false
}

func appendUnique(list []string, v string) []string {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}

// clusterScoped lists well-known cluster-scoped resources by API group. Anything not
// listed (custom resources included) is treated as namespaced.
var clusterScoped = map[string][]string{
	"":                             {"nodes", "namespaces", "persistentvolumes", "componentstatuses"},
	"rbac.authorization.k8s.io":    {"clusterroles", "clusterrolebindings"},
	"storage.k8s.io":               {"storageclasses", "csidrivers", "csinodes", "volumeattachments", "volumeattributesclasses"},
	"apiextensions.k8s.io":         {"customresourcedefinitions"},
	"apiregistration.k8s.io":       {"apiservices"},
	"admissionregistration.k8s.io": {"mutatingwebhookconfigurations", "validatingwebhookconfigurations", "validatingadmissionpolicies", "validatingadmissionpolicybindings", "mutatingadmissionpolicies", "mutatingadmissionpolicybindings"},
	"scheduling.k8s.io":            {"priorityclasses"},
	"node.k8s.io":                  {"runtimeclasses"},
	"networking.k8s.io":            {"ingressclasses", "ipaddresses", "servicecidrs"},
	"certificates.k8s.io":          {"certificatesigningrequests", "clustertrustbundles"},
	"flowcontrol.apiserver.k8s.io": {"flowschemas", "prioritylevelconfigurations"},
	"authentication.k8s.io":        {"tokenreviews", "selfsubjectreviews"},
	"authorization.k8s.io":         {"selfsubjectaccessreviews", "selfsubjectrulesreviews", "subjectaccessreviews"},
	"resource.k8s.io":              {"deviceclasses", "resourceslices"},
	"internal.apiserver.k8s.io":    {"storageversions"},
	"snapshot.storage.k8s.io":      {"volumesnapshotclasses", "volumesnapshotcontents"},
	"kueue.x-k8s.io":               {"clusterqueues", "resourceflavors", "workloadpriorityclasses", "cohorts", "topologies", "admissionchecks"},
	"karpenter.sh":                 {"nodepools", "nodeclaims"},
}

// IsClusterScoped reports whether (apiGroup, resource) is a well-known cluster-scoped
// resource. A subresource suffix ("nodes/status") is ignored; group "*" matches any group.
func IsClusterScoped(apiGroup, resource string) bool {
	if i := strings.Index(resource, "/"); i >= 0 {
		resource = resource[:i]
	}
	if apiGroup == "*" {
		for _, list := range clusterScoped {
			for _, r := range list {
				if r == resource {
					return true
				}
			}
		}
		return false
	}
	for _, r := range clusterScoped[apiGroup] {
		if r == resource {
			return true
		}
	}
	return false
}

// NamespaceMatches reports whether ns matches one of an association's namespace patterns
// (exact, or with '*' such as dev-*).
func NamespaceMatches(patterns []string, ns string) bool { return namespaceMatches(patterns, ns) }

// ScopeCovers reports whether association a's scope reaches request r; when not, why.
func ScopeCovers(a Association, r Request) (bool, string) { return scopeCovers(a, r) }
