package awsapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Timeouts bound every network call eksaccess makes, to AWS and to Kubernetes. Without them
// an endpoint that accepts the connection and never answers hangs a run for as long as the
// kernel keeps the socket (issue 9: `entries list` hung ten minutes, silently).
type Timeouts struct {
	// Connect bounds the TCP connection (DNS included).
	Connect time.Duration
	// TLSHandshake bounds the TLS handshake once connected.
	TLSHandshake time.Duration
	// Attempt bounds one attempt of one call, from sending the request to the last byte of
	// the answer: the --timeout flag (EKSACCESS_TIMEOUT).
	Attempt time.Duration
}

// DefaultTimeout is the default of --timeout. A healthy AWS or Kubernetes endpoint answers in
// well under a second; 20 s leaves room for a slow network while a stalled endpoint still
// fails in well under a minute.
const DefaultTimeout = 20 * time.Second

// DefaultTimeouts are the timeouts of a run without --timeout.
func DefaultTimeouts() Timeouts { return TimeoutsFor(DefaultTimeout) }

// TimeoutsFor derives connect and handshake timeouts from an attempt timeout: each is half of
// it, at most 10 s, so that no phase of an attempt outlives the attempt itself.
func TimeoutsFor(attempt time.Duration) Timeouts {
	phase := min(attempt/2, 10*time.Second)
	return Timeouts{Connect: phase, TLSHandshake: phase, Attempt: attempt}
}

// ParseTimeout reads a --timeout or EKSACCESS_TIMEOUT value: a positive Go duration (30s,
// 2m), at most an hour.
func ParseTimeout(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration: write it like 20s or 2m", clipValue(s))
	}
	if d <= 0 || d > time.Hour {
		return 0, fmt.Errorf("%s is out of range: give a duration between 1ms and 1h", d)
	}
	return d, nil
}

// ResolveTimeout is the run's timeout: the --timeout flag when given (flagSet), else
// EKSACCESS_TIMEOUT when set (env), else flag's default.
func ResolveTimeout(flag time.Duration, flagSet bool, env string) (time.Duration, error) {
	switch {
	case flagSet:
		if !(flag > 0) || flag > time.Hour {
			return 0, fmt.Errorf("--timeout %s is out of range: give a duration between 1ms and 1h, like 20s or 2m", flag)
		}
		return flag, nil
	case env != "":
		d, err := ParseTimeout(env)
		if err != nil {
			return 0, fmt.Errorf("EKSACCESS_TIMEOUT: %w", err)
		}
		return d, nil
	}
	return flag, nil
}

func clipValue(s string) string {
	if r := []rune(s); len(r) > 20 {
		return string(r[:20]) + "…"
	}
	return s
}

// NewHTTPClient is the SDK's HTTP client with t's connect and handshake timeouts and, as a
// last resort for a body that stalls, a response-header timeout of one attempt.
func NewHTTPClient(t Timeouts) *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = t.Connect }).
		WithTransportOptions(func(tr *http.Transport) {
			tr.TLSHandshakeTimeout = t.TLSHandshake
			tr.ResponseHeaderTimeout = t.Attempt
		})
}

// TimeoutError is an attempt that got no (complete) answer in time. It names the endpoint,
// the phase and the knobs, and is not retried: an endpoint that stalled for the whole
// attempt timeout rarely answers the next attempt, and retrying would stretch a stall past a
// minute.
type TimeoutError struct {
	Service, Operation string
	Endpoint           string // scheme://host of the request
	Phase              string // "connect", "TLS handshake" or "answer"
	After              time.Duration
	Err                error
}

func (e *TimeoutError) Error() string {
	what := "did not answer"
	switch e.Phase {
	case "connect":
		what = "could not be connected to"
	case "TLS handshake":
		what = "accepted the connection but did not complete the TLS handshake"
	case "answer":
		what = "accepted the connection but did not answer"
	}
	if e.Service == "Kubernetes" {
		return fmt.Sprintf("the Kubernetes API at %s %s within %s: check that the cluster endpoint is reachable from here (a private endpoint needs a VPN or a host in the VPC), or allow longer with --timeout (EKSACCESS_TIMEOUT)",
			e.Endpoint, what, e.After)
	}
	// The SDK's operation error around it already names the service and operation.
	return fmt.Sprintf("%s %s within %s: check the endpoint (--endpoint-url, AWS_ENDPOINT_URL, --region) and your network, or allow longer with --timeout (EKSACCESS_TIMEOUT)",
		e.Endpoint, what, e.After)
}

func (e *TimeoutError) Unwrap() error { return e.Err }

// RetryableError tells the SDK's retryer not to retry (see TimeoutError).
func (e *TimeoutError) RetryableError() bool { return false }

// Timeout marks it as a timeout for callers that ask net.Error-style.
func (e *TimeoutError) Timeout() bool { return true }

// WithAttemptTimeout gives each attempt of every call (each retry separately) at most
// t.Attempt, and turns a timeout of any phase into a TimeoutError. It sits in the
// Deserialize step, around the HTTP round trip itself: the wait for the client-side rate
// limiter (Finalize) does not count, so a low --rate never looks like a stalled endpoint.
func WithAttemptTimeout(t Timeouts) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		if _, ok := stack.Finalize.Get("Retry"); !ok {
			return nil // a presigned request (EKS tokens): no call is made here
		}
		return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("eksaccessAttemptTimeout",
			func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
				if t.Attempt <= 0 {
					return next.HandleDeserialize(ctx, in)
				}
				actx, cancel := context.WithTimeoutCause(ctx, t.Attempt, errAttemptTimeout)
				defer cancel()
				out, md, err := next.HandleDeserialize(actx, in)
				if err == nil || ctx.Err() != nil {
					return out, md, err // the caller's own cancellation is not a timeout
				}
				phase, after := timeoutPhase(err, actx, t)
				if phase == "" {
					return out, md, err
				}
				endpoint := ""
				if req, ok := in.Request.(*smithyhttp.Request); ok && req.URL != nil {
					endpoint = req.URL.Scheme + "://" + req.URL.Host
				}
				return out, md, &TimeoutError{
					Service: awsmiddleware.GetServiceID(ctx), Operation: awsmiddleware.GetOperationName(ctx),
					Endpoint: endpoint, Phase: phase, After: after, Err: err,
				}
			}), middleware.Before)
	}
}

var errAttemptTimeout = errors.New("attempt timed out")

// timeoutPhase says which phase of an attempt timed out ("" when err is no timeout).
func timeoutPhase(err error, actx context.Context, t Timeouts) (string, time.Duration) {
	if errors.Is(context.Cause(actx), errAttemptTimeout) {
		return "answer", t.Attempt
	}
	msg := err.Error()
	if strings.Contains(msg, "TLS handshake timeout") {
		return "TLS handshake", t.TLSHandshake
	}
	if strings.Contains(msg, "timeout awaiting response headers") {
		return "answer", t.Attempt
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Op == "dial" {
			return "connect", t.Connect
		}
		return "answer", t.Attempt
	}
	return "", 0
}
