package plan

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"eksaccess/internal/policy"
	"eksaccess/internal/principal"
)

// ClusterAdminPolicy is the access policy whose last cluster-scoped holder must never go.
const ClusterAdminPolicy = "AmazonEKSClusterAdminPolicy"

// The invariants every change must leave true. They are checked on the state a whole plan
// leads to (entries, associations, scopes, authentication mode), whatever command made the
// plan: grant, revoke, apply, prune, expire, auth-mode, role create --grant, team.
const (
	// InvCallerAdmin: the caller keeps cluster-admin access through a path that survives the
	// plan — its entry (or its assumed role's), or an aws-auth mapping while the mode reads it.
	InvCallerAdmin = "caller-keeps-admin"
	// InvLastAdmin: at least one cluster-scoped AmazonEKSClusterAdminPolicy association
	// remains (or a system:masters mapping while the ConfigMap counts).
	InvLastAdmin = "cluster-admin-remains"
	// InvCreator: the cluster creator's entry and its admin association stay.
	InvCreator = "creator-entry-stays"
	// InvNodeEntries: entries of any type but STANDARD are never changed.
	InvNodeEntries = "node-entries-unchanged"
)

// Mapping is one aws-auth ConfigMap mapping (mapRoles or mapUsers), as far as the
// guardrails need it.
type Mapping struct {
	Arn    string
	Groups []string
}

// Guard describes who runs a plan and what they deliberately allow.
type Guard struct {
	// CallerPrincipalArn is the IAM principal EKS maps the caller to (user ARN, or the role
	// ARN with path for an assumed-role session).
	CallerPrincipalArn string
	// Force lists principal (or cluster) ARNs the admin named to override a refusal.
	Force map[string]bool
	// ForceFlag is how to name a principal for override, for messages ("--force").
	ForceFlag string
	// AWSAuth reads the cluster's aws-auth mappings; called at most once per check and only
	// when a ConfigMap-reading mode could decide an invariant. nil: no mappings known.
	AWSAuth func() ([]Mapping, error)
}

// Refusal is an invariant a plan would break: which, the changes that break it, and the
// one override.
type Refusal struct {
	Cluster   string   `json:"cluster"`
	Invariant string   `json:"invariant"`
	Reason    string   `json:"reason"`
	Changes   []string `json:"changes"`
	// Force are the ARNs to name with --force to let the plan through.
	Force    []string `json:"force"`
	Override string   `json:"override"`
}

func (r Refusal) Error() string {
	return fmt.Sprintf("%s: refused by guardrail %s: %s; the change(s) that break it: %s; %s",
		r.Cluster, r.Invariant, r.Reason, strings.Join(r.Changes, "; "), r.Override)
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
	return d <= creatorWindow && holdsClusterAdminPolicy(e)
}

func holdsClusterAdminPolicy(e *LiveEntry) bool {
	if e == nil || e.Type != "STANDARD" {
		return false
	}
	for _, p := range e.Policies {
		if PolicyName(p.PolicyArn) == ClusterAdminPolicy && p.ScopeType == "cluster" {
			return true
		}
	}
	return false
}

// adminRequest is what "cluster-admin access" means to the evaluator: every verb on every
// resource of every group, cluster-wide.
var adminRequest = policy.Request{Verb: "*", APIGroup: "*", Resource: "*"}

// EvalEntry turns a live entry into the evaluator's form.
func EvalEntry(e *LiveEntry) policy.Entry {
	pe := policy.Entry{PrincipalArn: e.PrincipalArn, Type: e.Type, Username: e.Username, Groups: e.KubernetesGroups}
	for _, p := range e.Policies {
		pe.Associations = append(pe.Associations, policy.Association{PolicyArn: p.PolicyArn, ScopeType: p.ScopeType, Namespaces: p.Namespaces})
	}
	return pe
}

func entryIsAdmin(e *LiveEntry) bool {
	return e != nil && policy.Evaluate(EvalEntry(e), adminRequest).Outcome == policy.Allowed
}

func mappingIsAdmin(m Mapping) bool {
	return policy.Evaluate(policy.Entry{PrincipalArn: m.Arn, Groups: m.Groups}, adminRequest).Outcome == policy.Allowed
}

// ReadsConfigMap reports whether a cluster in this authentication mode reads aws-auth.
func ReadsConfigMap(mode string) bool { return mode == "CONFIG_MAP" || mode == "API_AND_CONFIG_MAP" }

