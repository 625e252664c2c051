package awsapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
)

// Settings select where and as whom eksaccess talks to AWS. Empty fields fall back to the
// standard chain (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL[_SERVICE], ~/.aws/config, SSO, IMDS).
type Settings struct {
	Profile     string
	Region      string
	EndpointURL string // overrides every service's endpoint, like `aws --endpoint-url` (see NewClients)
	// MaxAttempts for the SDK's retryer (0: 8). Throttling and 5xx are retried with backoff.
	MaxAttempts int
	// HTTPClient, when set, is used for every call (tests, sandbox).
	HTTPClient *http.Client
	// Credentials, when set, replace the chain (the embedded sandbox, assumed roles).
	Credentials aws.CredentialsProvider
	// Timeouts bound every attempt of every call (zero: DefaultTimeouts). The connect and
	// handshake timeouts apply only to the HTTP client LoadConfig builds (HTTPClient unset).
	Timeouts Timeouts
}

// DefaultMaxAttempts is higher than the SDK's 3: bulk runs meet throttling and eventual
// consistency, and a retry is far cheaper than a failed grant.
const DefaultMaxAttempts = 8

// LoadConfig loads an aws.Config with the standard credential chain.
func LoadConfig(ctx context.Context, s Settings) (aws.Config, error) {
	attempts := s.MaxAttempts
	if attempts == 0 {
		attempts = DefaultMaxAttempts
	}
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = attempts
				o.MaxBackoff = 5 * time.Second
				// Bulk runs are client-side rate limited; the SDK's retry token bucket would
				// otherwise turn a burst of throttles into hard failures.
				o.RateLimiter = noRateLimit{}
			})
		}),
	}
	if s.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(s.Profile))
	}
	if s.Region != "" {
		opts = append(opts, config.WithRegion(s.Region))
	}
	t := s.Timeouts
	if t == (Timeouts{}) {
		t = DefaultTimeouts()
	}
	if s.HTTPClient != nil {
		opts = append(opts, config.WithHTTPClient(s.HTTPClient))
	} else {
		opts = append(opts, config.WithHTTPClient(NewHTTPClient(t)))
	}
	opts = append(opts, config.WithAPIOptions([]func(*middleware.Stack) error{WithAttemptTimeout(t)}))
	if s.Credentials != nil {
		opts = append(opts, config.WithCredentialsProvider(s.Credentials))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, fmt.Errorf("no AWS region: pass --region, set AWS_REGION, or set region in your AWS profile")
	}
	if !validRegion(cfg.Region) {
		return aws.Config{}, &RegionError{Region: cfg.Region}
	}
	return cfg, nil
}

// RegionError is a region that cannot be a region name. The SDK would only refuse it at the
// first call ("failed to bind endpoint params, invalid input region"), as an API failure
// (exit 1); it is bad input, found before any call (exit 2; reliability corpus
// env-region-invalid).
type RegionError struct{ Region string }

func (e *RegionError) Error() string {
	return fmt.Sprintf("AWS region %q is not a region name like us-west-2: fix --region, AWS_REGION or the region of your AWS profile", e.Region)
}

// ExitCode is 2: bad input, nothing was changed.
func (e *RegionError) ExitCode() int { return 2 }

// validRegion: region names are DNS labels (lower-case letters, digits, hyphens), as the SDK's
// endpoint rules require.
func validRegion(r string) bool {
	if r == "" || len(r) > 63 || r[0] == '-' || r[len(r)-1] == '-' {
		return false
	}
	for _, c := range r {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

type noRateLimit struct{}

func (noRateLimit) GetToken(context.Context, uint) (func() error, error) {
	return func() error { return nil }, nil
}
func (noRateLimit) AddTokens(uint) error { return nil }

// Clients are the service clients built from one aws.Config.
type Clients struct {
	Config    aws.Config
	EKS       EKS
	IAM       IAM
	STS       STS
	SageMaker SageMaker
}

// NewClients builds the SDK clients for cfg. A non-empty endpoint overrides every service's
// endpoint, including AWS_ENDPOINT_URL_<SERVICE> (as `aws --endpoint-url` does).
func NewClients(cfg aws.Config, endpoint string) *Clients {
	var ep *string
	if endpoint != "" {
		ep = aws.String(endpoint)
	}
	return &Clients{
		Config:    cfg,
		EKS:       eks.NewFromConfig(cfg, func(o *eks.Options) { overrideEndpoint(&o.BaseEndpoint, ep) }),
		IAM:       iam.NewFromConfig(cfg, func(o *iam.Options) { overrideEndpoint(&o.BaseEndpoint, ep) }),
		STS:       sts.NewFromConfig(cfg, func(o *sts.Options) { overrideEndpoint(&o.BaseEndpoint, ep) }),
		SageMaker: sagemaker.NewFromConfig(cfg, func(o *sagemaker.Options) { overrideEndpoint(&o.BaseEndpoint, ep) }),
	}
}

// overrideEndpoint sets a client's BaseEndpoint to ep when there is one.
func overrideEndpoint(base **string, ep *string) {
	if ep != nil {
		*base = ep
	}
}
