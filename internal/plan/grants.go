package plan

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Expiry is recorded per grant, on the access entry, as tags (docs/expiry.md):
//
//	eksaccess/expires/POLICY[/N]  "TIME[ d=SPEC][ NS...]"
//	eksaccess/keeps/POLICY        "NS..."
//
// A record says that at TIME the grant of POLICY goes: with namespaces, those namespaces of
// the association; without, its cluster scope. SPEC is the relative expiry (30d) an access
// file gave, so that apply counts it from the apply that set it and notices when it
// changes. A namespace wildcard's * is written @ (tag values cannot hold *). When a
// cluster-scope record exists, the keeps tag lists the namespaces granted for good, which
// the association falls back to when the cluster scope expires. EKS allows 50 tags of up to
// 128-character keys and 256-character values; a grant that would not fit is refused.
const (
	TagExpiresPrefix = "eksaccess/expires/"
	TagKeepsPrefix   = "eksaccess/keeps/"
	maxTags          = 50
	maxTagValue      = 256
	maxTagKey        = 128
)

// ExpiryRecord is one expiring grant.
type ExpiryRecord struct {
	Key        string    `json:"key"`
	Policy     string    `json:"policy"` // access policy name
	At         time.Time `json:"at"`
	Spec       string    `json:"spec,omitempty"`
	Namespaces []string  `json:"namespaces,omitempty"` // nil: the cluster scope
}

// Cluster reports whether the record is the association's cluster scope.
func (r ExpiryRecord) Cluster() bool { return len(r.Namespaces) == 0 }

// TagProblem is an expiry tag eksaccess cannot read.
type TagProblem struct {
	Principal string `json:"principal"`
	Key       string `json:"key"`
	Problem   string `json:"problem"`
}

func (p TagProblem) String() string {
	return fmt.Sprintf("%s: tag %s: %s: fix or remove the tag (aws eks untag-resource), or grant again", p.Principal, p.Key, p.Problem)
}

// EntryExpiry is what an entry's tags say about expiry.
type EntryExpiry struct {
	Records []ExpiryRecord
	Keeps   map[string][]string // policy name → namespaces kept for good
	// Legacy is the entry-wide expiry tag of earlier versions (eksaccess/expires): every
	// association of the entry expires at that time.
	Legacy   time.Time
	Problems []TagProblem
}

// ParseTagTime reads an expiry time in every format eksaccess writes or accepts: RFC 3339
// (with or without fractions or offset) and YYYY-MM-DD (midnight UTC).
func ParseTagTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time (want 2026-12-31T00:00:00Z or 2026-12-31)", clip(s))
}

func clip(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}

// ReadExpiry parses an entry's expiry tags.
func ReadExpiry(e *LiveEntry) EntryExpiry {
	x := EntryExpiry{Keeps: map[string][]string{}}
	for _, k := range slices.Sorted(maps.Keys(e.Tags)) {
		v := e.Tags[k]
		switch {
		case k == TagExpires:
			t, err := ParseTagTime(v)
			if err != nil {
				x.Problems = append(x.Problems, TagProblem{e.PrincipalArn, k, err.Error()})
				continue
			}
			x.Legacy = t
		case strings.HasPrefix(k, TagExpiresPrefix):
			rest := strings.TrimPrefix(k, TagExpiresPrefix)
			pol, _, _ := strings.Cut(rest, "/")
			fields := strings.Fields(v)
			if pol == "" || len(fields) == 0 {
				x.Problems = append(x.Problems, TagProblem{e.PrincipalArn, k, "empty record"})
				continue
			}
			t, err := ParseTagTime(fields[0])
			if err != nil {
				x.Problems = append(x.Problems, TagProblem{e.PrincipalArn, k, err.Error()})
				continue
			}
			r := ExpiryRecord{Key: k, Policy: pol, At: t}
			for _, f := range fields[1:] {
				if spec, ok := strings.CutPrefix(f, "d="); ok {
					r.Spec = spec
					continue
				}
				r.Namespaces = append(r.Namespaces, strings.ReplaceAll(f, "@", "*"))
			}
			sort.Strings(r.Namespaces)
			x.Records = append(x.Records, r)
		case strings.HasPrefix(k, TagKeepsPrefix):
			pol := strings.TrimPrefix(k, TagKeepsPrefix)
			var ns []string
			for _, f := range strings.Fields(v) {
				ns = append(ns, strings.ReplaceAll(f, "@", "*"))
			}
			x.Keeps[pol] = ns
		}
	}
	return x
}

