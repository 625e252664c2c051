package plan

import (
	"fmt"
	"strings"
	"time"
)

// ClusterAdminPolicy is the access policy whose last cluster-scoped holder must never go.
const ClusterAdminPolicy = "AmazonEKSClusterAdminPolicy"

// Guard describes who runs a plan and what they deliberately allow.
type Guard struct {
	// CallerPrincipalArn is the IAM principal EKS maps the caller to (user ARN, or the role
	// ARN with path for an assumed-role session).
	CallerPrincipalArn string
	// Force lists principal ARNs the admin named to override a refusal.
	Force map[string]bool
	// ForceFlag is how to name a principal for override, for messages ("--force ARN").
	ForceFlag string
}

// Refusal is a change a guardrail stopped.
type Refusal struct {
	Cluster   string `json:"cluster"`
	Principal string `json:"principal"`
	Action    Action `json:"action"`
	Reason    string `json:"reason"`
	Override  string `json:"override"`
}

func (r Refusal) Error() string {
	return fmt.Sprintf("%s: refusing to %s %s: %s; %s", r.Cluster, r.Action, r.Principal, r.Reason, r.Override)
}

// creatorWindow: entries EKS made when it created the cluster (the creator's admin entry,
// bootstrapClusterCreatorAdminPermissions) share the cluster's creation time. The API does
// not name the creator, so this is how eksaccess recognises that entry.
const creatorWindow = 5 * time.Minute

// IsCreatorEntry reports whether e looks like the cluster creator's bootstrap entry.
func IsCreatorEntry(c *LiveCluster, e *LiveEntry) bool {
	if c.CreatedAt.IsZero() || e.CreatedAt.IsZero() || e.Type != "STANDARD" {
		return false
	}
	d := e.CreatedAt.Sub(c.CreatedAt)
	if d < 0 {
		d = -d
	}
	if d > creatorWindow {
		return false
	}
	for _, p := range e.Policies {
		if PolicyName(p.PolicyArn) == ClusterAdminPolicy && p.ScopeType == "cluster" {
			return true
		}
	}
	return false
}

func holdsClusterAdmin(e *LiveEntry) bool {
	if e.Type != "STANDARD" {
		return false
	}
	for _, p := range e.Policies {
		if PolicyName(p.PolicyArn) == ClusterAdminPolicy && p.ScopeType == "cluster" {
			return true
		}
	}
	return false
}

// Check returns the changes among plans that a guardrail refuses. Plans that only add or
// re-scope are never refused. Refused principals are listed once per reason.
func Check(c *LiveCluster, plans []PrincipalPlan, g Guard) []Refusal {
	flag := g.ForceFlag
	if flag == "" {
		flag = "--force"
	}
	var out []Refusal
	// Which entries end without cluster-scoped admin.
	losesAdmin := map[string]bool{}
	for _, pp := range plans {
		e := c.Entries[pp.Principal]
		if e == nil {
			continue
		}
		for _, ch := range pp.Changes {
			switch ch.Action {
			case ActDelete:
				if holdsClusterAdmin(e) {
					losesAdmin[e.PrincipalArn] = true
				}
			case ActDisassociate, ActRescope:
				if ch.Policy != nil && PolicyName(ch.Policy.PolicyArn) == ClusterAdminPolicy && holdsClusterAdmin(e) {
					losesAdmin[e.PrincipalArn] = true
				}
			}
		}
	}
	adminLeft := 0
	for arn, e := range c.Entries {
		if holdsClusterAdmin(e) && !losesAdmin[arn] {
			adminLeft++
		}
	}
	// Entries that gain cluster-scoped admin in this plan count too.
	for _, pp := range plans {
		for _, ch := range pp.Changes {
			if (ch.Action == ActAssociate || ch.Action == ActRescope) && ch.Policy != nil &&
				PolicyName(ch.Policy.PolicyArn) == ClusterAdminPolicy && ch.Policy.ScopeType() == "cluster" {
				adminLeft++
			}
		}
	}
	for _, pp := range plans {
		e := c.Entries[pp.Principal]
		if e == nil {
			continue
		}
		forced := g.Force[e.PrincipalArn]
		override := fmt.Sprintf("if you mean it, run again with %s %s", flag, e.PrincipalArn)
		for _, ch := range pp.Changes {
			removing := ch.Action == ActDelete || ch.Action == ActDisassociate
			if !removing {
				continue
			}
			refuse := func(reason string) {
				if !forced {
					out = append(out, Refusal{Cluster: c.Name, Principal: e.PrincipalArn, Action: ch.Action, Reason: reason, Override: override})
				}
			}
			if ch.Action == ActDelete && e.Type != "STANDARD" {
				refuse(fmt.Sprintf("it is a %s entry (nodes or an AWS service use it; deleting it can take workers or HyperPod down)", e.Type))
			}
			if g.CallerPrincipalArn != "" && strings.EqualFold(e.PrincipalArn, g.CallerPrincipalArn) {
				refuse("it is your own access path (the identity running eksaccess); you could lock yourself out")
			}
			if ch.Action == ActDelete && IsCreatorEntry(c, e) {
				refuse("it is the cluster creator's admin entry, made by EKS with the cluster")
			}
			if losesAdmin[e.PrincipalArn] && adminLeft == 0 {
				refuse("it would leave no entry with " + ClusterAdminPolicy + " at cluster scope, so nobody could administer the cluster")
			}
		}
	}
	return out
}
