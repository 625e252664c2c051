package principal

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"eksaccess/internal/awsapi"
)

const acct = "111122223333"

// fakeIAM implements the IAM calls this package makes, case-insensitively like IAM, with
// the SDK's error types. Other methods panic through the nil embedded interface.
type fakeIAM struct {
	awsapi.IAM

	mu          sync.Mutex
	users       map[string]types.User // lower-case name →
	roles       map[string]types.Role
	groups      map[string][]string // group → member user names
	pageSize    int                 // GetGroup page size (0: all)
	errs        map[string]error    // "GetUser alice" → error to return
	delay       time.Duration
	calls       []string
	inflight    int
	maxInflight int
}

func newFakeIAM() *fakeIAM {
	f := &fakeIAM{users: map[string]types.User{}, roles: map[string]types.Role{}, groups: map[string][]string{}, errs: map[string]error{}}
	f.addUser("/", "alice")
	f.addUser("/eng/", "bob")
	f.addUser("/", "carol")
	f.addRole("/", "EKSFullAccessRole")
	f.addRole("/aws-reserved/sso.amazonaws.com/us-west-2/", "AWSReservedSSO_Admin_0123456789abcdef")
	f.addRole("/team/apps/", "dev-role")
	f.addRole("/aws-service-role/eks.amazonaws.com/", "AWSServiceRoleForAmazonEKS")
	f.addRole("/", "shared") // also a user? no: only a role, for the "write role/" hint
	f.groups["devs"] = []string{"alice", "bob"}
	return f
}

func (f *fakeIAM) addUser(path, name string) {
	f.users[strings.ToLower(name)] = types.User{Path: aws.String(path), UserName: aws.String(name),
		Arn: aws.String(UserARN("aws", acct, path, name)), UserId: aws.String("AIDA" + strings.ToUpper(name))}
}

func (f *fakeIAM) addRole(path, name string) {
	f.roles[strings.ToLower(name)] = types.Role{Path: aws.String(path), RoleName: aws.String(name),
		Arn: aws.String(RoleARN("aws", acct, path, name)), RoleId: aws.String("AROA" + strings.ToUpper(name))}
}

func (f *fakeIAM) enter(call string) error {
	f.mu.Lock()
	f.calls = append(f.calls, call)
	f.inflight++
	if f.inflight > f.maxInflight {
		f.maxInflight = f.inflight
	}
	err := f.errs[call]
	f.mu.Unlock()
	if f.delay > 0 {
		time.Sleep(f.delay)
	}
	return err
}

func (f *fakeIAM) leave() {
	f.mu.Lock()
	f.inflight--
	f.mu.Unlock()
}

func (f *fakeIAM) sortedCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := append([]string(nil), f.calls...)
	sort.Strings(c)
	return c
}

func (f *fakeIAM) GetUser(ctx context.Context, in *iam.GetUserInput, _ ...func(*iam.Options)) (*iam.GetUserOutput, error) {
	u, err := getOne(f, "GetUser", "user", aws.ToString(in.UserName), f.users)
	if err != nil {
		return nil, err
	}
	return &iam.GetUserOutput{User: u}, nil
}

func (f *fakeIAM) GetRole(ctx context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	r, err := getOne(f, "GetRole", "role", aws.ToString(in.RoleName), f.roles)
	if err != nil {
		return nil, err
	}
	return &iam.GetRoleOutput{Role: r}, nil
}

// getOne records the call "OP NAME" and looks name up in m as IAM does (whatever its case),
// with IAM's NoSuchEntity message for a kind of entity that is not there.
func getOne[T any](f *fakeIAM, op, kind, name string, m map[string]T) (*T, error) {
	defer f.leave()
	if err := f.enter(op + " " + name); err != nil {
		return nil, err
	}
	v, ok := m[strings.ToLower(name)]
	if !ok {
		return nil, &types.NoSuchEntityException{Message: aws.String("The " + kind + " with name " + name + " cannot be found.")}
	}
	return &v, nil
}

func (f *fakeIAM) GetGroup(ctx context.Context, in *iam.GetGroupInput, _ ...func(*iam.Options)) (*iam.GetGroupOutput, error) {
	name := aws.ToString(in.GroupName)
	defer f.leave()
	if err := f.enter("GetGroup " + name + " " + aws.ToString(in.Marker)); err != nil {
		return nil, err
	}
	members, ok := f.groups[name]
	if !ok {
		return nil, &types.NoSuchEntityException{Message: aws.String("The group with name " + name + " cannot be found.")}
	}
	start := 0
	if m := aws.ToString(in.Marker); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil {
			return nil, fmt.Errorf("bad marker %q", m)
		}
		start = n
	}
	end := len(members)
	if f.pageSize > 0 && start+f.pageSize < end {
		end = start + f.pageSize
	}
	out := &iam.GetGroupOutput{Group: &types.Group{GroupName: aws.String(name)}}
	for _, m := range members[start:end] {
		out.Users = append(out.Users, f.users[strings.ToLower(m)])
	}
	if end < len(members) {
		out.IsTruncated = true
		out.Marker = aws.String(strconv.Itoa(end))
	}
	return out, nil
}

// ListUsers and ListRoles return everything in one page (the resolver follows pages).
func (f *fakeIAM) ListUsers(ctx context.Context, in *iam.ListUsersInput, _ ...func(*iam.Options)) (*iam.ListUsersOutput, error) {
	users, err := listAll(f, "ListUsers", f.users)
	if err != nil {
		return nil, err
	}
	return &iam.ListUsersOutput{Users: users}, nil
}

func (f *fakeIAM) ListRoles(ctx context.Context, in *iam.ListRolesInput, _ ...func(*iam.Options)) (*iam.ListRolesOutput, error) {
	roles, err := listAll(f, "ListRoles", f.roles)
	if err != nil {
		return nil, err
	}
	return &iam.ListRolesOutput{Roles: roles}, nil
}

// listAll records call (failing as f.errs says) and returns every value of m.
func listAll[T any](f *fakeIAM, call string, m map[string]T) ([]T, error) {
	err := f.enter(call)
	defer f.leave()
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []T
	for _, v := range m {
		out = append(out, v)
	}
	return out, nil
}

type fakeSTS struct {
	awsapi.STS
	out *sts.GetCallerIdentityOutput
	err error
}

func (f fakeSTS) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return f.out, f.err
}

func identity(arn string) *sts.GetCallerIdentityOutput {
	return &sts.GetCallerIdentityOutput{Arn: aws.String(arn), Account: aws.String(acct), UserId: aws.String("AIDAEXAMPLE")}
}
