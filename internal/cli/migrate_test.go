package cli

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"eksaccess/internal/sandbox/state"
)

const declRealisticAwsAuth = `apiVersion: v1
kind: ConfigMap
metadata:
  name: aws-auth
  namespace: kube-system
data:
  mapRoles: |
    - rolearn: arn:aws:iam::111122223333:role/legacy-cm-node-role
      username: system:node:{{EC2PrivateDNSName}}
      groups:
        - system:bootstrappers
        - system:nodes
    - rolearn: arn:aws:iam::111122223333:role/win-nodes
      username: system:node:{{EC2PrivateDNSName}}
      groups:
        - system:bootstrappers
        - system:nodes
        - eks:kube-proxy-windows
    - rolearn: arn:aws:iam::111122223333:role/PlatformAdmin
      username: platform-admin:{{SessionName}}
      groups:
        - system:masters
    - rolearn: arn:aws:iam::111122223333:role/AWSReservedSSO_DataScientist_0123456789abcdef
      username: data-scientist:{{SessionName}}
      groups:
        - hyperpod-scientist-user-cluster-level
        - system:authenticated
    - rolearn: arn:aws:iam::111122223333:role/ml-engineers
      groups: [ml-engineers]
  mapUsers: |
    - userarn: arn:aws:iam::111122223333:user/alice
      username: alice
      groups:
        - hyperpod-scientist-user-namespace-level
    - userarn: arn:aws:iam::111122223333:user/dave
      username: dave
      groups: [system:masters, view-only]
  mapAccounts: |
    - "444455556666"
`

