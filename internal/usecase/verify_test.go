package usecase

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// fakeKube allows what its rules say ("verb resource namespace" or "verb /url").
type fakeKube struct {
	user  authenticationv1.UserInfo
	allow map[string]bool
	err   error
	specs []authorizationv1.SelfSubjectAccessReviewSpec
}

func (k *fakeKube) SelfSubjectReview(context.Context) (authenticationv1.UserInfo, error) {
	return k.user, k.err
}

func (k *fakeKube) SelfSubjectAccessReview(_ context.Context, spec authorizationv1.SelfSubjectAccessReviewSpec) (authorizationv1.SubjectAccessReviewStatus, error) {
	k.specs = append(k.specs, spec)
	key := ""
	if a := spec.ResourceAttributes; a != nil {
		key = a.Verb + " " + a.Resource + " " + a.Namespace
	} else {
		key = spec.NonResourceAttributes.Verb + " " + spec.NonResourceAttributes.Path
	}
	if k.allow[key] {
		return authorizationv1.SubjectAccessReviewStatus{Allowed: true, Reason: "allowed by " + key}, nil
	}
	return authorizationv1.SubjectAccessReviewStatus{}, nil
}

// liveWorld is a readWorld whose demo cluster answers through kube; the servers it was asked
// to connect to are recorded.
func liveWorld(t *testing.T, kube *fakeKube) (*readWorld, *[]string) {
	w := newReadWorld()
	w.env.CacheDir = t.TempDir()
	var servers []string
	w.env.Kube = func(server, token string, ca []byte) (KubeAPI, error) {
		servers = append(servers, server)
		if !strings.HasPrefix(token, "k8s-aws-v1.") || string(ca) != "CA" {
			return nil, fmt.Errorf("token %q, CA %q", token, ca)
		}
		return kube, nil
	}
	return w, &servers
}

func TestVerifyLive(t *testing.T) {
	t.Parallel()
	kube := &fakeKube{user: authenticationv1.UserInfo{Username: fakeUser("alice"), Groups: []string{"system:authenticated"}, Extra: map[string]authenticationv1.ExtraValue{"arn": {fakeUser("alice")}}},
		allow: map[string]bool{"list pods team-a": true, "get /healthz": true}}
	w, servers := liveWorld(t, kube)
	res, err := w.env.Verify(context.Background(), VerifyRequest{Cluster: ClusterRef{HyperPod: "hp-team"}, As: AsRole{Role: "role/eks-team-a", SessionName: "al"},
		Checks: []string{"list:pods:team-a", "!create:pods:team-a", "create:pods/exec:team-a", "get:/healthz"}})
	if err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, c := range res.Checks {
		got = append(got, c.Check+" "+c.Expected+" "+c.Result+" "+c.Reason+" "+yesNo(c.OK))
	}
	want := []string{
		"list:pods:team-a yes yes allowed by list pods team-a yes",
		"!create:pods:team-a no no  yes",
		"create:pods/exec:team-a yes no  no",
		"get:/healthz yes yes allowed by get /healthz yes",
	}
	if !reflect.DeepEqual(got, want) || res.Failed != 1 || res.Offline || res.Cluster != "demo" || res.Server != "https://demo.example" ||
		res.User.Username != fakeUser("alice") || !reflect.DeepEqual(res.User.Extra["arn"], []string{fakeUser("alice")}) {
		t.Fatalf("got %+v\nchecks\n%s", res, strings.Join(got, "\n"))
	}
	if !reflect.DeepEqual(*servers, []string{"https://demo.example"}) || len(w.sts.assumed) != 1 ||
		aws.ToString(w.sts.assumed[0].RoleArn) != teamRole || aws.ToString(w.sts.assumed[0].RoleSessionName) != "al" {
		t.Fatalf("servers %v, assumed %v", *servers, w.calls.calls)
	}
	if a := kube.specs[2].ResourceAttributes; a == nil || a.Subresource != "exec" || a.Resource != "pods" || a.Namespace != "team-a" {
		t.Fatalf("spec %+v", kube.specs[2])
	}
}

func TestVerifyLiveRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want string
	}{
		{apierrors.NewUnauthorized("no"), "cluster demo refused the token (Unauthorized): role eks-team-a may have no access entry on it"},
		{apierrors.NewForbidden(schema.GroupResource{Resource: "selfsubjectreviews"}, "", nil), "cluster demo forbade the review: "},
	} {
		kube := &fakeKube{err: tc.err}
		w, _ := liveWorld(t, kube)
		_, err := w.env.Verify(context.Background(), VerifyRequest{Cluster: ClusterRef{Name: "demo"}, As: AsRole{Role: "eks-team-a"}})
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Fatalf("err %v, want %q", err, tc.want)
		}
	}
}

func TestVerifyOffline(t *testing.T) {
	t.Parallel()
	w := newReadWorld() // no Kube, no ClusterToken: offline must not need them
	res, err := w.env.Verify(context.Background(), VerifyRequest{Cluster: ClusterRef{Name: "demo"}, AsPrincipal: "role/eks-team-a",
		Checks: []string{"create:deployments:team-ml", "!create:deployments:default", "list:nodes"}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Offline || res.Principal != teamRole || res.User.Username != "arn:aws:sts::111122223333:assumed-role/eks-team-a/{{SessionName}}" ||
		!reflect.DeepEqual(res.User.Groups, []string{"system:authenticated"}) || res.Failed != 1 {
		t.Fatalf("got %+v", res)
	}
	if c := res.Checks[2]; c.Result != "no" || c.OK {
		t.Fatalf("nodes: %+v", c)
	}
	res, err = w.env.Verify(context.Background(), VerifyRequest{Cluster: ClusterRef{Name: "demo"}, AsPrincipal: "dave", Checks: []string{"!get:pods"}})
	if err != nil || !strings.HasPrefix(res.User.Username, "(none: "+fakeUser("dave")+" has no access entry") || res.Failed != 0 {
		t.Fatalf("got %+v, %v", res, err)
	}
}

func TestVerifyValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		req  VerifyRequest
		want string
	}{
		{VerifyRequest{Cluster: ClusterRef{Name: "demo"}, As: AsRole{Role: "r"}, AsPrincipal: "alice"}, "--as-principal and --role both say whom to check"},
		{VerifyRequest{Cluster: ClusterRef{Name: "demo"}, As: AsRole{SessionName: "s1"}}, "--session-name names the session of an assumed role: add --role ROLE"},
		{VerifyRequest{Cluster: ClusterRef{Name: "demo"}, As: AsRole{Role: "arn:aws:iam::111122223333:user/alice"}}, "--role arn:aws:iam::111122223333:user/alice is a user ARN"},
		{VerifyRequest{Cluster: ClusterRef{Name: "demo"}, Checks: []string{"list"}}, `--check "list": write VERB:RESOURCE[:NAMESPACE]`},
		{VerifyRequest{}, "name a cluster"},
	} {
		w := newReadWorld()
		_, err := w.env.Verify(context.Background(), tc.req)
		if !IsInput(err) || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%+v: err %v, want %q", tc.req, err, tc.want)
		}
		if len(w.calls.calls) != 0 {
			t.Fatalf("bad input made calls: %v", w.calls.calls)
		}
	}
}
