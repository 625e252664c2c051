package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithy "github.com/aws/smithy-go"
	"github.com/spf13/cobra"

	"eksaccess/internal/creds"
	"eksaccess/internal/role"
)

type assumeOptions struct {
	f           *Factory
	role        string
	sessionName string
	duration    time.Duration // 0: STS's default (1h)
	mfaSerial   string
	tokenCode   string
	format      creds.Format
	shell       creds.Shell
	command     []string
	// environ is the base environment of COMMAND (os.Environ; tests replace it).
	environ func() []string
}

var (
	assumeRoleArnRe = regexp.MustCompile(`^arn:[a-z-]+:iam::\d{12}:role/(.+/)?[\w+=,.@-]{1,64}$`)
	assumeSerialRe  = regexp.MustCompile(`^[\w+=/:,.@-]{9,256}$`)
	assumeTokenRe   = regexp.MustCompile(`^\d{6}$`)
)

func newAssumeCmd(f *Factory) *cobra.Command {
	o := &assumeOptions{f: f, environ: os.Environ}
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
			o.role = args[0]
			if dash := cmd.ArgsLenAtDash(); dash >= 0 {
				o.command = args[dash:]
			}
			if err := o.parse(cmd, duration, format, shell); err != nil {
				return err
			}
			return runAssume(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.sessionName, "session-name", "", "role session name (default: your IAM user name or session name)")
	fl.StringVar(&duration, "duration", "", "session duration, 15m to 12h, as 1h or 3600 (default: 1h; at most the role's maximum)")
	fl.StringVar(&o.mfaSerial, "mfa-serial", "", "ARN (or serial number) of your MFA device, for roles that require MFA")
	fl.StringVar(&o.tokenCode, "token-code", "", "the 6-digit code from your MFA device")
	fl.StringVar(&format, "format", "", "env, json or credential-process (default env, or json with -o json)")
	fl.StringVar(&shell, "shell", "bash", "shell of the env format: bash, zsh, fish or powershell")
	return cmd
}

func (o *assumeOptions) parse(cmd *cobra.Command, duration, format, shell string) error {
	var err error
	if duration != "" {
		if o.duration, err = creds.ParseDuration(duration); err != nil {
			return usageErrorf("%v", err)
		}
	}
	if format == "" && strings.EqualFold(o.f.Output, "json") {
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
	if o.sessionName != "" && !creds.ValidSessionName(o.sessionName) {
		return usageErrorf("--session-name %q is not valid: STS allows 2 to 64 of letters, digits and +=,.@_-", o.sessionName)
	}
	if (o.mfaSerial == "") != (o.tokenCode == "") {
		return usageErrorf("--mfa-serial and --token-code go together: pass your MFA device's ARN and its current 6-digit code")
	}
	if o.mfaSerial != "" && !assumeSerialRe.MatchString(o.mfaSerial) {
		return usageErrorf("--mfa-serial %q is not an MFA device ARN or serial number (e.g. arn:aws:iam::111122223333:mfa/alice)", o.mfaSerial)
	}
	if o.tokenCode != "" && !assumeTokenRe.MatchString(o.tokenCode) {
		return usageErrorf("--token-code must be the 6 digits your MFA device shows")
	}
	if strings.HasPrefix(o.role, "arn:") && !assumeRoleArnRe.MatchString(o.role) {
		return usageErrorf("%q is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)", o.role)
	}
	return nil
}

func runAssume(ctx context.Context, o *assumeOptions) error {
	c, err := o.f.Clients(ctx)
	if err != nil {
		return err
	}
	id, err := o.f.CallerIdentity(ctx)
	if err != nil {
		return err
	}
	roleArn, needsMFA, err := assumeResolveRole(ctx, o.f, id, o.role)
	if err != nil {
		return err
	}
	session := o.sessionName
	if session == "" {
		session = creds.SessionName(id.Arn)
	}
	in := &sts.AssumeRoleInput{RoleArn: aws.String(roleArn), RoleSessionName: aws.String(session)}
	if o.duration != 0 {
		in.DurationSeconds = aws.Int32(int32(o.duration / time.Second))
	}
	if o.tokenCode != "" {
		in.SerialNumber = aws.String(o.mfaSerial)
		in.TokenCode = aws.String(o.tokenCode)
	}
	out, err := c.STS.AssumeRole(ctx, in)
	if err != nil {
		return assumeError(roleArn, id, needsMFA, o.tokenCode != "", err)
	}
	cr := creds.Credentials{
		AccessKeyID:     aws.ToString(out.Credentials.AccessKeyId),
		SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey),
		SessionToken:    aws.ToString(out.Credentials.SessionToken),
		Expiration:      aws.ToTime(out.Credentials.Expiration),
	}
	if out.AssumedRoleUser != nil {
		cr.AssumedRoleArn = aws.ToString(out.AssumedRoleUser.Arn)
	}
	extra := assumeEndpointVars(o.f, c.Config.Region, c.IAM)

	if len(o.command) > 0 {
		env := creds.Environ(o.environ(), cr, extra)
		code, err := creds.Run(ctx, o.command, env, o.f.IO.In, o.f.IO.Out, o.f.IO.ErrOut)
		if err != nil {
			return err
		}
		if code != 0 {
			return &ExitError{Code: code}
		}
		return nil
	}
	if o.f.UseSandbox && len(o.f.closers) > 0 && o.format != creds.FormatCredentialProcess {
		fmt.Fprintf(o.f.IO.ErrOut, "# note: the sandbox ran inside this command and stops with it; for the credentials to work, run `eksaccess sandbox serve` in another terminal\n")
	}
	switch o.format {
	case creds.FormatJSON:
		return creds.WriteJSON(o.f.IO.Out, cr)
	case creds.FormatCredentialProcess:
		return creds.WriteCredentialProcess(o.f.IO.Out, cr)
	}
	return creds.WriteEnv(o.f.IO.Out, o.shell, cr, extra, o.f.Now())
}

