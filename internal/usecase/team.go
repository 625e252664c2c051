package usecase

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"

	"eksaccess/internal/awsapi"
	"eksaccess/internal/plan"
	"eksaccess/internal/principal"
	"eksaccess/internal/rbac"
)

// TeamMembers names a team on a cluster and the principals, its members, that team add gives
// the team's access and team remove takes it from.
type TeamMembers struct {
	Cluster    ClusterRef `json:"cluster"`
	Team       string     `json:"team"`
	Principals Principals `json:"principals"`
}

// TeamAddRequest makes a team work in one run: its namespace, its RBAC (variant Variant)
// and its members' access entries carrying the team's groups.
type TeamAddRequest struct {
	TeamMembers
	Variant   string `json:"rbac,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	DryRun    bool   `json:"dryRun,omitempty"`
}

// Validate checks the request offline (exit 2 when it fails) and fills the defaults.
func (r *TeamAddRequest) Validate() error {
	if err := r.Cluster.check(); err != nil {
		return err
	}
	if r.Variant == "" {
		r.Variant = rbac.SageMakerGuide
	}
	if _, err := rbac.Build(r.Team, r.Namespace, r.Variant); err != nil {
		return &InputError{Err: err}
	}
	return nil
}

// TeamRemoveRequest takes a team away (no principals), or some of its members.
type TeamRemoveRequest struct {
	TeamMembers
	DryRun bool     `json:"dryRun,omitempty"`
	Force  []string `json:"force,omitempty"`
}

// Validate checks the request offline.
func (r *TeamRemoveRequest) Validate() error {
	if err := r.Cluster.check(); err != nil {
		return err
	}
	if err := rbac.ValidateName(r.Team); err != nil {
		return &InputError{Err: err}
	}
	return nil
}

// KubeChange is what a team command (or an apply of a file with teams) did, or in a dry run
// would do, to one Kubernetes object.
type KubeChange = plan.KubeChange

// TeamResult is what team add and team remove did.
type TeamResult struct {
	Cluster    string       `json:"cluster"`
	Team       string       `json:"team"`
	Namespace  string       `json:"namespace"`
	Variant    string       `json:"rbac"`
	Groups     []string     `json:"groups"`
	DryRun     bool         `json:"dryRun,omitempty"`
	Kubernetes []KubeChange `json:"kubernetes"`
	Entries    *Outcome     `json:"entries"`
}

// KubeWrites counts the Kubernetes writes made (or planned).
func (r *TeamResult) KubeWrites() int { return plan.CountWrites(r.Kubernetes) }

// Unchanged reports a run that found everything in place.
func (r *TeamResult) Unchanged() bool {
	return r.KubeWrites() == 0 && (r.Entries == nil || r.Entries.Pending == 0)
}

// connectKube finds the cluster's endpoint and connects as the caller, with the caller's own
// EKS token.
func (e *Env) connectKube(ctx context.Context, c *awsapi.Clients, cluster string) (ClusterKube, error) {
	if e.ClusterKube == nil {
		return nil, errors.New("no Kubernetes client configured")
	}
	dc, err := c.EKS.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(cluster)})
	if err != nil {
		return nil, plan.ClusterError(cluster, err)
	}
	server, caData := "", ""
	if cl := dc.Cluster; cl != nil {
		server = aws.ToString(cl.Endpoint)
		if cl.CertificateAuthority != nil {
			caData = aws.ToString(cl.CertificateAuthority.Data)
		}
	}
	if server == "" {
		return nil, fmt.Errorf("cluster %s has no API endpoint yet: wait until it is ACTIVE and retry", cluster)
	}
	ca, err := base64.StdEncoding.DecodeString(strings.TrimSpace(caData))
	if err != nil {
		return nil, fmt.Errorf("cluster %s: certificate authority data is not base64: %w", cluster, err)
	}
	tok, err := e.clusterToken(ctx, c, cluster, AsRole{})
	if err != nil {
		return nil, err
	}
	return e.ClusterKube(server, tok.Token, ca)
}

// teamKubeError explains a refused Kubernetes call.
func teamKubeError(cluster, what string, err error) error {
	return fmt.Errorf("%s on cluster %s: %w: the team commands need RBAC rights on the cluster (AmazonEKSClusterAdminPolicy, say)", what, cluster, err)
}

// objectState compares a live object with the desired one: "" (absent), "ok", "changed"
// (its rules, subjects or labels differ), "foreign" (not created by eksaccess).
func objectState(k ClusterKube, ctx context.Context, want any) (string, error) {
	var labels map[string]string
	same := false
	switch w := want.(type) {
	case *rbacv1.ClusterRole:
		o, err := k.GetClusterRole(ctx, w.Name)
		if err != nil || o == nil {
			return "", err
		}
		labels, same = o.Labels, equality.Semantic.DeepEqual(o.Rules, w.Rules)
	case *rbacv1.ClusterRoleBinding:
		o, err := k.GetClusterRoleBinding(ctx, w.Name)
		if err != nil || o == nil {
			return "", err
		}
		labels, same = o.Labels, o.RoleRef == w.RoleRef && equality.Semantic.DeepEqual(o.Subjects, w.Subjects)
	case *rbacv1.Role:
		o, err := k.GetRole(ctx, w.Namespace, w.Name)
		if err != nil || o == nil {
			return "", err
		}
		labels, same = o.Labels, equality.Semantic.DeepEqual(o.Rules, w.Rules)
	case *rbacv1.RoleBinding:
		o, err := k.GetRoleBinding(ctx, w.Namespace, w.Name)
		if err != nil || o == nil {
			return "", err
		}
		labels, same = o.Labels, o.RoleRef == w.RoleRef && equality.Semantic.DeepEqual(o.Subjects, w.Subjects)
	}
	if labels[rbac.LabelManagedBy] != rbac.ManagedBy {
		return "foreign", nil
	}
	for k, v := range objectLabels(want) {
		if labels[k] != v {
			same = false
		}
	}
	if !same {
		return "changed", nil
	}
	return "ok", nil
}

func objectLabels(obj any) map[string]string {
	switch o := obj.(type) {
	case *rbacv1.ClusterRole:
		return o.Labels
	case *rbacv1.ClusterRoleBinding:
		return o.Labels
	case *rbacv1.Role:
		return o.Labels
	case *rbacv1.RoleBinding:
		return o.Labels
	}
	return nil
}

// teamObject is one of a team's objects with its name (KIND/[NAMESPACE/]NAME).
type teamObject struct {
	name string
	obj  any
}

// teamObjects pairs a team's objects with their names, in apply order.
func teamObjects(t *rbac.Team) []teamObject {
	names := t.Objects()
	return []teamObject{{names[0], t.ClusterRole}, {names[1], t.ClusterRoleBinding}, {names[2], t.Role}, {names[3], t.RoleBinding}}
}

func kindOf(object string) string { k, _, _ := strings.Cut(object, "/"); return k }

// TeamAdd makes the team work: namespace (created when task governance has not), the
// variant's Role, RoleBinding, ClusterRole and ClusterRoleBinding applied server-side as
// field manager eksaccess, and each member's access entry carrying the team's groups
// (added to what it has, through the one engine). Objects already as wanted are not
// written, so a second run makes no Kubernetes write and no AWS change. Everything is
// checked (guardrails included) before the first write.
func (e *Env) TeamAdd(ctx context.Context, r TeamAddRequest) (*TeamResult, error) {
	c, caller, err := e.beginSession(ctx, &r)
	if err != nil {
		return nil, err
	}
	team, _ := rbac.Build(r.Team, r.Namespace, r.Variant)
	var ps []principal.Principal
	if !r.Principals.Empty() {
		if ps, err = resolvePrincipals(ctx, c, caller, r.Principals); err != nil {
			return nil, err
		}
	}
	cluster, err := e.resolveCluster(ctx, c, r.Cluster)
	if err != nil {
		return nil, err
	}
	live, err := readCluster(ctx, c, cluster, 16)
	if err != nil {
		return nil, err
	}
	if live.AuthenticationMode == "CONFIG_MAP" {
		return nil, fmt.Errorf("cluster %s authenticates only through the aws-auth ConfigMap (CONFIG_MAP) and has no access entries: switch it with `eksaccess auth-mode -c %s --set API_AND_CONFIG_MAP` first", cluster, cluster)
	}
	plans, err := GrantPlans(live, ps, GrantSpec{Groups: team.Groups, Type: "STANDARD"})
	if err != nil {
		return nil, err
	}
	changes := []*Change{{Live: live, Plans: plans}}
	res := &TeamResult{Cluster: cluster, Team: team.Name, Namespace: team.Namespace, Variant: team.Variant, Groups: team.Groups, DryRun: r.DryRun, Kubernetes: []KubeChange{}}
	if refusals, err := e.Check(ctx, caller, changes, nil); err != nil {
		return nil, err
	} else if len(refusals) > 0 {
		return nil, &RefusedError{Refusals: refusals}
	}
	kube, err := e.connectKube(ctx, c, cluster)
	if err != nil {
		return nil, err
	}
	// Plan the Kubernetes side first: an object someone else made is not taken over.
	kc, foreign, err := planTeamObjects(ctx, kube, cluster, team)
	if err != nil {
		return nil, err
	}
	res.Kubernetes = kc
	if len(foreign) > 0 {
		return nil, foreignObjectsError(cluster, foreign)
	}
	if r.DryRun {
		out, err := e.Run(ctx, caller, changes, RunOptions{Command: "team add", DryRun: true, Checked: true})
		res.Entries = out
		return res, err
	}
	if err := applyTeamObjects(ctx, kube, cluster, team, res.Kubernetes); err != nil {
		return res, err
	}
	out, err := e.Run(ctx, caller, changes, RunOptions{Command: "team add", Checked: true, Concurrency: 16})
	res.Entries = out
	return res, err
}

// planTeamObjects reads what the cluster has of the team's objects and says what making the
// team work writes: the namespace (when missing), then each object in apply order — create
// when missing, update when changed by hand, unchanged when as wanted. Objects of the same
// name that eksaccess did not create are returned as foreign: they are not taken over. team
// add and apply of a file with teams both plan through it.
func planTeamObjects(ctx context.Context, kube ClusterKube, cluster string, team *rbac.Team) ([]KubeChange, []string, error) {
	ns, err := kube.GetNamespace(ctx, team.Namespace)
	if err != nil {
		return nil, nil, teamKubeError(cluster, "read namespace "+team.Namespace, err)
	}
	nsName := "Namespace/" + team.Namespace
	out := []KubeChange{{Object: nsName, Action: "unchanged"}}
	if ns == nil {
		out[0].Action = "create"
	}
	var foreign []string
	for _, o := range teamObjects(team) {
		st := ""
		if ns != nil || kindOf(o.name) == "ClusterRole" || kindOf(o.name) == "ClusterRoleBinding" {
			if st, err = objectState(kube, ctx, o.obj); err != nil {
				return nil, nil, teamKubeError(cluster, "read "+o.name, err)
			}
		}
		switch st {
		case "":
			out = append(out, KubeChange{Object: o.name, Action: "create"})
		case "ok":
			out = append(out, KubeChange{Object: o.name, Action: "unchanged"})
		case "changed":
			out = append(out, KubeChange{Object: o.name, Action: "update", Note: "changed by hand: restored"})
		case "foreign":
			foreign = append(foreign, o.name)
		}
	}
	return out, foreign, nil
}

// foreignObjectsError refuses to take over objects eksaccess did not create.
func foreignObjectsError(cluster string, foreign []string) error {
	return inputErrorf("nothing was changed: %s on cluster %s already exist and were not created by eksaccess (no label %s=%s): delete them, or label them so eksaccess manages them", strings.Join(foreign, ", "), cluster, rbac.LabelManagedBy, rbac.ManagedBy)
}

// applyTeamObjects writes what planTeamObjects planned: the namespace first (labelled for the
// team), then each object by server-side apply as field manager eksaccess.
func applyTeamObjects(ctx context.Context, kube ClusterKube, cluster string, team *rbac.Team, planned []KubeChange) error {
	objs := teamObjects(team)
	for _, kc := range planned {
		if !kc.Writes() {
			continue
		}
		if kc.Kind() == "Namespace" {
			labels := map[string]string{rbac.LabelManagedBy: rbac.ManagedBy, rbac.LabelTeam: team.Name}
			if err := kube.ApplyNamespace(ctx, team.Namespace, labels); err != nil {
				return teamKubeError(cluster, "create namespace "+team.Namespace, err)
			}
			continue
		}
		i := slices.IndexFunc(objs, func(o teamObject) bool { return o.name == kc.Object })
		if i < 0 {
			return fmt.Errorf("apply %s on cluster %s: not one of team %s's objects: this is a bug in eksaccess, please report it", kc.Object, cluster, team.Name)
		}
		if err := kube.Apply(ctx, objs[i].obj); err != nil {
			return teamKubeError(cluster, "apply "+kc.Object, err)
		}
	}
	return nil
}

// deleteTeamObjects deletes what planTeamDeletion planned to delete, in its order (bindings
// before roles, the namespace last).
func deleteTeamObjects(ctx context.Context, kube ClusterKube, cluster string, planned []KubeChange) error {
	for _, kc := range planned {
		if kc.Action != "delete" {
			continue
		}
		kind, rest, _ := strings.Cut(kc.Object, "/")
		ns, name := "", rest
		if kind == "Role" || kind == "RoleBinding" {
			ns, name, _ = strings.Cut(rest, "/")
		}
		var err error
		if kind == "Namespace" {
			err = kube.DeleteNamespace(ctx, name)
		} else {
			err = kube.Delete(ctx, kind, ns, name)
		}
		if err != nil {
			return teamKubeError(cluster, "delete "+kc.Object, err)
		}
	}
	return nil
}

// teamOnCluster finds the team's objects on the cluster (by the team label) and rebuilds
// what it should be; nil when there is no such team.
func findTeam(ctx context.Context, kube ClusterKube, name string) (*rbac.Team, error) {
	objs, err := kube.RBAC(ctx, rbac.LabelManagedBy+"="+rbac.ManagedBy+","+rbac.LabelTeam+"="+name)
	if err != nil {
		return nil, err
	}
	for _, rb := range objs.RoleBindings {
		return rbac.Build(name, rb.Namespace, rb.Labels[rbac.LabelVariant])
	}
	for _, ro := range objs.Roles {
		return rbac.Build(name, ro.Namespace, ro.Labels[rbac.LabelVariant])
	}
	return nil, nil
}

// TeamSummary is one team found on a cluster.
type TeamSummary struct {
	Team      string `json:"team"`
	Namespace string `json:"namespace"`
	Variant   string `json:"rbac"`
}

// listTeams lists the teams eksaccess made on the cluster (from their namespaced objects).
func listTeams(ctx context.Context, kube ClusterKube) ([]TeamSummary, error) {
	objs, err := kube.RBAC(ctx, rbac.LabelManagedBy+"="+rbac.ManagedBy+","+rbac.LabelTeam)
	if err != nil {
		return nil, err
	}
	seen := map[string]TeamSummary{}
	add := func(labels map[string]string, ns string) {
		t := labels[rbac.LabelTeam]
		if _, ok := seen[t]; !ok {
			seen[t] = TeamSummary{Team: t, Namespace: ns, Variant: labels[rbac.LabelVariant]}
		}
	}
	for _, rb := range objs.RoleBindings {
		add(rb.Labels, rb.Namespace)
	}
	for _, ro := range objs.Roles {
		add(ro.Labels, ro.Namespace)
	}
	out := make([]TeamSummary, 0, len(seen))
	for _, t := range seen {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b TeamSummary) int { return strings.Compare(a.Team, b.Team) })
	return out, nil
}

// members are the entries carrying the team's member group, sorted.
func teamMembers(live *plan.LiveCluster, t *rbac.Team) []*plan.LiveEntry {
	var out []*plan.LiveEntry
	for _, le := range live.SortedEntries() {
		if slices.Contains(le.KubernetesGroups, t.MemberGroup) {
			out = append(out, le)
		}
	}
	return out
}

// groupsWithout is what an entry keeps when it leaves the team: the team's member group
// goes; a group the variant shares between teams (the guide's cluster-level group) goes
// only when no other team of the variant still counts the entry as member.
func groupsWithout(le *plan.LiveEntry, t *rbac.Team) []string {
	drop := map[string]bool{t.MemberGroup: true}
	if t.Variant == rbac.SageMakerGuide {
		other := false
		for _, g := range le.KubernetesGroups {
			if g != t.MemberGroup && strings.HasPrefix(g, rbac.GuideNamespaceGroup+"-") {
				other = true
			}
		}
		if !other {
			drop[rbac.GuideClusterGroup] = true
		}
	}
	keep := []string{}
	for _, g := range le.KubernetesGroups {
		if !drop[g] {
			keep = append(keep, g)
		}
	}
	return keep
}

// TeamRemove takes the team's groups from its members' entries (an entry left with no group
// and no policy is deleted, under the guardrails) and, without principals, the team's
// objects; the namespace goes only when eksaccess created it and it holds nothing else.
func (e *Env) TeamRemove(ctx context.Context, r TeamRemoveRequest) (*TeamResult, error) {
	c, cluster, err := e.beginCluster(ctx, &r, &r.Cluster)
	if err != nil {
		return nil, err
	}
	caller, err := e.Caller(ctx)
	if err != nil {
		return nil, err
	}
	kube, err := e.connectKube(ctx, c, cluster)
	if err != nil {
		return nil, err
	}
	team, err := findTeam(ctx, kube, r.Team)
	if err != nil {
		return nil, teamKubeError(cluster, "find team "+r.Team, err)
	}
	if team == nil {
		return nil, inputErrorf("cluster %s has no team %s made by eksaccess (see `eksaccess team list -c %s`)", cluster, r.Team, cluster)
	}
	live, err := readCluster(ctx, c, cluster, 16)
	if err != nil {
		return nil, err
	}
	members := teamMembers(live, team)
	whole := r.Principals.Empty()
	if !whole {
		ps, err := resolvePrincipals(ctx, c, caller, r.Principals)
		if err != nil {
			return nil, err
		}
		byArn := map[string]*plan.LiveEntry{}
		for _, m := range members {
			byArn[m.PrincipalArn] = m
		}
		var picked []*plan.LiveEntry
		var bad []string
		for _, p := range ps {
			if m := byArn[p.Arn]; m != nil {
				picked = append(picked, m)
			} else {
				bad = append(bad, fmt.Sprintf("%s is not a member of team %s on cluster %s", p.Arn, team.Name, cluster))
			}
		}
		if len(bad) > 0 {
			return nil, &InputError{Err: errors.New(strings.Join(bad, "\n"))}
		}
		members = picked
	}
	var plans []plan.PrincipalPlan
	for _, m := range members {
		keep := groupsWithout(m, team)
		if len(keep) == 0 && len(m.Policies) == 0 {
			plans = append(plans, plan.DeleteEntry(cluster, m, "left team "+team.Name+" with no group and no policy"))
			continue
		}
		plans = append(plans, plan.DiffEntry(cluster, plan.Additive, &plan.DesiredEntry{PrincipalArn: m.PrincipalArn, KubernetesGroups: keep}, m))
	}
	changes := []*Change{{Live: live, Plans: plans}}
	res := &TeamResult{Cluster: cluster, Team: team.Name, Namespace: team.Namespace, Variant: team.Variant, Groups: team.Groups, DryRun: r.DryRun, Kubernetes: []KubeChange{}}
	force, err := e.forceARNs(ctx, r.Force, slices.Collect(maps.Keys(live.Entries)))
	if err != nil {
		return nil, err
	}
	if refusals, err := e.Check(ctx, caller, changes, force); err != nil {
		return nil, err
	} else if len(refusals) > 0 {
		return nil, &RefusedError{Refusals: refusals}
	}
	if whole {
		if res.Kubernetes, err = e.planTeamDeletion(ctx, kube, team); err != nil {
			return nil, teamKubeError(cluster, "read team "+team.Name, err)
		}
	}
	out, err := e.Run(ctx, caller, changes, RunOptions{Command: "team remove", DryRun: r.DryRun, Checked: true, Concurrency: 16})
	res.Entries = out
	if err != nil || r.DryRun || (out != nil && out.Failed()) {
		return res, err
	}
	// Access first, then the objects: bindings before roles, the namespace last.
	return res, deleteTeamObjects(ctx, kube, cluster, res.Kubernetes)
}

// planTeamDeletion decides what of the team's objects go; the variant's shared objects stay
// while another team of the cluster uses them.
func (e *Env) planTeamDeletion(ctx context.Context, kube ClusterKube, team *rbac.Team) ([]KubeChange, error) {
	sharedInUse := false
	if team.SharedCluster {
		teams, err := listTeams(ctx, kube)
		if err != nil {
			return nil, err
		}
		for _, t := range teams {
			if t.Team != team.Name && t.Variant == team.Variant {
				sharedInUse = true
			}
		}
	}
	return teamDeletion(ctx, kube, team, sharedInUse)
}

// teamDeletion decides what of the team's objects go: those eksaccess did not create stay, the
// shared ones stay when sharedInUse, and the namespace goes only when eksaccess created it for
// this team and it holds nothing else. team remove and apply --prune both plan through it.
func teamDeletion(ctx context.Context, kube ClusterKube, team *rbac.Team, sharedInUse bool) ([]KubeChange, error) {
	var out []KubeChange
	objs := teamObjects(team)
	// Bindings before roles.
	for _, i := range []int{3, 2, 1, 0} {
		o := objs[i]
		st, err := objectState(kube, ctx, o.obj)
		if err != nil {
			return nil, err
		}
		cluster := i < 2
		switch {
		case st == "":
			out = append(out, KubeChange{Object: o.name, Action: "unchanged", Note: "already gone"})
		case st == "foreign":
			out = append(out, KubeChange{Object: o.name, Action: "keep", Note: "not created by eksaccess"})
		case cluster && sharedInUse:
			out = append(out, KubeChange{Object: o.name, Action: "keep", Note: "shared with the other " + team.Variant + " teams"})
		default:
			out = append(out, KubeChange{Object: o.name, Action: "delete"})
		}
	}
	nsName := "Namespace/" + team.Namespace
	ns, err := kube.GetNamespace(ctx, team.Namespace)
	if err != nil {
		return nil, err
	}
	switch {
	case ns == nil:
		out = append(out, KubeChange{Object: nsName, Action: "unchanged", Note: "already gone"})
	case ns.Labels[rbac.LabelManagedBy] != rbac.ManagedBy || ns.Labels[rbac.LabelTeam] != team.Name:
		out = append(out, KubeChange{Object: nsName, Action: "keep", Note: "not created by eksaccess"})
	default:
		held, err := kube.NamespaceObjects(ctx, team.Namespace)
		if err != nil {
			return nil, err
		}
		var others []string
		for _, h := range held {
			switch h {
			case "ServiceAccount/default", "ConfigMap/kube-root-ca.crt", "Role/" + team.Role.Name, "RoleBinding/" + team.RoleBinding.Name:
				continue // what Kubernetes puts in every namespace, and the team's own
			}
			if strings.HasPrefix(h, "Event/") {
				continue
			}
			others = append(others, h)
		}
		if len(others) > 0 {
			if len(others) > 5 {
				others = append(others[:5], fmt.Sprintf("and %d more", len(others)-5))
			}
			out = append(out, KubeChange{Object: nsName, Action: "keep", Note: "holds " + strings.Join(others, ", ")})
		} else {
			out = append(out, KubeChange{Object: nsName, Action: "delete"})
		}
	}
	return out, nil
}

// TeamStatus is a team as found on the cluster, with drift.
type TeamStatus struct {
	TeamSummary
	Groups  []string       `json:"groups"`
	Objects []ObjectStatus `json:"objects"`
	Members []TeamMember   `json:"members"`
	Drift   []string       `json:"drift"`
}

// ObjectStatus is one object of a team: ok, missing, changed, foreign.
type ObjectStatus struct {
	Object string `json:"object"`
	State  string `json:"state"`
}

// TeamMember is an entry carrying the team's member group.
type TeamMember struct {
	PrincipalArn  string   `json:"principalArn"`
	MissingGroups []string `json:"missingGroups,omitempty"`
}

// TeamListRequest lists the teams of a cluster (Team: one of them, for team show).
type TeamListRequest struct {
	Cluster ClusterRef `json:"cluster"`
	Team    string     `json:"team,omitempty"`
}

// TeamList reports the cluster's teams (or the one named) with members and drift: an object
// deleted or changed by hand, a member missing one of the team's groups.
func (e *Env) TeamList(ctx context.Context, r TeamListRequest) ([]TeamStatus, error) {
	if err := r.Cluster.check(); err != nil {
		return nil, err
	}
	if r.Team != "" {
		if err := rbac.ValidateName(r.Team); err != nil {
			return nil, &InputError{Err: err}
		}
	}
	c, cluster, err := e.clusterOf(ctx, r.Cluster)
	if err != nil {
		return nil, err
	}
	kube, err := e.connectKube(ctx, c, cluster)
	if err != nil {
		return nil, err
	}
	teams, err := listTeams(ctx, kube)
	if err != nil {
		return nil, teamKubeError(cluster, "list teams", err)
	}
	if r.Team != "" {
		teams = slices.DeleteFunc(teams, func(t TeamSummary) bool { return t.Team != r.Team })
		if len(teams) == 0 {
			return nil, inputErrorf("cluster %s has no team %s made by eksaccess (see `eksaccess team list -c %s`)", cluster, r.Team, cluster)
		}
	}
	live, err := readCluster(ctx, c, cluster, 16)
	if err != nil {
		return nil, err
	}
	out := []TeamStatus{}
	for _, ts := range teams {
		team, err := rbac.Build(ts.Team, ts.Namespace, ts.Variant)
		if err != nil {
			return nil, fmt.Errorf("team %s on cluster %s: its labels do not make a team (%w): fix or delete its objects", ts.Team, cluster, err)
		}
		st := TeamStatus{TeamSummary: ts, Groups: team.Groups, Objects: []ObjectStatus{}, Members: []TeamMember{}, Drift: []string{}}
		ns, err := kube.GetNamespace(ctx, team.Namespace)
		if err != nil {
			return nil, teamKubeError(cluster, "read namespace "+team.Namespace, err)
		}
		nsState := "ok"
		if ns == nil {
			nsState = "missing"
			st.Drift = append(st.Drift, "Namespace/"+team.Namespace+" is missing")
		}
		st.Objects = append(st.Objects, ObjectStatus{Object: "Namespace/" + team.Namespace, State: nsState})
		for _, o := range teamObjects(team) {
			s, err := objectState(kube, ctx, o.obj)
			if err != nil {
				return nil, teamKubeError(cluster, "read "+o.name, err)
			}
			switch s {
			case "":
				s = "missing"
				st.Drift = append(st.Drift, o.name+" was deleted")
			case "changed":
				st.Drift = append(st.Drift, o.name+" was changed by hand")
			case "foreign":
				st.Drift = append(st.Drift, o.name+" is not managed by eksaccess")
			}
			st.Objects = append(st.Objects, ObjectStatus{Object: o.name, State: s})
		}
		for _, m := range teamMembers(live, team) {
			tm := TeamMember{PrincipalArn: m.PrincipalArn}
			for _, g := range team.Groups {
				if !slices.Contains(m.KubernetesGroups, g) {
					tm.MissingGroups = append(tm.MissingGroups, g)
					st.Drift = append(st.Drift, m.PrincipalArn+" lacks group "+g)
				}
			}
			st.Members = append(st.Members, tm)
		}
		out = append(out, st)
	}
	return out, nil
}
