// Package accessfile reads, validates and writes the declarative access file
// (apiVersion eksaccess/v1, kind AccessConfig): the access of many EKS and
// SageMaker HyperPod clusters in one reviewed YAML file.
//
// Loading never stops at the first mistake: every problem found is returned at
// once, each with FILE:LINE:COL, so that a bad file is fixed in one pass and
// nothing is touched until the whole file is valid. Checks that need AWS
// (does the principal exist, which ARN a permission set's role has, is the
// same principal reached twice through different items) belong to the caller.
package accessfile

import (
	"strings"
	"time"

	"eksaccess/internal/rbac"
	"eksaccess/internal/yamlpos"
)

// APIVersion and Kind are the only values the loader accepts in an access
// file's header.
const (
	APIVersion = "eksaccess/v1"
	Kind       = "AccessConfig"
)

// Authentication modes a cluster may declare, in the only order EKS allows
// switching them (forward, one step at a time).
const (
	AuthModeConfigMap       = "CONFIG_MAP"
	AuthModeAPIAndConfigMap = "API_AND_CONFIG_MAP"
	AuthModeAPI             = "API"
)

// Access entry types.
const (
	TypeStandard      = "STANDARD"
	TypeEC2Linux      = "EC2_LINUX"
	TypeEC2Windows    = "EC2_WINDOWS"
	TypeFargateLinux  = "FARGATE_LINUX"
	TypeHybridLinux   = "HYBRID_LINUX"
	TypeEC2           = "EC2"
	TypeHyperPodLinux = "HYPERPOD_LINUX"
)

const (
	// ClusterAdminPolicy is the policy aws-auth's system:masters becomes.
	ClusterAdminPolicy = "AmazonEKSClusterAdminPolicy"
	reservedTagPrefix  = "eksaccess/"
	awsTagPrefix       = "aws:"
	maxUserTags        = 48 // EKS allows 50 tags; eksaccess/managed and eksaccess/expires take two
)

// Config is a whole access file.
type Config struct {
	// APIVersion must be "eksaccess/v1".
	APIVersion string `json:"apiVersion" yaml:"apiVersion" jsonschema:"required,enum=eksaccess/v1" jsonschema_description:"Version of the access-file format. Only eksaccess/v1 exists."`
	// Kind must be "AccessConfig".
	Kind string `json:"kind" yaml:"kind" jsonschema:"required,enum=AccessConfig" jsonschema_description:"Always AccessConfig."`
	// Clusters lists every cluster the file manages; each appears once per
	// region.
	Clusters []Cluster `json:"clusters" yaml:"clusters" jsonschema:"required,minItems=1" jsonschema_description:"The clusters this file manages, each once per region."`

	// File is the path the config was loaded from ("" when built in memory).
	File string `json:"-" yaml:"-"`
}

