package cli

import (
	"reflect"
	"strings"
	"testing"

	"eksaccess/internal/usecase"
)

// kaAccessSetup gives the demo cluster entries of every kind can-i distinguishes.
func kaAccessSetup(t *testing.T) (*kaHarness, string) {
	h := newKAHarness(t)
	roleArn := h.accountRole("/teams/", "eks-team-a")
	h.entry("hyperpod-demo", kaUser("alice"), nil, "AmazonEKSViewPolicy:hyperpod-ns-team-a")
	h.entry("hyperpod-demo", kaUser("bob"), []string{"team-b-devs"})
	h.entry("hyperpod-demo", kaUser("carol"), nil, "AmazonEKSBlockStoragePolicy")
	h.entry("hyperpod-demo", roleArn, nil, "AmazonEKSEditPolicy:team-*")
	return h, roleArn
}

func TestCanI(t *testing.T) {
	h, roleArn := kaAccessSetup(t)
	alice := kaUser("alice")
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"yes in its namespace", []string{"alice", "list", "pods", "-n", "hyperpod-ns-team-a"}, 0,
			"yes\n" +
				"Principal:    " + alice + "\n" +
				"Request:      list pods in namespace hyperpod-ns-team-a\n" +
				"Entry:        STANDARD, username " + alice + ", groups -\n" +
				"Granted by:   AmazonEKSViewPolicy (namespaces hyperpod-ns-team-a)\n", ""},
		{"no: verb not in the policy", []string{alice, "create", "pods", "-n", "hyperpod-ns-team-a"}, 1,
			"no\n" +
				"Principal:   " + alice + "\n" +
				"Request:     create pods in namespace hyperpod-ns-team-a\n" +
				"Entry:       STANDARD, username " + alice + ", groups -\n" +
				"Reason:      no access policy allows it and the entry has no Kubernetes groups\n", ""},
		{"no: other namespace, says which policy would", []string{"alice", "list", "pods", "-n", "other"}, 1,
			"no\n" +
				"Principal:   " + alice + "\n" +
				"Request:     list pods in namespace other\n" +
				"Entry:       STANDARD, username " + alice + ", groups -\n" +
				"Reason:      no access policy allows it and the entry has no Kubernetes groups (AmazonEKSViewPolicy would allow it but it is scoped to namespaces hyperpod-ns-team-a)\n", ""},
		{"no: secrets are not in View", []string{"alice", "get", "secrets", "-n", "hyperpod-ns-team-a"}, 1,
			"no\n" +
				"Principal:   " + alice + "\n" +
				"Request:     get secrets in namespace hyperpod-ns-team-a\n" +
				"Entry:       STANDARD, username " + alice + ", groups -\n" +
				"Reason:      no access policy allows it and the entry has no Kubernetes groups\n", ""},
		{"depends on RBAC", []string{"bob", "get", "pods", "-n", "x"}, 1,
			"depends-on-rbac\n" +
				"Principal:   " + kaUser("bob") + "\n" +
				"Request:     get pods in namespace x\n" +
				"Entry:       STANDARD, username " + kaUser("bob") + ", groups team-b-devs\n" +
				"Reason:      no access policy allows it; depends on RBAC for groups team-b-devs\n", ""},
		{"unknown policy", []string{"carol", "list", "persistentvolumes"}, 1,
			"unknown\n" +
				"Principal:   " + kaUser("carol") + "\n" +
				"Request:     list persistentvolumes (cluster-scoped)\n" +
				"Entry:       STANDARD, username " + kaUser("carol") + ", groups -\n" +
				"Reason:      unknown: AWS does not publish the Kubernetes rules of AmazonEKSBlockStoragePolicy\n", ""},
		{"role by name with path, namespace wildcard", []string{"role/teams/eks-team-a", "create", "deployments", "-n", "team-x"}, 0,
			"yes\n" +
				"Principal:    " + roleArn + "\n" +
				"Request:      create deployments.apps in namespace team-x\n" +
				"Entry:        STANDARD, username arn:aws:sts::111122223333:assumed-role/eks-team-a/{{SessionName}}, groups -\n" +
				"Granted by:   AmazonEKSEditPolicy (namespaces team-*)\n", ""},
		{"assumed-role session maps to its role", []string{"arn:aws:sts::111122223333:assumed-role/eks-team-a/alice", "create", "pods", "--subresource", "exec", "-n", "team-x"}, 0,
			"yes\n" +
				"Principal:    " + roleArn + "\n" +
				"Request:      create pods/exec in namespace team-x\n" +
				"Entry:        STANDARD, username arn:aws:sts::111122223333:assumed-role/eks-team-a/{{SessionName}}, groups -\n" +
				"Granted by:   AmazonEKSEditPolicy (namespaces team-*)\n", ""},
		{"no entry", []string{"dave", "get", "pods", "-n", "x"}, 1,
			"no\n" +
				"Principal:   " + kaUser("dave") + "\n" +
				"Request:     get pods in namespace x\n" +
				"Reason:      " + kaUser("dave") + " has no access entry on cluster hyperpod-demo, so EKS refuses its tokens (unless the aws-auth ConfigMap maps it)\n", ""},
		{"unknown resource: note", []string{"alice", "list", "widgets", "-n", "hyperpod-ns-team-a"}, 1,
			"no\n" +
				"Principal:   " + alice + "\n" +
				"Request:     list widgets in namespace hyperpod-ns-team-a\n" +
				"Entry:       STANDARD, username " + alice + ", groups -\n" +
				"Reason:      no access policy allows it and the entry has no Kubernetes groups\n",
			"note: eksaccess does not know resource \"widgets\"; taking it to be in the core API group (write widgets.GROUP or pass --api-group for others)\n"},
		{"bad subresource", []string{"alice", "get", "pods/log", "--subresource", "exec"}, 2, "",
			"error: pods/log names subresource log but --subresource says exec: give one\nrun `eksaccess can-i --help` for usage\n"},
		{"bad namespace", []string{"alice", "get", "pods", "-n", "Team_A"}, 2, "", ""},
		{"no such user", []string{"nobody", "get", "pods"}, 2, "",
			"error: no IAM user named nobody in account 111122223333: check the spelling or create it with aws iam create-user --user-name nobody\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := h.run(append([]string{"can-i", "-c", "hyperpod-demo"}, tc.args...)...)
			if code != tc.code || out != tc.stdout || (tc.stderr != "" || code == 0) && errOut != tc.stderr {
				t.Fatalf("exit %d\nstdout\n%s\nstderr\n%s\nwant exit %d\nstdout\n%s\nstderr\n%s", code, out, errOut, tc.code, tc.stdout, tc.stderr)
			}
		})
	}
}

