package principal

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"

	"eksaccess/internal/awsapi"
)

// Principal is a reference resolved to the IAM principal ARN an access entry takes.
type Principal struct {
	Arn    string
	Kind   Kind // KindUser or KindRole
	Name   string
	Path   string
	Source Source
	// ServiceLinked: a role under /aws-service-role/, owned by an AWS service; callers
	// should warn, it is rarely meant.
	ServiceLinked bool
	// OtherAccount: the ARN is in another account than the caller's. EKS accepts such
	// principals for STANDARD entries, but eksaccess cannot check they exist.
	OtherAccount bool
}

// Resolver resolves references against IAM in one account and partition.
type Resolver struct {
	IAM       awsapi.IAM
	Account   string
	Partition string
	// Concurrency bounds concurrent IAM calls (0: DefaultConcurrency).
	Concurrency int
	// BulkThreshold: with at least this many user (or role) references, Resolve lists all
	// users (or roles) once — ListUsers/ListRoles, 1,000 per page — instead of one
	// GetUser/GetRole each, so onboarding hundreds of people costs a handful of IAM calls.
	// 0 means DefaultBulkThreshold; negative disables listing.
	BulkThreshold int

	users, roles map[string]Principal // lower-cased name → principal, when listed
}

// DefaultBulkThreshold is where listing every user beats one lookup per name.
const DefaultBulkThreshold = 25

// DefaultConcurrency is modest: IAM's read APIs throttle well below EKS's.
const DefaultConcurrency = 8

