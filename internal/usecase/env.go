// Package usecase holds eksaccess's jobs, one function per job (grant, revoke, plan and apply
// of a file, auth-mode, expire, role create, ...): each takes a typed request and returns a
// typed result. Every change goes resolve → plan → check invariants → execute → journal
// through one engine (engine.go), whatever command started it. The command line fills the
// requests and renders the results; nothing here reads flags or prints.
package usecase

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"

	"eksaccess/internal/apply"
	"eksaccess/internal/awsapi"
	"eksaccess/internal/principal"
)

// Env is what the jobs need from outside: clients, who the caller is, where the journal is,
// the clock. The command line builds one per run.
type Env struct {
	// AWS returns the clients for a region ("" for the run's default), built once each.
	AWS func(ctx context.Context, region string) (*awsapi.Clients, error)
	// Caller is who eksaccess runs as (looked up once per run).
	Caller func(ctx context.Context) (principal.Caller, error)
	// AWSFor returns the clients for a region of the account a Reach names (a profile or an
	// assumed role), built once each, with their own rate state; nil: only the run's account.
	AWSFor func(ctx context.Context, r Reach, region string) (*awsapi.Clients, error)
	// CallerFor is who eksaccess is in the account a Reach names (looked up once each).
	CallerFor func(ctx context.Context, r Reach) (principal.Caller, error)
	// JournalPath is where every change is recorded.
	JournalPath string
	Now         func() time.Time
	// Logf prints a diagnostic (with -v); nil prints nothing.
	Logf func(format string, args ...any)
	// Progress, when set, returns a progress reporter for n units of work and its finish.
	Progress func(n int, label string) (apply.Progress, func())
	// ReadAWSAuth reads a cluster's kube-system/aws-auth ConfigMap through its Kubernetes
	// API (nil: the ConfigMap is unknown, and counts as granting nothing).
	ReadAWSAuth func(ctx context.Context, clients *awsapi.Clients, cluster string) ([]byte, error)
	// ReadKube GETs a path (namespaces, bindings) from a cluster's Kubernetes API (nil: the
	// API is not read, and what it holds is unknown).
	ReadKube func(ctx context.Context, clients *awsapi.Clients, cluster, path string) ([]byte, error)
	// Sleep waits between polls (tests make it instant).
	Sleep func(ctx context.Context, d time.Duration) error
	// CacheDir is where tokens are cached (a tokens directory below it).
	CacheDir string
	// Profile is the AWS profile in use ("" for none): tokens are cached per profile.
	Profile func() string
	// Assumed is the role the run's credentials assume first (--assume-role; zero for none)
	// and the credentials that assume it: tokens are cached per role session and base
	// identity, not per temporary key (nil: none).
	Assumed func() (Reach, aws.CredentialsProvider)
	// Warnf prints a warning whatever -v says (nil prints nothing).
	Warnf func(format string, args ...any)
	// Kube connects to a cluster's Kubernetes API (ClientGoKube).
	Kube func(server, token string, caPEM []byte) (KubeAPI, error)
	// ClusterKube connects to a cluster's Kubernetes API for the team commands and the RBAC
	// readers (ClientGoClusterKube).
	ClusterKube func(server, token string, caPEM []byte) (ClusterKube, error)
}

// session is the default region's clients and the caller: what nearly every job starts with.
func (e *Env) session(ctx context.Context) (*awsapi.Clients, principal.Caller, error) {
	c, err := e.AWS(ctx, "")
	if err != nil {
		return nil, principal.Caller{}, err
	}
	caller, err := e.Caller(ctx)
	return c, caller, err
}

// validator is a job's request, which checks itself offline before anything is read.
type validator interface{ Validate() error }

// begin validates the request, then returns the default region's clients: how a job in
// the run's own account starts.
func (e *Env) begin(ctx context.Context, r validator) (*awsapi.Clients, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return e.AWS(ctx, "")
}

// beginSession validates the request, then returns the session (clients and caller).
func (e *Env) beginSession(ctx context.Context, r validator) (*awsapi.Clients, principal.Caller, error) {
	if err := r.Validate(); err != nil {
		return nil, principal.Caller{}, err
	}
	return e.session(ctx)
}

