package state

import "testing"

// Two accounts may name a cluster alike: the primary's keeps the bare name, the other's is
// NAME.ACCOUNT, and a bare name not in the primary account is found in the others.
func TestClusterRef(t *testing.T) {
	primary := &Data{Account: "111122223333", Clusters: map[string]*Cluster{"prod": {Name: "prod", ID: "p1"}}}
	other := &Data{Account: "444455556666", Clusters: map[string]*Cluster{"prod": {Name: "prod", ID: "o1"}, "lab": {Name: "lab", ID: "o2"}}}
	primary.Accounts = map[string]*Data{other.Account: other}

	if got := primary.ClusterRef(primary.Account, "prod"); got != "prod" {
		t.Errorf("primary ref %q", got)
	}
	if got := primary.ClusterRef(other.Account, "prod"); got != "prod.444455556666" {
		t.Errorf("other ref %q", got)
	}
	for _, tc := range []struct {
		ref, account, id string
	}{
		{"prod", "111122223333", "p1"},
		{"prod.444455556666", "444455556666", "o1"},
		{"prod.111122223333", "111122223333", "p1"},
		{"lab", "444455556666", "o2"},
		{"lab.444455556666", "444455556666", "o2"},
		{"lab.111122223333", "", ""},
		{"prod.999999999999", "", ""},
		{"prod.", "", ""},
		{".444455556666", "", ""},
		{"none", "", ""},
	} {
		a, c := primary.FindCluster(tc.ref)
		switch {
		case tc.id == "" && (a != nil || c != nil):
			t.Errorf("%s: found %v in %v", tc.ref, c, a)
		case tc.id != "" && (c == nil || c.ID != tc.id || a.Account != tc.account):
			t.Errorf("%s: got %v in %v, want %s in %s", tc.ref, c, a, tc.id, tc.account)
		}
	}
}
