// Package awssession builds a run's AWS clients once and hands them out: the run's own
// account in each region it touches, and other accounts — reached through a profile or an
// assumed role — in theirs, each (account, region, service) with its own rate state.
package awssession

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"

	"eksaccess/internal/awsapi"
	"eksaccess/internal/principal"
)

// Options say how the run reaches AWS.
type Options struct {
	// Settings are the run's profile, region, timeouts and (the embedded sandbox) credentials.
	Settings awsapi.Settings
	// Endpoint, when set, serves every service (the sandbox, --endpoint-url).
	Endpoint string
	// Assume, when it names a role, is assumed first with the run's credentials
	// (--assume-role, --external-id, --role-session-name).
	Assume Reach
	// Rate is the fixed client-side cap per (account, region, service); 0 adapts.
	Rate float64
	// Trace, when set, receives one line per call (-v).
	Trace io.Writer
	// NoProfiles, when set, is why a Reach cannot name a profile (the embedded sandbox).
	NoProfiles string
}

// Session is one run's clients. Options are resolved on first use, so a command that
// never calls AWS never starts the sandbox or reads a profile.
type Session struct {
	options func(context.Context) (Options, error)

	once     sync.Once
	opts     Options
	base     *awsapi.Clients
	apiOpts  []func(*middleware.Stack) error // the base config's, before rate state and trace
	creds    aws.CredentialsProvider         // with Assume: the credentials that assume the role
	err      error
	limiters *awsapi.Limiters
	ready    atomic.Bool // init finished without error: opts, base and creds may be read

	mu       sync.Mutex
	own      *account
	accounts map[string]*account
}

// New returns a session whose options are computed, once, by options.
func New(options func(context.Context) (Options, error)) *Session {
	return &Session{options: options, accounts: map[string]*account{}}
}

// account is the clients (per region) and the caller of one set of credentials.
type account struct {
	once     sync.Once
	base     *awsapi.Clients
	caller   principal.Caller
	err      error
	mu       sync.Mutex
	regional map[string]*awsapi.Clients
}

func (s *Session) init(ctx context.Context) error {
	s.once.Do(func() {
		s.opts, s.err = s.options(ctx)
		if s.err != nil {
			return
		}
		s.limiters = awsapi.NewLimiters(s.opts.Rate)
		var cfg aws.Config
		cfg, s.err = awsapi.LoadConfig(ctx, s.opts.Settings)
		if s.err != nil {
			return
		}
		if s.opts.Assume.RoleArn != "" {
			s.creds = cfg.Credentials
			cfg.Credentials = s.assume(cfg, s.opts.Assume)
		}
		s.apiOpts = slices.Clone(cfg.APIOptions)
		s.instrument(&cfg, "")
		s.base = awsapi.NewClients(cfg, s.opts.Endpoint)
		s.own = &account{base: s.base, regional: map[string]*awsapi.Clients{}}
		s.ready.Store(true)
	})
	return s.err
}

// Endpoint is the endpoint every service is reached at ("" for AWS's own), once resolved.
func (s *Session) Endpoint(ctx context.Context) (string, error) {
	if err := s.init(ctx); err != nil {
		return "", err
	}
	return s.opts.Endpoint, nil
}

// Assumed is the role the run's credentials assume first and the credentials that assume
// it (zero and nil without a role, and until the session is first used).
func (s *Session) Assumed() (Reach, aws.CredentialsProvider) {
	if !s.ready.Load() {
		return Reach{}, nil
	}
	return s.opts.Assume, s.creds
}

// Clients are the run's own clients for region ("" for the run's region).
func (s *Session) Clients(ctx context.Context, region string) (*awsapi.Clients, error) {
	if err := s.init(ctx); err != nil {
		return nil, err
	}
	return s.regional(s.own, region), nil
}

// Caller is who the run's credentials are, with an assumed role's path (looked up once).
func (s *Session) Caller(ctx context.Context) (principal.Caller, error) {
	if err := s.init(ctx); err != nil {
		return principal.Caller{}, err
	}
	s.own.once.Do(func() {
		s.own.caller, s.own.err = principal.LookupCaller(ctx, s.base.STS, s.base.IAM)
		if s.own.err != nil {
			s.own.err = fmt.Errorf("%w; check your AWS credentials, e.g. run `aws sso login` or set AWS_PROFILE", s.own.err)
		}
	})
	return s.own.caller, s.own.err
}

