// Package state holds the sandbox's data model and its on-disk store.
//
// Every service of the sandbox (eks, iam, sts, sagemaker, kube) reads and
// changes the one Data value through a Store. A Store owns its directory
// exclusively (an flock), persists each change atomically (write to a
// temporary file, fsync, rename), and batches concurrent changes into one
// write (group commit), so a crash mid-write leaves the previous state intact.
package state

import (
	"sort"
	"strings"
	"time"
)

// Data is the whole sandbox: its primary AWS account, in one partition, and any other
// accounts (Accounts), each a Data of its own without further accounts.
type Data struct {
	Version   int    `json:"version"`
	Account   string `json:"account"`
	Partition string `json:"partition"`
	Region    string `json:"region"`
	// Seq is a counter for generated identifiers (ids, keys); always increase it.
	Seq int64 `json:"seq"`

	Clusters   map[string]*Cluster         `json:"clusters"`   // EKS clusters by name
	HyperPod   map[string]*HyperPodCluster `json:"hyperpod"`   // SageMaker HyperPod clusters by name
	Users      map[string]*User            `json:"users"`      // by lower-cased user name (IAM names are case-insensitive)
	Groups     map[string]*Group           `json:"groups"`     // by lower-cased group name
	Roles      map[string]*Role            `json:"roles"`      // by lower-cased role name
	Policies   map[string]*ManagedPolicy   `json:"policies"`   // IAM managed policies by ARN
	AccessKeys map[string]*AccessKey       `json:"accessKeys"` // long-term keys (AKIA…) by key id
	Sessions   map[string]*Session         `json:"sessions"`   // temporary keys (ASIA…) by key id
	MFADevices map[string]*MFADevice       `json:"mfaDevices"` // by serial number (ARN)

	// Accounts are the sandbox's other accounts by account id (set on the primary only).
	Accounts map[string]*Data `json:"accounts,omitempty"`
}

// ForAccount returns the data of account id: d itself for its own account (or for ""),
// another account of the sandbox, or nil when the sandbox has no such account.
func (d *Data) ForAccount(id string) *Data {
	if id == "" || id == d.Account {
		return d
	}
	return d.Accounts[id]
}

// AllAccounts returns the primary account and then the others, by account id.
func (d *Data) AllAccounts() []*Data {
	out := []*Data{d}
	ids := make([]string, 0, len(d.Accounts))
	for id := range d.Accounts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		out = append(out, d.Accounts[id])
	}
	return out
}

// Cluster is an EKS cluster.
type Cluster struct {
	Name                                    string                  `json:"name"`
	Arn                                     string                  `json:"arn"`
	ID                                      string                  `json:"id"`
	Version                                 string                  `json:"version"`
	PlatformVersion                         string                  `json:"platformVersion"`
	RoleArn                                 string                  `json:"roleArn"`
	Status                                  string                  `json:"status"`
	CreatedAt                               time.Time               `json:"createdAt"`
	AuthenticationMode                      string                  `json:"authenticationMode"`
	BootstrapClusterCreatorAdminPermissions bool                    `json:"bootstrapClusterCreatorAdminPermissions"`
	CreatorArn                              string                  `json:"creatorArn"` // IAM principal ARN of the creator (role ARN with path for sessions)
	Tags                                    map[string]string       `json:"tags,omitempty"`
	Entries                                 map[string]*AccessEntry `json:"entries"` // by principal ARN
	Updates                                 map[string]*Update      `json:"updates,omitempty"`
	// ActiveAt is when a CREATING cluster turns ACTIVE; DeletedAt when a DELETING one goes.
	ActiveAt  time.Time `json:"activeAt,omitempty"`
	DeletedAt time.Time `json:"deletedAt,omitempty"`
	// AwsAuth is the aws-auth ConfigMap's data (mapRoles, mapUsers, mapAccounts), served by the
	// sandbox's Kubernetes endpoint for CONFIG_MAP and API_AND_CONFIG_MAP clusters.
	AwsAuth map[string]string `json:"awsAuth,omitempty"`
}

