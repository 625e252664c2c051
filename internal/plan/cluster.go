package plan

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Authentication modes, in the only order EKS switches them (forward, one step at a time).
var authModeOrder = []string{"CONFIG_MAP", "API_AND_CONFIG_MAP", "API"}

// ModeSwitch is an authentication-mode change of a cluster (UpdateClusterConfig).
type ModeSwitch struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// CheckModeSwitch says whether EKS can switch from → to: forward, one step. It returns ""
// when the switch is possible, else why not and what to do.
func CheckModeSwitch(cluster, from, to string) string {
	i, j := slices.Index(authModeOrder, from), slices.Index(authModeOrder, to)
	switch {
	case j < 0:
		return fmt.Sprintf("authentication mode %q is not one of %s", to, strings.Join(authModeOrder, ", "))
	case i < 0:
		return fmt.Sprintf("cluster %s reports an unknown authentication mode %q", cluster, from)
	case j < i:
		return fmt.Sprintf("cluster %s is in %s and EKS never switches back to %s: set authenticationMode: %s (or remove it)", cluster, from, to, from)
	case j > i+1:
		return fmt.Sprintf("cluster %s is in %s; EKS switches one step at a time: set %s first, apply, check that access entries work, then set %s", cluster, from, authModeOrder[i+1], to)
	}
	return ""
}

// ClusterPlan is everything an apply would do to one cluster, in order: the mode switch,
// then the principal plans (run concurrently); Refusals are changes the guardrails stop.
type ClusterPlan struct {
	Cluster    string          `json:"cluster"`
	Region     string          `json:"region,omitempty"`
	Source     string          `json:"source,omitempty"`
	ModeSwitch *ModeSwitch     `json:"authenticationMode,omitempty"`
	Plans      []PrincipalPlan `json:"plans"`
	Refusals   []Refusal       `json:"refusals,omitempty"`
	// Notes explain what the plan leaves alone (unmanaged entries, pruning off).
	Notes []string `json:"notes,omitempty"`
	// Unchanged counts listed principals that need nothing.
	Unchanged int `json:"unchanged"`
	// Unreadable are expiry tags on the cluster's entries that eksaccess cannot read.
	Unreadable []TagProblem `json:"unreadableExpiry,omitempty"`
	Prune      bool         `json:"prune"`
	// Teams are the file's teams and, with prune, the ones it no longer lists: what happens to
	// their Kubernetes objects (applied before the entries change, deleted after).
	Teams []TeamPlan `json:"teams,omitempty"`
}

// Changes counts the API calls the plan makes (the mode switch and the teams' Kubernetes
// writes included).
func (p *ClusterPlan) Changes() int {
	n := p.KubeWrites()
	if p.ModeSwitch != nil {
		n++
	}
	for _, pp := range p.Plans {
		n += len(pp.Changes)
	}
	return n
}

// Counts tallies the changes by action.
func (p *ClusterPlan) Counts() map[Action]int {
	m := map[Action]int{}
	for _, pp := range p.Plans {
		for _, c := range pp.Changes {
			m[c.Action]++
		}
	}
	return m
}

// BuildOptions tune Build.
type BuildOptions struct {
	// Prune deletes managed entries the desired list no longer names.
	Prune bool
	// AuthenticationMode, when set, is the mode the cluster must end in.
	AuthenticationMode string
	Guard              Guard
	// Now is when the plan runs (relative expiries).
	Now time.Time
	// Extra are plans for entries the desired list does not name, made by the caller (a
	// pruned team's groups taken off entries eksaccess does not manage); the guardrails
	// check them with the rest.
	Extra []PrincipalPlan
}

// BuildError is a desired state that no plan can reach (bad input: exit 2).
type BuildError struct {
	Problems []string
}

func (e *BuildError) Error() string { return strings.Join(e.Problems, "\n") }

// ExitCode marks a BuildError as bad input.
func (e *BuildError) ExitCode() int { return 2 }

