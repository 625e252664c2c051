package kube

import (
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// resource is one entry of the served discovery documents.
type resource struct {
	name, singular, kind string
	namespaced           bool
	short                []string
	verbs                []string
}

var (
	crud     = []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}
	getOnly  = []string{"get"}
	create   = []string{"create"}
	getPatch = []string{"get", "patch", "update"}
)

// groupVersion is one API group version and its resources (subresources as "pods/log").
type groupVersion struct {
	group, version string
	resources      []resource
}

func (g groupVersion) String() string {
	if g.group == "" {
		return g.version
	}
	return g.group + "/" + g.version
}

// apiGroups is a realistic subset of an EKS 1.32 cluster's API surface: what the access
// policies talk about, so `kubectl auth can-i` resolves resource names as on a real cluster.
var apiGroups = []groupVersion{
	{"", "v1", []resource{
		{"bindings", "binding", "Binding", true, nil, create},
		{"componentstatuses", "componentstatus", "ComponentStatus", false, []string{"cs"}, []string{"get", "list"}},
		{"configmaps", "configmap", "ConfigMap", true, []string{"cm"}, crud},
		{"endpoints", "endpoints", "Endpoints", true, []string{"ep"}, crud},
		{"events", "event", "Event", true, []string{"ev"}, crud},
		{"limitranges", "limitrange", "LimitRange", true, []string{"limits"}, crud},
		{"namespaces", "namespace", "Namespace", false, []string{"ns"}, []string{"create", "delete", "get", "list", "patch", "update", "watch"}},
		{"namespaces/finalize", "", "Namespace", false, nil, []string{"update"}},
		{"namespaces/status", "", "Namespace", false, nil, getPatch},
		{"nodes", "node", "Node", false, []string{"no"}, crud},
		{"nodes/proxy", "", "NodeProxyOptions", false, nil, []string{"create", "delete", "get", "patch", "update"}},
		{"nodes/status", "", "Node", false, nil, getPatch},
		{"persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim", true, []string{"pvc"}, crud},
		{"persistentvolumeclaims/status", "", "PersistentVolumeClaim", true, nil, getPatch},
		{"persistentvolumes", "persistentvolume", "PersistentVolume", false, []string{"pv"}, crud},
		{"persistentvolumes/status", "", "PersistentVolume", false, nil, getPatch},
		{"pods", "pod", "Pod", true, []string{"po"}, crud},
		{"pods/attach", "", "PodAttachOptions", true, nil, []string{"create", "get"}},
		{"pods/binding", "", "Binding", true, nil, create},
		{"pods/ephemeralcontainers", "", "Pod", true, nil, getPatch},
		{"pods/eviction", "", "Eviction", true, nil, create},
		{"pods/exec", "", "PodExecOptions", true, nil, []string{"create", "get"}},
		{"pods/log", "", "Pod", true, nil, getOnly},
		{"pods/portforward", "", "PodPortForwardOptions", true, nil, []string{"create", "get"}},
		{"pods/proxy", "", "PodProxyOptions", true, nil, []string{"create", "delete", "get", "patch", "update"}},
		{"pods/status", "", "Pod", true, nil, getPatch},
		{"replicationcontrollers", "replicationcontroller", "ReplicationController", true, []string{"rc"}, crud},
		{"replicationcontrollers/scale", "", "Scale", true, nil, getPatch},
		{"replicationcontrollers/status", "", "ReplicationController", true, nil, getPatch},
		{"resourcequotas", "resourcequota", "ResourceQuota", true, []string{"quota"}, crud},
		{"resourcequotas/status", "", "ResourceQuota", true, nil, getPatch},
		{"secrets", "secret", "Secret", true, nil, crud},
		{"serviceaccounts", "serviceaccount", "ServiceAccount", true, []string{"sa"}, crud},
		{"serviceaccounts/token", "", "TokenRequest", true, nil, create},
		{"services", "service", "Service", true, []string{"svc"}, []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}},
		{"services/proxy", "", "ServiceProxyOptions", true, nil, []string{"create", "delete", "get", "patch", "update"}},
		{"services/status", "", "Service", true, nil, getPatch},
	}},
	{"apps", "v1", []resource{
		{"controllerrevisions", "controllerrevision", "ControllerRevision", true, nil, crud},
		{"daemonsets", "daemonset", "DaemonSet", true, []string{"ds"}, crud},
		{"daemonsets/status", "", "DaemonSet", true, nil, getPatch},
		{"deployments", "deployment", "Deployment", true, []string{"deploy"}, crud},
		{"deployments/scale", "", "Scale", true, nil, getPatch},
		{"deployments/status", "", "Deployment", true, nil, getPatch},
		{"replicasets", "replicaset", "ReplicaSet", true, []string{"rs"}, crud},
		{"replicasets/scale", "", "Scale", true, nil, getPatch},
		{"replicasets/status", "", "ReplicaSet", true, nil, getPatch},
		{"statefulsets", "statefulset", "StatefulSet", true, []string{"sts"}, crud},
		{"statefulsets/scale", "", "Scale", true, nil, getPatch},
		{"statefulsets/status", "", "StatefulSet", true, nil, getPatch},
	}},
	{"authentication.k8s.io", "v1", []resource{
		{"selfsubjectreviews", "selfsubjectreview", "SelfSubjectReview", false, nil, create},
		{"tokenreviews", "tokenreview", "TokenReview", false, nil, create},
	}},
	{"authorization.k8s.io", "v1", []resource{
		{"localsubjectaccessreviews", "localsubjectaccessreview", "LocalSubjectAccessReview", true, nil, create},
		{"selfsubjectaccessreviews", "selfsubjectaccessreview", "SelfSubjectAccessReview", false, nil, create},
		{"selfsubjectrulesreviews", "selfsubjectrulesreview", "SelfSubjectRulesReview", false, nil, create},
		{"subjectaccessreviews", "subjectaccessreview", "SubjectAccessReview", false, nil, create},
	}},
	{"autoscaling", "v2", []resource{
		{"horizontalpodautoscalers", "horizontalpodautoscaler", "HorizontalPodAutoscaler", true, []string{"hpa"}, crud},
		{"horizontalpodautoscalers/status", "", "HorizontalPodAutoscaler", true, nil, getPatch},
	}},
	{"batch", "v1", []resource{
		{"cronjobs", "cronjob", "CronJob", true, []string{"cj"}, crud},
		{"cronjobs/status", "", "CronJob", true, nil, getPatch},
		{"jobs", "job", "Job", true, nil, crud},
		{"jobs/status", "", "Job", true, nil, getPatch},
	}},
	{"discovery.k8s.io", "v1", []resource{
		{"endpointslices", "endpointslice", "EndpointSlice", true, nil, crud},
	}},
	{"networking.k8s.io", "v1", []resource{
		{"ingressclasses", "ingressclass", "IngressClass", false, nil, crud},
		{"ingresses", "ingress", "Ingress", true, []string{"ing"}, crud},
		{"ingresses/status", "", "Ingress", true, nil, getPatch},
		{"networkpolicies", "networkpolicy", "NetworkPolicy", true, []string{"netpol"}, crud},
	}},
	{"policy", "v1", []resource{
		{"poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget", true, []string{"pdb"}, crud},
		{"poddisruptionbudgets/status", "", "PodDisruptionBudget", true, nil, getPatch},
	}},
	{"rbac.authorization.k8s.io", "v1", []resource{
		{"clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", false, nil, crud},
		{"clusterroles", "clusterrole", "ClusterRole", false, nil, crud},
		{"rolebindings", "rolebinding", "RoleBinding", true, nil, crud},
		{"roles", "role", "Role", true, nil, crud},
	}},
	{"storage.k8s.io", "v1", []resource{
		{"csidrivers", "csidriver", "CSIDriver", false, nil, crud},
		{"csinodes", "csinode", "CSINode", false, nil, crud},
		{"storageclasses", "storageclass", "StorageClass", false, []string{"sc"}, crud},
		{"volumeattachments", "volumeattachment", "VolumeAttachment", false, nil, crud},
	}},
	{"apiextensions.k8s.io", "v1", []resource{
		{"customresourcedefinitions", "customresourcedefinition", "CustomResourceDefinition", false, []string{"crd", "crds"}, crud},
		{"customresourcedefinitions/status", "", "CustomResourceDefinition", false, nil, getPatch},
	}},
}

