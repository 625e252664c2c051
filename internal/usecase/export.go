package usecase

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"eksaccess/internal/accessfile"
	"eksaccess/internal/awsapi"
	"eksaccess/internal/plan"
	"eksaccess/internal/principal"
	"eksaccess/internal/rbac"
)

// ExportRequest reads clusters and writes their access as an access file.
type ExportRequest struct {
	Clusters    []string `json:"clusters"`
	Concurrency int      `json:"concurrency,omitempty"`
}

// ExportResult is the access file and the notes about what it could not say.
type ExportResult struct {
	Config *accessfile.Config
	Notes  []string
}

// Validate checks the request offline.
func (r *ExportRequest) Validate() error {
	if len(r.Clusters) == 0 {
		return inputErrorf("name at least one cluster with -c CLUSTER")
	}
	if err := checkClusterNames(r.Clusters); err != nil {
		return err
	}
	return checkConcurrency(r.Concurrency)
}

// Export reads each cluster once and turns its entries into an access file that plans with
// no changes.
func (e *Env) Export(ctx context.Context, r ExportRequest) (*ExportResult, error) {
	c, err := e.begin(ctx, &r)
	if err != nil {
		return nil, err
	}
	res := &ExportResult{Config: &accessfile.Config{APIVersion: accessfile.APIVersion, Kind: accessfile.Kind}}
	for _, name := range r.Clusters {
		live, err := readCluster(ctx, c, name, r.Concurrency)
		if err != nil {
			return nil, err
		}
		cl, skipped := ExportCluster(live)
		for _, s := range skipped {
			res.Notes = append(res.Notes, name+": "+s)
		}
		teams, err := e.exportTeams(ctx, c, name)
		if err != nil {
			res.Notes = append(res.Notes, fmt.Sprintf("%s: teams not exported: %v", name, err))
		}
		ExportTeams(cl, live, teams)
		if live.AuthenticationMode == "CONFIG_MAP" {
			res.Notes = append(res.Notes, fmt.Sprintf("%s is in CONFIG_MAP mode and has no access entries: `eksaccess migrate aws-auth -c %s` turns its aws-auth ConfigMap into an access file", name, name))
		}
		res.Config.Clusters = append(res.Config.Clusters, *cl)
	}
	return res, nil
}

// ExportCluster turns a live cluster into its access-file section, and says what it left
// out. Usernames EKS generated are left out (EKS generates them again); custom ones kept.
func ExportCluster(live *plan.LiveCluster) (*accessfile.Cluster, []string) {
	cl := &accessfile.Cluster{Name: live.Name, Region: live.Region, AuthenticationMode: live.AuthenticationMode}
	var skipped []string
	partition := accessfile.PartitionOf(live.Region)
	for _, e := range live.SortedEntries() {
		if e.Type == accessfile.TypeHyperPodLinux {
			skipped = append(skipped, fmt.Sprintf("%s (HYPERPOD_LINUX) left out: SageMaker HyperPod owns it", e.PrincipalArn))
			continue
		}
		it := accessfile.AccessItem{Principal: e.PrincipalArn}
		if e.Type != accessfile.TypeStandard {
			it.Type = e.Type
		} else {
			for _, p := range e.Policies {
				ref := accessfile.PolicyRef{Policy: p.PolicyArn, Namespaces: slices.Clone(p.Namespaces)}
				if name := plan.PolicyName(p.PolicyArn); ref.Policy == (accessfile.PolicyRef{Policy: name}).ARN(partition) {
					ref.Policy = name
				}
				it.Policies = append(it.Policies, ref)
			}
			if len(e.KubernetesGroups) > 0 {
				it.KubernetesGroups = slices.Clone(e.KubernetesGroups)
				sort.Strings(it.KubernetesGroups)
			}
			if e.Username != "" && e.Username != defaultEntryUsername(e.PrincipalArn) {
				if msg := accessfile.CheckUsername(e.Username); msg == "" {
					it.Username = e.Username
				} else {
					skipped = append(skipped, fmt.Sprintf("%s: username %q left out (%s)", e.PrincipalArn, e.Username, msg))
				}
			}
			if t, ok := uniformExpiry(e); ok {
				it.Expires = plan.FormatExpiry(t)
			} else if !t.IsZero() {
				skipped = append(skipped, fmt.Sprintf("%s: its grants expire at different times, which an access file item cannot say: exported without expires (eksaccess entries show lists them)", e.PrincipalArn))
			}
		}
		for k, v := range e.Tags {
			if strings.HasPrefix(k, "eksaccess/") || strings.HasPrefix(k, "aws:") {
				continue
			}
			if it.Tags == nil {
				it.Tags = map[string]string{}
			}
			it.Tags[k] = v
		}
		cl.Access = append(cl.Access, it)
	}
	return cl, skipped
}

