package role

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"eksaccess/internal/awsapi"
)

// fakeIAM keeps one account's roles and customer managed policies, returns documents
// URL-encoded as IAM does, and records every call.
type fakeIAM struct {
	awsapi.IAM
	roles    map[string]*types.Role
	attached map[string][]string
	policies map[string]*fakePolicy
	calls    []string
	clock    time.Time
}

type fakePolicy struct {
	tags     []types.Tag
	name     string
	def      string
	next     int // number of the last version made: IAM never reuses one
	versions []types.PolicyVersion
}

func newFakeIAM() *fakeIAM {
	return &fakeIAM{roles: map[string]*types.Role{}, attached: map[string][]string{}, policies: map[string]*fakePolicy{}, clock: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (f *fakeIAM) tick() *time.Time {
	f.clock = f.clock.Add(time.Minute)
	t := f.clock
	return &t
}

func noSuch(msg string) error { return &types.NoSuchEntityException{Message: aws.String(msg)} }

func (f *fakeIAM) GetPolicy(ctx context.Context, in *iam.GetPolicyInput, _ ...func(*iam.Options)) (*iam.GetPolicyOutput, error) {
	f.calls = append(f.calls, "GetPolicy")
	p, ok := f.policies[*in.PolicyArn]
	if !ok {
		return nil, noSuch("Policy " + *in.PolicyArn + " was not found.")
	}
	return &iam.GetPolicyOutput{Policy: &types.Policy{Arn: in.PolicyArn, PolicyName: aws.String(p.name), DefaultVersionId: aws.String(p.def), Tags: p.tags}}, nil
}

func (f *fakeIAM) GetPolicyVersion(ctx context.Context, in *iam.GetPolicyVersionInput, _ ...func(*iam.Options)) (*iam.GetPolicyVersionOutput, error) {
	f.calls = append(f.calls, "GetPolicyVersion "+*in.VersionId)
	for _, v := range f.policies[*in.PolicyArn].versions {
		if *v.VersionId == *in.VersionId {
			v.Document = aws.String(url.QueryEscape(*v.Document))
			return &iam.GetPolicyVersionOutput{PolicyVersion: &v}, nil
		}
	}
	return nil, noSuch("no version")
}

func (f *fakeIAM) CreatePolicy(ctx context.Context, in *iam.CreatePolicyInput, _ ...func(*iam.Options)) (*iam.CreatePolicyOutput, error) {
	f.calls = append(f.calls, "CreatePolicy "+*in.PolicyName+" "+*in.Path)
	arn := "arn:aws:iam::111122223333:policy" + *in.Path + *in.PolicyName
	f.policies[arn] = &fakePolicy{tags: in.Tags, name: *in.PolicyName, def: "v1", next: 1, versions: []types.PolicyVersion{{VersionId: aws.String("v1"), Document: in.PolicyDocument, IsDefaultVersion: true, CreateDate: f.tick()}}}
	return &iam.CreatePolicyOutput{Policy: &types.Policy{Arn: aws.String(arn)}}, nil
}

func (f *fakeIAM) CreatePolicyVersion(ctx context.Context, in *iam.CreatePolicyVersionInput, _ ...func(*iam.Options)) (*iam.CreatePolicyVersionOutput, error) {
	f.calls = append(f.calls, "CreatePolicyVersion")
	p := f.policies[*in.PolicyArn]
	if len(p.versions) >= MaxPolicyVersions {
		return nil, &types.LimitExceededException{Message: aws.String("A managed policy can have up to 5 versions.")}
	}
	p.next++
	id := fmt.Sprintf("v%d", p.next)
	p.versions = append(p.versions, types.PolicyVersion{VersionId: aws.String(id), Document: in.PolicyDocument, CreateDate: f.tick()})
	p.def = id
	return &iam.CreatePolicyVersionOutput{PolicyVersion: &types.PolicyVersion{VersionId: aws.String(id), IsDefaultVersion: true}}, nil
}

func (f *fakeIAM) ListPolicyVersions(ctx context.Context, in *iam.ListPolicyVersionsInput, _ ...func(*iam.Options)) (*iam.ListPolicyVersionsOutput, error) {
	f.calls = append(f.calls, "ListPolicyVersions")
	p := f.policies[*in.PolicyArn]
	vs := append([]types.PolicyVersion(nil), p.versions...)
	for i := range vs {
		vs[i].IsDefaultVersion = *vs[i].VersionId == p.def
	}
	return &iam.ListPolicyVersionsOutput{Versions: vs}, nil
}

func (f *fakeIAM) DeletePolicyVersion(ctx context.Context, in *iam.DeletePolicyVersionInput, _ ...func(*iam.Options)) (*iam.DeletePolicyVersionOutput, error) {
	f.calls = append(f.calls, "DeletePolicyVersion "+*in.VersionId)
	p := f.policies[*in.PolicyArn]
	for i, v := range p.versions {
		if *v.VersionId == *in.VersionId {
			p.versions = append(p.versions[:i], p.versions[i+1:]...)
			return &iam.DeletePolicyVersionOutput{}, nil
		}
	}
	return nil, noSuch("no version")
}

func (f *fakeIAM) GetRole(ctx context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	f.calls = append(f.calls, "GetRole")
	r, ok := f.roles[*in.RoleName]
	if !ok {
		return nil, noSuch("The role with name " + *in.RoleName + " cannot be found.")
	}
	c := *r
	c.AssumeRolePolicyDocument = aws.String(url.QueryEscape(*r.AssumeRolePolicyDocument))
	return &iam.GetRoleOutput{Role: &c}, nil
}

func (f *fakeIAM) CreateRole(ctx context.Context, in *iam.CreateRoleInput, _ ...func(*iam.Options)) (*iam.CreateRoleOutput, error) {
	f.calls = append(f.calls, fmt.Sprintf("CreateRole %s %s max=%d", *in.RoleName, *in.Path, aws.ToInt32(in.MaxSessionDuration)))
	max := aws.ToInt32(in.MaxSessionDuration)
	if max == 0 {
		max = 3600
	}
	r := &types.Role{RoleName: in.RoleName, Path: in.Path, Arn: aws.String("arn:aws:iam::111122223333:role" + *in.Path + *in.RoleName),
		AssumeRolePolicyDocument: in.AssumeRolePolicyDocument, MaxSessionDuration: aws.Int32(max), Description: in.Description, Tags: in.Tags}
	f.roles[*in.RoleName] = r
	return &iam.CreateRoleOutput{Role: r}, nil
}

func (f *fakeIAM) UpdateRole(ctx context.Context, in *iam.UpdateRoleInput, _ ...func(*iam.Options)) (*iam.UpdateRoleOutput, error) {
	f.calls = append(f.calls, fmt.Sprintf("UpdateRole max=%d", aws.ToInt32(in.MaxSessionDuration)))
	if in.MaxSessionDuration != nil {
		f.roles[*in.RoleName].MaxSessionDuration = in.MaxSessionDuration
	}
	return &iam.UpdateRoleOutput{}, nil
}

func (f *fakeIAM) UpdateAssumeRolePolicy(ctx context.Context, in *iam.UpdateAssumeRolePolicyInput, _ ...func(*iam.Options)) (*iam.UpdateAssumeRolePolicyOutput, error) {
	f.calls = append(f.calls, "UpdateAssumeRolePolicy")
	f.roles[*in.RoleName].AssumeRolePolicyDocument = in.PolicyDocument
	return &iam.UpdateAssumeRolePolicyOutput{}, nil
}

func (f *fakeIAM) ListAttachedRolePolicies(ctx context.Context, in *iam.ListAttachedRolePoliciesInput, _ ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error) {
	f.calls = append(f.calls, "ListAttachedRolePolicies")
	var out []types.AttachedPolicy
	for _, a := range f.attached[*in.RoleName] {
		out = append(out, types.AttachedPolicy{PolicyArn: aws.String(a)})
	}
	return &iam.ListAttachedRolePoliciesOutput{AttachedPolicies: out}, nil
}

func (f *fakeIAM) AttachRolePolicy(ctx context.Context, in *iam.AttachRolePolicyInput, _ ...func(*iam.Options)) (*iam.AttachRolePolicyOutput, error) {
	f.calls = append(f.calls, "AttachRolePolicy")
	f.attached[*in.RoleName] = append(f.attached[*in.RoleName], *in.PolicyArn)
	return &iam.AttachRolePolicyOutput{}, nil
}

func (f *fakeIAM) TagRole(ctx context.Context, in *iam.TagRoleInput, _ ...func(*iam.Options)) (*iam.TagRoleOutput, error) {
	f.calls = append(f.calls, "TagRole "+*in.RoleName)
	r := f.roles[*in.RoleName]
	r.Tags = append(r.Tags, in.Tags...)
	return &iam.TagRoleOutput{}, nil
}

func (f *fakeIAM) TagPolicy(ctx context.Context, in *iam.TagPolicyInput, _ ...func(*iam.Options)) (*iam.TagPolicyOutput, error) {
	f.calls = append(f.calls, "TagPolicy "+*in.PolicyArn)
	p := f.policies[*in.PolicyArn]
	p.tags = append(p.tags, in.Tags...)
	return &iam.TagPolicyOutput{}, nil
}

func (f *fakeIAM) mutations() []string {
	var out []string
	for _, c := range f.calls {
		if !strings.HasPrefix(c, "Get") && !strings.HasPrefix(c, "List") {
			out = append(out, c)
		}
	}
	return out
}
