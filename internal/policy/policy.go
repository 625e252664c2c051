// Package policy holds the EKS access policies as Kubernetes RBAC rules, as AWS documents
// them (access-policies.yaml, embedded with its provenance header), and evaluates offline
// whether an access entry may do something: the engine of `can-i`, `who-can` and the
// sandbox's SelfSubjectAccessReview.
package policy

import (
	_ "embed"
	"fmt"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

//go:embed access-policies.yaml
var policiesYAML []byte

// Rule is one Kubernetes RBAC policy rule.
type Rule struct {
	APIGroups       []string `json:"apiGroups"`
	Resources       []string `json:"resources"`
	Verbs           []string `json:"verbs"`
	NonResourceURLs []string `json:"nonResourceURLs"`
}

// Policy is an EKS access policy. Documented is false when AWS does not publish its
// Kubernetes rules; then Rules is nil and nothing may be inferred from it.
type Policy struct {
	Name       string
	Arn        string // in the partition it was looked up with (arn:aws: for a bare name)
	Rules      []Rule
	Documented bool
}

type filePolicy struct {
	Name            string `json:"name"`
	Arn             string `json:"arn"`
	RulesDocumented bool   `json:"rules_documented"`
	Rules           []Rule `json:"rules"`
}

type policyFile struct {
	Policies    []filePolicy `json:"policies"`
	NotInSource struct {
		Policies []filePolicy `json:"policies"`
	} `json:"policies_not_in_source"`
}

var (
	byName map[string]Policy // by policy name
	names  []string
)

const arnPrefixTail = ":eks::aws:cluster-access-policy/"

func init() {
	var f policyFile
	if err := yaml.Unmarshal(policiesYAML, &f); err != nil {
		panic(fmt.Sprintf("policy: embedded access-policies.yaml is invalid: %v", err))
	}
	byName = map[string]Policy{}
	add := func(fp filePolicy) {
		p := Policy{Name: fp.Name, Arn: fp.Arn, Documented: fp.RulesDocumented && fp.Rules != nil}
		if p.Documented {
			p.Rules = fp.Rules
		}
		byName[p.Name] = p
		names = append(names, p.Name)
	}
	for _, fp := range f.Policies {
		add(fp)
	}
	for _, fp := range f.NotInSource.Policies {
		add(fp)
	}
	sort.Strings(names)
}

// Names lists every known access policy name, sorted.
func Names() []string { return append([]string(nil), names...) }

// Lookup finds a policy by name or by ARN in any partition (arn:aws:, arn:aws-cn:,
// arn:aws-us-gov:, …); the returned Arn keeps the partition of the ARN given.
func Lookup(nameOrArn string) (Policy, bool) {
	name, partition := nameOrArn, "aws"
	if strings.HasPrefix(nameOrArn, "arn:") {
		rest := strings.TrimPrefix(nameOrArn, "arn:")
		i := strings.Index(rest, arnPrefixTail)
		if i <= 0 {
			return Policy{}, false
		}
		partition, name = rest[:i], rest[i+len(arnPrefixTail):]
		if strings.Contains(partition, ":") {
			return Policy{}, false
		}
	}
	p, ok := byName[name]
	if !ok {
		return Policy{}, false
	}
	p.Arn = PolicyArn(partition, p.Name)
	p.Rules = append([]Rule(nil), p.Rules...)
	return p, true
}

// PolicyArn is the ARN of the access policy name in partition (aws, aws-cn, aws-us-gov).
func PolicyArn(partition, name string) string {
	return "arn:" + partition + arnPrefixTail + name
}

// policyName returns the last ARN segment, or the input when it is not an access policy ARN.
func policyName(nameOrArn string) string {
	if i := strings.LastIndex(nameOrArn, "/"); i >= 0 && strings.HasPrefix(nameOrArn, "arn:") {
		return nameOrArn[i+1:]
	}
	return nameOrArn
}

// listedNames are the access policies EKS lists (ListAccessPolicies), as public sources show
// them: the 19 of the aws CLI's list-access-policies example, plus those AWS documents since
// (access-policy reference: AmazonEKSSecretReaderPolicy, AmazonEKSClusterInsightsPolicy and
// the two in its sample output; SageMaker developer guide: the HyperPod team policies).
// Sorted, as EKS lists them. The live list is authoritative; this one serves offline
// validation and the sandbox.
var listedNames = func() []string {
	names := []string{
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

	sort.Strings(names)
	return names
}()

// ListedNames returns the access policy names EKS lists, sorted.
func ListedNames() []string { return append([]string(nil), listedNames...) }
