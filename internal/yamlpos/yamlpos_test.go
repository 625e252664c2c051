package yamlpos

import (
	"strings"
	"testing"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

func TestPositions(t *testing.T) {
	t.Parallel()
	src := "a: 1\nb:\n  c: x\n  d:\nlist: [p, q]\n"
	f, err := parser.ParseBytes([]byte(src), 0)
	if err != nil {
		t.Fatal(err)
	}
	top := f.Docs[0].Body.(*ast.MappingNode)
	if got := Of(top); got != (Pos{1, 1}) {
		t.Errorf("Of(top) = %v", got)
	}
	b := top.Values[1]
	if got := Of(b); got != (Pos{2, 1}) {
		t.Errorf("Of(b) = %v", got)
	}
	inner := b.Value.(*ast.MappingNode)
	if got := Value(inner.Values[0]); got != (Pos{3, 6}) {
		t.Errorf("Value(c) = %v", got)
	}
	if got := Value(inner.Values[1]); got != (Pos{4, 3}) { // empty value: the key
		t.Errorf("Value(d) = %v", got)
	}
	if got := Value(top.Values[2]); got != (Pos{5, 7}) { // flow sequence: its bracket
		t.Errorf("Value(list) = %v", got)
	}
	if got := Of(nil); got != (Pos{1, 1}) {
		t.Errorf("Of(nil) = %v", got)
	}
}

func TestSyntaxKeepsTheSourceOut(t *testing.T) {
	t.Parallel()
	src := "key: value\n\tsecret: wJalrXUtnFEMI/K7MDENG\n"
	_, err := parser.ParseBytes([]byte(src), 0)
	if err == nil {
		t.Fatal("no syntax error")
	}
	pos, msg := Syntax(err)
	if pos.Line != 2 || strings.Contains(msg, "wJalr") || strings.Contains(msg, "\n") {
		t.Errorf("Syntax = %v %q", pos, msg)
	}
	if p := At("f.yaml", pos, msg); !strings.HasPrefix(p.String(), "f.yaml:2:") {
		t.Errorf("Problem = %s", p)
	}
	if got := string(TrimBOM([]byte("\xef\xbb\xbfa: 1"))); got != "a: 1" {
		t.Errorf("TrimBOM = %q", got)
	}
}
