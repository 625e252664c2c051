package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"eksaccess/internal/usecase"
)

// addClusterFlags binds -c/--cluster and --hyperpod.
func addClusterFlags(cmd *cobra.Command, r *usecase.ClusterRef) {
	cmd.Flags().StringVarP(&r.Name, "cluster", "c", "", "EKS cluster name")
	cmd.Flags().StringVar(&r.HyperPod, "hyperpod", "", "SageMaker HyperPod cluster name (resolved to the EKS cluster that orchestrates it)")
}

// addPrincipalFlags binds --users-file, --iam-group and --permission-set.
func addPrincipalFlags(cmd *cobra.Command, s *usecase.Principals) {
	cmd.Flags().StringArrayVar(&s.UsersFiles, "users-file", nil, "file with one principal per line (user name, role/NAME or ARN; # comments); repeatable")
	cmd.Flags().StringArrayVar(&s.IAMGroups, "iam-group", nil, "every member of this IAM group; repeatable")
	cmd.Flags().StringArrayVar(&s.PermissionSets, "permission-set", nil, "the IAM Identity Center role (AWSReservedSSO_NAME_…, path included) of this permission set in the cluster's account; repeatable")
}

type grantOptions struct {
	job[usecase.GrantRequest, *usecase.Outcome]
	user string
}

func newGrantCmd(f *Factory, runF func(*grantOptions) error) *cobra.Command {
	o := &grantOptions{job: newJob(f, f.Env().Grant)}
	cmd := &cobra.Command{
		Use:   "grant -c CLUSTER --policy POLICY [--namespace NS]... PRINCIPAL... | --users-file FILE | --iam-group GROUP",
		Short: "Give principals access to a cluster (create access entries, associate policies)",
		Long: `Grant creates an access entry for each principal and associates the policies, with
cluster scope, or namespace scope with --namespace. A principal is an IAM user name,
role/NAME (the path is looked up) or an ARN. Everything is checked before the first change.

Grant only adds: namespaces merge into an existing association, a cluster scope already
covers every namespace, and groups are added to the entry's. To narrow access, use
eksaccess revoke --policy P --namespace NS. An expiring grant (--expires) records what it
covers, so eksaccess expire takes away that grant only. Running a grant twice changes
nothing the second time, and a run that was interrupted finishes when run again.`,
		Example: `  eksaccess grant -c ml-prod --policy AmazonEKSViewPolicy alice bob
  eksaccess grant -c ml-prod --policy AmazonEKSEditPolicy --namespace team-a --users-file users.txt
  eksaccess grant --hyperpod ml-team-hp --policy AmazonEKSEditPolicy --namespace 'hyperpod-ns-*' --iam-group data-scientists --expires 30d`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Req.Principals.Args = args
			if cmd.Flags().Changed("username") {
				u := strings.TrimSpace(o.user)
				o.Req.Username = &u
			}
			if cmd.Flags().Changed("expires") && strings.TrimSpace(o.Req.Expires) == "" {
				return usageErrorf("--expires: empty value: give a duration (30d, 12h) or a time (2026-12-31), or omit --expires for a grant that does not expire")
			}
			return dispatch(o, o.prepare(func() error { return o.Req.Validate(f.Now()) }), runF, func() error { return o.changeOutput("grant").render(o.Run(cmd.Context(), o.Req)) })
		},
	}
	addClusterFlags(cmd, &o.Req.Cluster)
	addPrincipalFlags(cmd, &o.Req.Principals)
	fl := cmd.Flags()
	fl.StringArrayVar(&o.Req.Policies, "policy", nil, "access policy name or ARN (eksaccess policies lists them); repeatable")
	fl.StringArrayVarP(&o.Req.Namespaces, "namespace", "n", nil, "scope the policies to this namespace (wildcards like dev-* allowed); repeatable; default: the whole cluster")
	fl.StringArrayVar(&o.Req.Groups, "group", nil, "Kubernetes group for the entry (for RBAC bindings); repeatable")
	fl.StringVar(&o.user, "username", "", "Kubernetes username for the entry (default: EKS's)")
	fl.StringVar(&o.Req.Type, "type", "STANDARD", "entry type: STANDARD, EC2_LINUX, EC2_WINDOWS, EC2, FARGATE_LINUX, HYBRID_LINUX, HYPERPOD_LINUX")
	fl.StringVar(&o.Req.Expires, "expires", "", "expire this grant after a duration (30d, 12h) or at a time (2026-12-31); eksaccess expire removes it")
	fl.BoolVar(&o.Req.DryRun, "dry-run", false, "show what would change and change nothing")
	fl.IntVar(&o.Req.Concurrency, "concurrency", 16, "principals worked on in parallel")
	return cmd
}
