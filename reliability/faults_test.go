package reliability

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"eksaccess/internal/sandbox"
)

// faultOptions are issue 6's knobs: 10% 5xx, 3% dropped connections (half of them after the
// change was made), 40 requests per second per service, and a 2 s IAM→EKS propagation delay.
func faultOptions(seed int64) sandbox.Options {
	return sandbox.Options{FaultRate: 0.1, ResetRate: 0.03, ThrottleRPS: 40, ConsistencyDelay: 2 * time.Second, RandSeed: seed}
}

// The runs below pass --rate 80, above the sandbox's 40 per second, so that throttling
// really happens and the client's adaptive limit has to back off.

// faultSize is the number of principals per trial and the seeds tried. bench/soak.sh sets
// EKSACCESS_SOAK_SEEDS for more seeds.
func faultSize() (int, []int64) {
	n, seeds := 300, 3
	if testing.Short() {
		n, seeds = 60, 1
	}
	seeds = envInt("EKSACCESS_SOAK_SEEDS", seeds)
	var out []int64
	for i := 1; i <= seeds; i++ {
		out = append(out, int64(i))
	}
	return n, out
}

// TestGrantConvergesUnderFaults: a bulk grant through 5xx faults, dropped connections (before
// and after the change), throttling and eventual consistency ends with every principal in the
// desired state, exit 0, a summary that counts every principal as created, and no change
// applied twice (from the sandbox's request log).
func TestGrantConvergesUnderFaults(t *testing.T) {
	t.Parallel()
	convergesUnderFaults(t, "grant", "g", 0, func(e *env, users []string) []string {
		return []string{"--rate", "80", "grant", "-c", cluster, "--policy", "AmazonEKSEditPolicy", "-n", namespace, "--users-file", e.usersFile("users.txt", users)}
	}, "", func(t *testing.T, e *env, n int, argv []string) {
		// Re-running is a no-op, even through the faults.
		if r := e.runReadOnly("second grant", argv...); r.code != 0 || !strings.Contains(r.out, summaryLine(0, 0, 0, n, 0)) {
			t.Fatalf("second grant: %v", r)
		}
	})
}

// TestApplyConvergesUnderFaults is the same for `apply -f` of an access file listing the
// principals through a users file; apply's own re-plan must also come out empty.
func TestApplyConvergesUnderFaults(t *testing.T) {
	t.Parallel()
	convergesUnderFaults(t, "apply", "a", 100, func(e *env, users []string) []string {
		return []string{"--rate", "80", "apply", "--yes", "-f", e.accessFile("access.yaml", e.usersFile("users.txt", users))}
	}, "re-plan: no changes remain", func(t *testing.T, e *env, _ int, argv []string) {
		file := argv[len(argv)-1] // -f's
		if r := e.runReadOnly("plan", "plan", "-f", file, "--detailed-exitcode"); r.code != 0 {
			t.Fatalf("plan after apply: %v", r)
		}
	})
}

// convergesUnderFaults is one trial per seed (offset by seedOff) of the command argv builds
// for new principals (user names starting with prefix): exit 0, output that counts every
// principal as created and says wantOut, every principal granted, no change applied twice,
// every kind of fault met; then the command's own follow-up.
func convergesUnderFaults(t *testing.T, command, prefix string, seedOff int64, argv func(e *env, users []string) []string,
	wantOut string, then func(t *testing.T, e *env, n int, argv []string)) {
	n, seeds := faultSize()
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Parallel()
			seed += seedOff
			e := newEnv(t, faultOptions(seed))
			users := e.addUsers(prefix, n, n/10)
			args := argv(e, users)
			start := time.Now()
			r := e.run(args...)
			recs, took := e.srv.Requests(), time.Since(start)
			defer soakLog(t, command+" under faults", seed, n, took, r.code, recs)
			t.Logf("seed %d: %d principals in %v, faults %v, mutating %v", seed, n, took.Round(time.Millisecond), faultCounts(recs), stats(recs))
			if r.code != 0 {
				t.Fatalf("%s: %v", command, r)
			}
			if !strings.Contains(r.out, summaryLine(n, 0, 0, 0, 0)) || !strings.Contains(r.out, wantOut) {
				t.Fatalf("%s output does not count %d created (and say %q):\n%s", command, n, wantOut, r.out)
			}
			e.requireGranted(users)
			requireExactlyOnce(t, recs, n)
			requireFaultsInjected(t, recs)
			then(t, e, n, args)
		})
	}
}

// requireFaultsInjected makes sure the trial really met every kind of fault.
func requireFaultsInjected(t *testing.T, recs []sandbox.LogRecord) {
	t.Helper()
	fc := faultCounts(recs)
	for _, k := range []string{"fault", "reset-before", "reset-after"} {
		if fc[k] == 0 {
			t.Errorf("no %s was injected (faults %v): the trial proves nothing about it", k, fc)
		}
	}
	// Throttling needs the client to go faster than 40 calls/s, which a CPU-starved run
	// (-race, many trials on 2 cores) may not: noted, not required (bench/soak.sh records
	// how often it bit).
	if fc["throttle"] == 0 {
		t.Logf("this trial was never throttled (faults %v)", fc)
	}
	// EKS refuses a principal IAM created moments ago (CreateAccessEntry), and may not
	// find an entry created moments ago (AssociateAccessPolicy).
	consistency := 0
	for _, r := range recs {
		if r.Operation == "CreateAccessEntry" && r.ErrorCode == "InvalidParameterException" ||
			r.Operation == "AssociateAccessPolicy" && r.ErrorCode == "ResourceNotFoundException" {
			consistency++
		}
	}
	if consistency == 0 {
		t.Errorf("the consistency delay never refused anything")
	}
}

// soakRecord is one trial's outcome, logged as a "SOAK {json}" line for bench/soak.sh.
type soakRecord struct {
	Trial      string         `json:"trial"`
	Seed       int64          `json:"seed"`
	Principals int            `json:"principals"`
	Seconds    float64        `json:"seconds"`
	Exit       int            `json:"exit"`
	Requests   int            `json:"requests"`
	Faults     map[string]int `json:"faults"`
	Kills      int            `json:"kills,omitempty"`
	Passed     bool           `json:"passed"`
}

// soakLog logs the trial (deferred, so it also runs after a failed assertion).
func soakLog(t *testing.T, trial string, seed int64, n int, took time.Duration, code int, recs []sandbox.LogRecord) {
	soakLogKills(t, trial, seed, n, took, code, recs, 0)
}

func soakLogKills(t *testing.T, trial string, seed int64, n int, took time.Duration, code int, recs []sandbox.LogRecord, kills int) {
	b, _ := json.Marshal(soakRecord{Trial: trial, Seed: seed, Principals: n, Seconds: took.Seconds(), Exit: code,
		Requests: len(recs), Faults: faultCounts(recs), Kills: kills, Passed: !t.Failed()})
	t.Logf("SOAK %s", b)
}

// envInt reads a positive integer from the environment (bench/soak.sh's sizes).
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
