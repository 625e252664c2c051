package reliability

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// binPath is the eksaccess binary built once for the tests that need a real process
// (SIGKILL, SIGINT, the sandbox server itself).
var binPath string

// The whole package runs as one fixed sandbox identity, installed into every sandbox it
// starts (see installKey): the AWS SDK reads credentials from the process environment, so a
// single process-wide pair is what lets the sandbox tests run in parallel.
const (
	testKeyID  = "AKIARELIABILITY00001"
	testSecret = "reLiabilityTestSecret0DoNotLeakXq9Zk2Vw7" // 40 characters, greppable
)

// baseEnv is the process environment every test (and every child) starts from: no way to
// reach real AWS or the developer's files.
var baseEnv = map[string]string{
	"AWS_ACCESS_KEY_ID":           testKeyID,
	"AWS_SECRET_ACCESS_KEY":       testSecret,
	"AWS_REGION":                  "us-west-2",
	"AWS_CONFIG_FILE":             os.DevNull,
	"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
	"AWS_EC2_METADATA_DISABLED":   "true",
}

// clearedEnv are variables that could point the SDK or eksaccess elsewhere.
var clearedEnv = []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EKS",
	"AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_SAGEMAKER", "AWS_DEFAULT_REGION", "KUBECONFIG",
	"EKSACCESS_SANDBOX", "EKSACCESS_JOURNAL", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"}

func TestMain(m *testing.M) {
	// The sandbox trials wait on throttling and latency, not on the CPU: unless -parallel was
	// given, run more of them at once than the default GOMAXPROCS (2 on CI machines).
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		flag.Set("test.parallel", "8")
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "eksaccess-reliability-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	binPath = filepath.Join(tmp, "eksaccess")
	build := exec.Command("go", "build", "-o", binPath, "eksaccess/cmd/eksaccess")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build eksaccess:", err)
		return 1
	}
	// The build above used the developer's Go caches; from here on nothing may reach them.
	for _, k := range clearedEnv {
		os.Unsetenv(k)
	}
	for k, v := range baseEnv {
		os.Setenv(k, v)
	}
	home := filepath.Join(tmp, "home")
	os.MkdirAll(home, 0o700)
	os.Setenv("HOME", home)
	return m.Run()
}
