package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// resolveOnePrincipal turns a user name, role/NAME or ARN into the IAM ARN EKS keys entries by.
func resolveOnePrincipal(ctx context.Context, f *Factory, p string) (string, error) {
	if strings.HasPrefix(p, "arn:") {
		return p, nil
	}
	c, err := f.Clients(ctx)
	if err != nil {
		return "", err
	}
	if name, ok := strings.CutPrefix(p, "role/"); ok {
		if i := strings.LastIndex(name, "/"); i >= 0 {
			name = name[i+1:]
		}
		out, err := c.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
		if err != nil {
			var nse *types.NoSuchEntityException
			if errors.As(err, &nse) {
				return "", &InputError{Err: fmt.Errorf("no IAM role named %q: check the name with `aws iam list-roles`", name)}
			}
			return "", err
		}
		return aws.ToString(out.Role.Arn), nil
	}
	out, err := c.IAM.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(p)})
	if err != nil {
		var nse *types.NoSuchEntityException
		if errors.As(err, &nse) {
			return "", &InputError{Err: fmt.Errorf("no IAM user named %q: give a user name, role/NAME or an ARN", p)}
		}
		return "", err
	}
	return aws.ToString(out.User.Arn), nil
}
