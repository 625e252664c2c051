package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/spf13/cobra"

	"eksaccess/internal/accessfile"
	"eksaccess/internal/awsapi"
	"eksaccess/internal/awsauth"
	"eksaccess/internal/plan"
	"eksaccess/internal/principal"
	"eksaccess/internal/usecase"
)

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
			return &InputError{Err: fmt.Errorf("read --from %s: %w; check the path", o.from, err)}
		}
	} else {
		name = "aws-auth (cluster " + cluster + ")"
		data, err = usecase.FetchAWSAuth(ctx, c, cluster, o.f.Now, o.f.Timeouts())
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
