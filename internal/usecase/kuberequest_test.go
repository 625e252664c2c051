package usecase

import "testing"

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
