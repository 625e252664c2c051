package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"eksaccess/internal/sandbox"
	"eksaccess/internal/sandbox/sdktest"
	"eksaccess/internal/sandbox/state"
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

// sdkEKS is a plain SDK client on the sandbox as the admin ("a manual aws eks change").
func (e *env) sdkEKS() *eks.Client {
	cfg := sdktest.Config(e.srv.Endpoint(), "us-west-2", testKeyID, testSecret, "")
	cfg.RetryMaxAttempts = 10
	return eks.NewFromConfig(cfg)
}

// ackLog records the writes a sandbox acknowledged (answered 200).
type ackLog struct {
	mu      sync.Mutex
	users   []string
	entries []string // principal ARNs
}

func (a *ackLog) add(user, entry string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if user != "" {
		a.users = append(a.users, user)
	}
	if entry != "" {
		a.entries = append(a.entries, entry)
	}
}

// hammer runs writers goroutines against endpoint until stop is closed (or a call fails,
// e.g. because the server died): each creates IAM users and gives them access entries, with
// no SDK retries, so every 200 it records was acknowledged exactly once.
func hammer(endpoint, keyID, secret, prefix string, writers int, stop <-chan struct{}, acks *ackLog) *sync.WaitGroup {
	cfg := sdktest.Config(endpoint, "us-east-1", keyID, secret, "")
	cfg.RetryMaxAttempts = 1
	iamc := iam.NewFromConfig(cfg)
	cfg.Region = "us-west-2"
	eksc := eks.NewFromConfig(cfg)
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("%s-w%02d-%04d", prefix, w, i)
				out, err := iamc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
				if err != nil {
					return
				}
				acks.add(name, "")
				_, err = eksc.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: out.User.Arn})
				if err != nil {
					return
				}
				acks.add("", aws.ToString(out.User.Arn))
			}
		}()
	}
	return &wg
}

// requireAcked loads dir's state.json from disk and checks every acknowledged write is there.
func requireAcked(t *testing.T, dir string, acks *ackLog) *state.Data {
	t.Helper()
	d, err := state.Load(dir)
	if err != nil {
		t.Fatalf("state does not reload: %v", err)
	}
	for _, u := range acks.users {
		if d.Users[strings.ToLower(u)] == nil {
			t.Fatalf("acknowledged user %s is missing from the reloaded state", u)
		}
	}
	for _, a := range acks.entries {
		if d.Clusters[cluster].Entries[a] == nil {
			t.Fatalf("acknowledged access entry %s is missing from the reloaded state", a)
		}
	}
	return d
}

// TestSandboxKilledMidWriteReloadsIntact runs `eksaccess sandbox serve` as a process, has 16
// clients write to it as fast as they can, SIGKILLs it at a random moment, and checks that
// the state on disk parses and holds every write it acknowledged; then serves the same
// directory again (the lock died with the process) and repeats.
func TestSandboxKilledMidWriteReloadsIntact(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cycles := 5
	if testing.Short() {
		cycles = 3
	}
	rng := rand.New(rand.NewPCG(7, 7))
	acks := &ackLog{}
	for c := 0; c < cycles; c++ {
		cmd := exec.Command(binPath, "sandbox", "serve", "--state", dir, "--addr", "127.0.0.1:0", "--kube-addr", "127.0.0.1:0")
		cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
		var errOut syncBuffer
		cmd.Stderr = &errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var info sandbox.RunInfo
		if !waitFor(30*time.Second, func() bool {
			// The killed server's server.json stays behind until the new one replaces it.
			var ok bool
			info, ok, _ = sandbox.ReadRunInfo(dir)
			return ok && info.PID == cmd.Process.Pid
		}) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("cycle %d: sandbox did not start:\n%s", c, errOut.String())
		}
		d, err := state.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		id, secret, ok := sandbox.AdminKey(d)
		if !ok {
			t.Fatal("no admin key")
		}
		before := len(acks.entries)
		stop := make(chan struct{})
		wg := hammer(info.Endpoint, id, secret, fmt.Sprintf("c%d", c), 16, stop, acks)
		// Kill at a random moment once the writers are well under way.
		waitFor(30*time.Second, func() bool { acks.mu.Lock(); defer acks.mu.Unlock(); return len(acks.entries) >= before+10 })
		time.Sleep(time.Duration(rng.IntN(400)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		close(stop)
		wg.Wait()
		d = requireAcked(t, dir, acks)
		t.Logf("cycle %d: %d users and %d entries acknowledged so far, all on disk (%d users in state)", c, len(acks.users), len(acks.entries), len(d.Users))
		if len(acks.entries) == before {
			t.Fatalf("cycle %d: nothing was written before the kill", c)
		}
		// No temporary file is left half-written next to the state either way; a stale one
		// must not confuse the next start (it is ignored).
		if _, err := os.Stat(filepath.Join(dir, state.FileName)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSandboxConcurrentClientsNeverCorrupt: 32 writers and 8 readers on one in-process
// sandbox; afterwards the in-memory state, the state on disk and the acknowledged writes agree.
func TestSandboxConcurrentClientsNeverCorrupt(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEnv(t, sandbox.Options{StateDir: dir})
	acks := &ackLog{}
	stop := make(chan struct{})
	wg := hammer(e.srv.Endpoint(), testKeyID, testSecret, "cc", 32, stop, acks)
	var readers sync.WaitGroup
	readErr := make(chan error, 8)
	for i := 0; i < 8; i++ {
		readers.Add(1)
		go func() {
			defer readers.Done()
			api := e.sdkEKS()
			for {
				select {
				case <-stop:
					return
				default:
				}
				p := eks.NewListAccessEntriesPaginator(api, &eks.ListAccessEntriesInput{ClusterName: aws.String(cluster)})
				for p.HasMorePages() {
					if _, err := p.NextPage(context.Background()); err != nil {
						readErr <- err
						return
					}
				}
			}
		}()
	}
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()
	readers.Wait()
	select {
	case err := <-readErr:
		t.Fatalf("a reader failed: %v", err)
	default:
	}
	if len(acks.entries) < 50 {
		t.Fatalf("only %d writes acknowledged: the writers failed early", len(acks.entries))
	}
	var memUsers, memEntries int
	e.srv.Store().Read(func(d *state.Data) error {
		memUsers, memEntries = len(d.Users), len(d.Clusters[cluster].Entries)
		return nil
	})
	d := requireAcked(t, dir, acks)
	if len(d.Users) != memUsers || len(d.Clusters[cluster].Entries) != memEntries {
		t.Fatalf("disk has %d users / %d entries, memory %d / %d", len(d.Users), len(d.Clusters[cluster].Entries), memUsers, memEntries)
	}
	t.Logf("%d users and %d entries written concurrently, all on disk", len(acks.users), len(acks.entries))
}
