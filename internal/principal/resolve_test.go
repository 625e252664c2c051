package principal

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

func newResolver(f *fakeIAM) *Resolver {
	return &Resolver{IAM: f, Account: acct, Partition: "aws", Concurrency: 4}
}

func TestResolve(t *testing.T) {
	sso := "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/us-west-2/AWSReservedSSO_Admin_0123456789abcdef"
	tests := []struct {
		name     string
		refs     []Ref
		want     []Principal
		problems []string
		calls    []string
	}{
		{
			name: "names resolve to ARNs with paths",
			refs: []Ref{
				{Raw: "alice", Source: ArgSource(1)},
				{Raw: "bob", Source: ArgSource(2)},
				{Raw: "role/EKSFullAccessRole", Source: ArgSource(3)},
				{Raw: "role/AWSReservedSSO_Admin_0123456789abcdef", Source: FileSource("u.txt", 1)},
				{Raw: "role/team/apps/dev-role", Source: FileSource("u.txt", 2)},
			},
			want: []Principal{
				{Arn: "arn:aws:iam::111122223333:user/alice", Kind: KindUser, Name: "alice", Path: "/", Source: ArgSource(1)},
				{Arn: "arn:aws:iam::111122223333:user/eng/bob", Kind: KindUser, Name: "bob", Path: "/eng/", Source: ArgSource(2)},
				{Arn: "arn:aws:iam::111122223333:role/EKSFullAccessRole", Kind: KindRole, Name: "EKSFullAccessRole", Path: "/", Source: ArgSource(3)},
				{Arn: sso, Kind: KindRole, Name: "AWSReservedSSO_Admin_0123456789abcdef", Path: "/aws-reserved/sso.amazonaws.com/us-west-2/", Source: FileSource("u.txt", 1)},
				{Arn: "arn:aws:iam::111122223333:role/team/apps/dev-role", Kind: KindRole, Name: "dev-role", Path: "/team/apps/", Source: FileSource("u.txt", 2)},
			},
			calls: []string{"GetRole AWSReservedSSO_Admin_0123456789abcdef", "GetRole EKSFullAccessRole", "GetRole dev-role", "GetUser alice", "GetUser bob"},
		},
		{
			name: "ARNs in the account are checked",
			refs: []Ref{
				{Raw: "arn:aws:iam::111122223333:user/eng/bob", Source: ArgSource(1)},
				{Raw: sso, Source: ArgSource(2)},
				{Raw: "arn:aws:iam::111122223333:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS", Source: ArgSource(3)},
			},
			want: []Principal{
				{Arn: "arn:aws:iam::111122223333:user/eng/bob", Kind: KindUser, Name: "bob", Path: "/eng/", Source: ArgSource(1)},
				{Arn: sso, Kind: KindRole, Name: "AWSReservedSSO_Admin_0123456789abcdef", Path: "/aws-reserved/sso.amazonaws.com/us-west-2/", Source: ArgSource(2)},
				{Arn: "arn:aws:iam::111122223333:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS", Kind: KindRole, Name: "AWSServiceRoleForAmazonEKS",
					Path: "/aws-service-role/eks.amazonaws.com/", Source: ArgSource(3), ServiceLinked: true},
			},
			calls: []string{"GetRole AWSReservedSSO_Admin_0123456789abcdef", "GetRole AWSServiceRoleForAmazonEKS", "GetUser bob"},
		},
		{
			name: "other account is accepted unchecked",
			refs: []Ref{{Raw: "arn:aws:iam::444455556666:role/x/CrossRole", Source: ArgSource(1)}},
			want: []Principal{{Arn: "arn:aws:iam::444455556666:role/x/CrossRole", Kind: KindRole, Name: "CrossRole", Path: "/x/", Source: ArgSource(1), OtherAccount: true}},
		},
		{
			name: "duplicates count once, first source kept, one call per text",
			refs: []Ref{
				{Raw: "alice", Source: ArgSource(1)},
				{Raw: "arn:aws:iam::111122223333:user/alice", Source: FileSource("u.txt", 4)},
				{Raw: "ALICE", Source: FileSource("u.txt", 5)},
				{Raw: "alice", Source: FileSource("u.txt", 6)},
			},
			want:  []Principal{{Arn: "arn:aws:iam::111122223333:user/alice", Kind: KindUser, Name: "alice", Path: "/", Source: ArgSource(1)}},
			calls: []string{"GetUser alice", "GetUser alice"},
		},
		{
			name: "every problem collected with its source",
			refs: []Ref{
				{Raw: "alice", Source: ArgSource(1)},
				{Raw: "dave", Source: ArgSource(2)},
				{Raw: "shared", Source: FileSource("u.txt", 1)},
				{Raw: "role/nope", Source: FileSource("u.txt", 2)},
				{Raw: "role/wrong/dev-role", Source: FileSource("u.txt", 3)},
				{Raw: "arn:aws:iam::111122223333:role/dev-role", Source: FileSource("u.txt", 4)},
				{Raw: "arn:aws:iam::111122223333:user/bob", Source: FileSource("u.txt", 5)},
				{Raw: "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice@example.com", Source: FileSource("u.txt", 6)},
				{Raw: "arn:aws:sts::111122223333:assumed-role/Gone/alice", Source: FileSource("u.txt", 7)},
				{Raw: "arn:aws-cn:iam::111122223333:user/alice", Source: FileSource("u.txt", 8)},
				{Raw: "arn:aws:iam::111122223333:group/devs", Source: FileSource("u.txt", 9)},
				{Raw: "arn:aws:iam::111122223333:role/nope", Source: FileSource("u.txt", 10)},
				{Raw: "bad!", Source: GroupSource("g")},
			},
			problems: []string{
				"argument 2: no IAM user named dave in account 111122223333: check the spelling or create it with aws iam create-user --user-name dave",
				"u.txt:1: no IAM user named shared in account 111122223333, but there is a role of that name: write role/shared",
				"u.txt:2: no IAM role named nope in account 111122223333: check the spelling or create it with eksaccess role create nope",
				"u.txt:3: role dev-role has path /team/apps/, not /wrong/: write role/dev-role and eksaccess finds the path, or arn:aws:iam::111122223333:role/team/apps/dev-role",
				"u.txt:4: role dev-role exists with path /team/apps/, so EKS would refuse arn:aws:iam::111122223333:role/dev-role: use arn:aws:iam::111122223333:role/team/apps/dev-role",
				"u.txt:5: user bob exists with path /eng/, so EKS would refuse arn:aws:iam::111122223333:user/bob: use arn:aws:iam::111122223333:user/eng/bob",
				"u.txt:6: arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice@example.com is an STS session, and EKS refuses sessions as access-entry principals: use the role ARN " + sso + " instead",
				"u.txt:7: arn:aws:sts::111122223333:assumed-role/Gone/alice is an STS session, and EKS refuses sessions as access-entry principals: use the role ARN arn:aws:iam::111122223333:role/Gone instead (with the role's path, e.g. arn:aws:iam::111122223333:role/PATH/Gone)",
				"u.txt:8: arn:aws-cn:iam::111122223333:user/alice is in partition aws-cn, but your credentials are in aws: grant it with credentials for aws-cn, or use the principal's aws ARN",
				"u.txt:9: arn:aws:iam::111122223333:group/devs is an IAM group, which is not a principal EKS can map: grant its members with --iam-group devs",
				"u.txt:10: no IAM role named nope in account 111122223333: check the spelling or create it with eksaccess role create nope",
				"--iam-group g: user name \"bad!\" contains '!': IAM names use only letters, digits and + = , . @ _ -",
			},
			calls: []string{"GetRole AWSReservedSSO_Admin_0123456789abcdef", "GetRole Gone", "GetRole dave", "GetRole dev-role", "GetRole dev-role", "GetRole nope", "GetRole nope",
				"GetRole shared", "GetUser alice", "GetUser bob", "GetUser dave", "GetUser shared"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeIAM()
			got, err := newResolver(f).Resolve(context.Background(), tc.refs)
			if tc.problems != nil {
				var ie *InputError
				if !errors.As(err, &ie) {
					t.Fatalf("error %v, want *InputError", err)
				}
				if gotP := problemStrings(ie.Problems); !reflect.DeepEqual(gotP, tc.problems) {
					t.Errorf("problems:\n got %q\nwant %q", gotP, tc.problems)
					for i := range gotP {
						if i < len(tc.problems) && gotP[i] != tc.problems[i] {
							t.Logf("first difference at %d:\n got %s\nwant %s", i, gotP[i], tc.problems[i])
							break
						}
					}
				}
				if got != nil {
					t.Errorf("principals returned with an input error: %v", got)
				}
			} else {
				if err != nil {
					t.Fatalf("error: %v", err)
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("principals:\n got %+v\nwant %+v", got, tc.want)
				}
			}
			if calls := f.sortedCalls(); !reflect.DeepEqual(calls, tc.calls) {
				t.Errorf("calls:\n got %q\nwant %q", calls, tc.calls)
			}
		})
	}
}

