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
	// DemoDelegatedAdmin is the user whose policy lets her grant access on DemoCluster only
	// in namespaces team-a-* (the delegated-admin demo).
	DemoDelegatedAdmin = "erin"

	// PartnerAccount is the sandbox's second account, with its own admin, cluster and users,
	// and PartnerRole, a role that trusts DemoAccount.
	PartnerAccount = "444455556666"
	PartnerCluster = "partner-prod"
	PartnerRole    = "CrossAccountEKSAdmin"
	// PartnerSSORole is the role IAM Identity Center made for the DataScientist permission
	// set in PartnerAccount: the same permission set as DemoSSORole, another random suffix
	// and a path in another region (as each account's provisioning makes its own).
	PartnerSSORole     = "AWSReservedSSO_DataScientist_fedcba9876543210"
	PartnerSSORolePath = "/aws-reserved/sso.amazonaws.com/eu-west-1/"
)

// PartnerUsers are the IAM users of PartnerAccount.
var PartnerUsers = []string{"admin", "frank"}

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
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["eks:Describe*","eks:List*","iam:Get*","iam:List*","sagemaker:Describe*","sagemaker:List*","sts:GetCallerIdentity"],"Resource":"*"}]}`},
	{"IAMFullAccess", "/", "Provides full access to IAM via the AWS Management Console.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*","organizations:DescribeAccount","organizations:DescribeOrganization","organizations:DescribeOrganizationalUnit","organizations:DescribePolicy","organizations:ListChildren","organizations:ListParents","organizations:ListPoliciesForTarget","organizations:ListRoots","organizations:ListPolicies","organizations:ListTargetsForPolicy"],"Resource":"*"}]}`},
	{"IAMUserChangePassword", "/", "Provides the ability for an IAM user to change their own password.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ChangePassword"],"Resource":["arn:aws:iam::*:user/${aws:username}"]},{"Effect":"Allow","Action":["iam:GetAccountPasswordPolicy"],"Resource":"*"}]}`},
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

// Identity policies of the seed (documented in README's sandbox section).
const (
	// dataScientistPolicy (inline, group data-scientists): look at clusters and their
	// entries, look up IAM principals, assume the account's shared roles, manage one's own
	// access keys and see one's MFA devices; no access-entry changes.
	dataScientistPolicy = `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"ReadClusters","Effect":"Allow","Action":["eks:Describe*","eks:List*","sagemaker:DescribeCluster","sagemaker:ListClusters"],"Resource":"*"},` +
		`{"Sid":"DiscoverPrincipals","Effect":"Allow","Action":["iam:GetUser","iam:GetRole","iam:GetGroup","iam:ListUsers","iam:ListRoles"],"Resource":"*"},` +
		`{"Sid":"AssumeSharedRoles","Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::111122223333:role/*"},` +
		`{"Sid":"OwnCredentials","Effect":"Allow","Action":["iam:ListAccessKeys","iam:CreateAccessKey","iam:UpdateAccessKey","iam:DeleteAccessKey","iam:ListMFADevices","iam:ListGroupsForUser"],"Resource":"arn:aws:iam::111122223333:user/${aws:username}"}]}`
	// eksAccessAdminPolicy (customer managed EKSAccessAdministration, user dave): the
	// platform operator's policy, the recipe's eks:* plus reading IAM and SageMaker.
	eksAccessAdminPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"EKS","Effect":"Allow","Action":"eks:*","Resource":"*"},` +
		`{"Sid":"ReadIdentities","Effect":"Allow","Action":["iam:Get*","iam:List*","sagemaker:Describe*","sagemaker:List*"],"Resource":"*"}]}`
	// teamADelegatedAdminPolicy (inline, user erin): read clusters, entries and IAM
	// principals; create STANDARD entries on hyperpod-demo and associate access policies
	// only with a namespace scope inside team-a-*.
	teamADelegatedAdminPolicy = `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"Read","Effect":"Allow","Action":["eks:Describe*","eks:List*","iam:GetUser","iam:GetRole","iam:GetGroup","iam:ListUsers","iam:ListRoles","iam:ListGroups","sagemaker:Describe*","sagemaker:List*"],"Resource":"*"},` +
		`{"Sid":"CreateStandardEntries","Effect":"Allow","Action":["eks:CreateAccessEntry","eks:TagResource"],"Resource":["arn:aws:eks:us-west-2:111122223333:cluster/hyperpod-demo","arn:aws:eks:us-west-2:111122223333:access-entry/hyperpod-demo/*"],"Condition":{"StringEqualsIfExists":{"eks:accessEntryType":"STANDARD"}}},` +
		`{"Sid":"TeamANamespacesOnly","Effect":"Allow","Action":"eks:AssociateAccessPolicy","Resource":"arn:aws:eks:us-west-2:111122223333:access-entry/hyperpod-demo/*","Condition":{"StringEquals":{"eks:accessScope":"namespace"},"ForAllValues:StringLike":{"eks:namespaces":["team-a-*"]}}}]}`
	// crossAccountEKSPolicy (inline, PartnerRole): what the first account's platform team
	// may do in the partner account.
	crossAccountEKSPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:*","Resource":"*"},` +
		`{"Effect":"Allow","Action":["iam:GetUser","iam:GetRole","iam:GetGroup","iam:ListUsers","iam:ListRoles"],"Resource":"*"}]}`
	// partnerDeveloperPolicy (inline, user frank of the partner account): read-only EKS.
	partnerDeveloperPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["eks:DescribeCluster","eks:ListClusters"],"Resource":"*"}]}`
)

// SeedVersion is the version of the seed's data model: 2 added identity policies (enforced)
// and the second account.
const SeedVersion = 2

// UpgradeSeed brings a state seeded by an older version up to SeedVersion, so that a demo
// state directory made before IAM policies were enforced still works: the seeded users and
// groups that have no policies get the seed's, missing managed policies are added, and the
// second account appears. It reports whether it changed anything.
func UpgradeSeed(d *state.Data, now time.Time) bool {
	if d.Version >= SeedVersion {
		return false
	}
	fresh := Seed(now)
	for arn, p := range fresh.Policies {
		if _, ok := d.Policies[arn]; !ok {
			cp := *p
			cp.AttachmentCount = 0
			if d.Policies == nil {
				d.Policies = map[string]*state.ManagedPolicy{}
			}
			d.Policies[arn] = &cp
		}
	}
	attach := func(arns []string) {
		for _, a := range arns {
			if p := d.Policies[a]; p != nil {
				p.AttachmentCount++
			}
		}
	}
	for key, fu := range fresh.Users {
		if u, ok := d.Users[key]; ok && len(u.InlinePolicies) == 0 && len(u.AttachedPolicies) == 0 {
			u.InlinePolicies, u.AttachedPolicies = fu.InlinePolicies, fu.AttachedPolicies
			attach(u.AttachedPolicies)
		}
	}
	for key, fg := range fresh.Groups {
		if g, ok := d.Groups[key]; ok && len(g.InlinePolicies) == 0 && len(g.AttachedPolicies) == 0 {
			g.InlinePolicies, g.AttachedPolicies = fg.InlinePolicies, fg.AttachedPolicies
			attach(g.AttachedPolicies)
		}
	}
	if d.Accounts == nil {
		d.Accounts = fresh.Accounts
		for _, a := range d.Accounts {
			for _, u := range a.Users {
				attach(u.AttachedPolicies)
			}
			for _, r := range a.Roles {
				attach(r.AttachedPolicies)
			}
		}
	}
	d.Version = SeedVersion
	return true
}

// Seed builds the demo accounts. Every call makes fresh random access keys for the admins;
// everything else is the same each time.
func Seed(now time.Time) *state.Data {
	d := seedPrimary(now)
	d.Accounts = map[string]*state.Data{PartnerAccount: seedPartner(d)}
	return d
}

func emptyAccount(acct string) *state.Data {
	return &state.Data{
		Version:    SeedVersion,
		Account:    acct,
		Partition:  DemoPartition,
		Region:     DemoRegion,
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
}

// seedPartner builds PartnerAccount: users admin (AdministratorAccess, an access key) and
// frank, cluster partner-prod (API mode, admin's creator entry), and PartnerRole trusting
// DemoAccount. AWS managed policies are shared with the primary account's data.
func seedPartner(primary *state.Data) *state.Data {
	const acct, part, region = PartnerAccount, DemoPartition, DemoRegion
	at := seedEpoch.Add(2 * time.Hour)
	d := emptyAccount(acct)
	iamArn := func(kind, path, name string) string {
		return "arn:" + part + ":iam::" + acct + ":" + kind + path + name
	}
	for i, name := range PartnerUsers {
		d.Users[name] = &state.User{Path: "/", UserName: name, UserID: iamID("AIDA", acct+"/"+name), Arn: iamArn("user", "/", name), CreateDate: at.Add(time.Duration(i) * time.Minute)}
	}
	d.Users["admin"].AttachedPolicies = []string{"arn:aws:iam::aws:policy/AdministratorAccess"}
	primary.Policies["arn:aws:iam::aws:policy/AdministratorAccess"].AttachmentCount++
	d.Users["frank"].InlinePolicies = map[string]string{"PartnerDeveloper": partnerDeveloperPolicy}
	keyID := NewAccessKeyID()
	d.AccessKeys[keyID] = &state.AccessKey{AccessKeyID: keyID, SecretAccessKey: NewSecretAccessKey(), UserName: "admin", Status: "Active", CreateDate: at}

	clusterRole := &state.Role{
		Path: "/", RoleName: DemoClusterRole, RoleID: iamID("AROA", acct+"/"+DemoClusterRole), Arn: iamArn("role", "/", DemoClusterRole),
		CreateDate: at.Add(10 * time.Minute), AssumeRolePolicyDocument: trustPolicy(map[string]any{"Service": "eks.amazonaws.com"}, "sts:AssumeRole", nil),
		Description: "Allows the EKS control plane to manage AWS resources for the cluster.", MaxSessionDuration: 3600,
		AttachedPolicies: []string{"arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"},
	}
	primary.Policies["arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"].AttachmentCount++
	d.Roles[strings.ToLower(DemoClusterRole)] = clusterRole
	d.Roles[strings.ToLower(PartnerRole)] = &state.Role{
		Path: "/", RoleName: PartnerRole, RoleID: iamID("AROA", acct+"/"+PartnerRole), Arn: iamArn("role", "/", PartnerRole),
		CreateDate:               at.Add(10 * time.Minute),
		AssumeRolePolicyDocument: trustPolicy(map[string]any{"AWS": "arn:" + part + ":iam::" + DemoAccount + ":root"}, "sts:AssumeRole", nil),
		Description:              "The platform team of account " + DemoAccount + " administers this account's clusters.",
		MaxSessionDuration:       3600,
		AttachedPolicies:         []string{},
		InlinePolicies:           map[string]string{"EKSAdministration": crossAccountEKSPolicy},
	}
	d.Roles[strings.ToLower(PartnerSSORole)] = partnerSSORole(at)
	adminArn := d.Users["admin"].Arn
	adminPolicy := "arn:" + part + ":eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
	clusterArn := "arn:" + part + ":eks:" + region + ":" + acct + ":cluster/" + PartnerCluster
	d.Clusters[PartnerCluster] = &state.Cluster{
		Name: PartnerCluster, Arn: clusterArn, ID: stableUUID("cluster/" + acct + "/" + PartnerCluster),
		Version: "1.33", PlatformVersion: "eks.4", RoleArn: clusterRole.Arn, Status: "ACTIVE",
		CreatedAt: at.Add(20 * time.Minute), AuthenticationMode: "API",
		BootstrapClusterCreatorAdminPermissions: true, CreatorArn: adminArn,
		Tags: map[string]string{"team": "partner"},
		Entries: map[string]*state.AccessEntry{
			adminArn: {
				PrincipalArn:     adminArn,
				AccessEntryArn:   "arn:" + part + ":eks:" + region + ":" + acct + ":access-entry/" + PartnerCluster + "/user/" + acct + "/admin/" + stableUUID(acct+"/"+PartnerCluster+"/user/admin"),
				Type:             "STANDARD",
				Username:         adminArn,
				KubernetesGroups: []string{},
				CreatedAt:        at.Add(20 * time.Minute),
				ModifiedAt:       at.Add(20 * time.Minute),
				Policies: map[string]*state.AssociatedPolicy{adminPolicy: {
					PolicyArn: adminPolicy, ScopeType: "cluster", Namespaces: []string{},
					AssociatedAt: at.Add(20 * time.Minute), ModifiedAt: at.Add(20 * time.Minute),
				}},
			},
		},
	}
	d.Seq = 1000
	return d
}

// partnerSSORole is PartnerSSORole, trusted through the account's IAM Identity Center SAML
// provider.
func partnerSSORole(at time.Time) *state.Role {
	const acct, part = PartnerAccount, DemoPartition
	return &state.Role{
		Path: PartnerSSORolePath, RoleName: PartnerSSORole, RoleID: iamID("AROA", acct+"/"+PartnerSSORole),
		Arn:        "arn:" + part + ":iam::" + acct + ":role" + PartnerSSORolePath + PartnerSSORole,
		CreateDate: at.Add(15 * time.Minute),
		AssumeRolePolicyDocument: trustPolicy(map[string]any{"Federated": "arn:" + part + ":iam::" + acct + ":saml-provider/AWSSSO_fedcba9876543210_DO_NOT_DELETE"},
			"sts:AssumeRoleWithSAML",
			map[string]any{"StringEquals": map[string]any{"SAML:aud": "https://signin.aws.amazon.com/saml"}}),
		MaxSessionDuration: 43200, AttachedPolicies: []string{}, InlinePolicies: map[string]string{},
	}
}

func seedPrimary(now time.Time) *state.Data {
	_ = now // the seed's timestamps are fixed so that listings are reproducible
	const acct, part, region = DemoAccount, DemoPartition, DemoRegion
	at := seedEpoch
	d := emptyAccount(acct)
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
	d.Users[DemoAdmin].AttachedPolicies = []string{"arn:" + part + ":iam::aws:policy/AdministratorAccess"}
	d.Users["dave"].AttachedPolicies = []string{"arn:" + part + ":iam::" + acct + ":policy/EKSAccessAdministration"}
	d.Users[DemoDelegatedAdmin].InlinePolicies = map[string]string{"TeamANamespaceAdmin": teamADelegatedAdminPolicy}
	keyID := NewAccessKeyID()
	d.AccessKeys[keyID] = &state.AccessKey{
		AccessKeyID:     keyID,
		SecretAccessKey: NewSecretAccessKey(),
		UserName:        DemoAdmin,
		Status:          "Active",
		CreateDate:      at,
	}

	d.Groups[DemoGroup] = &state.Group{
		Path:             "/",
		GroupName:        DemoGroup,
		GroupID:          iamID("AGPA", DemoGroup),
		Arn:              iamArn("group", "/", DemoGroup),
		CreateDate:       at.Add(10 * time.Minute),
		Members:          append([]string(nil), DemoGroupMembers...),
		InlinePolicies:   map[string]string{"DataScientistSelfService": dataScientistPolicy},
		AttachedPolicies: []string{"arn:" + part + ":iam::aws:policy/IAMUserChangePassword"},
	}

	for _, user := range []string{"alice", "bob"} {
		serial := "arn:" + part + ":iam::" + acct + ":mfa/" + user
		d.MFADevices[serial] = &state.MFADevice{SerialNumber: serial, UserName: user, Code: DemoMFACode, EnableDate: at.Add(15 * time.Minute)}
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

	opArn := "arn:" + part + ":iam::" + acct + ":policy/EKSAccessAdministration"
	d.Policies[opArn] = &state.ManagedPolicy{
		PolicyName: "EKSAccessAdministration", PolicyID: iamID("ANPA", "EKSAccessAdministration"), Arn: opArn, Path: "/",
		Description: "Manage EKS clusters and their access entries; read IAM and SageMaker.",
		Document:    eksAccessAdminPolicy, DefaultVersionID: "v1", CreateDate: at.Add(5 * time.Minute), UpdateDate: at.Add(5 * time.Minute),
		Versions: []state.PolicyVersion{{VersionID: "v1", Document: eksAccessAdminPolicy, CreateDate: at.Add(5 * time.Minute)}},
	}
	for _, u := range d.Users {
		for _, a := range u.AttachedPolicies {
			d.Policies[a].AttachmentCount++
		}
	}
	for _, g := range d.Groups {
		for _, a := range g.AttachedPolicies {
			d.Policies[a].AttachmentCount++
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

	// newCluster is an ACTIVE cluster the admin created with creator admin permissions.
	newCluster := func(name, version, platform, mode string, created time.Time) *state.Cluster {
		return &state.Cluster{
			Name: name, Arn: clusterArn(name), ID: stableUUID("cluster/" + name),
			Version: version, PlatformVersion: platform, RoleArn: clusterRole.Arn, Status: "ACTIVE",
			CreatedAt: created, AuthenticationMode: mode,
			BootstrapClusterCreatorAdminPermissions: true, CreatorArn: adminArn,
		}
	}
	demo := newCluster(DemoCluster, "1.32", "eks.9", "API_AND_CONFIG_MAP", at.Add(30*time.Minute))
	d.Clusters[DemoCluster] = demo
	demo.Tags = map[string]string{"team": "ml-platform"}
	demo.Entries = map[string]*state.AccessEntry{
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
	legacy := newCluster(LegacyCluster, "1.30", "eks.20", "CONFIG_MAP", at.Add(-240*time.Hour))
	d.Clusters[LegacyCluster] = legacy
	legacy.Entries = map[string]*state.AccessEntry{}
	legacy.AwsAuth = map[string]string{
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
