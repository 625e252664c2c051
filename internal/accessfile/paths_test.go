package accessfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUsersFileOutsideIsRefusedUnlessAllowed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, d := range []string{"repo", "home/.aws"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(rel, content string) string {
		p := filepath.Join(dir, rel)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("home/users.txt", "alice\nbob\n")
	write("repo/inside.txt", "carol\n")
	if err := os.Symlink("../home/users.txt", filepath.Join(dir, "repo", "link.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("inside.txt", filepath.Join(dir, "repo", "inner-link.txt")); err != nil {
		t.Fatal(err)
	}
	file := func(usersFile string) string {
		return write("repo/access.yaml", "apiVersion: eksaccess/v1\nkind: AccessConfig\nclusters:\n  - name: ml-prod\n    region: us-west-2\n    access:\n      - usersFile: "+usersFile+"\n        policies: [{policy: AmazonEKSViewPolicy}]\n")
	}
	for _, tc := range []struct {
		usersFile string
		refused   string // "" loads
	}{
		{"inside.txt", ""},
		{"./inside.txt", ""},
		{"inner-link.txt", ""}, // a link that stays inside is fine
		{"../home/users.txt", "access.yaml:7:20: usersFile " + filepath.Join(dir, "repo", "../home/users.txt")},
		{filepath.Join(dir, "home", "users.txt"), "access.yaml:7:20: usersFile " + filepath.Join(dir, "home", "users.txt") + " is outside"},
		{"link.txt", "(through a symbolic link, to ../home/users.txt from there)"},
		{"../repo/../home/users.txt", "is outside the access file's directory"},
	} {
		path := file(tc.usersFile)
		_, err := Load(path, Options{})
		switch {
		case tc.refused == "" && err != nil:
			t.Errorf("usersFile %s: %v", tc.usersFile, err)
		case tc.refused != "":
			var fe *Error
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.refused) || !strings.Contains(err.Error(), "--allow-outside-paths") {
				t.Errorf("usersFile %s: err = %v, want a problem containing %q", tc.usersFile, err, tc.refused)
			}
			cfg, err := Load(path, Options{AllowOutsidePaths: true})
			if err != nil {
				t.Errorf("usersFile %s with AllowOutsidePaths: %v", tc.usersFile, err)
			} else if n := len(cfg.Clusters[0].Access[0].Users); n != 2 {
				t.Errorf("usersFile %s with AllowOutsidePaths: %d users, want 2", tc.usersFile, n)
			}
		}
	}
}

// A users file that is really a credentials file: every bad line is reported by FILE:LINE
// and the first bad character, and no secret reaches the message.
func TestCredentialsFileAsUsersFileLeaksNothing(t *testing.T) {
	t.Parallel()
	_, err := Load("testdata/bad/users-file-credentials.yaml", Options{})
	if err == nil {
		t.Fatal("a credentials file loaded as a users file")
	}
	for _, secret := range []string{"wJalrXUtnFEMI", "AKIAIOSFODNN7EXAMPLE", "EXAMPLEKEY"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error repeats %q:\n%v", secret, err)
		}
	}
	for _, want := range []string{"users-credentials.txt:2:1:", "users-credentials.txt:3:1:", "contains a space"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestByteOrderMarkIsAccepted(t *testing.T) {
	t.Parallel()
	cfg, err := Load("testdata/good/bom.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	us := cfg.Clusters[0].Access[0].Users
	if cfg.APIVersion != APIVersion || len(us) != 2 || us[0].Principal != "alice" || us[1].Principal != "bob" {
		t.Errorf("loaded %+v, users %+v", cfg, us)
	}
}