// user/PATH/NAME resolves like role/PATH/NAME: the written path must be the user's.
func TestResolveUserWithPath(t *testing.T) {
	t.Parallel()
	f := newFakeIAM()
	ps, err := newResolver(f).Resolve(context.Background(), []Ref{
		{Raw: "user/eng/bob", Source: ArgSource(1)},
		{Raw: "user/alice", Source: ArgSource(2)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].Arn != "arn:aws:iam::111122223333:user/eng/bob" || ps[1].Arn != "arn:aws:iam::111122223333:user/alice" {
		t.Fatalf("resolved %+v", ps)
	}
	_, err = newResolver(newFakeIAM()).Resolve(context.Background(), []Ref{{Raw: "user/ops/bob", Source: FileSource("u.txt", 3)}})
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "u.txt:3: user bob has path /eng/, not /ops/: write bob and eksaccess finds the path, or arn:aws:iam::111122223333:user/eng/bob") {
		t.Fatalf("err = %v", err)
	}
}

func TestResolveAPIErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"access denied", &smithy.GenericAPIError{Code: "AccessDenied", Message: "User: arn:aws:iam::111122223333:user/ci is not authorized to perform: iam:GetUser"},
			"argument 2: look up IAM user bob: api error AccessDenied: User: arn:aws:iam::111122223333:user/ci is not authorized to perform: iam:GetUser: allow iam:GetUser for your credentials: eksaccess checks every principal in IAM before changing anything"},
		{"throttled", &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"},
			"argument 2: look up IAM user bob: api error Throttling: Rate exceeded: retry later, or lower --concurrency if IAM is throttling"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeIAM()
			f.errs["GetUser bob"] = tc.err
			_, err := newResolver(f).Resolve(context.Background(), []Ref{{Raw: "alice", Source: ArgSource(1)}, {Raw: "bob", Source: ArgSource(2)}, {Raw: "nobody", Source: ArgSource(3)}})
			if err == nil || IsInputError(err) {
				t.Fatalf("error %v, want an ordinary error", err)
			}
			if err.Error() != tc.want {
				t.Errorf("error:\n got %s\nwant %s", err, tc.want)
			}
			if !errors.Is(err, tc.err) {
				t.Error("error does not wrap the API error")
			}
		})
	}
}

