package plan

import (
	"fmt"
	"strings"
	"testing"
)

func TestManyAlikeNotesAreSummedUp(t *testing.T) {
	var notes []string
	for i := 0; i < 40; i++ {
		notes = append(notes, fmt.Sprintf("arn:aws:iam::111122223333:user/u%02d is managed by eksaccess but no longer in the file: kept", i))
	}
	notes = append(notes, "2 entries not in the file and not managed by eksaccess: left alone")
	var b strings.Builder
	writeNotes(&b, notes, false)
	if got := strings.Count(b.String(), "\n"); got != 2 || !strings.Contains(b.String(), "note: 40 entries (arn:aws:iam::111122223333:user/u00, arn:aws:iam::111122223333:user/u01, … — all listed with -v) is managed by eksaccess") {
		t.Fatalf("summary:\n%s", b.String())
	}
	b.Reset()
	writeNotes(&b, notes, true)
	if got := strings.Count(b.String(), "\n"); got != 41 {
		t.Fatalf("-v lists every note, got %d lines", got)
	}
}

func TestWriteTeams(t *testing.T) {
	cp := &ClusterPlan{Cluster: "c", Plans: []PrincipalPlan{}, Teams: []TeamPlan{
		{Team: "same", Namespace: "hyperpod-ns-same", Variant: "hyperpod-cli", Action: TeamUnchanged, Objects: []KubeChange{{Object: "Namespace/hyperpod-ns-same", Action: "unchanged"}}},
		{Team: "old", Namespace: "hyperpod-ns-old", Variant: "sagemaker-guide", Action: TeamDelete, Objects: []KubeChange{
			{Object: "RoleBinding/hyperpod-ns-old/rb", Action: "delete"}, {Object: "Role/hyperpod-ns-old/r", Action: "delete"},
			{Object: "ClusterRoleBinding/crb", Action: "keep", Note: "shared with the other sagemaker-guide teams"},
			{Object: "Namespace/hyperpod-ns-old", Action: "delete"},
		}},
	}}
	var b strings.Builder
	WriteClusterPlans(&b, []*ClusterPlan{cp}, false)
	want := `cluster c
  - team old (sagemaker-guide, hyperpod-ns-old): RoleBinding, Role, namespace
      # keeps ClusterRoleBinding/crb: shared with the other sagemaker-guide teams
  3 Kubernetes write(s); 0 listed entries and 1 team(s) up to date
Plan: 3 change(s) on 1 of 1 cluster(s): 3 Kubernetes write(s).
`
	if b.String() != want {
		t.Errorf("plan:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	WriteClusterPlans(&b, []*ClusterPlan{cp}, true)
	for _, line := range []string{"  = team same (hyperpod-cli, hyperpod-ns-same): nothing to write\n      unchanged Namespace/hyperpod-ns-same\n",
		"      keep ClusterRoleBinding/crb (shared with the other sagemaker-guide teams)\n", "      delete Namespace/hyperpod-ns-old\n"} {
		if !strings.Contains(b.String(), line) {
			t.Errorf("-v plan lacks %q:\n%s", line, b.String())
		}
	}
	if cp.Changes() != 3 || TotalsOf([]*ClusterPlan{cp}).ByAction["kubernetesWrites"] != 3 {
		t.Errorf("changes = %d, totals = %+v", cp.Changes(), TotalsOf([]*ClusterPlan{cp}))
	}
}
