package usecase

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"k8s.io/client-go/tools/clientcmd"

	"eksaccess/internal/awsapi"
	"eksaccess/internal/creds"
	"eksaccess/internal/kubeauth"
	"eksaccess/internal/plan"
	"eksaccess/internal/principal"
)

// AsRole is the role to assume first for a token (--role, --session-name): none when Role
// is empty.
type AsRole struct {
	// Role is a name, role/NAME, role/PATH/NAME or the role ARN.
	Role string `json:"role,omitempty"`
	// SessionName defaults to the caller's IAM user name (or session name).
	SessionName string `json:"sessionName,omitempty"`
}

// Validate checks --role and --session-name before any AWS call.
func (a AsRole) Validate() error { return a.validate("--role") }

func (a AsRole) validate(label string) error {
	if a.SessionName != "" {
		if a.Role == "" {
			return inputErrorf("--session-name names the session of an assumed role: add --role ROLE")
		}
		if err := principal.ValidateSessionName(a.SessionName); err != nil {
			return inputErrorf("--session-name: %w", err)
		}
	}
	if a.Role == "" {
		return nil
	}
	if strings.HasPrefix(a.Role, "arn:") {
		p, err := principal.ParsePrincipalARN(a.Role)
		if err != nil {
			return inputErrorf("%s: %w", label, err)
		}
		if p.Kind != principal.KindRole {
			return inputErrorf("%s %s is a %s ARN: give a role name, role/NAME or a role ARN (arn:%s:iam::ACCOUNT:role/NAME)", label, a.Role, p.Kind, p.Partition)
		}
		return nil
	}
	if _, err := principal.ParseRef("role/" + strings.TrimPrefix(a.Role, "role/")); err != nil {
		return inputErrorf("%s: %w", label, err)
	}
	return nil
}

// TokenRequest asks for an EKS bearer token for a cluster, as the caller or as a role.
type TokenRequest struct {
	Cluster ClusterRef `json:"cluster"`
	As      AsRole     `json:"as,omitempty"`
}

// Validate checks the request offline.
func (r *TokenRequest) Validate() error {
	if err := r.Cluster.check(); err != nil {
		return err
	}
	return r.As.Validate()
}

// Token returns a token for the cluster: from the cache while it is good, else presigned
// (after assuming the role, if one is named) and cached.
func (e *Env) Token(ctx context.Context, r TokenRequest) (kubeauth.Token, error) {
	c, cluster, err := e.beginCluster(ctx, &r, &r.Cluster)
	if err != nil {
		return kubeauth.Token{}, err
	}
	return e.clusterToken(ctx, c, cluster, r.As)
}

// stsEndpoint is the STS endpoint the clients use ("" for AWS's own), so tokens are
// presigned for the same place the other calls go (the sandbox, --endpoint-url).
func stsEndpoint(c *awsapi.Clients) string {
	if sc, ok := c.STS.(*sts.Client); ok {
		return aws.ToString(sc.Options().BaseEndpoint)
	}
	return ""
}

// atEndpoint presigns at the STS endpoint the clients use ("" leaves AWS's own).
func atEndpoint(endpoint string) func(*sts.Options) {
	return func(o *sts.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}
}

// signerIdentity names the base credentials in the token cache key: the profile when one
// is selected (resolving it could cost an SSO or AssumeRole call), else the access key id.
func (e *Env) signerIdentity(ctx context.Context, c *awsapi.Clients) (string, error) {
	profile := ""
	if e.Profile != nil {
		profile = e.Profile()
	}
	// An assumed role's keys change with every process: the role session names the
	// identity (retrieving the keys would cost an AssumeRole on every kubectl call).
	creds, role := c.Config.Credentials, ""
	if e.Assumed != nil {
		if r, base := e.Assumed(); !r.IsDefault() && base != nil {
			creds, role = base, "assume="+r.Key()+" "
		}
	}
	if profile != "" {
		return role + "profile=" + profile, nil
	}
	cr, err := creds.Retrieve(ctx)
	if err != nil {
		return "", fmt.Errorf("load AWS credentials: %w: run `aws sso login`, set AWS_PROFILE or AWS_ACCESS_KEY_ID", err)
	}
	return role + "key=" + cr.AccessKeyID, nil
}

