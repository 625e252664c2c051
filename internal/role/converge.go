package role

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	smithy "github.com/aws/smithy-go"

	"eksaccess/internal/awsapi"
)

// Defaults of `eksaccess role create`, the names the workshop uses.
const (
	DefaultRoleName   = "EKSFullAccessRole"
	DefaultPolicyName = "EKSFullAccessPolicy"
	DefaultAction     = "eks:*"
	// TagManaged marks the IAM role and policy eksaccess created.
	TagManaged = "eksaccess/managed"
	// MaxPolicyVersions is IAM's fixed limit of versions kept per managed policy.
	MaxPolicyVersions = 5
)

// Spec is the shared role as it should be.
type Spec struct {
	RoleName string
	// Path of the role and its policy; "" means "/" on creation and "any" for an existing role.
	Path        string
	Description string // "" leaves an existing role's description alone
	PolicyName  string
	Actions     []string
	// Trust lists the principal ARNs allowed to assume the role (see TrustPrincipal).
	Trust      []string
	RequireMFA bool
	// MaxSession in seconds (3600–43200); 0 is IAM's default (1 h) on creation and leaves an
	// existing role alone.
	MaxSession int32
}

// Validate checks the spec as IAM would, before any call.
func (s *Spec) Validate() error {
	var errs []string
	if !iamNameRe.MatchString(s.RoleName) {
		errs = append(errs, fmt.Sprintf("role name %q is not valid: IAM role names are 1–64 of letters, digits and +=,.@_-", s.RoleName))
	}
	if !policyNameRe.MatchString(s.PolicyName) {
		errs = append(errs, fmt.Sprintf("--policy-name %q is not valid: IAM policy names are 1–128 of letters, digits and +=,.@_-", s.PolicyName))
	}
	if s.Path != "" && (len(s.Path) > 512 || !policyPathRe.MatchString(s.Path)) {
		errs = append(errs, fmt.Sprintf("--path %q is not valid: give / or /segment/…/ with letters, digits and .,+@=_- in each segment", s.Path))
	}
	if len(s.Actions) == 0 {
		errs = append(errs, "no --actions: give at least one, e.g. --actions 'eks:*'")
	}
	for _, a := range s.Actions {
		if !actionRe.MatchString(a) {
			errs = append(errs, fmt.Sprintf("--actions %q is not an IAM action: use service:Action, wildcards allowed (eks:*, eks:Describe*)", a))
		}
	}
	if len(s.Trust) == 0 {
		errs = append(errs, "no --trust principal: give `account` or principal ARNs")
	}
	if s.MaxSession != 0 && (s.MaxSession < 3600 || s.MaxSession > 43200) {
		errs = append(errs, fmt.Sprintf("--max-session %s is out of range: IAM allows 1h to 12h", time.Duration(s.MaxSession)*time.Second))
	}
	if len(s.Description) > 1000 || !descriptionRe.MatchString(s.Description) {
		errs = append(errs, "--description must be at most 1000 printable characters")
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

func (s *Spec) path() string {
	if s.Path == "" {
		return "/"
	}
	return s.Path
}

// PolicyArn is the ARN the spec's policy has in account/partition.
func (s *Spec) PolicyArn(account, partition string) string {
	return "arn:" + partition + ":iam::" + account + ":policy" + s.path() + s.PolicyName
}

// Status is what a step did (or would do in a dry run).
type Status string

// Statuses.
const (
	Created   Status = "created"
	Updated   Status = "updated"
	Unchanged Status = "unchanged"
)

// Step is one resource of the role setup and what happened to it.
type Step struct {
	Resource string `json:"resource"` // policy | role | attachment
	Name     string `json:"name"`
	Arn      string `json:"arn,omitempty"`
	Status   Status `json:"status"`
	// Changes say what an update changed ("trust policy", "max session 1h0m0s -> 2h0m0s").
	Changes []string `json:"changes,omitempty"`
}

// Result is the outcome of Converge.
type Result struct {
	RoleName  string `json:"roleName"`
	RoleArn   string `json:"roleArn"`
	PolicyArn string `json:"policyArn"`
	DryRun    bool   `json:"dryRun"`
	Steps     []Step `json:"steps"`
}

// Changed reports whether any step created or updated something.
func (r *Result) Changed() bool {
	for _, s := range r.Steps {
		if s.Status != Unchanged {
			return true
		}
	}
	return false
}

// Options tune Converge.
type Options struct {
	Account   string
	Partition string
	// DryRun reads only and reports what would change.
	DryRun bool
	// Adopt is asked, once and before any change, whether to take over the existing role
	// or policy (those without the eksaccess/managed tag) listed; it sees the trust-policy
	// diff and the new policy version. Nil, or false, refuses with an *OwnershipError.
	Adopt func([]Adoption) (bool, error)
}

// policyVersionAPI is what pruning old policy versions needs. It is asserted at run time
// rather than added to awsapi.IAM: only a policy at IAM's five-version limit needs it, and
// the SDK client has it.
type policyVersionAPI interface {
	ListPolicyVersions(ctx context.Context, in *iam.ListPolicyVersionsInput, optFns ...func(*iam.Options)) (*iam.ListPolicyVersionsOutput, error)
	DeletePolicyVersion(ctx context.Context, in *iam.DeletePolicyVersionInput, optFns ...func(*iam.Options)) (*iam.DeletePolicyVersionOutput, error)
}

// Converge makes the policy, the role and the attachment match spec, changing only what
// differs. A second run with the same spec makes no mutating call.
func Converge(ctx context.Context, api awsapi.IAM, spec Spec, o Options) (*Result, error) {
	if o.Partition == "" {
		o.Partition = "aws"
	}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	res := &Result{RoleName: spec.RoleName, PolicyArn: spec.PolicyArn(o.Account, o.Partition), DryRun: o.DryRun}
	// Read both first: whether to adopt is asked once, before the first change.
	pol, err := readPolicy(ctx, api, res.PolicyArn)
	if err != nil {
		return nil, err
	}
	rol, err := readRole(ctx, api, spec.RoleName)
	if err != nil {
		return nil, err
	}
	adoptions, err := adoptionsFor(&spec, res.PolicyArn, pol, rol)
	if err != nil {
		return nil, err
	}
	if len(adoptions) > 0 {
		if o.Adopt == nil {
			return nil, &OwnershipError{Adoptions: adoptions}
		}
		ok, err := o.Adopt(adoptions)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, &OwnershipError{Adoptions: adoptions, Declined: true}
		}
	}
	pstep, err := convergePolicy(ctx, api, &spec, res.PolicyArn, pol, o)
	if err != nil {
		return nil, err
	}
	if pol != nil && !hasManagedTag(pol.policy.Tags) {
		if err := adopt(&pstep, o, func() error {
			_, err := api.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String(res.PolicyArn), Tags: managedTags()})
			return err
		}); err != nil {
			return nil, err
		}
	}
	res.Steps = append(res.Steps, pstep)
	rstep, err := convergeRole(ctx, api, &spec, rol, o)
	if err != nil {
		return nil, err
	}
	if rol != nil && !hasManagedTag(rol.Tags) {
		if err := adopt(&rstep, o, func() error {
			_, err := api.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String(spec.RoleName), Tags: managedTags()})
			return err
		}); err != nil {
			return nil, err
		}
	}
	res.RoleArn = rstep.Arn
	res.Steps = append(res.Steps, rstep)
	astep, err := convergeAttachment(ctx, api, &spec, res.PolicyArn, rstep.Status == Created, o)
	if err != nil {
		return nil, err
	}
	res.Steps = append(res.Steps, astep)
	return res, nil
}

