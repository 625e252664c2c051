package reliability

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"

	"eksaccess/internal/sandbox"
)

func concSize() int {
	if testing.Short() {
		return 80
	}
	return 300
}

// runTogether runs the commands in-process at the same moment and returns their results.
func runTogether(e *env, cmds ...[]string) []result {
	out := make([]result, len(cmds))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, c := range cmds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i] = e.run(c...)
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// TestTwoGrantsAtOnceConverge: two grants of the same principals racing each other both
// succeed, leave one entry per principal (never a second CreateAccessEntry that succeeded),
// and a third grant finds nothing to do.
func TestTwoGrantsAtOnceConverge(t *testing.T) {
	t.Parallel()
	twoAtOnceConverge(t, "grant", "c", func(e *env, users []string) []string {
		return []string{"--rate", "1000", "grant", "-c", cluster, "--policy", "AmazonEKSEditPolicy", "-n", namespace, "--users-file", e.usersFile("users.txt", users)}
	}, func(r result) bool {
		m := summaryRE.FindStringSubmatch(r.out)
		return m != nil && m[5] == "0"
	}, func(t *testing.T, e *env, n int, argv []string) {
		if c := stats(e.srv.Requests())["CreateAccessEntry"]; c.OK+c.Conflict > 2*n {
			t.Fatalf("CreateAccessEntry %v for %d principals", c, n)
		}
		third := argv[2:] // the same grant without --rate 1000
		if r := e.runReadOnly("third grant", third...); r.code != 0 || !strings.Contains(r.out, summaryLine(0, 0, 0, n, 0)) {
			t.Fatalf("third grant: %v", r)
		}
	})
}

// TestTwoAppliesAtOnceConverge: the same for two applies of one access file; each one's own
// re-plan is empty, and so is a plan afterwards.
func TestTwoAppliesAtOnceConverge(t *testing.T) {
	t.Parallel()
	twoAtOnceConverge(t, "apply", "d", func(e *env, users []string) []string {
		return []string{"--rate", "1000", "apply", "--yes", "-f", e.accessFile("access.yaml", e.usersFile("users.txt", users))}
	}, func(r result) bool {
		return strings.Contains(r.out, "re-plan: no changes remain")
	}, func(t *testing.T, e *env, _ int, argv []string) {
		file := argv[len(argv)-1] // -f's
		if r := e.runReadOnly("plan", "plan", "-f", file, "--detailed-exitcode"); r.code != 0 || !strings.Contains(r.out, "No changes") {
			t.Fatalf("plan after two applies: %v", r)
		}
	})
}

// twoAtOnceConverge runs the command argv builds for new principals (user names starting
// with prefix) twice at the same moment: both exit 0 with output ok accepts, every principal
// is granted with exactly one CreateAccessEntry that succeeded; then the command's own
// follow-up.
func twoAtOnceConverge(t *testing.T, command, prefix string, argv func(e *env, users []string) []string,
	ok func(result) bool, then func(t *testing.T, e *env, n int, argv []string)) {
	n := concSize()
	e := newEnv(t, sandbox.Options{Latency: 5 * time.Millisecond})
	users := e.addUsers(prefix, n, 0)
	args := argv(e, users)
	for i, r := range runTogether(e, args, args) {
		if r.code != 0 || !ok(r) {
			t.Fatalf("%s %d: %v", command, i, r)
		}
	}
	e.requireGranted(users)
	if c := stats(e.srv.Requests())["CreateAccessEntry"]; c.OK != n {
		t.Fatalf("CreateAccessEntry %v for %d principals", c, n)
	}
	then(t, e, n, args)
}

// TestApplyRacingManualChangesConverges: while apply runs, someone changes the same cluster
// by hand (aws eks through the SDK): deletes entries apply just made, re-scopes and adds
// policies, changes groups, and creates entries apply is about to create. Apply either
// finishes clean or says exactly that changes remain (exit 1); the next apply converges and
// plan then shows zero changes.
func TestApplyRacingManualChangesConverges(t *testing.T) {
	t.Parallel()
	n := concSize()
	e := newEnv(t, sandbox.Options{Latency: 5 * time.Millisecond})
	users := e.addUsers("m", n, 0)
	file := e.accessFile("access.yaml", e.usersFile("users.txt", users))
	api := e.sdkEKS()
	ctx := context.Background()

	manual := make(chan error, 1)
	go func() {
		manual <- func() error {
			// Entries apply has not reached yet: created by hand with another scope.
			for _, u := range users[n-5:] {
				if _, err := api.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(userArn(u))}); err != nil {
					return err
				}
				if _, err := api.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(userArn(u)),
					PolicyArn: aws.String(editArn), AccessScope: &types.AccessScope{Type: types.AccessScopeTypeNamespace, Namespaces: []string{"elsewhere"}}}); err != nil {
					return err
				}
			}
			// Then, once apply has finished some principals, change those.
			var done []string
			waitFor(time.Minute, func() bool {
				done = done[:0]
				snap := e.snapshot(cluster)
				for _, u := range users[:n-5] {
					if en, ok := snap[userArn(u)]; granted(en, ok) == "" {
						done = append(done, u)
					}
				}
				return len(done) >= 15
			})
			if len(done) < 15 {
				return nil // apply was faster than the racer; the rest of the test still holds
			}
			for i, u := range done[:15] {
				p := aws.String(userArn(u))
				var err error
				switch i % 3 {
				case 0:
					_, err = api.DeleteAccessEntry(ctx, &eks.DeleteAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: p})
				case 1:
					_, err = api.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: aws.String(cluster), PrincipalArn: p,
						PolicyArn: aws.String(editArn), AccessScope: &types.AccessScope{Type: types.AccessScopeTypeCluster}})
				case 2:
					_, err = api.UpdateAccessEntry(ctx, &eks.UpdateAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: p, KubernetesGroups: []string{"hand-made"}})
				}
				if err != nil {
					return err
				}
			}
			return nil
		}()
	}()
	r := e.run("--rate", "200", "apply", "--yes", "--concurrency", "4", "-f", file)
	if err := <-manual; err != nil {
		t.Fatalf("manual change: %v", err)
	}
	switch {
	case r.code == 0 && strings.Contains(r.out, "re-plan: no changes remain"):
	case r.code == 1 && strings.Contains(r.err, "change(s) remain after apply"):
	default:
		t.Fatalf("racing apply: %v", r)
	}
	r = e.mustRun("apply", "--yes", "-f", file)
	if r := e.runReadOnly("plan", "plan", "-f", file, "--detailed-exitcode"); r.code != 0 {
		t.Fatalf("plan after converging: %v", r)
	}
	// Whatever the file says is true now (hand-made groups the file does not mention may stay).
	snap := e.snapshot(cluster)
	for _, u := range users {
		en, ok := snap[userArn(u)]
		if !ok || en.Policies[editArn] == nil || en.Policies[editArn].ScopeType != "namespace" || strings.Join(en.Policies[editArn].Namespaces, ",") != namespace {
			t.Fatalf("%s not converged: %+v", u, en)
		}
	}
}
