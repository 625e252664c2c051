package cli

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"eksaccess/internal/apply"
	"eksaccess/internal/awsapi"
	"eksaccess/internal/awssession"
	"eksaccess/internal/dirs"
	"eksaccess/internal/iostreams"
	"eksaccess/internal/sandbox"
	"eksaccess/internal/usecase"
	"eksaccess/internal/view"
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

	aws     *awssession.Session
	closers []func() error

	envOnce sync.Once
	env     *usecase.Env
}

func newFactory(io *iostreams.IOStreams) *Factory {
	return &Factory{IO: io, Getenv: os.Getenv, Now: time.Now}
}

// session is the run's AWS clients, built on first use: against the embedded sandbox with
// --sandbox, else through the standard credential chain (and --endpoint-url / AWS_ENDPOINT_URL).
func (f *Factory) session() *awssession.Session {
	if f.aws == nil {
		f.aws = awssession.New(f.sessionOptions)
	}
	return f.aws
}

func (f *Factory) sessionOptions(ctx context.Context) (awssession.Options, error) {
	o := awssession.Options{
		Settings: awsapi.Settings{Profile: f.Profile, Region: f.Region, Timeouts: f.Timeouts()},
		Endpoint: f.EndpointURL,
		Assume:   f.assumed(),
		Rate:     f.Rate,
	}
	if f.Verbose {
		o.Trace = f.IO.ErrOut
	}
	if f.UseSandbox {
		sb, closeSandbox, err := sandbox.Connect(ctx, f.SandboxDir())
		if err != nil {
			return o, err
		}
		if closeSandbox != nil {
			f.closers = append(f.closers, closeSandbox)
		}
		o.Endpoint = sb.Endpoint
		o.Settings.Profile = ""
		if o.Settings.Region == "" {
			o.Settings.Region = sb.Region
		}
		o.Settings.Credentials = credentials.NewStaticCredentialsProvider(sb.AccessKeyID, sb.SecretAccessKey, "")
		o.NoProfiles = "profiles cannot reach the embedded sandbox: use assumeRole, or run `eksaccess sandbox serve` and point a profile at it"
	}
	return o, nil
}

// Timeouts are the run's network timeouts (--timeout, EKSACCESS_TIMEOUT).
func (f *Factory) Timeouts() awsapi.Timeouts {
	if f.Timeout <= 0 {
		return awsapi.DefaultTimeouts()
	}
	return awsapi.TimeoutsFor(f.Timeout)
}

// Close stops what the run started (the embedded sandbox).
func (f *Factory) Close() {
	for i := len(f.closers) - 1; i >= 0; i-- {
		f.closers[i]()
	}
	f.closers = nil
}

// assumed is the role --assume-role names, as the run assumes it (zero: none).
func (f *Factory) assumed() usecase.Reach {
	if f.AssumeRole == "" {
		return usecase.Reach{}
	}
	return usecase.Reach{RoleArn: f.AssumeRole, ExternalID: f.ExternalID, SessionName: f.RoleSessionName}
}

// SandboxDir is the embedded sandbox's state directory.
func (f *Factory) SandboxDir() string { return dirs.Sandbox(f.Getenv) }

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
			AWS:         f.session().Clients,
			Caller:      f.session().Caller,
			AWSFor:      f.session().ClientsFor,
			CallerFor:   f.session().CallerFor,
			JournalPath: dirs.Journal(f.Getenv),
			Now:         f.Now,
			Logf:        f.Logf,
			Progress:    f.progress,
			CacheDir:    dirs.Cache(f.Getenv),
			Profile:     f.activeProfile,
			Assumed:     f.session().Assumed,
			Warnf:       func(format string, args ...any) { fmt.Fprintf(f.IO.ErrOut, "warning: "+format+"\n", args...) },
		}
		f.env.UseClientGo("eksaccess/"+version(), f.Timeouts)
	})
	return f.env
}

func (f *Factory) progress(n int, label string) (apply.Progress, func()) {
	if !f.IO.ShowProgress() {
		return nil, func() {}
	}
	return view.Progress(f.IO.ErrOut, n, label)
}