func encodeRecord(r ExpiryRecord) string {
	parts := []string{FormatExpiry(r.At)}
	if r.Spec != "" {
		parts = append(parts, "d="+r.Spec)
	}
	for _, n := range r.Namespaces {
		parts = append(parts, strings.ReplaceAll(n, "*", "@"))
	}
	return strings.Join(parts, " ")
}

func encodeNamespaces(ns []string) string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = strings.ReplaceAll(n, "*", "@")
	}
	return strings.Join(out, " ")
}

// scope is an association's scope: the cluster, or a set of namespaces.
type scope struct {
	cluster bool
	ns      []string
}

func (s scope) empty() bool { return !s.cluster && len(s.ns) == 0 }

func union(a, b scope) scope {
	if a.cluster || b.cluster {
		return scope{cluster: true}
	}
	return scope{ns: sortedSet(append(slices.Clone(a.ns), b.ns...))}
}

func minus(a []string, b []string) []string {
	return slices.DeleteFunc(slices.Clone(a), func(n string) bool { return slices.Contains(b, n) })
}

func sortedSet(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	s = slices.Clone(s)
	sort.Strings(s)
	return slices.Compact(s)
}

func liveScope(p LivePolicy) scope {
	if p.ScopeType == "cluster" {
		return scope{cluster: true}
	}
	return scope{ns: sortedSet(p.Namespaces)}
}

func (s scope) desired(arn string) DesiredPolicy {
	if s.cluster {
		return DesiredPolicy{PolicyArn: arn}
	}
	return DesiredPolicy{PolicyArn: arn, Namespaces: s.ns}
}

// recordsFor returns x's records of a policy, with the legacy entry-wide expiry turned into
// a record of the association's whole scope.
func (x EntryExpiry) recordsFor(pol string, assoc *LivePolicy) []ExpiryRecord {
	var out []ExpiryRecord
	for _, r := range x.Records {
		if r.Policy == pol {
			out = append(out, r)
		}
	}
	if !x.Legacy.IsZero() && len(x.Records) == 0 && assoc != nil {
		r := ExpiryRecord{Key: TagExpires, Policy: pol, At: x.Legacy}
		if assoc.ScopeType != "cluster" {
			r.Namespaces = sortedSet(assoc.Namespaces)
		}
		out = append(out, r)
	}
	return out
}

// base is what of the association is granted for good.
func base(assoc *LivePolicy, recs []ExpiryRecord, keeps []string) scope {
	if assoc == nil {
		return scope{}
	}
	have := liveScope(*assoc)
	clusterRec := slices.ContainsFunc(recs, func(r ExpiryRecord) bool { return r.Cluster() })
	if have.cluster {
		if clusterRec {
			return scope{ns: sortedSet(keeps)}
		}
		return scope{cluster: true}
	}
	var timed []string
	for _, r := range recs {
		timed = append(timed, r.Namespaces...)
	}
	return scope{ns: minus(have.ns, timed)}
}

