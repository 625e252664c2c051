package kubectle2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"eksaccess/internal/accessfile"
)

// TestFileTeams is the access file's teams: against the real Kubernetes mode with the real
// kubectl. The file starts as an export of the shared cluster (so that prune touches nothing
// another test made); a team is added with a users file; apply makes its member able to work
// in the team's namespace and nowhere else; a second apply changes nothing; export → plan
// shows no changes; and with the team taken out of the file, apply --prune takes the team's
// access away and leaves the other access alone.
func TestFileTeams(t *testing.T) {
	w := newRealWorld(t)
	tr := &transcript{w: w}
	ctx := context.Background()
	for _, u := range []string{"ivy", "jack"} {
		api := iam.NewFromConfig(w.admin)
		if _, err := api.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(u)}); err != nil {
			t.Fatal(err)
		}
		// What a data scientist needs of AWS to reach the cluster (kubeconfig, token).
		if _, err := api.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(u), PolicyName: aws.String("ReachCluster"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["eks:DescribeCluster","eks:ListClusters"],"Resource":"*"}]}`)}); err != nil {
			t.Fatal(err)
		}
		w.accessKey(u)
	}
	ivyArn := "arn:aws:iam::" + account + ":user/ivy"
	jackArn := "arn:aws:iam::" + account + ":user/jack"
	w.eksaccess("admin", "kubeconfig", "-c", cluster)
	dir := t.TempDir()
	base := filepath.Join(dir, "base.yaml")
	w.eksaccess("admin", "export", "-c", cluster, "--output-file", base)
	cfg, err := accessfile.Load(base, accessfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Clusters) != 1 || len(cfg.Clusters[0].Teams) != 0 {
		t.Fatalf("the shared cluster should have no teams before this test: %+v", cfg.Clusters)
	}
	// jack: access of his own (view, cluster-wide); ivy: the team, from a users file.
	cfg.Clusters[0].Access = append(cfg.Clusters[0].Access, accessfile.AccessItem{Principal: "jack", Policies: []accessfile.PolicyRef{{Policy: "AmazonEKSViewPolicy"}}})
	without := write(t, filepath.Join(dir, "without.yaml"), cfg)
	if err := os.WriteFile(filepath.Join(dir, "fteam.txt"), []byte("# team fteam\nivy\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.Clusters[0].Teams = []accessfile.Team{{Name: "fteam", Members: []accessfile.TeamMember{{UsersFile: "fteam.txt"}}}}
	with := write(t, filepath.Join(dir, "access.yaml"), cfg)

	out := w.eksaccess("admin", "plan", "-f", with)
	for _, want := range []string{"+ team fteam (sagemaker-guide, hyperpod-ns-fteam): namespace, Role, RoleBinding",
		"+ create " + ivyArn + " (type=STANDARD groups=[hyperpod-scientist-user-cluster-level,hyperpod-scientist-user-namespace-level-hyperpod-ns-fteam])",
		"+ create " + jackArn} {
		if !has(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	awsBefore, kubeBefore := w.mutatingAWS(), len(w.kubeWrites())
	out = w.eksaccess("admin", "apply", "-f", with, "--dry-run")
	if !strings.Contains(out, "dry run: nothing was changed") || w.mutatingAWS() != awsBefore || len(w.kubeWrites()) != kubeBefore {
		t.Errorf("apply --dry-run changed something (%d AWS, %d Kubernetes writes):\n%s", w.mutatingAWS()-awsBefore, len(w.kubeWrites())-kubeBefore, out)
	}
	out = w.eksaccess("admin", "apply", "-f", with, "--yes")
	if !strings.Contains(out, "re-plan: no changes remain") {
		t.Errorf("apply:\n%s", out)
	}
	w.eksaccess("ivy", "kubeconfig", "-c", cluster)
	w.eksaccess("jack", "kubeconfig", "-c", cluster)
	tr.kubectlEventually("ivy", "", "yes\n", "", 0, "auth", "can-i", "create", "pods", "-n", "hyperpod-ns-fteam")
	tr.kubectl("ivy", "", "no\n", "", 1, "auth", "can-i", "create", "pods", "-n", "default")
	tr.kubectl("ivy", "", "yes\n", "", 0, "auth", "can-i", "list", "nodes") // the guide's ClusterRole
	tr.kubectl("jack", "", "yes\n", "", 0, "auth", "can-i", "list", "pods", "-n", "default")
	tr.kubectl("jack", "", "no\n", "", 1, "auth", "can-i", "create", "pods", "-n", "hyperpod-ns-fteam")
	tr.kubectl("admin", "", "eksaccess fteam\n", "", 0, "-n", "hyperpod-ns-fteam", "get", "rolebinding", "hyperpod-scientist-user-namespace-level-role-binding",
		"-o", `jsonpath={.metadata.managedFields[*].manager} {.metadata.labels.eksaccess\.io/team}{"\n"}`)

	// Again: no mutating AWS call, no Kubernetes write.
	awsBefore, kubeBefore = w.mutatingAWS(), len(w.kubeWrites())
	out = w.eksaccess("admin", "apply", "-f", with, "--yes")
	if got := w.mutatingAWS() - awsBefore; got != 0 {
		t.Errorf("second apply made %d mutating AWS calls", got)
	}
	if got := w.kubeWrites()[kubeBefore:]; len(got) != 0 {
		t.Errorf("second apply made Kubernetes writes: %v", got)
	}
	if !strings.Contains(out, "No changes: 1 cluster(s) match the file.") || !strings.Contains(out, "1 team(s) up to date") {
		t.Errorf("second apply:\n%s", out)
	}

	// Export → plan: no changes; the export names the team and its member.
	exported := filepath.Join(dir, "exported.yaml")
	w.eksaccess("admin", "export", "-c", cluster, "--output-file", exported)
	b, err := os.ReadFile(exported)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "    teams:\n      - name: fteam\n        rbac: sagemaker-guide\n        members:\n          - principal: "+ivyArn+"\n") {
		t.Errorf("export lacks the team:\n%s", b)
	}
	if _, errOut, code := w.run("admin", nil, binary, "--endpoint-url", w.srv.Endpoint(), "plan", "-f", exported, "--detailed-exitcode"); code != 0 {
		t.Errorf("plan of the export: exit %d\n%s", code, errOut)
	}

	// The team out of the file, with --prune: its access goes, jack's stays.
	out = w.eksaccess("admin", "apply", "-f", without, "--prune", "--yes")
	for _, want := range []string{"- team fteam (sagemaker-guide, hyperpod-ns-fteam): RoleBinding, Role", "- delete " + ivyArn, "re-plan: no changes remain"} {
		if !has(out, want) {
			t.Errorf("prune apply lacks %q:\n%s", want, out)
		}
	}
	tr.kubectlEventually("ivy", "", "", "error: You must be logged in to the server (Unauthorized)", 1, "auth", "can-i", "create", "pods", "-n", "hyperpod-ns-fteam")
	tr.kubectl("jack", "", "yes\n", "", 0, "auth", "can-i", "list", "pods", "-n", "default")
	tr.kubectl("admin", "", "", `rolebindings.rbac.authorization.k8s.io "hyperpod-scientist-user-namespace-level-role-binding" not found`, 1,
		"-n", "hyperpod-ns-fteam", "get", "rolebinding", "hyperpod-scientist-user-namespace-level-role-binding")
	out = w.eksaccess("admin", "team", "list", "-c", cluster)
	if strings.Contains(out, "fteam") {
		t.Errorf("team list after prune:\n%s", out)
	}
	// Leave the shared cluster as this test found it.
	w.eksaccess("admin", "apply", "-f", base, "--prune", "--yes")
}

// write marshals cfg to path (beside its users files) and returns the path.
func write(t *testing.T, path string, cfg *accessfile.Config) string {
	t.Helper()
	b, err := accessfile.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