func isNoSuchEntity(err error) bool {
	var nse *types.NoSuchEntityException
	if errors.As(err, &nse) {
		return true
	}
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "NoSuchEntity"
}

func isCode(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}

// iamError adds what to do to an IAM failure.
func iamError(what string, err error) error {
	if isCode(err, "AccessDenied") {
		return fmt.Errorf("%s: %w: the role setup needs iam:GetPolicy, iam:CreatePolicy, iam:CreatePolicyVersion, iam:GetRole, iam:CreateRole, iam:UpdateRole, iam:UpdateAssumeRolePolicy, iam:ListAttachedRolePolicies, iam:AttachRolePolicy, iam:TagRole and iam:TagPolicy; run it as an IAM administrator", what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func managedTags() []types.Tag {
	return []types.Tag{{Key: aws.String(TagManaged), Value: aws.String("true")}}
}

// livePolicy is an existing customer managed policy and its default version's document.
type livePolicy struct {
	policy *types.Policy
	def    string
	doc    string // decoded
}

// readPolicy returns the policy at arn, or nil when there is none.
func readPolicy(ctx context.Context, api awsapi.IAM, arn string) (*livePolicy, error) {
	gp, err := api.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if isNoSuchEntity(err) {
		return nil, nil
	}
	if err != nil {
		return nil, iamError("read IAM policy "+arn, err)
	}
	def := aws.ToString(gp.Policy.DefaultVersionId)
	gv, err := api.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String(def)})
	if err != nil {
		return nil, iamError("read IAM policy "+arn+" version "+def, err)
	}
	doc, err := DecodeDocument(aws.ToString(gv.PolicyVersion.Document))
	if err != nil {
		return nil, err
	}
	return &livePolicy{policy: gp.Policy, def: def, doc: doc}, nil
}

// readRole returns the role, or nil when there is none.
func readRole(ctx context.Context, api awsapi.IAM, name string) (*types.Role, error) {
	gr, err := api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if isNoSuchEntity(err) {
		return nil, nil
	}
	if err != nil {
		return nil, iamError("read IAM role "+name, err)
	}
	return gr.Role, nil
}

// adoptionsFor lists the existing role and policy that lack the eksaccess/managed tag, with
// what converging them would write.
func adoptionsFor(spec *Spec, policyArn string, pol *livePolicy, rol *types.Role) ([]Adoption, error) {
	var out []Adoption
	if pol != nil && !hasManagedTag(pol.policy.Tags) {
		a := Adoption{Resource: "policy", Name: spec.PolicyName, Arn: policyArn, DefaultVersion: pol.def, OldDocument: pol.doc}
		want := PermissionsPolicy(spec.Actions)
		same, err := Equivalent(pol.doc, want)
		if err != nil {
			return nil, fmt.Errorf("IAM policy %s version %s: %w", policyArn, pol.def, err)
		}
		if !same {
			a.NewDocument = want
		}
		out = append(out, a)
	}
	if rol != nil && !hasManagedTag(rol.Tags) {
		have, err := DecodeDocument(aws.ToString(rol.AssumeRolePolicyDocument))
		if err != nil {
			return nil, err
		}
		a := Adoption{Resource: "role", Name: spec.RoleName, Arn: aws.ToString(rol.Arn), TrustBefore: have}
		want := TrustPolicy(spec.Trust, spec.RequireMFA)
		same, err := Equivalent(have, want)
		if err != nil {
			return nil, fmt.Errorf("trust policy of IAM role %s: %w", spec.RoleName, err)
		}
		if !same {
			a.TrustAfter = want
		}
		out = append(out, a)
	}
	return out, nil
}

// adopt tags a resource eksaccess takes over (after its other changes) and records it.
func adopt(step *Step, o Options, tag func() error) error {
	step.Changes = append(step.Changes, "adopted (tagged "+TagManaged+")")
	if step.Status == Unchanged {
		step.Status = Updated
	}
	if o.DryRun {
		return nil
	}
	if err := tag(); err != nil {
		return iamError("tag IAM "+step.Resource+" "+step.Name+" "+TagManaged, err)
	}
	return nil
}

func convergePolicy(ctx context.Context, api awsapi.IAM, spec *Spec, arn string, pol *livePolicy, o Options) (Step, error) {
	step := Step{Resource: "policy", Name: spec.PolicyName, Arn: arn}
	want := PermissionsPolicy(spec.Actions)
	if pol == nil {
		step.Status = Created
		if o.DryRun {
			return step, nil
		}
		_, err := api.CreatePolicy(ctx, &iam.CreatePolicyInput{
			PolicyName:     aws.String(spec.PolicyName),
			Path:           aws.String(spec.path()),
			PolicyDocument: aws.String(want),
			Description:    aws.String("Allows " + strings.Join(spec.Actions, ", ") + " for role " + spec.RoleName + " (eksaccess role create)"),
			Tags:           managedTags(),
		})
		if isCode(err, "EntityAlreadyExists") {
			return step, fmt.Errorf("create IAM policy %s: a customer managed policy named %s already exists under another path: pass that path with --path, or choose another --policy-name", spec.PolicyName, spec.PolicyName)
		}
		if err != nil {
			return step, iamError("create IAM policy "+spec.PolicyName, err)
		}
		return step, nil
	}
	def, have := pol.def, pol.doc
	same, err := Equivalent(have, want)
	if err != nil {
		return step, fmt.Errorf("IAM policy %s version %s: %w", arn, def, err)
	}
	if same {
		step.Status = Unchanged
		return step, nil
	}
	step.Status = Updated
	if o.DryRun {
		step.Changes = []string{"new default version (actions " + strings.Join(spec.Actions, ",") + ")"}
		return step, nil
	}
	create := func() (*iam.CreatePolicyVersionOutput, error) {
		return api.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{
			PolicyArn: aws.String(arn), PolicyDocument: aws.String(want), SetAsDefault: true,
		})
	}
	cv, err := create()
	if isCode(err, "LimitExceeded") {
		var pruned string
		pruned, err = pruneOldestVersion(ctx, api, arn)
		if err != nil {
			return step, err
		}
		step.Changes = append(step.Changes, "deleted old version "+pruned)
		cv, err = create()
	}
	if err != nil {
		return step, iamError("update IAM policy "+arn, err)
	}
	step.Changes = append([]string{"default version " + def + " -> " + aws.ToString(cv.PolicyVersion.VersionId)}, step.Changes...)
	return step, nil
}

