package kube

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"eksaccess/internal/policy"
	"eksaccess/internal/sandbox/state"
)

// RealModeHint is what the builtin mode says when asked for what only the real mode does.
const RealModeHint = "the real mode can: build it with `bash tools/kube/build.sh`, then run `eksaccess sandbox serve --kubernetes real`"

// allowed is the builtin mode's authoriser: the caller's access policies, the default roles
// Kubernetes binds to every authenticated user, and system:masters. It has no RBAC objects,
// so whatever only RBAC could grant is a no, as on a real cluster with none.
func allowed(id *Identity, r policy.Request) bool {
	return policy.Evaluate(id.Entry, r).Outcome == policy.Allowed
}

// requestInfo is what the API server reads from a resource request's path (a subset of
// k8s.io/apiserver's RequestInfoFactory).
type requestInfo struct {
	verb, group, version, namespace, resource, subresource, name string
}

var namespaceSubresources = map[string]bool{"status": true, "finalize": true}

func parseRequestInfo(method, path string, q url.Values) (requestInfo, bool) {
	var ri requestInfo
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(parts) >= 2 && parts[0] == "api":
		ri.version, parts = parts[1], parts[2:]
	case len(parts) >= 3 && parts[0] == "apis":
		ri.group, ri.version, parts = parts[1], parts[2], parts[3:]
	default:
		return ri, false
	}
	if len(parts) == 0 || parts[0] == "" {
		return ri, false
	}
	switch method {
	case http.MethodGet, http.MethodHead:
		ri.verb = "get"
	case http.MethodPost:
		ri.verb = "create"
	case http.MethodPut:
		ri.verb = "update"
	case http.MethodPatch:
		ri.verb = "patch"
	case http.MethodDelete:
		ri.verb = "delete"
	default:
		return ri, false
	}
	if parts[0] == "namespaces" && len(parts) > 1 {
		ri.namespace = parts[1]
		if len(parts) > 2 && !namespaceSubresources[parts[2]] {
			parts = parts[2:]
		}
	}
	ri.resource = parts[0]
	if len(parts) >= 2 {
		ri.name = parts[1]
	}
	if len(parts) >= 3 {
		ri.subresource = parts[2]
	}
	if ri.name == "" && ri.verb == "get" {
		ri.verb = "list"
		if w := q.Get("watch"); w == "1" || w == "true" {
			ri.verb = "watch"
		}
		if name, ok := strings.CutPrefix(q.Get("fieldSelector"), "metadata.name="); ok && !strings.ContainsAny(name, ",/") {
			ri.name = name
		}
	}
	if ri.name == "" && ri.verb == "delete" {
		ri.verb = "deletecollection"
	}
	return ri, true
}

func (ri requestInfo) policyRequest() policy.Request {
	return policy.Request{Verb: ri.verb, APIGroup: ri.group, Resource: ri.resource, Subresource: ri.subresource, Name: ri.name, Namespace: ri.namespace}
}

// forbidden answers 403 in the API server's words:
// pods is forbidden: User "U" cannot list resource "pods" in API group "" in the namespace "ns".
func forbidden(w http.ResponseWriter, user string, ri requestInfo) {
	resource := ri.resource
	if ri.subresource != "" {
		resource += "/" + ri.subresource
	}
	where := "at the cluster scope"
	if ri.namespace != "" {
		where = fmt.Sprintf("in the namespace %q", ri.namespace)
	}
	msg := fmt.Sprintf("User %q cannot %s resource %q in API group %q %s", user, ri.verb, resource, ri.group, where)
	writeStatusError(w, apierrors.NewForbidden(schema.GroupResource{Group: ri.group, Resource: ri.resource}, ri.name, errors.New(msg)))
}

func writeStatusError(w http.ResponseWriter, err *apierrors.StatusError) {
	s := err.ErrStatus
	s.TypeMeta = metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}
	writeJSON(w, int(s.Code), s)
}

// emptyListable are the resources a new cluster has none of in any namespace (no nodes, no
// controllers): for them an empty list is the true answer. Anything else the builtin mode
// would have to make up, so it says it does not serve it.
var emptyListable = map[string]bool{
	"/pods": true, "apps/deployments": true, "apps/replicasets": true, "apps/statefulsets": true,
	"apps/daemonsets": true, "batch/jobs": true, "batch/cronjobs": true,
}

