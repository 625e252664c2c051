package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"eksaccess/internal/iostreams"
	"eksaccess/internal/output"
	"eksaccess/internal/plan"
	"eksaccess/internal/usecase"
)

func newEntriesCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "entries",
		Short: "Show a cluster's access entries",
	}
	cmd.AddCommand(newEntriesListCmd(f, nil), newEntriesShowCmd(f, nil))
	return cmd
}

// readOptions are what every read command's options share: streams, -o, the clock.
type readOptions struct {
	io     *iostreams.IOStreams
	format output.Format
	now    func() time.Time
}

func newReadOptions(f *Factory) readOptions { return readOptions{io: f.IO, now: f.Now} }

// prepare checks -o and validates the request (nil: nothing to check) before any call: bad
// input exits 2 and changes nothing.
func (r *readOptions) prepare(f *Factory, validate func() error) error {
	var err error
	if r.format, err = f.Format(); err != nil {
		return err
	}
	if validate == nil {
		return nil
	}
	return asUsage(validate())
}

// noted validates a request whose parsing leaves notes, and prints them on stderr.
func noted(w io.Writer, validate func() ([]string, error)) func() error {
	return func() error {
		notes, err := validate()
		for _, n := range notes {
			fmt.Fprintln(w, n)
		}
		return err
	}
}

type entriesListOptions struct {
	readOptions
	Run func(context.Context, usecase.ListEntriesRequest) (*usecase.EntryList, error)
	Req usecase.ListEntriesRequest
}

func newEntriesListCmd(f *Factory, runF func(*entriesListOptions) error) *cobra.Command {
	o := &entriesListOptions{readOptions: newReadOptions(f), Run: f.Env().ListEntries}
	cmd := &cobra.Command{
		Use:   "list -c CLUSTER",
		Short: "List access entries with type, username, groups, policies, scopes and expiry",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return dispatch(o, o.prepare(f, o.Req.Validate), runF, func() error { return o.render(o.Run(cmd.Context(), o.Req)) })
		},
	}
	addClusterFlags(cmd, &o.Req.Cluster)
	return cmd
}

func (o *entriesListOptions) render(res *usecase.EntryList, err error) error {
	if err != nil {
		return err
	}
	if o.format != output.Table {
		return output.Data(o.io.Out, o.format, res.Entries)
	}
	if res.AuthenticationMode == "CONFIG_MAP" {
		fmt.Fprintf(o.io.ErrOut, "cluster %s uses the aws-auth ConfigMap only (authentication mode CONFIG_MAP): it has no access entries; see `eksaccess migrate aws-auth -c %s`\n", res.Cluster, res.Cluster)
		return nil
	}
	t := output.NewTable(o.io.Out, "PRINCIPAL", "TYPE", "USERNAME", "GROUPS", "POLICIES", "EXPIRES")
	now := o.now()
	for _, e := range res.Entries {
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
	readOptions
	Run func(context.Context, usecase.ShowEntryRequest) (*plan.LiveEntry, error)
	Req usecase.ShowEntryRequest
}

func newEntriesShowCmd(f *Factory, runF func(*entriesShowOptions) error) *cobra.Command {
	o := &entriesShowOptions{readOptions: newReadOptions(f), Run: f.Env().ShowEntry}
	cmd := &cobra.Command{
		Use:   "show -c CLUSTER PRINCIPAL",
		Short: "Show one access entry (PRINCIPAL: IAM user name, role/NAME or ARN)",
		Args:  exactArgs(1, "PRINCIPAL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Req.Principal = args[0]
			return dispatch(o, o.prepare(f, o.Req.Validate), runF, func() error { return o.render(o.Run(cmd.Context(), o.Req)) })
		},
	}
	addClusterFlags(cmd, &o.Req.Cluster)
	return cmd
}

func (o *entriesShowOptions) render(e *plan.LiveEntry, err error) error {
	if err != nil {
		return err
	}
	if o.format != output.Table {
		return output.Data(o.io.Out, o.format, e)
	}
	w := o.io.Out
	t := output.NewTable(w)
	t.Row("Principal:", e.PrincipalArn)
	t.Row("Type:", e.Type)
	t.Row("Username:", e.Username)
	t.Row("Groups:", strings.Join(e.KubernetesGroups, ","))
	t.Row("Created:", e.CreatedAt.UTC().Format(time.RFC3339))
	t.Row("Expires:", expiresCell(e, o.now()))
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