// pruneOldestVersion deletes the oldest non-default version of a policy at IAM's limit.
func pruneOldestVersion(ctx context.Context, api awsapi.IAM, arn string) (string, error) {
	pv, ok := api.(policyVersionAPI)
	if !ok {
		return "", fmt.Errorf("IAM policy %s has %d versions, the most IAM keeps: delete an old one with `aws iam delete-policy-version --policy-arn %s --version-id vN`", arn, MaxPolicyVersions, arn)
	}
	var versions []types.PolicyVersion
	var marker *string
	for {
		out, err := pv.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(arn), Marker: marker})
		if err != nil {
			return "", iamError("list versions of IAM policy "+arn, err)
		}
		versions = append(versions, out.Versions...)
		if !out.IsTruncated || out.Marker == nil {
			break
		}
		marker = out.Marker
	}
	versions = slices.DeleteFunc(versions, func(v types.PolicyVersion) bool { return v.IsDefaultVersion })
	if len(versions) == 0 {
		return "", fmt.Errorf("IAM policy %s is at its version limit but has no non-default version to delete", arn)
	}
	sort.SliceStable(versions, func(i, j int) bool {
		return aws.ToTime(versions[i].CreateDate).Before(aws.ToTime(versions[j].CreateDate))
	})
	id := aws.ToString(versions[0].VersionId)
	if _, err := pv.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String(id)}); err != nil && !isNoSuchEntity(err) {
		return "", iamError("delete version "+id+" of IAM policy "+arn, err)
	}
	return id, nil
}

