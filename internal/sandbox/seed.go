package sandbox

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"time"

	"eksaccess/internal/sandbox/state"
)

// The demo account every new sandbox starts with.
const (
	DemoAccount   = "111122223333"
	DemoRegion    = "us-west-2"
	DemoPartition = "aws"

	// DemoCluster is the EKS cluster (API_AND_CONFIG_MAP) that orchestrates DemoHyperPod.
	DemoCluster = "hyperpod-demo"
	// LegacyCluster is the EKS cluster in CONFIG_MAP mode, with an aws-auth ConfigMap.
	LegacyCluster = "legacy-cm"
	// DemoHyperPod is the SageMaker HyperPod cluster.
	DemoHyperPod = "ml-team-hp"
	// DemoHyperPodID is the 12-character id in DemoHyperPod's ARN.
	DemoHyperPodID = "a1b2c3d4e5f6"
	// DemoAdmin is the IAM user whose access key is the sandbox's default credentials.
	DemoAdmin = "admin"
	// DemoGroup holds alice, bob and carol.
	DemoGroup = "data-scientists"
	// DemoNodeRole is the HyperPod node role (HYPERPOD_LINUX entry on DemoCluster).
	DemoNodeRole = "SageMakerHyperPodNodeRole"
	// DemoClusterRole is the EKS cluster service role.
	DemoClusterRole = "AmazonEKSClusterRole"
	// DemoSSORole is the IAM Identity Center role, with its path.
	DemoSSORole     = "AWSReservedSSO_DataScientist_0123456789abcdef"
	DemoSSORolePath = "/aws-reserved/sso.amazonaws.com/us-west-2/"
	// DemoMFACode is the token code every virtual MFA device of the seed accepts.
	DemoMFACode = "123456"
)

// DemoUsers are the seeded IAM users, in order.
var DemoUsers = []string{"admin", "alice", "bob", "carol", "dave", "erin"}

// DemoGroupMembers are the members of DemoGroup.
var DemoGroupMembers = []string{"alice", "bob", "carol"}

// seedEpoch is when the seeded resources were "created": fixed, so listings are stable.
var seedEpoch = time.Date(2026, 1, 15, 9, 30, 0, 0, time.UTC)

// iamID forms a stable IAM unique id (prefix + 17 upper-case alphanumerics) from a name,
// so seeded ids are the same in every sandbox.
func iamID(prefix, name string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	sum := sha256.Sum256([]byte(prefix + "/" + name))
	var b strings.Builder
	b.WriteString(prefix)
	for i := 0; i < 17; i++ {
		b.WriteByte(alphabet[int(sum[i])%len(alphabet)])
	}
	return b.String()
}