// clusterToken returns a token for cluster as the current credentials, or as the role
// (assumed first); from the cache when it holds one that is still good.
func (e *Env) clusterToken(ctx context.Context, c *awsapi.Clients, cluster string, as AsRole) (kubeauth.Token, error) {
	endpoint := stsEndpoint(c)
	who, err := e.signerIdentity(ctx, c)
	if err != nil {
		return kubeauth.Token{}, err
	}
	cache := &kubeauth.Cache{Dir: filepath.Join(e.CacheDir, "tokens"), Now: e.Now}
	key := kubeauth.IdentityKey("endpoint="+endpoint, "region="+c.Config.Region, who, "role="+as.Role, "session="+as.SessionName)
	if tok, ok := cache.Get(cluster, key); ok {
		e.logf("token for %s from the cache (expires %s)", cluster, tok.Expiration.UTC().Format("15:04:05Z"))
		return tok, nil
	}
	cfg := c.Config.Copy()
	if as.Role != "" {
		res, err := e.assume(ctx, c, AssumeRequest{As: as})
		if err != nil {
			return kubeauth.Token{}, err
		}
		cr := res.Credentials
		cfg.Credentials = credentials.NewStaticCredentialsProvider(cr.AccessKeyID, cr.SecretAccessKey, cr.SessionToken)
	}
	tok, err := kubeauth.GetToken(ctx, cfg, cluster, e.now, atEndpoint(endpoint))
	if err != nil {
		return kubeauth.Token{}, err
	}
	if err := cache.Put(cluster, key, tok); err != nil {
		// A token we could not cache still works; the next call just makes another.
		e.warnf("%v", err)
	}
	return tok, nil
}

// clusterEndpoint describes the cluster for a Kubernetes client: its ARN, the region it runs
// in (from the ARN), its API endpoint and CA; a cluster without an endpoint yet is an error.
func (e *Env) clusterEndpoint(ctx context.Context, ref ClusterRef) (*awsapi.Clients, kubeauth.ClusterInfo, error) {
	c, cluster, err := e.clusterOf(ctx, ref)
	if err != nil {
		return nil, kubeauth.ClusterInfo{}, err
	}
	dc, err := c.EKS.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(cluster)})
	if err != nil {
		return nil, kubeauth.ClusterInfo{}, plan.ClusterError(cluster, err)
	}
	info := kubeauth.ClusterInfo{Name: cluster, Region: c.Config.Region}
	if cl := dc.Cluster; cl != nil {
		info.Arn, info.Endpoint = aws.ToString(cl.Arn), aws.ToString(cl.Endpoint)
		if cl.CertificateAuthority != nil {
			info.CAData = aws.ToString(cl.CertificateAuthority.Data)
		}
		if info.Endpoint == "" {
			return nil, kubeauth.ClusterInfo{}, fmt.Errorf("cluster %s has no API endpoint yet (status %s): wait until it is ACTIVE and retry", cluster, cl.Status)
		}
	}
	// Like update-kubeconfig, tokens are signed in the cluster's own region.
	if parts := strings.Split(info.Arn, ":"); len(parts) > 3 && parts[3] != "" {
		info.Region = parts[3]
	}
	return c, info, nil
}

// KubeconfigRequest adds a cluster to a kubeconfig, with eksaccess as its exec plugin: the
// context's user gets its tokens as TokenRequest asks for them (the cluster, as the role).
type KubeconfigRequest struct {
	TokenRequest
	// Alias names the context and user (default: the cluster ARN).
	Alias string `json:"alias,omitempty"`
	// Path is the kubeconfig file (default: $KUBECONFIG or ~/.kube/config).
	Path string `json:"path,omitempty"`
	// Plugin is how kubectl runs eksaccess: the binary, the global flags that reach the same
	// AWS (--sandbox, --endpoint-url, --profile) and the environment it needs.
	Plugin Plugin `json:"plugin"`
}

// Plugin is the exec credential plugin's command line, besides `token -c CLUSTER ...`.
type Plugin struct {
	Command string            `json:"command"`
	Args    []string          `json:"args,omitempty"`
	Env     []kubeauth.EnvVar `json:"env,omitempty"`
}

