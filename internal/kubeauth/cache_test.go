package kubeauth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCache(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "eksaccess", "tokens")
	now := goldenTime
	c := &Cache{Dir: dir, Now: func() time.Time { return now }}
	id := IdentityKey("https://sts.us-west-2.amazonaws.com", "us-west-2", "arn:aws:iam::111122223333:role/dev", "alice")
	if _, ok := c.Get("c1", id); ok {
		t.Fatal("hit in an empty cache")
	}
	tok := Token{Token: goldenToken, Expiration: goldenTime.Add(TokenLifetime)}
	if err := c.Put("c1", id, tok); err != nil {
		t.Fatal(err)
	}
	files, _ := os.ReadDir(dir)
	if len(files) != 1 {
		t.Fatalf("%d files in the cache, want 1", len(files))
	}
	st, _ := os.Stat(filepath.Join(dir, files[0].Name()))
	if st.Mode().Perm() != 0o600 {
		t.Errorf("cache file mode %v, want 0600", st.Mode().Perm())
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Errorf("cache dir mode %v, want 0700", st.Mode().Perm())
	}
	if strings.Contains(files[0].Name(), "c1") {
		t.Errorf("file name %s leaks the cluster name", files[0].Name())
	}

	tests := []struct {
		name     string
		at       time.Time
		cluster  string
		identity string
		hit      bool
	}{
		{"fresh", goldenTime, "c1", id, true},
		{"12m59s later", goldenTime.Add(12*time.Minute + 59*time.Second), "c1", id, true},
		{"13m later: within the last minute", goldenTime.Add(13 * time.Minute), "c1", id, false},
		{"after expiry", goldenTime.Add(20 * time.Minute), "c1", id, false},
		{"other cluster", goldenTime, "c2", id, false},
		{"other identity", goldenTime, "c1", IdentityKey("x"), false},
	}
	for _, tt := range tests {
		now = tt.at
		got, ok := c.Get(tt.cluster, tt.identity)
		if ok != tt.hit || (ok && (got.Token != tok.Token || !got.Expiration.Equal(tok.Expiration))) {
			t.Errorf("%s: Get = %v, %v", tt.name, ok, got.Expiration)
		}
	}

	// A corrupt file is a miss, and Put replaces it.
	now = goldenTime
	os.WriteFile(c.path("c1", id), []byte("{garbage"), 0o600)
	if _, ok := c.Get("c1", id); ok {
		t.Error("hit on a corrupt file")
	}
	if err := c.Put("c1", id, tok); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Get("c1", id); !ok {
		t.Error("miss after rewriting")
	}
	if err := c.Clear("c1", id); err != nil {
		t.Fatal(err)
	}
	if err := c.Clear("c1", id); err != nil {
		t.Errorf("second clear: %v", err)
	}
	if _, ok := c.Get("c1", id); ok {
		t.Error("hit after Clear")
	}
}