// resourceRequest answers a request for an API resource: 403 where the caller may not, an
// empty list where the caller may list and the list is truly empty, else a refusal that
// names the real mode.
func (h *handler) resourceRequest(w http.ResponseWriter, r *http.Request, sub string, id *Identity) {
	ri, ok := parseRequestInfo(r.Method, sub, r.URL.Query())
	key := ri.resource
	if ri.subresource != "" {
		key += "/" + ri.subresource
	}
	res, known := lookupResource(ri.group, ri.version, key)
	if !ok || !known || (!res.namespaced && ri.namespace != "" && ri.resource != "namespaces") {
		state.SetOperation(r.Context(), "NotFound", false)
		writeStatus(w, http.StatusNotFound, metav1.StatusReasonNotFound, "the server could not find the requested resource")
		return
	}
	state.SetOperation(r.Context(), "Kube:"+ri.verb, false)
	if !allowed(id, ri.policyRequest()) {
		forbidden(w, id.Username, ri)
		return
	}
	gr := schema.GroupResource{Group: ri.group, Resource: ri.resource}
	if emptyListable[ri.group+"/"+ri.resource] && ri.subresource == "" {
		switch {
		case ri.verb == "list":
			gv := ri.version
			if ri.group != "" {
				gv = ri.group + "/" + ri.version
			}
			writeJSON(w, http.StatusOK, map[string]any{
				"kind": res.kind + "List", "apiVersion": gv,
				"metadata": map[string]any{"resourceVersion": "1"}, "items": []any{},
			})
			return
		case ri.verb == "get" && ri.namespace != "":
			writeStatusError(w, apierrors.NewNotFound(gr, ri.name))
			return
		}
	}
	what := ri.verb + " " + key
	if ri.verb == "get" || ri.verb == "list" || ri.verb == "watch" {
		what = ri.verb + " " + key + " (it keeps no objects)"
	}
	writeStatus(w, http.StatusMethodNotAllowed, metav1.StatusReasonMethodNotAllowed,
		"the sandbox's builtin Kubernetes mode cannot "+what+"; "+RealModeHint)
}

// impersonate applies the Impersonate-* headers as the API server does: each one must be
// allowed (verb impersonate on users, groups, serviceaccounts, userextras, uids), and the
// impersonated user has no access entry, so its access is RBAC's alone. It writes the
// answer and returns false when refused.
func (h *handler) impersonate(w http.ResponseWriter, r *http.Request, id *Identity) (*Identity, bool) {
	hdr := r.Header
	userName := hdr.Get(authenticationv1.ImpersonateUserHeader)
	groups := hdr.Values(authenticationv1.ImpersonateGroupHeader)
	uid := hdr.Get(authenticationv1.ImpersonateUIDHeader)
	extra := map[string][]string{}
	for k, v := range hdr {
		if key, ok := strings.CutPrefix(k, authenticationv1.ImpersonateUserExtraHeaderPrefix); ok {
			key, err := url.PathUnescape(key)
			if err != nil {
				writeStatus(w, http.StatusInternalServerError, metav1.StatusReasonInternalError, "malformed extra key for impersonation request")
				return nil, false
			}
			extra[strings.ToLower(key)] = append(extra[strings.ToLower(key)], v...)
		}
	}
	if userName == "" {
		if len(groups) > 0 || len(extra) > 0 || uid != "" {
			writeStatus(w, http.StatusInternalServerError, metav1.StatusReasonInternalError, "requested impersonation of groups, extras or uid without impersonating a user")
			return nil, false
		}
		return id, true
	}
	state.SetOperation(r.Context(), "Impersonate", false)
	check := func(ri requestInfo) bool {
		ri.verb = "impersonate"
		if allowed(id, ri.policyRequest()) {
			return true
		}
		forbidden(w, id.Username, ri)
		return false
	}
	var newGroups []string
	if ns, name, ok := serviceAccountName(userName); ok {
		if !check(requestInfo{resource: "serviceaccounts", namespace: ns, name: name}) {
			return nil, false
		}
		if len(groups) == 0 {
			newGroups = []string{"system:serviceaccounts", "system:serviceaccounts:" + ns}
		}
	} else if !check(requestInfo{resource: "users", name: userName}) {
		return nil, false
	}
	for _, g := range groups {
		if !check(requestInfo{resource: "groups", name: g}) {
			return nil, false
		}
		newGroups = append(newGroups, g)
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range extra[k] {
			if !check(requestInfo{group: "authentication.k8s.io", resource: "userextras", subresource: k, name: v}) {
				return nil, false
			}
		}
	}
	if uid != "" && !check(requestInfo{group: "authentication.k8s.io", resource: "uids", name: uid}) {
		return nil, false
	}
	addAuthenticated := userName != "system:anonymous"
	for _, g := range newGroups {
		if g == "system:authenticated" || g == "system:unauthenticated" {
			addAuthenticated = false
		}
	}
	if addAuthenticated {
		newGroups = append(newGroups, "system:authenticated")
	} else if userName == "system:anonymous" && !slices.Contains(newGroups, "system:unauthenticated") {
		newGroups = append(newGroups, "system:unauthenticated")
	}
	if len(extra) == 0 {
		extra = nil
	}
	return &Identity{
		Username: userName, UID: uid, Groups: newGroups, Extra: extra,
		Entry: policy.Entry{Type: "STANDARD", Username: userName, Groups: newGroups},
	}, true
}

func serviceAccountName(user string) (ns, name string, ok bool) {
	rest, ok := strings.CutPrefix(user, "system:serviceaccount:")
	if !ok {
		return "", "", false
	}
	ns, name, ok = strings.Cut(rest, ":")
	return ns, name, ok && ns != "" && name != "" && !strings.Contains(name, ":")
}
