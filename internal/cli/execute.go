package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"eksaccess/internal/iostreams"
	"eksaccess/internal/output"
	"eksaccess/internal/plan"
	"eksaccess/internal/usecase"
	"eksaccess/internal/view"
)

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

// runThen runs the use case on the request and hands a result that came without error to
// next, which prints it.
func (j *job[Req, Res]) runThen(ctx context.Context, next func(Res) error) error {
	res, err := j.Run(ctx, j.Req)
	if err != nil {
		return err
	}
	return next(res)
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

// asUsage turns a request's validation error into a usage error (exit 2, with --help hint).
func asUsage(err error) error {
	var ie *usecase.InputError
	if errors.As(err, &ie) {
		return &UsageError{Err: ie.Err}
	}
	return err
}

// dispatch is the end of every command's RunE: a request that does not validate is a usage
// error; then the test's runF (argv → request, no server) or the command itself runs.
func dispatch[O any](o O, invalid error, runF func(O) error, run func() error) error {
	if invalid != nil {
		var ue *UsageError
		if errors.As(invalid, &ue) || usecase.IsInput(invalid) {
			return asUsage(invalid)
		}
		return &UsageError{Err: invalid}
	}
	if runF != nil {
		return runF(o)
	}
	return run()
}

// show prints data as -o asks: JSON or YAML as data, the table format through its view.
func show(w io.Writer, format output.Format, data any, table func() error) error {
	if format != output.Table {
		return output.Data(w, format, data)
	}
	return table()
}

// shown prints a read command's result through its table view (or returns its error).
func shown[T any](c *cmdIO, table func(io.Writer, T) error) func(T, error) error {
	return func(res T, err error) error {
		if err != nil {
			return err
		}
		return show(c.io.Out, c.format, res, func() error { return table(c.io.Out, res) })
	}
}

// verdict is shown for a command whose result passes or fails (can-i, verify): printed
// either way, a result that did not pass exits 1.
func verdict[T any](c *cmdIO, table func(io.Writer, T) error, passed func(T) bool) func(T, error) error {
	printed := shown(c, table)
	return func(res T, err error) error {
		if err := printed(res, err); err != nil {
			return err
		}
		if !passed(res) {
			return silentExit(ExitFailure)
		}
		return nil
	}
}

// confirm asks question on a terminal unless yes is set: declined exits 2 with
// "<what> cancelled: nothing was changed", and without a terminal noTerminal is the usage
// error (say how to run again with --yes).
func confirm(ios *iostreams.IOStreams, yes bool, what, question, noTerminal string) error {
	if yes {
		return nil
	}
	if !ios.CanPrompt() {
		return usageErrorf("%s", noTerminal)
	}
	ok, err := ios.Confirm(question)
	if err != nil {
		return &UsageError{Err: err}
	}
	if !ok {
		fmt.Fprintln(ios.ErrOut, what+" cancelled: nothing was changed")
		return silentExit(ExitInput)
	}
	return nil
}

// writeOutput writes b to path (stdout when path is ""), then says on stderr: "wrote PATH: " + note.
func writeOutput(ios *iostreams.IOStreams, path string, b []byte, note string) error {
	if path == "" {
		_, err := ios.Out.Write(b)
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w; check the directory exists and is writable", path, err)
	}
	fmt.Fprintf(ios.ErrOut, "wrote %s: %s\n", path, note)
	return nil
}

// changeOutput renders the outcome of any job that changes access, the same way for all.
type changeOutput struct {
	cmdIO
	command string
}

// render prints a dry run's plan or a run's summary (or the refusal) and maps the result to
// the exit code: partial failure exits 1 after the summary, an interrupted run 130.
func (c *changeOutput) render(out *usecase.Outcome, err error) error {
	format := c.format
	var re *usecase.RefusedError
	if errors.As(err, &re) {
		if format != output.Table {
			output.Data(c.io.Out, format, map[string]any{"refusals": re.Refusals})
		}
		plan.WriteRefusals(c.io.ErrOut, re.Refusals)
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("%s refused: nothing was changed", c.command)}
	}
	if err != nil {
		return err
	}
	if out.Summary == nil {
		return show(c.io.Out, format, map[string]any{"dryRun": out.DryRun, "plans": out.Plans}, func() error {
			view.DryRun(c.io.Out, c.command, out.Plans, *c.verbose)
			return nil
		})
	}
	if err := show(c.io.Out, format, out.Summary, func() error { out.Summary.Write(c.io.Out, *c.verbose); return nil }); err != nil {
		return err
	}
	return outcomeExit(out)
}

// outcomeExit maps a run that changed access to its exit code: interrupted 130, a failed
// change 1 (after the summary was printed).
func outcomeExit(out *usecase.Outcome) error {
	switch {
	case out == nil:
		return nil
	case out.Interrupted():
		return silentExit(ExitSignal)
	case out.Failed():
		return silentExit(ExitFailure)
	}
	return nil
}
