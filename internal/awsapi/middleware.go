package awsapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	smithy "github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"golang.org/x/time/rate"
)

// Limiter is the client-side rate state of one (account, region, service). It adapts, AIMD
// style: with no fixed cap it lets calls through unlimited until the service throttles; a
// throttling answer then caps the rate just under what the service let through in the last
// second (and cuts it further on each later throttle), and every quiet second raises the cap
// again, so a bulk run settles at what the service allows instead of burning retries, and
// recovers when the pressure goes. A fixed cap (--rate) bounds the adaptive rate from above.
type Limiter struct {
	mu      sync.Mutex
	lim     *rate.Limiter
	max     float64 // fixed cap; +Inf: none
	min     float64
	cur     float64 // current cap; +Inf: none yet
	lastCut time.Time
	lastUp  time.Time
	now     func() time.Time

	// Successes per window slot over the last second: what the service let through.
	slots    [10]int
	slotTime [10]int64 // the slot's 100 ms tick
}

// Tuning of the adaptation. A cut keeps 90% of the observed rate: being a little above the
// service's limit costs one retried call, being below it costs wall time, so the cut is mild.
const (
	cutFactor  = 0.9
	growFactor = 1.1 // per quiet second
	slotWidth  = 100 * time.Millisecond
)

// NewLimiter caps calls at max per second; max <= 0 or +Inf leaves them uncapped until the
// service throttles.
func NewLimiter(max float64) *Limiter {
	if !(max > 0) {
		max = math.Inf(1)
	}
	l := &Limiter{max: max, min: 1, cur: max, now: time.Now}
	l.lim = rate.NewLimiter(limitOf(max), burstOf(max))
	return l
}

func limitOf(r float64) rate.Limit {
	if math.IsInf(r, 1) {
		return rate.Inf
	}
	return rate.Limit(r)
}

// burstOf lets a tenth of a second of calls start together, so a capped run starts smoothly.
func burstOf(r float64) int {
	if math.IsInf(r, 1) {
		return 1
	}
	return max(1, int(r/10))
}

// Wait blocks until a call may start.
func (l *Limiter) Wait(ctx context.Context) error { return l.lim.Wait(ctx) }

// Rate is the current cap in calls per second (+Inf: uncapped).
func (l *Limiter) Rate() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cur
}

func (l *Limiter) set(r float64) {
	r = math.Max(l.min, math.Min(r, l.max))
	if r == l.cur {
		return
	}
	l.cur = r
	l.lim.SetLimit(limitOf(r))
	l.lim.SetBurst(burstOf(r))
}

// observed is the number of successes in the last second (the caller holds mu).
func (l *Limiter) observed(now time.Time) float64 {
	tick := now.UnixNano() / int64(slotWidth)
	n := 0
	for i := range l.slots {
		if tick-l.slotTime[i] < int64(len(l.slots)) {
			n += l.slots[i]
		}
	}
	return float64(n)
}

// Throttled lowers the rate after a throttling answer, at most once per second (one burst
// of throttles counts once): to cutFactor × the lower of the current cap and the rate the
// service let through over the last second.
func (l *Limiter) Throttled() {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if !l.lastCut.IsZero() && now.Sub(l.lastCut) < time.Second {
		return
	}
	l.lastCut, l.lastUp = now, now
	base := l.cur
	if obs := l.observed(now); obs > 0 && obs < base {
		base = obs
	}
	if math.IsInf(base, 1) {
		// Throttled before any success was seen: start from a modest rate and grow.
		base = 10
	}
	l.set(base * cutFactor)
}

// Succeeded records a success; after each quiet second under a cap the cap grows by
// growFactor (towards the fixed cap, or without bound when there is none).
func (l *Limiter) Succeeded() {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	tick := now.UnixNano() / int64(slotWidth)
	i := int(tick % int64(len(l.slots)))
	if l.slotTime[i] != tick {
		l.slotTime[i], l.slots[i] = tick, 0
	}
	l.slots[i]++
	if l.cur >= l.max || now.Sub(l.lastUp) < time.Second {
		return
	}
	l.lastUp = now
	l.set(math.Max(l.cur*growFactor, l.cur+1))
}

// IsThrottle reports whether err is a throttling answer from any AWS service.
func IsThrottle(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
			"TooManyRequestsException", "RequestLimitExceeded", "SlowDown":
			return true
		}
	}
	var re *smithyhttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == 429
}

// Limiters hands out one Limiter per (account, region, service): AWS throttles each account,
// region and service (and API) separately, so IAM lookups must not slow EKS changes down, nor
// one account's work another's.
type Limiters struct {
	mu  sync.Mutex
	max float64
	by  map[limiterKey]*Limiter
}

type limiterKey struct{ account, region, service string }

// NewLimiters caps each (account, region, service) at max calls per second; max <= 0 means
// no fixed cap (adaptive only).
func NewLimiters(max float64) *Limiters {
	return &Limiters{max: max, by: map[limiterKey]*Limiter{}}
}

// For returns the limiter of an account, region and service (by SDK service id, e.g. "EKS",
// "IAM").
func (ls *Limiters) For(account, region, service string) *Limiter {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	k := limiterKey{account, region, service}
	l, ok := ls.by[k]
	if !ok {
		l = NewLimiter(ls.max)
		ls.by[k] = l
	}
	return l
}

// WithLimiter makes every attempt of every call (retries included) wait for the limiter of
// its (account, region, service), and feeds throttling answers back into it. account labels
// the credentials the clients were built with ("" for the run's default account).
func WithLimiter(ls *Limiters, account string) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("eksaccessRateLimit",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				l := ls.For(account, awsmiddleware.GetRegion(ctx), awsmiddleware.GetServiceID(ctx))
				if err := l.Wait(ctx); err != nil {
					return middleware.FinalizeOutput{}, middleware.Metadata{}, err
				}
				out, md, err := next.HandleFinalize(ctx, in)
				if err != nil && IsThrottle(err) {
					l.Throttled()
				} else if err == nil {
					l.Succeeded()
				}
				return out, md, err
			}), middleware.After)
	}
}

// WithTrace logs one line per attempt to w: service, operation, HTTP status, duration.
// It never prints request or response bodies or headers, so no secret can reach it.
func WithTrace(w io.Writer) func(*middleware.Stack) error {
	var mu sync.Mutex
	return func(stack *middleware.Stack) error {
		return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("eksaccessTrace",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				start := time.Now()
				out, md, err := next.HandleFinalize(ctx, in)
				status := "-"
				if resp, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok && resp != nil && resp.StatusCode != 0 {
					status = fmt.Sprint(resp.StatusCode)
				}
				code := ""
				var ae smithy.APIError
				var ne interface{ Timeout() bool }
				switch {
				case errors.As(err, &ae):
					code = " " + ae.ErrorCode()
				case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
					code = " timeout"
				case err != nil:
					code = " error"
				}
				mu.Lock()
				fmt.Fprintf(w, "aws: %s.%s %s%s %s\n", awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx), status, code, time.Since(start).Round(time.Millisecond))
				mu.Unlock()
				return out, md, err
			}), middleware.After)
	}
}
