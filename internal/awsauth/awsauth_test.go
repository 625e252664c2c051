package awsauth

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"eksaccess/internal/accessfile"
)

func TestConvertRealistic(t *testing.T) {
	data, err := os.ReadFile("testdata/aws-auth.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cm, err := Parse("aws-auth.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(cm.Roles) != 8 || len(cm.Users) != 3 || len(cm.Accounts) != 2 {
		t.Fatalf("roles %d users %d accounts %d", len(cm.Roles), len(cm.Users), len(cm.Accounts))
	}
	if cm.Roles[0].Pos != (Position{Line: 9, Col: 7}) || cm.Users[2].Pos != (Position{Line: 48, Col: 7}) || cm.Accounts[1].Pos != (Position{Line: 52, Col: 7}) {
		t.Errorf("positions: role0 %v user2 %v account1 %v", cm.Roles[0].Pos, cm.Users[2].Pos, cm.Accounts[1].Pos)
	}
	cl, warns := Convert(cm, Options{ClusterName: "ml-prod", Region: "us-west-2"})
	admin := []accessfile.PolicyRef{{Policy: "AmazonEKSClusterAdminPolicy"}}
	want := []accessfile.AccessItem{
		{Principal: "arn:aws:iam::111122223333:role/eks-node-group-role", Type: "EC2_LINUX"},
		{Principal: "arn:aws:iam::111122223333:role/eks-windows-nodes", Type: "EC2_WINDOWS"},
		{Principal: "arn:aws:iam::111122223333:role/eks-fargate-pods", Type: "FARGATE_LINUX"},
		{Principal: "arn:aws:iam::111122223333:role/Admin", Policies: admin, Username: "admin:{{SessionName}}"},
		{Principal: "arn:aws:iam::111122223333:role/AWSReservedSSO_DataScientist_0123456789abcdef", KubernetesGroups: []string{"data-scientists"}, Username: "sso:{{SessionName}}"},
		{Principal: "arn:aws:iam::111122223333:role/teams/ml/ml-engineers", KubernetesGroups: []string{"ml-engineers"}, Username: "ml-111122223333"},
		{Principal: "arn:aws:iam::111122223333:role/ci", KubernetesGroups: []string{"deployers"}},
		{Principal: "arn:aws:iam::111122223333:user/ops/alice", Policies: admin, KubernetesGroups: []string{"ops"}, Username: "alice"},
		{Principal: "arn:aws:iam::111122223333:user/bob"},
		{Principal: "arn:aws:iam::111122223333:user/carol", KubernetesGroups: []string{"viewers"}},
	}
	if cl.Name != "ml-prod" || cl.Region != "us-west-2" || !reflect.DeepEqual(cl.Access, want) {
		t.Errorf("cluster %s/%s access:\n%+v\nwant:\n%+v", cl.Name, cl.Region, cl.Access, want)
	}
	wantWarns := []string{
		`aws-auth.yaml:27:7: role arn:aws:iam::111122223333:role/AWSReservedSSO_DataScientist_0123456789abcdef is an IAM Identity Center role written without its path (as aws-auth requires); the access entry needs the full ARN with /aws-reserved/sso.amazonaws.com/: kept as written, so resolve it (run migrate with IAM access) or replace it with permissionSet: DataScientist`,
		`aws-auth.yaml:27:7: role arn:aws:iam::111122223333:role/AWSReservedSSO_DataScientist_0123456789abcdef: group "system:authenticated" not migrated: EKS refuses system: groups (and node groups) on STANDARD entries; use an access policy or a group bound by RBAC`,
		`aws-auth.yaml:32:7: role arn:aws:iam::111122223333:role/teams/ml/ml-engineers has a path, but aws-auth matches role ARNs without their path, so this mapping probably never took effect; kept as written: check that the access is wanted`,
		`aws-auth.yaml:32:7: role arn:aws:iam::111122223333:role/teams/ml/ml-engineers: templated group "{{SessionName}}-grou…" not migrated: access-entry groups are literal names; list the groups it expands to`,
		`aws-auth.yaml:32:7: role arn:aws:iam::111122223333:role/teams/ml/ml-engineers: username "ml-{{AccountID}}" uses {{AccountID}}, which access entries do not support; migrated as "ml-111122223333" (the principal's account)`,
		`aws-auth.yaml:35:7: role arn:aws:iam::111122223333:role/ci: username not migrated, EKS will generate one: username "system:ci" starts with system:, which EKS reserves (system: eks: aws: amazon: iam:): choose another username, or leave it out to let EKS generate one`,
		`aws-auth.yaml:38:7: key "extra" in data.mapRoles is ignored by EKS too; not migrated`,
		`aws-auth.yaml:39:7: mapRoles item not migrated: principal "arn:aws:sts::1111222…" is an STS session, which access entries cannot use; use the role's IAM ARN arn:aws:iam::111122223333:role/ci (with its path, if any)`,
		`aws-auth.yaml:46:7: user arn:aws:iam::111122223333:user/bob: username not migrated, EKS will generate one: username "bob{{SessionName}}" needs a colon before {{SessionName}}: write it like team:{{SessionName}}`,
		`aws-auth.yaml:51:7: mapAccounts entry 444455556666 not migrated: access entries name single IAM principals, not whole accounts; add an item for each principal of account 444455556666 that needs access`,
		`aws-auth.yaml:52:7: mapAccounts entry 777788889999 not migrated: access entries name single IAM principals, not whole accounts; add an item for each principal of account 777788889999 that needs access`,
	}
	var got []string
	for _, w := range warns {
		got = append(got, w.String())
	}
	if !reflect.DeepEqual(got, wantWarns) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantWarns, "\n"))
	}
	// Every input mapping is either converted or warned about.
	if converted := len(cl.Access); converted+1 != len(cm.Roles)+len(cm.Users) {
		t.Errorf("converted %d of %d mappings; only the STS one should be skipped", len(cl.Access), len(cm.Roles)+len(cm.Users))
	}
	// The result is a valid access file.
	out, err := accessfile.Marshal(&accessfile.Config{Clusters: []accessfile.Cluster{*cl}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := accessfile.Parse("migrated.yaml", out, accessfile.Options{}); err != nil {
		t.Fatalf("migrated file does not load: %v\n%s", err, out)
	}
}

func TestConvertResolveRole(t *testing.T) {
	src := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: aws-auth, namespace: kube-system}\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_abc\n      groups: [system:masters]\n    - rolearn: arn:aws:iam::111122223333:role/gone\n"
	cm, err := Parse("cm.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	resolve := func(arn string) (string, error) {
		if strings.HasSuffix(arn, "/AWSReservedSSO_Admin_abc") {
			return "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/us-west-2/AWSReservedSSO_Admin_abc", nil
		}
		return "", errors.New("NoSuchEntity")
	}
	cl, warns := Convert(cm, Options{ClusterName: "c", Region: "us-west-2", ResolveRole: resolve})
	if got := cl.Access[0].Principal; got != "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/us-west-2/AWSReservedSSO_Admin_abc" {
		t.Errorf("resolved principal = %s", got)
	}
	if len(warns) != 1 || warns[0].String() != "cm.yaml:8:7: role arn:aws:iam::111122223333:role/gone could not be resolved to its full ARN (NoSuchEntity); kept as written: fix the principal if the role has a path" {
		t.Errorf("warnings = %v", warns)
	}
}