// ClientsFor are the clients of region in the account r reaches.
func (s *Session) ClientsFor(ctx context.Context, r Reach, region string) (*awsapi.Clients, error) {
	if r.IsDefault() {
		return s.Clients(ctx, region)
	}
	a, err := s.account(ctx, r)
	if err != nil {
		return nil, err
	}
	return s.regional(a, region), nil
}

// CallerFor is who eksaccess is in the account r reaches (the use cases check that it is
// the account an access file says).
func (s *Session) CallerFor(ctx context.Context, r Reach) (principal.Caller, error) {
	if r.IsDefault() {
		return s.Caller(ctx)
	}
	a, err := s.account(ctx, r)
	if err != nil {
		return principal.Caller{}, err
	}
	return a.caller, nil
}

// account builds, once per Reach, the clients of the account it names and looks up who the
// credentials are there.
func (s *Session) account(ctx context.Context, r Reach) (*account, error) {
	if err := s.init(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	a, ok := s.accounts[r.Key()]
	if !ok {
		a = &account{regional: map[string]*awsapi.Clients{}}
		s.accounts[r.Key()] = a
	}
	s.mu.Unlock()
	a.once.Do(func() { a.base, a.caller, a.err = s.build(ctx, r) })
	return a, a.err
}

func (s *Session) build(ctx context.Context, r Reach) (*awsapi.Clients, principal.Caller, error) {
	var cfg aws.Config
	if r.Profile != "" {
		if s.opts.NoProfiles != "" {
			return nil, principal.Caller{}, fmt.Errorf("%s: %s", r, s.opts.NoProfiles)
		}
		set := s.opts.Settings
		set.Profile, set.Region, set.Credentials = r.Profile, s.base.Config.Region, nil
		var err error
		if cfg, err = awsapi.LoadConfig(ctx, set); err != nil {
			return nil, principal.Caller{}, fmt.Errorf("%s: %w", r, err)
		}
	} else {
		// The run's credentials (with --assume-role: that role's), without the run's own
		// rate state and trace, which instrument adds for this account.
		cfg = s.base.Config.Copy()
		cfg.APIOptions = slices.Clone(s.apiOpts)
	}
	if r.RoleArn != "" {
		cfg.Credentials = s.assume(cfg, r)
	}
	label := r.Account
	if label == "" {
		label = r.Key()
	}
	s.instrument(&cfg, label)
	c := awsapi.NewClients(cfg, s.opts.Endpoint)
	caller, err := principal.LookupCaller(ctx, c.STS, c.IAM)
	if err != nil {
		return nil, principal.Caller{}, fmt.Errorf("%s: %w", r, err)
	}
	return c, caller, nil
}

// regional hands out a's clients for region: IAM and STS are global, EKS and SageMaker are
// not, and one access file may name clusters in several regions.
func (s *Session) regional(a *account, region string) *awsapi.Clients {
	if region == "" || region == a.base.Config.Region {
		return a.base
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if c, ok := a.regional[region]; ok {
		return c
	}
	cfg := a.base.Config.Copy()
	cfg.Region = region
	c := awsapi.NewClients(cfg, s.opts.Endpoint)
	a.regional[region] = c
	return c
}

// instrument adds the account's rate state (labelled by account) and the -v trace.
func (s *Session) instrument(cfg *aws.Config, account string) {
	cfg.APIOptions = append(cfg.APIOptions, awsapi.WithLimiter(s.limiters, account))
	if s.opts.Trace != nil {
		cfg.APIOptions = append(cfg.APIOptions, awsapi.WithTrace(s.opts.Trace))
	}
}

// assume assumes r's role with cfg's credentials (cached, refreshed before expiry).
func (s *Session) assume(cfg aws.Config, r Reach) aws.CredentialsProvider {
	stsc := sts.NewFromConfig(cfg, func(o *sts.Options) {
		if s.opts.Endpoint != "" {
			o.BaseEndpoint = aws.String(s.opts.Endpoint)
		}
	})
	session := r.SessionName
	if session == "" {
		session = "eksaccess"
	}
	return aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsc, r.RoleArn, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = session
		if r.ExternalID != "" {
			o.ExternalID = aws.String(r.ExternalID)
		}
	}))
}
