package sandbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"eksaccess/internal/sandbox/sdktest"
)

// start runs a server on a fresh state directory and closes it when the test ends.
func start(t *testing.T, o Options) *Server {
	t.Helper()
	if o.StateDir == "" {
		o.StateDir = t.TempDir()
	}
	s, err := Start(context.Background(), o)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func adminCreds(t *testing.T, s *Server) aws.Credentials {
	t.Helper()
	id, secret, err := s.AdminCredentials()
	if err != nil {
		t.Fatal(err)
	}
	return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}
}

type clientOpts struct {
	attempts int           // 0 → 1 (no retries)
	backoff  time.Duration // between retries
	region   string
}

// cfg is an aws.Config for s built without the environment (no profile, no env keys).
func cfg(s *Server, c aws.Credentials, o clientOpts) aws.Config {
	attempts := o.attempts
	if attempts == 0 {
		attempts = 1
	}
	region := o.region
	if region == "" {
		region = DemoRegion
	}
	ac := sdktest.Config(s.Endpoint(), region, c.AccessKeyID, c.SecretAccessKey, c.SessionToken)
	ac.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	ac.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = attempts
			so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return o.backoff, nil })
			so.RateLimiter = noLimit{}
		})
	}
	return ac
}

type noLimit struct{}

func (noLimit) GetToken(context.Context, uint) (func() error, error) {
	return func() error { return nil }, nil
}
func (noLimit) AddTokens(uint) error { return nil }

func smClient(s *Server, c aws.Credentials, o clientOpts) *sagemaker.Client {
	return sagemaker.NewFromConfig(cfg(s, c, o))
}
func eksClient(s *Server, c aws.Credentials, o clientOpts) *eks.Client {
	return eks.NewFromConfig(cfg(s, c, o))
}
func iamClient(s *Server, c aws.Credentials, o clientOpts) *iam.Client {
	return iam.NewFromConfig(cfg(s, c, o))
}
func stsClient(s *Server, c aws.Credentials, o clientOpts) *sts.Client {
	return sts.NewFromConfig(cfg(s, c, o))
}

// apiErr asserts err is an AWS API error with code and HTTP status.
func apiErr(t *testing.T, err error, code string, status int) smithy.APIError {
	t.Helper()
	if err == nil {
		t.Fatalf("call succeeded, want %s (%d)", code, status)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an AWS API error, want %s", err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("error code %q (%v), want %q", ae.ErrorCode(), err, code)
	}
	var re *smithyhttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("error %v carries no HTTP response", err)
	}
	if re.HTTPStatusCode() != status {
		t.Fatalf("HTTP status %d, want %d (%v)", re.HTTPStatusCode(), status, err)
	}
	return ae
}

func ctx() context.Context { return context.Background() }

func asErr[T error](err error, target *T) bool { return errors.As(err, target) }

func sha256Sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
