package sandbox

import (
	"context"
	"math"
	"net"
	"net/http"
	"time"

	"golang.org/x/time/rate"
)

// applyKnobs runs the test knobs in order (latency, throttle, fault, reset) for a verified
// request. It returns the name of the knob that answered (or dropped) the request, or ""
// when the service handler should run normally. raw is the connection's own writer, used
// to drop the connection.
func (s *Server) applyKnobs(ctx context.Context, sw *statusWriter, raw http.ResponseWriter, r *http.Request, account, service string) string {
	if d := s.opts.Latency; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return "cancelled"
		}
	}
	if lim := s.limiter(account, service); lim != nil && !lim.Allow() {
		status, code := throttleError(service)
		writeError(ctx, sw, service, status, code, "Rate exceeded")
		return "throttle"
	}
	if s.chance(s.opts.FaultRate) {
		status, code, msg := faultError(service, s.chance(0.5))
		writeError(ctx, sw, service, status, code, msg)
		return "fault"
	}
	if s.chance(s.opts.ResetRate) {
		if s.chance(0.5) {
			dropConnection(raw)
			return "reset-before"
		}
		// The change is made, the answer is lost: what a client sees when a network drops
		// the response, and why retried creates must be idempotent.
		s.services[service].ServeHTTP(&discardWriter{header: http.Header{}}, r)
		dropConnection(raw)
		return "reset-after"
	}
	return ""
}

// throttleKey names a token bucket: one account's calls to one service.
type throttleKey struct{ account, service string }

// limiter is the token bucket of an account's calls to a service (nil: no throttling).
func (s *Server) limiter(account, service string) *rate.Limiter {
	rps := s.opts.ThrottleRPS
	if rps <= 0 {
		return nil
	}
	s.limMu.Lock()
	defer s.limMu.Unlock()
	k := throttleKey{account, service}
	lim, ok := s.limiters[k]
	if !ok {
		if s.limiters == nil {
			s.limiters = map[throttleKey]*rate.Limiter{}
		}
		lim = rate.NewLimiter(rate.Limit(rps), max(1, int(math.Ceil(rps))))
		s.limiters[k] = lim
	}
	return lim
}

// chance draws from the seeded generator; p <= 0 draws nothing, so a knob that is off does
// not shift the sequence the others see.
func (s *Server) chance(p float64) bool {
	if p <= 0 {
		return false
	}
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.Float64() < p
}

// throttleError is each protocol's throttling answer: EKS models ThrottlingException as
// 429; IAM and STS answer the query code Throttling with 400; SageMaker ThrottlingException 400.
func throttleError(service string) (int, string) {
	switch service {
	case "iam", "sts":
		return http.StatusBadRequest, "Throttling"
	case "sagemaker":
		return http.StatusBadRequest, "ThrottlingException"
	}
	return http.StatusTooManyRequests, "ThrottlingException"
}

// faultError is a server-side failure with the service's code: a 500 or (unavailable) a 503.
func faultError(service string, unavailable bool) (int, string, string) {
	if unavailable {
		code := "ServiceUnavailable"
		if service == "eks" {
			code = "ServiceUnavailableException"
		}
		return http.StatusServiceUnavailable, code, "Service is unavailable. Please try again later."
	}
	return http.StatusInternalServerError, internalCode(service), "We encountered an internal error. Please try again."
}

// dropConnection closes the client's connection with a TCP reset, without an HTTP answer.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// discardWriter swallows a handler's answer (reset-after).
type discardWriter struct {
	header http.Header
}

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}
