package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
	"github.com/schollz/progressbar/v3"

	"eksaccess/internal/apply"
	"eksaccess/internal/awsapi"
	"eksaccess/internal/iostreams"
	"eksaccess/internal/output"
	"eksaccess/internal/principal"
	"eksaccess/internal/sandbox"
	"eksaccess/internal/usecase"
)

// Factory holds what every command shares: streams, global flags, and lazily built clients.
type Factory struct {
	IO     *iostreams.IOStreams
	Getenv func(string) string
	Now    func() time.Time

	// Global flags.
	Profile    string
	AssumeRole string // --assume-role: the run's credentials assume this role first
	// --external-id, --role-session-name: how --assume-role assumes it
	ExternalID, RoleSessionName string
	Region                      string
	EndpointURL                 string
	UseSandbox                  bool
	Output                      string
	Verbose                     bool
	NoProgress                  bool
	Rate                        float64
	Timeout                     time.Duration // --timeout / EKSACCESS_TIMEOUT: one attempt of any AWS or Kubernetes call

	once      sync.Once
	clients   *awsapi.Clients
	baseCreds aws.CredentialsProvider // with --assume-role: the credentials that assume it
	limiters  *awsapi.Limiters
	err       error
	closers   []func() error

	envOnce  sync.Once
	env      *usecase.Env
	mu       sync.Mutex
	regional map[string]*awsapi.Clients
	endpoint string

	// other accounts (access files with account: and profile: or assumeRole:)
	accounts       map[string]*accountClients
	baseAPIOptions []func(*middleware.Stack) error

	// identity cache
	idOnce sync.Once
	caller principal.Caller
	idErr  error
}

func newFactory(io *iostreams.IOStreams) *Factory {
	return &Factory{IO: io, Getenv: os.Getenv, Now: time.Now}
}

// Format is the -o value, checked against the formats a command supports.
func (f *Factory) Format(allowed ...output.Format) (output.Format, error) {
	ff, err := output.ParseFormat(f.Output, allowed...)
	if err != nil {
		return "", &UsageError{Err: err}
	}
	return ff, nil
}

// Clients returns the AWS clients, built once: against the embedded sandbox with --sandbox,
// else through the standard credential chain (and --endpoint-url / AWS_ENDPOINT_URL).
func (f *Factory) Clients(ctx context.Context) (*awsapi.Clients, error) {
	f.once.Do(func() { f.clients, f.err = f.buildClients(ctx) })
	return f.clients, f.err
}

// Limiters are the run's client-side rate state, one per (account, region, service).
func (f *Factory) Limiters() *awsapi.Limiters {
	if f.limiters == nil {
		f.limiters = awsapi.NewLimiters(f.Rate)
	}
	return f.limiters
}

func (f *Factory) buildClients(ctx context.Context) (*awsapi.Clients, error) {
	s := awsapi.Settings{Profile: f.Profile, Region: f.Region, Timeouts: f.Timeouts()}
	endpoint := f.EndpointURL
	if f.UseSandbox {
		sb, closeSandbox, err := sandbox.Connect(ctx, f.SandboxDir())
		if err != nil {
			return nil, err
		}
		if closeSandbox != nil {
			f.closers = append(f.closers, closeSandbox)
		}
		endpoint = sb.Endpoint
		s.Profile = ""
		if s.Region == "" {
			s.Region = sb.Region
		}
		s.Credentials = credentials.NewStaticCredentialsProvider(sb.AccessKeyID, sb.SecretAccessKey, "")
	}
	cfg, err := awsapi.LoadConfig(ctx, s)
	if err != nil {
		return nil, err
	}
	f.endpoint = endpoint
	if f.AssumeRole != "" {
		f.baseCreds = cfg.Credentials
		cfg.Credentials = assumeRoleCredentials(cfg, endpoint, f.assumed())
	}
	f.baseAPIOptions = slices.Clone(cfg.APIOptions)
	f.instrument(&cfg, "")
	return awsapi.NewClients(cfg, endpoint), nil
}

// assumed is the role --assume-role names, as the run assumes it (zero: none).
func (f *Factory) assumed() usecase.Reach {
	if f.AssumeRole == "" {
		return usecase.Reach{}
	}
	return usecase.Reach{RoleArn: f.AssumeRole, ExternalID: f.ExternalID, SessionName: f.RoleSessionName}
}

// instrument adds the rate state of the account (labelled by account) and the -v trace.
func (f *Factory) instrument(cfg *aws.Config, account string) {
	cfg.APIOptions = append(cfg.APIOptions, awsapi.WithLimiter(f.Limiters(), account))
	if f.Verbose {
		cfg.APIOptions = append(cfg.APIOptions, awsapi.WithTrace(f.IO.ErrOut))
	}
}

