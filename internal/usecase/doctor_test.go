package usecase

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"eksaccess/internal/awsapi"
	"eksaccess/internal/plan"
)

// kubeFake answers the namespace and binding lists of one cluster.
func kubeFake(namespaces []string, groupBindings map[string]string) func(context.Context, *awsapi.Clients, string, string) ([]byte, error) {
	return func(_ context.Context, _ *awsapi.Clients, cluster, path string) ([]byte, error) {
		switch {
		case strings.HasSuffix(path, "/namespaces"):
			var items []map[string]any
			for _, n := range namespaces {
				items = append(items, map[string]any{"metadata": map[string]any{"name": n}})
			}
			return json.Marshal(map[string]any{"kind": "NamespaceList", "items": items})
		case strings.HasSuffix(path, "/clusterrolebindings"):
			var items []map[string]any
			for g, role := range groupBindings {
				items = append(items, map[string]any{"metadata": map[string]any{"name": g + "-binding"},
					"roleRef":  map[string]any{"kind": "ClusterRole", "name": role, "apiGroup": "rbac.authorization.k8s.io"},
					"subjects": []map[string]any{{"kind": "Group", "name": g, "apiGroup": "rbac.authorization.k8s.io"}}})
			}
			return json.Marshal(map[string]any{"kind": "ClusterRoleBindingList", "items": items})
		case strings.HasSuffix(path, "/rolebindings"):
			return []byte(`{"kind":"RoleBindingList","items":[]}`), nil
		}
		return nil, fmt.Errorf("unexpected path %s", path)
	}
}

