package plan

import (
	"strings"
	"testing"
	"time"
)

// gLive: a cluster whose creator is admin (cluster-scoped), whose caller carol is admin
// through her own entry, with a namespaced viewer and a node entry.
func gLive(mode string) *LiveCluster {
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return &LiveCluster{Name: "c", AuthenticationMode: mode, CreatedAt: created, Entries: map[string]*LiveEntry{
		tAcct + "user/creator": {PrincipalArn: tAcct + "user/creator", Type: "STANDARD", CreatedAt: created, Policies: []LivePolicy{{PolicyArn: tAdmin, ScopeType: "cluster"}}},
		tAcct + "user/carol":   {PrincipalArn: tAcct + "user/carol", Type: "STANDARD", CreatedAt: created.Add(time.Hour), Policies: []LivePolicy{{PolicyArn: tAdmin, ScopeType: "cluster"}}},
		tAcct + "user/viewer":  {PrincipalArn: tAcct + "user/viewer", Type: "STANDARD", CreatedAt: created.Add(time.Hour), Policies: []LivePolicy{{PolicyArn: tView, ScopeType: "namespace", Namespaces: []string{"a"}}}},
		tAcct + "role/node":    {PrincipalArn: tAcct + "role/node", Type: "EC2_LINUX", CreatedAt: created.Add(time.Hour)},
	}}
}

func del(c *LiveCluster, arn string) PrincipalPlan { return DeleteEntry("c", c.Entries[arn], "") }

func TestInvariantsOnTheResultingState(t *testing.T) {
	carol := tAcct + "user/carol"
	creator := tAcct + "user/creator"
	rescope := func(arn string) PrincipalPlan {
		return PrincipalPlan{Principal: arn, Changes: []Change{{Cluster: "c", Principal: arn, Action: ActRescope, Policy: &DesiredPolicy{PolicyArn: tAdmin, Namespaces: []string{"foo"}}}}}
	}
	tests := []struct {
		name    string
		live    *LiveCluster
		plans   func(c *LiveCluster) []PrincipalPlan
		mode    *ModeSwitch
		maps    []Mapping
		caller  string
		want    []string // invariants refused
		force   []string // these --force make it pass
		message string
	}{
		{name: "delete own entry", caller: carol, plans: func(c *LiveCluster) []PrincipalPlan { return []PrincipalPlan{del(c, carol)} },
			want: []string{InvCallerAdmin}, force: []string{carol}, message: "you (" + carol + ") would lose cluster-admin access to c"},
		{name: "rescope own admin to a namespace", caller: carol, plans: func(c *LiveCluster) []PrincipalPlan { return []PrincipalPlan{rescope(carol)} },
			want: []string{InvCallerAdmin}, force: []string{carol}},
		{name: "own entry goes but an aws-auth mapping the mode reads remains", caller: carol, maps: []Mapping{{Arn: carol, Groups: []string{"system:masters"}}},
			plans: func(c *LiveCluster) []PrincipalPlan { return []PrincipalPlan{del(c, carol)} }},
		{name: "switch to API while the caller is admin only through aws-auth", caller: tAcct + "user/mapped", maps: []Mapping{{Arn: tAcct + "user/mapped", Groups: []string{"system:masters"}}},
			plans: func(c *LiveCluster) []PrincipalPlan { return nil }, mode: &ModeSwitch{From: "API_AND_CONFIG_MAP", To: "API"},
			want: []string{InvCallerAdmin}, force: []string{tAcct + "user/mapped"}, message: "~ authenticationMode API_AND_CONFIG_MAP -> API"},
		{name: "switch to API with only a namespaced View entry of one's own", caller: tAcct + "user/viewer", maps: []Mapping{{Arn: tAcct + "user/viewer", Groups: []string{"system:masters"}}},
			plans: func(c *LiveCluster) []PrincipalPlan { return nil }, mode: &ModeSwitch{From: "API_AND_CONFIG_MAP", To: "API"},
			want: []string{InvCallerAdmin}, force: []string{tAcct + "user/viewer"}},
		{name: "role path does not hide the caller", caller: tAcct + "role/team/Admin",
			live:  &LiveCluster{Name: "c", AuthenticationMode: "API", Entries: map[string]*LiveEntry{tAcct + "role/team/Admin": {PrincipalArn: tAcct + "role/team/Admin", Type: "STANDARD", Policies: []LivePolicy{{PolicyArn: tAdmin, ScopeType: "cluster"}}}, tAcct + "user/x": {PrincipalArn: tAcct + "user/x", Type: "STANDARD", Policies: []LivePolicy{{PolicyArn: tAdmin, ScopeType: "cluster"}}}}},
			plans: func(c *LiveCluster) []PrincipalPlan { return []PrincipalPlan{del(c, tAcct+"role/team/Admin")} },
			want:  []string{InvCallerAdmin}, force: []string{tAcct + "role/team/Admin"}},
		{name: "last cluster-scoped admin rescoped", caller: tAcct + "user/viewer",
			live:  &LiveCluster{Name: "c", AuthenticationMode: "API", Entries: map[string]*LiveEntry{carol: {PrincipalArn: carol, Type: "STANDARD", Policies: []LivePolicy{{PolicyArn: tAdmin, ScopeType: "cluster"}}}}},
			plans: func(c *LiveCluster) []PrincipalPlan { return []PrincipalPlan{rescope(carol)} },
			want:  []string{InvLastAdmin}, force: []string{carol}, message: "no AmazonEKSClusterAdminPolicy association at cluster scope"},
		{name: "last admin: both admins go", caller: tAcct + "user/viewer",
			plans: func(c *LiveCluster) []PrincipalPlan { return []PrincipalPlan{del(c, carol), del(c, creator)} },
			want:  []string{InvLastAdmin, InvCreator}, force: []string{carol, creator}},
		{name: "creator entry deleted", caller: carol,
			plans: func(c *LiveCluster) []PrincipalPlan { return []PrincipalPlan{del(c, creator)} },
			want:  []string{InvCreator}, force: []string{creator}, message: "cluster creator's admin entry"},
		{name: "creator admin disassociated", caller: carol,
			plans: func(c *LiveCluster) []PrincipalPlan {
				return []PrincipalPlan{DisassociatePolicy("c", c.Entries[creator], tAdmin, "")}
			},
			want: []string{InvCreator}, force: []string{creator}},
		{name: "node entry deleted", caller: carol,
			plans: func(c *LiveCluster) []PrincipalPlan { return []PrincipalPlan{del(c, tAcct+"role/node")} },
			want:  []string{InvNodeEntries}, force: []string{tAcct + "role/node"}, message: "EC2_LINUX entry"},
		{name: "additions never break anything", caller: carol,
			plans: func(c *LiveCluster) []PrincipalPlan {
				return []PrincipalPlan{DiffEntry("c", Additive, &DesiredEntry{PrincipalArn: tAcct + "user/new", Policies: []DesiredPolicy{{PolicyArn: tView}}}, nil)}
			}},
		{name: "a namespaced viewer may go", caller: carol,
			plans: func(c *LiveCluster) []PrincipalPlan { return []PrincipalPlan{del(c, tAcct+"user/viewer")} }},
		{name: "a cluster without any admin may still change", caller: carol,
			live:  &LiveCluster{Name: "c", AuthenticationMode: "API", Entries: map[string]*LiveEntry{tAcct + "user/v": {PrincipalArn: tAcct + "user/v", Type: "STANDARD", Policies: []LivePolicy{{PolicyArn: tView, ScopeType: "cluster"}}}}},
			plans: func(c *LiveCluster) []PrincipalPlan { return []PrincipalPlan{del(c, tAcct+"user/v")} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			live := tc.live
			if live == nil {
				live = gLive("API_AND_CONFIG_MAP")
			}
			g := Guard{CallerPrincipalArn: tc.caller, AWSAuth: func() ([]Mapping, error) { return tc.maps, nil }}
			got := Check(live, tc.plans(live), tc.mode, g)
			var invs []string
			for _, r := range got {
				invs = append(invs, r.Invariant)
				if !strings.Contains(r.Error(), "refused by guardrail "+r.Invariant) || !strings.Contains(r.Error(), "run again with --force") {
					t.Fatalf("message: %s", r.Error())
				}
			}
			if strings.Join(invs, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("refused %v, want %v: %v", invs, tc.want, got)
			}
			if tc.message != "" && !strings.Contains(got[0].Error(), tc.message) {
				t.Fatalf("message %q lacks %q", got[0].Error(), tc.message)
			}
			if len(tc.want) == 0 {
				return
			}
			g.Force = map[string]bool{}
			for _, f := range tc.force {
				g.Force[f] = true
			}
			if again := Check(live, tc.plans(live), tc.mode, g); len(again) != 0 {
				t.Fatalf("forced %v, still refused: %v", tc.force, again)
			}
			if len(tc.force) > 1 {
				g.Force = map[string]bool{tc.force[0]: true}
				if again := Check(live, tc.plans(live), tc.mode, g); len(again) == 0 {
					t.Fatalf("one --force of %v let everything through", tc.force)
				}
			}
		})
	}
}

