// Package atomicfile writes a file through a temporary file and a rename, so readers and
// crashes see either the old or the new content, never a torn file. The sandbox's state and
// certificates and the token cache and kubeconfig all write this way.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write writes b to path with mode via a temporary file in the same directory. With fsync
// the data and then the directory are synced, so the new content survives a crash.
func Write(path string, b []byte, mode os.FileMode, fsync bool) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if fsync {
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if fsync {
		if d, err := os.Open(dir); err == nil {
			d.Sync()
			d.Close()
		}
	}
	return nil
}
