package awsapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	smithy "github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"golang.org/x/time/rate"
)

// Limiter is a client-side rate limit shared by every call of a run. It adapts: a throttling
// answer lowers the rate (multiplicatively), quiet successes raise it back (additively), so a
// bulk run settles just under what the service allows instead of burning retries.
type Limiter struct {
	mu      sync.Mutex
	lim     *rate.Limiter
	max     float64
	min     float64
	cur     float64
	lastCut time.Time
	now     func() time.Time
}

// NewLimiter allows up to max calls per second (burst 1..max/5 so a run starts smoothly).
func NewLimiter(max float64) *Limiter {
	if max <= 0 {
		max = 50
	}
	burst := int(max / 5)
	if burst < 1 {
		burst = 1
	}
	return &Limiter{lim: rate.NewLimiter(rate.Limit(max), burst), max: max, min: 1, cur: max, now: time.Now}
}

// Wait blocks until a call may start.
func (l *Limiter) Wait(ctx context.Context) error { return l.lim.Wait(ctx) }

// Rate is the current calls-per-second.
func (l *Limiter) Rate() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cur
}

// Throttled lowers the rate after a throttling answer (at most once per second, so one
// burst of throttles counts once).
func (l *Limiter) Throttled() {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.lastCut) < time.Second {
		return
	}
	l.lastCut = now
	l.cur *= 0.8
	if l.cur < l.min {
		l.cur = l.min
	}
	l.lim.SetLimit(rate.Limit(l.cur))
}

// Succeeded raises the rate a little towards the maximum.
func (l *Limiter) Succeeded() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur >= l.max {
		return
	}
	l.cur += 0.02 * l.max / 10
	if l.cur > l.max {
		l.cur = l.max
	}
	l.lim.SetLimit(rate.Limit(l.cur))
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

// Limiters hands out one Limiter per AWS service: AWS throttles each service (and API)
// separately, so IAM lookups must not slow EKS changes down, nor the reverse.
type Limiters struct {
	mu  sync.Mutex
	max float64
	by  map[string]*Limiter
}

// NewLimiters allows up to max calls per second to each service.
func NewLimiters(max float64) *Limiters {
	return &Limiters{max: max, by: map[string]*Limiter{}}
}

// For returns the limiter of a service (by SDK service id, e.g. "EKS", "IAM").
func (ls *Limiters) For(service string) *Limiter {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	l, ok := ls.by[service]
	if !ok {
		l = NewLimiter(ls.max)
		ls.by[service] = l
	}
	return l
}

// WithLimiter makes every attempt of every call (retries included) wait for its service's
// limiter, and feeds throttling answers back into it.
func WithLimiter(ls *Limiters) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("eksaccessRateLimit",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				l := ls.For(awsmiddleware.GetServiceID(ctx))
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
