// Package plan compares the access a cluster should have with what it has and produces an
// ordered list of changes; it also holds the guardrails (what a plan must never remove).
package plan

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"
)

// Mode says how desired access relates to what is there.
type Mode int

const (
	// Additive (grant): ensure the listed policies and settings; leave everything else alone.
	Additive Mode = iota
	// Exact (apply): the entry ends with exactly the listed policies, groups and username.
	Exact
)

// DesiredPolicy is a policy association: cluster scope when Namespaces is empty.
type DesiredPolicy struct {
	PolicyArn  string   `json:"policyArn"`
	Namespaces []string `json:"namespaces,omitempty"`
}

// ScopeType is "cluster" or "namespace".
func (p DesiredPolicy) ScopeType() string {
	if len(p.Namespaces) == 0 {
		return "cluster"
	}
	return "namespace"
}

// DesiredEntry is the access one principal should have on a cluster.
type DesiredEntry struct {
	PrincipalArn string `json:"principalArn"`
	Type         string `json:"type,omitempty"` // "" means STANDARD
	// Username: nil leaves it to EKS's default (on create) and alone (on update, Additive);
	// in Exact mode nil means "EKS's default", which eksaccess cannot restore once changed.
	Username *string `json:"username,omitempty"`
	// KubernetesGroups: nil leaves them alone (Additive); in Exact mode nil means none.
	KubernetesGroups []string        `json:"kubernetesGroups,omitempty"`
	Policies         []DesiredPolicy `json:"policies"`
	// Tags the entry must carry (eksaccess/managed, eksaccess/expires, user tags).
	Tags map[string]string `json:"tags,omitempty"`
	// RemoveTags are tag keys the entry must not carry (e.g. an expiry that was dropped).
	RemoveTags []string `json:"removeTags,omitempty"`
	// Source says where the desire came from (FILE:LINE, argument), for messages.
	Source string `json:"source,omitempty"`
	// ExpiresAt is when the desired policies expire (zero: never); ExpiresSpec is the
	// relative expiry it was computed from ("30d"), if any. The planner turns them into the
	// per-grant expiry tags (grants.go).
	ExpiresAt   time.Time `json:"expiresAt,omitempty"`
	ExpiresSpec string    `json:"expiresSpec,omitempty"`
}

func (d *DesiredEntry) typ() string {
	if d.Type == "" {
		return "STANDARD"
	}
	return d.Type
}

// Action is the kind of a change.
type Action string

// Actions, in the order they run for one principal.
const (
	ActCreate       Action = "create"       // CreateAccessEntry (with groups, username, tags)
	ActUpdate       Action = "update"       // UpdateAccessEntry (groups and/or username)
	ActTag          Action = "tag"          // TagResource (adds or changes tags; adoption)
	ActUntag        Action = "untag"        // UntagResource
	ActAssociate    Action = "associate"    // AssociateAccessPolicy (new association)
	ActRescope      Action = "rescope"      // AssociateAccessPolicy over an existing one: scope changes in place
	ActDisassociate Action = "disassociate" // DisassociateAccessPolicy
	ActDelete       Action = "delete"       // DeleteAccessEntry
)

// Change is one API call's worth of work.
type Change struct {
	Cluster   string `json:"cluster"`
	Principal string `json:"principal"`
	Action    Action `json:"action"`
	// create: the whole entry; update: groups/username; associate/rescope/disassociate: Policy.
	Entry  *DesiredEntry  `json:"entry,omitempty"`
	Policy *DesiredPolicy `json:"policy,omitempty"`
	// Update: the new values (nil: unchanged).
	Groups   []string `json:"kubernetesGroups,omitempty"`
	Username *string  `json:"username,omitempty"`
	// Tag/Untag.
	Tags    map[string]string `json:"tags,omitempty"`
	TagKeys []string          `json:"tagKeys,omitempty"`
	// EntryArn is the access entry's ARN (tags are set on it), when known.
	EntryArn string `json:"entryArn,omitempty"`
	// Before is what is there now, for the readable diff ("" for creations).
	Before string `json:"before,omitempty"`
	After  string `json:"after,omitempty"`
	// Note explains a change (adoption, expiry).
	Note string `json:"note,omitempty"`
}

// String renders a change as one line of a readable diff (+ add, - remove, ~ change).
func (c Change) String() string {
	switch c.Action {
	case ActCreate:
		return fmt.Sprintf("+ create %s (%s)", c.Principal, c.After)
	case ActDelete:
		return fmt.Sprintf("- delete %s (%s)", c.Principal, c.Before)
	case ActAssociate:
		return fmt.Sprintf("+ associate %s %s", c.Principal, c.After)
	case ActDisassociate:
		return fmt.Sprintf("- disassociate %s %s", c.Principal, c.Before)
	case ActRescope:
		return fmt.Sprintf("~ rescope %s %s -> %s", c.Principal, c.Before, c.After)
	case ActUpdate:
		return fmt.Sprintf("~ update %s %s -> %s", c.Principal, c.Before, c.After)
	case ActTag:
		return fmt.Sprintf("~ tag %s %s", c.Principal, c.After)
	case ActUntag:
		return fmt.Sprintf("~ untag %s %s", c.Principal, strings.Join(c.TagKeys, ","))
	}
	return string(c.Action) + " " + c.Principal
}

