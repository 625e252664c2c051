package plan

import (
	"strings"
	"testing"
	"time"
)

const (
	tAcct  = "arn:aws:iam::111122223333:"
	tAdmin = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
	tView  = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
	tEdit  = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
)

func tLive() *LiveCluster {
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return &LiveCluster{Name: "c", AuthenticationMode: "API_AND_CONFIG_MAP", CreatedAt: created, Entries: map[string]*LiveEntry{
		tAcct + "user/admin": {PrincipalArn: tAcct + "user/admin", Type: "STANDARD", CreatedAt: created, AccessEntryArn: "ae/admin",
			Policies: []LivePolicy{{PolicyArn: tAdmin, ScopeType: "cluster"}}},
		tAcct + "user/alice": {PrincipalArn: tAcct + "user/alice", Type: "STANDARD", CreatedAt: created.Add(time.Hour), AccessEntryArn: "ae/alice",
			Tags: map[string]string{TagManaged: "true"}, Policies: []LivePolicy{{PolicyArn: tView, ScopeType: "namespace", Namespaces: []string{"a"}}}},
		tAcct + "user/bob": {PrincipalArn: tAcct + "user/bob", Type: "STANDARD", CreatedAt: created.Add(time.Hour), AccessEntryArn: "ae/bob",
			Tags: map[string]string{TagManaged: "true", TagExpires: "2026-02-01T00:00:00Z"}, Policies: []LivePolicy{}},
		tAcct + "role/node": {PrincipalArn: tAcct + "role/node", Type: "EC2_LINUX", CreatedAt: created.Add(time.Hour), Tags: map[string]string{TagManaged: "true"}},
		tAcct + "user/erin": {PrincipalArn: tAcct + "user/erin", Type: "STANDARD", CreatedAt: created.Add(time.Hour), Policies: []LivePolicy{}},
	}}
}

func want(arn string, pols ...DesiredPolicy) DesiredEntry {
	return DesiredEntry{PrincipalArn: arn, Policies: pols, Tags: map[string]string{TagManaged: "true"}, RemoveTags: []string{TagExpires}, Source: "f:1"}
}

// lines renders a plan compactly: one line per change, then refusals, then notes.
func lines(cp *ClusterPlan) string {
	var out []string
	if cp.ModeSwitch != nil {
		out = append(out, "mode "+cp.ModeSwitch.From+"->"+cp.ModeSwitch.To)
	}
	for _, pp := range cp.Plans {
		for _, c := range pp.Changes {
			out = append(out, c.String())
		}
	}
	for _, r := range cp.Refusals {
		out = append(out, "refused "+r.Invariant+" "+strings.Join(r.Force, ","))
	}
	for _, n := range cp.Notes {
		out = append(out, "note "+n)
	}
	return strings.Join(out, "\n")
}

