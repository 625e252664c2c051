package accessfile

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite generated files (schema, # want: lines of bad files)")

// wantLines reads the "# want: " comments at the top of a bad file.
func wantLines(data []byte) []string {
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "# want: "); ok {
			out = append(out, rest)
		}
	}
	return out
}

// problemLines renders problems relative to the bad file: "L:C: msg" for the
// access file itself, "NAME:L:C: msg" for a users file next to it.
func problemLines(t *testing.T, path string, err error) []string {
	t.Helper()
	var fe *Error
	if !errors.As(err, &fe) {
		t.Fatalf("error is %T, not *accessfile.Error: %v", err, err)
	}
	var out []string
	for _, p := range fe.Problems {
		if p.Line < 1 || p.Col < 1 || p.File == "" {
			t.Errorf("problem without a position: %#v", p)
		}
		if p.File == path {
			out = append(out, fmt.Sprintf("%d:%d: %s", p.Line, p.Col, p.Msg))
		} else {
			rel, _ := filepath.Rel(filepath.Dir(path), p.File)
			out = append(out, fmt.Sprintf("%s:%d:%d: %s", rel, p.Line, p.Col, p.Msg))
		}
	}
	return out
}

func TestBadFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 30 {
		t.Fatalf("only %d bad files; the corpus needs at least 30", len(files))
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := Load(path, Options{})
			if err == nil {
				t.Fatalf("loaded without error: %+v", cfg)
			}
			if cfg != nil {
				t.Errorf("returned a config together with the error")
			}
			got := problemLines(t, path, err)
			if *update {
				writeWant(t, path, data, got)
				return
			}
			want := wantLines(data)
			if len(want) == 0 {
				t.Fatalf("no # want: lines; got:\n# want: %s", strings.Join(got, "\n# want: "))
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("problems differ\ngot:\n# want: %s\nwant:\n# want: %s", strings.Join(got, "\n# want: "), strings.Join(want, "\n# want: "))
			}
			// Error() is FILE:LINE:COL: msg, one a line.
			for i, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, filepath.Dir(path)+"/") || !strings.HasSuffix(line, got[i][strings.Index(got[i], ": ")+2:]) {
					t.Errorf("Error() line %d = %q, not FILE:LINE:COL: %s", i, line, got[i])
				}
			}
		})
	}
}

// writeWant replaces the leading "# want:" lines of a bad file.
func writeWant(t *testing.T, path string, data []byte, got []string) {
	t.Helper()
	lines := strings.Split(string(data), "\n")
	for len(lines) > 0 && strings.HasPrefix(lines[0], "# want: ") {
		lines = lines[1:]
	}
	var b strings.Builder
	for _, g := range got {
		b.WriteString("# want: " + g + "\n")
	}
	b.WriteString(strings.Join(lines, "\n"))
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
