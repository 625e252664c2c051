package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"eksaccess/internal/output"
	"eksaccess/internal/plan"
	"eksaccess/internal/principal"
)

func init() { register(newGrantCmd) }

// principalSources are the ways a command names principals: arguments, users files, IAM groups.
type principalSources struct {
	args       []string
	usersFiles []string
	iamGroups  []string
}

func (s *principalSources) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&s.usersFiles, "users-file", nil, "file with one principal per line (user name, role/NAME or ARN; # comments); repeatable")
	cmd.Flags().StringArrayVar(&s.iamGroups, "iam-group", nil, "every member of this IAM group; repeatable")
}

func (s *principalSources) empty() bool {
	return len(s.args) == 0 && len(s.usersFiles) == 0 && len(s.iamGroups) == 0
}

// readRefs parses arguments and users files (no AWS calls): every problem is collected, and
// the references that parsed are returned alongside the error.
func (s *principalSources) readRefs(partition string) ([]principal.Ref, error) {
	var ie principal.InputError
	var refs []principal.Ref
	for i, a := range s.args {
		src := principal.ArgSource(i + 1)
		a = strings.TrimSpace(a)
		t, err := principal.ParseRef(a)
		if err != nil {
			ie.Add(src, "%v", err)
			continue
		}
		if t.Kind == principal.RefARN && partition != "" && t.ARN.Partition != partition {
			ie.Add(src, "%s is in partition %s, but your credentials are in %s: use credentials for that partition", a, t.ARN.Partition, partition)
			continue
		}
		refs = append(refs, principal.Ref{Raw: a, Source: src})
	}
	for _, name := range s.usersFiles {
		fh, err := os.Open(name)
		if err != nil {
			ie.Add(principal.FileSource(name, 0), "cannot read the users file: %v", unwrapPathError(err))
			continue
		}
		uf, err := principal.ReadUsersFile(name, fh, principal.FileOptions{Partition: partition})
		fh.Close()
		if err != nil && !ie.Merge(err) {
			return nil, err
		}
		refs = append(refs, uf.Refs...) // the good lines, so IAM checks them too
	}
	for _, g := range s.iamGroups {
		if err := principal.ValidateGroupName(g); err != nil {
			ie.Add(principal.GroupSource(g), "%v", err)
		}
	}
	return refs, ie.Err()
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

type grantOptions struct {
	f          *Factory
	ref        clusterRef
	src        principalSources
	policies   []string
	namespaces []string
	groups     []string
	username   string
	typ        string
	expires    string
	dryRun     bool
	conc       int
}

func newGrantCmd(f *Factory) *cobra.Command {
	o := &grantOptions{f: f}
	cmd := &cobra.Command{
		Use:   "grant -c CLUSTER --policy POLICY [--namespace NS]... PRINCIPAL... | --users-file FILE | --iam-group GROUP",
		Short: "Give principals access to a cluster (create access entries, associate policies)",
		Long: `Grant creates an access entry for each principal and associates the policies, with
cluster scope, or namespace scope with --namespace. A principal is an IAM user name,
role/NAME (the path is looked up) or an ARN. Everything is checked before the first change;
entries that already have the access are left alone, so running a grant twice changes
nothing the second time, and a run that was interrupted finishes when run again.`,
		Example: `  eksaccess grant -c ml-prod --policy AmazonEKSViewPolicy alice bob
  eksaccess grant -c ml-prod --policy AmazonEKSEditPolicy --namespace team-a --users-file users.txt
  eksaccess grant --hyperpod ml-team-hp --policy AmazonEKSEditPolicy --namespace 'hyperpod-ns-*' --iam-group data-scientists --expires 30d`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.src.args = args
			o.username = strings.TrimSpace(o.username)
			if err := o.validate(cmd); err != nil {
				return err
			}
			return runGrant(cmd.Context(), o)
		},
	}
	o.ref.addFlags(cmd)
	o.src.addFlags(cmd)
	fl := cmd.Flags()
	fl.StringArrayVar(&o.policies, "policy", nil, "access policy name or ARN (eksaccess policies lists them); repeatable")
	fl.StringArrayVarP(&o.namespaces, "namespace", "n", nil, "scope the policies to this namespace (wildcards like dev-* allowed); repeatable; default: the whole cluster")
	fl.StringArrayVar(&o.groups, "group", nil, "Kubernetes group for the entry (for RBAC bindings); repeatable")
	fl.StringVar(&o.username, "username", "", "Kubernetes username for the entry (default: EKS's)")
	fl.StringVar(&o.typ, "type", "STANDARD", "entry type: STANDARD, EC2_LINUX, EC2_WINDOWS, EC2, FARGATE_LINUX, HYBRID_LINUX, HYPERPOD_LINUX")
	fl.StringVar(&o.expires, "expires", "", "expire the grant after a duration (30d, 12h) or at a time (2026-12-31); stored as a tag, and eksaccess expire removes the grant once it has passed")
	fl.BoolVar(&o.dryRun, "dry-run", false, "show what would change and change nothing")
	fl.IntVar(&o.conc, "concurrency", 16, "principals worked on in parallel")
	return cmd
}

