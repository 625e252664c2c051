// Package output prints command results as a table, JSON or YAML.
package output

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"sigs.k8s.io/yaml"
)

// Format is an output format chosen with -o.
type Format string

// Formats.
const (
	Table Format = "table"
	JSON  Format = "json"
	YAML  Format = "yaml"
)

// ParseFormat checks an -o value against the formats a command supports.
func ParseFormat(s string, allowed ...Format) (Format, error) {
	if s == "" {
		return Table, nil
	}
	if len(allowed) == 0 {
		allowed = []Format{Table, JSON, YAML}
	}
	names := make([]string, len(allowed))
	for i, f := range allowed {
		if string(f) == strings.ToLower(s) {
			return f, nil
		}
		names[i] = string(f)
	}
	return "", fmt.Errorf("unknown output format %q: use one of %s", s, strings.Join(names, ", "))
}

// Data writes v as JSON (indented) or YAML; Table falls back to JSON (callers print tables themselves).
func Data(w io.Writer, f Format, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if f == YAML {
		y, err := yaml.JSONToYAML(b)
		if err != nil {
			return err
		}
		_, err = w.Write(y)
		return err
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}

// TablePrinter prints aligned columns with an upper-case header, like kubectl.
type TablePrinter struct {
	tw   *tabwriter.Writer
	rows int
}

// NewTable starts a table with the given column headers.
func NewTable(w io.Writer, headers ...string) *TablePrinter {
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	t := &TablePrinter{tw: tw}
	if len(headers) > 0 {
		fmt.Fprintln(tw, strings.Join(headers, "\t"))
	}
	return t
}

// Row adds a row; empty cells print as "-".
func (t *TablePrinter) Row(cells ...string) {
	for i, c := range cells {
		if c == "" {
			cells[i] = "-"
		}
		cells[i] = strings.ReplaceAll(cells[i], "\t", " ")
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
	t.rows++
}

// Flush writes the table.
func (t *TablePrinter) Flush() error { return t.tw.Flush() }
