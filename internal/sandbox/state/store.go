package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/gofrs/flock"

	"eksaccess/internal/atomicfile"
)

// FileName is the state file inside a state directory.
const FileName = "state.json"

// ErrLocked is returned by Open when another process holds the directory.
var ErrLocked = errors.New("sandbox state directory is in use by another process")

// Store is the sandbox's data with exclusive, durable, atomic persistence.
type Store struct {
	dir  string
	lock *flock.Flock

	mu   sync.RWMutex
	data *Data
	gen  uint64 // bumped by every successful Update

	flushMu    sync.Mutex
	flushedGen uint64
	closed     bool // set by Close under mu: later Updates fail instead of writing unlocked
	// Sync makes each write fsync before rename (off in tests for speed is not
	// allowed: durability against process kill only needs rename, but power loss needs fsync).
	sync bool
}

// Open locks dir (creating it 0700), loads state.json, or calls seed when there is none.
// With wait, it blocks until another holder releases the lock; without, it returns ErrLocked.
func Open(dir string, seed func() *Data, wait bool) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create sandbox state directory %s: %w", dir, err)
	}
	lk := flock.New(filepath.Join(dir, "lock"))
	if wait {
		if err := lk.Lock(); err != nil {
			return nil, fmt.Errorf("lock %s: %w", dir, err)
		}
	} else {
		ok, err := lk.TryLock()
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", dir, err)
		}
		if !ok {
			return nil, fmt.Errorf("%s: %w", dir, ErrLocked)
		}
	}
	s := &Store{dir: dir, lock: lk, sync: true}
	d, err := Load(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		d = seed()
		s.data = d
		if err := s.writeFile(d); err != nil {
			lk.Unlock()
			return nil, err
		}
	case err != nil:
		lk.Unlock()
		return nil, err
	default:
		s.data = d
	}
	return s, nil
}

// Load reads a state directory without locking it (for `sandbox env` on a running sandbox).
func Load(dir string) (*Data, error) {
	b, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		return nil, err
	}
	var d Data
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("sandbox state %s is unreadable (%v): run `eksaccess sandbox reset --state %s`", filepath.Join(dir, FileName), err, dir)
	}
	return &d, nil
}

// Dir is the state directory.
func (s *Store) Dir() string { return s.dir }

// Read runs fn with the data under a read lock; fn must not keep references or change anything.
func (s *Store) Read(fn func(d *Data) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return fn(s.data)
}

// Update runs fn with the data under the write lock. fn must validate before it changes
// anything: when fn returns an error, nothing is persisted, so a half-made change would
// stay in memory. When fn succeeds, Update returns only after the change is on disk.
func (s *Store) Update(fn func(d *Data) error) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if err := fn(s.data); err != nil {
		s.mu.Unlock()
		return err
	}
	s.gen++
	g := s.gen
	s.mu.Unlock()
	return s.flush(g)
}

// Replace swaps in new data (used by reset) and persists it.
func (s *Store) Replace(d *Data) error {
	return s.Update(func(cur *Data) error {
		*cur = *d
		return nil
	})
}

// flush writes the state if generation g is not yet on disk; concurrent callers share one write.
func (s *Store) flush(g uint64) error {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	if s.flushedGen >= g {
		return nil
	}
	s.mu.RLock()
	b, err := json.Marshal(s.data)
	cur := s.gen
	s.mu.RUnlock()
	if err != nil {
		return err
	}
	if err := s.writeBytes(b); err != nil {
		return err
	}
	s.flushedGen = cur
	return nil
}

func (s *Store) writeFile(d *Data) error {
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return s.writeBytes(b)
}

func (s *Store) writeBytes(b []byte) error {
	return atomicfile.Write(filepath.Join(s.dir, FileName), b, 0o600, s.sync)
}

// ErrClosed is returned by Update after Close.
var ErrClosed = errors.New("sandbox state is closed")

// Close waits for changes in progress to reach the disk, refuses later ones, and releases
// the directory lock, so no write ever lands after another process took the directory.
func (s *Store) Close() error {
	s.mu.Lock()
	s.closed = true
	g := s.gen
	s.mu.Unlock()
	err := s.flush(g)
	if uerr := s.lock.Unlock(); err == nil {
		err = uerr
	}
	return err
}