var entryTypes = []string{"STANDARD", "EC2_LINUX", "EC2_WINDOWS", "EC2", "FARGATE_LINUX", "HYBRID_LINUX", "HYPERPOD_LINUX"}

func (o *grantOptions) validate(cmd *cobra.Command) error {
	if err := o.ref.validate(); err != nil {
		return err
	}
	if o.src.empty() {
		return usageErrorf("name who gets access: principals as arguments, --users-file FILE or --iam-group GROUP")
	}
	o.typ = strings.ToUpper(strings.TrimSpace(o.typ))
	if !slices.Contains(entryTypes, o.typ) {
		return usageErrorf("--type %q is not an access entry type: use one of %s", o.typ, strings.Join(entryTypes, ", "))
	}
	if o.typ == "STANDARD" && len(o.policies) == 0 {
		return usageErrorf("name at least one access policy with --policy (see `eksaccess policies`)")
	}
	if o.typ != "STANDARD" && (len(o.policies) > 0 || len(o.groups) > 0 || o.username != "" || len(o.namespaces) > 0) {
		return usageErrorf("a %s entry takes no --policy, --namespace, --group or --username: EKS gives node and service entries their own", o.typ)
	}
	if o.conc < 1 || o.conc > 256 {
		return usageErrorf("--concurrency must be between 1 and 256, got %d", o.conc)
	}
	var problems []string
	for _, ns := range o.namespaces {
		if err := principal.ValidateNamespace(ns); err != nil {
			problems = append(problems, "--namespace "+ns+": "+err.Error())
		}
	}
	for _, g := range o.groups {
		if err := principal.ValidateKubernetesGroup(g); err != nil {
			problems = append(problems, "--group "+g+": "+err.Error())
		}
	}
	if cmd.Flags().Changed("username") {
		if err := principal.ValidateUsername(o.username); err != nil {
			problems = append(problems, "--username: "+err.Error())
		}
	}
	if cmd.Flags().Changed("expires") && strings.TrimSpace(o.expires) == "" {
		// An empty value would otherwise make a permanent grant the user did not ask for.
		problems = append(problems, "--expires: empty value: give a duration (30d, 12h) or a time (2026-12-31), or omit --expires for a grant that does not expire")
	} else if o.expires != "" {
		if _, err := plan.ParseExpiry(o.expires, o.f.Now()); err != nil {
			problems = append(problems, "--expires: "+err.Error())
		}
	}
	for _, p := range o.policies {
		if strings.TrimSpace(p) == "" {
			problems = append(problems, "--policy: empty policy name")
		}
	}
	if len(problems) > 0 {
		return &UsageError{Err: fmt.Errorf("%s", strings.Join(problems, "\n"))}
	}
	return nil
}

// target is everything grant/revoke resolved before changing anything.
type target struct {
	cluster    string
	caller     principal.Caller
	principals []principal.Principal
}

