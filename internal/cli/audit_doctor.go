package cli

import (
	"context"

	"github.com/spf13/cobra"

	"eksaccess/internal/output"
	"eksaccess/internal/report"
	"eksaccess/internal/usecase"
	"eksaccess/internal/view"
)

// Audit's extra output formats.
const (
	formatCSV  output.Format = "csv"
	formatHTML output.Format = "html"
)

var auditFormats = []output.Format{output.Table, output.JSON, output.YAML, formatCSV, formatHTML}

type auditOptions struct {
	job[usecase.AuditRequest, *usecase.AuditResult]

	roles, profiles []string // --account-role, --account-profile
	externalID      string   // --account-external-id
}

// accounts turns the account flags into the request's accounts, in the order given.
func (o *auditOptions) accounts() {
	o.Req.Accounts = nil
	for _, arn := range o.roles {
		o.Req.Accounts = append(o.Req.Accounts, usecase.Reach{RoleArn: arn, ExternalID: o.externalID})
	}
	for _, p := range o.profiles {
		o.Req.Accounts = append(o.Req.Accounts, usecase.Reach{Profile: p})
	}
}

func newAuditCmd(f *Factory, runF func(*auditOptions) error) *cobra.Command {
	o := &auditOptions{job: newJob(f, f.Env().Audit)}
	cmd := &cobra.Command{
		Use:   "audit [-f FILE | -c CLUSTER... | --all [--regions R,...] [--account-role ARN]... [--account-profile P]...] [-o table|csv|json|html]",
		Short: "Who can reach what: one row per principal, cluster and grant",
		Long: `Audit reads each cluster once and prints one row per principal × cluster × grant: an
access policy and its scope, or a Kubernetes group with the bindings it leads to (read from
the cluster's Kubernetes API when it is reachable), with the entry's type, username, whether
eksaccess manages it, the grant's expiry and the entry's created and modified times. With
-f it also shows drift against the file (what apply would change, what the file lists and
the cluster has not got, what the cluster has and the file does not list); each cluster is
reached through the account, profile or assumeRole the file gives it.

--all lists the clusters of every account it reaches in --regions (default: each account's
current region): the account of your credentials, and one more for each --account-role ARN
(a role assumed with your credentials, e.g. OrganizationAccountAccessRole or a read-only
audit role; --account-external-id for roles that require one) and each --account-profile
NAME (a profile of your AWS config: SSO, credential_process, role_arn). Add
--no-default-account to leave out your credentials' own account (e.g. an organisation's
management account that only assumes roles). Accounts and regions are read concurrently,
each with its own rate state; two ways into one account audit it once.

-o html writes one self-contained page (no network access, no external assets): a summary,
a principal × cluster matrix with the highest access level in each cell, filters by
account, cluster, principal and policy, sorting, and a cell's grants on click.

Audit changes nothing. Exit codes: 0 done; 1 a cluster, region or account could not be
reached or read (an AccessDenied on AssumeRole, say): it is reported as an error naming the
account, and every other account and cluster is still audited and reported; 2 bad input.`,
		Example: `  eksaccess audit -c ml-prod -c ml-dev
  eksaccess audit --all --regions us-west-2,us-east-1 -o html > audit.html
  eksaccess audit --all --account-role arn:aws:iam::444455556666:role/EKSAudit --account-profile prod -o csv
  eksaccess audit -f access.yaml -o csv`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.accounts()
			return dispatch(o, o.prepare(o.Req.Validate, auditFormats...), runF, func() error { return runAudit(cmd.Context(), o) })
		},
	}
	cmd.Flags().StringVarP(&o.Req.File, "file", "f", "", "audit the clusters of this access file, with drift against it")
	cmd.Flags().StringArrayVarP(&o.Req.Clusters, "cluster", "c", nil, "EKS cluster to audit; repeatable")
	cmd.Flags().BoolVar(&o.Req.All, "all", false, "audit every cluster ListClusters shows in --regions")
	cmd.Flags().StringSliceVar(&o.Req.Regions, "regions", nil, "with --all: regions to list clusters in, comma-separated (default: the current region)")
	cmd.Flags().StringArrayVar(&o.roles, "account-role", nil, "with --all: also audit the account of this role (ARN), assumed with your credentials; repeatable")
	cmd.Flags().StringArrayVar(&o.profiles, "account-profile", nil, "with --all: also audit the account of this AWS profile; repeatable")
	cmd.Flags().StringVar(&o.externalID, "account-external-id", "", "external id for assuming the --account-role roles")
	cmd.Flags().BoolVar(&o.Req.NoDefaultAccount, "no-default-account", false, "with --account-role/--account-profile: leave out your credentials' own account")
	cmd.Flags().IntVar(&o.Req.Concurrency, "concurrency", 16, "entries read in parallel per cluster")
	cmd.Flags().BoolVar(&o.Req.AllowOutsidePaths, "allow-outside-paths", false, "with -f: let the file's usersFile entries point outside the access file's directory")
	return cmd
}

func runAudit(ctx context.Context, o *auditOptions) error {
	return o.runThen(ctx, func(res *usecase.AuditResult) error {
		view.AuditProblems(o.io.ErrOut, res)
		var err error
		switch o.format {
		case output.JSON, output.YAML:
			err = output.Data(o.io.Out, o.format, res)
		case formatHTML:
			err = report.HTML(o.io.Out, res)
		case formatCSV:
			err = view.AuditCSV(o.io.Out, res)
		default:
			err = view.Audit(o.io.Out, o.io.ErrOut, res)
		}
		if err != nil {
			return err
		}
		if res.Failed() {
			return silentExit(ExitFailure)
		}
		return nil
	})
}

type doctorOptions = job[usecase.DoctorRequest, *usecase.DoctorResult]

func newDoctorCmd(f *Factory, runF func(*doctorOptions) error) *cobra.Command {
	o := new(newJob(f, f.Env().Doctor))
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
