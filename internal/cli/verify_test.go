package cli

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"eksaccess/internal/usecase"
)

func TestVerifyLiveAsUser(t *testing.T) {
	h, _ := kaAccessSetup(t)
	id, secret := h.accessKey("alice")
	h.as(id, secret)
	server := h.srv.KubeEndpoint("hyperpod-demo")

	args := []string{"verify", "-c", "hyperpod-demo",
		"--check", "list:pods:hyperpod-ns-team-a", "--check", "!create:pods:hyperpod-ns-team-a",
		"--check", "!list:pods:other", "--check", "get:deployments.apps/scale:hyperpod-ns-team-a", "--check", "get:/healthz"}
	want := "" +
		"Cluster:     hyperpod-demo (" + server + ")\n" +
		"Username:    arn:aws:iam::111122223333:user/alice\n" +
		"UID:         aws-iam-authenticator:111122223333:AIDAXTEZVPDTOSZBETMHE\n" +
		"Groups:      system:authenticated\n" +
		"Extra arn:   arn:aws:iam::111122223333:user/alice\n" +
		"\n" +
		"CHECK                                           EXPECTED   RESULT   REASON\n" +
		"list:pods:hyperpod-ns-team-a                    yes        yes      allowed by AmazonEKSViewPolicy (namespaces hyperpod-ns-team-a)\n" +
		"!create:pods:hyperpod-ns-team-a                 no         no       -\n" +
		"!list:pods:other                                no         no       -\n" +
		"get:deployments.apps/scale:hyperpod-ns-team-a   yes        yes      allowed by AmazonEKSViewPolicy (namespaces hyperpod-ns-team-a)\n" +
		"get:/healthz                                    yes        yes      allowed by ClusterRole system:discovery; ClusterRole system:public-info-viewer\n"
	h.expect(t.Fatalf, args, 0, want, "")

	// A check that does not come out as expected: exit 1, marked, counted on stderr.
	res, errOut, code := runJSON[usecase.VerifyResult](h.sbHarness, "verify", "-c", "hyperpod-demo", "--check", "create:pods:hyperpod-ns-team-a", "--check", "list:pods:hyperpod-ns-team-a")
	wantChecks := []usecase.VerifyCheckResult{
		{Check: "create:pods:hyperpod-ns-team-a", Request: "create pods in namespace hyperpod-ns-team-a", Expected: "yes", Result: "no", OK: false, Offline: "no"},
		{Check: "list:pods:hyperpod-ns-team-a", Request: "list pods in namespace hyperpod-ns-team-a", Expected: "yes", Result: "yes",
			Reason: "allowed by AmazonEKSViewPolicy (namespaces hyperpod-ns-team-a)", OK: true, Offline: "yes"},
	}
	if code != 1 || errOut != "" || res.Failed != 1 || res.Offline || res.User.Username != kaUser("alice") || !reflect.DeepEqual(res.Checks, wantChecks) {
		t.Fatalf("exit %d, stderr %q, result %+v", code, errOut, res)
	}
	_, errOut, code = h.run("verify", "-c", "hyperpod-demo", "--check", "create:pods:hyperpod-ns-team-a")
	if code != 1 || errOut != "1 of 1 checks did not come out as expected\n" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestVerifyLiveWithRole(t *testing.T) {
	h, roleArn := kaAccessSetup(t)
	id, secret := h.accessKey("alice")
	h.as(id, secret)
	ro, err := iam.NewFromConfig(h.admin).GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String("eks-team-a")})
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"verify", "-c", "hyperpod-demo", "--role", roleArn, "--check", "create:deployments:team-ml", "--check", "!create:deployments:default"}
	session := "arn:aws:sts::111122223333:assumed-role/eks-team-a/alice"
	want := "" +
		"Cluster:             hyperpod-demo (" + h.srv.KubeEndpoint("hyperpod-demo") + ")\n" +
		"Username:            " + session + "\n" +
		"UID:                 aws-iam-authenticator:111122223333:" + aws.ToString(ro.Role.RoleId) + "\n" +
		"Groups:              system:authenticated\n" +
		"Extra arn:           " + session + "\n" +
		"Extra sessionName:   alice\n" +
		"\n" +
		"CHECK                         EXPECTED   RESULT   REASON\n" +
		"create:deployments:team-ml    yes        yes      allowed by AmazonEKSEditPolicy (namespaces team-*)\n" +
		"!create:deployments:default   no         no       -\n"
	h.expect(t.Fatalf, args, 0, want, "")
}

