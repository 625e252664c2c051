package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadOutputFormatChangesNothing: -o is input like any other, checked before the first
// call. Every command that changes access, given an -o it does not know, exits 2 and makes
// no mutating call (grant used to create the entry, then fail on the format).
func TestBadOutputFormatChangesNothing(t *testing.T) {
	h := newSBHarness(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "access.yaml")
	os.WriteFile(file, []byte("apiVersion: eksaccess/v1\nclusters:\n  - name: hyperpod-demo\n    access:\n      - principals: [alice]\n        policies: [AmazonEKSViewPolicy]\n"), 0o644)
	h.mustRun("grant", "-c", "hyperpod-demo", "--policy", "AmazonEKSViewPolicy", "--expires", "1s", "bob")
	before := total(h.mutating(0))
	for _, argv := range [][]string{
		{"grant", "-c", "hyperpod-demo", "--policy", "AmazonEKSViewPolicy", "alice"},
		{"revoke", "-c", "hyperpod-demo", "bob"},
		{"apply", "-f", file, "--yes"},
		{"expire", "-c", "hyperpod-demo"},
		{"auth-mode", "-c", "legacy-cm", "--set", "API_AND_CONFIG_MAP", "--yes"},
		{"role", "create", "NewRole"},
		{"doctor", "-c", "hyperpod-demo", "--fix"},
		{"team", "add", "-c", "hyperpod-demo", "ml", "alice"},
		{"export", "-c", "hyperpod-demo", "--output-file", filepath.Join(dir, "out.yaml")},
	} {
		out, errOut, code := h.run(append(argv, "-o", "xml")...)
		if code != ExitInput || !strings.Contains(errOut, `unknown output format "xml"`) {
			t.Errorf("%s -o xml: exit %d, want 2 naming the format\nstdout: %s\nstderr: %s", strings.Join(argv, " "), code, out, errOut)
		}
		if n := total(h.mutating(0)); n != before {
			t.Errorf("%s -o xml made %d mutating call(s)", strings.Join(argv, " "), n-before)
			before = n
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out.yaml")); err == nil {
		t.Errorf("export -o xml wrote its file")
	}
}
