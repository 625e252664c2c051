package sandbox

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"eksaccess/internal/kubeauth"
	"eksaccess/internal/sandbox/kube/kubectltest"
)

// kubectlAs runs kubectl against server with a static token.
func kubectlAs(t *testing.T, s *Server, server, token string, args ...string) (string, string, int) {
	t.Helper()
	k := kubectltest.New(t, server, s.CAPEM())
	return k.Run(k.StaticKubeconfig("u", token), nil, args...)
}

func eksToken(t *testing.T, s *Server, c aws.Credentials, cluster string) string {
	t.Helper()
	tok, err := kubeauth.GetToken(context.Background(), cfg(s, c, clientOpts{}), cluster, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tok.Token
}

// TestOtherAccountKubernetes: the partner account's cluster has an endpoint of its own, which
// knows the partner's principals through its entries only.
func TestOtherAccountKubernetes(t *testing.T) {
	ctx := context.Background()
	s := start(t, Options{ClusterDelay: 50 * time.Millisecond})
	id, secret, err := s.AccountAdminCredentials(PartnerAccount)
	if err != nil {
		t.Fatal(err)
	}
	partner := aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}
	primary := adminCreds(t, s)
	partnerEKS := eks.NewFromConfig(cfg(s, partner, clientOpts{}))
	partnerAdmin := "arn:aws:iam::" + PartnerAccount + ":user/admin"
	primaryAdmin := "arn:aws:iam::" + DemoAccount + ":user/admin"

	dc, err := partnerEKS.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(PartnerCluster)})
	if err != nil {
		t.Fatal(err)
	}
	endpoint := aws.ToString(dc.Cluster.Endpoint)
	if want := s.KubeEndpoint(PartnerCluster + "." + PartnerAccount); endpoint != want {
		t.Fatalf("partner-prod's endpoint %q, want %q", endpoint, want)
	}

	partnerTok := eksToken(t, s, partner, PartnerCluster)
	out, errOut, code := kubectlAs(t, s, endpoint, partnerTok, "auth", "whoami")
	if code != 0 || kubectltest.Row(out, "Username") != partnerAdmin {
		t.Fatalf("whoami as the partner admin: rc %d\n%s%s", code, out, errOut)
	}
	if out, errOut, code := kubectlAs(t, s, endpoint, partnerTok, "auth", "can-i", "delete", "nodes"); code != 0 || out != "yes\n" {
		t.Errorf("partner admin can-i delete nodes: rc %d %q %s", code, out, errOut)
	}
	// The bare name is found across accounts (no other account has a partner-prod).
	if out, errOut, code := kubectlAs(t, s, s.KubeEndpoint(PartnerCluster), partnerTok, "auth", "whoami"); code != 0 || kubectltest.Row(out, "Username") != partnerAdmin {
		t.Errorf("whoami through /k8s/%s: rc %d\n%s%s", PartnerCluster, code, out, errOut)
	}
	// The partner's token is not good on the primary account's clusters.
	demoTok := eksToken(t, s, partner, DemoCluster)
	if _, errOut, code := kubectlAs(t, s, s.KubeEndpoint(DemoCluster), demoTok, "auth", "whoami"); code == 0 || !strings.Contains(errOut, "Unauthorized") {
		t.Errorf("partner admin on %s: rc %d %s", DemoCluster, code, errOut)
	}

	// A principal of the first account has no entry on partner-prod: refused, until the
	// partner grants it one.
	primaryTok := eksToken(t, s, primary, PartnerCluster)
	if _, errOut, code := kubectlAs(t, s, endpoint, primaryTok, "auth", "whoami"); code == 0 || !strings.Contains(errOut, "Unauthorized") {
		t.Fatalf("first-account admin without an entry: rc %d %s", code, errOut)
	}
	if _, err := partnerEKS.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String(PartnerCluster), PrincipalArn: aws.String(primaryAdmin)}); err != nil {
		t.Fatal(err)
	}
	if _, err := partnerEKS.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{
		ClusterName: aws.String(PartnerCluster), PrincipalArn: aws.String(primaryAdmin),
		PolicyArn:   aws.String("arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"),
		AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster},
	}); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = kubectlAs(t, s, endpoint, primaryTok, "auth", "whoami")
	if code != 0 || kubectltest.Row(out, "Username") != primaryAdmin {
		t.Fatalf("first-account admin with an entry: rc %d\n%s%s", code, out, errOut)
	}
	if out, _, code := kubectlAs(t, s, endpoint, primaryTok, "auth", "can-i", "delete", "nodes"); code != 1 || out != "no\n" {
		t.Errorf("View entry can-i delete nodes: rc %d %q", code, out)
	}

	// DeleteCluster takes the endpoint with it (kubectl's --raw path is from the server's root).
	if _, err := partnerEKS.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: aws.String(PartnerCluster)}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, errOut, code := kubectlAs(t, s, endpoint, partnerTok, "get", "--raw", "/k8s/"+PartnerCluster+"."+PartnerAccount+"/version")
		if code != 0 && strings.Contains(errOut, "no cluster named "+PartnerCluster+"."+PartnerAccount) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the deleted cluster's endpoint still answers: rc %d %s", code, errOut)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