// Resolve turns references into principals: user names via GetUser, role/NAME via GetRole
// (so roles get their path, e.g. IAM Identity Center roles under
// /aws-reserved/sso.amazonaws.com/), and ARNs in the caller's account are checked with
// GetUser/GetRole to exist with exactly that path. Calls run concurrently (bounded by
// Concurrency). The result keeps input order, one entry per final ARN (the first source
// wins). Every input problem — a bad name, an unknown user or role, a wrong path, a session
// ARN, another partition — is collected into one *InputError naming its source; an IAM
// failure other than NoSuchEntity (access denied, throttling after retries) is returned as
// an ordinary error.
func (r *Resolver) Resolve(ctx context.Context, refs []Ref) ([]Principal, error) {
	type slot struct {
		p        *Principal
		problems []Problem
	}
	slots := make([]slot, len(refs))
	if r.IAM == nil {
		for _, ref := range refs {
			if ref.known == nil {
				return nil, errors.New("principal resolver has no IAM client: this is a bug in eksaccess, please report it")
			}
		}
	}
	conc := r.Concurrency
	if conc <= 0 {
		conc = DefaultConcurrency
	}
	if err := r.listIfMany(ctx, refs); err != nil {
		return nil, err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(conc)
	seenKey := map[string]bool{}
	for i, ref := range refs {
		s := &slots[i]
		if ref.known != nil {
			p := *ref.known
			p.Source = ref.Source
			s.p = &p
			continue
		}
		t, err := ParseRef(ref.Raw)
		if err != nil {
			s.problems = append(s.problems, Problem{Source: ref.Source, Msg: err.Error()})
			continue
		}
		// The same text twice needs one lookup; the later copy is dropped below anyway.
		if seenKey[t.key()] {
			continue
		}
		seenKey[t.key()] = true
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			p, msg, err := r.resolveOne(gctx, t)
			if err != nil {
				return fmt.Errorf("%s: %w", ref.Source, err)
			}
			if msg != "" {
				s.problems = append(s.problems, Problem{Source: ref.Source, Msg: msg})
				return nil
			}
			p.Source = ref.Source
			s.p = &p
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var ie InputError
	var out []Principal
	seenArn := map[string]bool{}
	for _, s := range slots {
		ie.Problems = append(ie.Problems, s.problems...)
		if s.p == nil || seenArn[s.p.Arn] {
			continue
		}
		seenArn[s.p.Arn] = true
		out = append(out, *s.p)
	}
	if err := ie.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// resolveOne returns the principal, or an input problem's message, or an API error.
func (r *Resolver) resolveOne(ctx context.Context, t Target) (Principal, string, error) {
	switch t.Kind {
	case RefUserName:
		p, found, err := r.getUser(ctx, t.Name)
		if found && t.Path != "" && t.Path != p.Path {
			return p, fmt.Sprintf("user %s has path %s, not %s: write %s and eksaccess finds the path, or %s", p.Name, p.Path, t.Path, p.Name, p.Arn), nil
		}
		if err != nil || found {
			return p, "", err
		}
		if _, isRole, err := r.getRole(ctx, t.Name); err == nil && isRole {
			return p, fmt.Sprintf("no IAM user named %s %s, but there is a role of that name: write role/%s", t.Name, r.inAccount(), t.Name), nil
		}
		return p, fmt.Sprintf("no IAM user named %s %s: check the spelling or create it with aws iam create-user --user-name %s", t.Name, r.inAccount(), t.Name), nil
	case RefRoleName:
		p, found, err := r.getRole(ctx, t.Name)
		if err != nil {
			return p, "", err
		}
		if !found {
			return p, fmt.Sprintf("no IAM role named %s %s: check the spelling or create it with eksaccess role create %s", t.Name, r.inAccount(), t.Name), nil
		}
		if t.Path != "" && t.Path != p.Path {
			return p, fmt.Sprintf("role %s has path %s, not %s: write role/%s and eksaccess finds the path, or %s", p.Name, p.Path, t.Path, p.Name, p.Arn), nil
		}
		return p, "", nil
	}
	return r.resolveARN(ctx, t.ARN)
}

func (r *Resolver) resolveARN(ctx context.Context, a PrincipalARN) (Principal, string, error) {
	if r.Partition != "" && a.Partition != r.Partition {
		return Principal{}, fmt.Sprintf("%s is in partition %s, but your credentials are in %s: grant it with credentials for %s, or use the principal's %s ARN",
			a.ARN, a.Partition, r.Partition, a.Partition, r.Partition), nil
	}
	ownAccount := r.Account == "" || a.Account == r.Account
	if a.Kind == KindAssumedRole && ownAccount {
		// Name the exact role ARN, path included, rather than make the admin look it up.
		if role, found, err := r.getRole(ctx, a.Name); err == nil && found {
			return Principal{}, fmt.Sprintf("%s is an STS session, and EKS refuses sessions as access-entry principals: use the role ARN %s instead", a.ARN, role.Arn), nil
		}
	}
	if err := a.EntryError(); err != nil {
		return Principal{}, err.Error(), nil
	}
	given := Principal{Arn: a.ARN.String(), Kind: a.Kind, Name: a.Name, Path: a.Path, ServiceLinked: a.ServiceLinked()}
	if !ownAccount {
		given.OtherAccount = true
		return given, "", nil
	}
	get, what := r.getUser, "user"
	if a.Kind == KindRole {
		get, what = r.getRole, "role"
	}
	p, found, err := get(ctx, a.Name)
	if err != nil {
		return p, "", err
	}
	if !found {
		create := "aws iam create-user --user-name " + a.Name
		if a.Kind == KindRole {
			create = "eksaccess role create " + a.Name
		}
		return p, fmt.Sprintf("no IAM %s named %s %s: check the spelling or create it with %s", what, a.Name, r.inAccount(), create), nil
	}
	if r.Account == "" {
		// Unknown caller account: IAM answered for the caller's account, which may not be
		// the ARN's.
		if got, err := ParsePrincipalARN(p.Arn); err == nil && got.Account != a.Account {
			given.OtherAccount = true
			return given, "", nil
		}
	}
	if p.Path != a.Path {
		return p, fmt.Sprintf("%s %s exists with path %s, so EKS would refuse %s: use %s", what, p.Name, p.Path, a.ARN, p.Arn), nil
	}
	return p, "", nil
}

func (r *Resolver) inAccount() string {
	if r.Account == "" {
		return "in this account"
	}
	return "in account " + r.Account
}

// Preload lists all users (or roles) once when refs name at least BulkThreshold of them, so
// that later Resolve calls — even one reference at a time — make no IAM call. Call it
// before resolving concurrently.
func (r *Resolver) Preload(ctx context.Context, refs []Ref) error { return r.listIfMany(ctx, refs) }

// listIfMany loads the user and role directories when refs name enough of them.
func (r *Resolver) listIfMany(ctx context.Context, refs []Ref) error {
	threshold := r.BulkThreshold
	if threshold == 0 {
		threshold = DefaultBulkThreshold
	}
	if threshold < 0 {
		return nil
	}
	var users, roles int
	for _, ref := range refs {
		if ref.known != nil {
			continue
		}
		t, err := ParseRef(ref.Raw)
		if err != nil {
			continue
		}
		switch {
		case t.Kind == RefUserName || t.Kind == RefARN && t.ARN.Kind == KindUser:
			users++
		case t.Kind == RefRoleName || t.Kind == RefARN && t.ARN.Kind == KindRole:
			roles++
		}
	}
	if users >= threshold && r.users == nil {
		m, err := listPrincipals(ctx, iam.NewListUsersPaginator(r.IAM, &iam.ListUsersInput{MaxItems: aws.Int32(1000)}), "ListUsers", "the account's users",
			func(o *iam.ListUsersOutput) []types.User { return o.Users }, userPrincipal)
		if err != nil {
			return err
		}
		r.users = m
	}
	// With the user directory listed, an unknown user name costs a GetRole each (the "there
	// is a role of that name" hint): a users file of thousands of typos would take minutes.
	// Listing the roles too keeps the hint and bounds the calls (reliability corpus
	// users-many-unknown).
	if (roles >= threshold || users >= threshold) && r.roles == nil {
		m, err := listPrincipals(ctx, iam.NewListRolesPaginator(r.IAM, &iam.ListRolesInput{MaxItems: aws.Int32(1000)}), "ListRoles", "the account's roles",
			func(o *iam.ListRolesOutput) []types.Role { return o.Roles }, rolePrincipal)
		if err != nil {
			return err
		}
		r.roles = m
	}
	return nil
}

// pager is an SDK paginator of IAM listings (ListUsers, ListRoles).
type pager[O any] interface {
	HasMorePages() bool
	NextPage(context.Context, ...func(*iam.Options)) (*O, error)
}

// listPrincipals follows p to the last page and keys each principal by its lower-case name,
// as IAM compares names.
func listPrincipals[O, T any](ctx context.Context, p pager[O], op, what string, items func(*O) []T, principal func(*T) Principal) (map[string]Principal, error) {
	m := map[string]Principal{}
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, apiError(op, what, err)
		}
		l := items(page)
		for i := range l {
			pr := principal(&l[i])
			m[strings.ToLower(pr.Name)] = pr
		}
	}
	return m, nil
}

// userPrincipal and rolePrincipal are what GetUser/ListUsers and GetRole/ListRoles say of
// a principal.
func userPrincipal(u *types.User) Principal {
	return Principal{Arn: aws.ToString(u.Arn), Kind: KindUser, Name: aws.ToString(u.UserName), Path: orRoot(aws.ToString(u.Path))}
}

func rolePrincipal(ro *types.Role) Principal {
	path := orRoot(aws.ToString(ro.Path))
	return Principal{Arn: aws.ToString(ro.Arn), Kind: KindRole, Name: aws.ToString(ro.RoleName), Path: path,
		ServiceLinked: strings.HasPrefix(path, ServiceLinkedPath)}
}

// getUser and getRole report found=false for NoSuchEntity; other errors are API failures.
func (r *Resolver) getUser(ctx context.Context, name string) (Principal, bool, error) {
	return getPrincipal(r.users, "GetUser", "user", name, func() (Principal, bool, error) {
		out, err := r.IAM.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)})
		if err != nil || out == nil || out.User == nil || out.User.Arn == nil {
			return Principal{}, false, err
		}
		return userPrincipal(out.User), true, nil
	})
}

