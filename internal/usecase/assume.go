package usecase

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithy "github.com/aws/smithy-go"

	"eksaccess/internal/awsapi"
	"eksaccess/internal/creds"
	"eksaccess/internal/principal"
	"eksaccess/internal/role"
)

// AssumeRequest assumes an IAM role for temporary credentials.
type AssumeRequest struct {
	As AsRole `json:"as"`
	// Duration is the session's length (0: STS's default, 1h).
	Duration  time.Duration `json:"duration,omitempty"`
	MFASerial string        `json:"mfaSerial,omitempty"`
	TokenCode string        `json:"-"`
}

// Validate checks the request offline.
func (r *AssumeRequest) Validate() error {
	if strings.TrimSpace(r.As.Role) == "" {
		return inputErrorf("name the role to assume: a name, role/NAME or a role ARN")
	}
	if err := r.As.validate("ROLE"); err != nil {
		return err
	}
	if r.Duration != 0 && (r.Duration < 15*time.Minute || r.Duration > 12*time.Hour) {
		return inputErrorf("--duration %s is out of range: STS allows 15m to 12h (and at most the role's maximum session duration)", r.Duration)
	}
	if (r.MFASerial == "") != (r.TokenCode == "") {
		return inputErrorf("--mfa-serial and --token-code go together: pass your MFA device's ARN and its current 6-digit code")
	}
	if r.MFASerial != "" && !validMFASerial(r.MFASerial) {
		return inputErrorf("--mfa-serial %q is not an MFA device ARN or serial number (e.g. arn:aws:iam::111122223333:mfa/alice)", principal.Clip(r.MFASerial))
	}
	if r.TokenCode != "" && !validTokenCode(r.TokenCode) {
		return inputErrorf("--token-code must be the 6 digits your MFA device shows")
	}
	return nil
}

// validMFASerial is STS's SerialNumber: 9 to 256 of [\w+=/:,.@-].
func validMFASerial(s string) bool {
	if len(s) < 9 || len(s) > 256 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_+=/:,.@-", r)) {
			return false
		}
	}
	return true
}

func validTokenCode(s string) bool {
	if len(s) != 6 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// AssumeResult is a role's temporary credentials.
type AssumeResult struct {
	RoleArn     string
	SessionName string
	Credentials creds.Credentials
	// Region is the region the credentials were made for (AWS_REGION for a command).
	Region string
}

// Assume assumes the role: resolved to its ARN (path included) through the one principal
// resolver, the session named after the caller unless given, MFA passed when asked for.
// A refusal says what to do: MFA, a trust policy, a shorter duration, fresh credentials.
func (e *Env) Assume(ctx context.Context, r AssumeRequest) (*AssumeResult, error) {
	c, err := e.begin(ctx, &r)
	if err != nil {
		return nil, err
	}
	res, err := e.assume(ctx, c, r)
	if err != nil {
		return nil, err
	}
	res.Region = c.Config.Region
	return res, nil
}

// assume is AssumeRole with everything around it, for assume, token and kubeconfig.
func (e *Env) assume(ctx context.Context, c *awsapi.Clients, r AssumeRequest) (*AssumeResult, error) {
	caller, err := e.Caller(ctx)
	if err != nil {
		return nil, err
	}
	arn, err := e.roleArn(ctx, c, caller, r.As.Role)
	if err != nil {
		return nil, err
	}
	session := r.As.SessionName
	if session == "" {
		session = creds.SessionName(caller.Arn)
	}
	in := &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String(session)}
	if r.Duration != 0 {
		in.DurationSeconds = aws.Int32(int32(r.Duration / time.Second))
	}
	if r.TokenCode != "" {
		in.SerialNumber = aws.String(r.MFASerial)
		in.TokenCode = aws.String(r.TokenCode)
	}
	out, err := c.STS.AssumeRole(ctx, in)
	if err != nil {
		return nil, e.assumeError(ctx, c, caller, arn, session, r.TokenCode != "", err)
	}
	if out.Credentials == nil {
		return nil, fmt.Errorf("sts AssumeRole for %s returned no credentials: check the endpoint points at STS", arn)
	}
	res := &AssumeResult{RoleArn: arn, SessionName: session, Credentials: creds.Credentials{
		AccessKeyID:     aws.ToString(out.Credentials.AccessKeyId),
		SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey),
		SessionToken:    aws.ToString(out.Credentials.SessionToken),
		Expiration:      aws.ToTime(out.Credentials.Expiration),
	}}
	if out.AssumedRoleUser != nil {
		res.Credentials.AssumedRoleArn = aws.ToString(out.AssumedRoleUser.Arn)
		e.logf("assumed %s as %s", arn, res.Credentials.AssumedRoleArn)
	}
	return res, nil
}

