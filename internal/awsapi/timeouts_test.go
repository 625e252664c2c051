package awsapi

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"eksaccess/internal/stalltest"
)

func TestTimeoutsForAndParse(t *testing.T) {
	t.Parallel()
	if got := TimeoutsFor(DefaultTimeout); got != (Timeouts{Connect: 10 * time.Second, TLSHandshake: 10 * time.Second, Attempt: 20 * time.Second}) {
		t.Errorf("TimeoutsFor(20s) = %+v", got)
	}
	if got := TimeoutsFor(time.Minute); got.Connect != 10*time.Second || got.Attempt != time.Minute {
		t.Errorf("TimeoutsFor(1m) = %+v", got)
	}
	if got := TimeoutsFor(2 * time.Second); got.Connect != time.Second || got.TLSHandshake != time.Second {
		t.Errorf("TimeoutsFor(2s) = %+v", got)
	}
	for in, want := range map[string]string{"": "is not a duration", "soon": `"soon" is not a duration`, "0s": "out of range", "-5s": "out of range", "2h": "out of range",
		"aws_secret_access_key=wJalrXUtnFEMI": `"aws_secret_access_ke…"`} {
		if _, err := ParseTimeout(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseTimeout(%q) = %v, want %q", in, err, want)
		}
	}
	if d, err := ParseTimeout(" 45s "); err != nil || d != 45*time.Second {
		t.Errorf("ParseTimeout(45s) = %v, %v", d, err)
	}
}

// A stalled endpoint costs one attempt timeout: the attempt is not retried, and the error
// names the endpoint, the flag and the environment variable.
func TestStalledEndpointIsOneAttempt(t *testing.T) {
	t.Parallel()
	stall := stalltest.Listen(t)
	to := TimeoutsFor(300 * time.Millisecond)
	c := testClients(t, "http://"+stall.Addr(), Settings{Region: "us-west-2", Timeouts: to})
	start := time.Now()
	err := describe(context.Background(), c)
	took := time.Since(start)
	var te *TimeoutError
	if !errors.As(err, &te) || te.Phase != "answer" || te.Endpoint != "http://"+stall.Addr() {
		t.Fatalf("err = %v, want a TimeoutError for the answer", err)
	}
	for _, want := range []string{"did not answer within 300ms", "--timeout", "EKSACCESS_TIMEOUT", "--endpoint-url"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if took > 3*time.Second {
		t.Errorf("took %s: the stalled attempt was retried", took)
	}
	if n := stall.Accepted(); n != 1 {
		t.Errorf("%d connections, want 1 (one attempt, not retried)", n)
	}

	// The caller's own cancellation is not reported as a timeout.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err = describe(ctx, c)
	if err == nil || errors.As(err, &te) {
		t.Errorf("cancelled call: err = %v, want the context's error, not a TimeoutError", err)
	}
}

// The wait for the client-side rate limiter is not part of an attempt: at --rate 1 with a
// 300ms timeout, calls queued behind the limiter still succeed.
func TestLimiterWaitIsNotATimeout(t *testing.T) {
	t.Parallel()
	srv := eksServer(t, nil)
	c := testClients(t, srv.URL, Settings{Region: "us-west-2", Timeouts: TimeoutsFor(300 * time.Millisecond)}, WithLimiter(NewLimiters(2), ""))
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	start := time.Now()
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- describe(context.Background(), c)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a call queued behind the limiter failed: %v", err)
		}
	}
	if took := time.Since(start); took < 900*time.Millisecond {
		t.Errorf("4 calls at 2/s took %s: the limiter did not hold them, so the test proves nothing", took)
	}
}

func TestResolveTimeout(t *testing.T) {
	def := DefaultTimeout
	cases := []struct {
		name    string
		flag    time.Duration
		set     bool
		env     string
		want    time.Duration
		wantErr string
	}{
		{"default", def, false, "", def, ""},
		{"env", def, false, "45s", 45 * time.Second, ""},
		{"flag beats env", 3 * time.Second, true, "45s", 3 * time.Second, ""},
		{"flag out of range", 2 * time.Hour, true, "", 0, "--timeout 2h0m0s is out of range"},
		{"flag zero", 0, true, "", 0, "--timeout 0s is out of range"},
		{"env bad", def, false, "soon", 0, `EKSACCESS_TIMEOUT: "soon" is not a duration`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ResolveTimeout(c.flag, c.set, c.env)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %v, %v; want %v", got, err, c.want)
			}
		})
	}
}