// assumeRoleCredentials assumes r's role with cfg's credentials (refreshed before expiry).
func assumeRoleCredentials(cfg aws.Config, endpoint string, r usecase.Reach) aws.CredentialsProvider {
	stsc := sts.NewFromConfig(cfg, func(o *sts.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
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

// accountClients are the clients (per region) and the caller of one other account.
type accountClients struct {
	once     sync.Once
	base     *awsapi.Clients
	caller   principal.Caller
	err      error
	mu       sync.Mutex
	regional map[string]*awsapi.Clients
}

// account builds, once per Reach, the clients of the account it names and looks up who the
// credentials are there (the use cases check that it is the account the file says).
func (f *Factory) account(ctx context.Context, r usecase.Reach) *accountClients {
	f.mu.Lock()
	if f.accounts == nil {
		f.accounts = map[string]*accountClients{}
	}
	ac, ok := f.accounts[r.Key()]
	if !ok {
		ac = &accountClients{regional: map[string]*awsapi.Clients{}}
		f.accounts[r.Key()] = ac
	}
	f.mu.Unlock()
	ac.once.Do(func() { ac.base, ac.caller, ac.err = f.buildAccount(ctx, r) })
	return ac
}

func (f *Factory) buildAccount(ctx context.Context, r usecase.Reach) (*awsapi.Clients, principal.Caller, error) {
	base, err := f.Clients(ctx)
	if err != nil {
		return nil, principal.Caller{}, err
	}
	var cfg aws.Config
	switch {
	case r.Profile != "":
		if f.UseSandbox {
			return nil, principal.Caller{}, fmt.Errorf("%s: profiles cannot reach the embedded sandbox: use assumeRole, or run `eksaccess sandbox serve` and point a profile at it", r)
		}
		cfg, err = awsapi.LoadConfig(ctx, awsapi.Settings{Profile: r.Profile, Region: base.Config.Region, Timeouts: f.Timeouts()})
		if err != nil {
			return nil, principal.Caller{}, fmt.Errorf("%s: %w", r, err)
		}
		if r.RoleArn != "" {
			cfg.Credentials = assumeRoleCredentials(cfg, f.endpoint, r)
		}
	default:
		// The run's credentials (with --assume-role: that role's), without the run's own rate
		// state and trace, which instrument adds for this account.
		cfg = base.Config.Copy()
		cfg.APIOptions = slices.Clone(f.baseAPIOptions)
		if r.RoleArn != "" {
			cfg.Credentials = assumeRoleCredentials(cfg, f.endpoint, r)
		}
	}
	label := r.Account
	if label == "" {
		label = r.Key()
	}
	f.instrument(&cfg, label)
	c := awsapi.NewClients(cfg, f.endpoint)
	caller, err := principal.LookupCaller(ctx, c.STS, c.IAM)
	if err != nil {
		return nil, principal.Caller{}, fmt.Errorf("%s: %w", r, err)
	}
	return c, caller, nil
}

// accountClientsFor hands out the clients of one region of another account.
func (f *Factory) accountClientsFor(ctx context.Context, r usecase.Reach, region string) (*awsapi.Clients, error) {
	ac := f.account(ctx, r)
	if ac.err != nil {
		return nil, ac.err
	}
	if region == "" || region == ac.base.Config.Region {
		return ac.base, nil
	}
	ac.mu.Lock()
	defer ac.mu.Unlock()
	if c, ok := ac.regional[region]; ok {
		return c, nil
	}
	cfg := ac.base.Config.Copy()
	cfg.Region = region
	c := awsapi.NewClients(cfg, f.endpoint)
	ac.regional[region] = c
	return c, nil
}

// accountCaller is who eksaccess is in another account.
func (f *Factory) accountCaller(ctx context.Context, r usecase.Reach) (principal.Caller, error) {
	ac := f.account(ctx, r)
	return ac.caller, ac.err
}

// Timeouts are the run's network timeouts (--timeout, EKSACCESS_TIMEOUT).
func (f *Factory) Timeouts() awsapi.Timeouts {
	if f.Timeout <= 0 {
		return awsapi.DefaultTimeouts()
	}
	return awsapi.TimeoutsFor(f.Timeout)
}

// Caller asks STS who we are, and IAM for the path of an assumed role (once per run).
func (f *Factory) Caller(ctx context.Context) (principal.Caller, error) {
	f.idOnce.Do(func() {
		c, err := f.Clients(ctx)
		if err != nil {
			f.idErr = err
			return
		}
		caller, err := principal.LookupCaller(ctx, c.STS, c.IAM)
		if err != nil {
			f.idErr = fmt.Errorf("%w; check your AWS credentials, e.g. run `aws sso login` or set AWS_PROFILE", err)
			return
		}
		f.caller = caller
	})
	return f.caller, f.idErr
}

// Close stops what the run started (the embedded sandbox).
func (f *Factory) Close() {
	for i := len(f.closers) - 1; i >= 0; i-- {
		f.closers[i]()
	}
	f.closers = nil
}

// stateDir is eksaccess's state directory ($XDG_STATE_HOME/eksaccess or ~/.local/state/eksaccess).
func (f *Factory) stateDir() string {
	if d := f.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "eksaccess")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "eksaccess")
	}
	return filepath.Join(home, ".local", "state", "eksaccess")
}

