package usecase

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"eksaccess/internal/awsapi"
	"eksaccess/internal/policy"
	"eksaccess/internal/principal"
)

const (
	acct      = "111122223333"
	iamPrefix = "arn:aws:iam::" + acct + ":"
	polPrefix = "arn:aws:eks::aws:cluster-access-policy/"
)

var clusterCreated = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// fakeEKS is an in-memory EKS access-entry API with the SDK's error types: enough of EKS's
// behaviour for the use cases (one cluster per name, entries, associations, tags, modes).
type fakeEKS struct {
	account  string // the account in cluster ARNs ("" → acct)
	mu       sync.Mutex
	clusters map[string]*fakeCluster
	calls    []string
}

type fakeCluster struct {
	name, mode string
	// endpoint, when set, is the cluster's Kubernetes API (the CA is a placeholder).
	endpoint string
	created  time.Time
	entries  map[string]*fakeEntry
}

type fakeEntry struct {
	arn, typ, username string
	groups             []string
	tags               map[string]string
	created            time.Time
	pols               map[string]ekstypes.AccessScope
}

func newFakeEKS() *fakeEKS { return &fakeEKS{clusters: map[string]*fakeCluster{}} }

func (f *fakeEKS) addCluster(name, mode string) *fakeCluster {
	c := &fakeCluster{name: name, mode: mode, created: clusterCreated, entries: map[string]*fakeEntry{}}
	f.clusters[name] = c
	return c
}

// add puts an entry on the cluster: policies as "Name" (cluster scope) or "Name:ns1,ns2".
func (c *fakeCluster) add(arn, typ string, created time.Time, tags map[string]string, pols ...string) *fakeEntry {
	e := &fakeEntry{arn: arn, typ: typ, tags: map[string]string{}, created: created, pols: map[string]ekstypes.AccessScope{}}
	for k, v := range tags {
		e.tags[k] = v
	}
	for _, p := range pols {
		name, ns, _ := strings.Cut(p, ":")
		s := ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster}
		if ns != "" {
			s = ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeNamespace, Namespaces: strings.Split(ns, ",")}
		}
		e.pols[polPrefix+name] = s
	}
	c.entries[arn] = e
	return e
}

func (f *fakeEKS) record(op string) {
	f.calls = append(f.calls, op)
}

// mutations counts the calls that change something.
func (f *fakeEKS) mutations() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		if !strings.HasPrefix(c, "List") && !strings.HasPrefix(c, "Describe") {
			out = append(out, c)
		}
	}
	return out
}

func notFound(what string) error {
	return &ekstypes.ResourceNotFoundException{Message: aws.String(what + " not found")}
}

func (f *fakeEKS) cluster(name *string) (*fakeCluster, error) {
	c, ok := f.clusters[aws.ToString(name)]
	if !ok {
		return nil, notFound("cluster " + aws.ToString(name))
	}
	return c, nil
}

func entryArn(cluster, principal string) string { return "ae/" + cluster + "/" + principal }

func (f *fakeEKS) ListClusters(ctx context.Context, in *eks.ListClustersInput, _ ...func(*eks.Options)) (*eks.ListClustersOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var names []string
	for n := range f.clusters {
		names = append(names, n)
	}
	sort.Strings(names)
	return &eks.ListClustersOutput{Clusters: names}, nil
}

// answer is the shape of the fake's operations: under the lock, record op and answer.
func answer[T any](f *fakeEKS, op string, fn func() (*T, error)) (*T, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(op)
	return fn()
}

// onCluster answers op from the cluster the call names (a ResourceNotFoundException without it).
func onCluster[T any](f *fakeEKS, op string, name *string, fn func(*fakeCluster) (*T, error)) (*T, error) {
	return answer(f, op, func() (*T, error) {
		c, err := f.cluster(name)
		if err != nil {
			return nil, err
		}
		return fn(c)
	})
}

// onEntry answers op from the access entry the call names (a ResourceNotFoundException without it).
func onEntry[T any](f *fakeEKS, op string, cluster, principal *string, fn func(*fakeCluster, *fakeEntry) *T) (*T, error) {
	return answer(f, op, func() (*T, error) {
		c, e, err := f.entry(cluster, principal)
		if err != nil {
			return nil, err
		}
		return fn(c, e), nil
	})
}

