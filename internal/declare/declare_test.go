package declare

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"eksaccess/internal/accessfile"
	"eksaccess/internal/awsapi"
	"eksaccess/internal/plan"
	"eksaccess/internal/principal"
)

const acct = "arn:aws:iam::111122223333:"

// fakeIAM answers GetUser, GetRole, GetGroup and ListRoles from maps and counts calls.
type fakeIAM struct {
	awsapi.IAM
	mu    sync.Mutex
	roles []types.Role
	users map[string]bool
	calls map[string]int
}

func (f *fakeIAM) count(op string) {
	f.mu.Lock()
	f.calls[op]++
	f.mu.Unlock()
}

func (f *fakeIAM) GetUser(_ context.Context, in *iam.GetUserInput, _ ...func(*iam.Options)) (*iam.GetUserOutput, error) {
	f.count("GetUser " + *in.UserName)
	if !f.users[*in.UserName] {
		return nil, &types.NoSuchEntityException{Message: aws.String("no such user")}
	}
	return &iam.GetUserOutput{User: &types.User{UserName: in.UserName, Path: aws.String("/"), Arn: aws.String(acct + "user/" + *in.UserName)}}, nil
}

func (f *fakeIAM) GetRole(_ context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	f.count("GetRole " + *in.RoleName)
	for _, r := range f.roles {
		if strings.EqualFold(*r.RoleName, *in.RoleName) {
			return &iam.GetRoleOutput{Role: &r}, nil
		}
	}
	return nil, &types.NoSuchEntityException{Message: aws.String("no such role")}
}

func (f *fakeIAM) GetGroup(_ context.Context, in *iam.GetGroupInput, _ ...func(*iam.Options)) (*iam.GetGroupOutput, error) {
	f.count("GetGroup " + *in.GroupName)
	if *in.GroupName != "devs" {
		return nil, &types.NoSuchEntityException{Message: aws.String("no such group")}
	}
	return &iam.GetGroupOutput{Users: []types.User{
		{UserName: aws.String("alice"), Path: aws.String("/"), Arn: aws.String(acct + "user/alice")},
		{UserName: aws.String("bob"), Path: aws.String("/"), Arn: aws.String(acct + "user/bob")},
	}}, nil
}

func (f *fakeIAM) ListRoles(_ context.Context, in *iam.ListRolesInput, _ ...func(*iam.Options)) (*iam.ListRolesOutput, error) {
	f.count("ListRoles")
	var out []types.Role
	for _, r := range f.roles {
		if strings.HasPrefix(*r.Path, aws.ToString(in.PathPrefix)) {
			out = append(out, r)
		}
	}
	return &iam.ListRolesOutput{Roles: out}, nil
}

func role(path, name string) types.Role {
	return types.Role{RoleName: aws.String(name), Path: aws.String(path), Arn: aws.String(acct + "role" + path + name)}
}

func newFake() *fakeIAM {
	return &fakeIAM{users: map[string]bool{"alice": true, "bob": true, "carol": true}, calls: map[string]int{},
		roles: []types.Role{
			role("/aws-reserved/sso.amazonaws.com/us-west-2/", "AWSReservedSSO_Data_0123abcd"),
			role("/aws-reserved/sso.amazonaws.com/", "AWSReservedSSO_DataScientist_89ab"),
			role("/teams/", "ml"),
		}}
}

// accessHeader opens every access file these tests resolve; the line numbers in their
// messages count its three lines.
const accessHeader = "apiVersion: eksaccess/v1\nkind: AccessConfig\nclusters:\n"

