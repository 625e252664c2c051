package principal

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"eksaccess/internal/awsapi"
)

// Caller is who the credentials in use are, and which IAM principal EKS maps them to.
type Caller struct {
	Account   string
	Partition string
	Arn       string // as STS GetCallerIdentity returned it
	UserID    string
	Kind      Kind // KindUser, KindAssumedRole, KindRoot or KindFederatedUser
	Name      string
	Session   string // session name of an assumed role
	// PrincipalArn is the ARN an access entry for the caller has: the user ARN, or for an
	// assumed-role session the role ARN with its path. Empty for federated users, which
	// EKS cannot map.
	PrincipalArn string
	Path         string
	// PathKnown is false when the caller may not call iam:GetRole on its own role:
	// PrincipalArn then has path "/" and may differ from the entry's ARN; compare by
	// role name.
	PathKnown bool
}

// LookupCaller calls STS GetCallerIdentity, then CallerIdentity.
func LookupCaller(ctx context.Context, stsc awsapi.STS, iamc awsapi.IAM) (Caller, error) {
	out, err := stsc.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Caller{}, fmt.Errorf("find who you are (sts get-caller-identity): %w: check your AWS credentials (aws sts get-caller-identity)", err)
	}
	return CallerIdentity(ctx, out, iamc)
}

// CallerIdentity computes the caller's account, partition and the principal ARN EKS maps
// it to from a GetCallerIdentity answer. For an assumed role it asks IAM GetRole for the
// role's path, which the session ARN drops; if that is denied, it falls back to path "/"
// with PathKnown false. iamc may be nil when the caller is not an assumed role.
func CallerIdentity(ctx context.Context, out *sts.GetCallerIdentityOutput, iamc awsapi.IAM) (Caller, error) {
	if out == nil || aws.ToString(out.Arn) == "" {
		return Caller{}, errors.New("sts get-caller-identity returned no ARN: check the endpoint (AWS_ENDPOINT_URL) points at STS")
	}
	p, err := ParsePrincipalARN(aws.ToString(out.Arn))
	if err != nil {
		return Caller{}, fmt.Errorf("sts get-caller-identity returned an unexpected ARN: %w", err)
	}
	c := Caller{
		Account: p.Account, Partition: p.Partition, Arn: p.ARN.String(), UserID: aws.ToString(out.UserId),
		Kind: p.Kind, Name: p.Name, Session: p.Session, Path: p.Path, PathKnown: true,
	}
	if acct := aws.ToString(out.Account); acct != "" && acct != p.Account {
		return Caller{}, fmt.Errorf("sts get-caller-identity returned account %s but ARN %s: check the endpoint (AWS_ENDPOINT_URL) points at STS", acct, c.Arn)
	}
	switch p.Kind {
	case KindUser, KindRoot:
		c.PrincipalArn = c.Arn
	case KindRole:
		// Not returned by STS, but harmless: the ARN already is the role's.
		c.PrincipalArn = c.Arn
	case KindAssumedRole:
		c.Path, c.PathKnown = "/", false
		if iamc != nil {
			ro, err := iamc.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(p.Name)})
			switch {
			case err == nil && ro.Role != nil:
				c.Path, c.PathKnown = orRoot(aws.ToString(ro.Role.Path)), true
			case err == nil, isAccessDenied(err):
			case isNoSuchEntity(err):
				return Caller{}, fmt.Errorf("you are signed in as %s, but IAM has no role %s: the role was deleted; sign in again with current credentials", c.Arn, p.Name)
			default:
				return Caller{}, apiError("GetRole", "role "+p.Name+" (your own)", err)
			}
		}
		c.PrincipalArn = RoleARN(c.Partition, c.Account, c.Path, c.Name)
	case KindFederatedUser:
		// EKS cannot map federated users; PrincipalArn stays empty.
	default:
		return Caller{}, fmt.Errorf("sts get-caller-identity returned %s, which is not a principal: check the endpoint (AWS_ENDPOINT_URL) points at STS", c.Arn)
	}
	return c, nil
}

func isAccessDenied(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && strings.Contains(ae.ErrorCode(), "AccessDenied")
}
