// Package yamlpos is the one place that turns YAML (goccy/go-yaml) nodes and parser errors
// into 1-based file positions, for the files eksaccess reads and reports problems in by
// FILE:LINE:COL: the access file (internal/accessfile) and the aws-auth ConfigMap
// (internal/awsauth).
package yamlpos

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	yaml "github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

// Pos is a 1-based line and column.
type Pos struct {
	Line int
	Col  int
}

// Problem is one thing wrong with a file, at a position.
type Problem struct {
	File string
	Line int
	Col  int
	// Msg says what is wrong and, after "; ", what to do.
	Msg string
}

// String formats the problem as FILE:LINE:COL: message.
func (p Problem) String() string {
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Col, p.Msg)
}

// At is a problem of file at pos.
func At(file string, pos Pos, msg string) Problem {
	return Problem{File: file, Line: pos.Line, Col: pos.Col, Msg: msg}
}

// Of is where a node starts: a block mapping at its first key, a key-value pair at its key,
// anything else at its token. A node without a position is at 1:1.
func Of(n ast.Node) Pos {
	if n == nil {
		return Pos{1, 1}
	}
	if m, ok := n.(*ast.MappingNode); ok && len(m.Values) > 0 && !m.IsFlowStyle {
		return Of(m.Values[0].Key)
	}
	if mv, ok := n.(*ast.MappingValueNode); ok {
		return Of(mv.Key)
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return Pos{1, 1}
	}
	return Pos{max(tk.Position.Line, 1), max(tk.Position.Column, 1)}
}

// Value is where a field's value is, or its key when the value is empty.
func Value(mv *ast.MappingValueNode) Pos {
	if mv.Value == nil || mv.Value.Type() == ast.NullType {
		return Of(mv.Key)
	}
	return Of(mv.Value)
}

// Syntax is the position and the one-line message of a YAML parser error (tabs and line
// ends shown escaped). The message is the parser's own, without the source excerpt the
// error's Error() adds: a file that is not YAML at all must not be echoed into a log.
func Syntax(err error) (Pos, string) {
	var ye yaml.Error
	if errors.As(err, &ye) && ye.GetToken() != nil && ye.GetToken().Position != nil {
		tp := ye.GetToken().Position
		msg := strings.NewReplacer("\t", `\t`, "\r", `\r`, "\n", " ").Replace(ye.GetMessage())
		return Pos{max(tp.Line, 1), max(tp.Column, 1)}, msg
	}
	return Pos{1, 1}, "the file cannot be parsed as YAML"
}

// TrimBOM drops a UTF-8 byte order mark (Windows editors write one); it is not part of the
// YAML, and positions stay as an editor shows them.
func TrimBOM(data []byte) []byte { return bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) }

// String is the text of a string node (plain, quoted or block); ok is false for anything
// else but a null, which reads as "".
func String(n ast.Node) (s string, ok bool) {
	switch t := n.(type) {
	case nil, *ast.NullNode:
		return "", true
	case *ast.StringNode:
		return t.Value, true
	case *ast.LiteralNode:
		if t.Value == nil {
			return "", true
		}
		return t.Value.Value, true
	}
	return "", false
}
