package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// kaHarness runs the token/kubeconfig/verify/can-i/who-can commands in-process against a
// fresh sandbox, as the admin or as another IAM user (switched with as).
type kaHarness struct {
	*sbHarness
	home string
}

const kaAccount = "111122223333"

func kaUser(name string) string { return "arn:aws:iam::" + kaAccount + ":user/" + name }
func kaRole(name string) string { return "arn:aws:iam::" + kaAccount + ":role/" + name }

func newKAHarness(t *testing.T) *kaHarness {
	t.Helper()
	sb := newSBHarness(t)
	return &kaHarness{sbHarness: sb, home: sb.env["HOME"]}
}

// accountRole creates a role any principal of the account may assume.
func (h *kaHarness) accountRole(path, name string) string {
	h.t.Helper()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + kaAccount + `:root"},"Action":"sts:AssumeRole"}]}`
	in := &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}
	if path != "" {
		in.Path = aws.String(path)
	}
	out, err := iam.NewFromConfig(h.admin).CreateRole(context.Background(), in)
	if err != nil {
		h.t.Fatalf("create role %s: %v", name, err)
	}
	return aws.ToString(out.Role.Arn)
}

// entry creates an access entry with groups and policies ("NAME" for cluster scope,
// "NAME:ns1,ns2" for namespace scope), as the admin.
func (h *kaHarness) entry(cluster, arn string, groups []string, policies ...string) {
	h.t.Helper()
	ctx := context.Background()
	c := eks.NewFromConfig(h.admin)
	if _, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(arn), KubernetesGroups: groups}); err != nil {
		h.t.Fatalf("create access entry %s: %v", arn, err)
	}
	for _, p := range policies {
		name, nss, namespaced := strings.Cut(p, ":")
		scope := &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster}
		if namespaced {
			scope = &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeNamespace, Namespaces: strings.Split(nss, ",")}
		}
		_, err := c.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{
			ClusterName: aws.String(cluster), PrincipalArn: aws.String(arn),
			PolicyArn: aws.String("arn:aws:eks::aws:cluster-access-policy/" + name), AccessScope: scope,
		})
		if err != nil {
			h.t.Fatalf("associate %s with %s: %v", p, arn, err)
		}
	}
}

// deleteEntry removes an access entry, as the admin.
func (h *kaHarness) deleteEntry(cluster, arn string) {
	h.t.Helper()
	_, err := eks.NewFromConfig(h.admin).DeleteAccessEntry(context.Background(), &eks.DeleteAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(arn)})
	if err != nil {
		h.t.Fatalf("delete access entry %s: %v", arn, err)
	}
}

// count is how many calls of an operation the sandbox has served.
func (h *kaHarness) count(op string) int {
	n := 0
	for _, r := range h.srv.Requests() {
		if r.Operation == op {
			n++
		}
	}
	return n
}

// pinExecutable makes kubeconfig write a fixed plugin path for the test's duration.
func pinExecutable(t *testing.T, path string) {
	old := executablePath
	executablePath = func() (string, error) { return path, nil }
	t.Cleanup(func() { executablePath = old })
}
