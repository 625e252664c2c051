package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"eksaccess/internal/role"
	"eksaccess/internal/usecase"
	"eksaccess/internal/view"
)

func newRoleCmd(f *Factory) *cobra.Command {
	return group(&cobra.Command{
		Use:   "role",
		Short: "Set up the shared role of the workshop recipe (policy, trusted role, attachment, access entry)",
	}, newRoleCreateCmd(f, nil))
}

type roleCreateOptions struct {
	job[usecase.RoleCreateRequest, *usecase.RoleCreateResult]
	maxSession time.Duration
	yes        bool
	adopt      bool
	grant      bool
	grantReq   usecase.RoleGrant // what -c, --hyperpod, --policy and --namespace give --grant
}

func newRoleCreateCmd(f *Factory, runF func(*roleCreateOptions) error) *cobra.Command {
	o := &roleCreateOptions{job: newJob(f, f.Env().RoleCreate)}
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create or converge an IAM role that people assume to reach EKS clusters",
		Long: `Create or converge, in one idempotent run:

  - a customer managed IAM policy (--policy-name, default EKSFullAccessPolicy) allowing
    --actions (default eks:*) on every resource; a differing document gets a new default
    version;
  - the role NAME, trusted by the account (--trust account, the default) or by the given
    principals, optionally only with MFA (--require-mfa); a differing trust policy or
    maximum session duration is updated;
  - the policy's attachment to the role;
  - with --grant -c CLUSTER --policy P [--namespace NS]..., the role's access entry.

Each step prints created, updated or unchanged; a second identical run changes nothing and
says "no changes". Users then run ` + "`eval \"$(eksaccess assume NAME)\"`" + `.`,
		Example: `  eksaccess role create EKSFullAccessRole
  eksaccess role create EKSFullAccessRole --require-mfa --max-session 4h \
      --grant -c ml-prod --policy AmazonEKSClusterAdminPolicy
  eksaccess role create team-a-dev --trust arn:aws:iam::111122223333:user/alice \
      --grant -c ml-prod --policy AmazonEKSEditPolicy --namespace team-a --dry-run`,
		Args: argsInto("NAME", &o.Req.Spec.RoleName),
		RunE: func(cmd *cobra.Command, args []string) error {
			return dispatch(o, o.prepare(o.validate), runF, func() error { return runRoleCreate(cmd.Context(), o) })
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Req.Spec.PolicyName, "policy-name", role.DefaultPolicyName, "name of the customer managed IAM policy attached to the role")
	fl.StringSliceVar(&o.Req.Spec.Actions, "actions", []string{role.DefaultAction}, "IAM actions the policy allows (repeatable or comma-separated)")
	fl.StringSliceVar(&o.Req.Trust, "trust", []string{"account"}, "who may assume the role: account (every IAM identity of this account that is allowed sts:AssumeRole), an account id, or IAM user/role ARNs (repeatable)")
	fl.BoolVar(&o.Req.Spec.RequireMFA, "require-mfa", false, "allow assuming the role only with MFA (aws:MultiFactorAuthPresent)")
	fl.DurationVar(&o.maxSession, "max-session", 0, "maximum session duration, 1h to 12h (default: IAM's 1h for a new role; an existing role is left alone)")
	fl.StringVar(&o.Req.Spec.Path, "path", "", "IAM path of the role and the policy, e.g. /eksaccess/ (default /)")
	fl.StringVar(&o.Req.Spec.Description, "description", "", "description of the role")
	fl.BoolVar(&o.Req.DryRun, "dry-run", false, "show what would change and change nothing")
	fl.BoolVar(&o.adopt, "adopt", false, "take over an existing role or policy that eksaccess did not create (tagged eksaccess/managed): shows the trust-policy diff and the new policy version, then asks")
	fl.BoolVarP(&o.yes, "yes", "y", false, "with --adopt: adopt without asking (required without a terminal)")
	fl.BoolVar(&o.grant, "grant", false, "also give the role an access entry on a cluster (with -c and --policy)")
	addClusterFlags(cmd, &o.grantReq.Cluster)
	addForceFlag(cmd, &o.Req.Force)
	fl.StringSliceVar(&o.grantReq.Policies, "policy", nil, "with --grant: EKS access policy name or ARN (repeatable)")
	fl.StringSliceVar(&o.grantReq.Namespaces, "namespace", nil, "with --grant: scope the policies to these namespaces (repeatable; default: the whole cluster)")
	return cmd
}

func (o *roleCreateOptions) validate() error {
	if o.yes && !o.adopt {
		return usageErrorf("--yes goes with --adopt: role create asks only before adopting a role or policy it did not create")
	}
	if o.maxSession != 0 {
		if o.maxSession%time.Second != 0 {
			return usageErrorf("--max-session %s is not a whole number of seconds", o.maxSession)
		}
		o.Req.Spec.MaxSession = int32(o.maxSession / time.Second)
		if o.maxSession < time.Hour || o.maxSession > 12*time.Hour {
			return usageErrorf("--max-session %s is out of range: IAM allows 1h to 12h", o.maxSession)
		}
	}
	if g := o.grantReq; !o.grant && (g.Cluster != usecase.ClusterRef{} || len(g.Policies) > 0 || len(g.Namespaces) > 0) {
		return usageErrorf("-c, --hyperpod, --policy and --namespace go with --grant: add --grant to give the role an access entry")
	} else if o.grant {
		o.Req.Grant = &g
	}
	if o.adopt {
		o.Req.Adopt = o.confirmAdoption
	}
	return asUsage(o.Req.Validate())
}

func runRoleCreate(ctx context.Context, o *roleCreateOptions) error {
	out, err := o.Run(ctx, o.Req)
	if err != nil {
		return o.changeOutput("role create").render(nil, err)
	}
	if err := show(o.io.Out, o.format, out, func() error { view.RoleCreate(o.io.Out, out, o.Req.DryRun); return nil }); err != nil {
		return err
	}
	if g := out.Grant; g != nil && g.Error != "" {
		fmt.Fprintf(o.io.ErrOut, "error: %s\n", g.Error)
		return &ExitError{Code: ExitFailure, Err: errors.New("the role is set up but its access entry is not complete: run the same command again to finish it")}
	}
	if !o.Req.DryRun && out.RoleCreated {
		fmt.Fprintf(o.io.ErrOut, "users assume it with: eval \"$(eksaccess assume %s)\"\n", o.Req.Spec.RoleName)
	}
	return nil
}

// confirmAdoption shows what adopting would write, then asks on a terminal (--yes, or a dry
// run, skips the question; without a terminal --yes is required).
func (o *roleCreateOptions) confirmAdoption(as []role.Adoption) (bool, error) {
	role.WriteAdoptions(o.io.ErrOut, as)
	if o.Req.DryRun || o.yes {
		return true, nil
	}
	if !o.io.CanPrompt() {
		return false, usageErrorf("--adopt needs confirmation and there is no terminal to ask on: review the changes above, then run again with --adopt --yes")
	}
	return o.io.Confirm(fmt.Sprintf("Adopt %d existing IAM resource(s) and write the changes above?", len(as)))
}
