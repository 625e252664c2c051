package cli

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"eksaccess/internal/creds"
)

// -o means a format on assume too: json is --format json, anything else but table is bad
// input (it used to be ignored, and env lines printed instead).
func TestAssumeOutputFlag(t *testing.T) {
	for _, c := range []struct {
		output string
		code   int
		format creds.Format
	}{
		{"", 0, creds.FormatEnv},
		{"table", 0, creds.FormatEnv},
		{"json", 0, creds.FormatJSON},
		{"yaml", 2, ""},
		{"xml", 2, ""},
	} {
		var got *assumeOptions
		stderr, code := execCmd(t, func(f *Factory) *cobra.Command {
			f.Output = c.output
			return newAssumeCmd(f, func(o *assumeOptions) error { got = o; return nil })
		}, "EKSFullAccessRole")
		if code != c.code {
			t.Errorf("-o %q: exit %d, want %d (%s)", c.output, code, c.code, stderr)
			continue
		}
		if c.code == 0 && got.format != c.format {
			t.Errorf("-o %q: format %q, want %q", c.output, got.format, c.format)
		}
		if c.code == 2 && (got != nil || !strings.Contains(stderr, "--format env|json|credential-process")) {
			t.Errorf("-o %q: ran, or the error does not say what to use: %s", c.output, stderr)
		}
	}
}
