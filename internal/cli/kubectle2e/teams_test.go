package kubectle2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mutatingAWS counts the mutating AWS calls in the sandbox's request log.
func (w *world) mutatingAWS() int {
	n := 0
	for _, r := range w.srv.Requests() {
		if r.Mutating {
			n++
		}
	}
	return n
}

// squeeze collapses runs of blanks, so table rows compare whatever the column widths.
func squeeze(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}

func has(out, want string) bool { return strings.Contains(squeeze(out), squeeze(want)) }

func (w *world) kubeWrites() []string { return w.srv.KubeManager().Writes(cluster) }

// TestTeams is issue 12's done-when against the real Kubernetes mode with the real kubectl:
// team add makes members able to work in the team's namespace and nowhere else, list nodes
// follows the variant's ClusterRole, a second run changes nothing (no mutating AWS call, no
// Kubernetes write), and team remove takes it all away, leaving other access alone.
func TestTeams(t *testing.T) {
	w := newRealWorld(t)
	tr := &transcript{w: w}
	for _, u := range []string{"dave", "erin"} {
		w.accessKey(u)
	}
	daveArn := "arn:aws:iam::" + account + ":user/dave"
	erinArn := "arn:aws:iam::" + account + ":user/erin"
	w.eksaccess("admin", "kubeconfig", "-c", cluster)

	// Task governance made nlp's namespace (and put its queue config in it) before eksaccess.
	tr.kubectl("admin", "", "namespace/hyperpod-ns-nlp created\n", "", 0, "create", "namespace", "hyperpod-ns-nlp")
	tr.kubectl("admin", "", "configmap/queue created\n", "", 0, "-n", "hyperpod-ns-nlp", "create", "configmap", "queue", "--from-literal=name=hyperpod-ns-nlp-localqueue")

	// nlp with the hyperpod-cli chart's roles: erin only.
	out := w.eksaccess("admin", "team", "add", "-c", cluster, "nlp", "erin", "--rbac", "hyperpod-cli")
	for _, want := range []string{
		"Namespace/hyperpod-ns-nlp                                           unchanged",
		"ClusterRole/hyperpod-ns-nlp-cluster-role                            create",
		"RoleBinding/hyperpod-ns-nlp/hyperpod-ns-nlp-namespace-role-binding  create",
		"4 Kubernetes writes, 1 access entry changes",
	} {
		if !has(out, want) {
			t.Errorf("team add nlp output lacks %q:\n%s", want, out)
		}
	}
	w.eksaccess("erin", "kubeconfig", "-c", cluster)
	tr.kubectl("erin", "", "yes\n", "", 0, "auth", "can-i", "create", "pods", "-n", "hyperpod-ns-nlp")
	tr.kubectl("erin", "", "yes\n", "", 0, "auth", "can-i", "create", "jobs.batch", "-n", "hyperpod-ns-nlp")
	tr.kubectl("erin", "", "no\n", "", 1, "auth", "can-i", "create", "pods", "-n", "default")
	tr.kubectl("erin", "", "no\n", "", 1, "auth", "can-i", "list", "nodes")       // the chart's nodes rule sits in a namespaced Role
	tr.kubectl("erin", "", "yes\n", "", 0, "auth", "can-i", "list", "namespaces") // the chart's ClusterRole
	tr.kubectl("erin", "", "no\n", "", 1, "auth", "can-i", "delete", "namespaces")

	// vision with the SageMaker guide's roles, from a users file: dave and erin.
	usersFile := filepath.Join(w.home, "vision.txt")
	if err := os.WriteFile(usersFile, []byte("# team vision\ndave\nerin\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out = w.eksaccess("admin", "team", "add", "-c", cluster, "vision", "--users-file", usersFile)
	for _, want := range []string{
		"team vision (namespace hyperpod-ns-vision, rbac sagemaker-guide, groups hyperpod-scientist-user-namespace-level-hyperpod-ns-vision,hyperpod-scientist-user-cluster-level)",
		"Namespace/hyperpod-ns-vision", "ClusterRole/hyperpod-scientist-user-cluster-role",
		"5 Kubernetes writes, 2 access entry changes",
	} {
		if !has(out, want) {
			t.Errorf("team add vision output lacks %q:\n%s", want, out)
		}
	}
	w.eksaccess("dave", "kubeconfig", "-c", cluster)
	for _, u := range []string{"dave", "erin"} {
		// The API server caches a token's authentication (groups included) for 10 s.
		tr.kubectlEventually(u, "", "yes\n", "", 0, "auth", "can-i", "create", "pods", "-n", "hyperpod-ns-vision")
		tr.kubectl(u, "", "yes\n", "", 0, "auth", "can-i", "create", "pods/exec", "-n", "hyperpod-ns-vision")
		tr.kubectl(u, "", "no\n", "", 1, "auth", "can-i", "create", "pods", "-n", "default")
		tr.kubectl(u, "", "no\n", "", 1, "auth", "can-i", "delete", "pods", "-n", "hyperpod-ns-vision")
		tr.kubectl(u, "", "yes\n", "", 0, "auth", "can-i", "list", "nodes") // the guide's ClusterRole
	}
	tr.kubectl("dave", "", "no\n", "", 1, "auth", "can-i", "create", "pods", "-n", "hyperpod-ns-nlp")
	tr.kubectl("admin", "", "hyperpod-ns-vision\n", "", 0, "get", "namespace", "hyperpod-ns-vision", "-o", "jsonpath={.metadata.name}{\"\\n\"}")
	tr.kubectl("admin", "", "eksaccess vision\n", "", 0, "-n", "hyperpod-ns-vision", "get", "role", "hyperpod-scientist-user-namespace-level-role",
		"-o", `jsonpath={.metadata.labels.app\.kubernetes\.io/managed-by} {.metadata.labels.eksaccess\.io/team}{"\n"}`)
	tr.kubectl("admin", "", "eksaccess\n", "", 0, "-n", "hyperpod-ns-vision", "get", "rolebinding", "hyperpod-scientist-user-namespace-level-role-binding",
		"-o", `jsonpath={.metadata.managedFields[*].manager}{"\n"}`)

	// Again: nothing changes, and it says so.
	awsBefore, kubeBefore := w.mutatingAWS(), len(w.kubeWrites())
	out = w.eksaccess("admin", "team", "add", "-c", cluster, "vision", "--users-file", usersFile)
	out2 := w.eksaccess("admin", "team", "add", "-c", cluster, "nlp", "erin", "--rbac", "hyperpod-cli")
	if got := w.mutatingAWS() - awsBefore; got != 0 {
		t.Errorf("second team add made %d mutating AWS calls", got)
	}
	if got := w.kubeWrites()[kubeBefore:]; len(got) != 0 {
		t.Errorf("second team add made Kubernetes writes: %v", got)
	}
	for _, o := range []string{out, out2} {
		if !strings.Contains(o, "no changes: team") || !strings.Contains(o, "0 Kubernetes writes, 0 access entry changes") {
			t.Errorf("second team add does not say it changed nothing:\n%s", o)
		}
	}

	// list and show, then drift made by hand.
	out = w.eksaccess("admin", "team", "list", "-c", cluster)
	for _, want := range []string{"nlp     hyperpod-ns-nlp     hyperpod-cli     1        none", "vision  hyperpod-ns-vision  sagemaker-guide  2        none"} {
		if !has(out, want) {
			t.Errorf("team list lacks %q:\n%s", want, out)
		}
	}
	tr.kubectl("admin", "", "rolebinding.rbac.authorization.k8s.io \"hyperpod-ns-nlp-namespace-role-binding\" deleted\n", "", 0, "-n", "hyperpod-ns-nlp", "delete", "rolebinding", "hyperpod-ns-nlp-namespace-role-binding")
	out = w.eksaccess("admin", "team", "show", "-c", cluster, "nlp")
	if !strings.Contains(out, "RoleBinding/hyperpod-ns-nlp/hyperpod-ns-nlp-namespace-role-binding was deleted") || !strings.Contains(out, erinArn) {
		t.Errorf("team show nlp does not report the deleted binding:\n%s", out)
	}
	tr.kubectl("erin", "", "no\n", "", 1, "auth", "can-i", "create", "pods", "-n", "hyperpod-ns-nlp")
	out = w.eksaccess("admin", "team", "add", "-c", cluster, "nlp", "erin", "--rbac", "hyperpod-cli")
	if !strings.Contains(out, "1 Kubernetes writes, 0 access entry changes") {
		t.Errorf("team add nlp after drift:\n%s", out)
	}
	tr.kubectl("erin", "", "yes\n", "", 0, "auth", "can-i", "create", "pods", "-n", "hyperpod-ns-nlp")

	// Remove vision: dave's entry (nothing else left) goes, erin keeps nlp, the namespace
	// eksaccess created goes, the other variant's objects stay.
	w.eksaccess("admin", "team", "remove", "-c", cluster, "vision", "--dry-run")
	tr.kubectl("dave", "", "yes\n", "", 0, "auth", "can-i", "create", "pods", "-n", "hyperpod-ns-vision")
	out = w.eksaccess("admin", "team", "remove", "-c", cluster, "vision")
	for _, want := range []string{"Namespace/hyperpod-ns-vision", "delete", "1 updated, 1 deleted"} {
		if !has(out, want) {
			t.Errorf("team remove vision lacks %q:\n%s", want, out)
		}
	}
	tr.kubectlEventually("dave", "", "", "error: You must be logged in to the server (Unauthorized)", 1, "auth", "can-i", "create", "pods", "-n", "hyperpod-ns-vision")
	tr.kubectlEventually("erin", "", "no\n", "", 1, "auth", "can-i", "create", "pods", "-n", "hyperpod-ns-vision")
	tr.kubectl("erin", "", "no\n", "", 1, "auth", "can-i", "list", "nodes")
	tr.kubectl("erin", "", "yes\n", "", 0, "auth", "can-i", "create", "pods", "-n", "hyperpod-ns-nlp")
	tr.kubectl("admin", "", "", `clusterroles.rbac.authorization.k8s.io "hyperpod-scientist-user-cluster-role" not found`, 1, "get", "clusterrole", "hyperpod-scientist-user-cluster-role")
	// The sandbox runs no namespace controller: a deleted namespace stays Terminating.
	if out, errOut, code := w.kubectl("admin", "", "get", "namespace", "hyperpod-ns-vision", "-o", "jsonpath={.status.phase}"); !(code == 0 && out == "Terminating") && !strings.Contains(errOut, "not found") {
		t.Errorf("namespace hyperpod-ns-vision after team remove: exit %d %q %s", code, out, errOut)
	}
	tr.kubectl("admin", "", "yes\n", "", 0, "auth", "can-i", "create", "pods", "-n", "hyperpod-ns-vision")
	if _, errOut, code := w.run("admin", nil, binary, "--endpoint-url", w.srv.Endpoint(), "entries", "show", "-c", cluster, daveArn); code != 1 || !strings.Contains(errOut, "has no access entry") {
		t.Errorf("dave's entry should be gone: exit %d %s", code, errOut)
	}

	// Remove nlp: the namespace task governance made stays, with what it holds.
	out = w.eksaccess("admin", "team", "remove", "-c", cluster, "nlp")
	if !strings.Contains(out, "Namespace/hyperpod-ns-nlp") || !strings.Contains(out, "keep") || !strings.Contains(out, "not created by eksaccess") {
		t.Errorf("team remove nlp should keep the namespace:\n%s", out)
	}
	tr.kubectl("admin", "", "configmap/queue\n", "", 0, "-n", "hyperpod-ns-nlp", "get", "configmap", "queue", "-o", "name")
	tr.kubectlEventually("erin", "", "", "error: You must be logged in to the server (Unauthorized)", 1, "auth", "can-i", "create", "pods", "-n", "hyperpod-ns-nlp")
	out = w.eksaccess("admin", "team", "list", "-c", cluster)
	if strings.Contains(out, "nlp") || strings.Contains(out, "vision") {
		t.Errorf("team list after remove:\n%s", out)
	}
}
