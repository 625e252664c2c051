package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"eksaccess/internal/creds"
	"eksaccess/internal/iostreams"
	"eksaccess/internal/output"
	"eksaccess/internal/usecase"
)

type assumeOptions struct {
	io      *iostreams.IOStreams
	format  creds.Format
	shell   creds.Shell
	command []string
	// endpoint: the variables that point tools at the endpoint this run used.
	endpoint func(region string) []creds.Var
	// inProcessSandbox: the sandbox runs inside this command and stops with it (known once
	// the clients are built).
	inProcessSandbox func() bool
	now              func() time.Time
	// environ is the base environment of COMMAND (os.Environ; tests replace it).
	environ func() []string
	Run     func(context.Context, usecase.AssumeRequest) (*usecase.AssumeResult, error)
	Req     usecase.AssumeRequest
}

func newAssumeCmd(f *Factory, runF func(*assumeOptions) error) *cobra.Command {
	o := &assumeOptions{io: f.IO, environ: os.Environ, now: f.Now, Run: f.Env().Assume}
	var duration, format, shell string
	cmd := &cobra.Command{
		Use:   "assume ROLE [-- COMMAND ARGS...]",
		Short: "Assume an IAM role and print its credentials for your shell, or run a command with them",
		Long: `Assume an IAM role (a name, role/NAME or an ARN) with STS AssumeRole and print the
temporary credentials:

  --format env                 export lines for eval (--shell bash|zsh|fish|powershell)
  --format json                {AccessKeyId, SecretAccessKey, SessionToken, Expiration, AssumedRoleArn}
  --format credential-process  the JSON of the AWS credential_process protocol

or, after --, run COMMAND with the credentials in its environment (AWS_PROFILE unset,
AWS_REGION kept) and exit with its exit code.

The session name defaults to your IAM user name (or your own session's name), so that a
role many people share still shows who did what in CloudTrail and the EKS audit log.
Credentials are written to stdout only.`,
		Example: `  eval "$(eksaccess assume EKSFullAccessRole)"
  eksaccess assume EKSFullAccessRole --shell fish | source
  eksaccess assume EKSFullAccessRole --mfa-serial arn:aws:iam::111122223333:mfa/alice --token-code 123456 -- kubectl get pods
  # in ~/.aws/config:  credential_process = eksaccess assume EKSFullAccessRole --format credential-process`,
		Args: func(cmd *cobra.Command, args []string) error {
			dash := cmd.ArgsLenAtDash()
			before, after := args, []string(nil)
			if dash >= 0 {
				before, after = args[:dash], args[dash:]
				if len(after) == 0 {
					return usageErrorf("nothing after --: give the command to run, e.g. -- aws sts get-caller-identity")
				}
			}
			if len(before) != 1 {
				return usageErrorf("%s takes one ROLE, then optionally -- COMMAND ARGS... (got %q): put the command after --", cmd.CommandPath(), before)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Req.As.Role = args[0]
			if dash := cmd.ArgsLenAtDash(); dash >= 0 {
				o.command = args[dash:]
			}
			o.endpoint = func(region string) []creds.Var { return assumeEndpointVars(f, region) }
			o.inProcessSandbox = func() bool { return f.UseSandbox && len(f.closers) > 0 }
			return dispatch(o, o.parse(cmd, f, duration, format, shell), runF, func() error {
				res, err := o.Run(cmd.Context(), o.Req)
				return o.render(cmd.Context(), res, err)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Req.As.SessionName, "session-name", "", "role session name (default: your IAM user name or session name)")
	fl.StringVar(&duration, "duration", "", "session duration, 15m to 12h, as 1h or 3600 (default: 1h; at most the role's maximum)")
	fl.StringVar(&o.Req.MFASerial, "mfa-serial", "", "ARN (or serial number) of your MFA device, for roles that require MFA")
	fl.StringVar(&o.Req.TokenCode, "token-code", "", "the 6-digit code from your MFA device")
	fl.StringVar(&format, "format", "", "env, json or credential-process (default env, or json with -o json)")
	fl.StringVar(&shell, "shell", "bash", "shell of the env format: bash, zsh, fish or powershell")
	return cmd
}

func (o *assumeOptions) parse(cmd *cobra.Command, f *Factory, duration, format, shell string) error {
	var err error
	if duration != "" {
		if o.Req.Duration, err = creds.ParseDuration(duration); err != nil {
			return usageErrorf("%v", err)
		}
	}
	// -o json is --format json; -o table (the default) prints the env format.
	if out, err := output.ParseFormat(f.Output, output.Table, output.JSON); err != nil {
		return usageErrorf("%v (assume prints credentials: choose how with --format env|json|credential-process)", err)
	} else if format == "" && out == output.JSON {
		format = "json"
	}
	if o.format, err = creds.ParseFormat(format); err != nil {
		return usageErrorf("%v", err)
	}
	if o.shell, err = creds.ParseShell(shell); err != nil {
		return usageErrorf("%v", err)
	}
	if len(o.command) > 0 && (cmd.Flags().Changed("format") || cmd.Flags().Changed("shell")) {
		return usageErrorf("--format and --shell choose how credentials are printed; with -- COMMAND they go to the command's environment instead: drop them")
	}
	return asUsage(o.Req.Validate())
}

// render prints the credentials in the format asked for, or runs the command with them
// (and exits with its exit code).
func (o *assumeOptions) render(ctx context.Context, res *usecase.AssumeResult, err error) error {
	if err != nil {
		return err
	}
	extra := o.endpoint(res.Region)
	if len(o.command) > 0 {
		env := creds.Environ(o.environ(), res.Credentials, extra)
		code, err := creds.Run(ctx, o.command, env, o.io.In, o.io.Out, o.io.ErrOut)
		if err != nil {
			return err
		}
		if code != 0 {
			return &ExitError{Code: code}
		}
		return nil
	}
	if o.inProcessSandbox() && o.format != creds.FormatCredentialProcess {
		fmt.Fprintf(o.io.ErrOut, "# note: the sandbox ran inside this command and stops with it; for the credentials to work, run `eksaccess sandbox serve` in another terminal\n")
	}
	return creds.Write(o.io.Out, o.format, o.shell, res.Credentials, extra, o.now())
}

// assumeEndpointVars points tools at the endpoint eksaccess used, when it is not AWS's own
// (--sandbox or --endpoint-url): the credentials exist only there.
func assumeEndpointVars(f *Factory, region string) []creds.Var {
	if !f.UseSandbox && f.EndpointURL == "" {
		return nil
	}
	// The sandbox's, or --endpoint-url (resolved when the clients were built).
	endpoint, err := f.session().Endpoint(context.Background())
	if err != nil || endpoint == "" {
		endpoint = f.EndpointURL
	}
	return creds.EndpointVars(endpoint, region)
}
