package usecase

import (
	"context"
	"fmt"
	"regexp"

	"eksaccess/internal/awsapi"
	"eksaccess/internal/principal"
)

// Reach says how to reach an AWS account: the run's own credentials (the zero value), a
// profile, or a role to assume (with the run's credentials). Account, when set, is the
// account the credentials must land in: a mismatch is an error before any change.
type Reach struct {
	Account     string `json:"account,omitempty"`
	Profile     string `json:"profile,omitempty"`
	RoleArn     string `json:"roleArn,omitempty"`
	ExternalID  string `json:"externalId,omitempty"`
	SessionName string `json:"sessionName,omitempty"`
}

// IsDefault reports whether r is the run's own credentials, in whatever account they are.
func (r Reach) IsDefault() bool { return r == Reach{} }

// Key identifies the credentials (two clusters with the same key share clients and caller).
func (r Reach) Key() string {
	return r.Account + "|" + r.Profile + "|" + r.RoleArn + "|" + r.ExternalID + "|" + r.SessionName
}

// String names the reach in messages.
func (r Reach) String() string {
	s := "your credentials"
	switch {
	case r.RoleArn != "":
		s = "role " + r.RoleArn
	case r.Profile != "":
		s = "profile " + r.Profile
	}
	if r.Account != "" {
		s = "account " + r.Account + " (" + s + ")"
	}
	return s
}

var (
	roleArnRE    = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}$`)
	externalIDRE = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
)

// ValidateAssume checks a role to assume offline: its ARN, external id and session name
// (flag names the flags in messages: --assume-role, --account-role).
func (r Reach) ValidateAssume(flag string) error {
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