func (r *Resolver) getRole(ctx context.Context, name string) (Principal, bool, error) {
	return getPrincipal(r.roles, "GetRole", "role", name, func() (Principal, bool, error) {
		out, err := r.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
		if err != nil || out == nil || out.Role == nil || out.Role.Arn == nil {
			return Principal{}, false, err
		}
		return rolePrincipal(out.Role), true, nil
	})
}

// getPrincipal answers from the listed directory (Preload) when there is one, else by the
// IAM call get, which reports ok=false with no error when IAM's answer holds no principal.
func getPrincipal(listed map[string]Principal, op, kind, name string, get func() (Principal, bool, error)) (Principal, bool, error) {
	if listed != nil {
		p, ok := listed[strings.ToLower(name)]
		return p, ok, nil
	}
	p, ok, err := get()
	switch {
	case err != nil && isNoSuchEntity(err):
		return Principal{}, false, nil
	case err != nil:
		return Principal{}, false, apiError(op, kind+" "+name, err)
	case !ok:
		return Principal{}, false, fmt.Errorf("iam %s %s returned no %s: check the endpoint (AWS_ENDPOINT_URL) points at IAM", op, name, kind)
	}
	return p, true, nil
}

// ExpandGroup lists the members of IAM group group (following GetGroup's Marker pages) as
// references with source src (its Group set to group). Members come back with their ARNs,
// so Resolve makes no further call for them. An unknown or invalid group is an
// *InputError; an empty group yields no references and no error.
func (r *Resolver) ExpandGroup(ctx context.Context, group string, src Source) ([]Ref, error) {
	if src.Group == "" {
		src.Group = group
	}
	if err := ValidateGroupName(group); err != nil {
		return nil, &InputError{Problems: []Problem{{Source: src, Msg: err.Error()}}}
	}
	var refs []Ref
	var marker *string
	for {
		out, err := r.IAM.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String(group), Marker: marker})
		if err != nil {
			if isNoSuchEntity(err) {
				return nil, &InputError{Problems: []Problem{{Source: src,
					Msg: fmt.Sprintf("no IAM group named %s %s: check the spelling (aws iam list-groups lists them)", group, r.inAccount())}}}
			}
			return nil, fmt.Errorf("%s: %w", src, apiError("GetGroup", "group "+group, err))
		}
		for _, u := range out.Users {
			if u.Arn == nil {
				continue
			}
			path := orRoot(aws.ToString(u.Path))
			p := &Principal{Arn: *u.Arn, Kind: KindUser, Name: aws.ToString(u.UserName), Path: path, Source: src}
			refs = append(refs, Ref{Raw: *u.Arn, Source: src, known: p})
		}
		if !out.IsTruncated || aws.ToString(out.Marker) == "" {
			return refs, nil
		}
		if marker != nil && *marker == *out.Marker {
			return nil, fmt.Errorf("%s: iam GetGroup %s returned the same page marker twice: retry, and report this if it persists", src, group)
		}
		marker = out.Marker
	}
}

