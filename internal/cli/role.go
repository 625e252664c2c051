package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"eksaccess/internal/apply"
	"eksaccess/internal/output"
	"eksaccess/internal/plan"
	"eksaccess/internal/role"
)

func newRoleCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "role",
		Short: "Set up the shared role of the workshop recipe (policy, trusted role, attachment, access entry)",
	}
	cmd.AddCommand(newRoleCreateCmd(f))
	return cmd
}

type roleCreateOptions struct {
	f          *Factory
	spec       role.Spec
	trust      []string
	maxSession time.Duration
	dryRun     bool
	adopt      bool
	yes        bool

	grant      bool
	ref        clusterRef
	policies   []string
	namespaces []string
}

func newRoleCreateCmd(f *Factory) *cobra.Command {
	o := &roleCreateOptions{f: f}
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
		Args: exactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.spec.RoleName = args[0]
			if err := o.validate(cmd); err != nil {
				return err
			}
			return runRoleCreate(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.spec.PolicyName, "policy-name", role.DefaultPolicyName, "name of the customer managed IAM policy attached to the role")
	fl.StringSliceVar(&o.spec.Actions, "actions", []string{role.DefaultAction}, "IAM actions the policy allows (repeatable or comma-separated)")
	fl.StringSliceVar(&o.trust, "trust", []string{"account"}, "who may assume the role: account (every IAM identity of this account that is allowed sts:AssumeRole), an account id, or IAM user/role ARNs (repeatable)")
	fl.BoolVar(&o.spec.RequireMFA, "require-mfa", false, "allow assuming the role only with MFA (aws:MultiFactorAuthPresent)")
	fl.DurationVar(&o.maxSession, "max-session", 0, "maximum session duration, 1h to 12h (default: IAM's 1h for a new role; an existing role is left alone)")
	fl.StringVar(&o.spec.Path, "path", "", "IAM path of the role and the policy, e.g. /eksaccess/ (default /)")
	fl.StringVar(&o.spec.Description, "description", "", "description of the role")
	fl.BoolVar(&o.dryRun, "dry-run", false, "show what would change and change nothing")
	fl.BoolVar(&o.adopt, "adopt", false, "take over an existing role or policy that eksaccess did not create (tagged eksaccess/managed): shows the trust-policy diff and the new policy version, then asks")
	fl.BoolVarP(&o.yes, "yes", "y", false, "with --adopt: adopt without asking (required without a terminal)")
	fl.BoolVar(&o.grant, "grant", false, "also give the role an access entry on a cluster (with -c and --policy)")
	o.ref.addFlags(cmd)
	fl.StringSliceVar(&o.policies, "policy", nil, "with --grant: EKS access policy name or ARN (repeatable)")
	fl.StringSliceVar(&o.namespaces, "namespace", nil, "with --grant: scope the policies to these namespaces (repeatable; default: the whole cluster)")
	return cmd
}