func (f *fakeEKS) DescribeCluster(ctx context.Context, in *eks.DescribeClusterInput, _ ...func(*eks.Options)) (*eks.DescribeClusterOutput, error) {
	return onCluster(f, "DescribeCluster", in.Name, func(c *fakeCluster) (*eks.DescribeClusterOutput, error) {
		out := &ekstypes.Cluster{Name: aws.String(c.name), Arn: aws.String("arn:aws:eks:us-west-2:" + cmp.Or(f.account, acct) + ":cluster/" + c.name),
			CreatedAt: aws.Time(c.created), AccessConfig: &ekstypes.AccessConfigResponse{AuthenticationMode: ekstypes.AuthenticationMode(c.mode)}}
		if c.endpoint != "" {
			out.Endpoint, out.CertificateAuthority = aws.String(c.endpoint), &ekstypes.Certificate{Data: aws.String("Y2E=")}
		}
		return &eks.DescribeClusterOutput{Cluster: out}, nil
	})
}

func (f *fakeEKS) UpdateClusterConfig(ctx context.Context, in *eks.UpdateClusterConfigInput, _ ...func(*eks.Options)) (*eks.UpdateClusterConfigOutput, error) {
	return onCluster(f, "UpdateClusterConfig", in.Name, func(c *fakeCluster) (*eks.UpdateClusterConfigOutput, error) {
		c.mode = string(in.AccessConfig.AuthenticationMode)
		return &eks.UpdateClusterConfigOutput{}, nil
	})
}

func (f *fakeEKS) ListAccessPolicies(ctx context.Context, in *eks.ListAccessPoliciesInput, _ ...func(*eks.Options)) (*eks.ListAccessPoliciesOutput, error) {
	var out []ekstypes.AccessPolicy
	for _, n := range policy.ListedNames() {
		out = append(out, ekstypes.AccessPolicy{Name: aws.String(n), Arn: aws.String(polPrefix + n)})
	}
	return &eks.ListAccessPoliciesOutput{AccessPolicies: out}, nil
}

func (f *fakeEKS) ListAccessEntries(ctx context.Context, in *eks.ListAccessEntriesInput, _ ...func(*eks.Options)) (*eks.ListAccessEntriesOutput, error) {
	return onCluster(f, "ListAccessEntries", in.ClusterName, func(c *fakeCluster) (*eks.ListAccessEntriesOutput, error) {
		var arns []string
		for a := range c.entries {
			arns = append(arns, a)
		}
		sort.Strings(arns)
		return &eks.ListAccessEntriesOutput{AccessEntries: arns}, nil
	})
}

func (f *fakeEKS) entry(cluster, principal *string) (*fakeCluster, *fakeEntry, error) {
	c, err := f.cluster(cluster)
	if err != nil {
		return nil, nil, err
	}
	e, ok := c.entries[aws.ToString(principal)]
	if !ok {
		return c, nil, notFound("access entry " + aws.ToString(principal))
	}
	return c, e, nil
}

func (f *fakeEKS) DescribeAccessEntry(ctx context.Context, in *eks.DescribeAccessEntryInput, _ ...func(*eks.Options)) (*eks.DescribeAccessEntryOutput, error) {
	return onEntry(f, "DescribeAccessEntry", in.ClusterName, in.PrincipalArn, func(c *fakeCluster, e *fakeEntry) *eks.DescribeAccessEntryOutput {
		tags := map[string]string{}
		for k, v := range e.tags {
			tags[k] = v
		}
		return &eks.DescribeAccessEntryOutput{AccessEntry: &ekstypes.AccessEntry{PrincipalArn: aws.String(e.arn), Type: aws.String(e.typ), Username: aws.String(e.username),
			KubernetesGroups: slices.Clone(e.groups), Tags: tags, AccessEntryArn: aws.String(entryArn(c.name, e.arn)), CreatedAt: aws.Time(e.created)}}
	})
}

