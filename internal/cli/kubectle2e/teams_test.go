package kubectle2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"

	"eksaccess/internal/rbac"
	"eksaccess/internal/usecase"
)

// eksaccessOut runs eksaccess as user and returns its stdout alone (it must succeed or exit
// 1 with an answer, as can-i does for no).
func (w *world) eksaccessOut(user string, args ...string) string {
	w.t.Helper()
	out, errOut, code := w.run(user, nil, binary, append([]string{"--endpoint-url", w.srv.Endpoint()}, args...)...)
	if code > 1 || (code == 1 && out == "") {
		w.t.Fatalf("eksaccess %s as %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), user, code, out, errOut)
	}
	return out
}

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

// TestEffectiveAccessAgreesWithTheCluster asks the cluster's own SelfSubjectAccessReview
// (kubectl auth can-i as each principal) and eksaccess can-i and eksaccess access the same
// questions: access policies with namespace scopes, group RBAC, a user binding, an
// aggregated ClusterRole and impersonation; every answer must agree.
func TestEffectiveAccessAgreesWithTheCluster(t *testing.T) {
	w := newRealWorld(t)
	tr := &transcript{w: w}
	for _, u := range []string{"dave", "erin"} {
		w.accessKey(u)
	}
	w.eksaccess("admin", "kubeconfig", "-c", cluster)
	manifest, err := filepath.Abs(filepath.Join("testdata", "effective.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := w.kubectl("admin", "", "apply", "-f", manifest); code != 0 {
		t.Fatalf("kubectl apply: %s %s", out, errOut)
	}
	w.eksaccess("admin", "grant", "-c", cluster, "--group", "eff-devs", "--policy", "AmazonEKSViewPolicy", "--namespace", "eff-b", "dave")
	w.eksaccess("admin", "grant", "-c", cluster, "--group", "eff-imp", "--policy", "AmazonEKSEditPolicy", "--namespace", "eff-a", "erin")
	w.eksaccess("dave", "kubeconfig", "-c", cluster)
	w.eksaccess("erin", "kubeconfig", "-c", cluster)

	type req struct{ verb, resource, ns string }
	reqs := []req{
		{"get", "pods", "eff-a"}, {"list", "pods", "eff-a"}, {"watch", "pods", "eff-a"}, {"delete", "pods", "eff-a"},
		{"get", "pods/log", "eff-a"}, {"create", "pods/exec", "eff-a"}, {"get", "pods", "eff-b"}, {"list", "configmaps", "eff-b"},
		{"create", "configmaps", "eff-b"}, {"delete", "configmaps", "eff-b"}, {"update", "configmaps", "eff-a"}, {"get", "secrets", "eff-a"},
		{"list", "secrets", "eff-b"}, {"create", "jobs.batch", "eff-b"}, {"delete", "cronjobs.batch", "eff-b"}, {"create", "jobs.batch", "eff-a"},
		{"create", "deployments.apps", "eff-a"}, {"list", "deployments.apps", "eff-b"}, {"get", "pods", "default"}, {"list", "pods", ""},
		{"get", "serviceaccounts", "eff-b"}, {"list", "nodes", ""}, {"get", "nodes", ""}, {"delete", "nodes", ""},
		{"list", "namespaces", ""}, {"impersonate", "users", ""}, {"impersonate", "groups", ""}, {"impersonate", "serviceaccounts", "eff-a"},
		{"get", "services/log", "eff-b"}, {"create", "selfsubjectaccessreviews.authorization.k8s.io", ""},
	}
	clusterScoped := map[string]bool{"nodes": true, "namespaces": true, "users": true, "groups": true, "selfsubjectaccessreviews.authorization.k8s.io": true}
	type accessRule struct {
		Namespace string            `json:"namespace"`
		Rule      rbacv1.PolicyRule `json:"rule"`
		Source    string            `json:"source"`
	}
	accessOf := map[string][]accessRule{}
	access := func(user, ns string) []accessRule {
		key := user + "/" + ns
		if rs, ok := accessOf[key]; ok {
			return rs
		}
		args := []string{"access", "-c", cluster, user, "-o", "json"}
		if ns != "" {
			args = append(args, "-n", ns)
		}
		var res struct {
			RBACRead bool         `json:"rbacRead"`
			Rules    []accessRule `json:"rules"`
		}
		if err := json.Unmarshal([]byte(w.eksaccessOut("admin", args...)), &res); err != nil || !res.RBACRead {
			t.Fatalf("eksaccess access %s: %v (rbacRead %v)", key, err, res.RBACRead)
		}
		accessOf[key] = res.Rules
		return res.Rules
	}
	cases, yes := 0, 0
	for _, user := range []string{"dave", "erin"} {
		for _, rq := range reqs {
			// kubectl reads TYPE/NAME: a subresource goes in --subresource.
			kargs := []string{"auth", "can-i", rq.verb, rq.resource}
			if res, sub, ok := strings.Cut(rq.resource, "/"); ok {
				kargs = []string{"auth", "can-i", rq.verb, res, "--subresource", sub}
			}
			eargs := []string{"can-i", "-c", cluster, user, rq.verb, rq.resource, "-o", "json"}
			switch {
			case rq.ns != "":
				kargs = append(kargs, "-n", rq.ns)
				eargs = append(eargs, "-n", rq.ns)
			case !clusterScoped[rq.resource]:
				kargs = append(kargs, "-A")
			}
			kout, kerr, _ := w.kubectl(user, "", kargs...)
			want := strings.TrimSpace(kout)
			if want != "yes" && want != "no" {
				t.Fatalf("kubectl %v as %s: %q %s", kargs, user, kout, kerr)
			}
			eout, eerr, _ := w.run("admin", nil, binary, append([]string{"--endpoint-url", w.srv.Endpoint()}, eargs...)...)
			var ans struct {
				Answer   string `json:"answer"`
				RBACRead bool   `json:"rbacRead"`
				Reason   string `json:"reason"`
			}
			if err := json.Unmarshal([]byte(eout), &ans); err != nil {
				t.Fatalf("eksaccess %v: %v\n%s%s", eargs, err, eout, eerr)
			}
			if ans.Answer != want || !ans.RBACRead {
				t.Errorf("%s %s %s -n %q: cluster says %s, eksaccess can-i says %s (rbacRead %v): %s", user, rq.verb, rq.resource, rq.ns, want, ans.Answer, ans.RBACRead, ans.Reason)
			}
			// eksaccess access: some listed rule allows it iff the cluster says yes.
			pr, _, err := (usecase.KubeRequest{Verb: rq.verb, Resource: rq.resource, Namespace: rq.ns}).Parse()
			if err != nil {
				t.Fatal(err)
			}
			listed := false
			for _, r := range access(user, rq.ns) {
				if rbac.RuleAllows(r.Rule, pr) && (r.Namespace == "" || r.Namespace == rq.ns) {
					listed = true
				}
			}
			if listed != (want == "yes") {
				t.Errorf("%s %s %s -n %q: cluster says %s, but eksaccess access lists a rule allowing it: %v", user, rq.verb, rq.resource, rq.ns, want, listed)
			}
			cases++
			if want == "yes" {
				yes++
			}
		}
	}
	if cases < 50 || yes < 10 || cases-yes < 10 {
		t.Errorf("%d cases (%d yes): the table must hold at least 50, with both answers well represented", cases, yes)
	}
	// Offline keeps today's answer: RBAC is not read.
	out := w.eksaccessOut("admin", "can-i", "-c", cluster, "dave", "list", "nodes", "--offline", "-o", "json")
	if !strings.Contains(out, `"answer": "depends-on-rbac"`) {
		t.Errorf("can-i --offline: %s", out)
	}
	// The path is named.
	out = w.eksaccessOut("admin", "can-i", "-c", cluster, "dave", "get", "pods/log", "-n", "eff-a")
	if !strings.Contains(out, "RoleBinding/eff-a/devs-agg (Group eff-devs) → ClusterRole/eff-agg (aggregated from ClusterRole/eff-agg-logs)") {
		t.Errorf("can-i does not name the RBAC path:\n%s", out)
	}
	_ = tr
	for _, u := range []string{"dave", "erin"} {
		w.eksaccess("admin", "revoke", "-c", cluster, u)
	}
}