var roleNamespaceRe = regexp.MustCompile(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?|[a-z0-9-]*\*)$`)

func (o *roleCreateOptions) validate(cmd *cobra.Command) error {
	if o.yes && !o.adopt {
		return usageErrorf("--yes goes with --adopt: role create asks only before adopting a role or policy it did not create")
	}
	if o.maxSession != 0 {
		if o.maxSession%time.Second != 0 {
			return usageErrorf("--max-session %s is not a whole number of seconds", o.maxSession)
		}
		o.spec.MaxSession = int32(o.maxSession / time.Second)
		if o.maxSession < time.Hour || o.maxSession > 12*time.Hour {
			return usageErrorf("--max-session %s is out of range: IAM allows 1h to 12h", o.maxSession)
		}
	}
	for _, t := range o.trust {
		if err := role.CheckTrustSyntax(t); err != nil {
			return usageErrorf("%v", err)
		}
	}
	o.spec.Trust = []string{"placeholder"} // resolved once the caller's account is known
	if err := o.spec.Validate(); err != nil {
		return usageErrorf("%v", err)
	}
	grantFlags := o.ref.Cluster != "" || o.ref.HyperPod != "" || len(o.policies) > 0 || len(o.namespaces) > 0
	if !o.grant {
		if grantFlags {
			return usageErrorf("-c, --hyperpod, --policy and --namespace go with --grant: add --grant to give the role an access entry")
		}
		return nil
	}
	if err := o.ref.validate(); err != nil {
		return err
	}
	if len(o.policies) == 0 {
		return usageErrorf("--grant needs --policy: name the EKS access policy, e.g. --policy AmazonEKSClusterAdminPolicy (list them with `eksaccess policies`)")
	}
	for _, ns := range o.namespaces {
		if len(ns) > 63 || !roleNamespaceRe.MatchString(ns) {
			return usageErrorf("--namespace %q is not a Kubernetes namespace: use a DNS label (lower-case letters, digits, -; at most 63) or a prefix ending in *", ns)
		}
	}
	return nil
}

// roleGrantResult is the access-entry step of `role create --grant`.
type roleGrantResult struct {
	Cluster string        `json:"cluster"`
	Status  role.Status   `json:"status"`
	Changes []plan.Change `json:"changes,omitempty"`
}

type roleCreateOutput struct {
	*role.Result
	Grant *roleGrantResult `json:"grant,omitempty"`
}

func runRoleCreate(ctx context.Context, o *roleCreateOptions) error {
	format, err := o.f.Format()
	if err != nil {
		return err
	}
	c, err := o.f.Clients(ctx)
	if err != nil {
		return err
	}
	id, err := o.f.CallerIdentity(ctx)
	if err != nil {
		return err
	}
	spec := o.spec
	spec.Trust = nil
	seen := map[string]bool{}
	for _, t := range o.trust {
		arn, err := role.TrustPrincipal(t, id.Account, id.Partition)
		if err != nil {
			return &InputError{Err: err}
		}
		if !seen[arn] {
			seen[arn] = true
			spec.Trust = append(spec.Trust, arn)
		}
	}

	// Validate the grant (cluster, mode, policies) before the first IAM change.
	var cluster string
	var desired *plan.DesiredEntry
	if o.grant {
		cluster, err = o.ref.resolve(ctx, o.f)
		if err != nil {
			return err
		}
		dc, err := c.EKS.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(cluster)})
		if err != nil {
			return plan.ClusterError(cluster, err)
		}
		if dc.Cluster != nil && dc.Cluster.AccessConfig != nil && dc.Cluster.AccessConfig.AuthenticationMode == "CONFIG_MAP" {
			return fmt.Errorf("cluster %s uses the aws-auth ConfigMap only (authentication mode CONFIG_MAP) and has no access entries: switch it with `eksaccess auth-mode -c %s --set API_AND_CONFIG_MAP`", cluster, cluster)
		}
		arns, err := roleResolveAccessPolicies(ctx, o.f, o.policies)
		if err != nil {
			return err
		}
		desired = &plan.DesiredEntry{Tags: map[string]string{plan.TagManaged: "true"}, Source: "role create"}
		ns := append([]string(nil), o.namespaces...)
		sort.Strings(ns)
		for _, a := range arns {
			desired.Policies = append(desired.Policies, plan.DesiredPolicy{PolicyArn: a, Namespaces: ns})
		}
	}

	var journal *apply.Journal
	if !o.dryRun {
		journal, err = apply.OpenJournal(o.f.JournalPath(), uuid.NewString(), id.Arn, "role create "+spec.RoleName)
		if err != nil {
			return err
		}
		defer journal.Close()
	}
	ropts := role.Options{Account: id.Account, Partition: id.Partition, DryRun: o.dryRun}
	if o.adopt {
		ropts.Adopt = o.confirmAdoption
	}
	res, err := role.Converge(ctx, c.IAM, spec, ropts)
	if err != nil {
		return err
	}
	for _, s := range res.Steps {
		if s.Status != role.Unchanged {
			journal.Write(apply.Record{Principal: res.RoleArn, Action: roleJournalAction(s), Policy: res.PolicyArn, Result: "ok"})
		}
	}
	out := roleCreateOutput{Result: res}

	failed := false
	if o.grant {
		desired.PrincipalArn = res.RoleArn
		g := &roleGrantResult{Cluster: cluster, Status: role.Unchanged}
		out.Grant = g
		var live *plan.LiveEntry
		if !(o.dryRun && res.Steps[1].Status == role.Created) {
			live, err = plan.ReadEntry(ctx, c.EKS, cluster, res.RoleArn)
			if err != nil {
				return plan.ClusterError(cluster, err)
			}
		}
		pp := plan.DiffEntry(cluster, plan.Additive, desired, live)
		g.Changes = pp.Changes
		switch {
		case len(pp.Changes) == 0:
		case live == nil:
			g.Status = role.Created
		default:
			g.Status = role.Updated
		}
		if !o.dryRun && len(pp.Changes) > 0 {
			sum := apply.Execute(ctx, []plan.PrincipalPlan{pp}, apply.Options{EKS: c.EKS, Concurrency: 1, Journal: journal})
			if r := sum.Results[0]; r.Outcome == apply.Failed || r.Outcome == apply.NotRun {
				failed = true
				fmt.Fprintf(o.f.IO.ErrOut, "error: access entry for %s on %s: %s\n", res.RoleArn, cluster, r.Error)
				g.Changes = r.Applied
			}
		}
	}

	if format != output.Table {
		if err := output.Data(o.f.IO.Out, format, out); err != nil {
			return err
		}
	} else {
		printRoleCreate(o.f.IO.Out, &out, o.dryRun)
	}
	if failed {
		return &ExitError{Code: ExitFailure, Err: errors.New("the role is set up but its access entry is not complete: run the same command again to finish it")}
	}
	if !o.dryRun && res.Steps[1].Status == role.Created {
		fmt.Fprintf(o.f.IO.ErrOut, "users assume it with: eval \"$(eksaccess assume %s)\"\n", spec.RoleName)
	}
	return nil
}

// confirmAdoption shows what adopting would write, then asks on a terminal (--yes, or a dry
// run, skips the question; without a terminal --yes is required).
func (o *roleCreateOptions) confirmAdoption(as []role.Adoption) (bool, error) {
	role.WriteAdoptions(o.f.IO.ErrOut, as)
	if o.dryRun || o.yes {
		return true, nil
	}
	if !o.f.IO.CanPrompt() {
		return false, usageErrorf("--adopt needs confirmation and there is no terminal to ask on: review the changes above, then run again with --adopt --yes")
	}
	return o.f.IO.Confirm(fmt.Sprintf("Adopt %d existing IAM resource(s) and write the changes above?", len(as)))
}

func printRoleCreate(w io.Writer, out *roleCreateOutput, dryRun bool) {
	word := func(s role.Status) string {
		if dryRun && s != role.Unchanged {
			return "would " + strings.TrimSuffix(string(s), "d")
		}
		return string(s)
	}
	t := output.NewTable(w, "RESOURCE", "NAME", "RESULT", "DETAIL")
	changed := 0
	for _, s := range out.Steps {
		detail := s.Arn
		if s.Resource == "attachment" {
			detail = ""
		}
		if len(s.Changes) > 0 {
			detail = strings.Join(s.Changes, ", ")
		}
		if s.Status != role.Unchanged {
			changed++
		}
		t.Row(s.Resource, s.Name, word(s.Status), detail)
	}
	if g := out.Grant; g != nil {
		var parts []string
		for _, c := range g.Changes {
			switch {
			case c.Action == plan.ActCreate:
			case c.Before != "" && c.After != "":
				parts = append(parts, string(c.Action)+" "+c.Before+" -> "+c.After)
			default:
				parts = append(parts, strings.TrimSpace(string(c.Action)+" "+c.After+" "+strings.Join(c.TagKeys, ",")))
			}
		}
		detail := strings.Join(parts, ", ")
		if g.Status != role.Unchanged {
			changed++
		}
		t.Row("access entry", g.Cluster, word(g.Status), detail)
	}
	t.Flush()
	switch {
	case changed == 0:
		fmt.Fprintln(w, "no changes")
	case dryRun:
		fmt.Fprintf(w, "dry run: %d to change, nothing changed\n", changed)
	default:
		fmt.Fprintf(w, "%d changed\n", changed)
	}
}

// roleResolveAccessPolicies turns access policy names or ARNs into ARNs known to
// ListAccessPolicies.
func roleResolveAccessPolicies(ctx context.Context, f *Factory, names []string) ([]string, error) {
	c, err := f.Clients(ctx)
	if err != nil {
		return nil, err
	}
	known, err := listAccessPolicies(ctx, c.EKS)
	if err != nil {
		return nil, fmt.Errorf("list EKS access policies: %w", err)
	}
	var out []string
	seen := map[string]bool{}
	for _, n := range names {
		found := ""
		for _, p := range known {
			if p.Arn == n || strings.EqualFold(p.Name, n) {
				found = p.Arn
				break
			}
		}
		if found == "" {
			return nil, &InputError{Err: fmt.Errorf("--policy %q is not an EKS access policy: list them with `eksaccess policies`", n)}
		}
		if !seen[found] {
			seen[found] = true
			out = append(out, found)
		}
	}
	sort.Strings(out)
	return out, nil
}

// roleJournalAction names an IAM step in the journal: create-policy, update-policy,
// create-role, update-role, attach-policy.
func roleJournalAction(s role.Step) string {
	if s.Resource == "attachment" {
		return "attach-policy"
	}
	return strings.TrimSuffix(string(s.Status), "d") + "-" + s.Resource
}
