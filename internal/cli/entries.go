package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"eksaccess/internal/iostreams"
	"eksaccess/internal/output"
	"eksaccess/internal/plan"
	"eksaccess/internal/usecase"
	"eksaccess/internal/view"
)

func newEntriesCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "entries",
		Short: "Show a cluster's access entries",
	}
	cmd.AddCommand(newEntriesListCmd(f, nil), newEntriesShowCmd(f, nil))
	return cmd
}

// cmdIO is what every command prints with: the streams, -v, the clock, and the -o format,
// which prepare checks against the formats the command supports before any call.
type cmdIO struct {
	io      *iostreams.IOStreams
	output  *string // -o and -v: global flags, parsed after the command is built
	verbose *bool
	now     func() time.Time
	format  output.Format
}

func newCmdIO(f *Factory) cmdIO {
	return cmdIO{io: f.IO, output: &f.Output, verbose: &f.Verbose, now: f.Now, format: output.Table}
}

// job is what most commands hold: how they print, the request their flags fill, and the
// use case that runs it (the tests replace Run, or take the options before it runs).
type job[Req, Res any] struct {
	cmdIO
	Run func(context.Context, Req) (Res, error)
	Req Req
}

func newJob[Req, Res any](f *Factory, run func(context.Context, Req) (Res, error)) job[Req, Res] {
	return job[Req, Res]{cmdIO: newCmdIO(f), Run: run}
}

// changeOutput renders a change's outcome (or refusal) with c's format.
func (c *cmdIO) changeOutput(command string) *changeOutput {
	return &changeOutput{cmdIO: *c, command: command}
}

// prepare checks -o (table, json and yaml unless allowed says) and validates the request
// (nil: nothing to check) before any call: bad input exits 2 and changes nothing.
func (c *cmdIO) prepare(validate func() error, allowed ...output.Format) error {
	var err error
	if c.format, err = output.ParseFormat(*c.output, allowed...); err != nil {
		return &UsageError{Err: err}
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
	job[usecase.ListEntriesRequest, *usecase.EntryList]
}

func newEntriesListCmd(f *Factory, runF func(*entriesListOptions) error) *cobra.Command {
	o := &entriesListOptions{job: newJob(f, f.Env().ListEntries)}
	cmd := &cobra.Command{
		Use:   "list -c CLUSTER",
		Short: "List access entries with type, username, groups, policies, scopes and expiry",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return dispatch(o, o.prepare(o.Req.Validate), runF, func() error { return o.render(o.Run(cmd.Context(), o.Req)) })
		},
	}
	addClusterFlags(cmd, &o.Req.Cluster)
	return cmd
}

func (o *entriesListOptions) render(res *usecase.EntryList, err error) error {
	if err != nil {
		return err
	}
	if res.AuthenticationMode == "CONFIG_MAP" && o.format == output.Table {
		fmt.Fprintf(o.io.ErrOut, "cluster %s uses the aws-auth ConfigMap only (authentication mode CONFIG_MAP): it has no access entries; see `eksaccess migrate aws-auth -c %s`\n", res.Cluster, res.Cluster)
		return nil
	}
	return show(o.io.Out, o.format, res.Entries, func() error { return view.Entries(o.io.Out, res.Entries, o.now()) })
}

type entriesShowOptions struct {
	job[usecase.ShowEntryRequest, *plan.LiveEntry]
}

func newEntriesShowCmd(f *Factory, runF func(*entriesShowOptions) error) *cobra.Command {
	o := &entriesShowOptions{job: newJob(f, f.Env().ShowEntry)}
	cmd := &cobra.Command{
		Use:   "show -c CLUSTER PRINCIPAL",
		Short: "Show one access entry (PRINCIPAL: IAM user name, role/NAME or ARN)",
		Args:  exactArgs(1, "PRINCIPAL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Req.Principal = args[0]
			entry := func(w io.Writer, e *plan.LiveEntry) error { return view.Entry(w, e, o.now()) }
			return dispatch(o, o.prepare(o.Req.Validate), runF, func() error { return shown(&o.cmdIO, entry)(o.Run(cmd.Context(), o.Req)) })
		},
	}
	addClusterFlags(cmd, &o.Req.Cluster)
	return cmd
}