// resolve resolves the access file access.yaml that lists clusters (YAML from line 4 on).
func resolve(t *testing.T, f *fakeIAM, clusters string) ([]Cluster, error) {
	t.Helper()
	cfg, err := accessfile.Parse("access.yaml", []byte(accessHeader+clusters), accessfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return Resolve(context.Background(), cfg, Options{
		IAM: f, Caller: principal.Caller{Account: "111122223333", Partition: "aws"}, Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		HyperPod: func(_ context.Context, name, region string) (awsapi.EKSCluster, error) {
			return awsapi.EKSCluster{Name: "eks-of-" + name, Region: region}, nil
		},
	})
}

func TestResolve(t *testing.T) {
	f := newFake()
	cls, err := resolve(t, f, `  - hyperpod: hp
    region: us-west-2
    prune: true
    access:
      - permissionSet: Data
        policies: [{policy: AmazonEKSViewPolicy, namespaces: [b, a]}]
        expires: 30d
      - iamGroup: devs
        kubernetesGroups: [g]
        username: "team:{{SessionName}}"
        tags: {team: x}
        expires: 2030-01-01
      - principal: role/ml
        policies: [{policy: AmazonEKSClusterAdminPolicy}]
  - name: other
    region: us-west-2
    access:
      - principal: alice
      - principal: arn:aws:iam::111122223333:user/bob
`)
	if err != nil {
		t.Fatal(err)
	}
	if len(cls) != 2 || cls[0].Name != "eks-of-hp" || !cls[0].Prune || cls[0].Source != "access.yaml:4" || cls[1].Name != "other" {
		t.Fatalf("clusters = %+v", cls)
	}
	var got []string
	for _, d := range cls[0].Desired {
		s := d.PrincipalArn + " " + d.Source
		for _, p := range d.Policies {
			s += " " + plan.DescribePolicy(p.PolicyArn, p.Namespaces)
		}
		exp := ""
		if !d.ExpiresAt.IsZero() {
			exp = plan.FormatExpiry(d.ExpiresAt)
		}
		s += " tags=" + d.Tags[plan.TagManaged] + "," + exp + "," + d.Tags["team"]
		if d.ExpiresSpec != "" {
			s += " relative=" + d.ExpiresSpec
		}
		if d.Username != nil {
			s += " user=" + *d.Username
		}
		s += " groups=" + strings.Join(d.KubernetesGroups, ",") + " remove=" + strings.Join(d.RemoveTags, ",")
		got = append(got, s)
	}
	want := []string{
		acct + "role/aws-reserved/sso.amazonaws.com/us-west-2/AWSReservedSSO_Data_0123abcd access.yaml:8 AmazonEKSViewPolicy(a,b) tags=true,2026-01-31T00:00:00Z, relative=30d groups= remove=",
		acct + "user/alice access.yaml:11 tags=true,2030-01-01T00:00:00Z,x user=team:{{SessionName}} groups=g remove=",
		acct + "user/bob access.yaml:11 tags=true,2030-01-01T00:00:00Z,x user=team:{{SessionName}} groups=g remove=",
		acct + "role/teams/ml access.yaml:16 AmazonEKSClusterAdminPolicy(cluster) tags=true,, groups= remove=",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("desired:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(cls[1].Desired) != 2 {
		t.Fatalf("other = %+v", cls[1].Desired)
	}
	// Each distinct reference is looked up once for the whole file.
	if f.calls["GetUser alice"] != 1 || f.calls["GetRole ml"] != 1 || f.calls["GetGroup devs"] != 1 || f.calls["ListRoles"] != 1 {
		t.Fatalf("calls = %v", f.calls)
	}
}

func TestResolveProblems(t *testing.T) {
	clusters := `  - name: c
    region: us-west-2
    access:
      - principal: alice
      - iamGroup: devs
      - permissionSet: Nope
      - principal: dave
      - iamGroup: nobody
`
	_, err := resolve(t, newFake(), clusters+`  - name: d
    region: cn-north-1
`)
	if err == nil {
		t.Fatal("no error")
	}
	// Cluster problems stop before principals are looked up.
	if got := err.Error(); got != "access.yaml:12: cluster region cn-north-1 is in partition aws-cn, but your credentials are in aws: use credentials for that partition, or split the file by partition" {
		t.Fatalf("err = %s", got)
	}
	_, err = resolve(t, newFake(), clusters)
	for _, want := range []string{
		"access.yaml:8: " + acct + "user/alice is also given access by the item at access.yaml:7",
		"access.yaml:9: no IAM Identity Center role for permission set Nope",
		"access.yaml:10: no IAM user named dave",
		"access.yaml:11 (IAM group nobody): no IAM group named nobody",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err lacks %q:\n%v", want, err)
		}
	}
	if !principal.IsInputError(err) {
		t.Fatalf("not an input error: %T", err)
	}
}

func TestResolveTeams(t *testing.T) {
	f := newFake()
	cls, err := resolve(t, f, `  - name: c
    region: us-west-2
    access:
      - principal: alice
        kubernetesGroups: [ops]
        policies: [{policy: AmazonEKSViewPolicy}]
    teams:
      - name: ml
        members:
          - principal: alice
          - iamGroup: devs
      - name: nlp
        rbac: hyperpod-cli
        namespace: nlp-jobs
        members:
          - principal: bob
          - principal: role/ml
      - name: idle
`)
	if err != nil {
		t.Fatal(err)
	}
	c := cls[0]
	var got []string
	for _, d := range c.Desired {
		got = append(got, d.PrincipalArn+" "+d.Source+" groups="+strings.Join(d.KubernetesGroups, ",")+" policies="+strconv.Itoa(len(d.Policies))+" managed="+d.Tags[plan.TagManaged])
	}
	mlNS := "hyperpod-scientist-user-namespace-level-hyperpod-ns-ml,hyperpod-scientist-user-cluster-level"
	want := []string{
		// alice: her item's groups and policy, and team ml's groups.
		acct + "user/alice access.yaml:7 groups=ops," + mlNS + " policies=1 managed=true",
		// bob through the devs group (ml) and by name (nlp): one entry with both teams' groups.
		acct + "user/bob access.yaml:14 groups=" + mlNS + ",hyperpod-ns-nlp-namespace-level-group policies=0 managed=true",
		acct + "role/teams/ml access.yaml:20 groups=hyperpod-ns-nlp-namespace-level-group policies=0 managed=true",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("desired:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(c.Teams) != 3 {
		t.Fatalf("teams = %+v", c.Teams)
	}
	ml, nlp, idle := c.Teams[0], c.Teams[1], c.Teams[2]
	if ml.Name != "ml" || ml.Namespace != "hyperpod-ns-ml" || ml.Variant != "sagemaker-guide" || ml.Source != "access.yaml:11" ||
		strings.Join(ml.Members, " ") != acct+"user/alice "+acct+"user/bob" {
		t.Errorf("team ml = %+v", ml)
	}
	if nlp.Namespace != "nlp-jobs" || nlp.Variant != "hyperpod-cli" || nlp.RoleBinding.Namespace != "nlp-jobs" ||
		strings.Join(nlp.Members, " ") != acct+"role/teams/ml "+acct+"user/bob" {
		t.Errorf("team nlp = %+v", nlp)
	}
	if idle.Name != "idle" || len(idle.Members) != 0 {
		t.Errorf("team idle = %+v", idle)
	}
	// alice is looked up once though the file names her twice.
	if f.calls["GetUser alice"] != 1 || f.calls["GetGroup devs"] != 1 {
		t.Errorf("calls = %v", f.calls)
	}
}

func TestResolveTeamMemberWithNodeEntry(t *testing.T) {
	// The same role, spelled differently: the loader cannot see it; the resolver can.
	_, err := resolve(t, newFake(), `  - name: c
    region: us-west-2
    access:
      - principal: role/ml
        type: EC2_LINUX
    teams:
      - name: ml
        members:
          - principal: arn:aws:iam::111122223333:role/teams/ml
          - principal: nobody
`)
	for _, want := range []string{
		"access.yaml:12: " + acct + "role/teams/ml is a member of team ml, but the item at access.yaml:7 makes it a EC2_LINUX access entry, which takes no Kubernetes groups",
		"access.yaml:13: no IAM user named nobody",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err lacks %q:\n%v", want, err)
		}
	}
}
