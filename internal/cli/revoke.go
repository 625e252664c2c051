package cli

import (
	"github.com/spf13/cobra"

	"eksaccess/internal/usecase"
)

type revokeOptions struct {
	job[usecase.RevokeRequest, *usecase.Outcome]
}

func newRevokeCmd(f *Factory, runF func(*revokeOptions) error) *cobra.Command {
	o := &revokeOptions{job: newJob(f, f.Env().Revoke)}
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