func TestCanIJSONAndConfigMapCluster(t *testing.T) {
	h, _ := kaAccessSetup(t)
	out, _, code := h.run("can-i", "-c", "hyperpod-demo", "alice", "patch", "deployments.apps/scale", "-n", "hyperpod-ns-team-a", "-o", "json")
	want := `{
  "cluster": "hyperpod-demo",
  "principal": "arn:aws:iam::111122223333:user/alice",
  "request": "patch deployments.apps/scale in namespace hyperpod-ns-team-a",
  "answer": "no",
  "entry": {
    "principalArn": "arn:aws:iam::111122223333:user/alice",
    "type": "STANDARD",
    "username": "arn:aws:iam::111122223333:user/alice"
  },
  "reason": "no access policy allows it and the entry has no Kubernetes groups",
  "attributes": {
    "verb": "patch",
    "apiGroup": "apps",
    "resource": "deployments",
    "subresource": "scale",
    "namespace": "hyperpod-ns-team-a"
  }
}
`
	if code != 1 || out != want {
		t.Fatalf("exit %d\n%s\nwant\n%s", code, out, want)
	}

	out, _, code = h.run("can-i", "-c", "hyperpod-demo", "alice", "get", "pods", "-n", "hyperpod-ns-team-a", "-o", "yaml")
	wantYAML := `answer: "yes"
attributes:
  apiGroup: ""
  namespace: hyperpod-ns-team-a
  resource: pods
  verb: get
cluster: hyperpod-demo
entry:
  principalArn: arn:aws:iam::111122223333:user/alice
  type: STANDARD
  username: arn:aws:iam::111122223333:user/alice
grantedBy:
- namespaces:
  - hyperpod-ns-team-a
  policy: AmazonEKSViewPolicy
  policyArn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy
  scope: namespace
principal: arn:aws:iam::111122223333:user/alice
reason: allowed by AmazonEKSViewPolicy (namespaces hyperpod-ns-team-a)
request: get pods in namespace hyperpod-ns-team-a
`
	if code != 0 || out != wantYAML {
		t.Fatalf("exit %d\n%s\nwant\n%s", code, out, wantYAML)
	}

	out, _, code = h.run("can-i", "-c", "legacy-cm", "alice", "list", "pods")
	wantCM := "unknown\n" +
		"Principal:   arn:aws:iam::111122223333:user/alice\n" +
		"Request:     list pods in all namespaces\n" +
		"Reason:      cluster legacy-cm maps IAM principals with the aws-auth ConfigMap only (authentication mode CONFIG_MAP), which eksaccess cannot read offline: see `eksaccess migrate aws-auth -c legacy-cm`\n"
	if code != 1 || out != wantCM {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

func TestWhoCan(t *testing.T) {
	h, roleArn := kaAccessSetup(t)
	node := kaRole("SageMakerHyperPodNodeRole")
	nodeReason := "HYPERPOD_LINUX access entries take no access policies; what they may do is decided inside Kubernetes (node authorizer, RBAC)"
	want := "" +
		"PRINCIPAL                                                  TYPE             ANSWER            VIA\n" +
		"arn:aws:iam::111122223333:role/teams/eks-team-a            STANDARD         yes               AmazonEKSEditPolicy (namespaces team-*)\n" +
		"arn:aws:iam::111122223333:user/admin                       STANDARD         yes               AmazonEKSClusterAdminPolicy (cluster)\n" +
		"arn:aws:iam::111122223333:user/carol                       STANDARD         unknown           unknown: AWS does not publish the Kubernetes rules of AmazonEKSBlockStoragePolicy\n" +
		"arn:aws:iam::111122223333:role/SageMakerHyperPodNodeRole   HYPERPOD_LINUX   depends-on-rbac   " + nodeReason + "\n" +
		"arn:aws:iam::111122223333:user/bob                         STANDARD         depends-on-rbac   no access policy allows it; depends on RBAC for groups team-b-devs\n"
	h.expect(t.Fatalf, []string{"who-can", "-c", "hyperpod-demo", "list", "pods", "-n", "team-ml"}, 0, want, "")

	rows, _, code := runJSON[[]usecase.WhoCanRow](h.sbHarness, "who-can", "-c", "hyperpod-demo", "get", "secrets", "-n", "hyperpod-ns-team-a")
	if code != 0 {
		t.Fatalf("exit %d: %v", code, rows)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.PrincipalArn+" "+r.Answer)
	}
	wantRows := []string{kaUser("admin") + " yes", kaUser("carol") + " unknown", node + " depends-on-rbac", kaUser("bob") + " depends-on-rbac"}
	if !reflect.DeepEqual(got, wantRows) {
		t.Fatalf("rows %v\nwant %v", got, wantRows)
	}
	_ = roleArn

	// Nobody at all: a message on stderr, exit 0.
	h.deleteEntry("hyperpod-demo", kaUser("carol"))
	h.deleteEntry("hyperpod-demo", kaUser("bob"))
	h.deleteEntry("hyperpod-demo", node)
	h.deleteEntry("hyperpod-demo", kaUser("admin"))
	h.expect(t.Fatalf, []string{"who-can", "-c", "hyperpod-demo", "delete", "nodes"}, 0, "", "no access entry of hyperpod-demo may delete nodes (cluster-scoped)\n")
	out, errOut, code := h.run("who-can", "-c", "legacy-cm", "get", "pods")
	if code != 1 || out != "" || !strings.HasPrefix(errOut, "error: cluster legacy-cm maps IAM principals with the aws-auth ConfigMap only") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
