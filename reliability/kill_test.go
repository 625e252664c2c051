package reliability

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"eksaccess/internal/apply"
	"eksaccess/internal/sandbox"
)

// bulkCommand is a 300-principal run of grant or apply, as a child process.
type bulkCommand struct {
	name string
	args func(e *env, users []string) []string
	// listsUnchanged: the summary counts principals that needed nothing (grant does; apply
	// runs only the principals its plan changes).
	listsUnchanged bool
}

// --rate 1000: the sandbox here does not throttle, and the 50/s default would make each
// apply's full read of the cluster dominate the test.
var bulkCommands = []bulkCommand{
	{"grant", func(e *env, users []string) []string {
		return []string{"--rate", "1000", "grant", "-c", cluster, "--policy", "AmazonEKSEditPolicy", "-n", namespace, "--concurrency", "8", "--users-file", e.usersFile("users.txt", users)}
	}, true},
	{"apply", func(e *env, users []string) []string {
		return []string{"--rate", "1000", "apply", "--yes", "--concurrency", "8", "-f", e.accessFile("access.yaml", e.usersFile("users.txt", users))}
	}, false},
}

// killSize: principals and kill points per command; bench/soak.sh sets EKSACCESS_SOAK_KILLS.
func killSize() (n, kills int) {
	n, kills = 300, 12
	if testing.Short() {
		n, kills = 120, 10
	}
	return n, envInt("EKSACCESS_SOAK_KILLS", kills)
}

// acked counts the mutating calls the sandbox applied and answered.
func acked(recs []sandbox.LogRecord) int {
	n := 0
	for _, r := range recs {
		if r.Mutating && r.Status == 200 {
			n++
		}
	}
	return n
}

// TestSIGKILLThenRerunConverges kills a bulk run with SIGKILL at random points (after a
// random number of applied changes, at least once with an entry created and its policy not
// yet associated), re-runs it each time, and finally lets it finish: the desired state is
// reached, no change was applied twice, the last run's summary matches what the killed runs
// had left, and the journal shows every run (killed ones without a "finished" record).
func TestSIGKILLThenRerunConverges(t *testing.T) {
	t.Parallel()
	n, kills := killSize()
	for i, bc := range bulkCommands {
		t.Run(bc.name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(uint64(i+1), 42))
			e := newEnv(t, sandbox.Options{Latency: 15 * time.Millisecond})
			users := e.addUsers("k", n, 0)
			args := bc.args(e, users)
			halfSeen := 0
			start := time.Now()
			finalCode := -1
			defer func() {
				soakLogKills(t, bc.name+" killed and re-run", int64(i+1), n, time.Since(start), finalCode, e.srv.Requests(), kills)
			}()
			for k := 0; k < kills; k++ {
				// Calls of the previous, killed run may still be finishing on the server.
				quiesce(e)
				base := acked(e.srv.Requests())
				// Spread the kills over what is left (2 changes per principal), so the last
				// kill still lands before the work is done.
				budget := max(2, (2*n-base)/(kills-k+2))
				step := 1 + rng.IntN(budget)
				cmd, out, errOut := e.child(args...)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				// Kill right after a CreateAccessEntry was applied, once step changes are in:
				// the moment a run is most likely between create and associate.
				ok := waitFor(2*time.Minute, func() bool {
					recs := e.srv.Requests()
					if acked(recs)-base < step {
						return false
					}
					last := recs[len(recs)-1]
					return last.Operation == "CreateAccessEntry" || acked(recs)-base > step+4
				})
				cmd.Process.Signal(syscall.SIGKILL)
				err := cmd.Wait()
				if !ok {
					t.Fatalf("kill %d: run did not reach %d changes: %v\n%s\n%s", k, step, err, out, errOut)
				}
				if ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() {
					t.Fatalf("kill %d: the run finished before it was killed (step %d): %v\n%s", k, step, err, out)
				}
				quiesce(e)
				half, done := e.halfDone(users)
				halfSeen += half
				t.Logf("kill %d after %d more changes: %d done, %d between create and associate", k, step, done, half)
			}
			if halfSeen == 0 {
				t.Fatalf("no kill landed between create and associate")
			}
			// What the final run must report: untouched principals created, half-done ones
			// updated (their policy associated), finished ones unchanged.
			quiesce(e)
			half, done := e.halfDone(users)
			untouched := n - half - done
			cmd, out, errOut := e.child(args...)
			err := cmd.Run()
			finalCode = cmd.ProcessState.ExitCode()
			if err != nil {
				t.Fatalf("final run: %v\n%s\n%s", err, out, errOut)
			}
			if !bc.listsUnchanged {
				done = 0
			}
			if want := summaryLine(untouched, half, 0, done, 0); !strings.Contains(out.String(), want) {
				t.Fatalf("final summary is not %q:\n%s", want, out)
			}
			e.requireGranted(users)
			requireExactlyOnce(t, e.srv.Requests(), n)

			runs, byRun := e.journal()
			if len(runs) != kills+1 {
				t.Fatalf("journal has %d runs, want %d", len(runs), kills+1)
			}
			creates := map[string]int{}
			for i, run := range runs {
				recs := byRun[run]
				if recs[0].Action != "run" || recs[0].Result != "started" {
					t.Fatalf("run %d does not start with a started record: %+v", i, recs[0])
				}
				last := recs[len(recs)-1]
				finished := last.Action == "run" && last.Result == "finished"
				if finished != (i == len(runs)-1) {
					t.Fatalf("run %d (killed: %v) ends with %+v", i, i < len(runs)-1, last)
				}
				for _, r := range recs {
					if r.Action == "create" && r.Result == "ok" {
						creates[r.Principal]++
					}
					if r.Result == "failed" {
						t.Errorf("run %d journaled a failure: %+v", i, r)
					}
				}
			}
			for p, c := range creates {
				if c > 1 {
					t.Errorf("journal: %s created %d times", p, c)
				}
			}
		})
	}
}