// assumeEndpointVars points tools at the endpoint eksaccess used, when it is not AWS's own
// (--sandbox or --endpoint-url): the credentials exist only there.
func assumeEndpointVars(f *Factory, region string, api any) []creds.Var {
	if !f.UseSandbox && f.EndpointURL == "" {
		return nil
	}
	endpoint := f.EndpointURL
	if ic, ok := api.(*iam.Client); ok {
		if ep := aws.ToString(ic.Options().BaseEndpoint); ep != "" {
			endpoint = ep
		}
	}
	var vars []creds.Var
	if endpoint != "" {
		vars = append(vars, creds.Var{Name: "AWS_ENDPOINT_URL", Value: endpoint})
	}
	if region != "" {
		// The aws CLI v1 reads AWS_DEFAULT_REGION only; the SDKs read AWS_REGION.
		vars = append(vars, creds.Var{Name: "AWS_REGION", Value: region}, creds.Var{Name: "AWS_DEFAULT_REGION", Value: region})
	}
	return vars
}

// assumeResolveRole turns a role name, role/NAME or ARN into the role's ARN (path included,
// through GetRole), and says whether its trust policy asks for MFA when that is known.
func assumeResolveRole(ctx context.Context, f *Factory, id *Identity, ref string) (string, bool, error) {
	if strings.HasPrefix(ref, "arn:") {
		return ref, false, nil
	}
	name := strings.TrimPrefix(ref, "role/")
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	if len(name) == 0 || len(name) > 64 || !regexp.MustCompile(`^[\w+=,.@-]+$`).MatchString(name) {
		return "", false, &InputError{Err: fmt.Errorf("%q is not an IAM role name: give a name, role/NAME or a role ARN", ref)}
	}
	c, err := f.Clients(ctx)
	if err != nil {
		return "", false, err
	}
	out, err := c.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		var nse *iamtypes.NoSuchEntityException
		if errors.As(err, &nse) {
			return "", false, &InputError{Err: fmt.Errorf("no IAM role named %q in account %s: check the name, or create it with `eksaccess role create %s`", name, id.Account, name)}
		}
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "AccessDenied" {
			// People who assume a shared role often may not read IAM: assume the role at path /.
			f.Logf("cannot read IAM role %s (%s); assuming it at path /", name, ae.ErrorCode())
			return "arn:" + id.Partition + ":iam::" + id.Account + ":role/" + name, false, nil
		}
		return "", false, fmt.Errorf("look up IAM role %s: %w", name, err)
	}
	doc, _ := role.DecodeDocument(aws.ToString(out.Role.AssumeRolePolicyDocument))
	return aws.ToString(out.Role.Arn), strings.Contains(strings.ToLower(doc), "aws:multifactorauthpresent"), nil
}

// assumeError explains an AssumeRole failure, keeping AWS's message.
func assumeError(roleArn string, id *Identity, needsMFA, gaveMFA bool, err error) error {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return fmt.Errorf("assume role %s: %w", roleArn, err)
	}
	mfaHint := "pass --mfa-serial arn:" + id.Partition + ":iam::" + id.Account + ":mfa/DEVICE --token-code CODE (the 6-digit code of your MFA device)"
	switch ae.ErrorCode() {
	case "AccessDenied":
		switch {
		case needsMFA && !gaveMFA:
			return fmt.Errorf("assume role %s: %w: the role requires MFA: %s", roleArn, err, mfaHint)
		case gaveMFA && strings.Contains(ae.ErrorMessage(), "MultiFactorAuthentication"):
			return fmt.Errorf("assume role %s: %w: check --mfa-serial (your own MFA device's ARN) and use a fresh --token-code", roleArn, err)
		case !gaveMFA:
			return fmt.Errorf("assume role %s: %w: if the role requires MFA, %s; otherwise ask an admin to trust you (eksaccess role create --trust)", roleArn, err, mfaHint)
		}
		return fmt.Errorf("assume role %s: %w: ask an admin to trust you in the role (eksaccess role create --trust)", roleArn, err)
	case "ValidationError":
		return fmt.Errorf("assume role %s: %w: ask for a shorter --duration (at most the role's maximum session duration; 1h when your credentials are themselves a role session)", roleArn, err)
	case "ExpiredToken", "ExpiredTokenException":
		return fmt.Errorf("assume role %s: %w: your credentials have expired: refresh them (e.g. `aws sso login`)", roleArn, err)
	}
	return fmt.Errorf("assume role %s: %w", roleArn, err)
}