// Cluster is one EKS cluster, named directly or through the SageMaker
// HyperPod cluster that uses it as its orchestrator.
type Cluster struct {
	// Name is the EKS cluster name. Exactly one of Name and HyperPod is set.
	Name string `json:"name,omitempty" yaml:"name,omitempty" jsonschema:"minLength=1,maxLength=100,pattern=^[0-9A-Za-z][A-Za-z0-9_-]*$" jsonschema_description:"EKS cluster name. Exactly one of name and hyperpod."`
	// HyperPod is a SageMaker HyperPod cluster name or ARN; the caller
	// resolves it to the EKS cluster that orchestrates it.
	HyperPod string `json:"hyperpod,omitempty" yaml:"hyperpod,omitempty" jsonschema:"minLength=1" jsonschema_description:"SageMaker HyperPod cluster name or ARN, resolved to its EKS orchestrator. Exactly one of name and hyperpod."`
	// Region is the AWS Region of the cluster (required).
	Region string `json:"region" yaml:"region" jsonschema:"required,pattern=^[a-z]{2}(-[a-z]+)+-[0-9]+$" jsonschema_description:"AWS Region of the cluster, e.g. us-west-2."`
	// Account is the AWS account id of the cluster; the credentials that reach it must be
	// in that account (checked before any change). Empty: the run's account.
	Account string `json:"account,omitempty" yaml:"account,omitempty" jsonschema:"pattern=^[0-9]{12}$" jsonschema_description:"AWS account id of the cluster (12 digits, quoted). Default: the account of your credentials."`
	// Profile is the AWS profile (~/.aws/config) whose credentials reach the account.
	Profile string `json:"profile,omitempty" yaml:"profile,omitempty" jsonschema:"minLength=1" jsonschema_description:"AWS profile whose credentials reach the cluster's account."`
	// AssumeRole is a role to assume to reach the account (with the profile's credentials
	// when profile is set, else the run's).
	AssumeRole *AssumeRole `json:"assumeRole,omitempty" yaml:"assumeRole,omitempty" jsonschema_description:"Role to assume to reach the cluster's account."`
	// AuthenticationMode, when set, is the mode the cluster must be in.
	// Plan shows a switch; EKS only switches forward
	// (CONFIG_MAP → API_AND_CONFIG_MAP → API) and never back.
	AuthenticationMode string `json:"authenticationMode,omitempty" yaml:"authenticationMode,omitempty" jsonschema:"enum=CONFIG_MAP,enum=API_AND_CONFIG_MAP,enum=API" jsonschema_description:"Desired authentication mode. Switches only forward and cannot be undone."`
	// Prune removes managed access entries that the file no longer lists
	// (same as apply --prune, for this cluster only).
	Prune bool `json:"prune,omitempty" yaml:"prune,omitempty" jsonschema_description:"Remove entries tagged eksaccess/managed that this file no longer lists."`
	// Access lists who gets access and how.
	Access []AccessItem `json:"access,omitempty" yaml:"access,omitempty" jsonschema_description:"Who gets access to the cluster, and how."`
	// Teams are SageMaker HyperPod teams: each a namespace, the RBAC of one published
	// variant, and members whose access entries carry the team's Kubernetes groups.
	Teams []Team `json:"teams,omitempty" yaml:"teams,omitempty" jsonschema_description:"HyperPod teams: namespace, RBAC (Role, RoleBinding, ClusterRole, ClusterRoleBinding) and members, as eksaccess team add makes them."`

	// Pos is where the cluster starts in the file (zero when built in memory).
	Pos Pos `json:"-" yaml:"-"`
}

// ID returns the cluster's key in the file: "name@region" or
// "hyperpod:name@region", prefixed with "ACCOUNT/" when the cluster names its account.
func (c *Cluster) ID() string {
	if c.HyperPod != "" {
		return c.accountPrefix() + "hyperpod:" + c.HyperPod + "@" + c.Region
	}
	return c.accountPrefix() + c.Name + "@" + c.Region
}