func (f *fakeEKS) CreateAccessEntry(ctx context.Context, in *eks.CreateAccessEntryInput, _ ...func(*eks.Options)) (*eks.CreateAccessEntryOutput, error) {
	return onCluster(f, "CreateAccessEntry", in.ClusterName, func(c *fakeCluster) (*eks.CreateAccessEntryOutput, error) {
		arn := aws.ToString(in.PrincipalArn)
		if _, ok := c.entries[arn]; ok {
			return nil, &ekstypes.ResourceInUseException{Message: aws.String("exists")}
		}
		typ := aws.ToString(in.Type)
		if typ == "" {
			typ = "STANDARD"
		}
		e := c.add(arn, typ, clusterCreated.Add(24*time.Hour), in.Tags)
		e.username, e.groups = aws.ToString(in.Username), slices.Clone(in.KubernetesGroups)
		return &eks.CreateAccessEntryOutput{AccessEntry: &ekstypes.AccessEntry{PrincipalArn: in.PrincipalArn, AccessEntryArn: aws.String(entryArn(c.name, arn))}}, nil
	})
}

func (f *fakeEKS) UpdateAccessEntry(ctx context.Context, in *eks.UpdateAccessEntryInput, _ ...func(*eks.Options)) (*eks.UpdateAccessEntryOutput, error) {
	return onEntry(f, "UpdateAccessEntry", in.ClusterName, in.PrincipalArn, func(_ *fakeCluster, e *fakeEntry) *eks.UpdateAccessEntryOutput {
		if in.KubernetesGroups != nil {
			e.groups = slices.Clone(in.KubernetesGroups)
		}
		if in.Username != nil {
			e.username = *in.Username
		}
		return &eks.UpdateAccessEntryOutput{}
	})
}

func (f *fakeEKS) DeleteAccessEntry(ctx context.Context, in *eks.DeleteAccessEntryInput, _ ...func(*eks.Options)) (*eks.DeleteAccessEntryOutput, error) {
	return onEntry(f, "DeleteAccessEntry", in.ClusterName, in.PrincipalArn, func(c *fakeCluster, _ *fakeEntry) *eks.DeleteAccessEntryOutput {
		delete(c.entries, aws.ToString(in.PrincipalArn))
		return &eks.DeleteAccessEntryOutput{}
	})
}

func (f *fakeEKS) ListAssociatedAccessPolicies(ctx context.Context, in *eks.ListAssociatedAccessPoliciesInput, _ ...func(*eks.Options)) (*eks.ListAssociatedAccessPoliciesOutput, error) {
	return onEntry(f, "ListAssociatedAccessPolicies", in.ClusterName, in.PrincipalArn, func(_ *fakeCluster, e *fakeEntry) *eks.ListAssociatedAccessPoliciesOutput {
		var out []ekstypes.AssociatedAccessPolicy
		for arn, s := range e.pols {
			s := s
			out = append(out, ekstypes.AssociatedAccessPolicy{PolicyArn: aws.String(arn), AccessScope: &s})
		}
		sort.Slice(out, func(i, j int) bool { return *out[i].PolicyArn < *out[j].PolicyArn })
		return &eks.ListAssociatedAccessPoliciesOutput{AssociatedAccessPolicies: out}
	})
}

func (f *fakeEKS) AssociateAccessPolicy(ctx context.Context, in *eks.AssociateAccessPolicyInput, _ ...func(*eks.Options)) (*eks.AssociateAccessPolicyOutput, error) {
	return onEntry(f, "AssociateAccessPolicy", in.ClusterName, in.PrincipalArn, func(_ *fakeCluster, e *fakeEntry) *eks.AssociateAccessPolicyOutput {
		e.pols[aws.ToString(in.PolicyArn)] = *in.AccessScope
		return &eks.AssociateAccessPolicyOutput{}
	})
}

func (f *fakeEKS) DisassociateAccessPolicy(ctx context.Context, in *eks.DisassociateAccessPolicyInput, _ ...func(*eks.Options)) (*eks.DisassociateAccessPolicyOutput, error) {
	return onEntry(f, "DisassociateAccessPolicy", in.ClusterName, in.PrincipalArn, func(_ *fakeCluster, e *fakeEntry) *eks.DisassociateAccessPolicyOutput {
		delete(e.pols, aws.ToString(in.PolicyArn))
		return &eks.DisassociateAccessPolicyOutput{}
	})
}

func (f *fakeEKS) byEntryArn(arn string) (*fakeEntry, error) {
	for _, c := range f.clusters {
		for _, e := range c.entries {
			if entryArn(c.name, e.arn) == arn {
				return e, nil
			}
		}
	}
	return nil, notFound("resource " + arn)
}