// resolveTarget checks, in order and before any change: the files and arguments, who the
// caller is, the cluster, and that every principal exists in IAM.
func resolveTarget(ctx context.Context, f *Factory, ref *clusterRef, src *principalSources) (*target, error) {
	// Offline checks first, so a typo in a file costs no AWS call.
	var ie principal.InputError
	refs, err := src.readRefs("")
	if err != nil && !ie.Merge(err) {
		return nil, err
	}
	if len(refs) == 0 && ie.Err() != nil {
		return nil, ie.Err()
	}
	c, err := f.Clients(ctx)
	if err != nil {
		return nil, err
	}
	caller, err := f.Caller(ctx)
	if err != nil {
		return nil, err
	}
	kept := refs[:0]
	for _, r := range refs {
		if t, err := principal.ParseRef(r.Raw); err == nil && t.Kind == principal.RefARN && t.ARN.Partition != caller.Partition {
			ie.Add(r.Source, "%s is in partition %s, but your credentials are in %s: use credentials for that partition", r.Raw, t.ARN.Partition, caller.Partition)
			continue
		}
		kept = append(kept, r)
	}
	refs = kept
	cluster, err := ref.resolve(ctx, f)
	if err != nil {
		return nil, err
	}
	res := &principal.Resolver{IAM: c.IAM, Account: caller.Account, Partition: caller.Partition}
	for _, g := range src.iamGroups {
		members, err := res.ExpandGroup(ctx, g, principal.GroupSource(g))
		if err != nil {
			if !ie.Merge(err) {
				return nil, err
			}
			continue
		}
		refs = append(refs, members...)
	}
	ps, err := res.Resolve(ctx, refs)
	if err != nil && !ie.Merge(err) {
		return nil, err
	}
	if err := ie.Err(); err != nil {
		ie.Sort()
		return nil, err
	}
	return &target{cluster: cluster, caller: caller, principals: ps}, nil
}

