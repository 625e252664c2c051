package usecase

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"eksaccess/internal/accessfile"
	"eksaccess/internal/plan"
	"eksaccess/internal/principal"
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
	for _, c := range r.Clusters {
		if err := ValidateClusterName(c); err != nil {
			return &InputError{Err: err}
		}
	}
	return checkConcurrency(r.Concurrency)
}

// Export reads each cluster once and turns its entries into an access file that plans with
// no changes.
func (e *Env) Export(ctx context.Context, r ExportRequest) (*ExportResult, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	c, err := e.AWS(ctx, "")
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