func convergeRole(ctx context.Context, api awsapi.IAM, spec *Spec, r *types.Role, o Options) (Step, error) {
	step := Step{Resource: "role", Name: spec.RoleName}
	trust := TrustPolicy(spec.Trust, spec.RequireMFA)
	if r == nil {
		step.Status = Created
		step.Arn = "arn:" + o.Partition + ":iam::" + o.Account + ":role" + spec.path() + spec.RoleName
		if o.DryRun {
			return step, nil
		}
		in := &iam.CreateRoleInput{
			RoleName:                 aws.String(spec.RoleName),
			Path:                     aws.String(spec.path()),
			AssumeRolePolicyDocument: aws.String(trust),
			Tags:                     managedTags(),
		}
		if spec.Description != "" {
			in.Description = aws.String(spec.Description)
		}
		if spec.MaxSession != 0 {
			in.MaxSessionDuration = aws.Int32(spec.MaxSession)
		}
		out, err := api.CreateRole(ctx, in)
		if err != nil {
			return step, iamError("create IAM role "+spec.RoleName, err)
		}
		step.Arn = aws.ToString(out.Role.Arn)
		return step, nil
	}
	step.Arn = aws.ToString(r.Arn)
	if spec.Path != "" && aws.ToString(r.Path) != spec.Path {
		return step, fmt.Errorf("IAM role %s exists with path %s, not %s: IAM cannot move a role; drop --path or pass --path %s", spec.RoleName, aws.ToString(r.Path), spec.Path, aws.ToString(r.Path))
	}
	have, err := DecodeDocument(aws.ToString(r.AssumeRolePolicyDocument))
	if err != nil {
		return step, err
	}
	same, err := Equivalent(have, trust)
	if err != nil {
		return step, fmt.Errorf("trust policy of IAM role %s: %w", spec.RoleName, err)
	}
	if !same {
		step.Changes = append(step.Changes, "trust policy")
		if !o.DryRun {
			if _, err := api.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(spec.RoleName), PolicyDocument: aws.String(trust)}); err != nil {
				return step, iamError("update the trust policy of IAM role "+spec.RoleName, err)
			}
		}
	}
	upd := &iam.UpdateRoleInput{RoleName: aws.String(spec.RoleName)}
	if cur := aws.ToInt32(r.MaxSessionDuration); spec.MaxSession != 0 && cur != spec.MaxSession {
		upd.MaxSessionDuration = aws.Int32(spec.MaxSession)
		step.Changes = append(step.Changes, fmt.Sprintf("max session %s -> %s", time.Duration(cur)*time.Second, time.Duration(spec.MaxSession)*time.Second))
	}
	if spec.Description != "" && aws.ToString(r.Description) != spec.Description {
		upd.Description = aws.String(spec.Description)
		step.Changes = append(step.Changes, "description")
	}
	if upd.MaxSessionDuration != nil || upd.Description != nil {
		if !o.DryRun {
			if _, err := api.UpdateRole(ctx, upd); err != nil {
				return step, iamError("update IAM role "+spec.RoleName, err)
			}
		}
	}
	step.Status = Unchanged
	if len(step.Changes) > 0 {
		step.Status = Updated
	}
	return step, nil
}

