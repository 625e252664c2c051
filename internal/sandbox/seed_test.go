package sandbox

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
)

func TestSeedNames(t *testing.T) {
	d := Seed(time.Now())
	if d.Account != "111122223333" || d.Partition != "aws" || d.Region != "us-west-2" {
		t.Fatalf("account/partition/region = %s/%s/%s", d.Account, d.Partition, d.Region)
	}
	var users []string
	for _, u := range d.Users {
		users = append(users, u.UserName)
		if u.Path != "/" || u.Arn != "arn:aws:iam::111122223333:user/"+u.UserName || !regexp.MustCompile(`^AIDA[A-Z2-7]{17}$`).MatchString(u.UserID) {
			t.Errorf("user %+v", u)
		}
	}
	sort.Strings(users)
	if strings.Join(users, ",") != "admin,alice,bob,carol,dave,erin" {
		t.Errorf("users = %v", users)
	}
	g := d.Groups["data-scientists"]
	if g == nil || strings.Join(g.Members, ",") != "alice,bob,carol" || g.Arn != "arn:aws:iam::111122223333:group/data-scientists" {
		t.Errorf("group = %+v", g)
	}

	// admin's key: the only long-term key, AKIA + 16, secret of 40.
	if len(d.AccessKeys) != 1 {
		t.Fatalf("%d access keys", len(d.AccessKeys))
	}
	id, secret, ok := AdminKey(d)
	if !ok || !regexp.MustCompile(`^AKIA[A-Z2-7]{16}$`).MatchString(id) || len(secret) != 40 {
		t.Errorf("admin key %q %q", id, secret)
	}
	if id2, _, _ := AdminKey(Seed(time.Now())); id2 == id {
		t.Error("two seeds share an access key")
	}
	cred, ok, _ := d.LookupCredential(id, time.Now())
	if !ok || cred.Caller.Arn != "arn:aws:iam::111122223333:user/admin" {
		t.Errorf("LookupCredential(admin key) = %+v %v", cred, ok)
	}

	roles := map[string]string{
		"SageMakerHyperPodNodeRole":                     "arn:aws:iam::111122223333:role/SageMakerHyperPodNodeRole",
		"AmazonEKSClusterRole":                          "arn:aws:iam::111122223333:role/AmazonEKSClusterRole",
		"AWSReservedSSO_DataScientist_0123456789abcdef": "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/us-west-2/AWSReservedSSO_DataScientist_0123456789abcdef",
	}
	for name, arn := range roles {
		r := d.Roles[strings.ToLower(name)]
		if r == nil || r.Arn != arn || r.RoleName != name || !regexp.MustCompile(`^AROA[A-Z2-7]{17}$`).MatchString(r.RoleID) {
			t.Errorf("role %s = %+v", name, r)
			continue
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(r.AssumeRolePolicyDocument), &doc); err != nil || doc["Version"] != "2012-10-17" {
			t.Errorf("role %s trust policy %q: %v", name, r.AssumeRolePolicyDocument, err)
		}
	}
	if !strings.Contains(d.Roles["amazoneksclusterrole"].AssumeRolePolicyDocument, `"Service":"eks.amazonaws.com"`) {
		t.Errorf("cluster role trust = %s", d.Roles["amazoneksclusterrole"].AssumeRolePolicyDocument)
	}
	for _, p := range []string{"arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"} {
		if mp := d.Policies[p]; mp == nil || !mp.AWSManaged || mp.DefaultVersionID != "v1" {
			t.Errorf("managed policy %s = %+v", p, mp)
		}
	}
	for _, u := range []string{"alice", "bob"} {
		m := d.MFADevices["arn:aws:iam::111122223333:mfa/"+u]
		if m == nil || m.UserName != u || m.Code != "123456" {
			t.Errorf("MFA %s = %+v", u, m)
		}
	}

	c := d.Clusters["hyperpod-demo"]
	if c == nil || c.AuthenticationMode != "API_AND_CONFIG_MAP" || c.Version != "1.32" || c.Status != "ACTIVE" ||
		c.RoleArn != roles["AmazonEKSClusterRole"] || c.CreatorArn != "arn:aws:iam::111122223333:user/admin" ||
		c.Arn != "arn:aws:eks:us-west-2:111122223333:cluster/hyperpod-demo" {
		t.Fatalf("hyperpod-demo = %+v", c)
	}
	if len(c.Entries) != 2 {
		t.Fatalf("hyperpod-demo has %d entries", len(c.Entries))
	}
	entryRe := regexp.MustCompile(`^arn:aws:eks:us-west-2:111122223333:access-entry/hyperpod-demo/(user|role)/111122223333/[^/]+/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	admin := c.Entries["arn:aws:iam::111122223333:user/admin"]
	if admin == nil || admin.Type != "STANDARD" || admin.Username != "arn:aws:iam::111122223333:user/admin" || !entryRe.MatchString(admin.AccessEntryArn) ||
		!strings.Contains(admin.AccessEntryArn, "/user/111122223333/admin/") {
		t.Fatalf("admin entry = %+v", admin)
	}
	ap := admin.Policies["arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"]
	if len(admin.Policies) != 1 || ap == nil || ap.ScopeType != "cluster" || len(ap.Namespaces) != 0 {
		t.Errorf("admin policies = %+v", admin.Policies)
	}
	node := c.Entries[roles["SageMakerHyperPodNodeRole"]]
	if node == nil || node.Type != "HYPERPOD_LINUX" || len(node.Policies) != 0 || node.Username != "system:node:{{EC2PrivateDNSName}}" ||
		!strings.Contains(node.AccessEntryArn, "/role/111122223333/SageMakerHyperPodNodeRole/") || !entryRe.MatchString(node.AccessEntryArn) {
		t.Errorf("node entry = %+v", node)
	}

	legacy := d.Clusters["legacy-cm"]
	if legacy == nil || legacy.AuthenticationMode != "CONFIG_MAP" || len(legacy.Entries) != 0 {
		t.Fatalf("legacy-cm = %+v", legacy)
	}
	for _, want := range []string{"system:bootstrappers", "system:nodes", "system:masters", "rolearn: arn:aws:iam::111122223333:role/AWSReservedSSO_DataScientist_0123456789abcdef"} {
		if !strings.Contains(legacy.AwsAuth["mapRoles"], want) {
			t.Errorf("mapRoles lacks %q:\n%s", want, legacy.AwsAuth["mapRoles"])
		}
	}
	if !strings.Contains(legacy.AwsAuth["mapUsers"], "userarn: arn:aws:iam::111122223333:user/alice") || !strings.Contains(legacy.AwsAuth["mapAccounts"], "111122223333") {
		t.Errorf("aws-auth = %v", legacy.AwsAuth)
	}

	hp := d.HyperPod["ml-team-hp"]
	if hp == nil || hp.ClusterStatus != "InService" || hp.EksClusterArn != c.Arn ||
		!regexp.MustCompile(`^arn:aws:sagemaker:us-west-2:111122223333:cluster/[a-z0-9]{12}$`).MatchString(hp.ClusterArn) {
		t.Errorf("ml-team-hp = %+v", hp)
	}
}

// TestSeedThroughEKS checks that the EKS service serves the seeded entries (what
// `eksaccess --sandbox entries list -c hyperpod-demo` prints on a fresh machine).
func TestSeedThroughEKS(t *testing.T) {
	s := start(t, Options{})
	cl := eksClient(s, adminCreds(t, s), clientOpts{})
	out, err := cl.ListAccessEntries(ctx(), &eks.ListAccessEntriesInput{ClusterName: aws.String(DemoCluster)})
	if err != nil {
		t.Fatal(err)
	}
	got := append([]string(nil), out.AccessEntries...)
	sort.Strings(got)
	want := []string{"arn:aws:iam::111122223333:role/SageMakerHyperPodNodeRole", "arn:aws:iam::111122223333:user/admin"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("ListAccessEntries = %v, want %v", got, want)
	}
	dc, err := cl.DescribeCluster(ctx(), &eks.DescribeClusterInput{Name: aws.String(DemoCluster)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(dc.Cluster.Endpoint) != s.KubeEndpoint(DemoCluster) {
		t.Errorf("cluster endpoint %q, want %q", aws.ToString(dc.Cluster.Endpoint), s.KubeEndpoint(DemoCluster))
	}
	if dc.Cluster.CertificateAuthority == nil || aws.ToString(dc.Cluster.CertificateAuthority.Data) != s.Config().CAData() {
		t.Errorf("certificateAuthority.data is not the sandbox CA")
	}
}

// A state seeded before identity policies were enforced still works: Start upgrades it.
func TestUpgradeSeedV1(t *testing.T) {
	d := Seed(seedEpoch)
	d.Version = 1
	d.Accounts = nil
	for _, u := range d.Users {
		u.InlinePolicies, u.AttachedPolicies = nil, nil
	}
	for _, g := range d.Groups {
		g.InlinePolicies, g.AttachedPolicies = nil, nil
	}
	if !UpgradeSeed(d, seedEpoch) {
		t.Fatal("UpgradeSeed changed nothing")
	}
	if d.Version != SeedVersion || d.ForAccount(PartnerAccount) == nil ||
		len(d.Users[DemoAdmin].AttachedPolicies) != 1 || d.Groups[DemoGroup].InlinePolicies["DataScientistSelfService"] == "" {
		t.Fatalf("upgraded: version %d, admin %v, group %v", d.Version, d.Users[DemoAdmin].AttachedPolicies, d.Groups[DemoGroup].InlinePolicies)
	}
	if UpgradeSeed(d, seedEpoch) {
		t.Fatal("a second upgrade changed something")
	}
}