// discovery returns the legacy discovery document for path (/api, /apis, /api/v1,
// /apis/GROUP/VERSION), answered as plain JSON so kubectl uses per-group discovery
// (aws-wire.md §8.2, §8.4).
func discovery(path, host string) (any, bool) {
	path = strings.TrimSuffix(path, "/")
	switch path {
	case "/api":
		return &metav1.APIVersions{
			TypeMeta: metav1.TypeMeta{Kind: "APIVersions"},
			Versions: []string{"v1"},
			ServerAddressByClientCIDRs: []metav1.ServerAddressByClientCIDR{
				{ClientCIDR: "0.0.0.0/0", ServerAddress: host},
			},
		}, true
	case "/apis":
		list := &metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}}
		for _, g := range apiGroups {
			if g.group == "" {
				continue
			}
			gv := metav1.GroupVersionForDiscovery{GroupVersion: g.String(), Version: g.version}
			list.Groups = append(list.Groups, metav1.APIGroup{Name: g.group, Versions: []metav1.GroupVersionForDiscovery{gv}, PreferredVersion: gv})
		}
		return list, true
	}
	for _, g := range apiGroups {
		p := "/apis/" + g.String()
		if g.group == "" {
			p = "/api/" + g.version
		}
		if path == p {
			return resourceList(g), true
		}
		if g.group != "" && path == "/apis/"+g.group {
			gv := metav1.GroupVersionForDiscovery{GroupVersion: g.String(), Version: g.version}
			return &metav1.APIGroup{TypeMeta: metav1.TypeMeta{Kind: "APIGroup", APIVersion: "v1"}, Name: g.group, Versions: []metav1.GroupVersionForDiscovery{gv}, PreferredVersion: gv}, true
		}
	}
	return nil, false
}

func resourceList(g groupVersion) *metav1.APIResourceList {
	l := &metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: g.String()}
	for _, r := range g.resources {
		l.APIResources = append(l.APIResources, metav1.APIResource{
			Name:         r.name,
			SingularName: r.singular,
			Namespaced:   r.namespaced,
			Kind:         r.kind,
			Verbs:        metav1.Verbs(r.verbs),
			ShortNames:   r.short,
		})
	}
	return l
}
