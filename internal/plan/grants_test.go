package plan

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

var tNow = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// grantOn runs one additive grant through the planner and Project, as the grant use case
// does, and returns the entry it leads to.
func grantOn(t *testing.T, e *LiveEntry, pols []DesiredPolicy, at time.Time) *LiveEntry {
	t.Helper()
	arn := tAcct + "user/erin"
	set, remove, err := GrantExpiry(e, pols, at)
	if err != nil {
		t.Fatal(err)
	}
	set[TagManaged] = "true"
	d := &DesiredEntry{PrincipalArn: arn, Policies: pols, Tags: set, RemoveTags: remove}
	pp := DiffEntry("c", Additive, d, e)
	live := &LiveCluster{Name: "c", Entries: map[string]*LiveEntry{}}
	if e != nil {
		live.Entries[arn] = e
	}
	return Project(live, []PrincipalPlan{pp}, nil).Entries[arn]
}

func expireOn(t *testing.T, e *LiveEntry, now time.Time) (*LiveEntry, *Expired) {
	t.Helper()
	pp, x := ExpireEntry("c", e, now)
	live := &LiveCluster{Name: "c", Entries: map[string]*LiveEntry{e.PrincipalArn: e}}
	return Project(live, []PrincipalPlan{pp}, nil).Entries[e.PrincipalArn], x
}

// expireLeaves expires e at now and stops the test (what went wrong: what) unless the entry
// stays with the policy scopes want; it returns what stays.
func expireLeaves(t *testing.T, e *LiveEntry, now time.Time, want, what string) *LiveEntry {
	t.Helper()
	after, _ := expireOn(t, e, now)
	if got := scopes(after); got != want {
		t.Fatalf("%s: %s", what, got)
	}
	return after
}

// expireDeletes expires e at now and stops the test unless the whole entry goes.
func expireDeletes(t *testing.T, e *LiveEntry, now time.Time, what string) {
	t.Helper()
	after, x := expireOn(t, e, now)
	if after != nil || !x.Deleted {
		t.Fatalf("%s: %s %+v", what, scopes(after), x)
	}
}

func scopes(e *LiveEntry) string {
	if e == nil {
		return "<no entry>"
	}
	var out []string
	for _, p := range e.Policies {
		out = append(out, DescribePolicy(p.PolicyArn, p.Namespaces))
	}
	return strings.Join(out, " ")
}

func TestGrantIsAdditive(t *testing.T) {
	e := grantOn(t, nil, []DesiredPolicy{{PolicyArn: tView, Namespaces: []string{"ns1"}}}, time.Time{})
	e = grantOn(t, e, []DesiredPolicy{{PolicyArn: tView, Namespaces: []string{"ns2"}}}, time.Time{})
	if got := scopes(e); got != "AmazonEKSViewPolicy(ns1,ns2)" {
		t.Fatalf("namespaces merge: %s", got)
	}
	e = grantOn(t, e, []DesiredPolicy{{PolicyArn: tView}}, time.Time{})
	if got := scopes(e); got != "AmazonEKSViewPolicy(cluster)" {
		t.Fatalf("cluster scope widens: %s", got)
	}
	e = grantOn(t, e, []DesiredPolicy{{PolicyArn: tView, Namespaces: []string{"ns3"}}}, time.Time{})
	if got := scopes(e); got != "AmazonEKSViewPolicy(cluster)" {
		t.Fatalf("a namespace grant never narrows cluster scope: %s", got)
	}
}

