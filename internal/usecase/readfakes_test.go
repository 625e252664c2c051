package usecase

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	smithy "github.com/aws/smithy-go"

	"eksaccess/internal/awsapi"
	"eksaccess/internal/principal"
)

// The fakes below answer the read calls the read-side jobs make, with the SDK's types and
// error types, and record every call; other methods panic through the nil embedded
// interface, so a job that calls more than it should fails its test.

const fakeAcct = "111122223333"

func fakeUser(name string) string { return principal.UserARN("aws", fakeAcct, "/", name) }

type rdCalls struct {
	mu    sync.Mutex
	calls []string
}

func (f *rdCalls) record(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (f *rdCalls) count(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

type rdAssoc struct {
	policy     string // name
	namespaces []string
}

type rdEntry struct {
	typ      string
	username string
	groups   []string
	tags     map[string]string
	assocs   []rdAssoc
}

type rdCluster struct {
	mode, endpoint, ca, status string
	entries                    map[string]*rdEntry
}

type rdEKS struct {
	awsapi.EKS
	*rdCalls
	clusters map[string]*rdCluster
}

const policyPrefix = "arn:aws:eks::aws:cluster-access-policy/"

func (f *rdEKS) cluster(name string) (*rdCluster, error) {
	c := f.clusters[name]
	if c == nil {
		return nil, &ekstypes.ResourceNotFoundException{Message: aws.String("No cluster found for name: " + name + ".")}
	}
	return c, nil
}

func (f *rdEKS) ListClusters(ctx context.Context, in *eks.ListClustersInput, _ ...func(*eks.Options)) (*eks.ListClustersOutput, error) {
	f.record("eks:ListClusters")
	var names []string
	for n := range f.clusters {
		names = append(names, n)
	}
	slices.Sort(names)
	return &eks.ListClustersOutput{Clusters: names}, nil
}

// rdOnCluster records op on the cluster name and answers from it (its lookup's error without it).
func rdOnCluster[T any](f *rdEKS, op, name string, answer func(*rdCluster) *T) (*T, error) {
	f.record("eks:%s %s", op, name)
	c, err := f.cluster(name)
	if err != nil {
		return nil, err
	}
	return answer(c), nil
}

// rdOnEntry records op on the principal and answers from its entry on the cluster.
func rdOnEntry[T any](f *rdEKS, op string, cluster, principal *string, answer func(*rdEntry) *T) (*T, error) {
	f.record("eks:%s %s", op, aws.ToString(principal))
	e, err := f.entry(aws.ToString(cluster), aws.ToString(principal))
	if err != nil {
		return nil, err
	}
	return answer(e), nil
}

func (f *rdEKS) DescribeCluster(ctx context.Context, in *eks.DescribeClusterInput, _ ...func(*eks.Options)) (*eks.DescribeClusterOutput, error) {
	return rdOnCluster(f, "DescribeCluster", aws.ToString(in.Name), func(c *rdCluster) *eks.DescribeClusterOutput {
		out := &ekstypes.Cluster{
			Name: in.Name, Arn: aws.String("arn:aws:eks:us-west-2:" + fakeAcct + ":cluster/" + aws.ToString(in.Name)),
			AccessConfig: &ekstypes.AccessConfigResponse{AuthenticationMode: ekstypes.AuthenticationMode(c.mode)},
			Status:       ekstypes.ClusterStatus(c.status), Version: aws.String("1.32"),
			CreatedAt: aws.Time(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)),
		}
		if c.endpoint != "" {
			out.Endpoint = aws.String(c.endpoint)
			out.CertificateAuthority = &ekstypes.Certificate{Data: aws.String(c.ca)}
		}
		return &eks.DescribeClusterOutput{Cluster: out}
	})
}

func (f *rdEKS) ListAccessPolicies(ctx context.Context, in *eks.ListAccessPoliciesInput, _ ...func(*eks.Options)) (*eks.ListAccessPoliciesOutput, error) {
	f.record("eks:ListAccessPolicies")
	var out []ekstypes.AccessPolicy
	for _, n := range []string{"AmazonEKSAdminPolicy", "AmazonEKSClusterAdminPolicy", "AmazonEKSEditPolicy", "AmazonEKSViewPolicy"} {
		out = append(out, ekstypes.AccessPolicy{Name: aws.String(n), Arn: aws.String(policyPrefix + n)})
	}
	return &eks.ListAccessPoliciesOutput{AccessPolicies: out}, nil
}

func (f *rdEKS) ListAccessEntries(ctx context.Context, in *eks.ListAccessEntriesInput, _ ...func(*eks.Options)) (*eks.ListAccessEntriesOutput, error) {
	return rdOnCluster(f, "ListAccessEntries", aws.ToString(in.ClusterName), func(c *rdCluster) *eks.ListAccessEntriesOutput {
		var arns []string
		for a := range c.entries {
			arns = append(arns, a)
		}
		slices.Sort(arns)
		return &eks.ListAccessEntriesOutput{AccessEntries: arns}
	})
}

func (f *rdEKS) entry(cluster, arn string) (*rdEntry, error) {
	c, err := f.cluster(cluster)
	if err != nil {
		return nil, err
	}
	e := c.entries[arn]
	if e == nil {
		return nil, &ekstypes.ResourceNotFoundException{Message: aws.String("The specified principalArn could not be found.")}
	}
	return e, nil
}

func (f *rdEKS) DescribeAccessEntry(ctx context.Context, in *eks.DescribeAccessEntryInput, _ ...func(*eks.Options)) (*eks.DescribeAccessEntryOutput, error) {
	return rdOnEntry(f, "DescribeAccessEntry", in.ClusterName, in.PrincipalArn, func(e *rdEntry) *eks.DescribeAccessEntryOutput {
		typ := e.typ
		if typ == "" {
			typ = "STANDARD"
		}
		username := e.username
		if username == "" {
			username = aws.ToString(in.PrincipalArn)
		}
		return &eks.DescribeAccessEntryOutput{AccessEntry: &ekstypes.AccessEntry{
			PrincipalArn: in.PrincipalArn, Type: aws.String(typ), Username: aws.String(username), KubernetesGroups: e.groups, Tags: e.tags,
			CreatedAt: aws.Time(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)),
		}}
	})
}

