package principal

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Source says where a principal reference came from, so that every problem can name the
// place the admin has to fix.
type Source struct {
	File  string // users file or access file; with Line
	Line  int    // 1-based; 0 when the problem concerns the whole file
	Arg   int    // 1-based position among the command's principal arguments
	Group string // IAM group the principal was expanded from
}

// FileSource is line line of file name.
func FileSource(name string, line int) Source { return Source{File: name, Line: line} }

// ArgSource is the n-th (1-based) principal argument on the command line.
func ArgSource(n int) Source { return Source{Arg: n} }

// GroupSource is a member of the IAM group named by --iam-group.
func GroupSource(group string) Source { return Source{Group: group} }

// String renders the source the way problems print it: "users.txt:3", "argument 2",
// "--iam-group devs", or "access.yaml:12 (IAM group devs)".
func (s Source) String() string {
	var where string
	switch {
	case s.File != "" && s.Line > 0:
		where = s.File + ":" + strconv.Itoa(s.Line)
	case s.File != "":
		where = s.File
	case s.Arg > 0:
		where = "argument " + strconv.Itoa(s.Arg)
	}
	if s.Group != "" {
		if where == "" {
			return "--iam-group " + s.Group
		}
		return where + " (IAM group " + s.Group + ")"
	}
	return where
}

// Problem is one bad place in the input. Source is embedded so that p.File and p.Line read
// naturally for file problems.
type Problem struct {
	Source
	Msg string // what is wrong; what to do
}

func (p Problem) String() string {
	if w := p.Source.String(); w != "" {
		return w + ": " + p.Msg
	}
	return p.Msg
}

// InputError lists every problem found in the input. It means "the admin must fix the
// input; nothing was changed": the CLI maps it to exit code 2.
type InputError struct {
	Problems []Problem
}

// maxPrinted bounds Error's text: a binary file fed as a users file would otherwise print
// one line per garbage line. Problems keeps them all.
const maxPrinted = 50

func (e *InputError) Error() string {
	switch len(e.Problems) {
	case 0:
		return "invalid input"
	case 1:
		return e.Problems[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d problems in the input:", len(e.Problems))
	for i, p := range e.Problems {
		if i == maxPrinted {
			fmt.Fprintf(&b, "\n  … and %d more", len(e.Problems)-maxPrinted)
			break
		}
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Add records a problem at src.
func (e *InputError) Add(src Source, format string, args ...any) {
	e.Problems = append(e.Problems, Problem{Source: src, Msg: fmt.Sprintf(format, args...)})
}

// Merge appends err's problems when err is (or wraps) an *InputError and reports whether
// it was one; any other error is left to the caller.
func (e *InputError) Merge(err error) bool {
	var ie *InputError
	if !errors.As(err, &ie) {
		return false
	}
	e.Problems = append(e.Problems, ie.Problems...)
	return true
}

// Err returns e when it holds problems and nil otherwise, so callers can collect freely and
// return e.Err() at the end.
func (e *InputError) Err() error {
	if e == nil || len(e.Problems) == 0 {
		return nil
	}
	return e
}

// Sort orders problems by file, line, argument, then group, keeping the order of problems
// at the same place.
func (e *InputError) Sort() {
	sort.SliceStable(e.Problems, func(i, j int) bool {
		a, b := e.Problems[i].Source, e.Problems[j].Source
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Arg != b.Arg {
			return a.Arg < b.Arg
		}
		return a.Group < b.Group
	})
}

// IsInputError reports whether err is (or wraps) an *InputError.
func IsInputError(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}