// SandboxDir is the embedded sandbox's state directory (EKSACCESS_SANDBOX overrides).
func (f *Factory) SandboxDir() string {
	if d := f.Getenv("EKSACCESS_SANDBOX"); d != "" {
		return d
	}
	return filepath.Join(f.stateDir(), "sandbox")
}

// JournalPath is where every change is recorded (EKSACCESS_JOURNAL overrides).
func (f *Factory) JournalPath() string {
	if p := f.Getenv("EKSACCESS_JOURNAL"); p != "" {
		return p
	}
	return filepath.Join(f.stateDir(), "journal.jsonl")
}

// CacheDir is where tokens are cached.
func (f *Factory) CacheDir() string {
	if d := f.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "eksaccess")
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "eksaccess")
	}
	return filepath.Join(os.TempDir(), "eksaccess-cache")
}

// Logf prints a diagnostic on stderr when -v is set.
func (f *Factory) Logf(format string, args ...any) {
	if f.Verbose {
		fmt.Fprintf(f.IO.ErrOut, format+"\n", args...)
	}
}

// Env is what the use cases need, built from the factory: clients per region, the caller
// (looked up once), the journal, the clock, progress on a terminal.
func (f *Factory) Env() *usecase.Env {
	f.envOnce.Do(func() {
		f.env = &usecase.Env{
			AWS:         f.regionalClients,
			Caller:      f.Caller,
			AWSFor:      f.accountClientsFor,
			CallerFor:   f.accountCaller,
			JournalPath: f.JournalPath(),
			Now:         f.Now,
			Logf:        f.Logf,
			Progress:    f.progress,
			ReadAWSAuth: func(ctx context.Context, c *awsapi.Clients, cluster string) ([]byte, error) {
				return usecase.FetchAWSAuth(ctx, c, cluster, f.Now, f.Timeouts())
			},
			ReadKube: func(ctx context.Context, c *awsapi.Clients, cluster, path string) ([]byte, error) {
				return usecase.FetchKube(ctx, c, cluster, path, f.Now, f.Timeouts())
			},
			CacheDir: f.CacheDir(),
			Profile:  f.activeProfile,
			Assumed:  func() (usecase.Reach, aws.CredentialsProvider) { return f.assumed(), f.baseCreds },
			Warnf:    func(format string, args ...any) { fmt.Fprintf(f.IO.ErrOut, "warning: "+format+"\n", args...) },
			Kube: func(server, token string, caPEM []byte) (usecase.KubeAPI, error) {
				return usecase.ClientGoKube("eksaccess/"+version(), f.Timeouts())(server, token, caPEM)
			},
			ClusterKube: usecase.ClientGoClusterKube("eksaccess/"+version(), f.Timeouts()),
		}
	})
	return f.env
}

// regionalClients hands out clients per region: IAM and STS are global, EKS and SageMaker
// are not, and one access file may name clusters in several regions.
func (f *Factory) regionalClients(ctx context.Context, region string) (*awsapi.Clients, error) {
	base, err := f.Clients(ctx)
	if err != nil {
		return nil, err
	}
	if region == "" || region == base.Config.Region {
		return base, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.regional[region]; ok {
		return c, nil
	}
	cfg := base.Config.Copy()
	cfg.Region = region
	c := awsapi.NewClients(cfg, f.endpoint)
	if f.regional == nil {
		f.regional = map[string]*awsapi.Clients{}
	}
	f.regional[region] = c
	return c, nil
}

func (f *Factory) progress(n int, label string) (apply.Progress, func()) {
	if !f.IO.ShowProgress() || n <= 5 {
		return nil, func() {}
	}
	bar := progressbar.NewOptions(n,
		progressbar.OptionSetWriter(f.IO.ErrOut),
		progressbar.OptionSetDescription(label),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(100_000_000),
	)
	return barProgress{bar}, func() { bar.Finish() }
}

type barProgress struct{ b *progressbar.ProgressBar }

func (p barProgress) Add(n int) { p.b.Add(n) }