// roleArn resolves a role as written (a name, role/NAME, role/PATH/NAME or an ARN) to its
// ARN, path included, through the one principal resolver. An ARN is taken as given: kubectl
// runs `eksaccess token --role ARN` for every token, which must not cost an IAM call. Those
// who assume a shared role often may not read IAM: denied, the role is taken at path /.
func (e *Env) roleArn(ctx context.Context, c *awsapi.Clients, caller principal.Caller, ref string) (string, error) {
	if strings.HasPrefix(ref, "arn:") {
		return ref, nil
	}
	ref = "role/" + strings.TrimPrefix(ref, "role/")
	res := resolverFor(c, caller)
	ps, err := res.Resolve(ctx, []principal.Ref{{Raw: ref}})
	if err == nil {
		return ps[0].Arn, nil
	}
	if t, perr := principal.ParseRef(ref); perr == nil && isAccessDenied(err) && t.Path == "" {
		e.logf("cannot read IAM role %s (%v); assuming it at path /", t.Name, err)
		return principal.RoleARN(caller.Partition, caller.Account, "/", t.Name), nil
	}
	return "", err
}

func isAccessDenied(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && (ae.ErrorCode() == "AccessDenied" || ae.ErrorCode() == "AccessDeniedException")
}

// assumeError explains an AssumeRole failure, keeping AWS's message.
func (e *Env) assumeError(ctx context.Context, c *awsapi.Clients, caller principal.Caller, arn, session string, gaveMFA bool, err error) error {
	prefix := fmt.Sprintf("assume role %s (session %s)", arn, session)
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return fmt.Errorf("%s: %w", prefix, err)
	}
	mfaHint := "pass --mfa-serial arn:" + caller.Partition + ":iam::" + caller.Account + ":mfa/DEVICE --token-code CODE (the 6-digit code of your MFA device)"
	switch ae.ErrorCode() {
	case "AccessDenied":
		switch {
		case gaveMFA && strings.Contains(ae.ErrorMessage(), "MultiFactorAuthentication"):
			return fmt.Errorf("%s: %w: check --mfa-serial (your own MFA device's ARN) and use a fresh --token-code", prefix, err)
		case gaveMFA:
			return fmt.Errorf("%s: %w: ask an admin to trust you in the role (eksaccess role create --trust)", prefix, err)
		case e.requiresMFA(ctx, c, arn):
			return fmt.Errorf("%s: %w: the role requires MFA: %s", prefix, err, mfaHint)
		}
		return fmt.Errorf("%s: %w: if the role requires MFA, %s; otherwise ask an admin to trust you (eksaccess role create --trust)", prefix, err, mfaHint)
	case "ValidationError":
		return fmt.Errorf("%s: %w: ask for a shorter --duration (at most the role's maximum session duration; 1h when your credentials are themselves a role session)", prefix, err)
	case "ExpiredToken", "ExpiredTokenException":
		return fmt.Errorf("%s: %w: your credentials have expired: refresh them (e.g. `aws sso login`)", prefix, err)
	}
	return fmt.Errorf("%s: %w", prefix, err)
}

// requiresMFA reads the role's trust policy (after a refusal only: a successful assume
// costs no IAM call) for an aws:MultiFactorAuthPresent condition.
func (e *Env) requiresMFA(ctx context.Context, c *awsapi.Clients, arn string) bool {
	p, err := principal.ParsePrincipalARN(arn)
	if err != nil {
		return false
	}
	out, err := c.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(p.Name)})
	if err != nil || out.Role == nil {
		return false
	}
	doc, _ := role.DecodeDocument(aws.ToString(out.Role.AssumeRolePolicyDocument))
	return strings.Contains(strings.ToLower(doc), "aws:multifactorauthpresent")
}
