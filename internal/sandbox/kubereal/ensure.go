package kubereal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/gofrs/flock"
)

// EnsureBuilt finds the components and, when they are missing, builds them with the
// repository's own tools/kube/build.sh (found above the working directory), holding a lock
// on the components directory so that test packages running at once share one build. It is
// what lets `go test ./...` run the real-mode tests on a fresh machine: the first run pays
// for the build (minutes), later runs find the binaries. Progress goes to log.
func EnsureBuilt(log io.Writer) (Binaries, error) {
	if b, err := Find(); err == nil || !errors.Is(err, ErrNotBuilt) {
		return b, err
	}
	dir := ComponentsDir()
	if os.Getenv(DirEnv) != "" {
		return Binaries{}, fmt.Errorf("%s is set to %s and holds no components: build them there, or unset it", DirEnv, dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Binaries{}, fmt.Errorf("create %s for the Kubernetes components: %w", dir, err)
	}
	lock := flock.New(filepath.Join(dir, ".build.lock"))
	if err := lock.Lock(); err != nil {
		return Binaries{}, fmt.Errorf("lock %s: %w", dir, err)
	}
	defer lock.Unlock()
	if b, err := Find(); err == nil { // another package built them while we waited
		return b, nil
	}
	script, err := buildScript()
	if err != nil {
		return Binaries{}, err
	}
	fmt.Fprintf(log, "kubereal: the real Kubernetes components are not built; running %s (minutes, once per machine)\n", script)
	cmd := exec.Command("bash", script)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return Binaries{}, fmt.Errorf("%s failed: %w; run it by hand to see why", script, err)
	}
	return Find()
}

// buildScript finds tools/kube/build.sh in the working directory or above it.
func buildScript() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		p := filepath.Join(d, "tools", "kube", "build.sh")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("%w, and tools/kube/build.sh is not above %s: run `%s` in the eksaccess repository", ErrNotBuilt, wd, BuildCommand)
		}
	}
}
