package dirs

import (
	"path/filepath"
	"testing"
)

func TestDirs(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	cases := []struct {
		name                           string
		getenv                         func(string) string
		state, cache, sandbox, journal string
	}{
		{"home only", env("HOME", "/h"), "/h/.local/state/eksaccess", "/h/.cache/eksaccess", "/h/.local/state/eksaccess/sandbox", "/h/.local/state/eksaccess/journal.jsonl"},
		{"xdg", env("HOME", "/h", "XDG_STATE_HOME", "/s", "XDG_CACHE_HOME", "/c"), "/s/eksaccess", "/c/eksaccess", "/s/eksaccess/sandbox", "/s/eksaccess/journal.jsonl"},
		{"overrides", env("HOME", "/h", "EKSACCESS_SANDBOX", "/sb", "EKSACCESS_JOURNAL", "/j.jsonl"), "/h/.local/state/eksaccess", "/h/.cache/eksaccess", "/sb", "/j.jsonl"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := []string{State(c.getenv), Cache(c.getenv), Sandbox(c.getenv), Journal(c.getenv)}
			want := []string{c.state, c.cache, c.sandbox, c.journal}
			for i := range got {
				if filepath.Clean(got[i]) != filepath.Clean(want[i]) {
					t.Errorf("%d: got %s, want %s", i, got[i], want[i])
				}
			}
		})
	}
}
