// Package cli is eksaccess's command line: a constructor with an injectable run function
// per command, its options a job (request, use case, output) or a struct embedding one; a
// Factory of lazy clients; exit codes mapped once in Main.
package cli

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"eksaccess/internal/awsapi"
	"eksaccess/internal/buildinfo"
	"eksaccess/internal/iostreams"
	"eksaccess/internal/usecase"
)

// Version is set at build time (-ldflags "-X eksaccess/internal/cli.Version=…"). Left at
// "dev", --version reports what the Go toolchain stamped into the binary instead.
var Version = "dev"

// version is what --version prints: the -ldflags override, else what the build stamped.
func version() string { return buildinfo.Version(Version) }

// Main runs eksaccess with the process's arguments and streams and returns the exit code.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, os.Args[1:], iostreams.System(), os.Getenv)
}

// Run is Main with everything injected (tests call it).
func Run(ctx context.Context, args []string, io *iostreams.IOStreams, getenv func(string) string) int {
	f := newFactory(io)
	f.Getenv = getenv
	defer f.Close()
	root := NewRootCmd(f)
	root.SetArgs(args)
	root.SetIn(io.In)
	root.SetOut(io.Out)
	root.SetErr(io.ErrOut)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	code := exitCodeOf(err)
	var ee *ExitError
	if errors.As(err, &ee) && ee.Err == nil {
		return code
	}
	msg := err.Error()
	if ctx.Err() != nil && code == ExitFailure {
		code = ExitSignal
	}
	fmt.Fprintf(io.ErrOut, "error: %s\n", msg)
	var ue *UsageError
	if errors.As(err, &ue) {
		fmt.Fprintf(io.ErrOut, "run `%s --help` for usage\n", commandPath(root, args))
	}
	return code
}

func commandPath(root *cobra.Command, args []string) string {
	c, _, err := root.Find(args)
	if err != nil || c == nil {
		return root.Name()
	}
	return c.CommandPath()
}

