package usecase

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

func TestListEntries(t *testing.T) {
	t.Parallel()
	w := newReadWorld()
	res, err := w.env.ListEntries(context.Background(), ListEntriesRequest{Cluster: ClusterRef{HyperPod: "hp-team"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range res.Entries {
		got = append(got, e.PrincipalArn+" "+e.Type)
	}
	want := []string{
		"arn:aws:iam::111122223333:role/NodeRole EC2_LINUX",
		teamRole + " STANDARD",
		fakeUser("admin") + " STANDARD", fakeUser("alice") + " STANDARD", fakeUser("bob") + " STANDARD", fakeUser("gone") + " STANDARD",
	}
	if res.Cluster != "demo" || res.AuthenticationMode != "API_AND_CONFIG_MAP" || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %s %s\n%s", res.Cluster, res.AuthenticationMode, strings.Join(got, "\n"))
	}
	res, err = w.env.ListEntries(context.Background(), ListEntriesRequest{Cluster: ClusterRef{Name: "legacy"}})
	if err != nil || res.AuthenticationMode != "CONFIG_MAP" || len(res.Entries) != 0 {
		t.Fatalf("legacy: %+v %v", res, err)
	}
	if _, err := w.env.ListEntries(context.Background(), ListEntriesRequest{Cluster: ClusterRef{Name: "-x"}}); !IsInput(err) {
		t.Fatalf("bad name: %v", err)
	}
}

func TestShowEntry(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		principal string
		arn       string
		want      string
		input     bool
		iamCalls  int
	}{
		{principal: "alice", arn: fakeUser("alice")},
		{principal: "arn:aws:iam::111122223333:user/ALICE", arn: fakeUser("alice")},
		{principal: "role/eks-team-a", arn: teamRole},
		{principal: "gone", arn: fakeUser("gone")}, // deleted from IAM, still on the cluster
		{principal: "dave", want: fakeUser("dave") + " has no access entry on cluster demo: grant one with `eksaccess grant -c demo --policy POLICY dave`", iamCalls: 1},
		{principal: "nobody", want: "no IAM user named nobody", input: true, iamCalls: 2},
		{principal: " ", want: "PRINCIPAL is empty", input: true},
		{principal: "Role/x", want: `in lower case`, input: true},
	} {
		t.Run(tc.principal, func(t *testing.T) {
			t.Parallel()
			w := newReadWorld()
			e, err := w.env.ShowEntry(context.Background(), ShowEntryRequest{Cluster: ClusterRef{Name: "demo"}, Principal: tc.principal})
			if tc.want != "" {
				wantFailure(t, err, tc.want, tc.input)
			} else if err != nil || e.PrincipalArn != tc.arn {
				t.Fatalf("got %+v, %v", e, err)
			}
			if n := w.calls.count("iam:"); n != tc.iamCalls {
				t.Fatalf("%d IAM calls, want %d: %v", n, tc.iamCalls, w.calls.calls)
			}
		})
	}
}

func TestClustersAndPolicies(t *testing.T) {
	t.Parallel()
	w := newReadWorld()
	rows, err := w.env.Clusters(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, strings.Join([]string{r.Name, r.Kind, r.Status, r.AuthenticationMode, r.EKSCluster, strings.Join(r.HyperPod, ",")}, " "))
	}
	want := []string{"demo EKS ACTIVE API_AND_CONFIG_MAP  hp-team", "legacy EKS ACTIVE CONFIG_MAP  ", "hp-team HyperPod InService  demo "}
	wantLines(t, "clusters", got, want)
	pols, err := w.env.Policies(context.Background())
	if err != nil || len(pols) != 4 || pols[0].Name != "AmazonEKSAdminPolicy" || pols[0].Arn != policyPrefix+"AmazonEKSAdminPolicy" {
		t.Fatalf("%+v %v", pols, err)
	}
}
