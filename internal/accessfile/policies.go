package accessfile

import (
	"slices"

	"eksaccess/internal/policy"
)

// builtinPolicies are the EKS access policy names known offline (policy.ListedNames).
// The live list (ListAccessPolicies) is authoritative: callers that can reach EKS pass it
// as Options.KnownPolicy.
var builtinPolicies = policy.ListedNames()

// BuiltinPolicies returns the access policy names the loader knows without
// asking EKS, sorted.
func BuiltinPolicies() []string { return slices.Clone(builtinPolicies) }

// IsBuiltinPolicy reports whether name is one of BuiltinPolicies.
func IsBuiltinPolicy(name string) bool { return slices.Contains(builtinPolicies, name) }