// onTagged answers op from the access entry whose ARN the call names.
func onTagged[T any](f *fakeEKS, op string, arn *string, fn func(*fakeEntry) *T) (*T, error) {
	return answer(f, op, func() (*T, error) {
		e, err := f.byEntryArn(aws.ToString(arn))
		if err != nil {
			return nil, err
		}
		return fn(e), nil
	})
}

func (f *fakeEKS) TagResource(ctx context.Context, in *eks.TagResourceInput, _ ...func(*eks.Options)) (*eks.TagResourceOutput, error) {
	return onTagged(f, "TagResource", in.ResourceArn, func(e *fakeEntry) *eks.TagResourceOutput {
		for k, v := range in.Tags {
			e.tags[k] = v
		}
		return &eks.TagResourceOutput{}
	})
}

func (f *fakeEKS) UntagResource(ctx context.Context, in *eks.UntagResourceInput, _ ...func(*eks.Options)) (*eks.UntagResourceOutput, error) {
	return onTagged(f, "UntagResource", in.ResourceArn, func(e *fakeEntry) *eks.UntagResourceOutput {
		for _, k := range in.TagKeys {
			delete(e.tags, k)
		}
		return &eks.UntagResourceOutput{}
	})
}

func (f *fakeEKS) ListTagsForResource(ctx context.Context, in *eks.ListTagsForResourceInput, _ ...func(*eks.Options)) (*eks.ListTagsForResourceOutput, error) {
	return nil, fmt.Errorf("not used")
}

// fakeIAM knows users and roles by name (case-insensitively, as IAM) and groups.
type fakeIAM struct {
	awsapi.IAM
	users, roles map[string]string // lower-case name → ARN
	groups       map[string][]string
	// created overrides CreateDate (lower-case name → time; default clusterCreated).
	created map[string]time.Time
}

func (f *fakeIAM) createDate(name string) time.Time {
	if t, ok := f.created[strings.ToLower(name)]; ok {
		return t
	}
	return clusterCreated
}

func newFakeIAM(users, roles []string) *fakeIAM {
	f := &fakeIAM{users: map[string]string{}, roles: map[string]string{}, groups: map[string][]string{}}
	for _, u := range users {
		f.users[strings.ToLower(u)] = iamPrefix + "user/" + u
	}
	for _, r := range roles {
		path, name := "/", r
		if i := strings.LastIndex(r, "/"); i >= 0 {
			path, name = "/"+r[:i+1], r[i+1:]
		}
		f.roles[strings.ToLower(name)] = iamPrefix + "role" + path + name
	}
	return f
}

func noSuch(what string) error {
	return &iamtypes.NoSuchEntityException{Message: aws.String("The " + what + " cannot be found.")}
}

// get looks name up in byName (case-insensitively, as IAM): its ARN, parsed, and its creation
// date, or IAM's NoSuchEntity for what ("user", "role").
func (f *fakeIAM) get(byName map[string]string, what, name string) (string, principal.PrincipalARN, time.Time, error) {
	arn, ok := byName[strings.ToLower(name)]
	if !ok {
		return "", principal.PrincipalARN{}, time.Time{}, noSuch(what + " with name " + name)
	}
	p, _ := principal.ParsePrincipalARN(arn)
	return arn, p, f.createDate(name), nil
}

func (f *fakeIAM) GetUser(ctx context.Context, in *iam.GetUserInput, _ ...func(*iam.Options)) (*iam.GetUserOutput, error) {
	arn, p, created, err := f.get(f.users, "user", aws.ToString(in.UserName))
	if err != nil {
		return nil, err
	}
	return &iam.GetUserOutput{User: &iamtypes.User{Arn: aws.String(arn), UserName: aws.String(p.Name), Path: aws.String(p.Path), UserId: aws.String("AIDA" + strings.ToUpper(p.Name)), CreateDate: aws.Time(created)}}, nil
}

func (f *fakeIAM) GetRole(ctx context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	arn, p, created, err := f.get(f.roles, "role", aws.ToString(in.RoleName))
	if err != nil {
		return nil, err
	}
	return &iam.GetRoleOutput{Role: &iamtypes.Role{Arn: aws.String(arn), RoleName: aws.String(p.Name), Path: aws.String(p.Path), RoleId: aws.String("AROA" + strings.ToUpper(p.Name)), CreateDate: aws.Time(created)}}, nil
}

