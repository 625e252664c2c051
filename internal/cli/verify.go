package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"eksaccess/internal/output"
	"eksaccess/internal/usecase"
	"eksaccess/internal/view"
)

type verifyOptions struct {
	job[usecase.VerifyRequest, *usecase.VerifyResult]
}

func newVerifyCmd(f *Factory, runF func(*verifyOptions) error) *cobra.Command {
	o := &verifyOptions{job: newJob(f, f.Env().Verify)}
	cmd := &cobra.Command{
		Use:   "verify -c CLUSTER [--role ROLE] [--as-principal ARN] [--check VERB:RESOURCE[:NAMESPACE]]...",
		Short: "Check live, through the cluster's own API, who you are and what you may do",
		Long: `Get a token (assuming --role first, if given), then ask the cluster's Kubernetes API
who it thinks you are (SelfSubjectReview) and, for each --check, whether you may do it
(SelfSubjectAccessReview). Unlike ` + "`kubectl auth can-i --list`" + ` and impersonation, this
sees what EKS access policies grant.

A check is VERB:RESOURCE[:NAMESPACE], RESOURCE written as for kubectl (pods,
pods/exec, deployments.apps) or a non-resource URL (get:/healthz); without a namespace
it asks about all namespaces. Write !VERB:RESOURCE[:NAMESPACE] to expect a denial.
Exit status 1 when a check does not come out as expected, or the cluster refuses the
token.

--as-principal ARN answers for someone else. Nobody can get a token for another
principal, so this is offline: the same evaluation as ` + "`eksaccess can-i`" + `, from that
principal's access entry and policies; the output says so.`,
		Example: `  eksaccess verify -c hyperpod-demo --check list:pods:hyperpod-ns-team-a --check '!create:pods:hyperpod-ns-team-a'
  eksaccess verify -c hyperpod-demo --role EKSFullAccessRole --check create:pods/exec:team-a
  eksaccess verify -c hyperpod-demo --as-principal arn:aws:iam::111122223333:user/alice --check get:secrets:team-a`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return dispatch(o, o.prepare(noted(f.IO.ErrOut, o.Req.Validate)), runF, func() error { return o.render(o.Run(cmd.Context(), o.Req)) })
		},
	}
	addClusterFlags(cmd, &o.Req.Cluster)
	addRoleFlags(cmd, &o.Req.As)
	cmd.Flags().StringVar(&o.Req.AsPrincipal, "as-principal", "", "check offline what this principal (user name, role/NAME or ARN) would get")
	cmd.Flags().StringArrayVar(&o.Req.Checks, "check", nil, "VERB:RESOURCE[:NAMESPACE] to check, ! in front to expect denial; repeatable")
	return cmd
}

// render prints the result; a check that did not come out as expected exits 1.
func (o *verifyOptions) render(res *usecase.VerifyResult, err error) error {
	if err != nil {
		return err
	}
	if err := show(o.io.Out, o.format, res, func() error { return view.Verify(o.io.Out, res) }); err != nil {
		return err
	}
	if res.Failed > 0 {
		if o.format == output.Table {
			fmt.Fprintf(o.io.ErrOut, "%d of %d checks did not come out as expected\n", res.Failed, len(res.Checks))
		}
		return silentExit(ExitFailure)
	}
	return nil
}
