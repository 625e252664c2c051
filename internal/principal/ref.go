package principal

import (
	"fmt"
	"strings"
)

// Ref is one principal as the admin wrote it, and where.
type Ref struct {
	Raw    string
	Source Source

	// known is set by ExpandGroup: IAM already returned the member's ARN, so Resolve need
	// not ask again.
	known *Principal
}

// ArgRefs turns command-line principals into references with sources "argument 1", ….
func ArgRefs(args []string) []Ref {
	refs := make([]Ref, len(args))
	for i, a := range args {
		refs[i] = Ref{Raw: a, Source: ArgSource(i + 1)}
	}
	return refs
}

// RefKind is the form a reference takes.
type RefKind int

const (
	RefUserName RefKind = iota + 1 // alice, user/NAME or user/PATH/NAME
	RefRoleName                    // role/NAME or role/PATH/NAME
	RefARN                         // arn:…
)

func (k RefKind) String() string {
	switch k {
	case RefUserName:
		return "user name"
	case RefRoleName:
		return "role name"
	case RefARN:
		return "ARN"
	}
	return "unknown"
}

// Target is a parsed reference.
type Target struct {
	Kind RefKind
	Name string       // user or role name (RefUserName, RefRoleName)
	Path string       // "/p/q/" when written as role/p/q/NAME or user/p/q/NAME, "" when not given
	ARN  PrincipalARN // RefARN
}

// ParseRef is the one parser of a principal as written on the command line, in a users file
// or in an access file: an IAM user name, user/NAME, user/PATH/NAME (IAM users can have
// paths), role/NAME, role/PATH/NAME, or an ARN (any principal kind; Resolve decides which EKS
// accepts). Names must be names IAM could have created.
func ParseRef(raw string) (Target, error) {
	switch {
	case raw == "":
		return Target{}, fmt.Errorf("empty principal: give an IAM user name, role/NAME, or an ARN")
	case strings.HasPrefix(raw, "arn:"):
		p, err := ParsePrincipalARN(raw)
		if err != nil {
			return Target{}, err
		}
		return Target{Kind: RefARN, Name: p.Name, Path: p.Path, ARN: p}, nil
	case strings.HasPrefix(raw, "role/"), strings.HasPrefix(raw, "user/"):
		kind, rest, _ := strings.Cut(raw, "/")
		i := strings.LastIndexByte(rest, '/')
		t := Target{Kind: RefRoleName, Name: rest[i+1:]}
		validate := ValidateRoleName
		if kind == "user" {
			t.Kind, validate = RefUserName, ValidateUserName
		}
		if i >= 0 {
			t.Path = "/" + rest[:i+1]
		}
		if err := validate(t.Name); err != nil {
			return Target{}, fmt.Errorf("%q: %w", clip(raw), err)
		}
		if t.Path != "" {
			if err := ValidatePath(t.Path); err != nil {
				return Target{}, fmt.Errorf("%q: %w: write %s/NAME or %s/PATH/NAME", clip(raw), err, kind, kind)
			}
		}
		return t, nil
	case strings.HasPrefix(raw, "group/"):
		return Target{}, fmt.Errorf("%q: an IAM group is not a principal: grant its members with --iam-group %s", clip(raw), clip(raw[len("group/"):]))
	case strings.HasPrefix(strings.ToLower(raw), "arn:"), strings.HasPrefix(strings.ToLower(raw), "role/"):
		return Target{}, fmt.Errorf("%q: write %q, in lower case", clip(raw), strings.ToLower(raw[:strings.IndexAny(raw, ":/")+1]))
	}
	if err := ValidateUserName(raw); err != nil {
		return Target{}, err
	}
	return Target{Kind: RefUserName, Name: raw}, nil
}

// key identifies references that certainly name the same principal: IAM names are
// case-insensitive, ARNs compare exactly.
func (t Target) key() string {
	switch t.Kind {
	case RefUserName:
		if t.Path != "" {
			return "u:" + t.Path + ":" + strings.ToLower(t.Name)
		}
		return "u:" + strings.ToLower(t.Name)
	case RefRoleName:
		return "r:" + t.Path + ":" + strings.ToLower(t.Name)
	}
	return "a:" + t.ARN.String()
}
