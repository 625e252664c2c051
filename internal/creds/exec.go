package creds

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
)

// Environ returns base with the credentials and extra set, and Unset (and any earlier
// credentials) removed. AWS_REGION and the rest of base are kept.
func Environ(base []string, c Credentials, extra []Var) []string {
	vars := Vars(c, extra...)
	drop := map[string]bool{}
	for _, n := range Unset {
		drop[n] = true
	}
	for _, v := range vars {
		drop[v.Name] = true
	}
	out := make([]string, 0, len(base)+len(vars))
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		if drop[name] {
			continue
		}
		out = append(out, kv)
	}
	for _, v := range vars {
		out = append(out, v.Name+"="+v.Value)
	}
	return out
}

// ExitCodeError says a command could not be run; Code is the shell's convention (127: not
// found, 126: not executable).
type ExitCodeError struct {
	Code int
	Err  error
}

func (e *ExitCodeError) Error() string { return e.Err.Error() }
func (e *ExitCodeError) Unwrap() error { return e.Err }

// ExitCode implements the cli package's exit-code interface.
func (e *ExitCodeError) ExitCode() int { return e.Code }

// Run runs argv with env and the given streams, forwards SIGINT, SIGTERM, SIGHUP and SIGQUIT
// to it, and returns its exit code (128+N when signal N ended it). An error means it could
// not be started.
func Run(ctx context.Context, argv []string, env []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	if len(argv) == 0 {
		return 0, errors.New("no command to run")
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		code := 127
		if errors.Is(err, os.ErrPermission) {
			code = 126
		}
		return code, &ExitCodeError{Code: code, Err: fmt.Errorf("cannot run %s: %w: check the command name and PATH", argv[0], err)}
	}
	// Not CommandContext: a cancelled context (Ctrl-C) must reach the child as a signal it
	// can handle, not as a kill.
	cmd := exec.Command(path, argv[1:]...)
	cmd.Args = argv
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return 126, &ExitCodeError{Code: 126, Err: fmt.Errorf("cannot run %s: %w", argv[0], err)}
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				_ = cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	err = cmd.Wait()
	close(done)
	if err == nil {
		return 0, nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return ee.ExitCode(), nil
	}
	return 1, fmt.Errorf("run %s: %w", argv[0], err)
}
