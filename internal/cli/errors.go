package cli

import (
	"context"
	"eksaccess/internal/usecase"
	"errors"
	"fmt"
)

// Exit codes, mapped in one place (Main).
const (
	ExitOK      = 0
	ExitFailure = 1 // the run failed, or part of a bulk run failed
	ExitInput   = 2 // bad input or usage; nothing was changed
	ExitDrift   = 2 // plan --detailed-exitcode: changes pending
	ExitSignal  = 130
)

// ExitError carries an exit code with an optional message already printed or to print.
type ExitError struct {
	Code int
	Err  error // nil: the command printed everything it had to say
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// UsageError marks bad flags or arguments (exit 2, with a hint to --help).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// usageErrorf returns a UsageError.
func usageErrorf(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// exitCoder is implemented by errors of other packages that know their exit code
// (e.g. the input errors of principal and accessfile, which exit 2).
type exitCoder interface{ ExitCode() int }

// silentError: the command already printed its result (summary, failures); only exit.
func silentExit(code int) error { return &ExitError{Code: code} }

// exitCodeOf maps an error to the process exit code.
func exitCodeOf(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	var ue *UsageError
	if errors.As(err, &ue) {
		return ExitInput
	}
	if usecase.IsInput(err) {
		return ExitInput
	}
	var ec exitCoder
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	if errors.Is(err, context.Canceled) {
		return ExitSignal
	}
	return ExitFailure
}
