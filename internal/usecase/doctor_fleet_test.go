package usecase

import (
	"context"
	"slices"
	"testing"
	"time"

	"eksaccess/internal/plan"
)

// The partner account's frank was re-created after his entry on prod: only the partner's IAM
// knows, so doctor must look him up there, and --fix must re-create the entry on the
// partner's cluster (with the partner role's admin path as the caller's).
func TestDoctorFileAcrossAccounts(t *testing.T) {
	t.Parallel()
	w, peks := fleetWorld(t)
	w.eks.clusters["c"].entries[carol].tags = map[string]string{} // no expired admin to take away on c
	partner, _ := w.env.AWSFor(context.Background(), Reach{RoleArn: partnerRole}, "")
	piam := partner.IAM.(*fakeIAM)
	piam.created = map[string]time.Time{"frank": clusterCreated.Add(12 * time.Hour)}
	peks.clusters["prod"].add(partnerPrefix+"user/frank", "STANDARD", clusterCreated.Add(time.Hour), map[string]string{plan.TagManaged: "true"}, "AmazonEKSEditPolicy")
	file := fleetFile + otherCluster(thirdRole)
	res, err := w.env.Doctor(context.Background(), DoctorRequest{ClusterSet: ClusterSet{File: writeFile(t, file)}, Concurrency: 4, Fix: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Clusters, []string{"c", "prod", "other"}) {
		t.Errorf("clusters %q", res.Clusters)
	}
	got := checksOf(res.Findings)
	for _, want := range []string{"prod " + CheckStale + " " + partnerPrefix + "user/frank", "other " + CheckUnreachable + " "} {
		if !slices.Contains(got, want) {
			t.Errorf("findings %q lack %q", got, want)
		}
	}
	if res.Outcome == nil || res.Outcome.Failed() {
		t.Fatalf("fix outcome %+v", res.Outcome)
	}
	// (The fake creates entries at clusterCreated+24h.)
	if e := peks.clusters["prod"].entries[partnerPrefix+"user/frank"]; e == nil || !e.created.Equal(clusterCreated.Add(24*time.Hour)) || len(e.pols) != 1 {
		t.Errorf("frank's entry on prod was not re-created: %+v", e)
	}
	if m := peks.mutations(); !slices.Contains(m, "DeleteAccessEntry") || !slices.Contains(m, "CreateAccessEntry") {
		t.Errorf("partner mutations %q", m)
	}
	if _, ok := w.eks.clusters["c"].entries[partnerPrefix+"user/frank"]; ok {
		t.Error("the fix landed in the first account")
	}
	if res.Open() != 1 {
		t.Errorf("open findings %d, want 1 (the unreachable account)", res.Open())
	}
}