// quiesce waits until the sandbox has logged no request for 100ms.
func quiesce(e *env) {
	// The log holds answered requests only: a killed run's call still in the server (its
	// latency, the store lock) shows up later, and on a loaded machine later than one quiet
	// 100ms. Wait for three quiet windows in a row, so its answer does not count as the
	// next run's change.
	last, quiet := -1, 0
	for quiet < 3 {
		n := len(e.srv.Requests())
		if n == last {
			quiet++
		} else {
			quiet = 0
		}
		last = n
		time.Sleep(150 * time.Millisecond)
	}
}

var summaryRE = regexp.MustCompile(`(\d+) created, (\d+) updated, (\d+) deleted, (\d+) unchanged, (\d+) failed(?:, (\d+) not started)?`)

// TestSIGINTStopsCleanly interrupts a bulk run: it exits 130, starts no call after the
// signal, lets the calls in flight finish, and its summary says exactly what is done, what
// is half done (failed, with what remains) and what was not started, as the cluster shows;
// the same command then finishes the work.
//
// Each call takes 300ms on the sandbox, so the signal lands while calls are in flight, and a
// call started after the signal (beyond the time the child needs to be scheduled, at most
// half a call) stands out.
func TestSIGINTStopsCleanly(t *testing.T) {
	t.Parallel()
	// The margin for the signal's delivery is latency/2: on a loaded 2-core machine the child
	// can take 200 ms or more to be scheduled and see SIGINT, so the latency is generous.
	const latency = 600 * time.Millisecond
	n := 120
	for _, bc := range bulkCommands {
		t.Run(bc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, sandbox.Options{Latency: latency})
			users := e.addUsers("s", n, 0)
			args := bc.args(e, users)
			cmd, out, errOut := e.child(args...)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if !waitFor(2*time.Minute, func() bool { return acked(e.srv.Requests()) >= 40 }) {
				cmd.Process.Kill()
				t.Fatalf("run made no progress")
			}
			sigAt := time.Now()
			cmd.Process.Signal(syscall.SIGINT)
			cmd.Wait()
			if code := cmd.ProcessState.ExitCode(); code != 130 {
				t.Fatalf("exit %d after SIGINT, want 130\n%s\n%s", code, out, errOut)
			}
			// Nothing new starts: no mutating request reached the sandbox after the signal
			// (beyond the instant it takes to be delivered).
			for _, r := range e.srv.Requests() {
				if r.Mutating && r.Time.After(sigAt.Add(latency/2)) {
					t.Errorf("%s started %v after SIGINT", r.Operation, r.Time.Sub(sigAt))
				}
			}
			quiesce(e)
			o := out.String()
			if !strings.Contains(o, "interrupted: calls in flight finished, nothing new started") {
				t.Fatalf("summary does not say it was interrupted:\n%s", o)
			}
			m := summaryRE.FindStringSubmatch(o)
			if m == nil {
				t.Fatalf("no summary line:\n%s", o)
			}
			num := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
			created, failed, notStarted := num(1), num(5), num(6)
			half, done := e.halfDone(users)
			if created != done || failed != half || notStarted != n-done-half {
				t.Fatalf("summary %q, but the cluster has %d done, %d half done, %d untouched", m[0], done, half, n-done-half)
			}
			if notStarted == 0 {
				t.Fatalf("SIGINT came too late to leave work undone: %q", m[0])
			}
			// The journal's run ends as interrupted.
			runs, byRun := e.journal()
			recs := byRun[runs[len(runs)-1]]
			if last := recs[len(recs)-1]; last.Action != "run" || last.Result != "interrupted" {
				t.Fatalf("journal's last record %+v", last)
			}
			checkJournalMatches(t, recs, done, half)

			cmd, out, errOut = e.child(args...)
			if err := cmd.Run(); err != nil {
				t.Fatalf("re-run: %v\n%s\n%s", err, out, errOut)
			}
			unchanged := done
			if !bc.listsUnchanged {
				unchanged = 0
			}
			if want := summaryLine(n-done-half, half, 0, unchanged, 0); !strings.Contains(out.String(), want) {
				t.Fatalf("re-run summary is not %q:\n%s", want, out)
			}
			e.requireGranted(users)
			requireExactlyOnce(t, e.srv.Requests(), n)
		})
	}
}

