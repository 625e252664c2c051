package accessfile

import "slices"

// builtinPolicies are the EKS access policy names known when this was
// written (shared/reference/access-policies.yaml, from the EKS user guide's
// access-policy reference and the aws CLI's list-access-policies example).
// The live list (ListAccessPolicies) is authoritative: callers that can reach
// EKS pass it as Options.KnownPolicy.
var builtinPolicies = []string{
	"AmazonAIOpsAssistantPolicy",
	"AmazonARCRegionSwitchScalingPolicy",
	"AmazonEKSAdminPolicy",
	"AmazonEKSAdminViewPolicy",
	"AmazonEKSAutoNodePolicy",
	"AmazonEKSBlockStorageClusterPolicy",
	"AmazonEKSBlockStoragePolicy",
	"AmazonEKSClusterAdminPolicy",
	"AmazonEKSClusterInsightsPolicy",
	"AmazonEKSComputeClusterPolicy",
	"AmazonEKSComputePolicy",
	"AmazonEKSEditPolicy",
	"AmazonEKSHybridPolicy",
	"AmazonEKSLoadBalancingClusterPolicy",
	"AmazonEKSLoadBalancingPolicy",
	"AmazonEKSNetworkingClusterPolicy",
	"AmazonEKSNetworkingPolicy",
	"AmazonEKSSecretReaderPolicy",
	"AmazonEKSViewPolicy",
	"AmazonEMRJobPolicy",
	"AmazonSagemakerHyperpodClusterPolicy",
	"AmazonSagemakerHyperpodControllerPolicy",
	"AmazonSagemakerHyperpodInferencePolicy",
	"AmazonSagemakerHyperpodSpacePolicy",
	"AmazonSagemakerHyperpodSpaceTemplatePolicy",
	"AmazonSagemakerHyperpodSystemNamespacePolicy",
	"AmazonSagemakerHyperpodTrainingPolicy",
	"AmazonSagemakerHyperpodUserClusterPolicy",
}

// BuiltinPolicies returns the access policy names the loader knows without
// asking EKS, sorted.
func BuiltinPolicies() []string { return slices.Clone(builtinPolicies) }

// IsBuiltinPolicy reports whether name is one of BuiltinPolicies.
func IsBuiltinPolicy(name string) bool { return slices.Contains(builtinPolicies, name) }