func convergeAttachment(ctx context.Context, api awsapi.IAM, spec *Spec, policyArn string, roleNew bool, o Options) (Step, error) {
	step := Step{Resource: "attachment", Name: spec.PolicyName + " -> " + spec.RoleName, Arn: policyArn}
	if !roleNew {
		var marker *string
		for {
			out, err := api.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(spec.RoleName), Marker: marker})
			if err != nil {
				return step, iamError("list the policies of IAM role "+spec.RoleName, err)
			}
			for _, p := range out.AttachedPolicies {
				if aws.ToString(p.PolicyArn) == policyArn {
					step.Status = Unchanged
					return step, nil
				}
			}
			if !out.IsTruncated || out.Marker == nil {
				break
			}
			marker = out.Marker
		}
	}
	step.Status = Created
	if o.DryRun {
		return step, nil
	}
	if _, err := api.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(spec.RoleName), PolicyArn: aws.String(policyArn)}); err != nil {
		if isCode(err, "LimitExceeded") {
			return step, fmt.Errorf("attach %s to IAM role %s: %w: the role has the most managed policies IAM allows; detach one first", policyArn, spec.RoleName, err)
		}
		return step, iamError("attach "+policyArn+" to IAM role "+spec.RoleName, err)
	}
	return step, nil
}
