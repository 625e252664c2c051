package usecase

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"

	"eksaccess/internal/awsapi"
)

// Binding is a RoleBinding or ClusterRoleBinding as far as groups are concerned: which role
// it grants, where, and the groups it names.
type Binding struct {
	Kind      string   `json:"kind"` // RoleBinding | ClusterRoleBinding
	Namespace string   `json:"namespace,omitempty"`
	Name      string   `json:"name"`
	RoleKind  string   `json:"roleKind"` // Role | ClusterRole
	RoleName  string   `json:"roleName"`
	Groups    []string `json:"groups,omitempty"`
}

// String renders the binding as KIND NS/NAME → ROLEKIND ROLE.
func (b Binding) String() string {
	where := b.Name
	if b.Namespace != "" {
		where = b.Namespace + "/" + b.Name
	}
	return b.Kind + " " + where + " → " + b.RoleKind + " " + b.RoleName
}

// ClusterRBAC is what eksaccess reads from a cluster's Kubernetes API: its namespaces and
// the bindings that name groups.
type ClusterRBAC struct {
	Namespaces []string  `json:"namespaces"`
	Bindings   []Binding `json:"bindings"`
}

// BindingsOf returns the bindings that name group.
func (r *ClusterRBAC) BindingsOf(group string) []Binding {
	var out []Binding
	for _, b := range r.Bindings {
		for _, g := range b.Groups {
			if g == group {
				out = append(out, b)
				break
			}
		}
	}
	return out
}

// readRBAC reads the namespaces and bindings of a cluster through Env.ReadKube (three GETs);
// nil and an error say why they are unknown (no reader, endpoint unreachable, refused).
func (e *Env) readRBAC(ctx context.Context, c *awsapi.Clients, cluster string) (*ClusterRBAC, error) {
	if e.ReadKube == nil {
		return nil, fmt.Errorf("no Kubernetes reader")
	}
	out := &ClusterRBAC{}
	var nsl corev1.NamespaceList
	if err := e.kubeList(ctx, c, cluster, "/api/v1/namespaces", &nsl); err != nil {
		return nil, err
	}
	for _, ns := range nsl.Items {
		out.Namespaces = append(out.Namespaces, ns.Name)
	}
	sort.Strings(out.Namespaces)
	groupsOf := func(subjects []rbacv1.Subject) []string {
		var gs []string
		for _, s := range subjects {
			if s.Kind == rbacv1.GroupKind {
				gs = append(gs, s.Name)
			}
		}
		return gs
	}
	var crbs rbacv1.ClusterRoleBindingList
	if err := e.kubeList(ctx, c, cluster, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", &crbs); err != nil {
		return nil, err
	}
	for _, b := range crbs.Items {
		if gs := groupsOf(b.Subjects); len(gs) > 0 {
			out.Bindings = append(out.Bindings, Binding{Kind: "ClusterRoleBinding", Name: b.Name, RoleKind: b.RoleRef.Kind, RoleName: b.RoleRef.Name, Groups: gs})
		}
	}
	var rbs rbacv1.RoleBindingList
	if err := e.kubeList(ctx, c, cluster, "/apis/rbac.authorization.k8s.io/v1/rolebindings", &rbs); err != nil {
		return nil, err
	}
	for _, b := range rbs.Items {
		if gs := groupsOf(b.Subjects); len(gs) > 0 {
			out.Bindings = append(out.Bindings, Binding{Kind: "RoleBinding", Namespace: b.Namespace, Name: b.Name, RoleKind: b.RoleRef.Kind, RoleName: b.RoleRef.Name, Groups: gs})
		}
	}
	return out, nil
}

func (e *Env) kubeList(ctx context.Context, c *awsapi.Clients, cluster, path string, into any) error {
	data, err := e.ReadKube(ctx, c, cluster, path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, into); err != nil {
		return fmt.Errorf("read %s from %s: %w", path, cluster, err)
	}
	return nil
}

// builtinGroup: groups Kubernetes itself gives meaning to, which no binding needs to name.
func builtinGroup(g string) bool {
	return g == "system:masters" || strings.HasPrefix(g, "system:")
}