// defaultEntryUsername is the username EKS gives an entry created without one: the user's
// ARN, or for a role arn:PARTITION:sts::ACCOUNT:assumed-role/NAME/{{SessionName}}.
func defaultEntryUsername(principalArn string) string {
	p, err := principal.ParsePrincipalARN(principalArn)
	if err != nil || p.Kind != principal.KindRole {
		return principalArn
	}
	return "arn:" + p.Partition + ":sts::" + p.Account + ":assumed-role/" + p.Name + "/{{SessionName}}"
}

// uniformExpiry is the expiry of an entry whose every association expires whole at one
// time — what an access file item's expires says.
func uniformExpiry(e *plan.LiveEntry) (time.Time, bool) {
	x := e.Expiry()
	t := e.NextExpiry()
	if t.IsZero() {
		return t, false
	}
	if !x.Legacy.IsZero() && len(x.Records) == 0 {
		return x.Legacy, true
	}
	if len(x.Records) != len(e.Policies) {
		return t, false
	}
	for _, r := range x.Records {
		p, ok := e.Policy(plan.PolicyArnFor(e.PrincipalArn, r.Policy))
		if !ok || !r.At.Equal(t) || (r.Cluster() != (p.ScopeType == "cluster")) || (!r.Cluster() && strings.Join(r.Namespaces, ",") != strings.Join(p.Namespaces, ",")) {
			return t, false
		}
	}
	return t, true
}

// exportTeams lists the teams eksaccess made on the cluster. A cluster whose Kubernetes API
// serves no RBAC (the sandbox's builtin mode) has none; one that cannot be read is an error,
// which export turns into a note.
func (e *Env) exportTeams(ctx context.Context, c *awsapi.Clients, cluster string) ([]TeamSummary, error) {
	if e.ClusterKube == nil {
		return nil, nil
	}
	kube, err := e.connectKube(ctx, c, cluster)
	if err != nil {
		return nil, err
	}
	teams, err := listTeams(ctx, kube)
	if apierrors.IsMethodNotSupported(err) || apierrors.IsNotFound(err) {
		e.logf("cluster %s: no teams exported: its Kubernetes API serves no RBAC (%v)", cluster, err)
		return nil, nil
	}
	if err != nil {
		return nil, teamKubeError(cluster, "list teams", err)
	}
	return teams, nil
}

// ExportTeams adds the cluster's teams to its section, each with its members (the entries
// carrying its member group), and takes the teams' groups off those members' access items:
// the file gives them back through the teams. A member's item that is left giving nothing
// is dropped (the team makes the entry).
func ExportTeams(cl *accessfile.Cluster, live *plan.LiveCluster, teams []TeamSummary) {
	strip := map[string]map[string]bool{} // principal → the groups its teams give
	for _, ts := range teams {
		team, err := rbac.Build(ts.Team, ts.Namespace, ts.Variant)
		if err != nil {
			continue
		}
		t := accessfile.Team{Name: team.Name, RBAC: team.Variant}
		if team.Namespace != rbac.DefaultNamespace(team.Name) {
			t.Namespace = team.Namespace
		}
		for _, m := range teamMembers(live, team) {
			t.Members = append(t.Members, accessfile.TeamMember{Principal: m.PrincipalArn})
			if strip[m.PrincipalArn] == nil {
				strip[m.PrincipalArn] = map[string]bool{}
			}
			for _, g := range team.Groups {
				strip[m.PrincipalArn][g] = true
			}
		}
		cl.Teams = append(cl.Teams, t)
	}
	if len(strip) == 0 {
		return
	}
	kept := cl.Access[:0]
	for _, it := range cl.Access {
		if gs := strip[it.Principal]; gs != nil {
			it.KubernetesGroups = slices.DeleteFunc(it.KubernetesGroups, func(g string) bool { return gs[g] })
			if len(it.KubernetesGroups) == 0 {
				it.KubernetesGroups = nil
			}
			if it.Type == "" && len(it.Policies) == 0 && len(it.KubernetesGroups) == 0 && it.Username == "" && len(it.Tags) == 0 && it.Expires == "" {
				continue
			}
		}
		kept = append(kept, it)
	}
	cl.Access = kept
}
