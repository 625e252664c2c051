package kube

import (
	_ "embed"
	"encoding/json"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// discoveryJSON is the legacy discovery of the kube-apiserver v1.32.13 that the real mode
// runs (tools/kube), captured from it: every document kubectl reads (/api, /apis, /api/v1,
// /apis/GROUP and /apis/GROUP/VERSION), by path. /api's server address reads "HOST" and is
// filled in per request. kubereal's differential test compares it with the live server.
//
//go:embed testdata/discovery-v1.32.json
var discoveryJSON []byte

var (
	discoveryDocs map[string]json.RawMessage
	// resources indexes /api/v1 and /apis/GROUP/VERSION: group/version → resource.
	resources map[string]map[string]apiResource
)

func init() {
	if err := json.Unmarshal(discoveryJSON, &discoveryDocs); err != nil {
		panic("kube: bad testdata/discovery-v1.32.json: " + err.Error())
	}
	resources = map[string]map[string]apiResource{}
	for _, raw := range discoveryDocs {
		var l metav1.APIResourceList
		if json.Unmarshal(raw, &l) != nil || l.Kind != "APIResourceList" {
			continue
		}
		m := map[string]apiResource{}
		for _, r := range l.APIResources {
			m[r.Name] = apiResource{namespaced: r.Namespaced, kind: r.Kind}
		}
		resources[l.GroupVersion] = m
	}
}

// discovery returns the legacy discovery document for path, answered as plain JSON whatever
// the Accept header asks, so kubectl falls back from aggregated to per-group discovery
// (aws-wire.md §8.2, §8.4).
func discovery(path, host string) ([]byte, bool) {
	path = strings.TrimSuffix(path, "/")
	doc, ok := discoveryDocs[path]
	if !ok {
		return nil, false
	}
	if path == "/api" {
		b, _ := json.Marshal(host)
		return []byte(strings.Replace(string(doc), `"HOST"`, string(b), 1)), true
	}
	return doc, true
}

type apiResource struct {
	namespaced bool
	kind       string
}

// lookupResource finds resource (subresources as "pods/log") in group/version.
func lookupResource(group, version, resource string) (apiResource, bool) {
	gv := version
	if group != "" {
		gv = group + "/" + version
	}
	r, ok := resources[gv][resource]
	return r, ok
}