func (f *rdEKS) ListAssociatedAccessPolicies(ctx context.Context, in *eks.ListAssociatedAccessPoliciesInput, _ ...func(*eks.Options)) (*eks.ListAssociatedAccessPoliciesOutput, error) {
	return rdOnEntry(f, "ListAssociatedAccessPolicies", in.ClusterName, in.PrincipalArn, func(e *rdEntry) *eks.ListAssociatedAccessPoliciesOutput {
		out := &eks.ListAssociatedAccessPoliciesOutput{}
		for _, a := range e.assocs {
			scope := &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster}
			if len(a.namespaces) > 0 {
				scope = &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeNamespace, Namespaces: a.namespaces}
			}
			out.AssociatedAccessPolicies = append(out.AssociatedAccessPolicies, ekstypes.AssociatedAccessPolicy{PolicyArn: aws.String(policyPrefix + a.policy), AccessScope: scope})
		}
		return out
	})
}

type rdIAM struct {
	awsapi.IAM
	*rdCalls
	users map[string]string // lower-case name → path
	roles map[string]iamtypes.Role
	// denyGetRole answers GetRole with AccessDenied (callers who may not read IAM).
	denyGetRole bool
}

func (f *rdIAM) addRole(path, name, trust string) {
	f.roles[strings.ToLower(name)] = iamtypes.Role{RoleName: aws.String(name), Path: aws.String(path),
		Arn: aws.String(principal.RoleARN("aws", fakeAcct, path, name)), AssumeRolePolicyDocument: aws.String(trust)}
}

func (f *rdIAM) GetUser(ctx context.Context, in *iam.GetUserInput, _ ...func(*iam.Options)) (*iam.GetUserOutput, error) {
	name := aws.ToString(in.UserName)
	f.record("iam:GetUser %s", name)
	path, ok := f.users[strings.ToLower(name)]
	if !ok {
		return nil, &iamtypes.NoSuchEntityException{Message: aws.String("The user with name " + name + " cannot be found.")}
	}
	return &iam.GetUserOutput{User: &iamtypes.User{UserName: aws.String(name), Path: aws.String(path), Arn: aws.String(principal.UserARN("aws", fakeAcct, path, name))}}, nil
}

func (f *rdIAM) GetRole(ctx context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	name := aws.ToString(in.RoleName)
	f.record("iam:GetRole %s", name)
	if f.denyGetRole {
		return nil, &smithy.GenericAPIError{Code: "AccessDenied", Message: "User: " + fakeUser("carol") + " is not authorized to perform: iam:GetRole"}
	}
	r, ok := f.roles[strings.ToLower(name)]
	if !ok {
		return nil, &iamtypes.NoSuchEntityException{Message: aws.String("The role with name " + name + " cannot be found.")}
	}
	return &iam.GetRoleOutput{Role: &r}, nil
}

type rdSTS struct {
	awsapi.STS
	*rdCalls
	now     time.Time
	assumed []*sts.AssumeRoleInput
	err     error
}

func (f *rdSTS) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	f.record("sts:AssumeRole %s %s", aws.ToString(in.RoleArn), aws.ToString(in.RoleSessionName))
	f.mu.Lock()
	f.assumed = append(f.assumed, in)
	f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	arn := aws.ToString(in.RoleArn)
	name := arn[strings.LastIndex(arn, "/")+1:]
	return &sts.AssumeRoleOutput{
		Credentials: &ststypes.Credentials{AccessKeyId: aws.String("ASIAFAKE"), SecretAccessKey: aws.String("secret"), SessionToken: aws.String("token"),
			Expiration: aws.Time(f.now.Add(time.Hour))},
		AssumedRoleUser: &ststypes.AssumedRoleUser{Arn: aws.String("arn:aws:sts::" + fakeAcct + ":assumed-role/" + name + "/" + aws.ToString(in.RoleSessionName))},
	}, nil
}