// NewRootCmd builds the command tree.
func NewRootCmd(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "eksaccess",
		Short: "Manage who can reach Amazon EKS and SageMaker HyperPod clusters through EKS access entries",
		Long: `eksaccess manages who can reach Amazon EKS clusters, SageMaker HyperPod clusters
included, through EKS access entries: bulk and single grants, revoke, the shared-role
flow, declarative plan/apply, kubeconfig and tokens, and offline can-i/who-can.

It uses the standard AWS credential chain (AWS_PROFILE, SSO, environment, --profile)
and AWS_ENDPOINT_URL. With --sandbox it runs against a local, embedded AWS sandbox
instead: the way to try it without an AWS account.`,
		Version:       version(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &UsageError{Err: err} })
	pf := root.PersistentFlags()
	pf.StringVar(&f.Profile, "profile", "", "AWS profile to use (default: AWS_PROFILE or the default profile)")
	pf.StringVar(&f.AssumeRole, "assume-role", "", "assume this IAM role (ARN) with your credentials first, e.g. to reach another account")
	pf.StringVar(&f.ExternalID, "external-id", "", "with --assume-role: the external id the role's trust policy requires")
	pf.StringVar(&f.RoleSessionName, "role-session-name", "", "with --assume-role: the session name (default eksaccess)")
	pf.StringVar(&f.Region, "region", "", "AWS region (default: AWS_REGION or the profile's region)")
	pf.StringVar(&f.EndpointURL, "endpoint-url", "", "send every AWS call to this endpoint (overrides AWS_ENDPOINT_URL*)")
	pf.BoolVar(&f.UseSandbox, "sandbox", false, "run against the embedded local sandbox (state in EKSACCESS_SANDBOX or ~/.local/state/eksaccess/sandbox)")
	pf.StringVarP(&f.Output, "output", "o", "", "output format: table, json or yaml")
	pf.BoolVarP(&f.Verbose, "verbose", "v", false, "print each AWS call (operation, status, duration) on stderr")
	pf.BoolVar(&f.NoProgress, "no-progress", false, "never show a progress bar")
	pf.Float64Var(&f.Rate, "rate", 0, "fixed client-side cap on calls per second to each AWS service, per account and region (default: no cap until AWS throttles, then back off and recover)")
	pf.DurationVar(&f.Timeout, "timeout", awsapi.DefaultTimeout, "give up on an AWS or Kubernetes call after this long per attempt (connect and TLS handshake get half, at most 10s); env EKSACCESS_TIMEOUT")
	root.PersistentPreRunE = func(c *cobra.Command, args []string) error {
		f.IO.NoProgress = f.NoProgress
		if err := f.resolveTimeout(c); err != nil {
			return err
		}
		if f.UseSandbox && f.EndpointURL != "" {
			return usageErrorf("--sandbox and --endpoint-url cannot be used together: --sandbox picks its own endpoint")
		}
		if f.AssumeRole != "" {
			if err := usecase.ValidateAssume(f.assumed(), "--assume-role"); err != nil {
				return usageErrorf("%v", err)
			}
		} else if f.ExternalID != "" || f.RoleSessionName != "" {
			return usageErrorf("--external-id and --role-session-name go with --assume-role ARN")
		}
		// !(> 0) also refuses NaN, which compares false with everything and would slip past
		// "<= 0" into an unlimited rate; +Inf is no limit either (reliability corpus flag-rate-nan).
		if c.Flags().Changed("rate") && (!(f.Rate > 0) || math.IsInf(f.Rate, 1)) {
			return usageErrorf("--rate must be positive, got %v", f.Rate)
		}
		return nil
	}
	root.AddCommand(
		newPoliciesCmd(f, nil),
		newClustersCmd(f, nil),
		newEntriesCmd(f),
		newGrantCmd(f, nil),
		newRevokeCmd(f, nil),
		newRoleCmd(f),
		newAssumeCmd(f, nil),
		newKubeconfigCmd(f, nil),
		newTokenCmd(f, nil),
		newPlanCmd(f, nil),
		newApplyCmd(f, nil),
		newExportCmd(f, nil),
		newMigrateCmd(f),
		newAuthModeCmd(f, nil),
		newExpireCmd(f, nil),
		newCanICmd(f, nil),
		newTeamCmd(f, nil),
		newAccessCmd(f, nil),
		newWhoCanCmd(f, nil),
		newVerifyCmd(f, nil),
		newAuditCmd(f, nil),
		newDoctorCmd(f, nil),
		newSandboxCmd(f),
	)
	return root
}

// resolveTimeout settles the run's timeout from --timeout and EKSACCESS_TIMEOUT.
func (f *Factory) resolveTimeout(c *cobra.Command) error {
	d, err := awsapi.ResolveTimeout(f.Timeout, c.Flags().Changed("timeout"), f.Getenv("EKSACCESS_TIMEOUT"))
	if err != nil {
		return &UsageError{Err: err}
	}
	f.Timeout = d
	return nil
}

// group adds subs to parent, a command that holds them.
func group(parent *cobra.Command, subs ...*cobra.Command) *cobra.Command {
	parent.AddCommand(subs...)
	return parent
}

// argsInto takes exactly one argument per field of to (names says which, for the usage
// error) and stores them there, as flags store theirs, before RunE runs.
func argsInto(names string, to ...*string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := exactArgs(len(to), names)(cmd, args); err != nil {
			return err
		}
		for i, p := range to {
			*p = args[i]
		}
		return nil
	}
}

func exactArgs(n int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErrorf("%s takes %d argument(s): %s (got %d)", cmd.CommandPath(), n, names, len(args))
		}
		return nil
	}
}

// minArgs is cobra.MinimumNArgs as a usage error (exit 2).
func minArgs(n int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return usageErrorf("%s takes at least %d argument(s): %s (got %d)", cmd.CommandPath(), n, names, len(args))
		}
		return nil
	}
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf("%s takes no arguments (got %s)", cmd.CommandPath(), strings.Join(args, " "))
	}
	return nil
}
