package usecase

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	rbacv1ac "k8s.io/client-go/applyconfigurations/rbac/v1"
	"k8s.io/client-go/discovery"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	rbacv1client "k8s.io/client-go/kubernetes/typed/rbac/v1"
	"k8s.io/client-go/metadata"

	"eksaccess/internal/awsapi"
	"eksaccess/internal/kubeauth"
	"eksaccess/internal/rbac"
)

// ClusterKube is the part of a cluster's Kubernetes API the team commands use: namespaces,
// RBAC objects (read, server-side apply as field manager eksaccess, delete), and what a
// namespace holds. Get* return nil, nil for an object that does not exist.
type ClusterKube interface {
	GetNamespace(ctx context.Context, name string) (*corev1.Namespace, error)
	ApplyNamespace(ctx context.Context, name string, labels map[string]string) error
	DeleteNamespace(ctx context.Context, name string) error
	// NamespaceObjects lists every object in the namespace as KIND/NAME (every namespaced
	// resource the API server lists, custom ones included).
	NamespaceObjects(ctx context.Context, namespace string) ([]string, error)

	GetClusterRole(ctx context.Context, name string) (*rbacv1.ClusterRole, error)
	GetClusterRoleBinding(ctx context.Context, name string) (*rbacv1.ClusterRoleBinding, error)
	GetRole(ctx context.Context, namespace, name string) (*rbacv1.Role, error)
	GetRoleBinding(ctx context.Context, namespace, name string) (*rbacv1.RoleBinding, error)
	Apply(ctx context.Context, obj any) error
	Delete(ctx context.Context, kind, namespace, name string) error
	// RBAC lists the cluster's RBAC objects matching the label selector ("" for all).
	RBAC(ctx context.Context, selector string) (*RBACObjects, error)
}

// RBACObjects are a cluster's RBAC objects.
type RBACObjects = rbac.Objects

// ClientGoClusterKube connects with client-go, every request bounded by t.
func ClientGoClusterKube(userAgent string, t awsapi.Timeouts) func(server, token string, caPEM []byte) (ClusterKube, error) {
	return func(server, token string, caPEM []byte) (ClusterKube, error) {
		rc, err := kubeauth.RESTConfig(server, token, caPEM, userAgent, t)
		if err != nil {
			return nil, fmt.Errorf("kubernetes client for %s: %w", server, err)
		}
		k := &clientGoClusterKube{server: server, t: t}
		if k.core, err = corev1client.NewForConfig(rc); err == nil {
			if k.rbac, err = rbacv1client.NewForConfig(rc); err == nil {
				if k.disc, err = discovery.NewDiscoveryClientForConfig(rc); err == nil {
					k.meta, err = metadata.NewForConfig(rc)
				}
			}
		}
		if err != nil {
			return nil, fmt.Errorf("kubernetes client for %s: %w", server, err)
		}
		return k, nil
	}
}

type clientGoClusterKube struct {
	server string
	t      awsapi.Timeouts
	core   corev1client.CoreV1Interface
	rbac   rbacv1client.RbacV1Interface
	disc   discovery.DiscoveryInterface
	meta   metadata.Interface
}

func (k *clientGoClusterKube) wrap(err error) error {
	if err == nil {
		return nil
	}
	return kubeauth.TimeoutError(k.server, err, k.t)
}

// found turns NotFound into nil, nil.
func found[T any](obj *T, err error) (*T, error) {
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return obj, nil
}

var applyOpts = metav1.ApplyOptions{FieldManager: rbac.FieldManager, Force: true}

func (k *clientGoClusterKube) GetNamespace(ctx context.Context, name string) (*corev1.Namespace, error) {
	ns, err := found(k.core.Namespaces().Get(ctx, name, metav1.GetOptions{}))
	return ns, k.wrap(err)
}

func (k *clientGoClusterKube) ApplyNamespace(ctx context.Context, name string, labels map[string]string) error {
	_, err := k.core.Namespaces().Apply(ctx, corev1ac.Namespace(name).WithLabels(labels), applyOpts)
	return k.wrap(err)
}