func TestConvertNodeOddities(t *testing.T) {
	src := `apiVersion: v1
kind: ConfigMap
metadata:
  name: aws-auth
  namespace: kube-system
data:
  mapRoles: |
    - rolearn: arn:aws:iam::111122223333:role/hybrid
      username: system:node:{{SessionName}}
      groups: [system:bootstrappers, system:nodes]
    - rolearn: arn:aws:iam::111122223333:role/odd-node
      username: node
      groups: [system:nodes, system:masters]
    - rolearn: arn:aws:iam::111122223333:role/hybrid
      groups: [viewers]
    - groups: [viewers]
`
	cm, err := Parse("cm.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	cl, warns := Convert(cm, Options{ClusterName: "c", Region: "us-west-2"})
	want := []accessfile.AccessItem{
		{Principal: "arn:aws:iam::111122223333:role/hybrid", Type: "HYBRID_LINUX"},
		{Principal: "arn:aws:iam::111122223333:role/odd-node", Type: "EC2_LINUX"},
	}
	if !reflect.DeepEqual(cl.Access, want) {
		t.Errorf("access = %+v", cl.Access)
	}
	wantWarns := []string{
		"cm.yaml:8:7: role arn:aws:iam::111122223333:role/hybrid maps nodes named by session (system:node:{{SessionName}}) without system:node-proxier: migrated as HYBRID_LINUX (hybrid nodes); change type to EC2_LINUX if these are EC2 nodes",
		"cm.yaml:11:7: role arn:aws:iam::111122223333:role/odd-node has only some node groups (system:nodes, system:masters); migrated as a EC2_LINUX node entry, which gets both system:bootstrappers and system:nodes: check that it is a node role",
		"cm.yaml:11:7: role arn:aws:iam::111122223333:role/odd-node: groups system:masters not migrated: EC2_LINUX entries take no groups or policies; give that access through a separate STANDARD role",
		`cm.yaml:11:7: role arn:aws:iam::111122223333:role/odd-node: username "node" not migrated: EKS names EC2_LINUX nodes system:node:{{EC2PrivateDNSName}} itself`,
		"cm.yaml:14:7: role arn:aws:iam::111122223333:role/hybrid is mapped twice (first at line 8); EKS used only one mapping, so this one is not migrated: check which groups it should have",
		"cm.yaml:16:7: mapRoles item without rolearn not migrated: it maps no one; remove it from aws-auth",
	}
	var got []string
	for _, w := range warns {
		got = append(got, w.String())
	}
	if !reflect.DeepEqual(got, wantWarns) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantWarns, "\n"))
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"outer syntax", "apiVersion: v1\nkind: [ConfigMap\n", "cm.yaml:2:7: YAML syntax error: sequence end token ']' not found; fix the YAML of the ConfigMap"},
		{"inner syntax translated", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: aws-auth}\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/a\n      groups: [a, b\n", "cm.yaml:7:15: YAML syntax error in data.mapRoles: sequence end token ']' not found; fix the YAML inside the string"},
		{"inner syntax quoted", "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"aws-auth\"},\n \"data\": {\"mapRoles\": \"- rolearn: x\\n  groups: [a\\n\"}}\n", "cm.yaml:2:23: YAML syntax error in data.mapRoles: sequence end token ']' not found; fix the YAML inside the string"},
		{"not a configmap", "apiVersion: v1\nkind: Secret\n", `cm.yaml:1:1: the file is a "v1" "Secret", not a v1 ConfigMap; save the ConfigMap with kubectl get configmap aws-auth -n kube-system -o yaml`},
		{"empty", "", "cm.yaml:1:1: the file is empty; save the ConfigMap with kubectl get configmap aws-auth -n kube-system -o yaml"},
		{"no data", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: aws-auth}\n", "cm.yaml:1:1: the ConfigMap has no data; it maps no one, so there is nothing to migrate"},
		{"groups not list", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: aws-auth}\ndata:\n  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:user/a\n      groups: admins\n", "cm.yaml:7:15: groups must be a list of strings; write groups: [a, b]"},
		{"mapRoles not a list", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: aws-auth}\ndata:\n  mapRoles: |\n    rolearn: x\n", "cm.yaml:6:5: data.mapRoles must be a YAML list; start each item with '- '"},
		{"mapRoles structured", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: aws-auth}\ndata:\n  mapRoles:\n    - rolearn: x\n", "cm.yaml:6:5: data.mapRoles must be a string holding YAML (write mapRoles: |), not a structure; quote or indent it as a block"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("cm.yaml", []byte(tt.src))
			var fe *accessfile.Error
			if !errors.As(err, &fe) {
				t.Fatalf("err = %T %v", err, err)
			}
			if err.Error() != tt.want {
				t.Errorf("err =\n%s\nwant\n%s", err, tt.want)
			}
		})
	}
}

func TestParseJSONAndWarnings(t *testing.T) {
	src := `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"auth","namespace":"default"},
"data":{"mapUsers":"- userarn: arn:aws:iam::111122223333:user/a\n  groups: [devs]\n","other":"x"}}`
	cm, err := Parse("cm.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(cm.Users) != 1 || cm.Users[0].UserARN != "arn:aws:iam::111122223333:user/a" || !reflect.DeepEqual(cm.Users[0].Groups, []string{"devs"}) {
		t.Errorf("users = %+v", cm.Users)
	}
	var got []string
	for _, w := range cm.Warnings {
		got = append(got, w.String())
	}
	want := []string{
		"cm.json:1:1: the ConfigMap is default/auth, not kube-system/aws-auth; EKS reads only kube-system/aws-auth, so check that this is the right file",
		`cm.json:2:86: data key "other" is not read by EKS (only mapRoles, mapUsers and mapAccounts are); not migrated`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