// DescribePolicy renders a policy association as NAME(cluster) or NAME(ns1,ns2).
func DescribePolicy(arn string, namespaces []string) string {
	if len(namespaces) == 0 {
		return PolicyName(arn) + "(cluster)"
	}
	return PolicyName(arn) + "(" + strings.Join(namespaces, ",") + ")"
}

// PrincipalPlan is what one principal needs; Changes run in order.
type PrincipalPlan struct {
	Principal string   `json:"principal"`
	Changes   []Change `json:"changes"`
	Source    string   `json:"source,omitempty"`
	// Exists: the entry is there now.
	Exists bool `json:"exists"`
}

// Cluster is the cluster the plan's changes are for ("" when it has none).
func (p PrincipalPlan) Cluster() string {
	if len(p.Changes) > 0 {
		return p.Changes[0].Cluster
	}
	return ""
}

// DiffEntry computes the changes that take live (nil when absent) to desired.
func DiffEntry(cluster string, mode Mode, desired *DesiredEntry, live *LiveEntry) PrincipalPlan {
	pp := PrincipalPlan{Principal: desired.PrincipalArn, Source: desired.Source, Exists: live != nil}
	add := func(c Change) {
		c.Cluster = cluster
		c.Principal = desired.PrincipalArn
		pp.Changes = append(pp.Changes, c)
	}
	if live == nil {
		e := *desired
		add(Change{Action: ActCreate, Entry: &e, After: describeEntry(desired)})
		for _, p := range desired.Policies {
			p := p
			add(Change{Action: ActAssociate, Policy: &p, After: DescribePolicy(p.PolicyArn, p.Namespaces)})
		}
		return pp
	}
	// Settings of the entry.
	var groups []string
	var username *string
	beforeParts, afterParts := []string{}, []string{}
	if desired.typ() == "STANDARD" && live.Type == "STANDARD" {
		if desired.KubernetesGroups != nil || mode == Exact {
			want := normGroups(desired.KubernetesGroups)
			have := normGroups(live.KubernetesGroups)
			if !slices.Equal(want, have) {
				groups = want
				if groups == nil {
					groups = []string{}
				}
				beforeParts = append(beforeParts, "groups=["+strings.Join(have, ",")+"]")
				afterParts = append(afterParts, "groups=["+strings.Join(want, ",")+"]")
			}
		}
		if desired.Username != nil && *desired.Username != live.Username {
			u := *desired.Username
			username = &u
			beforeParts = append(beforeParts, "username="+live.Username)
			afterParts = append(afterParts, "username="+u)
		}
	}
	if groups != nil || username != nil {
		add(Change{Action: ActUpdate, Groups: groups, Username: username, Before: strings.Join(beforeParts, " "), After: strings.Join(afterParts, " ")})
	}
	// Tags.
	setTags := map[string]string{}
	for k, v := range desired.Tags {
		if live.Tags[k] != v {
			setTags[k] = v
		}
	}
	if len(setTags) > 0 {
		c := Change{Action: ActTag, Tags: setTags, EntryArn: live.AccessEntryArn, After: describeTags(setTags)}
		if _, had := live.Tags[TagManaged]; !had && setTags[TagManaged] == "true" {
			c.Note = "adopt: the entry was not created by eksaccess and becomes managed"
		}
		add(c)
	}
	var untag []string
	for _, k := range desired.RemoveTags {
		if _, ok := live.Tags[k]; ok {
			untag = append(untag, k)
		}
	}
	if len(untag) > 0 {
		sort.Strings(untag)
		untag = slices.Compact(untag)
		add(Change{Action: ActUntag, TagKeys: untag, EntryArn: live.AccessEntryArn})
	}
	// Policies.
	wanted := map[string]bool{}
	for _, p := range desired.Policies {
		p := p
		wanted[p.PolicyArn] = true
		have, ok := live.Policy(p.PolicyArn)
		if ok && mode == Additive {
			// grant only adds: namespaces merge into the association, and cluster scope
			// already covers every namespace. Narrowing is revoke --namespace.
			p = union(liveScope(have), scope{cluster: p.ScopeType() == "cluster", ns: sortedSet(p.Namespaces)}).desired(p.PolicyArn)
		}
		switch {
		case !ok:
			add(Change{Action: ActAssociate, Policy: &p, After: DescribePolicy(p.PolicyArn, p.Namespaces)})
		case !sameScope(have, p):
			add(Change{Action: ActRescope, Policy: &p, Before: DescribePolicy(have.PolicyArn, have.Namespaces), After: DescribePolicy(p.PolicyArn, p.Namespaces)})
		}
	}
	if mode == Exact {
		for _, have := range live.Policies {
			if !wanted[have.PolicyArn] {
				p := DesiredPolicy{PolicyArn: have.PolicyArn, Namespaces: have.Namespaces}
				add(Change{Action: ActDisassociate, Policy: &p, Before: DescribePolicy(have.PolicyArn, have.Namespaces)})
			}
		}
	}
	return pp
}