func TestBuild(t *testing.T) {
	all := func() []DesiredEntry {
		return []DesiredEntry{
			want(tAcct+"user/admin", DesiredPolicy{PolicyArn: tAdmin}),
			want(tAcct+"user/alice", DesiredPolicy{PolicyArn: tView, Namespaces: []string{"a"}}),
			want(tAcct + "user/bob"),
			{PrincipalArn: tAcct + "role/node", Type: "EC2_LINUX", Tags: map[string]string{TagManaged: "true"}},
			want(tAcct + "user/erin"),
		}
	}
	tests := []struct {
		name    string
		desired func() []DesiredEntry
		opts    BuildOptions
		want    string
	}{
		{"everything listed, no prune: only bob's expiry goes", all, BuildOptions{},
			"~ untag " + tAcct + "user/bob eksaccess/expires"},
		{"prune adopts listed unmanaged STANDARD entries", all, BuildOptions{Prune: true},
			"~ tag " + tAcct + "user/admin eksaccess/managed=true\n~ untag " + tAcct + "user/bob eksaccess/expires\n~ tag " + tAcct + "user/erin eksaccess/managed=true"},
		{"rescope in place", func() []DesiredEntry {
			d := all()
			d[1].Policies[0].Namespaces = []string{"a", "b"}
			return d
		}, BuildOptions{}, "~ rescope " + tAcct + "user/alice AmazonEKSViewPolicy(a) -> AmazonEKSViewPolicy(a,b)\n~ untag " + tAcct + "user/bob eksaccess/expires"},
		{"without prune a removed managed entry is kept and noted", func() []DesiredEntry { return all()[:2] }, BuildOptions{},
			"note " + tAcct + "role/node is managed by eksaccess but no longer in the file: kept (apply --prune, or prune: true, removes it)\n" +
				"note " + tAcct + "user/bob is managed by eksaccess but no longer in the file: kept (apply --prune, or prune: true, removes it)\n" +
				"note 1 entry not in the file and not managed by eksaccess: left alone"},
		{"prune deletes managed entries only, node entry refused", func() []DesiredEntry { return all()[:2] }, BuildOptions{Prune: true},
			"~ tag " + tAcct + "user/admin eksaccess/managed=true\n- delete " + tAcct + "role/node (type=EC2_LINUX)\n- delete " + tAcct + "user/bob (type=STANDARD)\n" +
				"refused node-entries-unchanged " + tAcct + "role/node\nnote 1 entry not in the file and not managed by eksaccess: left alone"},
		{"forced node deletion", func() []DesiredEntry { return all()[:2] }, BuildOptions{Prune: true, Guard: Guard{Force: map[string]bool{tAcct + "role/node": true}}},
			"~ tag " + tAcct + "user/admin eksaccess/managed=true\n- delete " + tAcct + "role/node (type=EC2_LINUX)\n- delete " + tAcct + "user/bob (type=STANDARD)\n" +
				"note 1 entry not in the file and not managed by eksaccess: left alone"},
		{"last admin and creator and caller", func() []DesiredEntry {
			d := all()
			d[0].Policies = []DesiredPolicy{{PolicyArn: tView}}
			return d
		}, BuildOptions{Guard: Guard{CallerPrincipalArn: tAcct + "user/admin"}},
			"+ associate " + tAcct + "user/admin AmazonEKSViewPolicy(cluster)\n- disassociate " + tAcct + "user/admin AmazonEKSClusterAdminPolicy(cluster)\n~ untag " + tAcct + "user/bob eksaccess/expires\n" +
				"refused caller-keeps-admin " + tAcct + "user/admin\nrefused cluster-admin-remains " + tAcct + "user/admin\nrefused creator-entry-stays " + tAcct + "user/admin"},
		{"mode switch forward", all, BuildOptions{AuthenticationMode: "API"},
			"mode API_AND_CONFIG_MAP->API\n~ untag " + tAcct + "user/bob eksaccess/expires\nnote switching to API: the aws-auth ConfigMap stops being read, so principals mapped only there lose access; this cannot be undone"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cp, err := Build("c", tc.desired(), tLive(), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := lines(cp); got != tc.want {
				t.Fatalf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestBuildRefusesImpossibleStates(t *testing.T) {
	tests := []struct {
		name    string
		desired []DesiredEntry
		opts    BuildOptions
		want    string
	}{
		{"mode backwards", nil, BuildOptions{AuthenticationMode: "CONFIG_MAP"}, "cluster c is in API_AND_CONFIG_MAP and EKS never switches back to CONFIG_MAP"},
		{"type change", []DesiredEntry{{PrincipalArn: tAcct + "role/node", Source: "f:3"}}, BuildOptions{}, "f:3: " + tAcct + "role/node already has a EC2_LINUX access entry on c, and an entry's type cannot change"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build("c", tc.desired, tLive(), tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	live := tLive()
	live.AuthenticationMode = "CONFIG_MAP"
	live.Entries = map[string]*LiveEntry{}
	if _, err := Build("c", []DesiredEntry{want(tAcct + "user/x")}, live, BuildOptions{AuthenticationMode: "API"}); err == nil || !strings.Contains(err.Error(), "EKS switches one step at a time") {
		t.Fatalf("two steps: %v", err)
	}
	cp, err := Build("c", []DesiredEntry{want(tAcct + "user/x")}, live, BuildOptions{AuthenticationMode: "API_AND_CONFIG_MAP"})
	if err != nil || cp.Changes() != 2 || cp.ModeSwitch == nil {
		t.Fatalf("CONFIG_MAP → API_AND_CONFIG_MAP: %+v %v", cp, err)
	}
}

func TestBuildRelativeExpiry(t *testing.T) {
	live := tLive()
	bob := live.Entries[tAcct+"user/bob"]
	bob.Tags = map[string]string{TagManaged: "true", TagExpiresPrefix + "AmazonEKSViewPolicy": "2026-03-01T00:00:00Z d=30d"}
	bob.Policies = []LivePolicy{{PolicyArn: tView, ScopeType: "cluster"}}
	d := want(tAcct+"user/bob", DesiredPolicy{PolicyArn: tView})
	d.RemoveTags = nil
	d.ExpiresAt, d.ExpiresSpec = time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC), "30d" // a later plan: now + 30d
	cp, err := Build("c", []DesiredEntry{d}, live, BuildOptions{})
	if err != nil || cp.Changes() != 0 {
		t.Fatalf("the same relative expiry counts from the apply that set it: %s %v", lines(cp), err)
	}
	d.ExpiresAt, d.ExpiresSpec = time.Date(2026, 2, 3, 1, 0, 0, 0, time.UTC), "1h" // shortened
	cp, _ = Build("c", []DesiredEntry{d}, live, BuildOptions{})
	if got := lines(cp); !strings.HasPrefix(got, "~ tag "+tAcct+"user/bob eksaccess/expires/AmazonEKSViewPolicy=2026-02-03T01:00:00Z d=1h\n") {
		t.Fatalf("a shortened expiry is planned: %q", got)
	}
	d.ExpiresAt, d.ExpiresSpec = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), "" // lengthened, absolute
	cp, _ = Build("c", []DesiredEntry{d}, live, BuildOptions{})
	if got := lines(cp); !strings.HasPrefix(got, "~ tag "+tAcct+"user/bob eksaccess/expires/AmazonEKSViewPolicy=2027-01-01T00:00:00Z\n") {
		t.Fatalf("a lengthened expiry is planned: %q", got)
	}
	d.ExpiresAt, d.ExpiresSpec = time.Time{}, "" // expiry dropped
	cp, _ = Build("c", []DesiredEntry{d}, live, BuildOptions{})
	if got := lines(cp); !strings.HasPrefix(got, "~ untag "+tAcct+"user/bob eksaccess/expires/AmazonEKSViewPolicy\n") {
		t.Fatalf("a dropped expiry is planned: %q", got)
	}
}