// PluginSource is how this run reached AWS, for an exec plugin that gets kubectl the same
// identity: the same endpoint (the sandbox, --endpoint-url), profile and role.
type PluginSource struct {
	Executable    string
	SandboxDir    string // set with --sandbox: the plugin uses the same sandbox
	EndpointURL   string // --endpoint-url
	Profile       string // --profile
	ActiveProfile string // the profile in use (--profile or AWS_PROFILE), kept in the plugin's environment
	Assume        Reach  // --assume-role (with --external-id, --role-session-name)
}

// Plugin is the exec plugin's command line and environment.
func (s PluginSource) Plugin() Plugin {
	p := Plugin{Command: s.Executable}
	switch {
	case s.SandboxDir != "":
		p.Args = append(p.Args, "--sandbox")
		p.Env = append(p.Env, kubeauth.EnvVar{Name: "EKSACCESS_SANDBOX", Value: s.SandboxDir})
	case s.EndpointURL != "":
		p.Args = append(p.Args, "--endpoint-url", s.EndpointURL)
	}
	if s.Profile != "" && s.SandboxDir == "" {
		p.Args = append(p.Args, "--profile", s.Profile)
	}
	if a := s.Assume; a.RoleArn != "" {
		p.Args = append(p.Args, "--assume-role", a.RoleArn)
		if a.ExternalID != "" {
			p.Args = append(p.Args, "--external-id", a.ExternalID)
		}
		if a.SessionName != "" {
			p.Args = append(p.Args, "--role-session-name", a.SessionName)
		}
	}
	if s.ActiveProfile != "" {
		p.Env = append(p.Env, kubeauth.EnvVar{Name: "AWS_PROFILE", Value: s.ActiveProfile})
	}
	return p
}

// KubeconfigResult is what `eksaccess kubeconfig -o json` prints.
type KubeconfigResult struct {
	Path        string   `json:"path"`
	Context     string   `json:"context"`
	Cluster     string   `json:"cluster"`
	ClusterArn  string   `json:"clusterArn"`
	Server      string   `json:"server"`
	Region      string   `json:"region"`
	RoleArn     string   `json:"roleArn,omitempty"`
	SessionName string   `json:"sessionName,omitempty"`
	Command     string   `json:"command"`
	Args        []string `json:"args"`
	Env         []string `json:"env,omitempty"`
	Updated     bool     `json:"updated"` // the context existed before
}

// Kubeconfig adds (or updates) the cluster, user and context, as `aws eks update-kubeconfig`
// does, and makes the context current. With a role, the role's ARN and the session name
// are written into the plugin's arguments, so every token assumes it.
func (e *Env) Kubeconfig(ctx context.Context, r KubeconfigRequest) (*KubeconfigResult, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	c, info, err := e.clusterEndpoint(ctx, r.Cluster)
	if err != nil {
		return nil, err
	}
	cluster := info.Name
	res := &KubeconfigResult{Cluster: cluster, ClusterArn: info.Arn, Server: info.Endpoint, Region: info.Region, Command: r.Plugin.Command}
	args := []string{"token", "-c", cluster, "--region", info.Region}
	if r.As.Role != "" {
		caller, err := e.Caller(ctx)
		if err != nil {
			return nil, err
		}
		if res.RoleArn, err = e.roleArn(ctx, c, caller, r.As.Role); err != nil {
			return nil, err
		}
		res.SessionName = r.As.SessionName
		if res.SessionName == "" {
			res.SessionName = creds.SessionName(caller.Arn)
		}
		args = append(args, "--role", res.RoleArn, "--session-name", res.SessionName)
	}
	res.Args = append(args, r.Plugin.Args...)
	for _, v := range r.Plugin.Env {
		res.Env = append(res.Env, v.Name+"="+v.Value)
	}
	res.Path, err = kubeauth.ResolveKubeconfigPath(r.Path, info.Arn)
	if err != nil {
		return nil, err
	}
	res.Context = r.Alias
	if res.Context == "" {
		res.Context = info.Arn
	}
	if old, err := clientcmd.LoadFromFile(res.Path); err == nil {
		_, res.Updated = old.Contexts[res.Context]
	}
	user := kubeauth.ExecUser{Command: r.Plugin.Command, Args: res.Args, Env: r.Plugin.Env}
	if err := kubeauth.MergeKubeconfig(res.Path, info, user, r.Alias, true); err != nil {
		return nil, err
	}
	return res, nil
}