func TestExpiryIsPerGrant(t *testing.T) {
	t.Parallel()
	soon := tNow.Add(2 * time.Second)
	t.Run("an expiring grant takes only itself away", func(t *testing.T) {
		e := grantOn(t, nil, []DesiredPolicy{{PolicyArn: tView}}, time.Time{})
		e = grantOn(t, e, []DesiredPolicy{{PolicyArn: tEdit, Namespaces: []string{"tmp"}}}, soon)
		if _, x := expireOn(t, e, tNow); x != nil {
			t.Fatalf("nothing has expired yet: %+v", x)
		}
		after, x := expireOn(t, e, soon)
		if got := scopes(after); got != "AmazonEKSViewPolicy(cluster)" || x.Deleted {
			t.Fatalf("the permanent View stays: %s %+v", got, x)
		}
		if len(after.Tags) != 1 {
			t.Fatalf("the record is removed: %v", after.Tags)
		}
	})
	t.Run("a grant without expiry never inherits one", func(t *testing.T) {
		e := grantOn(t, nil, []DesiredPolicy{{PolicyArn: tEdit, Namespaces: []string{"tmp"}}}, soon)
		e = grantOn(t, e, []DesiredPolicy{{PolicyArn: tView}}, time.Time{})
		expireLeaves(t, e, soon, "AmazonEKSViewPolicy(cluster)", "View stays, Edit goes")
		e = grantOn(t, nil, []DesiredPolicy{{PolicyArn: tEdit, Namespaces: []string{"a", "b"}}}, soon)
		e = grantOn(t, e, []DesiredPolicy{{PolicyArn: tEdit, Namespaces: []string{"a"}}}, time.Time{})
		expireLeaves(t, e, soon, "AmazonEKSEditPolicy(a)", "the namespace granted for good stays")
	})
	t.Run("an expiring cluster scope falls back to the permanent namespaces", func(t *testing.T) {
		e := grantOn(t, nil, []DesiredPolicy{{PolicyArn: tView, Namespaces: []string{"a"}}}, time.Time{})
		e = grantOn(t, e, []DesiredPolicy{{PolicyArn: tView}}, soon)
		if got := scopes(e); got != "AmazonEKSViewPolicy(cluster)" {
			t.Fatalf("widened: %s", got)
		}
		e = grantOn(t, e, []DesiredPolicy{{PolicyArn: tView, Namespaces: []string{"b"}}}, time.Time{})
		expireLeaves(t, e, soon, "AmazonEKSViewPolicy(a,b)", "falls back")
	})
	t.Run("an entry with nothing left is deleted", func(t *testing.T) {
		e := grantOn(t, nil, []DesiredPolicy{{PolicyArn: tEdit, Namespaces: []string{"dev-*"}}}, soon)
		if v := e.Tags[TagExpiresPrefix+"AmazonEKSEditPolicy"]; v != FormatExpiry(soon)+" dev-@" {
			t.Fatalf("encoding: %q", v)
		}
		expireDeletes(t, e, soon, "deleted")
	})
	t.Run("two expiring grants of one policy", func(t *testing.T) {
		later := soon.Add(time.Hour)
		e := grantOn(t, nil, []DesiredPolicy{{PolicyArn: tEdit, Namespaces: []string{"a"}}}, soon)
		e = grantOn(t, e, []DesiredPolicy{{PolicyArn: tEdit, Namespaces: []string{"b"}}}, later)
		after := expireLeaves(t, e, soon, "AmazonEKSEditPolicy(b)", "the later one stays")
		expireDeletes(t, after, later, "then all goes")
	})
	t.Run("the entry-wide tag of earlier versions", func(t *testing.T) {
		e := &LiveEntry{PrincipalArn: tAcct + "user/erin", Type: "STANDARD", Tags: map[string]string{TagManaged: "true", TagExpires: "2026-06-01"},
			Policies: []LivePolicy{{PolicyArn: tEdit, ScopeType: "namespace", Namespaces: []string{"x"}}}}
		e2 := grantOn(t, e, []DesiredPolicy{{PolicyArn: tView}}, time.Time{})
		if _, ok := e2.Tags[TagExpires]; ok {
			t.Fatalf("the entry-wide tag is spelled out per grant: %v", e2.Tags)
		}
		expireLeaves(t, e2, tNow, "AmazonEKSViewPolicy(cluster)", "the old grant expires, the new one stays")
		expireDeletes(t, e, tNow, "a date-only legacy tag is read and expires")
	})
}

func TestUnreadableExpiryTags(t *testing.T) {
	e := &LiveEntry{PrincipalArn: "p", Tags: map[string]string{TagExpires: "next tuesday", TagExpiresPrefix + "AmazonEKSViewPolicy": "soon-ish ns"}}
	x := ReadExpiry(e)
	if len(x.Problems) != 2 {
		t.Fatalf("problems: %+v", x.Problems)
	}
	for _, p := range x.Problems {
		if !strings.Contains(p.String(), "is not a time") {
			t.Fatalf("problem: %s", p)
		}
	}
	for _, v := range []string{"2020-01-01", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00.5+02:00"} {
		if _, err := ParseTagTime(v); err != nil {
			t.Fatalf("%s: %v", v, err)
		}
	}
}

func TestGrantExpiryStaysWithinTagLimits(t *testing.T) {
	e := &LiveEntry{PrincipalArn: "p", Type: "STANDARD", Tags: map[string]string{}}
	for i := 0; i < 50; i++ {
		e.Tags[fmt.Sprintf("k%d", i)] = "v"
	}
	if _, _, err := GrantExpiry(e, []DesiredPolicy{{PolicyArn: tView}}, tNow); err == nil || !strings.Contains(err.Error(), "EKS allows 50") {
		t.Fatalf("50 tags: %v", err)
	}
	var many []string
	for i := 0; i < 30; i++ {
		many = append(many, fmt.Sprintf("namespace-number-%02d", i))
	}
	if _, _, err := GrantExpiry(nil, []DesiredPolicy{{PolicyArn: tView, Namespaces: many}}, tNow); err == nil || !strings.Contains(err.Error(), "256") {
		t.Fatalf("long value: %v", err)
	}
}
