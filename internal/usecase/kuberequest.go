package usecase

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"eksaccess/internal/policy"
	"eksaccess/internal/principal"
)

// KubeRequest is a Kubernetes request as a user writes it: VERB RESOURCE, RESOURCE as for
// kubectl (pods, pods/exec, deployments.apps) or a non-resource URL (/healthz).
type KubeRequest struct {
	Verb        string `json:"verb"`
	Resource    string `json:"resource"`
	Namespace   string `json:"namespace,omitempty"`
	Subresource string `json:"subresource,omitempty"`
	APIGroup    string `json:"apiGroup,omitempty"`
}

// Parse builds the policy request, with notes about guesses it made (an unknown resource
// taken to be in the core group). Errors are bad input.
func (r KubeRequest) Parse() (policy.Request, []string, error) {
	verb, resource := r.Verb, r.Resource
	if verb == "" || strings.ContainsAny(verb, " /:") {
		return policy.Request{}, nil, inputErrorf("verb %q is not a Kubernetes verb: use get, list, watch, create, update, patch, delete, deletecollection or *", verb)
	}
	if strings.HasPrefix(resource, "/") {
		if r.Namespace != "" || r.Subresource != "" || r.APIGroup != "" {
			return policy.Request{}, nil, inputErrorf("%s is a non-resource URL: -n, --subresource and --api-group do not apply", resource)
		}
		return policy.Request{Verb: verb, NonResourceURL: resource}, nil, nil
	}
	pr, notes, err := parseResource(resource)
	if err != nil {
		return policy.Request{}, nil, &InputError{Err: err}
	}
	if r.Subresource != "" {
		if pr.sub != "" && pr.sub != r.Subresource {
			return policy.Request{}, nil, inputErrorf("%s names subresource %s but --subresource says %s: give one", resource, pr.sub, r.Subresource)
		}
		pr.sub = r.Subresource
	}
	if r.APIGroup != "" {
		if pr.groupGiven && pr.group != r.APIGroup {
			return policy.Request{}, nil, inputErrorf("%s names API group %s but --api-group says %s: give one", resource, pr.group, r.APIGroup)
		}
		pr.group, pr.groupGiven = r.APIGroup, true
		notes = nil
	}
	if r.Namespace != "" {
		if err := principal.ValidateNamespace(r.Namespace); err != nil {
			return policy.Request{}, nil, inputErrorf("-n: %w", err)
		}
	}
	return policy.Request{Verb: verb, APIGroup: pr.group, Resource: pr.resource, Subresource: pr.sub, Namespace: r.Namespace}, notes, nil
}

type parsedResource struct {
	resource, sub, group string
	groupGiven           bool
}

var versionSegment = regexp.MustCompile(`^v[0-9]+((alpha|beta)[0-9]+)?$`)

// parseResource reads RESOURCE as kubectl does: resource[.version][.group][/subresource],
// with the common short names and singular forms; "*" stands for all resources.
// A plain resource eksaccess does not know is taken to be in the core group (with a note),
// since offline there is no discovery to ask.
func parseResource(s string) (parsedResource, []string, error) {
	var pr parsedResource
	if s == "" {
		return pr, nil, errors.New("empty resource: give one such as pods, pods/exec or deployments.apps")
	}
	name, sub, hasSub := strings.Cut(s, "/")
	if hasSub && (sub == "" || strings.Contains(sub, "/")) {
		return pr, nil, fmt.Errorf("resource %q: write RESOURCE/SUBRESOURCE, e.g. pods/exec", s)
	}
	pr.sub = sub
	res, group, hasGroup := strings.Cut(name, ".")
	if hasGroup {
		if v, rest, ok := strings.Cut(group, "."); ok && versionSegment.MatchString(v) {
			group = rest
		} else if versionSegment.MatchString(group) {
			group = "" // pods.v1: core group, version given
		}
		pr.group, pr.groupGiven = group, true
	}
	if res == "" {
		return pr, nil, fmt.Errorf("resource %q has no name before the group", s)
	}
	res = strings.ToLower(res)
	if res == "*" {
		pr.resource = "*"
		if !hasGroup {
			pr.group, pr.groupGiven = "*", true
		}
		return pr, nil, nil
	}
	if full, ok := resourceShortNames[res]; ok {
		res = full
	} else if _, ok := knownResources[res]; !ok {
		for _, plural := range []string{res + "s", res + "es", strings.TrimSuffix(res, "y") + "ies"} {
			if _, ok := knownResources[plural]; ok {
				res = plural
				break
			}
		}
	}
	pr.resource = res
	if !hasGroup {
		g, ok := knownResources[res]
		if !ok {
			return pr, []string{fmt.Sprintf("note: eksaccess does not know resource %q; taking it to be in the core API group (write %s.GROUP or pass --api-group for others)", res, res)}, nil
		}
		pr.group = g
	}
	return pr, nil, nil
}