// Project returns the cluster as it is after the plans and the mode switch ran: the state the
// invariants are checked on.
func Project(live *LiveCluster, plans []PrincipalPlan, mode *ModeSwitch) *LiveCluster {
	out := *live
	out.Entries = make(map[string]*LiveEntry, len(live.Entries))
	for k, e := range live.Entries {
		out.Entries[k] = e
	}
	if mode != nil {
		out.AuthenticationMode = mode.To
	}
	for _, pp := range plans {
		for _, ch := range pp.Changes {
			e := out.Entries[ch.Principal]
			if ch.Action == ActCreate {
				ne := &LiveEntry{PrincipalArn: ch.Principal, Type: "STANDARD", Policies: []LivePolicy{}}
				if ch.Entry != nil {
					ne.Type = ch.Entry.TypeOrStandard()
					if ch.Entry.Username != nil {
						ne.Username = *ch.Entry.Username
					}
					ne.KubernetesGroups = slices.Clone(ch.Entry.KubernetesGroups)
					ne.Tags = cloneTags(ch.Entry.Tags)
				}
				out.Entries[ch.Principal] = ne
				continue
			}
			if e == nil {
				continue
			}
			if ch.Action == ActDelete {
				delete(out.Entries, ch.Principal)
				continue
			}
			c := *e
			c.Policies = slices.Clone(e.Policies)
			c.Tags = cloneTags(e.Tags)
			switch ch.Action {
			case ActUpdate:
				if ch.Groups != nil {
					c.KubernetesGroups = slices.Clone(ch.Groups)
				}
				if ch.Username != nil {
					c.Username = *ch.Username
				}
			case ActTag:
				for k, v := range ch.Tags {
					c.Tags[k] = v
				}
			case ActUntag:
				for _, k := range ch.TagKeys {
					delete(c.Tags, k)
				}
			case ActAssociate, ActRescope:
				if ch.Policy != nil {
					lp := LivePolicy{PolicyArn: ch.Policy.PolicyArn, ScopeType: ch.Policy.ScopeType(), Namespaces: slices.Clone(ch.Policy.Namespaces)}
					i := slices.IndexFunc(c.Policies, func(p LivePolicy) bool { return p.PolicyArn == lp.PolicyArn })
					if i >= 0 {
						c.Policies[i] = lp
					} else {
						c.Policies = append(c.Policies, lp)
					}
				}
			case ActDisassociate:
				if ch.Policy != nil {
					c.Policies = slices.DeleteFunc(c.Policies, func(p LivePolicy) bool { return p.PolicyArn == ch.Policy.PolicyArn })
				}
			}
			out.Entries[ch.Principal] = &c
		}
	}
	return &out
}

// isRemoval: a change that can take access away.
func isRemoval(a Action) bool {
	return a == ActDelete || a == ActDisassociate || a == ActRescope || a == ActUpdate
}

// sameIdentity compares two principal ARNs as EKS and aws-auth match them: role paths do
// not count (aws-auth role ARNs carry none), and case does not either (IAM names are
// unique case-insensitively).
func sameIdentity(a, b string) bool {
	return strings.EqualFold(principal.PathlessRoleARN(a), principal.PathlessRoleARN(b))
}

