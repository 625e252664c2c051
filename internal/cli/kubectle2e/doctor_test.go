package kubectle2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

type doctorFinding struct {
	Check     string `json:"check"`
	Cluster   string `json:"cluster"`
	Principal string `json:"principal"`
	Fixable   bool   `json:"fixable"`
	Fixed     bool   `json:"fixed"`
}

// doctorJSON runs doctor -o json as admin and returns its findings and exit code.
func doctorJSON(w *world, args ...string) ([]doctorFinding, int, string) {
	w.t.Helper()
	out, errOut, code := w.run("admin", nil, binary, append([]string{"--endpoint-url", w.srv.Endpoint(), "doctor", "-o", "json"}, args...)...)
	var res struct {
		Findings []doctorFinding `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		w.t.Fatalf("doctor %v: exit %d, not JSON: %v\n%s\n%s", args, code, err, out, errOut)
	}
	return res.Findings, code, errOut
}

func hasFinding(fs []doctorFinding, check, principal string) *doctorFinding {
	for i := range fs {
		if fs[i].Check == check && fs[i].Principal == principal {
			return &fs[i]
		}
	}
	return nil
}

// TestDoctorRepairsRecreatedRole is issue 13's "done when" for doctor, in real Kubernetes
// mode: a role deleted and re-created under the same name is refused by the cluster (its
// entry is bound to the old role), doctor finds the stale entry and the other problems the
// sandbox was prepared to have, and --fix re-creates the entry so the user's kubectl works
// again. Audit shows the groups' bindings the real API server holds.
func TestDoctorRepairsRecreatedRole(t *testing.T) {
	w := newRealWorld(t)
	tr := &transcript{w: w}
	ctx := context.Background()
	w.accessKey("carol")
	w.eksaccess("admin", "kubeconfig", "-c", cluster)
	const role = "doctor-role"
	roleArn := "arn:aws:iam::" + account + ":role/" + role
	oldID := w.accountRole(role)
	tr.kubectl("admin", "", "namespace/doctor-team created\n", "", 0, "create", "namespace", "doctor-team")
	tr.kubectl("admin", "", "rolebinding.rbac.authorization.k8s.io/doctor-readers created\n", "", 0, "-n", "doctor-team", "create", "rolebinding", "doctor-readers", "--clusterrole=view", "--group=doctor-readers")
	w.eksaccess("admin", "grant", "-c", cluster, "--policy", "AmazonEKSEditPolicy", "--namespace", "doctor-team", "--group", "doctor-readers", "--username", "doctor:{{SessionName}}", "role/"+role)
	roleKubeconfig := filepath.Join(w.home, "carol", "doctor.kubeconfig")
	w.eksaccess("carol", "kubeconfig", "-c", cluster, "--role", role, "--kubeconfig", roleKubeconfig)
	tr.kubectl("carol", roleKubeconfig, "yes\n", "", 0, "auth", "can-i", "create", "pods", "-n", "doctor-team")

	// Problems doctor must find: a scope on a namespace that does not exist, a group no
	// binding names (both need the real API server), a principal deleted from IAM.
	w.eksaccess("admin", "grant", "-c", cluster, "--policy", "AmazonEKSViewPolicy", "--namespace", "no-such-namespace", "--group", "nobody-binds-this", "alice")
	api := iam.NewFromConfig(w.admin)
	if _, err := api.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("doctor-gone")}); err != nil {
		t.Fatal(err)
	}
	goneArn := "arn:aws:iam::" + account + ":user/doctor-gone"
	w.eksaccess("admin", "grant", "-c", cluster, "--policy", "AmazonEKSViewPolicy", "doctor-gone")
	if _, err := api.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("doctor-gone")}); err != nil {
		t.Fatal(err)
	}

	// The audit reads the groups' bindings from the API server.
	out := w.eksaccess("admin", "audit", "-c", cluster, "-o", "json")
	var audit struct {
		Rows []struct {
			Principal string   `json:"principal"`
			Group     string   `json:"group"`
			RBAC      []string `json:"rbac"`
			Level     string   `json:"level"`
		} `json:"rows"`
	}
	if err := json.Unmarshal([]byte(out[:strings.LastIndex(out, "}")+1]), &audit); err != nil {
		t.Fatalf("audit JSON: %v\n%s", err, out)
	}
	found := false
	for _, r := range audit.Rows {
		if r.Principal == roleArn && r.Group == "doctor-readers" {
			found = true
			if !slices.Equal(r.RBAC, []string{"RoleBinding doctor-team/doctor-readers → ClusterRole view"}) || r.Level != "view (namespaces)" {
				t.Errorf("audit row of doctor-readers: %+v", r)
			}
		}
	}
	if !found {
		t.Errorf("audit has no row for %s's group:\n%s", roleArn, out)
	}

	// Delete and re-create the role: same ARN, new RoleId. IAM's CreateDate has whole
	// seconds, so the new role is made in a later second than the entry.
	for start := time.Now().Truncate(time.Second); !time.Now().Truncate(time.Second).After(start); {
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := api.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(role)}); err != nil {
		t.Fatal(err)
	}
	if newID := w.accountRole(role); newID == oldID {
		t.Fatalf("the re-created role kept its RoleId %s", oldID)
	}
	os.RemoveAll(filepath.Join(w.home, "carol", ".cache")) // no cached session of the old role
	fs, code, notes := doctorJSON(w, "-c", cluster, "-c", "legacy-cm")
	t.Logf("doctor notes:\n%s", notes)
	if code != 1 {
		t.Errorf("doctor with findings: exit %d, want 1", code)
	}
	aliceArn := "arn:aws:iam::" + account + ":user/alice"
	for _, want := range [][2]string{{"stale-entry", roleArn}, {"unknown-namespace", aliceArn}, {"unbound-group", aliceArn}, {"deleted-principal", goneArn}, {"config-map-mode", ""}} {
		if hasFinding(fs, want[0], want[1]) == nil {
			t.Errorf("doctor did not find %s %s: %+v", want[0], want[1], fs)
		}
	}
	if f := hasFinding(fs, "stale-entry", roleArn); f != nil && (!f.Fixable || f.Fixed) {
		t.Errorf("stale finding before --fix: %+v", f)
	}

	fs, _, errOut := doctorJSON(w, "-c", cluster, "--fix")
	if f := hasFinding(fs, "stale-entry", roleArn); f == nil || !f.Fixed {
		t.Fatalf("doctor --fix did not repair the stale entry: %+v\n%s", fs, errOut)
	}
	tr.kubectlEventually("carol", roleKubeconfig, "yes\n", "", 0, "auth", "can-i", "create", "pods", "-n", "doctor-team")
	out, errOut2, code2 := w.kubectl("carol", roleKubeconfig, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username} {.status.userInfo.groups}")
	if want := `doctor:carol ["doctor-readers","system:authenticated"]`; code2 != 0 || out != want {
		t.Errorf("whoami after --fix: exit %d %q %s, want %q (username and groups carried over)", code2, out, errOut2, want)
	}
	fs, _, _ = doctorJSON(w, "-c", cluster)
	if f := hasFinding(fs, "stale-entry", roleArn); f != nil {
		t.Errorf("still stale after --fix: %+v", f)
	}
	// Leave the shared cluster as the other tests expect it.
	w.eksaccess("admin", "revoke", "-c", cluster, "role/"+role, "alice", goneArn)
}