// knownResources maps well-known resources to their API group (what kubectl learns from
// discovery), so "deployments" means deployments.apps as it does for kubectl.
var knownResources = map[string]string{
	"pods": "", "services": "", "configmaps": "", "secrets": "", "namespaces": "", "nodes": "",
	"persistentvolumeclaims": "", "persistentvolumes": "", "serviceaccounts": "", "events": "",
	"endpoints": "", "replicationcontrollers": "", "limitranges": "", "resourcequotas": "",
	"podtemplates": "", "bindings": "", "componentstatuses": "",
	"deployments": "apps", "replicasets": "apps", "statefulsets": "apps", "daemonsets": "apps", "controllerrevisions": "apps",
	"jobs": "batch", "cronjobs": "batch",
	"horizontalpodautoscalers": "autoscaling",
	"poddisruptionbudgets":     "policy",
	"ingresses":                "networking.k8s.io", "networkpolicies": "networking.k8s.io", "ingressclasses": "networking.k8s.io",
	"roles": "rbac.authorization.k8s.io", "rolebindings": "rbac.authorization.k8s.io",
	"clusterroles": "rbac.authorization.k8s.io", "clusterrolebindings": "rbac.authorization.k8s.io",
	"storageclasses": "storage.k8s.io", "csidrivers": "storage.k8s.io", "csinodes": "storage.k8s.io", "volumeattachments": "storage.k8s.io",
	"customresourcedefinitions":  "apiextensions.k8s.io",
	"leases":                     "coordination.k8s.io",
	"endpointslices":             "discovery.k8s.io",
	"priorityclasses":            "scheduling.k8s.io",
	"certificatesigningrequests": "certificates.k8s.io",
	"selfsubjectaccessreviews":   "authorization.k8s.io", "selfsubjectrulesreviews": "authorization.k8s.io", "subjectaccessreviews": "authorization.k8s.io",
	"selfsubjectreviews": "authentication.k8s.io", "tokenreviews": "authentication.k8s.io",
	"mutatingwebhookconfigurations": "admissionregistration.k8s.io", "validatingwebhookconfigurations": "admissionregistration.k8s.io",
}

var resourceShortNames = map[string]string{
	"po": "pods", "svc": "services", "cm": "configmaps", "ns": "namespaces", "no": "nodes",
	"pvc": "persistentvolumeclaims", "pv": "persistentvolumes", "sa": "serviceaccounts", "ev": "events",
	"ep": "endpoints", "rc": "replicationcontrollers", "limits": "limitranges", "quota": "resourcequotas",
	"deploy": "deployments", "rs": "replicasets", "sts": "statefulsets", "ds": "daemonsets",
	"cj": "cronjobs", "hpa": "horizontalpodautoscalers", "pdb": "poddisruptionbudgets",
	"ing": "ingresses", "netpol": "networkpolicies", "sc": "storageclasses", "crd": "customresourcedefinitions",
	"crds": "customresourcedefinitions", "pc": "priorityclasses", "csr": "certificatesigningrequests",
}

// DescribeRequest says what a request asks, e.g. "list pods in namespace team-a".
func DescribeRequest(r policy.Request) string {
	if r.NonResourceURL != "" {
		return r.Verb + " " + r.NonResourceURL
	}
	res := r.Resource
	if r.APIGroup != "" && r.APIGroup != "*" {
		res += "." + r.APIGroup
	}
	if r.Subresource != "" {
		res += "/" + r.Subresource
	}
	s := r.Verb + " " + res
	switch {
	case policy.IsClusterScoped(r.APIGroup, r.Resource):
		s += " (cluster-scoped)"
	case r.Namespace == "":
		s += " in all namespaces"
	default:
		s += " in namespace " + r.Namespace
	}
	return s
}

// Check is one expectation about a request: [!]VERB:RESOURCE[:NAMESPACE] (or [!]VERB:/URL).
type Check struct {
	Raw    string
	Expect bool
	Req    policy.Request
}

// ParseCheck reads [!]VERB:RESOURCE[:NAMESPACE] (or [!]VERB:/URL), with the notes of
// KubeRequest.Parse. Errors are bad input.
func ParseCheck(raw string) (Check, []string, error) {
	ch := Check{Raw: raw, Expect: true}
	s := raw
	if rest, ok := strings.CutPrefix(s, "!"); ok {
		ch.Expect, s = false, rest
	}
	verb, rest, ok := strings.Cut(s, ":")
	if !ok || verb == "" || rest == "" {
		return ch, nil, inputErrorf("--check %q: write VERB:RESOURCE[:NAMESPACE], e.g. list:pods:team-a (! in front to expect denial)", raw)
	}
	kr := KubeRequest{Verb: verb, Resource: rest}
	if !strings.HasPrefix(rest, "/") {
		if r, ns, ok := strings.Cut(rest, ":"); ok {
			if ns == "" || strings.Contains(ns, ":") {
				return ch, nil, inputErrorf("--check %q: write VERB:RESOURCE[:NAMESPACE]", raw)
			}
			kr.Resource, kr.Namespace = r, ns
		}
	}
	req, notes, err := kr.Parse()
	if err != nil {
		return ch, nil, inputErrorf("--check %q: %v", raw, err)
	}
	ch.Req = req
	return ch, notes, nil
}
