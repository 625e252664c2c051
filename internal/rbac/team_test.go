package rbac

import (
	"reflect"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

// The rules as docs/teams.md cites them from the SageMaker Developer Guide (S1) and the
// sagemaker-hyperpod-cli helm chart's team-role-and-bindings (S6), one YAML flow line each,
// copied from the published text.
const (
	guideClusterRole = `
- {apiGroups: [""], resources: ["pods"],  verbs: ["list"]}
- {apiGroups: [""], resources: ["nodes"], verbs: ["list"]}
`
	guideRole = `
- {apiGroups: [""],             resources: ["pods"],      verbs: ["create", "get"]}
- {apiGroups: [""],             resources: ["nodes"],     verbs: ["get", "list"]}
- {apiGroups: [""],             resources: ["pods/log"],  verbs: ["get", "list"]}
- {apiGroups: [""],             resources: ["pods/exec"], verbs: ["get", "create"]}
- {apiGroups: ["kubeflow.org"], resources: ["pytorchjobs", "pytorchjobs/status"], verbs: ["get", "list", "create", "delete", "update", "describe"]}
- {apiGroups: [""],             resources: ["configmaps"], verbs: ["create", "update", "get", "list", "delete"]}
- {apiGroups: [""],             resources: ["secrets"],    verbs: ["create", "get", "list", "delete"]}
`
	cliClusterRole = `
- {apiGroups: [""],               resources: ["namespaces"], verbs: ["list", "get"]}
- {apiGroups: ["kueue.x-k8s.io"], resources: ["clusterqueues"], resourceNames: ["hyperpod-ns-<id>-clusterqueue"], verbs: ["list", "get", "watch"]}
- {apiGroups: ["kueue.x-k8s.io"], resources: ["resourceflavors", "workloadpriorityclasses"], verbs: ["list", "get", "watch"]}
`
	cliRole = `
- {apiGroups: [""],                    resources: ["namespaces"], verbs: ["get", "describe"]}
- {apiGroups: ["batch"],               resources: ["jobs"], verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]}
- {apiGroups: [""],                    resources: ["pods"], verbs: ["create", "get", "watch", "list"]}
- {apiGroups: [""],                    resources: ["nodes", "nodes/status", "pods/status"], verbs: ["get", "list", "watch"]}
- {apiGroups: [""],                    resources: ["pods/log"], verbs: ["get", "list"]}
- {apiGroups: ["kubeflow.org"],        resources: ["pytorchjobs", "pytorchjobs/status"], verbs: ["get", "list", "watch", "create", "delete", "update"]}
- {apiGroups: [""],                    resources: ["serviceaccounts"], verbs: ["get", "list"]}
- {apiGroups: [""],                    resources: ["configmaps"], verbs: ["create", "update", "get", "delete"]}
- {apiGroups: [""],                    resources: ["secrets"], verbs: ["create", "get", "list", "delete"]}
- {apiGroups: ["apiextensions.k8s.io"], resources: ["customresourcedefinitions"], verbs: ["list", "get"]}
- {apiGroups: ["kueue.x-k8s.io"],      resources: ["workloads", "workloads/status"], verbs: ["get", "list", "watch", "patch"]}
`
)

func rules(t *testing.T, doc, id string) []rbacv1.PolicyRule {
	t.Helper()
	var out []rbacv1.PolicyRule
	if err := yaml.Unmarshal([]byte(strings.ReplaceAll(doc, "<id>", id)), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestVariantsReproduceThePublishedObjects(t *testing.T) {
	t.Parallel()
	type want struct {
		clusterRole, clusterRoleBinding, clusterGroup string
		role, roleBinding, namespaceGroup             string
		clusterRules, roleRules                       string
		groups                                        []string
		shared                                        bool
	}
	for _, tc := range []struct {
		team, ns, variant string
		want              want
	}{
		{"team-a", "", SageMakerGuide, want{
			"hyperpod-scientist-user-cluster-role", "hyperpod-scientist-user-cluster-role-binding", "hyperpod-scientist-user-cluster-level",
			"hyperpod-scientist-user-namespace-level-role", "hyperpod-scientist-user-namespace-level-role-binding", "hyperpod-scientist-user-namespace-level-hyperpod-ns-team-a",
			guideClusterRole, guideRole,
			[]string{"hyperpod-scientist-user-namespace-level-hyperpod-ns-team-a", "hyperpod-scientist-user-cluster-level"}, true,
		}},
		{"ml", "kubeflow", "", want{
			"hyperpod-scientist-user-cluster-role", "hyperpod-scientist-user-cluster-role-binding", "hyperpod-scientist-user-cluster-level",
			"hyperpod-scientist-user-namespace-level-role", "hyperpod-scientist-user-namespace-level-role-binding", "hyperpod-scientist-user-namespace-level-kubeflow",
			guideClusterRole, guideRole,
			[]string{"hyperpod-scientist-user-namespace-level-kubeflow", "hyperpod-scientist-user-cluster-level"}, true,
		}},
		{"test-team", "", HyperPodCLI, want{
			"hyperpod-ns-test-team-cluster-role", "hyperpod-ns-test-team-cluster-role-binding", "hyperpod-ns-test-team-namespace-level-group",
			"hyperpod-ns-test-team-namespace-role", "hyperpod-ns-test-team-namespace-role-binding", "hyperpod-ns-test-team-namespace-level-group",
			cliClusterRole, cliRole,
			[]string{"hyperpod-ns-test-team-namespace-level-group"}, false,
		}},
	} {
		t.Run(tc.team+"/"+tc.variant, func(t *testing.T) {
			tm, err := Build(tc.team, tc.ns, tc.variant)
			if err != nil {
				t.Fatal(err)
			}
			ns := tc.ns
			if ns == "" {
				ns = "hyperpod-ns-" + tc.team
			}
			w := tc.want
			check := func(what, got, want string) {
				t.Helper()
				if got != want {
					t.Errorf("%s = %q, want %q", what, got, want)
				}
			}
			check("namespace", tm.Namespace, ns)
			check("ClusterRole", tm.ClusterRole.Name, w.clusterRole)
			check("ClusterRoleBinding", tm.ClusterRoleBinding.Name, w.clusterRoleBinding)
			check("ClusterRoleBinding roleRef", tm.ClusterRoleBinding.RoleRef.Kind+"/"+tm.ClusterRoleBinding.RoleRef.Name, "ClusterRole/"+w.clusterRole)
			check("Role", tm.Role.Namespace+"/"+tm.Role.Name, ns+"/"+w.role)
			check("RoleBinding", tm.RoleBinding.Namespace+"/"+tm.RoleBinding.Name, ns+"/"+w.roleBinding)
			check("RoleBinding roleRef", tm.RoleBinding.RoleRef.Kind+"/"+tm.RoleBinding.RoleRef.Name, "Role/"+w.role)
			wantSubj := func(g string) []rbacv1.Subject {
				return []rbacv1.Subject{{Kind: "Group", APIGroup: "rbac.authorization.k8s.io", Name: g}}
			}
			if !reflect.DeepEqual(tm.ClusterRoleBinding.Subjects, wantSubj(w.clusterGroup)) {
				t.Errorf("ClusterRoleBinding subjects %+v, want group %s", tm.ClusterRoleBinding.Subjects, w.clusterGroup)
			}
			if !reflect.DeepEqual(tm.RoleBinding.Subjects, wantSubj(w.namespaceGroup)) {
				t.Errorf("RoleBinding subjects %+v, want group %s", tm.RoleBinding.Subjects, w.namespaceGroup)
			}
			if got, want := tm.ClusterRole.Rules, rules(t, w.clusterRules, tc.team); !reflect.DeepEqual(got, want) {
				t.Errorf("ClusterRole rules\n got %+v\nwant %+v", got, want)
			}
			if got, want := tm.Role.Rules, rules(t, w.roleRules, tc.team); !reflect.DeepEqual(got, want) {
				t.Errorf("Role rules\n got %+v\nwant %+v", got, want)
			}
			if !reflect.DeepEqual(tm.Groups, w.groups) || tm.MemberGroup != w.groups[0] {
				t.Errorf("groups %v (member %s), want %v", tm.Groups, tm.MemberGroup, w.groups)
			}
			if tm.SharedCluster != w.shared {
				t.Errorf("shared cluster objects = %v, want %v", tm.SharedCluster, w.shared)
			}
			for _, l := range []map[string]string{tm.Role.Labels, tm.RoleBinding.Labels, tm.ClusterRole.Labels, tm.ClusterRoleBinding.Labels} {
				if l[LabelManagedBy] != "eksaccess" || l[LabelVariant] != tm.Variant {
					t.Errorf("labels %v lack managed-by=eksaccess and the variant", l)
				}
			}
			if tm.Role.Labels[LabelTeam] != tc.team || tm.RoleBinding.Labels[LabelTeam] != tc.team {
				t.Errorf("namespaced objects lack the team label: %v %v", tm.Role.Labels, tm.RoleBinding.Labels)
			}
			if _, has := tm.ClusterRole.Labels[LabelTeam]; has == w.shared {
				t.Errorf("ClusterRole team label %v: shared objects carry none, per-team ones do", tm.ClusterRole.Labels)
			}
		})
	}
}

func TestBuildRefusesBadInput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ team, ns, variant, want string }{
		{"", "", "", "team name is empty"},
		{"Team_A", "", "", `team name "Team_A" is not valid`},
		{strings.Repeat("a", 60), "", "", "at most 63 characters"},
		{"a", "", "kubeflow", `--rbac "kubeflow" is not an RBAC variant: use sagemaker-guide or hyperpod-cli`},
		{"a", "Bad NS", "", `--namespace "Bad NS" is not a namespace name`},
	} {
		_, err := Build(tc.team, tc.ns, tc.variant)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Build(%q, %q, %q) = %v, want an error containing %q", tc.team, tc.ns, tc.variant, err, tc.want)
		}
	}
}
