package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
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
	Profile     string
	Region      string
	EndpointURL string
	UseSandbox  bool
	Output      string
	Verbose     bool
	NoProgress  bool
	Rate        float64
	Timeout     time.Duration // --timeout / EKSACCESS_TIMEOUT: one attempt of any AWS or Kubernetes call

	once     sync.Once
	clients  *awsapi.Clients
	limiters *awsapi.Limiters
	err      error
	closers  []func() error

	envOnce  sync.Once
	env      *usecase.Env
	mu       sync.Mutex
	regional map[string]*awsapi.Clients
	endpoint string

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

// Limiters are the run's client-side rate limits, one per AWS service.
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
	cfg.APIOptions = append(cfg.APIOptions, awsapi.WithLimiter(f.Limiters()))
	if f.Verbose {
		cfg.APIOptions = append(cfg.APIOptions, awsapi.WithTrace(f.IO.ErrOut))
	}
	f.endpoint = endpoint
	return awsapi.NewClients(cfg, endpoint), nil
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
			Warnf:    func(format string, args ...any) { fmt.Fprintf(f.IO.ErrOut, "warning: "+format+"\n", args...) },
			Kube: func(server, token string, caPEM []byte) (usecase.KubeAPI, error) {
				return usecase.ClientGoKube("eksaccess/"+version(), f.Timeouts())(server, token, caPEM)
			},
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
