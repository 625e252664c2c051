package usecase

import (
	"context"
	"fmt"
	"regexp"

	"eksaccess/internal/awsapi"
	"eksaccess/internal/awssession"
	"eksaccess/internal/principal"
)

// Reach says how to reach an AWS account (see awssession.Reach).
type Reach = awssession.Reach

var (
	roleArnRE    = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}$`)
	externalIDRE = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
)

// ValidateAssume checks a role to assume offline: its ARN, external id and session name
// (flag names the flags in messages: --assume-role, --account-role).
func ValidateAssume(r Reach, flag string) error {
	if err := ValidateRoleArn(r.RoleArn); err != nil {
		return fmt.Errorf("%s: %w", flag, err)
	}
	if n := len(r.ExternalID); n > 0 && (n < 2 || n > 1224 || !externalIDRE.MatchString(r.ExternalID)) {
		return fmt.Errorf("the external id of %s must be 2 to 1224 letters, digits or +=,.@:/-_", flag)
	}
	if r.SessionName != "" {
		if err := principal.ValidateSessionName(r.SessionName); err != nil {
			return fmt.Errorf("the session name of %s: %w", flag, err)
		}
	}
	return nil
}

// ValidateRoleArn checks an assumeRole/--assume-role value offline.
func ValidateRoleArn(arn string) error {
	if !roleArnRE.MatchString(arn) {
		return fmt.Errorf("%q is not an IAM role ARN like arn:aws:iam::444455556666:role/NAME", arn)
	}
	return nil
}

// accountClients returns the clients of a region in the account r reaches.
func (e *Env) accountClients(ctx context.Context, r Reach, region string) (*awsapi.Clients, error) {
	if r.IsDefault() || e.AWSFor == nil {
		if !r.IsDefault() {
			return nil, fmt.Errorf("%s: this command cannot reach other accounts: this is a bug in eksaccess, please report it", r)
		}
		return e.AWS(ctx, region)
	}
	return e.AWSFor(ctx, r, region)
}

// callerFor is who eksaccess is in the account r reaches.
func (e *Env) callerFor(ctx context.Context, r Reach) (principal.Caller, error) {
	if r.IsDefault() || e.CallerFor == nil {
		return e.Caller(ctx)
	}
	return e.CallerFor(ctx, r)
}

// callerIn is callerFor, refusing credentials of another account than the one r names
// (a *wrongAccountError).
func (e *Env) callerIn(ctx context.Context, r Reach) (principal.Caller, error) {
	caller, err := e.callerFor(ctx, r)
	if err == nil && r.Account != "" && caller.Account != r.Account {
		err = &wrongAccountError{Caller: caller, Want: r.Account}
	}
	return caller, err
}

// wrongAccountError says that the credentials that reach an account belong to another.
type wrongAccountError struct {
	Caller principal.Caller
	Want   string
}

func (w *wrongAccountError) Error() string {
	return fmt.Sprintf("the credentials are in account %s (%s), not %s", w.Caller.Account, w.Caller.Arn, w.Want)
}
