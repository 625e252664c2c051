package accessfile

import (
	"sort"
	"strings"

	"eksaccess/internal/yamlpos"
)

// Problem is one thing wrong with a file, at a position (FILE:LINE:COL: message).
type Problem = yamlpos.Problem

// Error is every problem found in a file. Loading returns it as the error
// whenever the file is not valid, so callers can list all problems or count
// them with errors.As.
type Error struct {
	Problems []Problem
}

// Error prints one problem a line, in file order.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// sortProblems orders problems by file position, keeping the order they
// were found in for the same position, and drops exact repeats (an alias
// can make the same node be checked twice).
func sortProblems(ps []Problem) []Problem {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].File != ps[j].File {
			return ps[i].File < ps[j].File
		}
		if ps[i].Line != ps[j].Line {
			return ps[i].Line < ps[j].Line
		}
		return ps[i].Col < ps[j].Col
	})
	out := ps[:0]
	for _, p := range ps {
		if len(out) > 0 && p == out[len(out)-1] {
			continue
		}
		out = append(out, p)
	}
	return out
}