// addRole creates an IAM role in the sandbox (an hour old, so EKS accepts it at once).
func (e *declEnv) addRole(path, name string) {
	e.t.Helper()
	err := e.srv.Store().Update(func(d *state.Data) error {
		d.Roles[strings.ToLower(name)] = &state.Role{
			Path: path, RoleName: name, RoleID: "AROADECL" + strings.ToUpper(name[:3]) + "0000000000", Arn: declAcct + "role" + path + name,
			CreateDate: time.Now().Add(-time.Hour), MaxSessionDuration: 3600, AttachedPolicies: []string{},
			AssumeRolePolicyDocument: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

func TestMigrateAwsAuthThenApply(t *testing.T) {
	e := newDeclEnv(t)
	e.addRole("/teams/ml/", "ml-engineers")
	e.addRole("/", "win-nodes")
	from := e.write("aws-auth.yaml", declRealisticAwsAuth)
	out := e.write("migrated.yaml", "")
	m := e.mark()
	_, errOut, code := e.run("migrate", "aws-auth", "-c", "legacy-cm", "--from", from, "--out", out)
	if code != 0 {
		t.Fatalf("migrate: exit %d\n%s", code, errOut)
	}
	declEqCounts(t, "migrate", e.mutating(m), nil)
	declMustContain(t, "warnings", errOut,
		"warning: "+from+":23:7: role arn:aws:iam::111122223333:role/AWSReservedSSO_DataScientist_0123456789abcdef: group \"system:authenticated\" not migrated",
		"warning: "+from+":39:7: mapAccounts entry 444455556666 not migrated",
		"migrated 7 of 8 mapping(s) (5 mapRoles, 2 mapUsers, 1 mapAccounts); 2 warning(s)")
	b, _ := os.ReadFile(out)
	declMustContain(t, "file", string(b),
		"authenticationMode: API_AND_CONFIG_MAP",
		"principal: "+declSsoArn,
		"principal: "+declAcct+"role/teams/ml/ml-engineers",
		"type: EC2_WINDOWS",
		"username: platform-admin:{{SessionName}}")

	e.mustRun("apply", "-f", out, "--yes")
	declEqLines(t, "legacy-cm after migrate+apply", e.entries("legacy-cm"), []string{
		declAcct + "role/PlatformAdmin STANDARD managed AmazonEKSClusterAdminPolicy(cluster)",
		declSsoArn + " STANDARD managed groups=hyperpod-scientist-user-cluster-level",
		declAcct + "role/legacy-cm-node-role EC2_LINUX managed groups=system:nodes",
		declAcct + "role/teams/ml/ml-engineers STANDARD managed groups=ml-engineers",
		declAcct + "role/win-nodes EC2_WINDOWS managed",
		declAcct + "user/alice STANDARD managed groups=hyperpod-scientist-user-namespace-level",
		declAcct + "user/dave STANDARD managed AmazonEKSClusterAdminPolicy(cluster) groups=view-only",
	})
	if got := e.authMode("legacy-cm"); got != "API_AND_CONFIG_MAP" {
		t.Fatalf("legacy-cm mode = %s", got)
	}
	if pa := e.liveEntry("legacy-cm", declAcct+"role/PlatformAdmin"); pa.Username != "platform-admin:{{SessionName}}" {
		t.Fatalf("PlatformAdmin username = %q", pa.Username)
	}
	e.expectCode(0, "plan", "-f", out, "--detailed-exitcode")
}

func TestMigrateAwsAuthFromKubernetesAPI(t *testing.T) {
	e := newDeclEnv(t)
	// hyperpod-demo has no aws-auth ConfigMap.
	got := e.expectCode(1, "migrate", "aws-auth", "-c", "hyperpod-demo")
	declMustContain(t, "404", got, "cluster hyperpod-demo has no aws-auth ConfigMap in kube-system (HTTP 404)", "--from aws-auth.yaml")
	// admin is not mapped on legacy-cm (CONFIG_MAP): the API refuses, and says what to do.
	got = e.expectCode(1, "migrate", "aws-auth", "-c", "legacy-cm")
	declMustContain(t, "401", got, "refused to show aws-auth to you (HTTP 401)", "--from aws-auth.yaml")
	// On hyperpod-demo admin is a cluster admin: the ConfigMap is read over HTTPS with an
	// EKS token.
	err := e.srv.Store().Update(func(d *state.Data) error {
		d.Clusters["hyperpod-demo"].AwsAuth = map[string]string{
			"mapUsers": "- userarn: " + declAcct + "user/erin\n  username: erin\n  groups: [viewers]\n",
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	m := e.mark()
	out, errOut, code := e.run("migrate", "aws-auth", "--hyperpod", "ml-team-hp")
	if code != 0 {
		t.Fatalf("migrate: exit %d\n%s", code, errOut)
	}
	declEqCounts(t, "migrate", e.mutating(m), nil)
	want := `apiVersion: eksaccess/v1
kind: AccessConfig
clusters:
  - hyperpod: ml-team-hp
    region: us-west-2
    authenticationMode: API_AND_CONFIG_MAP
    access:
      - principal: arn:aws:iam::111122223333:user/erin
        kubernetesGroups: [viewers]
        username: erin
`
	if out != want {
		t.Fatalf("migrated file:\n%s\nwant:\n%s", out, want)
	}
	declMustContain(t, "stderr", errOut, "migrated 1 of 1 mapping(s)")
}

// On legacy-cm (CONFIG_MAP) only principals mapped in aws-auth reach the Kubernetes API:
// PlatformAdmin (system:masters) reads the ConfigMap, and migrate converts the seed's.
func TestMigrateLegacyClusterAsMappedAdmin(t *testing.T) {
	e := newDeclEnv(t)
	e.useUser("alice") // alice has an MFA device; PlatformAdmin's trust requires MFA
	stsc := sts.New(sts.Options{Region: "us-west-2", BaseEndpoint: aws.String(e.srv.Endpoint()),
		Credentials: credentials.NewStaticCredentialsProvider(e.env["AWS_ACCESS_KEY_ID"], e.env["AWS_SECRET_ACCESS_KEY"], "")})
	out, err := stsc.AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String(declAcct + "role/PlatformAdmin"), RoleSessionName: aws.String("alice"),
		SerialNumber: aws.String(declAcct + "mfa/alice"), TokenCode: aws.String("123456"),
	})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	e.env["AWS_ACCESS_KEY_ID"], e.env["AWS_SECRET_ACCESS_KEY"], e.env["AWS_SESSION_TOKEN"] = *c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		t.Setenv(k, e.env[k])
	}
	file, errOut, code := e.run("migrate", "aws-auth", "-c", "legacy-cm")
	if code != 0 {
		t.Fatalf("migrate: exit %d\n%s", code, errOut)
	}
	declMustContain(t, "warnings", errOut, "mapAccounts entry 111122223333 not migrated", "migrated 5 of 6 mapping(s)")
	declMustContain(t, "file", file,
		"authenticationMode: API_AND_CONFIG_MAP",
		"principal: "+declSsoArn,
		"username: data-scientist:{{SessionName}}",
		"type: EC2_LINUX",
		"policy: AmazonEKSClusterAdminPolicy")
	p := e.write("legacy.yaml", file)
	// Apply as PlatformAdmin: its own new entry is the caller's path, and it works.
	e.mustRun("apply", "-f", p, "--yes")
	if got := e.authMode("legacy-cm"); got != "API_AND_CONFIG_MAP" {
		t.Fatalf("mode = %s", got)
	}
	e.expectCode(0, "plan", "-f", p, "--detailed-exitcode")
}
