package sandbox

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// awsCLI runs the real aws CLI (v1) against s as the demo admin, isolated from the user's
// AWS configuration.
func awsCLI(t *testing.T, s *Server, args ...string) (string, string, error) {
	t.Helper()
	bin, err := exec.LookPath("aws")
	if err != nil {
		t.Fatalf("the aws CLI is not installed (it is part of the test environment): %v", err)
	}
	id, secret, err := s.AdminCredentials()
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "HOME=") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "HOME="+home, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	for _, line := range strings.Split(strings.TrimSpace(envLines(s.Endpoint(), id, secret)), "\n") {
		env = append(env, strings.TrimPrefix(line, "export "))
	}
	cmd := exec.Command(bin, append(args, "--output", "json")...)
	cmd.Env = env
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	return stdout.String(), stderr.String(), err
}

func TestAWSCLI(t *testing.T) {
	s := start(t, Options{})
	// Each aws CLI v1 process takes seconds to start: run them side by side.
	t.Run("group", func(t *testing.T) {
		t.Run("describe-cluster", func(t *testing.T) {
			t.Parallel()
			out, stderr, err := awsCLI(t, s, "sagemaker", "describe-cluster", "--cluster-name", DemoHyperPod)
			if err != nil {
				t.Fatalf("aws sagemaker describe-cluster: %v\n%s", err, stderr)
			}
			var dc struct {
				ClusterArn    string
				ClusterName   string
				ClusterStatus string
				CreationTime  float64
				Orchestrator  struct{ Eks struct{ ClusterArn string } }
			}
			if err := json.Unmarshal([]byte(out), &dc); err != nil {
				t.Fatalf("describe-cluster output %q: %v", out, err)
			}
			if dc.ClusterArn != hpArn || dc.ClusterName != DemoHyperPod || dc.ClusterStatus != "InService" ||
				dc.Orchestrator.Eks.ClusterArn != eksArn || dc.CreationTime != 1768473000 {
				t.Errorf("describe-cluster = %+v", dc)
			}
		})
		t.Run("list-clusters", func(t *testing.T) {
			t.Parallel()
			out, stderr, err := awsCLI(t, s, "sagemaker", "list-clusters")
			if err != nil || !strings.Contains(out, `"ClusterName": "ml-team-hp"`) {
				t.Fatalf("aws sagemaker list-clusters: %v\n%s%s", err, out, stderr)
			}
		})
		t.Run("describe-cluster-missing", func(t *testing.T) {
			t.Parallel()
			_, stderr, err := awsCLI(t, s, "sagemaker", "describe-cluster", "--cluster-name", "nope")
			if err == nil || !strings.Contains(stderr, "An error occurred (ResourceNotFound) when calling the DescribeCluster operation: Cluster nope not found") {
				t.Errorf("describe-cluster nope: %v %q", err, stderr)
			}
		})
		t.Run("get-caller-identity", func(t *testing.T) {
			t.Parallel()
			out, stderr, err := awsCLI(t, s, "sts", "get-caller-identity")
			if err != nil {
				t.Fatalf("aws sts get-caller-identity: %v\n%s", err, stderr)
			}
			var id struct{ Account, Arn, UserId string }
			if err := json.Unmarshal([]byte(out), &id); err != nil {
				t.Fatalf("get-caller-identity output %q: %v", out, err)
			}
			if id.Account != DemoAccount || id.Arn != "arn:aws:iam::111122223333:user/admin" || id.UserId != iamID("AIDA", "admin") {
				t.Errorf("get-caller-identity = %+v", id)
			}
		})
	})
	if recs := s.Requests(); len(recs) != 4 {
		t.Errorf("%d requests logged for 4 CLI calls: %+v", len(recs), recs)
	}
}