type rdSageMaker struct {
	awsapi.SageMaker
	*rdCalls
	clusters map[string]string // HyperPod name → EKS cluster name
}

func (f *rdSageMaker) ListClusters(ctx context.Context, in *sagemaker.ListClustersInput, _ ...func(*sagemaker.Options)) (*sagemaker.ListClustersOutput, error) {
	f.record("sagemaker:ListClusters")
	var out []smtypes.ClusterSummary
	for n := range f.clusters {
		out = append(out, smtypes.ClusterSummary{ClusterName: aws.String(n)})
	}
	return &sagemaker.ListClustersOutput{ClusterSummaries: out}, nil
}

func (f *rdSageMaker) DescribeCluster(ctx context.Context, in *sagemaker.DescribeClusterInput, _ ...func(*sagemaker.Options)) (*sagemaker.DescribeClusterOutput, error) {
	name := aws.ToString(in.ClusterName)
	f.record("sagemaker:DescribeCluster %s", name)
	ec, ok := f.clusters[name]
	if !ok {
		return nil, &smtypes.ResourceNotFound{Message: aws.String("Cluster " + name + " not found")}
	}
	return &sagemaker.DescribeClusterOutput{
		ClusterName: in.ClusterName, ClusterStatus: smtypes.ClusterStatusInservice,
		ClusterArn:   aws.String("arn:aws:sagemaker:us-west-2:" + fakeAcct + ":cluster/" + strings.ToLower(name)),
		Orchestrator: &smtypes.ClusterOrchestrator{Eks: &smtypes.ClusterOrchestratorEksConfig{ClusterArn: aws.String("arn:aws:eks:us-west-2:" + fakeAcct + ":cluster/" + ec)}},
	}, nil
}

// readWorld is a small account: a demo cluster with entries of every kind, a CONFIG_MAP
// cluster, a HyperPod cluster on the demo cluster.
type readWorld struct {
	calls *rdCalls
	eks   *rdEKS
	iam   *rdIAM
	sts   *rdSTS
	sm    *rdSageMaker
	env   *Env
	now   time.Time
}

const teamRole = "arn:aws:iam::111122223333:role/teams/eks-team-a"

func newReadWorld() *readWorld {
	calls := &rdCalls{}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	w := &readWorld{calls: calls, now: now,
		eks: &rdEKS{rdCalls: calls, clusters: map[string]*rdCluster{
			"demo": {mode: "API_AND_CONFIG_MAP", status: "ACTIVE", endpoint: "https://demo.example", ca: "Q0E=", entries: map[string]*rdEntry{
				fakeUser("admin"): {assocs: []rdAssoc{{policy: "AmazonEKSClusterAdminPolicy"}}},
				fakeUser("alice"): {assocs: []rdAssoc{{policy: "AmazonEKSViewPolicy", namespaces: []string{"team-a"}}}},
				fakeUser("bob"):   {groups: []string{"team-b-devs"}},
				teamRole:          {username: "arn:aws:sts::111122223333:assumed-role/eks-team-a/{{SessionName}}", assocs: []rdAssoc{{policy: "AmazonEKSEditPolicy", namespaces: []string{"team-*"}}}},
				"arn:aws:iam::111122223333:role/NodeRole": {typ: "EC2_LINUX", username: "system:node:{{EC2PrivateDNSName}}", groups: []string{"system:nodes"}},
				fakeUser("gone"): {assocs: []rdAssoc{{policy: "AmazonEKSViewPolicy"}}}, // deleted from IAM
			}},
			"legacy": {mode: "CONFIG_MAP", status: "ACTIVE"},
		}},
		iam: &rdIAM{rdCalls: calls, users: map[string]string{"admin": "/", "alice": "/", "bob": "/", "dave": "/"}, roles: map[string]iamtypes.Role{}},
		sts: &rdSTS{rdCalls: calls, now: now},
		sm:  &rdSageMaker{rdCalls: calls, clusters: map[string]string{"hp-team": "demo"}},
	}
	w.iam.addRole("/teams/", "eks-team-a", "")
	w.iam.addRole("/", "NodeRole", "")
	w.iam.addRole("/", "MFARole", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`)
	clients := &awsapi.Clients{Config: aws.Config{Region: "us-west-2", Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "")}, EKS: w.eks, IAM: w.iam, STS: w.sts, SageMaker: w.sm}
	w.env = &Env{
		AWS: func(context.Context, string) (*awsapi.Clients, error) { return clients, nil },
		Caller: func(context.Context) (principal.Caller, error) {
			calls.record("caller")
			return principal.Caller{Account: fakeAcct, Partition: "aws", Arn: fakeUser("admin"), PrincipalArn: fakeUser("admin"), Kind: principal.KindUser, Name: "admin", Path: "/", PathKnown: true}, nil
		},
		Now: func() time.Time { return now },
	}
	return w
}