// AccessEntry is an EKS access entry.
type AccessEntry struct {
	PrincipalArn     string                       `json:"principalArn"`
	AccessEntryArn   string                       `json:"accessEntryArn"`
	Type             string                       `json:"type"`
	Username         string                       `json:"username"`
	KubernetesGroups []string                     `json:"kubernetesGroups"`
	Tags             map[string]string            `json:"tags,omitempty"`
	CreatedAt        time.Time                    `json:"createdAt"`
	ModifiedAt       time.Time                    `json:"modifiedAt"`
	Policies         map[string]*AssociatedPolicy `json:"policies"` // by access policy ARN
	// PrincipalID is the unique id (RoleId or UserId) of the principal when the entry was
	// created: EKS binds an entry to it, so a principal deleted and re-created under the same
	// ARN is not this entry's principal ("" for principals of accounts the sandbox does not
	// hold, and for entries stored before the sandbox recorded it).
	PrincipalID string `json:"principalId,omitempty"`
	// ClientRequestToken of the create call, for idempotent retries.
	ClientRequestToken string `json:"clientRequestToken,omitempty"`
	// PropagationShown records that AssociateAccessPolicy already answered this entry's one
	// "principalArn could not be found" of the consistency delay, so later calls succeed.
	PropagationShown bool `json:"propagationShown,omitempty"`
}

// AssociatedPolicy is an access policy associated with an access entry.
type AssociatedPolicy struct {
	PolicyArn    string    `json:"policyArn"`
	ScopeType    string    `json:"scopeType"` // cluster | namespace
	Namespaces   []string  `json:"namespaces"`
	AssociatedAt time.Time `json:"associatedAt"`
	ModifiedAt   time.Time `json:"modifiedAt"`
}

// Update is the record UpdateClusterConfig returns.
type Update struct {
	ID        string      `json:"id"`
	Status    string      `json:"status"`
	Type      string      `json:"type"`
	Params    [][2]string `json:"params"`
	CreatedAt time.Time   `json:"createdAt"`
	// DoneAt is when an InProgress update turns Successful.
	DoneAt time.Time `json:"doneAt,omitempty"`
}

// HyperPodCluster is a SageMaker HyperPod cluster orchestrated by an EKS cluster.
type HyperPodCluster struct {
	ClusterName    string          `json:"clusterName"`
	ClusterArn     string          `json:"clusterArn"`
	ClusterStatus  string          `json:"clusterStatus"`
	CreationTime   time.Time       `json:"creationTime"`
	EksClusterArn  string          `json:"eksClusterArn"`
	InstanceGroups []InstanceGroup `json:"instanceGroups"`
}

// InstanceGroup is a HyperPod instance group (only what DescribeCluster shows).
type InstanceGroup struct {
	InstanceGroupName string `json:"instanceGroupName"`
	InstanceType      string `json:"instanceType"`
	CurrentCount      int    `json:"currentCount"`
	TargetCount       int    `json:"targetCount"`
	ExecutionRole     string `json:"executionRole"`
}

// Tag is an IAM tag.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// User is an IAM user.
type User struct {
	Path       string    `json:"path"`
	UserName   string    `json:"userName"`
	UserID     string    `json:"userId"`
	Arn        string    `json:"arn"`
	CreateDate time.Time `json:"createDate"`
	Tags       []Tag     `json:"tags,omitempty"`
	// InlinePolicies are the user's inline policies (raw JSON) by name; AttachedPolicies the
	// ARNs of its managed policies; PermissionsBoundary a managed policy ARN or "".
	InlinePolicies      map[string]string `json:"inlinePolicies,omitempty"`
	AttachedPolicies    []string          `json:"attachedPolicies,omitempty"`
	PermissionsBoundary string            `json:"permissionsBoundary,omitempty"`
}

// Group is an IAM group; Members holds user names as created.
type Group struct {
	Path             string            `json:"path"`
	GroupName        string            `json:"groupName"`
	GroupID          string            `json:"groupId"`
	Arn              string            `json:"arn"`
	CreateDate       time.Time         `json:"createDate"`
	Members          []string          `json:"members"`
	InlinePolicies   map[string]string `json:"inlinePolicies,omitempty"`
	AttachedPolicies []string          `json:"attachedPolicies,omitempty"`
}

// Role is an IAM role. AssumeRolePolicyDocument is the raw JSON (not URL-encoded).
type Role struct {
	Path                     string    `json:"path"`
	RoleName                 string    `json:"roleName"`
	RoleID                   string    `json:"roleId"`
	Arn                      string    `json:"arn"`
	CreateDate               time.Time `json:"createDate"`
	AssumeRolePolicyDocument string    `json:"assumeRolePolicyDocument"`
	Description              string    `json:"description,omitempty"`
	MaxSessionDuration       int       `json:"maxSessionDuration"`
	Tags                     []Tag     `json:"tags,omitempty"`
	AttachedPolicies         []string  `json:"attachedPolicies"` // policy ARNs
	// InlinePolicies by name (raw JSON); PermissionsBoundary a managed policy ARN or "".
	InlinePolicies      map[string]string `json:"inlinePolicies,omitempty"`
	PermissionsBoundary string            `json:"permissionsBoundary,omitempty"`
	// ServiceLinked marks roles under /aws-service-role/ (EKS refuses them as principals).
	ServiceLinked bool `json:"serviceLinked,omitempty"`
}

