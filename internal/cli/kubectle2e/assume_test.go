package kubectle2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
)

// TestKubeconfigWithAssumeRole: a kubeconfig written with --assume-role into the sandbox's
// other account makes kubectl authenticate as that role's session (the plugin assumes it
// again, the same way), so kubectl shows the role's identity and access on the other
// account's cluster; without the flag carried over, kubectl would sign as the admin of the
// first account, whom the cluster does not know.
func TestKubeconfigWithAssumeRole(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const (
		partner        = "444455556666"
		partnerCluster = "partner-prod"
		role           = "arn:aws:iam::" + partner + ":role/CrossAccountEKSAdmin"
	)
	assume := []string{"--assume-role", role, "--role-session-name", "platform"}
	w.eksaccess("admin", append(assume, "grant", "-c", partnerCluster, "--policy", "AmazonEKSViewPolicy", role)...)

	kc := filepath.Join(w.home, "admin", "partner.kubeconfig")
	w.eksaccess("admin", append(assume, "kubeconfig", "-c", partnerCluster, "--alias", "partner", "--kubeconfig", kc)...)
	cfg, err := clientcmd.LoadFromFile(kc)
	if err != nil {
		t.Fatal(err)
	}
	args := strings.Join(cfg.AuthInfos["partner"].Exec.Args, " ")
	if !strings.Contains(args, "--assume-role "+role+" --role-session-name platform") {
		t.Fatalf("the plugin's arguments do not carry the role: %s", args)
	}
	if fi, err := os.Stat(kc); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("kubeconfig mode: %v %v", fi.Mode(), err)
	}

	wo, errOut, code := w.kubectl("admin", kc, "auth", "whoami")
	session := "arn:aws:sts::" + partner + ":assumed-role/CrossAccountEKSAdmin/platform"
	if code != 0 || !has(wo, "Extra: arn ["+session+"]") || !has(wo, "Extra: sessionName [platform]") {
		t.Fatalf("whoami through --assume-role: exit %d\n%s\nstderr %s", code, wo, errOut)
	}
	w.expectKubectl("admin", kc, "yes\n", 0, "auth", "can-i", "list", "pods")
	w.expectKubectl("admin", kc, "no\n", 1, "auth", "can-i", "create", "pods")
	// The token is cached per role session: a second kubectl needs no new one.
	if _, _, code := w.kubectl("admin", kc, "auth", "whoami"); code != 0 {
		t.Fatalf("second whoami: exit %d", code)
	}
	matches, _ := filepath.Glob(filepath.Join(w.home, "admin", ".cache", "eksaccess", "tokens", "*"))
	if len(matches) != 1 {
		t.Errorf("token cache holds %d file(s), want 1 (one role session): %q", len(matches), matches)
	}

	// Taking the role's entry away shuts that kubeconfig out: it really is the role.
	w.eksaccess("admin", append(assume, "revoke", "-c", partnerCluster, role)...)
	w.expectRefused("admin", kc, "auth", "can-i", "list", "pods")
}
