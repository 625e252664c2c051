package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

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
	cmd.AddCommand(newMigrateAwsAuthCmd(f, nil))
	return cmd
}

type migrateOptions struct {
	job[usecase.MigrateRequest, *usecase.MigrateResult]
	out string
}

func newMigrateAwsAuthCmd(f *Factory, runF func(*migrateOptions) error) *cobra.Command {
	o := &migrateOptions{job: newJob(f, f.Env().Migrate)}
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
			return dispatch(o, o.Req.Cluster.Validate(), runF, func() error { return runMigrate(cmd.Context(), o) })
		},
	}
	addClusterFlags(cmd, &o.Req.Cluster)
	cmd.Flags().StringVar(&o.Req.From, "from", "", "read the aws-auth ConfigMap from this YAML or JSON file instead of the cluster")
	cmd.Flags().StringVar(&o.out, "out", "", "write the access file here (default: stdout)")
	return cmd
}

func runMigrate(ctx context.Context, o *migrateOptions) error {
	res, err := o.Run(ctx, o.Req)
	if err != nil {
		return err
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(o.io.ErrOut, "warning: %s\n", w)
	}
	fmt.Fprintln(o.io.ErrOut, res.Summary)
	return writeOutput(o.io, o.out, res.File, fmt.Sprintf("review it, then `eksaccess plan -f %s` and `eksaccess apply -f %s`", o.out, o.out))
}
