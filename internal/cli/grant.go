package cli

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"eksaccess/internal/output"
	"eksaccess/internal/usecase"
	"eksaccess/internal/view"
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

type revokeOptions = job[usecase.RevokeRequest, *usecase.Outcome]

func newRevokeCmd(f *Factory, runF func(*revokeOptions) error) *cobra.Command {
	o := new(newJob(f, f.Env().Revoke))
	cmd := &cobra.Command{
		Use:   "revoke -c CLUSTER [--policy POLICY [--namespace NS]...]... PRINCIPAL... | --users-file FILE | --iam-group GROUP",
		Short: "Take access away: narrow or disassociate a policy, or delete the access entry",
		Long: `Without --policy, revoke deletes the access entry. With --policy it disassociates that
policy and leaves the entry; with --policy and --namespace it removes only those namespaces
from the association (and disassociates it when none remain). Principals are matched
against the cluster's entries as IAM compares names, so a user or role that no longer
exists in IAM can still be revoked; a name that matches neither an entry nor IAM is an
error. Revoke refuses any change that would break a guardrail — your own admin access,
the creator's entry, the last cluster-scoped admin, node and service entries — unless
--force names what may be broken.`,
		Example: `  eksaccess revoke -c ml-prod alice
  eksaccess revoke -c ml-prod --policy AmazonEKSEditPolicy --users-file users.txt
  eksaccess revoke -c ml-prod --policy AmazonEKSViewPolicy --namespace team-b erin`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Req.Principals.Args = args
			return dispatch(o, o.prepare(o.Req.Validate), runF, func() error { return o.changeOutput("revoke").render(o.Run(cmd.Context(), o.Req)) })
		},
	}
	addClusterFlags(cmd, &o.Req.Cluster)
	addPrincipalFlags(cmd, &o.Req.Principals)
	fl := cmd.Flags()
	fl.StringArrayVar(&o.Req.Policies, "policy", nil, "disassociate only this access policy (name or ARN); repeatable; default: delete the entry")
	fl.StringArrayVarP(&o.Req.Namespaces, "namespace", "n", nil, "with --policy: remove only this namespace from the association; repeatable")
	addForceFlag(cmd, &o.Req.Force)
	fl.BoolVar(&o.Req.DryRun, "dry-run", false, "show what would change and change nothing")
	fl.IntVar(&o.Req.Concurrency, "concurrency", 16, "principals worked on in parallel")
	return cmd
}

// addForceFlag binds --force, the one override of every guardrail.
func addForceFlag(cmd *cobra.Command, force *[]string) {
	cmd.Flags().StringArrayVar(force, "force", nil, "let a change through a guardrail that protects this ARN (as the refusal names it); repeatable")
}

type expireOptions = job[usecase.ExpireRequest, *usecase.ExpireResult]

func newExpireCmd(f *Factory, runF func(*expireOptions) error) *cobra.Command {
	o := new(newJob(f, f.Env().Expire))
	cmd := &cobra.Command{
		Use:   "expire [-c CLUSTER | --hyperpod NAME | -f FILE] [--dry-run]",
		Short: "Take away the grants whose expiry has passed",
		Long: `Expire reads the cluster (or every cluster of an access file) and takes away exactly the
grants whose expiry has passed: each expiring grant recorded which policy and namespaces it
covers, so an expired namespace leaves its association, an expired cluster scope falls back
to what was granted for good, and an entry is deleted only when nothing remains. Changes go
through the same engine and guardrails as every change (--force ARN overrides one). Expiry
tags that cannot be read are reported, never skipped silently. Run it from cron or CI;
--dry-run only reports.

Exit codes: 0 done (or nothing expired), 1 a deletion failed or a guardrail refused,
2 bad input.`,
		Example: `  eksaccess expire -c ml-prod --dry-run
  eksaccess expire -f access.yaml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return dispatch(o, o.prepare(o.Req.Validate), runF, func() error { return runExpire(cmd.Context(), o) })
		},
	}
	addClusterFlags(cmd, &o.Req.Cluster)
	cmd.Flags().StringVarP(&o.Req.File, "file", "f", "", "expire on every cluster of this access file")
	cmd.Flags().BoolVar(&o.Req.DryRun, "dry-run", false, "report what has expired and change nothing")
	addForceFlag(cmd, &o.Req.Force)
	cmd.Flags().IntVar(&o.Req.Concurrency, "concurrency", 16, "entries read or changed in parallel")
	cmd.Flags().BoolVar(&o.Req.AllowOutsidePaths, "allow-outside-paths", false, "with -f: let the file's usersFile entries point outside the access file's directory")
	return cmd
}

func runExpire(ctx context.Context, o *expireOptions) error {
	format := o.format
	res, err := o.Run(ctx, o.Req)
	if res != nil {
		view.ExpireWarnings(o.io.ErrOut, res)
		if format == output.Table {
			view.Expired(o.io.Out, res)
		}
	}
	if err != nil {
		var out *usecase.Outcome
		if res != nil {
			out = res.Outcome
		}
		return o.changeOutput("expire").render(out, err)
	}
	if err := show(o.io.Out, format, res, func() error { view.ExpireOutcome(o.io.Out, res, *o.verbose); return nil }); err != nil {
		return err
	}
	return outcomeExit(res.Outcome)
}