// GrantExpiry is what an additive grant of policies does to an entry's expiry tags: an
// expiring grant (at non-zero) records what it adds beyond what is granted for good; a grant
// without expiry makes what it covers permanent, so it never inherits another grant's
// expiry. It returns the tags to set and the keys to remove.
func GrantExpiry(live *LiveEntry, policies []DesiredPolicy, at time.Time) (set map[string]string, remove []string, err error) {
	set = map[string]string{}
	tags := map[string]string{}
	x := EntryExpiry{Keeps: map[string][]string{}}
	if live != nil {
		tags = cloneTags(live.Tags)
		x = ReadExpiry(live)
	}
	legacy := !x.Legacy.IsZero() && len(x.Records) == 0
	if legacy && live != nil {
		// Spell the entry-wide expiry out per association, so that the new grant can leave
		// the others' expiry alone and make its own permanent.
		delete(tags, TagExpires)
		remove = append(remove, TagExpires)
		for _, p := range live.Policies {
			p := p
			for _, r := range x.recordsFor(PolicyName(p.PolicyArn), &p) {
				r.Key = ""
				k, v := putRecord(tags, r)
				set[k] = v
			}
		}
		x = ReadExpiry(&LiveEntry{PrincipalArn: live.PrincipalArn, Tags: tags})
	}
	for _, p := range policies {
		pol := PolicyName(p.PolicyArn)
		var assoc *LivePolicy
		if live != nil {
			if a, ok := live.Policy(p.PolicyArn); ok {
				assoc = &a
			}
		}
		recs := x.recordsFor(pol, assoc)
		keeps := x.Keeps[pol]
		b := base(assoc, recs, keeps)
		g := scope{cluster: p.ScopeType() == "cluster", ns: sortedSet(p.Namespaces)}
		if at.IsZero() {
			if g.cluster {
				for _, r := range recs {
					remove = append(remove, r.Key)
					delete(tags, r.Key)
				}
				if _, ok := tags[TagKeepsPrefix+pol]; ok {
					remove = append(remove, TagKeepsPrefix+pol)
					delete(tags, TagKeepsPrefix+pol)
				}
				continue
			}
			clusterRec := false
			for _, r := range recs {
				if r.Cluster() {
					clusterRec = true
					continue
				}
				left := minus(r.Namespaces, g.ns)
				if len(left) == len(r.Namespaces) {
					continue
				}
				if len(left) == 0 {
					remove = append(remove, r.Key)
					delete(tags, r.Key)
					continue
				}
				r.Namespaces = left
				tags[r.Key] = encodeRecord(r)
				set[r.Key] = tags[r.Key]
			}
			if clusterRec {
				k := TagKeepsPrefix + pol
				tags[k] = encodeNamespaces(sortedSet(append(slices.Clone(keeps), g.ns...)))
				set[k] = tags[k]
			}
			continue
		}
		if b.cluster {
			continue // granted for good at cluster scope already
		}
		r := ExpiryRecord{Policy: pol, At: at.UTC().Truncate(time.Second)}
		if g.cluster {
			if !slices.ContainsFunc(recs, func(r ExpiryRecord) bool { return r.Cluster() }) && len(b.ns) > 0 {
				k := TagKeepsPrefix + pol
				tags[k] = encodeNamespaces(b.ns)
				set[k] = tags[k]
			}
		} else {
			r.Namespaces = minus(g.ns, b.ns)
			if len(r.Namespaces) == 0 {
				continue
			}
		}
		k, v := putRecord(tags, r)
		set[k] = v
	}
	for _, k := range remove {
		delete(set, k)
	}
	if err := checkTagLimits(tags); err != nil {
		return nil, nil, err
	}
	slices.Sort(remove)
	return set, slices.Compact(remove), nil
}

// putRecord stores r under the first free key of its policy and returns it.
func putRecord(tags map[string]string, r ExpiryRecord) (string, string) {
	k := TagExpiresPrefix + r.Policy
	for n := 2; ; n++ {
		if _, used := tags[k]; !used {
			break
		}
		k = TagExpiresPrefix + r.Policy + "/" + strconv.Itoa(n)
	}
	tags[k] = encodeRecord(r)
	return k, tags[k]
}

func checkTagLimits(tags map[string]string) error {
	if len(tags) > maxTags {
		return fmt.Errorf("the entry would carry %d tags, and EKS allows %d: expiring grants take one tag each; let some expire (eksaccess expire) or grant them without --expires", len(tags), maxTags)
	}
	for k, v := range tags {
		if len(k) > maxTagKey {
			return fmt.Errorf("tag key %s is longer than EKS's %d characters", clip(k), maxTagKey)
		}
		if len(v) > maxTagValue {
			return fmt.Errorf("the expiry record %s would be %d characters, and EKS allows %d: grant fewer namespaces per expiring grant", k, len(v), maxTagValue)
		}
	}
	return nil
}

// ExactExpiry is the expiry tags apply writes for an entry that should have exactly these
// policies, all expiring at at (zero: none expire), spec being the relative expiry ("30d")
// when the file gave one: a record written for the same spec keeps its time.
func ExactExpiry(live *LiveEntry, policies []DesiredPolicy, at time.Time, spec string) (set map[string]string, remove []string) {
	set = map[string]string{}
	var x EntryExpiry
	if live != nil {
		x = ReadExpiry(live)
		for k := range live.Tags {
			if k == TagExpires || strings.HasPrefix(k, TagExpiresPrefix) || strings.HasPrefix(k, TagKeepsPrefix) {
				remove = append(remove, k)
			}
		}
	}
	if !at.IsZero() {
		for _, p := range policies {
			r := ExpiryRecord{Policy: PolicyName(p.PolicyArn), At: at.UTC().Truncate(time.Second), Spec: spec, Namespaces: sortedSet(p.Namespaces)}
			if spec != "" {
				for _, old := range x.Records {
					if old.Policy == r.Policy && old.Spec == spec && slices.Equal(old.Namespaces, r.Namespaces) {
						r.At = old.At
					}
				}
			}
			set[TagExpiresPrefix+r.Policy] = encodeRecord(r)
		}
	}
	remove = slices.DeleteFunc(remove, func(k string) bool { _, ok := set[k]; return ok })
	sort.Strings(remove)
	return set, remove
}

