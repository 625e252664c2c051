package usecase

import (
	"strings"
	"testing"

	"eksaccess/internal/policy"
)

func TestParseResource(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in      string
		want    parsedResource
		note    bool
		wantErr string
	}{
		{in: "pods", want: parsedResource{resource: "pods"}},
		{in: "po", want: parsedResource{resource: "pods"}},
		{in: "pod", want: parsedResource{resource: "pods"}},
		{in: "Pods", want: parsedResource{resource: "pods"}},
		{in: "pods/exec", want: parsedResource{resource: "pods", sub: "exec"}},
		{in: "deployments", want: parsedResource{resource: "deployments", group: "apps"}},
		{in: "deploy", want: parsedResource{resource: "deployments", group: "apps"}},
		{in: "deployments.apps", want: parsedResource{resource: "deployments", group: "apps", groupGiven: true}},
		{in: "deployments.v1.apps/scale", want: parsedResource{resource: "deployments", sub: "scale", group: "apps", groupGiven: true}},
		{in: "pods.v1", want: parsedResource{resource: "pods", groupGiven: true}},
		{in: "ingress", want: parsedResource{resource: "ingresses", group: "networking.k8s.io"}},
		{in: "networkpolicy", want: parsedResource{resource: "networkpolicies", group: "networking.k8s.io"}},
		{in: "crd", want: parsedResource{resource: "customresourcedefinitions", group: "apiextensions.k8s.io"}},
		{in: "widgets.example.com", want: parsedResource{resource: "widgets", group: "example.com", groupGiven: true}},
		{in: "workloads.kueue.x-k8s.io", want: parsedResource{resource: "workloads", group: "kueue.x-k8s.io", groupGiven: true}},
		{in: "widgets", want: parsedResource{resource: "widgets"}, note: true},
		{in: "*", want: parsedResource{resource: "*", group: "*", groupGiven: true}},
		{in: "*/exec", want: parsedResource{resource: "*", sub: "exec", group: "*", groupGiven: true}},
		{in: "", wantErr: "empty resource: give one such as pods, pods/exec or deployments.apps"},
		{in: "pods/", wantErr: `resource "pods/": write RESOURCE/SUBRESOURCE, e.g. pods/exec`},
		{in: "a/b/c", wantErr: `resource "a/b/c": write RESOURCE/SUBRESOURCE, e.g. pods/exec`},
		{in: ".apps", wantErr: `resource ".apps" has no name before the group`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, notes, err := parseResource(tc.in)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want || (len(notes) > 0) != tc.note {
				t.Fatalf("got %+v notes %v err %v, want %+v note %v", got, notes, err, tc.want, tc.note)
			}
		})
	}
}

func TestParseCheck(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in      string
		expect  bool
		req     policy.Request
		wantErr string
	}{
		{in: "list:pods:team-a", expect: true, req: policy.Request{Verb: "list", Resource: "pods", Namespace: "team-a"}},
		{in: "!create:pods/exec:team-a", expect: false, req: policy.Request{Verb: "create", Resource: "pods", Subresource: "exec", Namespace: "team-a"}},
		{in: "get:deployments.apps", expect: true, req: policy.Request{Verb: "get", APIGroup: "apps", Resource: "deployments"}},
		{in: "list:nodes", expect: true, req: policy.Request{Verb: "list", Resource: "nodes"}},
		{in: "get:/healthz", expect: true, req: policy.Request{Verb: "get", NonResourceURL: "/healthz"}},
		{in: "!get:/metrics", expect: false, req: policy.Request{Verb: "get", NonResourceURL: "/metrics"}},
		{in: "list", wantErr: `--check "list": write VERB:RESOURCE[:NAMESPACE], e.g. list:pods:team-a (! in front to expect denial)`},
		{in: ":pods", wantErr: `--check ":pods": write VERB:RESOURCE[:NAMESPACE], e.g. list:pods:team-a (! in front to expect denial)`},
		{in: "list:pods:", wantErr: `--check "list:pods:": write VERB:RESOURCE[:NAMESPACE]`},
		{in: "list:pods:a:b", wantErr: `--check "list:pods:a:b": write VERB:RESOURCE[:NAMESPACE]`},
		{in: "list:pods:Team_A", wantErr: `--check "list:pods:Team_A": -n: `},
		{in: "get:/healthz:x", wantErr: ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			ch, _, err := ParseCheck(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				if !IsInput(err) {
					t.Fatalf("not bad input: %v", err)
				}
				return
			}
			if tc.in == "get:/healthz:x" {
				// A URL may contain colons; it is taken whole.
				if err != nil || ch.Req.NonResourceURL != "/healthz:x" {
					t.Fatalf("%+v %v", ch, err)
				}
				return
			}
			if err != nil || ch.Expect != tc.expect || ch.Req != tc.req || ch.Raw != tc.in {
				t.Fatalf("got %+v err %v, want expect %v req %+v", ch, err, tc.expect, tc.req)
			}
		})
	}
}