// beginCluster validates the request, then returns the run's clients and the EKS cluster
// ref (the request's own, read after Validate) names (clusterOf).
func (e *Env) beginCluster(ctx context.Context, r validator, ref *ClusterRef) (*awsapi.Clients, string, error) {
	if err := r.Validate(); err != nil {
		return nil, "", err
	}
	return e.clusterOf(ctx, *ref)
}

func (e *Env) logf(format string, args ...any) {
	if e.Logf != nil {
		e.Logf(format, args...)
	}
}

func (e *Env) warnf(format string, args ...any) {
	if e.Warnf != nil {
		e.Warnf(format, args...)
	}
}

func (e *Env) now() time.Time {
	if e.Now == nil {
		return time.Now()
	}
	return e.Now()
}

func (e *Env) sleep(ctx context.Context, d time.Duration) error {
	if e.Sleep != nil {
		return e.Sleep(ctx, d)
	}
	return apply.Sleep(ctx, d)
}

// InputError is bad input: the command changed nothing and exits 2.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// ExitCode marks bad input.
func (e *InputError) ExitCode() int { return 2 }

func inputErrorf(format string, args ...any) error {
	return &InputError{Err: fmt.Errorf(format, args...)}
}

// IsInput reports whether err is bad input (from here or from the domain packages).
func IsInput(err error) bool {
	var ie *InputError
	return errors.As(err, &ie) || principal.IsInputError(err)
}

// ClusterRef names a cluster: an EKS name, or a SageMaker HyperPod cluster resolved to the
// EKS cluster that orchestrates it.
type ClusterRef struct {
	Name     string `json:"name,omitempty"`
	HyperPod string `json:"hyperpod,omitempty"`
}

// Validate applies EKS's cluster name rule and checks exactly one name is given.
func (r ClusterRef) Validate() error {
	switch {
	case r.Name == "" && r.HyperPod == "":
		return fmt.Errorf("name a cluster with -c CLUSTER (or --hyperpod NAME for a SageMaker HyperPod cluster)")
	case r.Name != "" && r.HyperPod != "":
		return fmt.Errorf("-c and --hyperpod both name a cluster: give one of them")
	}
	if r.Name != "" {
		return ValidateClusterName(r.Name)
	}
	return nil
}

// check is Validate's failure as bad input (exit 2), as the requests' Validate reports it.
func (r ClusterRef) check() error {
	if err := r.Validate(); err != nil {
		return &InputError{Err: err}
	}
	return nil
}

// ClusterSet names the clusters a command works on: an access file's, or some by name (in the
// account and region of the run's credentials).
type ClusterSet struct {
	File     string   `json:"file,omitempty"`
	Clusters []string `json:"clusters,omitempty"`
}

// checkClusterNames applies EKS's cluster name rule to each name; the first bad one is bad
// input.
func checkClusterNames(names []string) error {
	for _, n := range names {
		if err := ValidateClusterName(n); err != nil {
			return &InputError{Err: err}
		}
	}
	return nil
}

// ValidateClusterName applies EKS's cluster name rule (1–100, ^[0-9A-Za-z][A-Za-z0-9\-_]*).
func ValidateClusterName(n string) error {
	if len(n) == 0 || len(n) > 100 {
		return fmt.Errorf("cluster name %q must be 1 to 100 characters", n)
	}
	for i, ch := range n {
		ok := ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || (i > 0 && (ch == '-' || ch == '_'))
		if !ok {
			return fmt.Errorf("cluster name %q is not valid: EKS names start with a letter or digit and contain only letters, digits, - and _", n)
		}
	}
	return nil
}

