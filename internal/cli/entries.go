package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"eksaccess/internal/output"
	"eksaccess/internal/plan"
	"eksaccess/internal/usecase"
)

func newEntriesCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "entries",
		Short: "Show a cluster's access entries",
	}
	cmd.AddCommand(newEntriesListCmd(f), newEntriesShowCmd(f))
	return cmd
}

type entriesListOptions struct {
	f   *Factory
	ref clusterRef
}

func newEntriesListCmd(f *Factory) *cobra.Command {
	o := &entriesListOptions{f: f}
	cmd := &cobra.Command{
		Use:   "list -c CLUSTER",
		Short: "List access entries with type, username, groups, policies, scopes and expiry",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.ref.validate(); err != nil {
				return err
			}
			return runEntriesList(cmd.Context(), o)
		},
	}
	o.ref.addFlags(cmd)
	return cmd
}

func runEntriesList(ctx context.Context, o *entriesListOptions) error {
	format, err := o.f.Format()
	if err != nil {
		return err
	}
	cluster, err := o.ref.resolve(ctx, o.f)
	if err != nil {
		return err
	}
	c, err := o.f.Clients(ctx)
	if err != nil {
		return err
	}
	res, err := plan.ReadCluster(ctx, c.EKS, cluster, plan.ReadOptions{})
	if err != nil {
		return err
	}
	entries := res.SortedEntries()
	if format != output.Table {
		return output.Data(o.f.IO.Out, format, entries)
	}
	if res.AuthenticationMode == "CONFIG_MAP" {
		fmt.Fprintf(o.f.IO.ErrOut, "cluster %s uses the aws-auth ConfigMap only (authentication mode CONFIG_MAP): it has no access entries; see `eksaccess migrate aws-auth -c %s`\n", cluster, cluster)
		return nil
	}
	t := output.NewTable(o.f.IO.Out, "PRINCIPAL", "TYPE", "USERNAME", "GROUPS", "POLICIES", "EXPIRES")
	now := o.f.Now()
	for _, e := range entries {
		t.Row(e.PrincipalArn, e.Type, e.Username, strings.Join(e.KubernetesGroups, ","), policiesCell(e.Policies), expiresCell(e, now))
	}
	return t.Flush()
}

// policiesCell renders policies as NAME(cluster) or NAME(ns1,ns2).
func policiesCell(ps []plan.LivePolicy) string {
	parts := make([]string, 0, len(ps))
	for _, p := range ps {
		scope := "cluster"
		if p.ScopeType == "namespace" {
			scope = strings.Join(p.Namespaces, ",")
		}
		parts = append(parts, plan.PolicyName(p.PolicyArn)+"("+scope+")")
	}
	return strings.Join(parts, " ")
}

func expiresCell(e *plan.LiveEntry, now time.Time) string {
	x := e.Expiry()
	var parts []string
	for _, p := range x.Problems {
		parts = append(parts, p.Key+" unreadable")
	}
	t := e.NextExpiry()
	if !t.IsZero() {
		s := t.UTC().Format(time.RFC3339)
		if n := len(x.Records); n > 1 {
			s += fmt.Sprintf(" (first of %d grants)", n)
		}
		if !now.Before(t) {
			s += " (expired)"
		}
		parts = append([]string{s}, parts...)
	}
	return strings.Join(parts, "; ")
}

type entriesShowOptions struct {
	f         *Factory
	ref       clusterRef
	principal string
}

func newEntriesShowCmd(f *Factory) *cobra.Command {
	o := &entriesShowOptions{f: f}
	cmd := &cobra.Command{
		Use:   "show -c CLUSTER PRINCIPAL",
		Short: "Show one access entry (PRINCIPAL: IAM user name, role/NAME or ARN)",
		Args:  exactArgs(1, "PRINCIPAL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.ref.validate(); err != nil {
				return err
			}
			o.principal = strings.TrimSpace(args[0])
			if o.principal == "" {
				return usageErrorf("PRINCIPAL is empty: give an IAM user name, role/NAME or an ARN (eksaccess entries list -c CLUSTER shows them)")
			}
			return runEntriesShow(cmd.Context(), o)
		},
	}
	o.ref.addFlags(cmd)
	return cmd
}

func runEntriesShow(ctx context.Context, o *entriesShowOptions) error {
	format, err := o.f.Format()
	if err != nil {
		return err
	}
	e, err := o.f.Env().ShowEntry(ctx, usecase.ShowEntryRequest{Cluster: usecase.ClusterRef{Name: o.ref.Cluster, HyperPod: o.ref.HyperPod}, Principal: o.principal})
	if err != nil {
		return err
	}
	if format != output.Table {
		return output.Data(o.f.IO.Out, format, e)
	}
	w := o.f.IO.Out
	t := output.NewTable(w)
	t.Row("Principal:", e.PrincipalArn)
	t.Row("Type:", e.Type)
	t.Row("Username:", e.Username)
	t.Row("Groups:", strings.Join(e.KubernetesGroups, ","))
	t.Row("Created:", e.CreatedAt.UTC().Format(time.RFC3339))
	t.Row("Expires:", expiresCell(e, o.f.Now()))
	t.Row("Managed:", fmt.Sprint(e.Managed()))
	keys := make([]string, 0, len(e.Tags))
	for k := range e.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var tags []string
	for _, k := range keys {
		tags = append(tags, k+"="+e.Tags[k])
	}
	t.Row("Tags:", strings.Join(tags, " "))
	if err := t.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	pt := output.NewTable(w, "POLICY", "SCOPE", "NAMESPACES")
	for _, p := range e.Policies {
		pt.Row(plan.PolicyName(p.PolicyArn), p.ScopeType, strings.Join(p.Namespaces, ","))
	}
	return pt.Flush()
}
