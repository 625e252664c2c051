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
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"eksaccess/internal/sandbox"
	"eksaccess/internal/sandbox/sdktest"
	"eksaccess/internal/sandbox/state"
)

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