// UseClientGo makes e read the aws-auth ConfigMap and talk to clusters' Kubernetes APIs
// through client-go, as userAgent, each call bounded by timeouts() — asked for when the
// call is made, because the commands build their Env before their flags are parsed.
func (e *Env) UseClientGo(userAgent string, timeouts func() awsapi.Timeouts) {
	e.ReadAWSAuth = func(ctx context.Context, c *awsapi.Clients, cluster string) ([]byte, error) {
		return FetchAWSAuth(ctx, c, cluster, e.Now, timeouts())
	}
	e.ReadKube = func(ctx context.Context, c *awsapi.Clients, cluster, path string) ([]byte, error) {
		return FetchKube(ctx, c, cluster, path, e.Now, timeouts())
	}
	e.Kube = func(server, token string, caPEM []byte) (KubeAPI, error) {
		return ClientGoKube(userAgent, timeouts())(server, token, caPEM)
	}
	e.ClusterKube = func(server, token string, caPEM []byte) (ClusterKube, error) {
		return ClientGoClusterKube(userAgent, timeouts())(server, token, caPEM)
	}
}

// clusterOf returns the run's own clients and the EKS cluster ref names (a HyperPod cluster
// resolved to the EKS cluster that orchestrates it).
func (e *Env) clusterOf(ctx context.Context, ref ClusterRef) (*awsapi.Clients, string, error) {
	c, err := e.AWS(ctx, "")
	if err != nil {
		return nil, "", err
	}
	cluster, err := e.resolveCluster(ctx, c, ref)
	if err != nil {
		return nil, "", err
	}
	return c, cluster, nil
}

// resolveCluster returns the EKS cluster name (HyperPod clusters resolved through SageMaker).
func (e *Env) resolveCluster(ctx context.Context, c *awsapi.Clients, r ClusterRef) (string, error) {
	if r.HyperPod == "" {
		return r.Name, nil
	}
	ec, err := awsapi.ResolveHyperPod(ctx, c.SageMaker, r.HyperPod)
	if err != nil {
		return "", err
	}
	if region := c.Config.Region; ec.Region != "" && region != "" && ec.Region != region {
		return "", fmt.Errorf("HyperPod cluster %s runs on EKS cluster %s in %s, but eksaccess is using %s: add --region %s", r.HyperPod, ec.Name, ec.Region, region, ec.Region)
	}
	e.logf("HyperPod cluster %s is orchestrated by EKS cluster %s", r.HyperPod, ec.Name)
	return ec.Name, nil
}

// AccessPolicy is an EKS access policy.
type AccessPolicy struct {
	Name string `json:"name"`
	Arn  string `json:"arn"`
}

// ListAccessPolicies pages through ListAccessPolicies.
func ListAccessPolicies(ctx context.Context, api awsapi.EKS) ([]AccessPolicy, error) {
	var out []AccessPolicy
	p := eks.NewListAccessPoliciesPaginator(api, &eks.ListAccessPoliciesInput{MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, ap := range page.AccessPolicies {
			out = append(out, AccessPolicy{Name: aws.ToString(ap.Name), Arn: aws.ToString(ap.Arn)})
		}
	}
	return out, nil
}

// Policies lists the access policies (the policies command).
func (e *Env) Policies(ctx context.Context) ([]AccessPolicy, error) {
	c, err := e.AWS(ctx, "")
	if err != nil {
		return nil, err
	}
	return ListAccessPolicies(ctx, c.EKS)
}

// resolvePolicies maps policy names or ARNs to ARNs, checked against ListAccessPolicies.
func resolvePolicies(ctx context.Context, api awsapi.EKS, names []string) ([]string, error) {
	all, err := ListAccessPolicies(ctx, api)
	if err != nil {
		return nil, fmt.Errorf("list access policies: %w", err)
	}
	byName := map[string]string{}
	byArn := map[string]bool{}
	for _, p := range all {
		byName[strings.ToLower(p.Name)] = p.Arn
		byArn[p.Arn] = true
	}
	var out, bad []string
	for _, n := range names {
		n = strings.TrimSpace(n)
		if strings.HasPrefix(n, "arn:") {
			if !byArn[n] {
				bad = append(bad, fmt.Sprintf("--policy %s: no access policy with this ARN (list them with `eksaccess policies`)", n))
				continue
			}
			out = append(out, n)
			continue
		}
		arn, ok := byName[strings.ToLower(n)]
		if !ok {
			bad = append(bad, fmt.Sprintf("--policy %s: no access policy of that name (list them with `eksaccess policies`)", n))
			continue
		}
		out = append(out, arn)
	}
	if len(bad) > 0 {
		return nil, &InputError{Err: errors.New(strings.Join(bad, "\n"))}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