// AccessItem grants the same access to one or more IAM principals. Exactly
// one of Principal, UsersFile, IAMGroup and PermissionSet names who.
type AccessItem struct {
	// Principal is an IAM user name, "role/NAME" (or "role/PATH/NAME"), or a
	// full IAM user or role ARN.
	Principal string `json:"principal,omitempty" yaml:"principal,omitempty" jsonschema:"minLength=1" jsonschema_description:"IAM user name, role/NAME, or IAM user/role ARN."`
	// UsersFile is a file of principals, one a line, relative to the access
	// file's directory.
	UsersFile string `json:"usersFile,omitempty" yaml:"usersFile,omitempty" jsonschema:"minLength=1" jsonschema_description:"File of principals, one a line; relative to the access file."`
	// IAMGroup is an IAM group name: every user in the group gets the access.
	IAMGroup string `json:"iamGroup,omitempty" yaml:"iamGroup,omitempty" jsonschema:"minLength=1,maxLength=128" jsonschema_description:"IAM group name; each member user gets this access."`
	// PermissionSet is an IAM Identity Center permission set name; the
	// caller resolves it to the AWSReservedSSO_NAME_* role with its path.
	PermissionSet string `json:"permissionSet,omitempty" yaml:"permissionSet,omitempty" jsonschema:"minLength=1,maxLength=32" jsonschema_description:"IAM Identity Center permission set; resolved to its AWSReservedSSO_ role, path included."`

	// Policies are the EKS access policies to associate, each with its scope.
	Policies []PolicyRef `json:"policies,omitempty" yaml:"policies,omitempty" jsonschema_description:"EKS access policies to associate (STANDARD entries only)."`
	// KubernetesGroups are RBAC group names for the entry. Names starting
	// with "system:" are refused by EKS.
	KubernetesGroups []string `json:"kubernetesGroups,omitempty" yaml:"kubernetesGroups,omitempty,flow" jsonschema_description:"Kubernetes RBAC group names (not system:*)."`
	// Username overrides the Kubernetes username EKS generates. It may not
	// start with system:, eks:, aws:, amazon: or iam:, and a {{SessionName}}
	// or {{SessionNameRaw}} in it needs a colon before it.
	Username string `json:"username,omitempty" yaml:"username,omitempty" jsonschema:"minLength=1" jsonschema_description:"Kubernetes username; EKS generates one when omitted."`
	// Type is the access entry type; default STANDARD. Node types take no
	// policies, groups or username.
	Type string `json:"type,omitempty" yaml:"type,omitempty" jsonschema:"enum=STANDARD,enum=EC2_LINUX,enum=EC2_WINDOWS,enum=FARGATE_LINUX,enum=HYBRID_LINUX,enum=EC2" jsonschema_description:"Access entry type; default STANDARD."`
	// Expires is an RFC 3339 time (or a YYYY-MM-DD date, midnight UTC), or a
	// duration from apply time such as 720h or 30d. Expired grants are
	// removed by `eksaccess expire`.
	Expires string `json:"expires,omitempty" yaml:"expires,omitempty" jsonschema:"pattern=^([0-9]{4}-[0-9]{2}-[0-9]{2}([Tt][0-9:.]+([Zz]|[+-][0-9]{2}:[0-9]{2}))?|([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h|d|w))+)$" jsonschema_description:"RFC 3339 time, YYYY-MM-DD, or a duration from apply time (720h, 30d, 2w)."`
	// Tags are extra tags for the access entry. Keys may not start with
	// eksaccess/ (reserved for the tool) or aws:.
	Tags map[string]string `json:"tags,omitempty" yaml:"tags,omitempty" jsonschema_description:"Extra access-entry tags; keys must not start with eksaccess/ or aws:."`

	// Users are the principals read from UsersFile, in file order.
	Users []User `json:"-" yaml:"-"`
	// UsersFilePath is UsersFile resolved against the access file's directory.
	UsersFilePath string `json:"-" yaml:"-"`
	// ExpiresAt is set when Expires is an absolute time.
	ExpiresAt time.Time `json:"-" yaml:"-"`
	// ExpiresIn is set when Expires is a duration from apply time.
	ExpiresIn time.Duration `json:"-" yaml:"-"`
	// Pos is where the item starts in the file.
	Pos Pos `json:"-" yaml:"-"`
}

// EntryType returns Type, or STANDARD when it is empty.
func (a *AccessItem) EntryType() string {
	if a.Type == "" {
		return TypeStandard
	}
	return a.Type
}

// Expiry returns the absolute expiry of the grant for an apply run at now,
// and false when the item does not expire.
func (a *AccessItem) Expiry(now time.Time) (time.Time, bool) {
	switch {
	case !a.ExpiresAt.IsZero():
		return a.ExpiresAt, true
	case a.ExpiresIn > 0:
		return now.Add(a.ExpiresIn).UTC().Truncate(time.Second), true
	}
	return time.Time{}, false
}

// Source describes who the item names, as written: "principal X",
// "usersFile X", "iamGroup X" or "permissionSet X".
func (a *AccessItem) Source() string {
	switch {
	case a.Principal != "":
		return "principal " + a.Principal
	case a.UsersFile != "":
		return "usersFile " + a.UsersFile
	case a.IAMGroup != "":
		return "iamGroup " + a.IAMGroup
	case a.PermissionSet != "":
		return "permissionSet " + a.PermissionSet
	}
	return ""
}

// Team is a SageMaker HyperPod team, as `eksaccess team add` makes it: its namespace, the
// Kubernetes RBAC objects of one published variant, and members whose access entries carry
// the team's groups (added to whatever their access item gives them).
type Team struct {
	// Name is the team's name, as team add's TEAM: hyperpod-ns-NAME must be a namespace name.
	Name string `json:"name" yaml:"name" jsonschema:"required,minLength=1,maxLength=51,pattern=^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" jsonschema_description:"Team name; hyperpod-ns-NAME must be a Kubernetes namespace name."`
	// Namespace is the team's namespace; empty: hyperpod-ns-NAME (task governance's).
	Namespace string `json:"namespace,omitempty" yaml:"namespace,omitempty" jsonschema:"maxLength=63,pattern=^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" jsonschema_description:"The team's namespace; default hyperpod-ns-NAME."`
	// RBAC is the variant of roles and groups; empty: sagemaker-guide.
	RBAC string `json:"rbac,omitempty" yaml:"rbac,omitempty" jsonschema:"enum=sagemaker-guide,enum=hyperpod-cli" jsonschema_description:"RBAC variant: sagemaker-guide (default, the SageMaker Developer Guide's) or hyperpod-cli (the HyperPod CLI helm chart's)."`
	// Members name the principals of the team, by the same kinds of item as access does.
	Members []TeamMember `json:"members,omitempty" yaml:"members,omitempty" jsonschema_description:"The team's members: each one principal, usersFile, iamGroup or permissionSet."`

	// Pos is where the team starts in the file.
	Pos Pos `json:"-" yaml:"-"`
}

