// Package dirs says where eksaccess keeps its files, following the XDG base directories:
// state (the embedded sandbox, the journal) and cache (tokens, the Kubernetes components).
// Each takes the environment as a function, so tests and commands pass their own.
package dirs

import (
	"os"
	"path/filepath"
)

// State is $XDG_STATE_HOME/eksaccess, or ~/.local/state/eksaccess.
func State(getenv func(string) string) string {
	if d := getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "eksaccess")
	}
	if home := home(getenv); home != "" {
		return filepath.Join(home, ".local", "state", "eksaccess")
	}
	return filepath.Join(os.TempDir(), "eksaccess")
}

// Cache is $XDG_CACHE_HOME/eksaccess, or ~/.cache/eksaccess.
func Cache(getenv func(string) string) string {
	if d := getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "eksaccess")
	}
	if home := home(getenv); home != "" {
		return filepath.Join(home, ".cache", "eksaccess")
	}
	return filepath.Join(os.TempDir(), "eksaccess-cache")
}

// Sandbox is the embedded sandbox's state: $EKSACCESS_SANDBOX, or State/sandbox.
func Sandbox(getenv func(string) string) string {
	if d := getenv("EKSACCESS_SANDBOX"); d != "" {
		return d
	}
	return filepath.Join(State(getenv), "sandbox")
}

// Journal is where every change is recorded: $EKSACCESS_JOURNAL, or State/journal.jsonl.
func Journal(getenv func(string) string) string {
	if p := getenv("EKSACCESS_JOURNAL"); p != "" {
		return p
	}
	return filepath.Join(State(getenv), "journal.jsonl")
}

func home(getenv func(string) string) string {
	if h := getenv("HOME"); h != "" {
		return h
	}
	h, _ := os.UserHomeDir()
	return h
}