func TestInvariantAWSAuthUnreadable(t *testing.T) {
	live := gLive("API_AND_CONFIG_MAP")
	carol := tAcct + "user/carol"
	got := Check(live, []PrincipalPlan{del(live, carol)}, nil, Guard{CallerPrincipalArn: carol, AWSAuth: func() ([]Mapping, error) { return nil, errTest }})
	if len(got) != 1 || !strings.Contains(got[0].Reason, "could not be read") {
		t.Fatalf("%v", got)
	}
}

type testErr string

func (e testErr) Error() string { return string(e) }

const errTest = testErr("kubernetes API unreachable")

func TestInvariantUnknownAWSAuthOnSwitchToAPI(t *testing.T) {
	live := &LiveCluster{Name: "legacy", Arn: "arn:aws:eks:us-west-2:111122223333:cluster/legacy", AuthenticationMode: "API_AND_CONFIG_MAP", Entries: map[string]*LiveEntry{}}
	unreadable := func() ([]Mapping, error) { return nil, errTest }
	sw := &ModeSwitch{From: "API_AND_CONFIG_MAP", To: "API"}
	got := Check(live, nil, sw, Guard{CallerPrincipalArn: tAcct + "user/admin", AWSAuth: unreadable})
	if len(got) != 2 || got[0].Invariant != InvCallerAdmin || got[1].Invariant != InvLastAdmin || !strings.Contains(got[1].Override, "--force "+live.Arn) {
		t.Fatalf("switch to API with unknown mappings: %v", got)
	}
	// While the mode keeps reading the ConfigMap, unknown mappings decide nothing.
	live.Entries[tAcct+"user/v"] = &LiveEntry{PrincipalArn: tAcct + "user/v", Type: "STANDARD", Policies: []LivePolicy{{PolicyArn: tView, ScopeType: "cluster"}}}
	if got := Check(live, []PrincipalPlan{del(live, tAcct+"user/v")}, nil, Guard{CallerPrincipalArn: tAcct + "user/admin", AWSAuth: unreadable}); len(got) != 0 {
		t.Fatalf("unrelated change refused: %v", got)
	}
}
