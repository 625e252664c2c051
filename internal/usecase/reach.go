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

var roleArnRE = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}$`)

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
