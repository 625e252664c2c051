package usecase

import (
	"context"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"eksaccess/internal/plan"
	"eksaccess/internal/rbac"
)

func TestGroupsWithout(t *testing.T) {
	t.Parallel()
	vision, _ := rbac.Build("vision", "", rbac.SageMakerGuide)
	nlp, _ := rbac.Build("nlp", "", rbac.SageMakerGuide)
	cli, _ := rbac.Build("cv", "", rbac.HyperPodCLI)
	for _, tc := range []struct {
		team *rbac.Team
		have []string
		want []string
	}{
		// The guide's shared cluster-level group goes with the last guide team.
		{vision, append(slicesOf(vision.Groups), "ops"), []string{"ops"}},
		{vision, append(append(slicesOf(vision.Groups), nlp.MemberGroup), cli.MemberGroup), []string{rbac.GuideClusterGroup, nlp.MemberGroup, cli.MemberGroup}},
		{cli, append(slicesOf(cli.Groups), vision.Groups...), vision.Groups},
		{cli, slicesOf(cli.Groups), []string{}},
	} {
		got := groupsWithout(&plan.LiveEntry{KubernetesGroups: tc.have}, tc.team)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s leaving, groups %v: kept %v, want %v", tc.team.Name, tc.have, got, tc.want)
		}
	}
}

func slicesOf(s []string) []string { return append([]string(nil), s...) }

// fakeClusterKube holds objects in maps; it records writes.
type fakeClusterKube struct {
	ClusterKube
	ns   map[string]*corev1.Namespace
	held map[string][]string
	objs rbac.Objects
}

func (f *fakeClusterKube) GetNamespace(_ context.Context, n string) (*corev1.Namespace, error) {
	return f.ns[n], nil
}

func (f *fakeClusterKube) NamespaceObjects(_ context.Context, n string) ([]string, error) {
	return f.held[n], nil
}

func (f *fakeClusterKube) GetClusterRole(_ context.Context, n string) (*rbacv1.ClusterRole, error) {
	for i := range f.objs.ClusterRoles {
		if f.objs.ClusterRoles[i].Name == n {
			return &f.objs.ClusterRoles[i], nil
		}
	}
	return nil, nil
}

func (f *fakeClusterKube) GetClusterRoleBinding(_ context.Context, n string) (*rbacv1.ClusterRoleBinding, error) {
	for i := range f.objs.ClusterRoleBindings {
		if f.objs.ClusterRoleBindings[i].Name == n {
			return &f.objs.ClusterRoleBindings[i], nil
		}
	}
	return nil, nil
}

func (f *fakeClusterKube) GetRole(_ context.Context, ns, n string) (*rbacv1.Role, error) {
	for i := range f.objs.Roles {
		if r := &f.objs.Roles[i]; r.Name == n && r.Namespace == ns {
			return r, nil
		}
	}
	return nil, nil
}

func (f *fakeClusterKube) GetRoleBinding(_ context.Context, ns, n string) (*rbacv1.RoleBinding, error) {
	for i := range f.objs.RoleBindings {
		if r := &f.objs.RoleBindings[i]; r.Name == n && r.Namespace == ns {
			return r, nil
		}
	}
	return nil, nil
}

func (f *fakeClusterKube) RBAC(context.Context, string) (*rbac.Objects, error) {
	o := rbac.Objects{}
	for _, rb := range f.objs.RoleBindings {
		if rb.Labels[rbac.LabelTeam] != "" {
			o.RoleBindings = append(o.RoleBindings, rb)
		}
	}
	return &o, nil
}

// install puts a team's objects in the fake as team add would.
func (f *fakeClusterKube) install(t *rbac.Team) {
	f.objs.ClusterRoles = append(f.objs.ClusterRoles, *t.ClusterRole)
	f.objs.ClusterRoleBindings = append(f.objs.ClusterRoleBindings, *t.ClusterRoleBinding)
	f.objs.Roles = append(f.objs.Roles, *t.Role)
	f.objs.RoleBindings = append(f.objs.RoleBindings, *t.RoleBinding)
}

func TestPlanTeamDeletion(t *testing.T) {
	t.Parallel()
	vision, _ := rbac.Build("vision", "", rbac.SageMakerGuide)
	nlp, _ := rbac.Build("nlp", "", rbac.SageMakerGuide)
	ours := map[string]string{rbac.LabelManagedBy: rbac.ManagedBy, rbac.LabelTeam: "vision"}
	for _, tc := range []struct {
		name  string
		setup func(*fakeClusterKube)
		want  []KubeChange
	}{
		{"alone, namespace ours and empty", func(f *fakeClusterKube) {
			f.install(vision)
			f.ns["hyperpod-ns-vision"] = &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "hyperpod-ns-vision", Labels: ours}}
			f.held["hyperpod-ns-vision"] = []string{"ConfigMap/kube-root-ca.crt", "Event/x", "Role/" + vision.Role.Name, "RoleBinding/" + vision.RoleBinding.Name, "ServiceAccount/default"}
		}, []KubeChange{
			{Object: vision.Objects()[3], Action: "delete"}, {Object: vision.Objects()[2], Action: "delete"},
			{Object: vision.Objects()[1], Action: "delete"}, {Object: vision.Objects()[0], Action: "delete"},
			{Object: "Namespace/hyperpod-ns-vision", Action: "delete"},
		}},
		{"another guide team shares the cluster objects; the namespace holds a pod", func(f *fakeClusterKube) {
			f.install(vision)
			f.objs.RoleBindings = append(f.objs.RoleBindings, *nlp.RoleBinding)
			f.ns["hyperpod-ns-vision"] = &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "hyperpod-ns-vision", Labels: ours}}
			f.held["hyperpod-ns-vision"] = []string{"Pod/train-0"}
		}, []KubeChange{
			{Object: vision.Objects()[3], Action: "delete"}, {Object: vision.Objects()[2], Action: "delete"},
			{Object: vision.Objects()[1], Action: "keep", Note: "shared with the other sagemaker-guide teams"},
			{Object: vision.Objects()[0], Action: "keep", Note: "shared with the other sagemaker-guide teams"},
			{Object: "Namespace/hyperpod-ns-vision", Action: "keep", Note: "holds Pod/train-0"},
		}},
		{"namespace from task governance, a role by hand", func(f *fakeClusterKube) {
			f.install(vision)
			f.objs.Roles[0].Labels = nil
			f.ns["hyperpod-ns-vision"] = &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "hyperpod-ns-vision"}}
		}, []KubeChange{
			{Object: vision.Objects()[3], Action: "delete"}, {Object: vision.Objects()[2], Action: "keep", Note: "not created by eksaccess"},
			{Object: vision.Objects()[1], Action: "delete"}, {Object: vision.Objects()[0], Action: "delete"},
			{Object: "Namespace/hyperpod-ns-vision", Action: "keep", Note: "not created by eksaccess"},
		}},
	} {
		f := &fakeClusterKube{ns: map[string]*corev1.Namespace{}, held: map[string][]string{}}
		tc.setup(f)
		got, err := (&Env{}).planTeamDeletion(context.Background(), f, vision)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v\n got %+v\nwant %+v", tc.name, err, got, tc.want)
		}
	}
}
