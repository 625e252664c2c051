package usecase

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"eksaccess/internal/plan"
)

// Fixtures, each set up so that exactly one invariant is at stake.
const (
	carol   = iamPrefix + "user/carol"   // the caller
	creator = iamPrefix + "user/creator" // made the cluster
	ops     = iamPrefix + "user/ops"     // an admin who is neither
	viewer  = iamPrefix + "user/viewer"
	node    = iamPrefix + "role/node"
)

var users = []string{"carol", "creator", "ops", "viewer"}

// callerFixture: carol (the caller) is cluster admin through her own entry; the creator too.
func callerFixture(w *world) {
	c := w.eks.addCluster("c", "API_AND_CONFIG_MAP")
	c.add(creator, "STANDARD", clusterCreated, nil, "AmazonEKSClusterAdminPolicy")
	c.add(carol, "STANDARD", clusterCreated.Add(48*time.Hour), map[string]string{plan.TagManaged: "true", plan.TagExpiresPrefix + "AmazonEKSClusterAdminPolicy": "2026-05-01T00:00:00Z"}, "AmazonEKSClusterAdminPolicy")
}

// lastAdminFixture: ops holds the only cluster-scoped admin; no creator entry; the caller is
// a viewer (who has no admin to lose).
func lastAdminFixture(w *world) {
	c := w.eks.addCluster("c", "API_AND_CONFIG_MAP")
	c.add(ops, "STANDARD", clusterCreated.Add(48*time.Hour), map[string]string{plan.TagManaged: "true", plan.TagExpiresPrefix + "AmazonEKSClusterAdminPolicy": "2026-05-01T00:00:00Z"}, "AmazonEKSClusterAdminPolicy")
	c.add(viewer, "STANDARD", clusterCreated.Add(48*time.Hour), nil, "AmazonEKSViewPolicy")
}

// creatorFixture: the creator's entry and, apart from it, carol as admin.
func creatorFixture(w *world) {
	c := w.eks.addCluster("c", "API_AND_CONFIG_MAP")
	c.add(creator, "STANDARD", clusterCreated, map[string]string{plan.TagManaged: "true", plan.TagExpiresPrefix + "AmazonEKSClusterAdminPolicy": "2026-05-01T00:00:00Z"}, "AmazonEKSClusterAdminPolicy")
	c.add(carol, "STANDARD", clusterCreated.Add(48*time.Hour), nil, "AmazonEKSClusterAdminPolicy")
}

// nodeFixture: a managed node entry beside two admins.
func nodeFixture(w *world) {
	c := w.eks.addCluster("c", "API_AND_CONFIG_MAP")
	c.add(creator, "STANDARD", clusterCreated, nil, "AmazonEKSClusterAdminPolicy")
	c.add(carol, "STANDARD", clusterCreated.Add(48*time.Hour), nil, "AmazonEKSClusterAdminPolicy")
	c.add(node, "EC2_LINUX", clusterCreated.Add(48*time.Hour), map[string]string{plan.TagManaged: "true", plan.TagExpires: "2026-05-01T00:00:00Z"})
}

// mappedCallerFixture: the caller is admin only through aws-auth; the creator has an entry.
func mappedCallerFixture(w *world) {
	c := w.eks.addCluster("c", "API_AND_CONFIG_MAP")
	c.add(creator, "STANDARD", clusterCreated, nil, "AmazonEKSClusterAdminPolicy")
	c.add(carol, "STANDARD", clusterCreated.Add(48*time.Hour), nil, "AmazonEKSViewPolicy:team-a")
	w.awsAuth["c"] = mastersMapping(carol)
}

// mappedOnlyFixture: nobody has an admin entry; ops is system:masters in aws-auth.
func mappedOnlyFixture(w *world) {
	c := w.eks.addCluster("c", "API_AND_CONFIG_MAP")
	c.add(viewer, "STANDARD", clusterCreated.Add(48*time.Hour), nil, "AmazonEKSViewPolicy")
	w.awsAuth["c"] = mastersMapping(ops)
}

