package cli

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"

	"eksaccess/internal/accessfile"
	"eksaccess/internal/awsapi"
	"eksaccess/internal/awsauth"
	"eksaccess/internal/kubeauth"
	"eksaccess/internal/plan"
	"eksaccess/internal/principal"
)

func init() { register(newMigrateCmd) }

func newMigrateCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Move a cluster's access to access entries (migrate aws-auth)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageErrorf("name what to migrate: eksaccess migrate aws-auth -c CLUSTER")
		},
	}
	cmd.AddCommand(newMigrateAwsAuthCmd(f))
	return cmd
}

type migrateOptions struct {
	f    *Factory
	ref  clusterRef
	from string
	out  string
}

func newMigrateAwsAuthCmd(f *Factory) *cobra.Command {
	o := &migrateOptions{f: f}
	cmd := &cobra.Command{
		Use:   "aws-auth -c CLUSTER [--from FILE] [--out FILE]",
		Short: "Turn a cluster's aws-auth ConfigMap into an access file",
		Long: `Migrate reads the aws-auth ConfigMap — from --from FILE (kubectl get configmap aws-auth
-n kube-system -o yaml), or else from the cluster's Kubernetes API — and writes the
equivalent access file: mapRoles and mapUsers become principals (role paths looked up in
IAM, so IAM Identity Center roles get theirs), system:masters becomes
AmazonEKSClusterAdminPolicy, node roles become EC2_LINUX / EC2_WINDOWS / FARGATE_LINUX
entries, other groups stay kubernetesGroups. What cannot be mapped (mapAccounts, other
system: groups, usernames EKS refuses) is printed as a warning on stderr, never dropped
silently. A cluster still in CONFIG_MAP gets authenticationMode: API_AND_CONFIG_MAP, so
` + "`eksaccess apply`" + ` of the file switches it and creates the entries; aws-auth keeps working
meanwhile.

Exit codes: 0 written (warnings or not), 1 the ConfigMap could not be read, 2 bad input.`,
		Example: `  eksaccess migrate aws-auth -c legacy-cm --out access.yaml
  kubectl get configmap aws-auth -n kube-system -o yaml > aws-auth.yaml
  eksaccess migrate aws-auth -c legacy-cm --from aws-auth.yaml --out access.yaml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.ref.validate(); err != nil {
				return err
			}
			return runMigrate(cmd.Context(), o)
		},
	}
	o.ref.addFlags(cmd)
	cmd.Flags().StringVar(&o.from, "from", "", "read the aws-auth ConfigMap from this YAML or JSON file instead of the cluster")
	cmd.Flags().StringVar(&o.out, "out", "", "write the access file here (default: stdout)")
	return cmd
}

func runMigrate(ctx context.Context, o *migrateOptions) error {
	c, err := o.f.Clients(ctx)
	if err != nil {
		return err
	}
	cluster, err := o.ref.resolve(ctx, o.f)
	if err != nil {
		return err
	}
	dc, err := c.EKS.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(cluster)})
	if err != nil {
		return plan.ClusterError(cluster, err)
	}
	var data []byte
	name := o.from
	if o.from != "" {
		data, err = os.ReadFile(o.from)
		if err != nil {
			return &InputError{Err: fmt.Errorf("read --from %s: %w; check the path", o.from, unwrapPathError(err))}
		}
	} else {
		name = "aws-auth (cluster " + cluster + ")"
		data, err = fetchAwsAuth(ctx, o.f, c, dc.Cluster, cluster)
		if err != nil {
			return err
		}
	}
	cm, err := awsauth.Parse(name, data)
	if err != nil {
		return &InputError{Err: err}
	}
	region := c.Config.Region
	mode := ""
	if dc.Cluster != nil {
		if parts := strings.Split(aws.ToString(dc.Cluster.Arn), ":"); len(parts) > 3 && parts[3] != "" {
			region = parts[3]
		}
		if dc.Cluster.AccessConfig != nil {
			mode = string(dc.Cluster.AccessConfig.AuthenticationMode)
		}
	}
	cl, warns := awsauth.Convert(cm, awsauth.Options{ClusterName: cluster, Region: region, ResolveRole: roleResolver(ctx, c.IAM)})
	switch mode {
	case "CONFIG_MAP", "":
		cl.AuthenticationMode = accessfile.AuthModeAPIAndConfigMap
	default:
		cl.AuthenticationMode = mode
	}
	if o.ref.HyperPod != "" {
		cl.Name, cl.HyperPod = "", o.ref.HyperPod
	}
	for _, w := range warns {
		fmt.Fprintf(o.f.IO.ErrOut, "warning: %s\n", w)
	}
	b, err := accessfile.Marshal(&accessfile.Config{Clusters: []accessfile.Cluster{*cl}})
	if err != nil {
		return err
	}
	// The converter promises a file the loader accepts; check, so a bug cannot hand the
	// admin a file that apply then refuses.
	if _, err := accessfile.Parse("migrated access file", b, accessfile.Options{}); err != nil {
		return fmt.Errorf("the converted access file does not load (%v): this is a bug in eksaccess, please report it", err)
	}
	fmt.Fprintf(o.f.IO.ErrOut, "migrated %d of %d mapping(s) (%d mapRoles, %d mapUsers, %d mapAccounts); %d warning(s)\n",
		len(cl.Access), len(cm.Roles)+len(cm.Users)+len(cm.Accounts), len(cm.Roles), len(cm.Users), len(cm.Accounts), len(warns))
	if o.out == "" {
		_, err = o.f.IO.Out.Write(b)
		return err
	}
	if err := os.WriteFile(o.out, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w; check the directory exists and is writable", o.out, err)
	}
	fmt.Fprintf(o.f.IO.ErrOut, "wrote %s: review it, then `eksaccess plan -f %s` and `eksaccess apply -f %s`\n", o.out, o.out, o.out)
	return nil
}

// roleResolver looks an aws-auth role ARN (never with a path) up in IAM to get the ARN an
// access entry needs. Roles of other accounts are kept as written.
func roleResolver(ctx context.Context, api awsapi.IAM) func(string) (string, error) {
	return func(arn string) (string, error) {
		p, err := principal.ParsePrincipalARN(arn)
		if err != nil {
			return "", err
		}
		out, err := api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(p.Name)})
		if err != nil {
			var nse *iamtypes.NoSuchEntityException
			if errors.As(err, &nse) {
				return "", fmt.Errorf("no IAM role named %s in this account", p.Name)
			}
			return "", err
		}
		full := aws.ToString(out.Role.Arn)
		if fp, err := principal.ParsePrincipalARN(full); err == nil && fp.Account != p.Account {
			return "", nil // another account's role: IAM answered for ours
		}
		return full, nil
	}
}

// fetchAwsAuth reads kube-system/aws-auth from the cluster's Kubernetes API with an EKS
// token for the caller's credentials.
func fetchAwsAuth(ctx context.Context, f *Factory, c *awsapi.Clients, dc *ekstypes.Cluster, cluster string) ([]byte, error) {
	hint := "save it with `kubectl get configmap aws-auth -n kube-system -o yaml > aws-auth.yaml` and run again with --from aws-auth.yaml"
	if dc == nil || aws.ToString(dc.Endpoint) == "" {
		return nil, fmt.Errorf("cluster %s has no Kubernetes endpoint in DescribeCluster: %s", cluster, hint)
	}
	var opt []func(*sts.Options)
	if sc, ok := c.STS.(*sts.Client); ok {
		if ep := sc.Options().BaseEndpoint; ep != nil {
			opt = append(opt, func(o *sts.Options) { o.BaseEndpoint = aws.String(*ep) })
		}
	}
	tok, err := kubeauth.GetToken(ctx, c.Config, cluster, f.Now, opt...)
	if err != nil {
		return nil, fmt.Errorf("make a Kubernetes token for %s: %w; or %s", cluster, err, hint)
	}
	var caPEM []byte
	if dc.CertificateAuthority != nil {
		if pem, err := base64.StdEncoding.DecodeString(aws.ToString(dc.CertificateAuthority.Data)); err == nil {
			caPEM = pem
		}
	}
	hc, err := kubeauth.HTTPClient(caPEM, f.Timeouts())
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", cluster, err)
	}
	url := strings.TrimRight(aws.ToString(dc.Endpoint), "/") + "/api/v1/namespaces/kube-system/configmaps/aws-auth"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		err = kubeauth.TimeoutError(aws.ToString(dc.Endpoint), err, f.Timeouts())
		return nil, fmt.Errorf("read aws-auth from %s's Kubernetes API: %w; if the endpoint is private or unreachable from here, %s", cluster, err, hint)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		err = kubeauth.TimeoutError(aws.ToString(dc.Endpoint), err, f.Timeouts())
		return nil, fmt.Errorf("read aws-auth from %s's Kubernetes API: %w; %s", cluster, err, hint)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return body, nil
	case http.StatusNotFound:
		return nil, fmt.Errorf("cluster %s has no aws-auth ConfigMap in kube-system (HTTP 404): nothing to migrate, or %s", cluster, hint)
	case http.StatusUnauthorized, http.StatusForbidden:
		return nil, fmt.Errorf("the Kubernetes API of %s refused to show aws-auth to you (HTTP %d): ask someone mapped in it to %s", cluster, resp.StatusCode, hint)
	}
	return nil, fmt.Errorf("read aws-auth from %s's Kubernetes API: HTTP %d: %s; %s", cluster, resp.StatusCode, strings.TrimSpace(string(body)), hint)
}
