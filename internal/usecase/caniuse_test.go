package usecase

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

func TestCanI(t *testing.T) {
	t.Parallel()
	demo := ClusterRef{Name: "demo"}
	for _, tc := range []struct {
		name      string
		req       CanIRequest
		answer    string
		principal string
		via       string
		reason    string
		wantErr   string
		input     bool
		iamCalls  int
	}{
		{name: "entry by name, no IAM call", req: CanIRequest{Cluster: demo, Principal: "alice", Request: KubeRequest{Verb: "list", Resource: "pods", Namespace: "team-a"}},
			answer: "yes", principal: fakeUser("alice"), via: "AmazonEKSViewPolicy (namespaces team-a)"},
		{name: "names compare as IAM compares them", req: CanIRequest{Cluster: demo, Principal: "ALICE", Request: KubeRequest{Verb: "list", Resource: "pods", Namespace: "team-a"}},
			answer: "yes", principal: fakeUser("alice")},
		{name: "a user deleted from IAM keeps its entry", req: CanIRequest{Cluster: demo, Principal: "gone", Request: KubeRequest{Verb: "get", Resource: "pods"}},
			answer: "yes", principal: fakeUser("gone")},
		{name: "other namespace", req: CanIRequest{Cluster: demo, Principal: "alice", Request: KubeRequest{Verb: "list", Resource: "pods", Namespace: "other"}},
			answer: "no", principal: fakeUser("alice"), reason: "no access policy allows it and the entry has no Kubernetes groups (AmazonEKSViewPolicy would allow it but it is scoped to namespaces team-a)"},
		{name: "depends on RBAC", req: CanIRequest{Cluster: demo, Principal: "bob", Request: KubeRequest{Verb: "get", Resource: "pods", Namespace: "x"}},
			answer: "depends-on-rbac", principal: fakeUser("bob")},
		{name: "IAM user without an entry", req: CanIRequest{Cluster: demo, Principal: "dave", Request: KubeRequest{Verb: "get", Resource: "pods", Namespace: "x"}},
			answer: "no", principal: fakeUser("dave"), iamCalls: 1,
			reason: fakeUser("dave") + " has no access entry on cluster demo, so EKS refuses its tokens (unless the aws-auth ConfigMap maps it)"},
		{name: "role by name finds its path", req: CanIRequest{Cluster: demo, Principal: "role/eks-team-a", Request: KubeRequest{Verb: "create", Resource: "deployments", Namespace: "team-x"}},
			answer: "yes", principal: teamRole, via: "AmazonEKSEditPolicy (namespaces team-*)"},
		{name: "a session names its role", req: CanIRequest{Cluster: demo, Principal: "arn:aws:sts::111122223333:assumed-role/eks-team-a/alice", Request: KubeRequest{Verb: "create", Resource: "pods", Subresource: "exec", Namespace: "team-x"}},
			answer: "yes", principal: teamRole},
		{name: "HyperPod cluster", req: CanIRequest{Cluster: ClusterRef{HyperPod: "hp-team"}, Principal: "alice", Request: KubeRequest{Verb: "get", Resource: "pods", Namespace: "team-a"}},
			answer: "yes", principal: fakeUser("alice")},
		{name: "CONFIG_MAP cluster", req: CanIRequest{Cluster: ClusterRef{Name: "legacy"}, Principal: "alice", Request: KubeRequest{Verb: "get", Resource: "pods"}},
			answer: "unknown", principal: fakeUser("alice"), iamCalls: 1,
			reason: "cluster legacy maps IAM principals with the aws-auth ConfigMap only (authentication mode CONFIG_MAP), which eksaccess cannot read offline: see `eksaccess migrate aws-auth -c legacy`"},
		{name: "no such user", req: CanIRequest{Cluster: demo, Principal: "nobody", Request: KubeRequest{Verb: "get", Resource: "pods"}},
			wantErr: "no IAM user named nobody in account 111122223333: check the spelling or create it with aws iam create-user --user-name nobody", input: true, iamCalls: 2},
		{name: "session of another account", req: CanIRequest{Cluster: demo, Principal: "arn:aws:sts::444455556666:assumed-role/xrole/someone", Request: KubeRequest{Verb: "get", Resource: "pods"}},
			wantErr: "is a session of a role in account 444455556666", input: true},
		{name: "bad principal", req: CanIRequest{Cluster: demo, Principal: "group/devs", Request: KubeRequest{Verb: "get", Resource: "pods"}},
			wantErr: `"group/devs": an IAM group is not a principal`, input: true},
		{name: "bad request", req: CanIRequest{Cluster: demo, Principal: "alice", Request: KubeRequest{Verb: "get", Resource: "pods/log", Subresource: "exec"}},
			wantErr: "pods/log names subresource log but --subresource says exec: give one", input: true},
		{name: "no cluster", req: CanIRequest{Principal: "alice", Request: KubeRequest{Verb: "get", Resource: "pods"}},
			wantErr: "name a cluster with -c CLUSTER", input: true},
		{name: "unknown cluster", req: CanIRequest{Cluster: ClusterRef{Name: "nope"}, Principal: "alice", Request: KubeRequest{Verb: "get", Resource: "pods"}},
			wantErr: `cluster "nope" not found in this account and region`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newReadWorld()
			res, err := w.env.CanI(context.Background(), tc.req)
			if tc.wantErr != "" {
				wantFailure(t, err, tc.wantErr, tc.input)
				if got := w.calls.count("iam:"); got != tc.iamCalls {
					t.Fatalf("%d IAM calls, want %d: %v", got, tc.iamCalls, w.calls.calls)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Answer != tc.answer || res.Principal != tc.principal || (tc.via != "" && res.Via != tc.via) || (tc.reason != "" && res.Reason != tc.reason) {
				t.Fatalf("got %+v", res)
			}
			if res.Allowed() != (tc.answer == "yes") {
				t.Fatalf("Allowed %v for %s", res.Allowed(), res.Answer)
			}
			if got := w.calls.count("iam:"); got != tc.iamCalls {
				t.Fatalf("%d IAM calls, want %d: %v", got, tc.iamCalls, w.calls.calls)
			}
			// The entry read is the one principal's, not the whole cluster's.
			if n := w.calls.count("eks:DescribeAccessEntry"); n > 1 {
				t.Fatalf("%d entries described: %v", n, w.calls.calls)
			}
		})
	}
}

func TestCanINameMeansTheCallersAccount(t *testing.T) {
	t.Parallel()
	w := newReadWorld()
	other := "arn:aws:iam::444455556666:role/eks-team-a"
	w.eks.clusters["demo"].entries[other] = &rdEntry{assocs: []rdAssoc{{policy: "AmazonEKSClusterAdminPolicy"}}}
	res, err := w.env.CanI(context.Background(), CanIRequest{Cluster: ClusterRef{Name: "demo"}, Principal: "role/eks-team-a", Request: KubeRequest{Verb: "list", Resource: "nodes"}})
	if err != nil || res.Principal != teamRole || res.Answer != "no" {
		t.Fatalf("got %+v, %v", res, err)
	}
	res, err = w.env.CanI(context.Background(), CanIRequest{Cluster: ClusterRef{Name: "demo"}, Principal: other, Request: KubeRequest{Verb: "list", Resource: "nodes"}})
	if err != nil || res.Principal != other || res.Answer != "yes" {
		t.Fatalf("by ARN: %+v, %v", res, err)
	}
}

func TestCanIResultAttributes(t *testing.T) {
	t.Parallel()
	w := newReadWorld()
	res, err := w.env.CanI(context.Background(), CanIRequest{Cluster: ClusterRef{Name: "demo"}, Principal: "bob", Request: KubeRequest{Verb: "patch", Resource: "deployments.apps/scale", Namespace: "x"}})
	if err != nil {
		t.Fatal(err)
	}
	want := RequestAttributes{Verb: "patch", APIGroup: "apps", Resource: "deployments", Subresource: "scale", Namespace: "x"}
	if res.Attributes != want || res.Request != "patch deployments.apps/scale in namespace x" || res.Entry == nil || !reflect.DeepEqual(res.Entry.Groups, []string{"team-b-devs"}) {
		t.Fatalf("got %+v entry %+v", res, res.Entry)
	}
}

func TestWhoCan(t *testing.T) {
	t.Parallel()
	w := newReadWorld()
	res, err := w.env.WhoCan(context.Background(), WhoCanRequest{Cluster: ClusterRef{Name: "demo"}, Request: KubeRequest{Verb: "list", Resource: "pods", Namespace: "team-x"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range res.Rows {
		got = append(got, r.PrincipalArn+" "+r.Answer+" "+r.Via)
	}
	want := []string{
		teamRole + " yes AmazonEKSEditPolicy (namespaces team-*)",
		fakeUser("admin") + " yes AmazonEKSClusterAdminPolicy (cluster)",
		fakeUser("gone") + " yes AmazonEKSViewPolicy (cluster)",
		"arn:aws:iam::111122223333:role/NodeRole depends-on-rbac EC2_LINUX access entries take no access policies; what they may do is decided inside Kubernetes (node authorizer, RBAC)",
		fakeUser("bob") + " depends-on-rbac no access policy allows it; depends on RBAC for groups team-b-devs",
	}
	if !reflect.DeepEqual(got, want) || res.Request != "list pods in namespace team-x" {
		t.Fatalf("rows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := w.calls.count("iam:"); n != 0 {
		t.Fatalf("who-can called IAM: %v", w.calls.calls)
	}

	if _, err := w.env.WhoCan(context.Background(), WhoCanRequest{Cluster: ClusterRef{Name: "legacy"}, Request: KubeRequest{Verb: "get", Resource: "pods"}}); err == nil || IsInput(err) ||
		!strings.HasPrefix(err.Error(), "cluster legacy maps IAM principals with the aws-auth ConfigMap only") {
		t.Fatalf("CONFIG_MAP: %v", err)
	}
	if _, err := w.env.WhoCan(context.Background(), WhoCanRequest{Cluster: ClusterRef{Name: "demo"}, Request: KubeRequest{Verb: "get pods", Resource: "pods"}}); !IsInput(err) {
		t.Fatalf("bad verb: %v", err)
	}
}