// listed is each principal of byName (ARN, parsed) for a listing.
func listed[T any](byName map[string]string, item func(arn string, p principal.PrincipalARN) T) []T {
	var out []T
	for _, arn := range byName {
		p, _ := principal.ParsePrincipalARN(arn)
		out = append(out, item(arn, p))
	}
	return out
}

func (f *fakeIAM) ListUsers(ctx context.Context, in *iam.ListUsersInput, _ ...func(*iam.Options)) (*iam.ListUsersOutput, error) {
	return &iam.ListUsersOutput{Users: listed(f.users, func(arn string, p principal.PrincipalARN) iamtypes.User {
		return iamtypes.User{Arn: aws.String(arn), UserName: aws.String(p.Name), Path: aws.String(p.Path)}
	})}, nil
}

func (f *fakeIAM) ListRoles(ctx context.Context, in *iam.ListRolesInput, _ ...func(*iam.Options)) (*iam.ListRolesOutput, error) {
	return &iam.ListRolesOutput{Roles: listed(f.roles, func(arn string, p principal.PrincipalARN) iamtypes.Role {
		return iamtypes.Role{Arn: aws.String(arn), RoleName: aws.String(p.Name), Path: aws.String(p.Path)}
	})}, nil
}

func (f *fakeIAM) GetGroup(ctx context.Context, in *iam.GetGroupInput, _ ...func(*iam.Options)) (*iam.GetGroupOutput, error) {
	g := aws.ToString(in.GroupName)
	members, ok := f.groups[g]
	if !ok {
		return nil, noSuch("group with name " + g)
	}
	var out []iamtypes.User
	for _, m := range members {
		arn := f.users[strings.ToLower(m)]
		p, _ := principal.ParsePrincipalARN(arn)
		out = append(out, iamtypes.User{Arn: aws.String(arn), UserName: aws.String(p.Name), Path: aws.String(p.Path)})
	}
	return &iam.GetGroupOutput{Group: &iamtypes.Group{GroupName: aws.String(g)}, Users: out}, nil
}

// world is a use-case Env over the fakes, as a caller.
type world struct {
	eks     *fakeEKS
	iam     *fakeIAM
	env     *Env
	awsAuth map[string]string // cluster → aws-auth ConfigMap JSON ("" → none)
}

func newWorld(t *testing.T, callerArn string, users, roles []string) *world {
	w := &world{eks: newFakeEKS(), iam: newFakeIAM(users, roles), awsAuth: map[string]string{}}
	clients := &awsapi.Clients{EKS: w.eks, IAM: w.iam, Config: aws.Config{Region: "us-west-2"}}
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	w.env = &Env{
		AWS: func(context.Context, string) (*awsapi.Clients, error) { return clients, nil },
		Caller: func(context.Context) (principal.Caller, error) {
			return principal.Caller{Account: acct, Partition: "aws", Arn: callerArn, PrincipalArn: callerArn}, nil
		},
		JournalPath: filepath.Join(t.TempDir(), "journal.jsonl"),
		Now:         func() time.Time { return now },
		Sleep:       func(context.Context, time.Duration) error { return nil },
		ReadAWSAuth: func(_ context.Context, _ *awsapi.Clients, cluster string) ([]byte, error) {
			if cm, ok := w.awsAuth[cluster]; ok {
				return []byte(cm), nil
			}
			return nil, ErrNoAWSAuth
		},
	}
	return w
}

// mastersMapping is an aws-auth ConfigMap mapping arn (a user) to system:masters.
func mastersMapping(userArn string) string {
	return `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"aws-auth","namespace":"kube-system"},"data":{"mapUsers":"- userarn: ` + userArn + `\n  username: admin\n  groups:\n    - system:masters\n"}}`
}

// wantLines fails the test unless got is want, line for line; what names the lines.
func wantLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n%s\nwant:\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// wantFailure fails the test unless err's message contains want and err is bad input (exit
// 2) exactly when input says so.
func wantFailure(t *testing.T, err error, want string, input bool) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) || IsInput(err) != input {
		t.Fatalf("err %v (input %v), want %q (input %v)", err, IsInput(err), want, input)
	}
}