// Caller is who the credentials in use are, and which IAM principal EKS maps them to.
type Caller struct {
	Account   string
	Partition string
	Arn       string // as STS GetCallerIdentity returned it
	UserID    string
	Kind      Kind // KindUser, KindAssumedRole, KindRoot or KindFederatedUser
	Name      string
	Session   string // session name of an assumed role
	// PrincipalArn is the ARN an access entry for the caller has: the user ARN, or for an
	// assumed-role session the role ARN with its path. Empty for federated users, which
	// EKS cannot map.
	PrincipalArn string
	Path         string
	// PathKnown is false when the caller may not call iam:GetRole on its own role:
	// PrincipalArn then has path "/" and may differ from the entry's ARN; compare by
	// role name.
	PathKnown bool
}

// LookupCaller calls STS GetCallerIdentity, then CallerIdentity.
func LookupCaller(ctx context.Context, stsc awsapi.STS, iamc awsapi.IAM) (Caller, error) {
	out, err := stsc.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Caller{}, fmt.Errorf("find who you are (sts get-caller-identity): %w: check your AWS credentials (aws sts get-caller-identity)", err)
	}
	return CallerIdentity(ctx, out, iamc)
}

// CallerIdentity computes the caller's account, partition and the principal ARN EKS maps
// it to from a GetCallerIdentity answer. For an assumed role it asks IAM GetRole for the
// role's path, which the session ARN drops; if that is denied, it falls back to path "/"
// with PathKnown false. iamc may be nil when the caller is not an assumed role.
func CallerIdentity(ctx context.Context, out *sts.GetCallerIdentityOutput, iamc awsapi.IAM) (Caller, error) {
	if out == nil || aws.ToString(out.Arn) == "" {
		return Caller{}, errors.New("sts get-caller-identity returned no ARN: check the endpoint (AWS_ENDPOINT_URL) points at STS")
	}
	p, err := ParsePrincipalARN(aws.ToString(out.Arn))
	if err != nil {
		return Caller{}, fmt.Errorf("sts get-caller-identity returned an unexpected ARN: %w", err)
	}
	c := Caller{
		Account: p.Account, Partition: p.Partition, Arn: p.ARN.String(), UserID: aws.ToString(out.UserId),
		Kind: p.Kind, Name: p.Name, Session: p.Session, Path: p.Path, PathKnown: true,
	}
	if acct := aws.ToString(out.Account); acct != "" && acct != p.Account {
		return Caller{}, fmt.Errorf("sts get-caller-identity returned account %s but ARN %s: check the endpoint (AWS_ENDPOINT_URL) points at STS", acct, c.Arn)
	}
	switch p.Kind {
	case KindUser, KindRoot:
		c.PrincipalArn = c.Arn
	case KindRole:
		// Not returned by STS, but harmless: the ARN already is the role's.
		c.PrincipalArn = c.Arn
	case KindAssumedRole:
		c.Path, c.PathKnown = "/", false
		if iamc != nil {
			ro, err := iamc.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(p.Name)})
			switch {
			case err == nil && ro.Role != nil:
				c.Path, c.PathKnown = orRoot(aws.ToString(ro.Role.Path)), true
			case err == nil, isAccessDenied(err):
			case isNoSuchEntity(err):
				return Caller{}, fmt.Errorf("you are signed in as %s, but IAM has no role %s: the role was deleted; sign in again with current credentials", c.Arn, p.Name)
			default:
				return Caller{}, apiError("GetRole", "role "+p.Name+" (your own)", err)
			}
		}
		c.PrincipalArn = RoleARN(c.Partition, c.Account, c.Path, c.Name)
	case KindFederatedUser:
		// EKS cannot map federated users; PrincipalArn stays empty.
	default:
		return Caller{}, fmt.Errorf("sts get-caller-identity returned %s, which is not a principal: check the endpoint (AWS_ENDPOINT_URL) points at STS", c.Arn)
	}
	return c, nil
}

func isNoSuchEntity(err error) bool {
	var nse *types.NoSuchEntityException
	return errors.As(err, &nse)
}

func isAccessDenied(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && strings.Contains(ae.ErrorCode(), "AccessDenied")
}

// apiError wraps an IAM failure that is not the admin's input, ending with what to do.
func apiError(op, what string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	advice := "retry later, or lower --concurrency if IAM is throttling"
	if isAccessDenied(err) {
		advice = "allow iam:" + op + " for your credentials: eksaccess checks every principal in IAM before changing anything"
	}
	return fmt.Errorf("look up IAM %s: %w: %s", what, err, advice)
}