// NamespaceOrDefault is the team's namespace: Namespace, or hyperpod-ns-NAME.
func (t *Team) NamespaceOrDefault() string {
	if t.Namespace != "" {
		return t.Namespace
	}
	return rbac.DefaultNamespace(t.Name)
}

// Variant is the team's RBAC variant: RBAC, or sagemaker-guide.
func (t *Team) Variant() string {
	if t.RBAC != "" {
		return t.RBAC
	}
	return rbac.SageMakerGuide
}

// TeamMember names team members the way an access item names its principals: exactly one
// of Principal, UsersFile, IAMGroup and PermissionSet.
type TeamMember struct {
	Principal     string `json:"principal,omitempty" yaml:"principal,omitempty" jsonschema:"minLength=1" jsonschema_description:"IAM user name, role/NAME, or IAM user/role ARN."`
	UsersFile     string `json:"usersFile,omitempty" yaml:"usersFile,omitempty" jsonschema:"minLength=1" jsonschema_description:"File of principals, one a line; relative to the access file."`
	IAMGroup      string `json:"iamGroup,omitempty" yaml:"iamGroup,omitempty" jsonschema:"minLength=1,maxLength=128" jsonschema_description:"IAM group name; each member user joins the team."`
	PermissionSet string `json:"permissionSet,omitempty" yaml:"permissionSet,omitempty" jsonschema:"minLength=1,maxLength=32" jsonschema_description:"IAM Identity Center permission set; resolved to its AWSReservedSSO_ role, path included."`

	// Users are the principals read from UsersFile, in file order.
	Users []User `json:"-" yaml:"-"`
	// UsersFilePath is UsersFile resolved against the access file's directory.
	UsersFilePath string `json:"-" yaml:"-"`
	// Pos is where the member starts in the file.
	Pos Pos `json:"-" yaml:"-"`
}

// Item is the member as an access item that names the same principals and gives nothing:
// what the resolvers that read access items take.
func (m *TeamMember) Item() AccessItem {
	return AccessItem{Principal: m.Principal, UsersFile: m.UsersFile, IAMGroup: m.IAMGroup, PermissionSet: m.PermissionSet,
		Users: m.Users, UsersFilePath: m.UsersFilePath, Pos: m.Pos}
}

// PolicyRef is one access-policy association.
type PolicyRef struct {
	// Policy is an access policy name (AmazonEKSViewPolicy) or its ARN.
	Policy string `json:"policy" yaml:"policy" jsonschema:"required,minLength=1" jsonschema_description:"Access policy name (e.g. AmazonEKSEditPolicy) or ARN."`
	// Namespaces scopes the association; empty means the whole cluster.
	// Each is a DNS-1123 label or a prefix wildcard such as dev-*.
	Namespaces []string `json:"namespaces,omitempty" yaml:"namespaces,omitempty,flow" jsonschema_description:"Namespaces (or prefix wildcards like dev-*); omit for cluster scope."`
}

// Name returns the policy's name, also when Policy is written as an ARN.
func (p PolicyRef) Name() string {
	if i := strings.LastIndex(p.Policy, "cluster-access-policy/"); strings.HasPrefix(p.Policy, "arn:") && i >= 0 {
		return p.Policy[i+len("cluster-access-policy/"):]
	}
	return p.Policy
}

// ARN returns the policy's ARN in partition (aws, aws-cn, aws-us-gov, ...).
func (p PolicyRef) ARN(partition string) string {
	if strings.HasPrefix(p.Policy, "arn:") {
		return p.Policy
	}
	return "arn:" + partition + ":eks::aws:cluster-access-policy/" + p.Policy
}

// ClusterScope reports whether the association covers the whole cluster.
func (p PolicyRef) ClusterScope() bool { return len(p.Namespaces) == 0 }

// Pos is a 1-based line and column in a file.
type Pos = yamlpos.Pos