// checkJournalMatches: the interrupted run journaled one create per principal it touched and
// one associate per principal it finished.
func checkJournalMatches(t *testing.T, recs []apply.Record, done, half int) {
	t.Helper()
	count := map[string]int{}
	for _, r := range recs {
		if r.Result == "ok" {
			count[r.Action]++
		}
	}
	if count["create"] != done+half || count["associate"] != done {
		t.Fatalf("journal counts %v, want %d creates and %d associates", fmt.Sprint(count), done+half, done)
	}
}

// TestSIGINTDuringConsistencyWait: a run waiting out IAM→EKS propagation (EKS refuses the new
// principals, eksaccess backs off and retries for up to two minutes) stops promptly on SIGINT
// instead of sleeping through its retries, and exits 130 saying it was interrupted.
func TestSIGINTDuringConsistencyWait(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Options{ConsistencyDelay: 10 * time.Minute})
	users := e.addUsers("p", 12, 12)
	cmd, out, errOut := e.child("grant", "-c", cluster, "--policy", "AmazonEKSEditPolicy", "--users-file", e.usersFile("users.txt", users))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	refused := func() int {
		n := 0
		for _, r := range e.srv.Requests() {
			if r.Operation == "CreateAccessEntry" && r.ErrorCode == "InvalidParameterException" {
				n++
			}
		}
		return n
	}
	if !waitFor(time.Minute, func() bool { return refused() >= 24 }) {
		cmd.Process.Kill()
		t.Fatalf("the run never waited on propagation\n%s", errOut)
	}
	sigAt := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("still running 20s after SIGINT (it sleeps through its consistency retries)")
	}
	t.Logf("stopped %v after SIGINT", time.Since(sigAt).Round(time.Millisecond))
	if code := cmd.ProcessState.ExitCode(); code != 130 || !strings.Contains(out.String(), "interrupted") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if m := mutatingOps(e.srv.Requests()); m["AssociateAccessPolicy"] != 0 {
		t.Fatalf("mutations %v", m)
	}
}
