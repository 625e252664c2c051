// Package rbac builds the Kubernetes RBAC objects of a SageMaker HyperPod team, in the two
// published variants (see docs/teams.md and the sources it cites):
//
//   - sagemaker-guide: the SageMaker Developer Guide's "Setting up Kubernetes role-based
//     access control" — ClusterRole hyperpod-scientist-user-cluster-role (shared by every
//     team of this variant) and Role hyperpod-scientist-user-namespace-level-role in the
//     team's namespace.
//   - hyperpod-cli: the sagemaker-hyperpod-cli helm chart's team-role-and-bindings —
//     ClusterRole hyperpod-ns-TEAM-cluster-role and Role hyperpod-ns-TEAM-namespace-role,
//     both bound to group hyperpod-ns-TEAM-namespace-level-group.
//
// The rules are the published ones, verbatim (including verbs such as "describe" that
// Kubernetes ignores). The one deliberate change: the guide binds its Role to a fixed group
// (hyperpod-scientist-user-namespace-level); bound in several team namespaces, that group
// would give every member of one team every other team's namespace, so eksaccess suffixes
// it with the team's namespace.
package rbac

import (
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Variants.
const (
	SageMakerGuide = "sagemaker-guide"
	HyperPodCLI    = "hyperpod-cli"
)

// Variants lists the RBAC variants, the default first.
var Variants = []string{SageMakerGuide, HyperPodCLI}

// Labels and annotations eksaccess puts on what it creates.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedBy      = "eksaccess"
	LabelTeam      = "eksaccess.io/team"
	LabelVariant   = "eksaccess.io/rbac-variant"
	// FieldManager is the server-side apply field manager.
	FieldManager = "eksaccess"
)

// NamespacePrefix is HyperPod task governance's namespace prefix.
const NamespacePrefix = "hyperpod-ns-"

// Team is a team's RBAC: the objects to apply and the groups members get.
type Team struct {
	Name      string
	Namespace string
	Variant   string

	ClusterRole        *rbacv1.ClusterRole
	ClusterRoleBinding *rbacv1.ClusterRoleBinding
	Role               *rbacv1.Role
	RoleBinding        *rbacv1.RoleBinding
	// SharedCluster: the ClusterRole and its binding serve every team of the variant (the
	// guide's); removing one team leaves them while another team uses them.
	SharedCluster bool
	// MemberGroup is the group only this team's members carry (membership is read from it).
	MemberGroup string
	// Groups are the kubernetesGroups a member's access entry gets (MemberGroup first).
	Groups []string
}

// ValidateName checks a team name: it becomes part of a namespace name and of RBAC object
// names, so it must be a DNS label short enough for hyperpod-ns-TEAM.
func ValidateName(team string) error {
	if team == "" {
		return fmt.Errorf("team name is empty")
	}
	if errs := validation.IsDNS1123Label(NamespacePrefix + team); len(errs) > 0 {
		return fmt.Errorf("team name %q is not valid: hyperpod-ns-%s must be a Kubernetes namespace name (lower-case letters, digits and -, at most %d characters in all)", team, team, validation.DNS1123LabelMaxLength)
	}
	return nil
}

// ValidateVariant checks a variant name.
func ValidateVariant(v string) error {
	if !slices.Contains(Variants, v) {
		return fmt.Errorf("--rbac %q is not an RBAC variant: use %s", v, strings.Join(Variants, " or "))
	}
	return nil
}

// DefaultNamespace is the namespace task governance gives a team.
func DefaultNamespace(team string) string { return NamespacePrefix + team }

// Build returns a team's objects. namespace "" is the default one.
func Build(team, namespace, variant string) (*Team, error) {
	if err := ValidateName(team); err != nil {
		return nil, err
	}
	if variant == "" {
		variant = SageMakerGuide
	}
	if err := ValidateVariant(variant); err != nil {
		return nil, err
	}
	if namespace == "" {
		namespace = DefaultNamespace(team)
	}
	if errs := validation.IsDNS1123Label(namespace); len(errs) > 0 {
		return nil, fmt.Errorf("--namespace %q is not a namespace name: %s", namespace, strings.Join(errs, "; "))
	}
	t := &Team{Name: team, Namespace: namespace, Variant: variant}
	switch variant {
	case SageMakerGuide:
		t.buildGuide()
	case HyperPodCLI:
		t.buildCLI()
	}
	return t, nil
}

func (t *Team) meta(name, namespace string, shared bool) metav1.ObjectMeta {
	labels := map[string]string{LabelManagedBy: ManagedBy, LabelVariant: t.Variant}
	if !shared {
		labels[LabelTeam] = t.Name
	}
	return metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: labels}
}

func group(name string) []rbacv1.Subject {
	return []rbacv1.Subject{{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: name}}
}

func rule(groups, resources, verbs []string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{APIGroups: groups, Resources: resources, Verbs: verbs}
}

var core = []string{""}

// The guide's ClusterRole and Role rules (S1), in the published order.
func guideClusterRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		rule(core, []string{"pods"}, []string{"list"}),
		rule(core, []string{"nodes"}, []string{"list"}),
	}
}

func guideRoleRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		rule(core, []string{"pods"}, []string{"create", "get"}),
		rule(core, []string{"nodes"}, []string{"get", "list"}),
		rule(core, []string{"pods/log"}, []string{"get", "list"}),
		rule(core, []string{"pods/exec"}, []string{"get", "create"}),
		rule([]string{"kubeflow.org"}, []string{"pytorchjobs", "pytorchjobs/status"}, []string{"get", "list", "create", "delete", "update", "describe"}),
		rule(core, []string{"configmaps"}, []string{"create", "update", "get", "list", "delete"}),
		rule(core, []string{"secrets"}, []string{"create", "get", "list", "delete"}),
	}
}

// Guide names (S1).
const (
	GuideClusterRole        = "hyperpod-scientist-user-cluster-role"
	GuideClusterRoleBinding = "hyperpod-scientist-user-cluster-role-binding"
	GuideClusterGroup       = "hyperpod-scientist-user-cluster-level"
	GuideRole               = "hyperpod-scientist-user-namespace-level-role"
	GuideRoleBinding        = "hyperpod-scientist-user-namespace-level-role-binding"
	// GuideNamespaceGroup is the guide's group; eksaccess binds GuideNamespaceGroup-NAMESPACE.
	GuideNamespaceGroup = "hyperpod-scientist-user-namespace-level"
)

func (t *Team) buildGuide() {
	t.SharedCluster = true
	t.MemberGroup = GuideNamespaceGroup + "-" + t.Namespace
	t.Groups = []string{t.MemberGroup, GuideClusterGroup}
	t.ClusterRole = &rbacv1.ClusterRole{ObjectMeta: t.meta(GuideClusterRole, "", true), Rules: guideClusterRules()}
	t.ClusterRoleBinding = &rbacv1.ClusterRoleBinding{
		ObjectMeta: t.meta(GuideClusterRoleBinding, "", true),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: GuideClusterRole},
		Subjects:   group(GuideClusterGroup),
	}
	t.Role = &rbacv1.Role{ObjectMeta: t.meta(GuideRole, t.Namespace, false), Rules: guideRoleRules()}
	t.RoleBinding = &rbacv1.RoleBinding{
		ObjectMeta: t.meta(GuideRoleBinding, t.Namespace, false),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: GuideRole},
		Subjects:   group(t.MemberGroup),
	}
}

// The helm chart's team-role-and-bindings rules (S6), in the published order.
func cliClusterRules(id string) []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		rule(core, []string{"namespaces"}, []string{"list", "get"}),
		{APIGroups: []string{"kueue.x-k8s.io"}, Resources: []string{"clusterqueues"}, ResourceNames: []string{NamespacePrefix + id + "-clusterqueue"}, Verbs: []string{"list", "get", "watch"}},
		rule([]string{"kueue.x-k8s.io"}, []string{"resourceflavors", "workloadpriorityclasses"}, []string{"list", "get", "watch"}),
	}
}

func cliRoleRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		rule(core, []string{"namespaces"}, []string{"get", "describe"}),
		rule([]string{"batch"}, []string{"jobs"}, []string{"get", "list", "watch", "create", "update", "patch", "delete"}),
		rule(core, []string{"pods"}, []string{"create", "get", "watch", "list"}),
		rule(core, []string{"nodes", "nodes/status", "pods/status"}, []string{"get", "list", "watch"}),
		rule(core, []string{"pods/log"}, []string{"get", "list"}),
		rule([]string{"kubeflow.org"}, []string{"pytorchjobs", "pytorchjobs/status"}, []string{"get", "list", "watch", "create", "delete", "update"}),
		rule(core, []string{"serviceaccounts"}, []string{"get", "list"}),
		rule(core, []string{"configmaps"}, []string{"create", "update", "get", "delete"}),
		rule(core, []string{"secrets"}, []string{"create", "get", "list", "delete"}),
		rule([]string{"apiextensions.k8s.io"}, []string{"customresourcedefinitions"}, []string{"list", "get"}),
		rule([]string{"kueue.x-k8s.io"}, []string{"workloads", "workloads/status"}, []string{"get", "list", "watch", "patch"}),
	}
}

func (t *Team) buildCLI() {
	id := NamespacePrefix + t.Name
	t.MemberGroup = id + "-namespace-level-group"
	t.Groups = []string{t.MemberGroup}
	t.ClusterRole = &rbacv1.ClusterRole{ObjectMeta: t.meta(id+"-cluster-role", "", false), Rules: cliClusterRules(t.Name)}
	t.ClusterRoleBinding = &rbacv1.ClusterRoleBinding{
		ObjectMeta: t.meta(id+"-cluster-role-binding", "", false),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: id + "-cluster-role"},
		Subjects:   group(t.MemberGroup),
	}
	t.Role = &rbacv1.Role{ObjectMeta: t.meta(id+"-namespace-role", t.Namespace, false), Rules: cliRoleRules()}
	t.RoleBinding = &rbacv1.RoleBinding{
		ObjectMeta: t.meta(id+"-namespace-role-binding", t.Namespace, false),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: id + "-namespace-role"},
		Subjects:   group(t.MemberGroup),
	}
}

// Objects names the team's objects as KIND/[NAMESPACE/]NAME, in apply order.
func (t *Team) Objects() []string {
	return []string{
		"ClusterRole/" + t.ClusterRole.Name,
		"ClusterRoleBinding/" + t.ClusterRoleBinding.Name,
		"Role/" + t.Namespace + "/" + t.Role.Name,
		"RoleBinding/" + t.Namespace + "/" + t.RoleBinding.Name,
	}
}
