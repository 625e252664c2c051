package awsapi

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	smithy "github.com/aws/smithy-go"
)

func TestLimitersAreSeparatePerAccountRegionService(t *testing.T) {
	ls := NewLimiters(0)
	a := ls.For("111122223333", "us-west-2", "EKS")
	for _, other := range []*Limiter{
		ls.For("111122223333", "us-west-2", "IAM"),
		ls.For("444455556666", "us-west-2", "EKS"),
		ls.For("111122223333", "eu-west-1", "EKS"),
	} {
		if other == a {
			t.Fatal("two (account, region, service) share a limiter")
		}
	}
	if b := ls.For("111122223333", "us-west-2", "EKS"); a != b {
		t.Fatal("one (account, region, service) got two limiters")
	}
}

// clock is a settable time source for the limiter.
type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }
func succeed(l *Limiter, c *clock, n int, over time.Duration) {
	for i := 0; i < n; i++ {
		l.Succeeded()
		c.add(over / time.Duration(n))
	}
}

func TestAdaptiveLimiterIsUncappedUntilThrottled(t *testing.T) {
	l := NewLimiter(0)
	c := &clock{t: time.Unix(1000, 0)}
	l.now = c.now
	succeed(l, c, 5000, time.Second)
	if got := l.Rate(); !math.IsInf(got, 1) {
		t.Fatalf("before any throttle: %v, want no cap", got)
	}
	// The service let 50 calls through over the last second, then throttles.
	c.add(2 * time.Second)
	succeed(l, c, 50, time.Second)
	l.Throttled()
	first := l.Rate()
	if first < 40 || first > 45 {
		t.Fatalf("after the first throttle: %v, want about 0.9 × the 50/s the service let through", first)
	}
	l.Throttled() // same second: one burst of throttles counts once
	if got := l.Rate(); got != first {
		t.Fatalf("a second throttle within a second lowered again: %v", got)
	}
	c.add(1100 * time.Millisecond)
	l.Throttled()
	if got := l.Rate(); math.Abs(got-0.9*first) > 1e-9 {
		t.Fatalf("after a second throttle: %v, want %v", got, 0.9*first)
	}
	// Quiet seconds raise the cap again, without bound when no --rate was given.
	for i := 0; i < 60; i++ {
		succeed(l, c, 10, time.Second)
	}
	if got := l.Rate(); got < 1000 {
		t.Fatalf("after a quiet minute the cap is still %v", got)
	}
}

func TestFixedCapBoundsTheAdaptiveRate(t *testing.T) {
	l := NewLimiter(100)
	c := &clock{t: time.Unix(1000, 0)}
	l.now = c.now
	if got := l.Rate(); got != 100 {
		t.Fatalf("start: %v, want the fixed cap 100", got)
	}
	succeed(l, c, 100, time.Second)
	l.Throttled()
	if got := l.Rate(); got < 80 || got > 90 {
		t.Fatalf("after a throttle: %v, want about 0.9 × the 100/s seen", got)
	}
	for i := 0; i < 30; i++ {
		succeed(l, c, 10, time.Second)
	}
	if got := l.Rate(); got != 100 {
		t.Fatalf("did not recover to the fixed cap, or passed it: %v", got)
	}
}

func TestAdaptiveLimiterSettlesAtTheServiceRate(t *testing.T) {
	// A simulated service that allows 50 calls/s (token bucket, burst 50) and a client that
	// always has work: the limiter must keep the accepted rate within 10% of 50/s.
	l := NewLimiter(0)
	c := &clock{t: time.Unix(1000, 0)}
	l.now = c.now
	tokens, accepted := 50.0, 0
	const step = time.Millisecond
	var next time.Time = c.t
	start := c.t
	for c.t.Sub(start) < 60*time.Second {
		c.add(step)
		tokens = math.Min(50, tokens+50*step.Seconds())
		r := l.Rate()
		for !c.t.Before(next) {
			if tokens >= 1 {
				tokens--
				accepted++
				l.Succeeded()
			} else {
				l.Throttled()
			}
			if math.IsInf(r, 1) {
				next = c.t.Add(step / 10)
				break
			}
			next = next.Add(time.Duration(float64(time.Second) / r))
		}
	}
	if got := float64(accepted) / 60; got < 45 || got > 51 {
		t.Fatalf("accepted %.1f calls/s against a 50/s service", got)
	}
}

func TestIsThrottle(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&smithy.GenericAPIError{Code: "Throttling"}, true},
		{&smithy.GenericAPIError{Code: "ThrottlingException"}, true},
		{&types.ResourceNotFoundException{}, false},
		{errors.New("boom"), false},
	} {
		if got := IsThrottle(tc.err); got != tc.want {
			t.Errorf("IsThrottle(%v) = %v", tc.err, got)
		}
	}
}