func (k *clientGoClusterKube) DeleteNamespace(ctx context.Context, name string) error {
	err := k.core.Namespaces().Delete(ctx, name, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return k.wrap(err)
}

func (k *clientGoClusterKube) NamespaceObjects(ctx context.Context, namespace string) ([]string, error) {
	lists, err := k.disc.ServerPreferredNamespacedResources()
	if err != nil {
		// A partial answer (an aggregated API down) could hide what the namespace holds.
		return nil, k.wrap(fmt.Errorf("discover the namespaced resources: %w", err))
	}
	var out []string
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			return nil, err
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") || !slices.Contains(r.Verbs, "list") {
				continue
			}
			ml, err := k.meta.Resource(gv.WithResource(r.Name)).Namespace(namespace).List(ctx, metav1.ListOptions{Limit: 100})
			if apierrors.IsNotFound(err) || apierrors.IsMethodNotSupported(err) {
				continue
			}
			if err != nil {
				return nil, k.wrap(fmt.Errorf("list %s in %s: %w", r.Name, namespace, err))
			}
			for _, it := range ml.Items {
				out = append(out, r.Kind+"/"+it.Name)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func (k *clientGoClusterKube) GetClusterRole(ctx context.Context, name string) (*rbacv1.ClusterRole, error) {
	o, err := found(k.rbac.ClusterRoles().Get(ctx, name, metav1.GetOptions{}))
	return o, k.wrap(err)
}

func (k *clientGoClusterKube) GetClusterRoleBinding(ctx context.Context, name string) (*rbacv1.ClusterRoleBinding, error) {
	o, err := found(k.rbac.ClusterRoleBindings().Get(ctx, name, metav1.GetOptions{}))
	return o, k.wrap(err)
}

func (k *clientGoClusterKube) GetRole(ctx context.Context, namespace, name string) (*rbacv1.Role, error) {
	o, err := found(k.rbac.Roles(namespace).Get(ctx, name, metav1.GetOptions{}))
	return o, k.wrap(err)
}

func (k *clientGoClusterKube) GetRoleBinding(ctx context.Context, namespace, name string) (*rbacv1.RoleBinding, error) {
	o, err := found(k.rbac.RoleBindings(namespace).Get(ctx, name, metav1.GetOptions{}))
	return o, k.wrap(err)
}

func ruleConfigs(rules []rbacv1.PolicyRule) []*rbacv1ac.PolicyRuleApplyConfiguration {
	out := make([]*rbacv1ac.PolicyRuleApplyConfiguration, len(rules))
	for i, r := range rules {
		out[i] = rbacv1ac.PolicyRule().WithAPIGroups(r.APIGroups...).WithResources(r.Resources...).
			WithResourceNames(r.ResourceNames...).WithNonResourceURLs(r.NonResourceURLs...).WithVerbs(r.Verbs...)
	}
	return out
}

func subjectConfigs(ss []rbacv1.Subject) []*rbacv1ac.SubjectApplyConfiguration {
	out := make([]*rbacv1ac.SubjectApplyConfiguration, len(ss))
	for i, s := range ss {
		c := rbacv1ac.Subject().WithKind(s.Kind).WithName(s.Name)
		if s.APIGroup != "" {
			c.WithAPIGroup(s.APIGroup)
		}
		if s.Namespace != "" {
			c.WithNamespace(s.Namespace)
		}
		out[i] = c
	}
	return out
}

func roleRefConfig(r rbacv1.RoleRef) *rbacv1ac.RoleRefApplyConfiguration {
	return rbacv1ac.RoleRef().WithAPIGroup(r.APIGroup).WithKind(r.Kind).WithName(r.Name)
}

func (k *clientGoClusterKube) Apply(ctx context.Context, obj any) error {
	var err error
	switch o := obj.(type) {
	case *rbacv1.ClusterRole:
		_, err = k.rbac.ClusterRoles().Apply(ctx, rbacv1ac.ClusterRole(o.Name).WithLabels(o.Labels).WithRules(ruleConfigs(o.Rules)...), applyOpts)
	case *rbacv1.ClusterRoleBinding:
		_, err = k.rbac.ClusterRoleBindings().Apply(ctx, rbacv1ac.ClusterRoleBinding(o.Name).WithLabels(o.Labels).
			WithRoleRef(roleRefConfig(o.RoleRef)).WithSubjects(subjectConfigs(o.Subjects)...), applyOpts)
	case *rbacv1.Role:
		_, err = k.rbac.Roles(o.Namespace).Apply(ctx, rbacv1ac.Role(o.Name, o.Namespace).WithLabels(o.Labels).WithRules(ruleConfigs(o.Rules)...), applyOpts)
	case *rbacv1.RoleBinding:
		_, err = k.rbac.RoleBindings(o.Namespace).Apply(ctx, rbacv1ac.RoleBinding(o.Name, o.Namespace).WithLabels(o.Labels).
			WithRoleRef(roleRefConfig(o.RoleRef)).WithSubjects(subjectConfigs(o.Subjects)...), applyOpts)
	default:
		return fmt.Errorf("apply: unsupported object %T", obj)
	}
	return k.wrap(err)
}

func (k *clientGoClusterKube) Delete(ctx context.Context, kind, namespace, name string) error {
	var err error
	switch kind {
	case "ClusterRole":
		err = k.rbac.ClusterRoles().Delete(ctx, name, metav1.DeleteOptions{})
	case "ClusterRoleBinding":
		err = k.rbac.ClusterRoleBindings().Delete(ctx, name, metav1.DeleteOptions{})
	case "Role":
		err = k.rbac.Roles(namespace).Delete(ctx, name, metav1.DeleteOptions{})
	case "RoleBinding":
		err = k.rbac.RoleBindings(namespace).Delete(ctx, name, metav1.DeleteOptions{})
	default:
		return errors.New("delete: unsupported kind " + kind)
	}
	if apierrors.IsNotFound(err) {
		return nil
	}
	return k.wrap(err)
}

func (k *clientGoClusterKube) RBAC(ctx context.Context, selector string) (*RBACObjects, error) {
	lo := metav1.ListOptions{LabelSelector: selector}
	out := &RBACObjects{}
	crs, err := k.rbac.ClusterRoles().List(ctx, lo)
	if err != nil {
		return nil, k.wrap(err)
	}
	out.ClusterRoles = crs.Items
	crbs, err := k.rbac.ClusterRoleBindings().List(ctx, lo)
	if err != nil {
		return nil, k.wrap(err)
	}
	out.ClusterRoleBindings = crbs.Items
	rs, err := k.rbac.Roles("").List(ctx, lo)
	if err != nil {
		return nil, k.wrap(err)
	}
	out.Roles = rs.Items
	rbs, err := k.rbac.RoleBindings("").List(ctx, lo)
	if err != nil {
		return nil, k.wrap(err)
	}
	out.RoleBindings = rbs.Items
	return out, nil
}
