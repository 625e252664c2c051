package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"

	"eksaccess/internal/awsapi"
	"eksaccess/internal/kubeauth"
	"eksaccess/internal/principal"
	"eksaccess/internal/usecase"
)

type tokenOptions struct {
	f   *Factory
	ref clusterRef
	as  usecase.AsRole
}

func newTokenCmd(f *Factory) *cobra.Command {
	o := &tokenOptions{f: f}
	cmd := &cobra.Command{
		Use:   "token -c CLUSTER [--role ROLE] [--session-name S]",
		Short: "Print an EKS bearer token as a client-go ExecCredential (kubectl's exec plugin)",
		Long: `Print an EKS bearer token for a cluster as the ExecCredential kubectl's exec plugin
expects, byte-compatible with ` + "`aws eks get-token`" + `: a presigned STS GetCallerIdentity URL bound
to the cluster (x-k8s-aws-id), valid for 15 minutes, reported as expiring after 14.
The apiVersion follows KUBERNETES_EXEC_INFO (v1beta1 when it is not set).

With --role (a role name, role/NAME or the role ARN) it assumes the role first; the
session name defaults to your IAM user name (or "eksaccess" when you are not an IAM
user), so the cluster can tell people who share a role apart.

Tokens are cached per cluster and identity in a 0600 file under the user cache
directory (XDG_CACHE_HOME/eksaccess/tokens) until a minute before they expire, so
kubectl does not pay for an STS call (or an AssumeRole) on every command.

` + "`eksaccess kubeconfig`" + ` writes kubeconfig entries that run this command.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.ref.validate(); err != nil {
				return err
			}
			if err := o.as.Validate(); err != nil {
				return asUsage(err)
			}
			return runToken(cmd.Context(), o)
		},
	}
	o.ref.addFlags(cmd)
	addRoleFlags(cmd, &o.as)
	return cmd
}

func runToken(ctx context.Context, o *tokenOptions) error {
	cluster, err := o.ref.resolve(ctx, o.f)
	if err != nil {
		return err
	}
	tok, err := clusterToken(ctx, o.f, cluster, o.as.Role, o.as.SessionName)
	if err != nil {
		return err
	}
	apiVersion, warning := kubeauth.ExecAPIVersion(o.f.Getenv("KUBERNETES_EXEC_INFO"))
	if warning != "" {
		fmt.Fprintln(o.f.IO.ErrOut, "warning: "+warning)
	}
	b, err := kubeauth.ExecCredentialJSON(tok, apiVersion)
	if err != nil {
		return err
	}
	_, err = o.f.IO.Out.Write(b)
	return err
}

// addRoleFlags adds --role and --session-name, shared by token, kubeconfig and verify.
func addRoleFlags(cmd *cobra.Command, as *usecase.AsRole) {
	cmd.Flags().StringVar(&as.Role, "role", "", "assume this IAM role first (name, role/NAME, role/PATH/NAME or ARN)")
	cmd.Flags().StringVar(&as.SessionName, "session-name", "", "role session name (default: your IAM user name, else \"eksaccess\")")
}

// resolveRoleArn turns NAME, role/NAME or role/PATH/NAME into the role's ARN (path included)
// with IAM GetRole; an ARN is returned as given.
func resolveRoleArn(ctx context.Context, f *Factory, role string) (string, error) {
	if strings.HasPrefix(role, "arn:") {
		return role, nil
	}
	c, err := f.Clients(ctx)
	if err != nil {
		return "", err
	}
	name := strings.TrimPrefix(role, "role/")
	path := ""
	if i := strings.LastIndex(name, "/"); i >= 0 {
		path, name = "/"+name[:i+1], name[i+1:]
	}
	out, err := c.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		var nse *iamtypes.NoSuchEntityException
		if errors.As(err, &nse) {
			return "", &InputError{Err: fmt.Errorf("no IAM role named %q: check the name with `aws iam list-roles`, or pass the role ARN", name)}
		}
		return "", fmt.Errorf("look up role %s (iam get-role): %w: pass the role ARN instead if you may not read IAM", name, err)
	}
	if path != "" && aws.ToString(out.Role.Path) != path {
		return "", &InputError{Err: fmt.Errorf("role %s has path %s, not %s: write role%s%s or the ARN %s", name, aws.ToString(out.Role.Path), path, aws.ToString(out.Role.Path), name, aws.ToString(out.Role.Arn))}
	}
	return aws.ToString(out.Role.Arn), nil
}

// defaultSessionName is the caller's IAM user name, so that people who share a role show
// up under their own names in the cluster; "eksaccess" for callers that are not IAM users.
func defaultSessionName(ctx context.Context, f *Factory) (string, error) {
	id, err := f.CallerIdentity(ctx)
	if err != nil {
		return "", err
	}
	if p, err := principal.ParsePrincipalARN(id.Arn); err == nil && p.Kind == principal.KindUser &&
		principal.ValidateSessionName(p.Name) == nil {
		return p.Name, nil
	}
	return "eksaccess", nil
}

// stsEndpoint is the STS endpoint the clients use ("" for AWS's own), so tokens are
// presigned for the same place the other calls go (the sandbox, --endpoint-url).
func stsEndpoint(f *Factory, c *awsapi.Clients) string {
	if sc, ok := c.STS.(*sts.Client); ok {
		return aws.ToString(sc.Options().BaseEndpoint)
	}
	return f.EndpointURL
}

// signerIdentity names the base credentials in the token cache key: the profile when one
// is selected (resolving it could cost an SSO or AssumeRole call), else the access key id.
func signerIdentity(ctx context.Context, f *Factory, c *awsapi.Clients) (string, error) {
	if !f.UseSandbox {
		if p := f.Profile; p != "" {
			return "profile=" + p, nil
		}
		if p := f.Getenv("AWS_PROFILE"); p != "" {
			return "profile=" + p, nil
		}
	}
	creds, err := c.Config.Credentials.Retrieve(ctx)
	if err != nil {
		return "", fmt.Errorf("load AWS credentials: %w: run `aws sso login`, set AWS_PROFILE or AWS_ACCESS_KEY_ID", err)
	}
	return "key=" + creds.AccessKeyID, nil
}

// tokenCache is where tokens are kept between kubectl calls.
func tokenCache(f *Factory) *kubeauth.Cache {
	return &kubeauth.Cache{Dir: filepath.Join(f.CacheDir(), "tokens"), Now: f.Now}
}

// clusterToken returns a token for cluster as the current credentials, or as role (assumed
// first, with session as its session name) when role is set; from the cache when it holds
// one that is still good.
func clusterToken(ctx context.Context, f *Factory, cluster, role, session string) (kubeauth.Token, error) {
	c, err := f.Clients(ctx)
	if err != nil {
		return kubeauth.Token{}, err
	}
	endpoint := stsEndpoint(f, c)
	who, err := signerIdentity(ctx, f, c)
	if err != nil {
		return kubeauth.Token{}, err
	}
	cache := tokenCache(f)
	key := kubeauth.IdentityKey("endpoint="+endpoint, "region="+c.Config.Region, who, "role="+role, "session="+session)
	if tok, ok := cache.Get(cluster, key); ok {
		f.Logf("token for %s from the cache (expires %s)", cluster, tok.Expiration.UTC().Format("15:04:05Z"))
		return tok, nil
	}
	cfg := c.Config.Copy()
	if role != "" {
		creds, err := assumeRoleForToken(ctx, f, c, role, session)
		if err != nil {
			return kubeauth.Token{}, err
		}
		cfg.Credentials = creds
	}
	tok, err := kubeauth.GetToken(ctx, cfg, cluster, f.Now, func(o *sts.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
	if err != nil {
		return kubeauth.Token{}, err
	}
	if err := cache.Put(cluster, key, tok); err != nil {
		// A token we could not cache still works; the next call just makes another.
		fmt.Fprintf(f.IO.ErrOut, "warning: %v\n", err)
	}
	return tok, nil
}

// assumeRoleForToken assumes role and returns its credentials.
func assumeRoleForToken(ctx context.Context, f *Factory, c *awsapi.Clients, role, session string) (aws.CredentialsProvider, error) {
	arn, err := resolveRoleArn(ctx, f, role)
	if err != nil {
		return nil, err
	}
	if session == "" {
		if session, err = defaultSessionName(ctx, f); err != nil {
			return nil, err
		}
	}
	out, err := c.STS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String(session)})
	if err != nil {
		return nil, fmt.Errorf("assume role %s (session %s): %w: check that the role's trust policy lets you assume it (aws iam get-role --role-name %s)", arn, session, err, roleNameOf(arn))
	}
	cr := out.Credentials
	if cr == nil {
		return nil, fmt.Errorf("sts AssumeRole for %s returned no credentials: check the endpoint points at STS", arn)
	}
	if out.AssumedRoleUser != nil {
		f.Logf("assumed %s as %s", arn, aws.ToString(out.AssumedRoleUser.Arn))
	}
	return credentials.NewStaticCredentialsProvider(aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken)), nil
}

func roleNameOf(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