// Build plans a whole cluster in Exact mode: every desired entry ends exactly as listed,
// listed entries that exist unmanaged are adopted when pruning (the managed tag matters
// only to prune, so without it eksaccess does not write one), and with Prune the managed
// entries no longer listed are deleted. The guardrails run over the result.
func Build(cluster string, desired []DesiredEntry, live *LiveCluster, o BuildOptions) (*ClusterPlan, error) {
	cp := &ClusterPlan{Cluster: cluster, Region: live.Region, Prune: o.Prune, Plans: []PrincipalPlan{}}
	var bad []string
	mode := live.AuthenticationMode
	if o.AuthenticationMode != "" && o.AuthenticationMode != mode {
		if msg := CheckModeSwitch(cluster, mode, o.AuthenticationMode); msg != "" {
			bad = append(bad, msg)
		} else {
			cp.ModeSwitch = &ModeSwitch{From: mode, To: o.AuthenticationMode}
			mode = o.AuthenticationMode
		}
	}
	if mode == "CONFIG_MAP" && len(desired) > 0 {
		bad = append(bad, fmt.Sprintf("cluster %s authenticates only through the aws-auth ConfigMap (CONFIG_MAP) and has no access entries: add authenticationMode: API_AND_CONFIG_MAP to its section of the file (or run `eksaccess auth-mode -c %s --set API_AND_CONFIG_MAP`)", cluster, cluster))
	}
	if cp.ModeSwitch != nil && cp.ModeSwitch.To == "API" {
		cp.Notes = append(cp.Notes, "switching to API: the aws-auth ConfigMap stops being read, so principals mapped only there lose access; this cannot be undone")
	}
	listed := map[string]bool{}
	for i := range desired {
		d := desired[i]
		listed[d.PrincipalArn] = true
		le := live.Entries[d.PrincipalArn]
		if le != nil && le.Type != d.TypeOrStandard() {
			bad = append(bad, fmt.Sprintf("%s: %s already has a %s access entry on %s, and an entry's type cannot change: write type: %s, or delete the entry first (eksaccess revoke) to replace it", d.Source, d.PrincipalArn, le.Type, cluster, le.Type))
			continue
		}
		if le != nil {
			d.Tags = cloneTags(d.Tags)
			if !le.Managed() && (le.Type != "STANDARD" || (!o.Prune && d.ExpiresAt.IsZero())) {
				// Adoption serves prune and expire only, and neither touches non-STANDARD
				// entries; without them the tag would be a write that changes nothing.
				delete(d.Tags, TagManaged)
			}
		}
		set, remove := ExactExpiry(le, d.Policies, d.ExpiresAt, d.ExpiresSpec)
		d.Tags = cloneTags(d.Tags)
		for k, v := range set {
			d.Tags[k] = v
		}
		d.RemoveTags = append(slices.Clone(d.RemoveTags), remove...)
		pp := DiffEntry(cluster, Exact, &d, le)
		if len(pp.Changes) == 0 {
			cp.Unchanged++
			continue
		}
		cp.Plans = append(cp.Plans, pp)
	}
	if len(bad) > 0 {
		return nil, &BuildError{Problems: bad}
	}
	unmanaged := 0
	for _, pp := range o.Extra {
		listed[pp.Principal] = true
	}
	for _, le := range live.SortedEntries() {
		if listed[le.PrincipalArn] {
			continue
		}
		switch {
		case !le.Managed():
			unmanaged++
		case o.Prune:
			cp.Plans = append(cp.Plans, DeleteEntry(cluster, le, "prune: managed by eksaccess and no longer in the file"))
		default:
			cp.Notes = append(cp.Notes, fmt.Sprintf("%s is managed by eksaccess but no longer in the file: kept (apply --prune, or prune: true, removes it)", le.PrincipalArn))
		}
	}
	if unmanaged > 0 {
		what := "entries"
		if unmanaged == 1 {
			what = "entry"
		}
		cp.Notes = append(cp.Notes, fmt.Sprintf("%d %s not in the file and not managed by eksaccess: left alone", unmanaged, what))
	}
	for _, pp := range o.Extra {
		if len(pp.Changes) > 0 {
			cp.Plans = append(cp.Plans, pp)
		}
	}
	for _, le := range live.SortedEntries() {
		cp.Unreadable = append(cp.Unreadable, ReadExpiry(le).Problems...)
	}
	cp.Refusals = Check(live, cp.Plans, cp.ModeSwitch, o.Guard)
	return cp, nil
}

func cloneTags(m map[string]string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}
