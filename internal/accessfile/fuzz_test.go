package accessfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzLoad checks that no input panics the loader and that every error it
// returns is an *Error whose problems all carry a position.
func FuzzLoad(f *testing.F) {
	for _, dir := range []string{"testdata/good", "testdata/bad"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("a: &a [*a]"))
	f.Add([]byte("clusters: [{access: [{usersFile: u}]}]"))
	read := func(string) ([]byte, error) { return []byte("alice\nbob\nalice\n"), nil }
	f.Fuzz(func(t *testing.T, data []byte) {
		done := make(chan struct{})
		var cfg *Config
		var err error
		go func() {
			defer close(done)
			cfg, err = Parse("fuzz.yaml", data, Options{ReadFile: read})
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("Parse took more than 5s on %q", data)
		}
		if err == nil {
			if cfg == nil {
				t.Fatal("nil config without error")
			}
			if _, err := Marshal(cfg); err != nil {
				t.Fatalf("valid config does not marshal: %v", err)
			}
			return
		}
		var fe *Error
		if !errors.As(err, &fe) || len(fe.Problems) == 0 {
			t.Fatalf("error without problems: %T %v", err, err)
		}
		for _, p := range fe.Problems {
			if p.File == "" || p.Line < 1 || p.Col < 1 || p.Msg == "" {
				t.Fatalf("problem without a position: %#v", p)
			}
		}
	})
}
