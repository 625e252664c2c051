package usecase

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"eksaccess/internal/awsapi"
	"eksaccess/internal/declare"
	"eksaccess/internal/plan"
	"eksaccess/internal/rbac"
)

// fileTeams is what a plan of an access file does to one cluster's teams: the team plans
// (with the objects each applies or deletes), the changes a prune makes to entries the file
// does not list, and the connection the apply writes through.
type fileTeams struct {
	kube  ClusterKube
	plans []plan.TeamPlan
	teams []*rbac.Team // the objects of plans[i]
	extra []plan.PrincipalPlan
	notes []string
	bad   []string
}

// planFileTeams plans a cluster's teams: the file's teams are made to work as team add makes
// them (through the same planTeamObjects), and with prune the teams eksaccess made that the
// file no longer lists are removed as team remove removes them (teamDeletion; their groups
// leave the entries the file does not list, the listed ones get exactly what the file says).
// Teams not labelled as eksaccess's are never touched. It reads the cluster's Kubernetes API
// only when the file gives the cluster teams or prunes it; when only pruning and the API
// cannot be read, the plan says so in a note and leaves teams alone.
func (e *Env) planFileTeams(ctx context.Context, c *awsapi.Clients, dc *declare.Cluster, live *plan.LiveCluster, prune bool) (*fileTeams, error) {
	out := &fileTeams{}
	kube, err := e.connectKube(ctx, c, dc.Name)
	if err != nil {
		if len(dc.Teams) > 0 {
			return nil, err
		}
		out.notes = append(out.notes, fmt.Sprintf("teams not checked for pruning: %v", err))
		return out, nil
	}
	have, err := listTeams(ctx, kube)
	if err != nil {
		if len(dc.Teams) > 0 {
			return nil, teamKubeError(dc.Name, "list teams", err)
		}
		out.notes = append(out.notes, fmt.Sprintf("teams not checked for pruning: cannot list the cluster's RBAC objects: %v", err))
		return out, nil
	}
	out.kube = kube
	byName := map[string]TeamSummary{}
	for _, t := range have {
		byName[t.Team] = t
	}
	wanted := map[string]bool{}
	for i := range dc.Teams {
		t := &dc.Teams[i]
		wanted[t.Name] = true
		prefix := fmt.Sprintf("%s: team %s", t.Source, t.Name)
		if lt, ok := byName[t.Name]; ok && (lt.Namespace != t.Namespace || lt.Variant != t.Variant) {
			out.bad = append(out.bad, fmt.Sprintf("%s is on cluster %s in namespace %s with rbac %s, and the file says namespace %s, rbac %s: eksaccess does not move a team; run `eksaccess team remove -c %s %s` first, or write what the cluster has",
				prefix, dc.Name, lt.Namespace, lt.Variant, t.Namespace, t.Variant, dc.Name, t.Name))
			continue
		}
		if i := slices.IndexFunc(have, func(lt TeamSummary) bool { return lt.Namespace == t.Namespace && lt.Team != t.Name }); i >= 0 {
			out.bad = append(out.bad, fmt.Sprintf("%s: namespace %s on cluster %s already holds team %s, made by eksaccess: remove that team first (`eksaccess team remove -c %s %s`), or give this team another namespace",
				prefix, t.Namespace, dc.Name, have[i].Team, dc.Name, have[i].Team))
			continue
		}
		kc, foreign, err := planTeamObjects(ctx, kube, dc.Name, t.Team)
		if err != nil {
			return nil, err
		}
		if len(foreign) > 0 {
			out.bad = append(out.bad, fmt.Sprintf("%s: %v", prefix, foreignObjectsError(dc.Name, foreign)))
			continue
		}
		tp := plan.TeamPlan{Team: t.Name, Namespace: t.Namespace, Variant: t.Variant, Objects: kc, Members: t.Members, Source: t.Source}
		switch {
		case byName[t.Name] == (TeamSummary{}):
			tp.Action = plan.TeamCreate
		case tp.Writes() > 0:
			tp.Action = plan.TeamUpdate
		default:
			tp.Action = plan.TeamUnchanged
		}
		out.plans = append(out.plans, tp)
		out.teams = append(out.teams, t.Team)
	}
	var pruned []*rbac.Team
	for _, lt := range have {
		if wanted[lt.Team] {
			continue
		}
		if !prune {
			out.notes = append(out.notes, fmt.Sprintf("team %s (%s, %s) is managed by eksaccess but no longer in the file: kept (apply --prune, or prune: true, removes it)", lt.Team, lt.Variant, lt.Namespace))
			continue
		}
		team, err := rbac.Build(lt.Team, lt.Namespace, lt.Variant)
		if err != nil {
			return nil, fmt.Errorf("team %s on cluster %s: its labels do not make a team (%w): fix or delete its objects", lt.Team, dc.Name, err)
		}
		// The variant's shared objects stay while a team of the file uses them.
		shared := slices.ContainsFunc(dc.Teams, func(t declare.Team) bool { return t.Variant == team.Variant })
		kc, err := teamDeletion(ctx, kube, team, shared)
		if err != nil {
			return nil, teamKubeError(dc.Name, "read team "+team.Name, err)
		}
		tp := plan.TeamPlan{Team: team.Name, Namespace: team.Namespace, Variant: team.Variant, Action: plan.TeamDelete, Objects: kc, Members: []string{}}
		for _, m := range teamMembers(live, team) {
			tp.Members = append(tp.Members, m.PrincipalArn)
		}
		out.plans = append(out.plans, tp)
		out.teams = append(out.teams, team)
		pruned = append(pruned, team)
	}
	out.extra = leaveTeams(dc, live, pruned)
	return out, nil
}

// leaveTeams takes the pruned teams' groups off the entries the file does not list and
// eksaccess does not manage (a managed one the file does not list is pruned whole; a listed
// one gets exactly what the file says). An entry left with no group and no policy is deleted,
// as team remove deletes it.
func leaveTeams(dc *declare.Cluster, live *plan.LiveCluster, pruned []*rbac.Team) []plan.PrincipalPlan {
	if len(pruned) == 0 {
		return nil
	}
	listed := map[string]bool{}
	for _, d := range dc.Desired {
		listed[d.PrincipalArn] = true
	}
	var out []plan.PrincipalPlan
	for _, le := range live.SortedEntries() {
		if listed[le.PrincipalArn] || le.Managed() || le.Type != "STANDARD" {
			continue
		}
		cur := &plan.LiveEntry{PrincipalArn: le.PrincipalArn, KubernetesGroups: le.KubernetesGroups}
		var left []string
		for _, t := range pruned {
			if slices.Contains(cur.KubernetesGroups, t.MemberGroup) {
				cur.KubernetesGroups = groupsWithout(cur, t)
				left = append(left, t.Name)
			}
		}
		if len(left) == 0 {
			continue
		}
		if len(cur.KubernetesGroups) == 0 && len(le.Policies) == 0 {
			out = append(out, plan.DeleteEntry(dc.Name, le, "prune: left team "+strings.Join(left, ", ")+" with no group and no policy"))
			continue
		}
		pp := plan.DiffEntry(dc.Name, plan.Additive, &plan.DesiredEntry{PrincipalArn: le.PrincipalArn, KubernetesGroups: cur.KubernetesGroups}, le)
		for i := range pp.Changes {
			pp.Changes[i].Note = "prune: left team " + strings.Join(left, ", ")
		}
		out = append(out, pp)
	}
	return out
}