// resolvePolicies maps policy names or ARNs to ARNs, checked against ListAccessPolicies.
func resolvePolicies(ctx context.Context, f *Factory, names []string, _ string) ([]string, error) {
	c, err := f.Clients(ctx)
	if err != nil {
		return nil, err
	}
	all, err := listAccessPolicies(ctx, c.EKS)
	if err != nil {
		return nil, fmt.Errorf("list access policies: %w", err)
	}
	byName := map[string]string{}
	byArn := map[string]bool{}
	for _, p := range all {
		byName[strings.ToLower(p.Name)] = p.Arn
		byArn[p.Arn] = true
	}
	var out, bad []string
	for _, n := range names {
		n = strings.TrimSpace(n)
		if strings.HasPrefix(n, "arn:") {
			if !byArn[n] {
				bad = append(bad, fmt.Sprintf("--policy %s: no access policy with this ARN (list them with `eksaccess policies`)", n))
				continue
			}
			out = append(out, n)
			continue
		}
		arn, ok := byName[strings.ToLower(n)]
		if !ok {
			bad = append(bad, fmt.Sprintf("--policy %s: no access policy of that name (list them with `eksaccess policies`)", n))
			continue
		}
		out = append(out, arn)
	}
	if len(bad) > 0 {
		return nil, &InputError{Err: fmt.Errorf("%s", strings.Join(bad, "\n"))}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// readTargets reads the live entries of the given principals (one DescribeAccessEntry and
// ListAssociatedAccessPolicies per existing entry; absent ones cost nothing beyond the list).
func readTargets(ctx context.Context, f *Factory, cluster string, arns []string, conc int) (*plan.ReadResult, error) {
	c, err := f.Clients(ctx)
	if err != nil {
		return nil, err
	}
	only := map[string]bool{}
	for _, a := range arns {
		only[a] = true
	}
	return plan.ReadCluster(ctx, c.EKS, cluster, plan.ReadOptions{Only: only, Concurrency: conc})
}

func runGrant(ctx context.Context, o *grantOptions) error {
	format, err := o.f.Format()
	if err != nil {
		return err
	}
	// Check policies and principals both, so one run reports every problem.
	var policyArns []string
	var policyErr error
	if len(o.policies) > 0 {
		policyArns, policyErr = resolvePolicies(ctx, o.f, o.policies, "")
		var ie *InputError
		if policyErr != nil && !errors.As(policyErr, &ie) {
			return policyErr
		}
	}
	t, err := resolveTarget(ctx, o.f, &o.ref, &o.src)
	if err != nil {
		if policyErr != nil && principal.IsInputError(err) {
			return &InputError{Err: fmt.Errorf("%w\n%v", policyErr, err)}
		}
		return err
	}
	if policyErr != nil {
		return policyErr
	}
	arns := make([]string, len(t.principals))
	for i, p := range t.principals {
		arns[i] = p.Arn
	}
	live, err := readTargets(ctx, o.f, t.cluster, arns, o.conc)
	if err != nil {
		return err
	}
	if live.AuthenticationMode == "CONFIG_MAP" {
		return fmt.Errorf("cluster %s authenticates only through the aws-auth ConfigMap (CONFIG_MAP) and has no access entries: switch it with `eksaccess auth-mode -c %s --set API_AND_CONFIG_MAP` first", t.cluster, t.cluster)
	}
	tags := map[string]string{plan.TagManaged: "true"}
	if o.expires != "" {
		exp, _ := plan.ParseExpiry(o.expires, o.f.Now())
		tags[plan.TagExpires] = plan.FormatExpiry(exp)
	}
	var ns []string
	if len(o.namespaces) > 0 {
		ns = slices.Clone(o.namespaces)
		slices.Sort(ns)
		ns = slices.Compact(ns)
	}
	var plans []plan.PrincipalPlan
	for _, p := range t.principals {
		d := &plan.DesiredEntry{PrincipalArn: p.Arn, Source: p.Source.String(), Tags: maps(tags)}
		if o.typ != "STANDARD" {
			d.Type = o.typ
		}
		if o.username != "" {
			u := o.username
			d.Username = &u
		}
		if len(o.groups) > 0 {
			d.KubernetesGroups = slices.Clone(o.groups)
		}
		for _, arn := range policyArns {
			d.Policies = append(d.Policies, plan.DesiredPolicy{PolicyArn: arn, Namespaces: ns})
		}
		le := live.Entries[p.Arn]
		if le != nil && !le.Managed() {
			delete(d.Tags, plan.TagManaged) // grant does not take over entries it did not create
		}
		if le != nil && le.Type != d.TypeOrStandard() {
			return &InputError{Err: fmt.Errorf("%s already has a %s access entry on %s; the type of an entry cannot change: revoke it first if you mean to replace it", p.Arn, le.Type, t.cluster)}
		}
		plans = append(plans, plan.DiffEntry(t.cluster, plan.Additive, d, le))
	}
	return executeAndReport(ctx, o.f, "grant", format, o.dryRun, o.conc, plans)
}

func maps(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// executeAndReport prints the plan (dry run) or runs it and prints the summary; partial
// failure exits 1 after the summary.
func executeAndReport(ctx context.Context, f *Factory, command string, format output.Format, dryRun bool, conc int, plans []plan.PrincipalPlan) error {
	pending := 0
	for _, pp := range plans {
		if len(pp.Changes) > 0 {
			pending++
		}
	}
	if dryRun {
		if format != output.Table {
			return output.Data(f.IO.Out, format, map[string]any{"dryRun": true, "plans": plans})
		}
		fmt.Fprintf(f.IO.Out, "dry run: %s would change %d of %d principals (nothing was changed)\n", command, pending, len(plans))
		printPlan(f.IO.Out, plans)
		return nil
	}
	sum, err := runPlans(ctx, f, command, plans, conc)
	if err != nil {
		return err
	}
	if format != output.Table {
		if err := output.Data(f.IO.Out, format, sum); err != nil {
			return err
		}
	} else {
		printSummary(f.IO.Out, sum, f.Verbose)
	}
	if sum.Failed() {
		if sum.Interrupted {
			return silentExit(ExitSignal)
		}
		return silentExit(ExitFailure)
	}
	return nil
}