func TestVerifyRefusedWithoutEntry(t *testing.T) {
	h := newKAHarness(t)
	id, secret := h.accessKey("bob")
	h.as(id, secret)
	out, errOut, code := h.run("verify", "-c", "hyperpod-demo", "--check", "list:pods")
	want := "error: cluster hyperpod-demo refused the token (Unauthorized): you may have no access entry on it (see `eksaccess entries list -c hyperpod-demo`), or the entry is too new; grant access with `eksaccess grant`\n"
	if code != 1 || out != "" || errOut != want {
		t.Fatalf("exit %d, stdout %q, stderr\n%s", code, out, errOut)
	}
}

func TestVerifyAsPrincipalOffline(t *testing.T) {
	h, roleArn := kaAccessSetup(t)
	args := []string{"verify", "-c", "hyperpod-demo", "--as-principal", "bob",
		"--check", "get:pods:x", "--check", "!get:pods:x", "--check", "!create:pods:x"}
	bob := kaUser("bob")
	want := "Offline: nobody can get a token for another principal, so this is what EKS would decide from " + bob + "'s access entry and access policies (as `eksaccess can-i`), not the cluster's answer.\n" +
		"\n" +
		"Cluster:     hyperpod-demo\n" +
		"Principal:   " + bob + "\n" +
		"Username:    " + bob + "\n" +
		"Groups:      team-b-devs, system:authenticated\n" +
		"\n" +
		"CHECK            EXPECTED   RESULT                   REASON\n" +
		"get:pods:x       yes        depends-on-rbac (FAIL)   no access policy allows it; depends on RBAC for groups team-b-devs\n" +
		"!get:pods:x      no         depends-on-rbac (FAIL)   no access policy allows it; depends on RBAC for groups team-b-devs\n" +
		"!create:pods:x   no         depends-on-rbac (FAIL)   no access policy allows it; depends on RBAC for groups team-b-devs\n"
	h.expect(t.Fatalf, args, 1, want, "3 of 3 checks did not come out as expected\n")

	res, _, code := runJSON[usecase.VerifyResult](h.sbHarness, "verify", "-c", "hyperpod-demo", "--as-principal", "role/teams/eks-team-a", "--check", "create:pods/exec:team-a")
	if code != 0 || !res.Offline || res.Principal != roleArn || res.User.Username != "arn:aws:sts::111122223333:assumed-role/eks-team-a/{{SessionName}}" ||
		len(res.Checks) != 1 || res.Checks[0].Result != "yes" || res.Checks[0].Reason != "allowed by AmazonEKSEditPolicy (namespaces team-*)" {
		t.Fatalf("%+v", res)
	}

	out, _, code := h.run("verify", "-c", "hyperpod-demo", "--as-principal", "dave", "--check", "!get:pods:x")
	if code != 0 || !strings.Contains(out, "Username:    (none: "+kaUser("dave")+" has no access entry on cluster hyperpod-demo, so EKS refuses its tokens (unless the aws-auth ConfigMap maps it))\n") {
		t.Fatalf("exit %d\n%s", code, out)
	}

	_, errOut, code := h.run("verify", "-c", "hyperpod-demo", "--as-principal", "bob", "--role", "x")
	if code != 2 || !strings.HasPrefix(errOut, "error: --as-principal and --role both say whom to check: give one\n") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}