// stableUUID forms a UUID-shaped string from a name (the suffix EKS puts in access-entry ARNs).
func stableUUID(name string) string {
	s := sha256.Sum256([]byte(name))
	h := fmt.Sprintf("%x", s[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func randomString(n int, alphabet string) string {
	var b strings.Builder
	max := big.NewInt(int64(len(alphabet)))
	for i := 0; i < n; i++ {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic("crypto/rand failed: " + err.Error())
		}
		b.WriteByte(alphabet[v.Int64()])
	}
	return b.String()
}

// NewAccessKeyID makes a random long-term access key id (AKIA + 16, 20 characters).
func NewAccessKeyID() string { return "AKIA" + randomString(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") }

// NewSecretAccessKey makes a random 40-character secret access key.
func NewSecretAccessKey() string {
	return randomString(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
}

func trustPolicy(principal map[string]any, action string, condition map[string]any) string {
	stmt := map[string]any{"Effect": "Allow", "Principal": principal, "Action": action}
	if condition != nil {
		stmt["Condition"] = condition
	}
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{stmt}})
	return string(b)
}

// awsManagedPolicies are the AWS managed IAM policies the seed carries (GetPolicy/ListPolicies).
var awsManagedPolicies = []struct{ name, path, desc, doc string }{
	{"AdministratorAccess", "/", "Provides full access to AWS services and resources.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`},
	{"ReadOnlyAccess", "/", "Provides read-only access to AWS services and resources.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["eks:Describe*","eks:List*","iam:Get*","iam:List*","sagemaker:Describe*","sagemaker:List*"],"Resource":"*"}]}`},
	{"AmazonEKSClusterPolicy", "/", "This policy provides Kubernetes the permissions it requires to manage resources on your behalf.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["autoscaling:DescribeAutoScalingGroups","ec2:DescribeInstances","elasticloadbalancing:DescribeLoadBalancers","kms:DescribeKey"],"Resource":"*"}]}`},
	{"AmazonEKSWorkerNodePolicy", "/", "This policy allows Amazon EKS worker nodes to connect to Amazon EKS Clusters.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:DescribeInstances","ec2:DescribeRouteTables","eks:DescribeCluster"],"Resource":"*"}]}`},
	{"AmazonEKS_CNI_Policy", "/", "This policy provides the Amazon VPC CNI Plugin (amazon-vpc-cni-k8s) the permissions it requires to modify the IP address configuration on your EKS worker nodes.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:AssignPrivateIpAddresses","ec2:AttachNetworkInterface","ec2:CreateNetworkInterface","ec2:DescribeNetworkInterfaces"],"Resource":"*"}]}`},
	{"AmazonSageMakerClusterInstanceRolePolicy", "/", "AWS managed policy for SageMaker HyperPod cluster instances.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["cloudwatch:PutMetricData","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}`},
	{"AmazonSageMakerFullAccess", "/", "Provides full access to Amazon SageMaker via the AWS Management Console and SDK.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sagemaker:*","Resource":"*"}]}`},
	{"IAMReadOnlyAccess", "/", "Provides read only access to IAM via the AWS Management Console.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GenerateCredentialReport","iam:Get*","iam:List*"],"Resource":"*"}]}`},
}

// Seed builds the demo account. Every call makes a fresh random access key for admin;
// everything else is the same each time.
func Seed(now time.Time) *state.Data {
	_ = now // the seed's timestamps are fixed so that listings are reproducible
	const acct, part, region = DemoAccount, DemoPartition, DemoRegion
	at := seedEpoch
	d := &state.Data{
		Version:    1,
		Account:    acct,
		Partition:  part,
		Region:     region,
		Clusters:   map[string]*state.Cluster{},
		HyperPod:   map[string]*state.HyperPodCluster{},
		Users:      map[string]*state.User{},
		Groups:     map[string]*state.Group{},
		Roles:      map[string]*state.Role{},
		Policies:   map[string]*state.ManagedPolicy{},
		AccessKeys: map[string]*state.AccessKey{},
		Sessions:   map[string]*state.Session{},
		MFADevices: map[string]*state.MFADevice{},
	}
	iamArn := func(kind, path, name string) string {
		return "arn:" + part + ":iam::" + acct + ":" + kind + path + name
	}

	for i, name := range DemoUsers {
		d.Users[name] = &state.User{
			Path:       "/",
			UserName:   name,
			UserID:     iamID("AIDA", name),
			Arn:        iamArn("user", "/", name),
			CreateDate: at.Add(time.Duration(i) * time.Minute),
		}
	}
	adminArn := d.Users[DemoAdmin].Arn
	keyID := NewAccessKeyID()
	d.AccessKeys[keyID] = &state.AccessKey{
		AccessKeyID:     keyID,
		SecretAccessKey: NewSecretAccessKey(),
		UserName:        DemoAdmin,
		Status:          "Active",
		CreateDate:      at,
	}

	d.Groups[DemoGroup] = &state.Group{
		Path:       "/",
		GroupName:  DemoGroup,
		GroupID:    iamID("AGPA", DemoGroup),
		Arn:        iamArn("group", "/", DemoGroup),
		CreateDate: at.Add(10 * time.Minute),
		Members:    append([]string(nil), DemoGroupMembers...),
	}

	for _, user := range []string{"alice", "bob"} {
		serial := "arn:" + part + ":iam::" + acct + ":mfa/" + user
		d.MFADevices[serial] = &state.MFADevice{SerialNumber: serial, UserName: user, Code: DemoMFACode}
	}

	for i, p := range awsManagedPolicies {
		arn := "arn:" + part + ":iam::aws:policy" + p.path + p.name
		d.Policies[arn] = &state.ManagedPolicy{
			PolicyName:       p.name,
			PolicyID:         iamID("ANPA", p.name),
			Arn:              arn,
			Path:             p.path,
			Description:      p.desc,
			Document:         p.doc,
			DefaultVersionID: "v1",
			CreateDate:       time.Date(2015, 2, 6, 18, 39, 46+i, 0, time.UTC),
			UpdateDate:       time.Date(2015, 2, 6, 18, 39, 46+i, 0, time.UTC),
			AWSManaged:       true,
		}
	}

	addRole := func(path, name, trust, desc string, maxSession int, policies ...string) *state.Role {
		r := &state.Role{
			Path:                     path,
			RoleName:                 name,
			RoleID:                   iamID("AROA", name),
			Arn:                      iamArn("role", path, name),
			CreateDate:               at.Add(20 * time.Minute),
			AssumeRolePolicyDocument: trust,
			Description:              desc,
			MaxSessionDuration:       maxSession,
			AttachedPolicies:         []string{},
		}
		for _, p := range policies {
			arn := "arn:" + part + ":iam::aws:policy/" + p
			r.AttachedPolicies = append(r.AttachedPolicies, arn)
			d.Policies[arn].AttachmentCount++
		}
		d.Roles[strings.ToLower(name)] = r
		return r
	}
	nodeRole := addRole("/", DemoNodeRole,
		trustPolicy(map[string]any{"Service": []string{"ec2.amazonaws.com", "sagemaker.amazonaws.com"}}, "sts:AssumeRole", nil),
		"Execution role of the ml-team-hp HyperPod instance groups.", 3600,
		"AmazonSageMakerClusterInstanceRolePolicy", "AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy")
	clusterRole := addRole("/", DemoClusterRole,
		trustPolicy(map[string]any{"Service": "eks.amazonaws.com"}, "sts:AssumeRole", nil),
		"Allows the EKS control plane to manage AWS resources for the cluster.", 3600,
		"AmazonEKSClusterPolicy")
	ssoRole := addRole(DemoSSORolePath, DemoSSORole,
		trustPolicy(map[string]any{"Federated": "arn:" + part + ":iam::" + acct + ":saml-provider/AWSSSO_0123456789abcdef_DO_NOT_DELETE"},
			"sts:AssumeRoleWithSAML",
			map[string]any{"StringEquals": map[string]any{"SAML:aud": "https://signin.aws.amazon.com/saml"}}),
		"", 43200, "ReadOnlyAccess")

	clusterArn := func(name string) string { return "arn:" + part + ":eks:" + region + ":" + acct + ":cluster/" + name }
	entryArn := func(cluster, kind, name string) string {
		return "arn:" + part + ":eks:" + region + ":" + acct + ":access-entry/" + cluster + "/" + kind + "/" + acct + "/" + name + "/" + stableUUID(cluster+"/"+kind+"/"+name)
	}
	adminPolicy := "arn:" + part + ":eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"

	d.Clusters[DemoCluster] = &state.Cluster{
		Name:                                    DemoCluster,
		Arn:                                     clusterArn(DemoCluster),
		ID:                                      stableUUID("cluster/" + DemoCluster),
		Version:                                 "1.32",
		PlatformVersion:                         "eks.9",
		RoleArn:                                 clusterRole.Arn,
		Status:                                  "ACTIVE",
		CreatedAt:                               at.Add(30 * time.Minute),
		AuthenticationMode:                      "API_AND_CONFIG_MAP",
		BootstrapClusterCreatorAdminPermissions: true,
		CreatorArn:                              adminArn,
		Tags:                                    map[string]string{"team": "ml-platform"},
		Entries: map[string]*state.AccessEntry{
			adminArn: {
				PrincipalArn:     adminArn,
				AccessEntryArn:   entryArn(DemoCluster, "user", DemoAdmin),
				Type:             "STANDARD",
				Username:         adminArn,
				KubernetesGroups: []string{},
				CreatedAt:        at.Add(30 * time.Minute),
				ModifiedAt:       at.Add(30 * time.Minute),
				Policies: map[string]*state.AssociatedPolicy{
					adminPolicy: {
						PolicyArn:    adminPolicy,
						ScopeType:    "cluster",
						Namespaces:   []string{},
						AssociatedAt: at.Add(30 * time.Minute),
						ModifiedAt:   at.Add(30 * time.Minute),
					},
				},
			},
			nodeRole.Arn: {
				PrincipalArn:     nodeRole.Arn,
				AccessEntryArn:   entryArn(DemoCluster, "role", DemoNodeRole),
				Type:             "HYPERPOD_LINUX",
				Username:         "system:node:{{EC2PrivateDNSName}}",
				KubernetesGroups: []string{},
				CreatedAt:        at.Add(45 * time.Minute),
				ModifiedAt:       at.Add(45 * time.Minute),
				Policies:         map[string]*state.AssociatedPolicy{},
			},
		},
	}

	legacyNode := addRole("/", "legacy-cm-node-role",
		trustPolicy(map[string]any{"Service": "ec2.amazonaws.com"}, "sts:AssumeRole", nil),
		"Node role of the legacy-cm managed node group.", 3600,
		"AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy")
	platformAdmin := addRole("/", "PlatformAdmin",
		trustPolicy(map[string]any{"AWS": "arn:" + part + ":iam::" + acct + ":root"}, "sts:AssumeRole",
			map[string]any{"Bool": map[string]any{"aws:MultiFactorAuthPresent": "true"}}),
		"Cluster administrators (mapped to system:masters on legacy-cm).", 3600,
		"AdministratorAccess")
	// aws-auth cannot carry a role path (aws-iam-authenticator does not match it), so the SSO
	// role is mapped the way the EKS user guide tells people to: with the path removed.
	ssoNoPath := "arn:" + part + ":iam::" + acct + ":role/" + ssoRole.RoleName
	d.Clusters[LegacyCluster] = &state.Cluster{
		Name:                                    LegacyCluster,
		Arn:                                     clusterArn(LegacyCluster),
		ID:                                      stableUUID("cluster/" + LegacyCluster),
		Version:                                 "1.30",
		PlatformVersion:                         "eks.20",
		RoleArn:                                 clusterRole.Arn,
		Status:                                  "ACTIVE",
		CreatedAt:                               at.Add(-240 * time.Hour),
		AuthenticationMode:                      "CONFIG_MAP",
		BootstrapClusterCreatorAdminPermissions: true,
		CreatorArn:                              adminArn,
		Entries:                                 map[string]*state.AccessEntry{},
		AwsAuth: map[string]string{
			"mapRoles": "- rolearn: " + legacyNode.Arn + "\n" +
				"  username: system:node:{{EC2PrivateDNSName}}\n" +
				"  groups:\n    - system:bootstrappers\n    - system:nodes\n" +
				"- rolearn: " + platformAdmin.Arn + "\n" +
				"  username: platform-admin:{{SessionName}}\n" +
				"  groups:\n    - system:masters\n" +
				"- rolearn: " + ssoNoPath + "\n" +
				"  username: data-scientist:{{SessionName}}\n" +
				"  groups:\n    - hyperpod-scientist-user-cluster-level\n    - hyperpod-scientist-user-namespace-level\n",
			"mapUsers": "- userarn: " + d.Users["alice"].Arn + "\n" +
				"  username: alice\n" +
				"  groups:\n    - hyperpod-scientist-user-namespace-level\n" +
				"- userarn: " + d.Users["dave"].Arn + "\n" +
				"  username: dave\n" +
				"  groups:\n    - view-only\n",
			"mapAccounts": "- \"" + acct + "\"\n",
		},
	}

	d.HyperPod[DemoHyperPod] = &state.HyperPodCluster{
		ClusterName:   DemoHyperPod,
		ClusterArn:    "arn:" + part + ":sagemaker:" + region + ":" + acct + ":cluster/" + DemoHyperPodID,
		ClusterStatus: "InService",
		CreationTime:  at.Add(time.Hour),
		EksClusterArn: clusterArn(DemoCluster),
		InstanceGroups: []state.InstanceGroup{
			{InstanceGroupName: "controller-group", InstanceType: "ml.m5.2xlarge", CurrentCount: 1, TargetCount: 1, ExecutionRole: nodeRole.Arn},
			{InstanceGroupName: "worker-group-1", InstanceType: "ml.g5.8xlarge", CurrentCount: 4, TargetCount: 4, ExecutionRole: nodeRole.Arn},
		},
	}
	d.Seq = 1000
	return d
}

// AdminKey returns the demo admin's first active access key (the sandbox's default credentials).
func AdminKey(d *state.Data) (id, secret string, ok bool) {
	var best *state.AccessKey
	for _, k := range d.AccessKeys {
		if !strings.EqualFold(k.UserName, DemoAdmin) || (k.Status != "" && k.Status != "Active") {
			continue
		}
		if best == nil || k.CreateDate.Before(best.CreateDate) || (k.CreateDate.Equal(best.CreateDate) && k.AccessKeyID < best.AccessKeyID) {
			best = k
		}
	}
	if best == nil {
		return "", "", false
	}
	return best.AccessKeyID, best.SecretAccessKey, true
}
