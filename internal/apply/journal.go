package apply

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Record is one line of the journal. It never holds a secret: only names, ARNs, actions,
// results and error messages from AWS (which carry no credentials).
type Record struct {
	Time      time.Time `json:"time"`
	Run       string    `json:"run"`
	Caller    string    `json:"caller,omitempty"`
	Command   string    `json:"command,omitempty"`
	Cluster   string    `json:"cluster,omitempty"`
	Principal string    `json:"principal,omitempty"`
	Action    string    `json:"action"`
	Policy    string    `json:"policy,omitempty"`
	Scope     string    `json:"scope,omitempty"`
	Result    string    `json:"result"` // ok | already | failed | started | finished | interrupted
	Error     string    `json:"error,omitempty"`
}

// Journal appends records to a JSON-lines file, one write per record (O_APPEND), so
// concurrent runs interleave whole lines and a killed run leaves every finished line intact.
type Journal struct {
	mu      sync.Mutex
	f       *os.File
	run     string
	caller  string
	command string
	now     func() time.Time
}

// JournalError is a journal that cannot be opened: a problem with the environment
// (EKSACCESS_JOURNAL, the state directory), found before any change, so it exits 2 like other
// bad input (the cli maps errors with an ExitCode method) rather than 1 (reliability corpus
// env-journal-*).
type JournalError struct{ Err error }

func (e *JournalError) Error() string { return e.Err.Error() }
func (e *JournalError) Unwrap() error { return e.Err }

// ExitCode is 2: bad input, nothing was changed.
func (e *JournalError) ExitCode() int { return 2 }

// OpenJournal opens (creating 0600, parent 0700) the journal at path.
func OpenJournal(path, run, caller, command string) (*Journal, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, &JournalError{fmt.Errorf("create the journal's directory for %s: %w: set EKSACCESS_JOURNAL to a writable file path", path, err)}
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, &JournalError{fmt.Errorf("open the journal %s: %w: set EKSACCESS_JOURNAL to a writable file path", path, err)}
	}
	return &Journal{f: f, run: run, caller: caller, command: command, now: time.Now}, nil
}

// Write appends r, filling time, run and caller.
func (j *Journal) Write(r Record) {
	if j == nil {
		return
	}
	r.Time = j.now().UTC()
	r.Run = j.run
	if r.Caller == "" {
		r.Caller = j.caller
	}
	if r.Command == "" && (r.Result == "started" || r.Result == "finished" || r.Result == "interrupted") {
		r.Command = j.command
	}
	b, err := json.Marshal(r)
	if err != nil {
		return
	}
	b = append(b, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	j.f.Write(b)
}

// Close closes the file.
func (j *Journal) Close() error {
	if j == nil {
		return nil
	}
	return j.f.Close()
}

// ReadJournal reads every record of a journal file (for tests and `eksaccess journal`).
func ReadJournal(path string) ([]Record, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []Record
	start := 0
	for i, c := range b {
		if c != '\n' {
			continue
		}
		var r Record
		if json.Unmarshal(b[start:i], &r) == nil {
			out = append(out, r)
		}
		start = i + 1
	}
	return out, nil
}
