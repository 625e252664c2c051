package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"

	"eksaccess/internal/atomicfile"
	"eksaccess/internal/sandbox/kubereal"
	"eksaccess/internal/sandbox/state"
)

// lockFile is the lock state.Open takes in a state directory.
const lockFile = "lock"

// running reports whether a process holds dir's lock (a live server), by trying to take it.
// flock locks belong to the open file, so this also sees a server in this same process.
func running(dir string) (bool, error) {
	lk := flock.New(filepath.Join(dir, lockFile))
	ok, err := lk.TryLock()
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return false, nil
		}
		return false, fmt.Errorf("check whether a sandbox is running on %s: %w", dir, err)
	}
	if ok {
		lk.Unlock()
		return false, nil
	}
	return true, nil
}

// ReadRunInfo reads the running-info file of dir; ok is false when no server is running
// there (a file left by a crashed server is ignored).
func ReadRunInfo(dir string) (info RunInfo, ok bool, err error) {
	live, err := running(dir)
	if err != nil || !live {
		return RunInfo{}, false, err
	}
	b, err := os.ReadFile(filepath.Join(dir, RunInfoFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			// Locked but not yet (or no longer) announced: starting or stopping.
			return RunInfo{}, false, nil
		}
		return RunInfo{}, false, err
	}
	if err := json.Unmarshal(b, &info); err != nil {
		return RunInfo{}, false, fmt.Errorf("read %s: %w", filepath.Join(dir, RunInfoFile), err)
	}
	return info, true, nil
}

// EnvForDir returns the export lines for the sandbox in dir: the running server's endpoint
// if one is running, else http://DefaultAddr (where `sandbox serve` will listen), and the
// demo admin's keys from the saved state.
func EnvForDir(dir string) (lines string, isRunning bool, err error) {
	return EnvForAccount(dir, "")
}

// EnvForAccount is EnvForDir with the admin credentials of one account of the sandbox
// ("" = the primary account).
func EnvForAccount(dir, account string) (lines string, isRunning bool, err error) {
	root, err := state.Load(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", false, fmt.Errorf("no sandbox state in %s: run `eksaccess sandbox serve --state %s` first", dir, dir)
		}
		return "", false, err
	}
	d, err := accountOf(root, account)
	if err != nil {
		return "", false, err
	}
	id, secret, ok := AdminKey(d)
	if !ok {
		return "", false, fmt.Errorf("the sandbox in %s has no active access key for user admin: run `eksaccess sandbox reset --state %s`", dir, dir)
	}
	endpoint := "http://" + DefaultAddr
	info, isRunning, err := ReadRunInfo(dir)
	if err != nil {
		return "", false, err
	}
	if isRunning && info.Endpoint != "" {
		endpoint = info.Endpoint
	}
	return envLines(endpoint, id, secret), isRunning, nil
}

// Reset restores the demo seed in dir (fresh access keys), also over an unreadable state.
// It refuses while a server holds the directory: stop it first.
func Reset(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create sandbox state directory %s: %w", dir, err)
	}
	lk := flock.New(filepath.Join(dir, lockFile))
	ok, err := lk.TryLock()
	if err != nil {
		return fmt.Errorf("lock %s: %w", dir, err)
	}
	if !ok {
		msg := "a sandbox server is using %s: %w; stop it, then run `eksaccess sandbox reset` again"
		return fmt.Errorf(msg, dir, state.ErrLocked)
	}
	defer lk.Unlock()
	b, err := json.Marshal(Seed(time.Now()))
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dir, state.FileName), b, 0o600, true); err != nil {
		return fmt.Errorf("write the seed to %s: %w", dir, err)
	}
	// Left by a crashed server; nothing runs here now.
	os.Remove(filepath.Join(dir, RunInfoFile))
	// The real Kubernetes mode's etcd data, certificates and logs go with the old state.
	if err := os.RemoveAll(filepath.Join(dir, kubereal.DirName)); err != nil {
		return fmt.Errorf("remove the clusters' Kubernetes data in %s: %w", dir, err)
	}
	return nil
}
