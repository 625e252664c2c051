package usecase

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"eksaccess/internal/apply"
)

func TestRevokeChecksItsInput(t *testing.T) {
	t.Parallel()
	w := newWorld(t, carol, users, []string{"EKSFullAccessRole"})
	c := w.eks.addCluster("c", "API")
	c.add(creator, "STANDARD", clusterCreated, nil, "AmazonEKSClusterAdminPolicy")
	c.add(iamPrefix+"role/EKSFullAccessRole", "STANDARD", clusterCreated.Add(time.Hour), nil, "AmazonEKSViewPolicy")
	c.add(iamPrefix+"user/gone", "STANDARD", clusterCreated.Add(time.Hour), nil, "AmazonEKSViewPolicy") // deleted from IAM since
	ctx := context.Background()
	revoke := func(names ...string) error {
		_, err := w.env.Revoke(ctx, RevokeRequest{AccessTarget: AccessTarget{Cluster: ClusterRef{Name: "c"}, Principals: Principals{Args: names}}, Concurrency: 4})
		return err
	}
	for _, tc := range []struct{ name, want string }{
		{"viewr", "no IAM user named viewr"},
		{"EKSFullAccessRole", "there is a role of that name: write role/EKSFullAccessRole"},
		{"arn:aws:iam::111122223333:role/EKSFullAccessRol", "no IAM role named EKSFullAccessRol"},
	} {
		err := revoke(tc.name)
		if err == nil || !IsInput(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("revoke %s: %v, want bad input with %q", tc.name, err, tc.want)
		}
	}
	if m := w.eks.mutations(); len(m) != 0 {
		t.Fatalf("bad input changed things: %v", m)
	}
	// Names compare as IAM compares them; a user deleted from IAM is still revoked by name.
	if err := revoke("role/eksfullaccessrole", "gone"); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.entries[iamPrefix+"role/EKSFullAccessRole"]; ok {
		t.Fatalf("the role's entry is still there")
	}
	if _, ok := c.entries[iamPrefix+"user/gone"]; ok {
		t.Fatalf("the deleted user's entry is still there")
	}
	// A real principal without an entry has nothing to revoke: unchanged, not an error.
	out, err := w.env.Revoke(ctx, RevokeRequest{AccessTarget: AccessTarget{Cluster: ClusterRef{Name: "c"}, Principals: Principals{Args: []string{"viewer"}}}, Concurrency: 4})
	if err != nil || out.Pending != 0 || len(out.Summary.Results) != 1 || out.Summary.Results[0].Outcome != apply.Unchanged {
		t.Fatalf("revoke of a principal without an entry: %+v %v", out, err)
	}
}

func TestOneJournalRunPerCommand(t *testing.T) {
	t.Parallel()
	w := newWorld(t, carol, users, nil)
	c := w.eks.addCluster("c", "API_AND_CONFIG_MAP")
	c.add(carol, "STANDARD", clusterCreated.Add(time.Hour), nil, "AmazonEKSClusterAdminPolicy")
	fp, err := w.env.PlanFile(context.Background(), FileRequest{File: accessFile(t, "API", item(adminItem, "carol"), item(viewItem, "viewer")), Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.env.ApplyFile(context.Background(), fp); err != nil {
		t.Fatal(err)
	}
	recs, err := apply.ReadJournal(w.env.JournalPath)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		if r.Run != recs[0].Run {
			t.Fatalf("apply wrote two runs: %+v", recs)
		}
		got = append(got, r.Action+":"+r.Result)
	}
	want := "run:started authentication-mode:ok create:ok associate:ok run:finished"
	if strings.Join(got, " ") != want {
		t.Fatalf("journal %v, want %s", got, want)
	}
	if c.mode != "API" || c.entries[viewer] == nil {
		t.Fatalf("apply did not do its work: mode %s", c.mode)
	}
}

// A grant only adds, so it reads only its principals' entries, however large the cluster.
func TestGrantReadsOnlyItsPrincipals(t *testing.T) {
	t.Parallel()
	w := newWorld(t, carol, users, nil)
	c := w.eks.addCluster("c", "API")
	c.add(creator, "STANDARD", clusterCreated, nil, "AmazonEKSClusterAdminPolicy")
	for i := 0; i < 50; i++ {
		c.add(fmt.Sprintf("%suser/other%02d", iamPrefix, i), "STANDARD", clusterCreated.Add(time.Hour), nil, "AmazonEKSViewPolicy")
	}
	if _, err := w.env.Grant(context.Background(), GrantRequest{AccessTarget: AccessTarget{Cluster: ClusterRef{Name: "c"}, Principals: Principals{Args: []string{"viewer"}},
		Policies: []string{"AmazonEKSViewPolicy"}}, Concurrency: 4}); err != nil {
		t.Fatal(err)
	}
	describes := 0
	for _, call := range w.eks.calls {
		if call == "DescribeAccessEntry" {
			describes++
		}
	}
	if describes != 0 || c.entries[viewer] == nil {
		t.Fatalf("a grant to a new principal described %d other entries", describes)
	}
}