// doctorWorld is a sandbox prepared to have each problem doctor looks for.
func doctorWorld(t *testing.T) *world {
	w := newWorld(t, carol, []string{"carol", "creator", "viewer", "ops"}, []string{"app"})
	c := w.eks.addCluster("c", "API_AND_CONFIG_MAP")
	c.add(creator, "STANDARD", clusterCreated, nil, "AmazonEKSClusterAdminPolicy")
	c.add(carol, "STANDARD", clusterCreated.Add(48*time.Hour), nil, "AmazonEKSClusterAdminPolicy").groups = []string{"nobody-binds-me"}
	// app was deleted and re-created after its entry (IAM CreateDate after createdAt).
	app := c.add(iamPrefix+"role/app", "STANDARD", clusterCreated.Add(2*time.Hour), map[string]string{plan.TagManaged: "true", "team": "ml"}, "AmazonEKSEditPolicy:team-a")
	app.groups, app.username = []string{"devs"}, "app-user"
	w.iam.created = map[string]time.Time{"app": clusterCreated.Add(12 * time.Hour)}
	c.add(iamPrefix+"user/gone", "STANDARD", clusterCreated.Add(48*time.Hour), nil, "AmazonEKSViewPolicy")
	c.add(viewer, "STANDARD", clusterCreated.Add(48*time.Hour), nil)
	c.add(ops, "STANDARD", clusterCreated.Add(48*time.Hour), map[string]string{plan.TagManaged: "true", plan.TagExpiresPrefix + "AmazonEKSViewPolicy": "2026-05-01T00:00:00Z"}, "AmazonEKSViewPolicy", "AmazonEKSEditPolicy:team-x")
	w.awsAuth["c"] = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"aws-auth","namespace":"kube-system"},"data":{"mapUsers":"- userarn: ` + carol + `\n  username: carol\n  groups:\n    - system:masters\n- userarn: ` + creator + `\n  username: ` + creator + `\n"}}`
	w.env.ReadKube = kubeFake([]string{"default", "team-a", "kube-system"}, map[string]string{"devs": "edit"})
	w.eks.addCluster("legacy", "CONFIG_MAP")
	n := w.eks.addCluster("noadmin", "API")
	n.add(viewer, "STANDARD", clusterCreated.Add(48*time.Hour), nil, "AmazonEKSViewPolicy")
	return w
}

func checksOf(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Cluster+" "+f.Check+" "+strings.TrimPrefix(f.Principal, iamPrefix))
	}
	sort.Strings(out)
	return out
}

func TestDoctorFindsEachProblem(t *testing.T) {
	t.Parallel()
	w := doctorWorld(t)
	res, err := w.env.Doctor(context.Background(), DoctorRequest{ClusterSet: ClusterSet{Clusters: []string{"c", "legacy", "noadmin"}}, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"c aws-auth-contradiction user/carol",
		"c aws-auth-duplicate user/creator",
		"c deleted-principal user/gone",
		"c expired-grant user/ops",
		"c grants-nothing user/viewer",
		"c stale-entry role/app",
		"c unbound-group user/carol",
		"c unknown-namespace user/ops",
		"legacy config-map-mode ",
		"noadmin no-cluster-admin ",
	}
	wantLines(t, "findings", checksOf(res.Findings), want)
	for _, f := range res.Findings {
		if f.Severity == "" || f.Evidence == "" || f.Fix == "" || f.Message == "" {
			t.Errorf("finding %+v lacks severity, evidence, message or fix", f)
		}
		if f.Fixed {
			t.Errorf("fixed without --fix: %+v", f)
		}
	}
	if n := len(w.eks.mutations()); n != 0 {
		t.Errorf("doctor without --fix made %d change(s)", n)
	}
	if res.Open() != len(want) {
		t.Errorf("open %d, want %d", res.Open(), len(want))
	}
}

func TestDoctorFixRecreatesStaleEntryAndExpires(t *testing.T) {
	t.Parallel()
	w := doctorWorld(t)
	ctx := context.Background()
	res, err := w.env.Doctor(ctx, DoctorRequest{ClusterSet: ClusterSet{Clusters: []string{"c"}}, Fix: true, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	fixed := map[string]bool{}
	for _, f := range res.Findings {
		if f.Fixed {
			fixed[f.Check] = true
		}
	}
	if !fixed[CheckStale] || !fixed[CheckExpired] || len(fixed) != 2 {
		t.Fatalf("fixed %v, want the stale entry and the expired grant", fixed)
	}
	app := w.eks.clusters["c"].entries[iamPrefix+"role/app"]
	if app == nil || !app.created.After(clusterCreated.Add(12*time.Hour)) {
		t.Fatalf("app's entry was not re-created: %+v", app)
	}
	if app.username != "app-user" || !slices.Equal(app.groups, []string{"devs"}) || app.tags["team"] != "ml" || app.tags[plan.TagManaged] != "true" {
		t.Errorf("re-created entry lost its settings: %+v", app)
	}
	if s, ok := app.pols[polPrefix+"AmazonEKSEditPolicy"]; !ok || !slices.Equal(s.Namespaces, []string{"team-a"}) {
		t.Errorf("re-created entry lost its policy: %+v", app.pols)
	}
	if _, ok := w.eks.clusters["c"].entries[ops].pols[polPrefix+"AmazonEKSViewPolicy"]; ok {
		t.Error("ops's expired grant is still there")
	}
	again, err := w.env.Doctor(ctx, DoctorRequest{ClusterSet: ClusterSet{Clusters: []string{"c"}}, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range again.Findings {
		if f.Check == CheckStale || f.Check == CheckExpired {
			t.Errorf("still found after --fix: %+v", f)
		}
	}
}

func TestDoctorBadInput(t *testing.T) {
	t.Parallel()
	w := doctorWorld(t)
	for _, r := range []DoctorRequest{{}, {ClusterSet: ClusterSet{File: "a.yaml", Clusters: []string{"c"}}, Concurrency: 1}, {ClusterSet: ClusterSet{Clusters: []string{"-bad"}}, Concurrency: 1}, {ClusterSet: ClusterSet{Clusters: []string{"c"}}}} {
		_, err := w.env.Doctor(context.Background(), r)
		if !IsInput(err) {
			t.Errorf("%+v: %v, want an input error", r, err)
		}
	}
	if len(w.eks.calls) != 0 {
		t.Errorf("bad input made calls: %v", w.eks.calls)
	}
}

// IAM's CreateDate has whole seconds: a principal counts as re-created only in a later
// second than its entry.
func TestRecreatedAfter(t *testing.T) {
	t.Parallel()
	entry := time.Date(2026, 5, 1, 10, 0, 0, 487_000_000, time.UTC)
	for _, tc := range []struct {
		principal time.Time
		want      bool
	}{
		{entry.Add(-time.Hour), false},
		{time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC), false}, // same second, as IAM reports it
		{time.Date(2026, 5, 1, 10, 0, 1, 0, time.UTC), true},
		{entry.Add(24 * time.Hour), true},
	} {
		if got := recreatedAfter(tc.principal, entry); got != tc.want {
			t.Errorf("principal %v, entry %v: %v, want %v", tc.principal, entry, got, tc.want)
		}
	}
}
