package cli

import (
	"context"

	"github.com/spf13/cobra"

	"eksaccess/internal/output"
	"eksaccess/internal/usecase"
	"eksaccess/internal/view"
)

type doctorOptions struct {
	job[usecase.DoctorRequest, *usecase.DoctorResult]
}

func newDoctorCmd(f *Factory, runF func(*doctorOptions) error) *cobra.Command {
	o := &doctorOptions{job: newJob(f, f.Env().Doctor)}
	cmd := &cobra.Command{
		Use:   "doctor [-f FILE | -c CLUSTER...] [--fix] [-o table|json]",
		Short: "Find access entries that silently stopped working, and repair what is safe",
		Long: `Doctor reads each cluster, the IAM principals of its entries and, when the cluster's
Kubernetes API is reachable, its namespaces, bindings and aws-auth ConfigMap, and reports
each problem with its severity, the evidence and the fix:

  stale-entry             the principal was deleted and re-created after its entry (IAM
                          CreateDate later than the entry's createdAt): its tokens get 401
  deleted-principal       the principal no longer exists in IAM
  grants-nothing          a STANDARD entry with neither access policies nor groups
  unknown-namespace       a namespace scope that matches no namespace
  unbound-group           a Kubernetes group that no RoleBinding or ClusterRoleBinding names
  expired-grant           grants whose expiry has passed, not yet taken away
  aws-auth-duplicate      an aws-auth mapping that repeats an access entry
  aws-auth-contradiction  an aws-auth mapping that says otherwise than the access entry
  config-map-mode         the cluster still authenticates through aws-auth only
  no-cluster-admin        no cluster-scoped admin is left
  unreachable             with -f: the cluster's account (its profile or assumeRole) or the
                          cluster could not be reached; the other clusters are still examined

With -f each cluster is examined through the account the file gives it (account:, profile:,
assumeRole:), its principals looked up in that account's IAM, the accounts concurrently.

--fix repairs what is safe: a stale entry is deleted and created again with the same
policies, groups, username and tags; expired grants are taken away. The repairs go through
the same engine and guardrails as every change (--force ARN overrides one) and are
journaled.

Exit codes: 0 nothing is wrong (or --fix repaired everything), 1 findings remain, 2 bad input.`,
		Example: `  eksaccess doctor -c ml-prod
  eksaccess doctor -f access.yaml --fix`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return dispatch(o, o.prepare(o.Req.Validate, output.Table, output.JSON), runF, func() error { return runDoctor(cmd.Context(), o) })
		},
	}
	cmd.Flags().StringVarP(&o.Req.File, "file", "f", "", "examine every cluster of this access file")
	cmd.Flags().StringArrayVarP(&o.Req.Clusters, "cluster", "c", nil, "EKS cluster to examine; repeatable")
	cmd.Flags().BoolVar(&o.Req.Fix, "fix", false, "re-create stale entries and take away expired grants (through the guardrails, journaled)")
	addForceFlag(cmd, &o.Req.Force)
	cmd.Flags().IntVar(&o.Req.Concurrency, "concurrency", 16, "entries and principals read or changed in parallel")
	cmd.Flags().BoolVar(&o.Req.AllowOutsidePaths, "allow-outside-paths", false, "with -f: let the file's usersFile entries point outside the access file's directory")
	return cmd
}

func runDoctor(ctx context.Context, o *doctorOptions) error {
	res, err := o.Run(ctx, o.Req)
	if err != nil && res == nil {
		return err
	}
	view.Notes(o.io.ErrOut, res.Notes)
	if jerr := show(o.io.Out, o.format, res, func() error {
		view.Doctor(o.io.Out, res, o.Req.Fix, *o.verbose)
		return nil
	}); jerr != nil {
		return jerr
	}
	if err != nil {
		return o.changeOutput("doctor").render(res.Outcome, err)
	}
	if err := outcomeExit(res.Outcome); err != nil || res.Open() == 0 {
		return err
	}
	return silentExit(ExitFailure)
}