// ManagedPolicy is an IAM managed policy (customer or AWS managed).
type ManagedPolicy struct {
	PolicyName       string    `json:"policyName"`
	PolicyID         string    `json:"policyId"`
	Arn              string    `json:"arn"`
	Path             string    `json:"path"`
	Description      string    `json:"description,omitempty"`
	Document         string    `json:"document"`
	DefaultVersionID string    `json:"defaultVersionId"`
	CreateDate       time.Time `json:"createDate"`
	UpdateDate       time.Time `json:"updateDate"`
	AttachmentCount  int       `json:"attachmentCount"`
	// BoundaryCount is how many users and roles use the policy as permissions boundary.
	BoundaryCount int   `json:"boundaryCount,omitempty"`
	AWSManaged    bool  `json:"awsManaged,omitempty"`
	Tags          []Tag `json:"tags,omitempty"`
	// Versions holds every version (CreatePolicyVersion); empty means one version,
	// DefaultVersionID (or v1) with Document. Document always mirrors the default version.
	Versions []PolicyVersion `json:"versions,omitempty"`
}

// PolicyVersion is one version of a managed policy; Document is the raw JSON.
type PolicyVersion struct {
	VersionID  string    `json:"versionId"`
	Document   string    `json:"document"`
	CreateDate time.Time `json:"createDate"`
}

// AccessKey is a long-term IAM user access key.
type AccessKey struct {
	AccessKeyID     string    `json:"accessKeyId"`
	SecretAccessKey string    `json:"secretAccessKey"`
	UserName        string    `json:"userName"`
	Status          string    `json:"status"`
	CreateDate      time.Time `json:"createDate"`
	LastUsed        time.Time `json:"lastUsed,omitempty"`
}

// Session is a set of temporary credentials issued by STS AssumeRole.
type Session struct {
	AccessKeyID     string    `json:"accessKeyId"`
	SecretAccessKey string    `json:"secretAccessKey"`
	SessionToken    string    `json:"sessionToken"`
	RoleArn         string    `json:"roleArn"` // with path
	RoleName        string    `json:"roleName"`
	RoleID          string    `json:"roleId"`
	SessionName     string    `json:"sessionName"`
	Expiration      time.Time `json:"expiration"`
	MFA             bool      `json:"mfa"`
	// MFAAuthTime is when the MFA code was checked (carried along role chains), for the
	// aws:MultiFactorAuthAge condition key.
	MFAAuthTime    time.Time `json:"mfaAuthTime,omitempty"`
	SourceArn      string    `json:"sourceArn"` // the identity that called AssumeRole
	SourceIdentity string    `json:"sourceIdentity,omitempty"`
	// Policy and PolicyArns are the session policies passed to AssumeRole (inline JSON and
	// managed policy ARNs); a session can do only what they allow as well.
	Policy     string   `json:"policy,omitempty"`
	PolicyArns []string `json:"policyArns,omitempty"`
}

// MFADevice is a virtual MFA device; the sandbox accepts Code (a fixed six digits) as its token.
type MFADevice struct {
	SerialNumber string    `json:"serialNumber"`
	UserName     string    `json:"userName"`
	Code         string    `json:"code"`
	EnableDate   time.Time `json:"enableDate,omitempty"`
}

// ClusterRef is how the Kubernetes endpoints (https://HOST:PORT/k8s/REF) name cluster name
// of account within the sandbox d (the primary account's data): the bare name for a cluster
// of the primary account, NAME.ACCOUNT for one of another account. EKS cluster names are
// unique per account and region only, and cannot hold a '.', so the reference is unique.
func (d *Data) ClusterRef(account, name string) string {
	if account == "" || account == d.Account {
		return name
	}
	return name + "." + account
}

// FindCluster finds the cluster ref names (see ClusterRef) and the data of its account:
// NAME.ACCOUNT in that account only; a bare NAME in the primary account first, then in the
// others by account id. It returns nils when there is none.
func (d *Data) FindCluster(ref string) (*Data, *Cluster) {
	if name, account, ok := strings.Cut(ref, "."); ok {
		if a := d.ForAccount(account); a != nil && account != "" && name != "" {
			if c, ok := a.Clusters[name]; ok {
				return a, c
			}
		}
		return nil, nil
	}
	for _, a := range d.AllAccounts() {
		if c, ok := a.Clusters[ref]; ok {
			return a, c
		}
	}
	return nil, nil
}

// SortedKeys returns the keys of m sorted, for stable listings and pagination.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