// An access file for the fixture's cluster listing items (YAML lines under access:).
func accessFile(t *testing.T, mode string, items ...string) string {
	t.Helper()
	body := "apiVersion: eksaccess/v1\nkind: AccessConfig\nclusters:\n  - name: c\n    region: us-west-2\n"
	if mode != "" {
		body += "    authenticationMode: " + mode + "\n"
	}
	body += "    access:\n"
	for _, it := range items {
		body += "      " + strings.ReplaceAll(it, "\n", "\n      ") + "\n"
	}
	p := filepath.Join(t.TempDir(), "access.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const (
	adminItem = "- principal: %s\n  policies: [{policy: AmazonEKSClusterAdminPolicy}]"
	viewItem  = "- principal: %s\n  policies: [{policy: AmazonEKSViewPolicy}]"
	nsItem    = "- principal: %s\n  policies: [{policy: AmazonEKSClusterAdminPolicy, namespaces: [foo]}]"
	nodeItem  = "- principal: role/node\n  type: EC2_LINUX"
)

func item(format, arn string) string { return strings.Replace(format, "%s", arn, 1) }

// path runs one job the way its command does, with --force ARNs; it returns the job's error.
type path func(t *testing.T, w *world, force []string) error

func revokeEntry(who string) path {
	return func(t *testing.T, w *world, force []string) error {
		_, err := w.env.Revoke(context.Background(), RevokeRequest{AccessTarget: AccessTarget{Cluster: ClusterRef{Name: "c"}, Principals: Principals{Args: []string{who}}}, Force: force, Concurrency: 4})
		return err
	}
}

func revokePolicy(who, pol string, ns ...string) path {
	return func(t *testing.T, w *world, force []string) error {
		_, err := w.env.Revoke(context.Background(), RevokeRequest{AccessTarget: AccessTarget{Cluster: ClusterRef{Name: "c"}, Principals: Principals{Args: []string{who}}, Policies: []string{pol}, Namespaces: ns}, Force: force, Concurrency: 4})
		return err
	}
}

func applyFile(prune bool, mode string, items ...string) path {
	return func(t *testing.T, w *world, force []string) error {
		fp, err := w.env.PlanFile(context.Background(), FileRequest{File: accessFile(t, mode, items...), Prune: prune, Force: force, Concurrency: 4})
		if err != nil {
			return err
		}
		_, err = w.env.ApplyFile(context.Background(), fp)
		return err
	}
}

func expire() path {
	return func(t *testing.T, w *world, force []string) error {
		_, err := w.env.Expire(context.Background(), ExpireRequest{Cluster: ClusterRef{Name: "c"}, Force: force, Concurrency: 4})
		return err
	}
}

func authMode(mode string) path {
	return func(t *testing.T, w *world, force []string) error {
		res, ch, err := w.env.AuthModeStatus(context.Background(), AuthModeRequest{Cluster: ClusterRef{Name: "c"}, Set: mode, Force: force})
		if err != nil {
			return err
		}
		_, err = w.env.SwitchAuthMode(context.Background(), res, ch, force)
		return err
	}
}

// takeAdmin is every path that takes a cluster admin's access away from who: revoking the
// entry, revoking the admin policy and expiring, plus the access-file paths given.
func takeAdmin(who string, files map[string]path) map[string]path {
	paths := map[string]path{
		"revoke":          revokeEntry(who),
		"revoke --policy": revokePolicy(who, "AmazonEKSClusterAdminPolicy"),
		"expire":          expire(),
	}
	maps.Copy(paths, files)
	return paths
}

// TestEveryInvariantOnEveryPath crosses each invariant with each path that could break it:
// every one is refused with the same invariant and reason, changes nothing, and goes through
// with the --force the refusal names.
func TestEveryInvariantOnEveryPath(t *testing.T) {
	t.Parallel()
	cases := []struct {
		inv     string
		fixture func(*world)
		force   string
		paths   map[string]path
	}{
		{plan.InvCallerAdmin, callerFixture, carol, takeAdmin("carol", map[string]path{
			"apply (disassociate)":   applyFile(false, "", item(adminItem, "creator"), item(viewItem, "carol")),
			"apply (rescope)":        applyFile(false, "", item(adminItem, "creator"), item(nsItem, "carol")),
			"apply --prune (delete)": applyFile(true, "", item(adminItem, "creator")),
		})},
		{plan.InvCallerAdmin, mappedCallerFixture, carol, map[string]path{
			"auth-mode --set API": authMode("API"),
			"apply (mode switch)": applyFile(false, "API", item(adminItem, "creator"), "- principal: carol\n  policies: [{policy: AmazonEKSViewPolicy, namespaces: [team-a]}]"),
		}},
		{plan.InvLastAdmin, lastAdminFixture, ops, takeAdmin("ops", map[string]path{
			"apply (rescope)":        applyFile(false, "", item(nsItem, "ops"), item(viewItem, "viewer")),
			"apply --prune (delete)": applyFile(true, "", item(viewItem, "viewer")),
		})},
		{plan.InvLastAdmin, mappedOnlyFixture, ops, map[string]path{
			"auth-mode --set API": authMode("API"),
			"apply (mode switch)": applyFile(false, "API", item(viewItem, "viewer")),
		}},
		{plan.InvCreator, creatorFixture, creator, takeAdmin("creator", map[string]path{
			"apply (disassociate)":   applyFile(false, "", item(viewItem, "creator"), item(adminItem, "carol")),
			"apply --prune (delete)": applyFile(true, "", item(adminItem, "carol")),
		})},
		{plan.InvNodeEntries, nodeFixture, node, map[string]path{
			"revoke":                 revokeEntry("role/node"),
			"apply --prune (delete)": applyFile(true, "", item(adminItem, "creator"), item(adminItem, "carol")),
			"expire":                 expire(),
		}},
	}
	for _, tc := range cases {
		reasons := map[string]string{}
		for name, run := range tc.paths {
			t.Run(tc.inv+"/"+name, func(t *testing.T) {
				w := newWorld(t, carol, users, []string{"node"})
				tc.fixture(w)
				err := run(t, w, nil)
				var re *RefusedError
				if !errors.As(err, &re) {
					t.Fatalf("not refused: %v (calls %v)", err, w.eks.mutations())
				}
				var got *plan.Refusal
				for i := range re.Refusals {
					if re.Refusals[i].Invariant == tc.inv {
						got = &re.Refusals[i]
					}
				}
				if got == nil {
					t.Fatalf("refused by %v, want %s", re.Refusals, tc.inv)
				}
				if len(re.Refusals) != 1 {
					t.Fatalf("the fixture puts only %s at stake, refused by %v", tc.inv, re.Refusals)
				}
				if want := "to do it anyway, run again with --force " + tc.force; got.Override != want || len(got.Changes) == 0 {
					t.Fatalf("override %q changes %v, want %q", got.Override, got.Changes, want)
				}
				if m := w.eks.mutations(); len(m) != 0 {
					t.Fatalf("a refused %s changed things: %v", name, m)
				}
				reasons[name] = got.Reason
				if err := run(t, w, []string{tc.force}); err != nil {
					t.Fatalf("with --force %s: %v", tc.force, err)
				}
				if len(w.eks.mutations()) == 0 {
					t.Fatalf("forced %s changed nothing", name)
				}
			})
		}
		// Same invariant, same state: the same words whatever the path.
		var first string
		for name, r := range reasons {
			if first == "" {
				first = r
			} else if r != first {
				t.Errorf("%s: %s says %q, another path %q", tc.inv, name, r, first)
			}
		}
	}
}

// Additive paths never break an invariant; they still go through the same check.
func TestAdditivePathsAreAllowed(t *testing.T) {
	t.Parallel()
	w := newWorld(t, viewer, users, nil)
	c := w.eks.addCluster("c", "API")
	c.add(ops, "STANDARD", clusterCreated.Add(48*time.Hour), nil, "AmazonEKSClusterAdminPolicy")
	ctx := context.Background()
	out, err := w.env.Grant(ctx, GrantRequest{AccessTarget: AccessTarget{Cluster: ClusterRef{Name: "c"}, Principals: Principals{Args: []string{"ops"}},
		Policies: []string{"AmazonEKSClusterAdminPolicy"}, Namespaces: []string{"foo"}}, Concurrency: 4})
	if err != nil || out.Pending != 0 {
		t.Fatalf("a namespaced grant over a cluster-scoped admin must change nothing: %v %+v", err, out)
	}
	if got := w.eks.mutations(); len(got) != 0 {
		t.Fatalf("grant narrowed access: %v", got)
	}
}