// emptyIAM answers GetUser and GetRole with no principal, as an endpoint that is not IAM may.
type emptyIAM struct{ *fakeIAM }

func (emptyIAM) GetUser(context.Context, *iam.GetUserInput, ...func(*iam.Options)) (*iam.GetUserOutput, error) {
	return &iam.GetUserOutput{}, nil
}

func (emptyIAM) GetRole(context.Context, *iam.GetRoleInput, ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	return &iam.GetRoleOutput{Role: &types.Role{RoleName: aws.String("r")}}, nil
}

func TestResolveEmptyAnswer(t *testing.T) {
	for _, tc := range []struct{ ref, want string }{
		{"bob", "iam GetUser bob returned no user: check the endpoint (AWS_ENDPOINT_URL) points at IAM"},
		{"role/r", "iam GetRole r returned no role: check the endpoint (AWS_ENDPOINT_URL) points at IAM"},
	} {
		r := newResolver(newFakeIAM())
		r.IAM = emptyIAM{newFakeIAM()}
		_, err := r.Resolve(context.Background(), []Ref{{Raw: tc.ref, Source: ArgSource(1)}})
		if err == nil || IsInputError(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want an ordinary error saying %q", tc.ref, err, tc.want)
		}
	}
}

func TestResolveConcurrencyBound(t *testing.T) {
	f := newFakeIAM()
	f.delay = 5 * time.Millisecond
	var refs []Ref
	for i := 0; i < 40; i++ {
		name := fmt.Sprintf("user%02d", i)
		f.addUser("/", name)
		refs = append(refs, Ref{Raw: name, Source: FileSource("u.txt", i+1)})
	}
	r := newResolver(f)
	r.Concurrency = 4
	r.BulkThreshold = -1 // one GetUser per name, to see the bound
	got, err := r.Resolve(context.Background(), refs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 40 || got[0].Name != "user00" || got[39].Name != "user39" || got[39].Source.Line != 40 {
		t.Errorf("got %d principals, first %+v last %+v", len(got), got[0], got[len(got)-1])
	}
	if f.maxInflight != 4 {
		t.Errorf("max in-flight calls %d, want exactly the bound 4", f.maxInflight)
	}
}

func TestResolveCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f := newFakeIAM()
	f.errs["GetUser alice"] = context.Canceled
	_, err := newResolver(f).Resolve(ctx, []Ref{{Raw: "alice", Source: ArgSource(1)}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

func TestExpandGroup(t *testing.T) {
	f := newFakeIAM()
	f.groups["big"] = []string{"alice", "bob", "carol"}
	f.groups["empty"] = nil
	f.pageSize = 1
	r := newResolver(f)

	refs, err := r.ExpandGroup(context.Background(), "big", GroupSource("big"))
	if err != nil {
		t.Fatal(err)
	}
	var raws []string
	for _, ref := range refs {
		raws = append(raws, ref.Raw+" @ "+ref.Source.String())
	}
	want := []string{
		"arn:aws:iam::111122223333:user/alice @ --iam-group big",
		"arn:aws:iam::111122223333:user/eng/bob @ --iam-group big",
		"arn:aws:iam::111122223333:user/carol @ --iam-group big",
	}
	if !reflect.DeepEqual(raws, want) {
		t.Errorf("refs:\n got %q\nwant %q", raws, want)
	}
	if calls := f.sortedCalls(); !reflect.DeepEqual(calls, []string{"GetGroup big ", "GetGroup big 1", "GetGroup big 2"}) {
		t.Errorf("calls %q", calls)
	}

	// Members come with their ARNs: resolving them costs no call, and a member also given
	// by name counts once, under its first source.
	f.calls = nil
	all := append([]Ref{{Raw: "bob", Source: ArgSource(1)}}, refs...)
	got, err := r.Resolve(context.Background(), all)
	if err != nil {
		t.Fatal(err)
	}
	wantP := []Principal{
		{Arn: "arn:aws:iam::111122223333:user/eng/bob", Kind: KindUser, Name: "bob", Path: "/eng/", Source: ArgSource(1)},
		{Arn: "arn:aws:iam::111122223333:user/alice", Kind: KindUser, Name: "alice", Path: "/", Source: GroupSource("big")},
		{Arn: "arn:aws:iam::111122223333:user/carol", Kind: KindUser, Name: "carol", Path: "/", Source: GroupSource("big")},
	}
	if !reflect.DeepEqual(got, wantP) {
		t.Errorf("principals:\n got %+v\nwant %+v", got, wantP)
	}
	if calls := f.sortedCalls(); !reflect.DeepEqual(calls, []string{"GetUser bob"}) {
		t.Errorf("calls %q, want only GetUser bob", calls)
	}

	refs, err = r.ExpandGroup(context.Background(), "empty", Source{File: "access.yaml", Line: 7})
	if err != nil || len(refs) != 0 {
		t.Errorf("empty group: %v, %v", refs, err)
	}

	bad := []struct{ group, want string }{
		{"nope", "access.yaml:7 (IAM group nope): no IAM group named nope in account 111122223333: check the spelling (aws iam list-groups lists them)"},
		{"bad group", `access.yaml:7 (IAM group bad group): group name "bad group" contains a space: IAM names use only letters, digits and + = , . @ _ -; give one name per line or argument`},
	}
	for _, tc := range bad {
		_, err := r.ExpandGroup(context.Background(), tc.group, Source{File: "access.yaml", Line: 7})
		if !IsInputError(err) || err.Error() != tc.want {
			t.Errorf("ExpandGroup(%q) = %v, want input error %s", tc.group, err, tc.want)
		}
	}

	f.errs["GetGroup big "] = &smithy.GenericAPIError{Code: "AccessDenied", Message: "denied"}
	_, err = r.ExpandGroup(context.Background(), "big", GroupSource("big"))
	if want := "--iam-group big: look up IAM group big: api error AccessDenied: denied: allow iam:GetGroup for your credentials: eksaccess checks every principal in IAM before changing anything"; err == nil || IsInputError(err) || err.Error() != want {
		t.Errorf("API error: %v", err)
	}
}

func TestResolveUnknownAccount(t *testing.T) {
	f := newFakeIAM()
	r := &Resolver{IAM: f} // caller's account and partition not known
	got, err := r.Resolve(context.Background(), ArgRefs([]string{"arn:aws:iam::444455556666:user/alice", "arn:aws:iam::111122223333:user/eng/bob"}))
	if err != nil {
		t.Fatal(err)
	}
	want := []Principal{
		{Arn: "arn:aws:iam::444455556666:user/alice", Kind: KindUser, Name: "alice", Path: "/", Source: ArgSource(1), OtherAccount: true},
		{Arn: "arn:aws:iam::111122223333:user/eng/bob", Kind: KindUser, Name: "bob", Path: "/eng/", Source: ArgSource(2)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("principals:\n got %+v\nwant %+v", got, want)
	}
	_, err = r.Resolve(context.Background(), ArgRefs([]string{"nobody"}))
	if got := errString(err); got != "argument 1: no IAM user named nobody in this account: check the spelling or create it with aws iam create-user --user-name nobody" {
		t.Errorf("error %s", got)
	}
	_, err = (&Resolver{}).Resolve(context.Background(), ArgRefs([]string{"alice"}))
	if err == nil || IsInputError(err) {
		t.Errorf("nil IAM: %v", err)
	}
}

// loopingIAM returns the same page marker forever.
type loopingIAM struct{ *fakeIAM }

func (l loopingIAM) GetGroup(ctx context.Context, in *iam.GetGroupInput, _ ...func(*iam.Options)) (*iam.GetGroupOutput, error) {
	return &iam.GetGroupOutput{IsTruncated: true, Marker: aws.String("same")}, nil
}

func TestExpandGroupRepeatedMarker(t *testing.T) {
	r := &Resolver{IAM: loopingIAM{newFakeIAM()}, Account: acct}
	_, err := r.ExpandGroup(context.Background(), "devs", GroupSource("devs"))
	if got := errString(err); got != "--iam-group devs: iam GetGroup devs returned the same page marker twice: retry, and report this if it persists" {
		t.Errorf("error %s", got)
	}
}

func TestArgRefs(t *testing.T) {
	got := ArgRefs([]string{"alice", "role/r"})
	want := []Ref{{Raw: "alice", Source: ArgSource(1)}, {Raw: "role/r", Source: ArgSource(2)}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ArgRefs = %+v", got)
	}
}

func TestResolveManyUsersListsOnce(t *testing.T) {
	f := newFakeIAM()
	var refs []Ref
	for i := 0; i < 40; i++ {
		name := fmt.Sprintf("u%02d", i)
		f.addUser("/", name)
		refs = append(refs, Ref{Raw: name, Source: FileSource("users.txt", i+1)})
	}
	refs = append(refs, Ref{Raw: "ghost", Source: FileSource("users.txt", 41)}, Ref{Raw: "arn:aws:iam::111122223333:user/bob", Source: ArgSource(1)})
	r := newResolver(f)
	_, err := r.Resolve(context.Background(), refs)
	var ie *InputError
	if !errors.As(err, &ie) || len(ie.Problems) != 2 {
		t.Fatalf("want 2 problems (ghost, bob's path), got %v", err)
	}
	if !strings.Contains(ie.Problems[0].String(), "users.txt:41: no IAM user named ghost") || !strings.Contains(ie.Problems[1].String(), "exists with path /eng/") {
		t.Fatalf("problems: %v", ie.Problems)
	}
	for _, c := range f.calls {
		if strings.HasPrefix(c, "GetUser") {
			t.Fatalf("bulk resolution still called %s (calls %v)", c, f.calls)
		}
	}
	if n := strings.Count(strings.Join(f.calls, ","), "ListUsers"); n != 1 {
		t.Fatalf("ListUsers called %d times", n)
	}
}

func TestPreloadListErrors(t *testing.T) {
	for _, call := range []string{"ListUsers", "ListRoles"} {
		f := newFakeIAM()
		var refs []Ref
		for i := 0; i < 3; i++ {
			name := fmt.Sprintf("user%d", i)
			f.addUser("/", name)
			refs = append(refs, Ref{Raw: name, Source: ArgSource(i + 1)})
		}
		denied := &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized to perform: iam:" + call}
		f.errs[call] = denied
		r := newResolver(f)
		r.BulkThreshold = 2
		err := r.Preload(context.Background(), refs)
		what := map[string]string{"ListUsers": "users", "ListRoles": "roles"}[call]
		if !errors.Is(err, denied) || IsInputError(err) || !strings.Contains(err.Error(), "the account's "+what) {
			t.Errorf("%s failing: error %v, want the API error about the account's %s", call, err, what)
		}
	}
}

func TestCallerIdentity(t *testing.T) {
	sso := "AWSReservedSSO_Admin_0123456789abcdef"
	tests := []struct {
		name    string
		arn     string
		iamErr  error // returned by GetRole
		want    Caller
		wantErr string
	}{
		{name: "user", arn: "arn:aws:iam::111122223333:user/eng/bob",
			want: Caller{Account: acct, Partition: "aws", Arn: "arn:aws:iam::111122223333:user/eng/bob", UserID: "AIDAEXAMPLE", Kind: KindUser, Name: "bob",
				PrincipalArn: "arn:aws:iam::111122223333:user/eng/bob", Path: "/eng/", PathKnown: true}},
		{name: "SSO session gets its role path", arn: "arn:aws:sts::111122223333:assumed-role/" + sso + "/alice@example.com",
			want: Caller{Account: acct, Partition: "aws", Arn: "arn:aws:sts::111122223333:assumed-role/" + sso + "/alice@example.com", UserID: "AIDAEXAMPLE",
				Kind: KindAssumedRole, Name: sso, Session: "alice@example.com",
				PrincipalArn: "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/us-west-2/" + sso, Path: "/aws-reserved/sso.amazonaws.com/us-west-2/", PathKnown: true}},
		{name: "GetRole denied falls back to no path", arn: "arn:aws:sts::111122223333:assumed-role/" + sso + "/alice",
			iamErr: &smithy.GenericAPIError{Code: "AccessDenied", Message: "no"},
			want: Caller{Account: acct, Partition: "aws", Arn: "arn:aws:sts::111122223333:assumed-role/" + sso + "/alice", UserID: "AIDAEXAMPLE",
				Kind: KindAssumedRole, Name: sso, Session: "alice", PrincipalArn: "arn:aws:iam::111122223333:role/" + sso, Path: "/", PathKnown: false}},
		{name: "GetRole throttled is an error", arn: "arn:aws:sts::111122223333:assumed-role/" + sso + "/alice",
			iamErr:  &smithy.GenericAPIError{Code: "Throttling", Message: "slow down"},
			wantErr: "look up IAM role " + sso + " (your own): api error Throttling: slow down: retry later, or lower --concurrency if IAM is throttling"},
		{name: "deleted role", arn: "arn:aws:sts::111122223333:assumed-role/Gone/alice",
			wantErr: "you are signed in as arn:aws:sts::111122223333:assumed-role/Gone/alice, but IAM has no role Gone: the role was deleted; sign in again with current credentials"},
		{name: "root", arn: "arn:aws:iam::111122223333:root",
			want: Caller{Account: acct, Partition: "aws", Arn: "arn:aws:iam::111122223333:root", UserID: "AIDAEXAMPLE", Kind: KindRoot,
				PrincipalArn: "arn:aws:iam::111122223333:root", PathKnown: true}},
		{name: "federated user has no principal", arn: "arn:aws-us-gov:sts::111122223333:federated-user/bob",
			want: Caller{Account: acct, Partition: "aws-us-gov", Arn: "arn:aws-us-gov:sts::111122223333:federated-user/bob", UserID: "AIDAEXAMPLE",
				Kind: KindFederatedUser, Name: "bob", PathKnown: true}},
		{name: "garbage", arn: "arn:aws:iam::111122223333:policy/p",
			wantErr: `sts get-caller-identity returned an unexpected ARN: invalid ARN "arn:aws:iam::1111222…": "policy" is not an IAM user or role: principal ARNs look like arn:aws:iam::111122223333:user/NAME or arn:aws:iam::111122223333:role/NAME`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeIAM()
			if tc.iamErr != nil {
				f.errs["GetRole "+sso] = tc.iamErr
			}
			got, err := LookupCaller(context.Background(), fakeSTS{out: identity(tc.arn)}, f)
			if errString(err) != tc.wantErr {
				t.Fatalf("error:\n got %v\nwant %s", err, tc.wantErr)
			}
			if err == nil && got != tc.want {
				t.Errorf("caller:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}

	out := identity("arn:aws:iam::111122223333:user/a")
	out.Account = aws.String("444455556666")
	if _, err := CallerIdentity(context.Background(), out, nil); errString(err) != "sts get-caller-identity returned account 444455556666 but ARN arn:aws:iam::111122223333:user/a: check the endpoint (AWS_ENDPOINT_URL) points at STS" {
		t.Errorf("account mismatch: %v", err)
	}
	if _, err := LookupCaller(context.Background(), fakeSTS{err: &smithy.GenericAPIError{Code: "ExpiredToken", Message: "expired"}}, nil); errString(err) != "find who you are (sts get-caller-identity): api error ExpiredToken: expired: check your AWS credentials (aws sts get-caller-identity)" {
		t.Errorf("sts error: %v", err)
	}
}