// Expired is what has expired on one entry.
type Expired struct {
	Principal string         `json:"principal"`
	Records   []ExpiryRecord `json:"expired"`
	Managed   bool           `json:"managed"`
	// Deleted: nothing is left, so the entry goes.
	Deleted bool `json:"deleted"`
	// LeftAlone: an entry-wide expiry (of earlier versions) on an entry eksaccess does not
	// manage: reported, not acted on.
	LeftAlone bool `json:"leftAlone,omitempty"`
}

// ExpireEntry is the plan that takes away what has expired on e at now: expired namespaces
// leave their association (which goes when none remain), an expired cluster scope falls back
// to what is granted for good, the records go, and a managed entry left with nothing (no
// policy, no group) is deleted.
func ExpireEntry(cluster string, e *LiveEntry, now time.Time) (PrincipalPlan, *Expired) {
	x := ReadExpiry(e)
	exp := &Expired{Principal: e.PrincipalArn, Managed: e.Managed()}
	pp := PrincipalPlan{Principal: e.PrincipalArn, Exists: true}
	if len(x.Records) == 0 && !x.Legacy.IsZero() && !x.Legacy.After(now) && !e.Managed() {
		exp.Records, exp.LeftAlone = []ExpiryRecord{{Key: TagExpires, At: x.Legacy}}, true
		return pp, exp
	}
	add := func(c Change) {
		c.Cluster, c.Principal, c.EntryArn = cluster, e.PrincipalArn, e.AccessEntryArn
		pp.Changes = append(pp.Changes, c)
	}
	var untag []string
	left := 0
	pols := slices.Clone(e.Policies)
	for _, lp := range pols {
		lp := lp
		pol := PolicyName(lp.PolicyArn)
		recs := x.recordsFor(pol, &lp)
		var live []ExpiryRecord
		var gone []ExpiryRecord
		for _, r := range recs {
			if r.At.After(now) {
				live = append(live, r)
			} else {
				gone = append(gone, r)
			}
		}
		if len(gone) == 0 {
			left++
			continue
		}
		exp.Records = append(exp.Records, gone...)
		next := base(&lp, recs, x.Keeps[pol])
		for _, r := range live {
			next = union(next, scope{cluster: r.Cluster(), ns: r.Namespaces})
		}
		note := "expired at " + FormatExpiry(gone[0].At)
		switch {
		case next.empty():
			p := DesiredPolicy{PolicyArn: lp.PolicyArn, Namespaces: lp.Namespaces}
			add(Change{Action: ActDisassociate, Policy: &p, Before: DescribePolicy(lp.PolicyArn, lp.Namespaces), Note: note})
		case !sameScope(lp, next.desired(lp.PolicyArn)):
			p := next.desired(lp.PolicyArn)
			add(Change{Action: ActRescope, Policy: &p, Before: DescribePolicy(lp.PolicyArn, lp.Namespaces), After: DescribePolicy(p.PolicyArn, p.Namespaces), Note: note})
			left++
		default:
			left++
		}
		for _, r := range gone {
			if r.Key != TagExpires {
				untag = append(untag, r.Key)
			}
		}
		if !slices.ContainsFunc(live, func(r ExpiryRecord) bool { return r.Cluster() }) {
			if _, ok := e.Tags[TagKeepsPrefix+pol]; ok {
				untag = append(untag, TagKeepsPrefix+pol)
			}
		}
	}
	legacyGone := !x.Legacy.IsZero() && !x.Legacy.After(now)
	if legacyGone {
		untag = append(untag, TagExpires)
		if len(x.Records) == 0 && len(exp.Records) == 0 {
			exp.Records = append(exp.Records, ExpiryRecord{Key: TagExpires, At: x.Legacy})
		}
	}
	if len(exp.Records) == 0 {
		return PrincipalPlan{Principal: e.PrincipalArn, Exists: true}, nil
	}
	if left == 0 && len(e.KubernetesGroups) == 0 && e.Managed() && (len(x.Records) > 0 || legacyGone) {
		exp.Deleted = true
		pp.Changes = nil
		add(Change{Action: ActDelete, Before: describeLive(e), Note: "every grant expired"})
		return pp, exp
	}
	if len(untag) > 0 {
		sort.Strings(untag)
		add(Change{Action: ActUntag, TagKeys: slices.Compact(untag)})
	}
	return pp, exp
}