func sameScope(have LivePolicy, want DesiredPolicy) bool {
	if have.ScopeType != want.ScopeType() {
		return false
	}
	if want.ScopeType() == "cluster" {
		return true
	}
	a := slices.Clone(have.Namespaces)
	b := slices.Clone(want.Namespaces)
	sort.Strings(a)
	sort.Strings(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

func normGroups(g []string) []string {
	if len(g) == 0 {
		return nil
	}
	out := slices.Clone(g)
	sort.Strings(out)
	return slices.Compact(out)
}

func describeEntry(d *DesiredEntry) string {
	parts := []string{"type=" + d.typ()}
	if d.Username != nil {
		parts = append(parts, "username="+*d.Username)
	}
	if len(d.KubernetesGroups) > 0 {
		parts = append(parts, "groups=["+strings.Join(normGroups(d.KubernetesGroups), ",")+"]")
	}
	if !d.ExpiresAt.IsZero() {
		parts = append(parts, "expires="+FormatExpiry(d.ExpiresAt))
	}
	return strings.Join(parts, " ")
}

func describeTags(t map[string]string) string {
	keys := slices.Sorted(maps.Keys(t))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + t[k]
	}
	return strings.Join(parts, " ")
}

// DeleteEntry is the plan that removes an entry.
func DeleteEntry(cluster string, live *LiveEntry, note string) PrincipalPlan {
	return PrincipalPlan{Principal: live.PrincipalArn, Exists: true, Changes: []Change{{
		Cluster: cluster, Principal: live.PrincipalArn, Action: ActDelete, EntryArn: live.AccessEntryArn,
		Before: describeLive(live), Note: note,
	}}}
}

// DisassociatePolicy is the plan that removes one association from an entry.
func DisassociatePolicy(cluster string, live *LiveEntry, policyArn string, note string) PrincipalPlan {
	pp := PrincipalPlan{Principal: live.PrincipalArn, Exists: true}
	if have, ok := live.Policy(policyArn); ok {
		p := DesiredPolicy{PolicyArn: have.PolicyArn, Namespaces: have.Namespaces}
		pp.Changes = []Change{{Cluster: cluster, Principal: live.PrincipalArn, Action: ActDisassociate, Policy: &p,
			Before: DescribePolicy(have.PolicyArn, have.Namespaces), Note: note}}
	}
	return pp
}

func describeLive(e *LiveEntry) string {
	parts := []string{"type=" + e.Type}
	var pols []string
	for _, p := range e.Policies {
		pols = append(pols, DescribePolicy(p.PolicyArn, p.Namespaces))
	}
	if len(pols) > 0 {
		parts = append(parts, "policies="+strings.Join(pols, ","))
	}
	return strings.Join(parts, " ")
}

// TypeOrStandard is the entry's type, STANDARD when unset.
func (d *DesiredEntry) TypeOrStandard() string { return d.typ() }

// NarrowPolicy is the change that removes namespaces from an association (revoke
// --namespace): a rescope to what remains, or a disassociation when nothing does. A cluster
// scope cannot be narrowed by namespace: revoke the policy, then grant the namespaces.
func NarrowPolicy(cluster string, live *LiveEntry, policyArn string, namespaces []string) ([]Change, error) {
	have, ok := live.Policy(policyArn)
	if !ok {
		return nil, nil
	}
	if have.ScopeType == "cluster" {
		return nil, fmt.Errorf("%s is associated at cluster scope, which covers every namespace; to narrow it, revoke the policy and grant the namespaces you mean", PolicyName(policyArn))
	}
	left := minus(sortedSet(have.Namespaces), namespaces)
	if len(left) == len(sortedSet(have.Namespaces)) {
		return nil, nil
	}
	before := DescribePolicy(have.PolicyArn, have.Namespaces)
	if len(left) == 0 {
		p := DesiredPolicy{PolicyArn: policyArn, Namespaces: have.Namespaces}
		return []Change{{Cluster: cluster, Principal: live.PrincipalArn, Action: ActDisassociate, Policy: &p, Before: before}}, nil
	}
	p := DesiredPolicy{PolicyArn: policyArn, Namespaces: left}
	return []Change{{Cluster: cluster, Principal: live.PrincipalArn, Action: ActRescope, Policy: &p, Before: before, After: DescribePolicy(policyArn, left)}}, nil
}