// Check returns the invariants the plans (and the mode switch) would break on cluster c, in
// a fixed order. It evaluates the state before and after with the access-policy evaluator:
// an invariant that did not hold before the plan is not the plan's doing, so it is not
// refused (a cluster without any admin may still be granted to).
func Check(c *LiveCluster, plans []PrincipalPlan, mode *ModeSwitch, g Guard) []Refusal {
	flag := g.ForceFlag
	if flag == "" {
		flag = "--force"
	}
	after := Project(c, plans, mode)
	// The aws-auth mappings, read once and only when an invariant needs them. When they
	// cannot be read, they count as unknown: they could hold an admin path before, and
	// nothing is assumed to survive through them after (refusing rather than guessing).
	var (
		mappings   []Mapping
		mapErr     error
		mapsLoaded bool
	)
	loadMaps := func() ([]Mapping, bool) {
		if !mapsLoaded {
			mapsLoaded = true
			if g.AWSAuth != nil {
				mappings, mapErr = g.AWSAuth()
			}
		}
		return mappings, mapErr == nil
	}
	removalsOn := func(match func(arn string) bool) []string {
		var out []string
		for _, pp := range plans {
			if !match(pp.Principal) || c.Entries[pp.Principal] == nil {
				continue
			}
			for _, ch := range pp.Changes {
				if isRemoval(ch.Action) {
					out = append(out, ch.String())
				}
			}
		}
		return out
	}
	modeChange := ""
	if mode != nil {
		modeChange = fmt.Sprintf("~ authenticationMode %s -> %s", mode.From, mode.To)
	}
	clusterKey := c.Arn
	if clusterKey == "" {
		clusterKey = c.Name
	}
	var out []Refusal
	refuse := func(inv, reason string, usedMaps bool, changes, force []string) {
		slices.Sort(force)
		force = slices.Compact(force)
		if len(force) == 0 || len(changes) == 0 {
			return
		}
		forced := true
		for _, f := range force {
			if !g.Force[f] {
				forced = false
			}
		}
		if forced {
			return
		}
		parts := make([]string, len(force))
		for i, f := range force {
			parts[i] = flag + " " + f
		}
		if usedMaps && mapErr != nil {
			reason += fmt.Sprintf(" (the aws-auth ConfigMap could not be read, so what it maps is unknown and was not counted on: %v)", mapErr)
		}
		out = append(out, Refusal{Cluster: c.Name, Invariant: inv, Reason: reason, Changes: changes,
			Force: force, Override: "to do it anyway, run again with " + strings.Join(parts, " ")})
	}

	// 1. The caller keeps cluster admin.
	if g.CallerPrincipalArn != "" {
		isCaller := func(arn string) bool { return sameIdentity(arn, g.CallerPrincipalArn) }
		entryAdmin := func(cl *LiveCluster) bool {
			for arn, e := range cl.Entries {
				if isCaller(arn) && entryIsAdmin(e) {
					return true
				}
			}
			return false
		}
		// mapAdmin: the caller is admin through a mapping the cluster reads. Unknown
		// mappings are the same before and after, so they decide nothing while the mode
		// keeps reading them (counted as no), and count as a path lost when it stops.
		mapAdmin := func(cl *LiveCluster, before bool) bool {
			if !ReadsConfigMap(cl.AuthenticationMode) {
				return false
			}
			ms, known := loadMaps()
			if !known {
				return before && !ReadsConfigMap(after.AuthenticationMode)
			}
			for _, m := range ms {
				if isCaller(m.Arn) && mappingIsAdmin(m) {
					return true
				}
			}
			return false
		}
		if !entryAdmin(after) && (entryAdmin(c) || mapAdmin(c, true)) && !mapAdmin(after, false) {
			changes := removalsOn(isCaller)
			if modeChange != "" && mapAdmin(c, true) {
				changes = append(changes, modeChange)
			}
			refuse(InvCallerAdmin, fmt.Sprintf("you (%s) would lose cluster-admin access to %s: no entry of yours, and no aws-auth mapping the cluster still reads, would grant it", g.CallerPrincipalArn, c.Name), mapsLoaded, changes, []string{g.CallerPrincipalArn})
		}
	}

	// 2. A cluster-scoped cluster admin remains.
	admins := func(cl *LiveCluster, before bool) (entries []string, maps []string, unknown bool) {
		for arn, e := range cl.Entries {
			if holdsClusterAdminPolicy(e) {
				entries = append(entries, arn)
			}
		}
		if ReadsConfigMap(cl.AuthenticationMode) && len(entries) == 0 {
			ms, known := loadMaps()
			if !known {
				return entries, nil, before && !ReadsConfigMap(after.AuthenticationMode)
			}
			for _, m := range ms {
				if mappingIsAdmin(m) {
					maps = append(maps, m.Arn)
				}
			}
		}
		return entries, maps, false
	}
	ae, am, _ := admins(after, false)
	if len(ae)+len(am) == 0 {
		be, bm, unknown := admins(c, true)
		if len(be)+len(bm) > 0 || unknown {
			lost := map[string]bool{}
			for _, a := range be {
				lost[a] = true
			}
			changes := removalsOn(func(arn string) bool { return lost[arn] })
			force := slices.Clone(be)
			if modeChange != "" && (len(bm) > 0 || unknown) {
				changes = append(changes, modeChange)
				force = append(force, bm...)
				if unknown {
					force = append(force, clusterKey)
				}
			}
			refuse(InvLastAdmin, fmt.Sprintf("it would leave %s with no %s association at cluster scope (nor a system:masters mapping it reads), so nobody could administer it", c.Name, ClusterAdminPolicy), mapsLoaded, changes, force)
		}
	}

	// 3. The creator's entry and its admin association stay.
	for _, e := range c.SortedEntries() {
		if !IsCreatorEntry(c, e) || holdsClusterAdminPolicy(after.Entries[e.PrincipalArn]) {
			continue
		}
		arn := e.PrincipalArn
		refuse(InvCreator, fmt.Sprintf("%s is the cluster creator's admin entry, made by EKS with the cluster; it must keep %s at cluster scope", arn, ClusterAdminPolicy), false,
			removalsOn(func(a string) bool { return a == arn }), []string{arn})
	}

	// 4. Node and service entries are never changed.
	for _, pp := range plans {
		e := c.Entries[pp.Principal]
		if e == nil || e.Type == "STANDARD" || e.Type == "" {
			continue
		}
		var changes []string
		for _, ch := range pp.Changes {
			if ch.Action != ActTag && ch.Action != ActUntag {
				changes = append(changes, ch.String())
			}
		}
		refuse(InvNodeEntries, fmt.Sprintf("%s is a %s entry: nodes or an AWS service use it, and changing it can take workers or HyperPod down", e.PrincipalArn, e.Type), false, changes, []string{e.PrincipalArn})
	}
	return out
}
