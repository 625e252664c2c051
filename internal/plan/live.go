package plan

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	"golang.org/x/sync/errgroup"

	"eksaccess/internal/awsapi"
)

// Tag keys eksaccess keeps on the access entries it manages: ownership and expiry live on
// the entries themselves, so there is no state file to lose.
const (
	TagManaged = "eksaccess/managed"
	TagExpires = "eksaccess/expires"
)

// LivePolicy is an access policy associated with an entry, and its scope.
type LivePolicy struct {
	PolicyArn  string   `json:"policyArn"`
	ScopeType  string   `json:"scope"`
	Namespaces []string `json:"namespaces,omitempty"`
}

// LiveEntry is an access entry as EKS reports it, with its policies.
type LiveEntry struct {
	PrincipalArn     string            `json:"principalArn"`
	Type             string            `json:"type"`
	Username         string            `json:"username,omitempty"`
	KubernetesGroups []string          `json:"kubernetesGroups,omitempty"`
	Tags             map[string]string `json:"tags,omitempty"`
	AccessEntryArn   string            `json:"accessEntryArn,omitempty"`
	CreatedAt        time.Time         `json:"createdAt"`
	ModifiedAt       time.Time         `json:"modifiedAt,omitempty"`
	Policies         []LivePolicy      `json:"policies"`
}

// Managed reports whether eksaccess owns the entry.
func (e *LiveEntry) Managed() bool { return e.Tags[TagManaged] == "true" }

// Expiry reads the entry's expiry tags.
func (e *LiveEntry) Expiry() EntryExpiry { return ReadExpiry(e) }

// NextExpiry is the earliest time a grant of the entry expires (zero: none).
func (e *LiveEntry) NextExpiry() time.Time {
	x := ReadExpiry(e)
	t := x.Legacy
	for _, r := range x.Records {
		if t.IsZero() || r.At.Before(t) {
			t = r.At
		}
	}
	return t
}

// Policy returns the association of policyArn, if any.
func (e *LiveEntry) Policy(policyArn string) (LivePolicy, bool) {
	for _, p := range e.Policies {
		if p.PolicyArn == policyArn {
			return p, true
		}
	}
	return LivePolicy{}, false
}

// LiveCluster is what a cluster's access looks like now.
type LiveCluster struct {
	Name               string                `json:"name"`
	Arn                string                `json:"arn"`
	Region             string                `json:"region,omitempty"`
	AuthenticationMode string                `json:"authenticationMode"`
	CreatedAt          time.Time             `json:"createdAt"`
	Entries            map[string]*LiveEntry `json:"entries"`
}

// SortedEntries returns the entries ordered by principal ARN.
func (c *LiveCluster) SortedEntries() []*LiveEntry {
	out := make([]*LiveEntry, 0, len(c.Entries))
	for _, e := range c.Entries {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PrincipalArn < out[j].PrincipalArn })
	return out
}

// ReadOptions tune ReadCluster.
type ReadOptions struct {
	Concurrency int
	// Only, when set, limits the per-entry reads (describe + policies) to these principal
	// ARNs; the rest of the list is still known (as names only) through Listed.
	Only map[string]bool
	// Known are entries read earlier (e.g. by the plan an apply executed): they are reused
	// without a call unless Stale names them, so a re-plan reads only what changed.
	Known map[string]*LiveEntry
	Stale map[string]bool
}

// ReadResult is a cluster read, plus the ARNs listed but not described (ReadOptions.Only).
type ReadResult struct {
	*LiveCluster
	Listed []string
}

// ReadCluster reads a cluster's access: DescribeCluster, ListAccessEntries (pages of 100),
// then DescribeAccessEntry and ListAssociatedAccessPolicies per entry, concurrently. That is
// the fewest calls the API allows.
func ReadCluster(ctx context.Context, api awsapi.EKS, name string, o ReadOptions) (*ReadResult, error) {
	dc, err := api.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(name)})
	if err != nil {
		return nil, ClusterError(name, err)
	}
	lc := &LiveCluster{Name: name, Entries: map[string]*LiveEntry{}}
	if c := dc.Cluster; c != nil {
		lc.Arn = aws.ToString(c.Arn)
		if c.AccessConfig != nil {
			lc.AuthenticationMode = string(c.AccessConfig.AuthenticationMode)
		}
		lc.CreatedAt = aws.ToTime(c.CreatedAt)
		if parts := strings.Split(lc.Arn, ":"); len(parts) > 3 {
			lc.Region = parts[3]
		}
	}
	res := &ReadResult{LiveCluster: lc}
	if lc.AuthenticationMode == string(types.AuthenticationModeConfigMap) {
		return res, nil // access entries do not exist in CONFIG_MAP mode
	}
	arns, err := ListEntryArns(ctx, api, name)
	if err != nil {
		return nil, err
	}
	res.Listed = arns
	conc := o.Concurrency
	if conc <= 0 {
		conc = 16
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(conc)
	for _, arn := range arns {
		if o.Only != nil && !o.Only[arn] {
			continue
		}
		if e, ok := o.Known[arn]; ok && !o.Stale[arn] {
			mu.Lock()
			lc.Entries[arn] = e
			mu.Unlock()
			continue
		}
		g.Go(func() error {
			e, err := ReadEntry(gctx, api, name, arn)
			if err != nil {
				return err
			}
			if e == nil { // deleted between list and describe
				return nil
			}
			mu.Lock()
			lc.Entries[arn] = e
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return res, nil
}

// ListEntryArns lists every access entry's principal ARN of a cluster.
func ListEntryArns(ctx context.Context, api awsapi.EKS, cluster string) ([]string, error) {
	var arns []string
	p := eks.NewListAccessEntriesPaginator(api, &eks.ListAccessEntriesInput{ClusterName: aws.String(cluster), MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, ClusterError(cluster, err)
		}
		arns = append(arns, page.AccessEntries...)
	}
	return arns, nil
}

// ReadEntry reads one entry with its policies; nil, nil when it does not exist.
func ReadEntry(ctx context.Context, api awsapi.EKS, cluster, principalArn string) (*LiveEntry, error) {
	d, err := api.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(principalArn)})
	if err != nil {
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			return nil, nil
		}
		return nil, fmt.Errorf("describe access entry %s on %s: %w", principalArn, cluster, err)
	}
	ae := d.AccessEntry
	e := &LiveEntry{
		PrincipalArn:     aws.ToString(ae.PrincipalArn),
		Type:             aws.ToString(ae.Type),
		Username:         aws.ToString(ae.Username),
		KubernetesGroups: ae.KubernetesGroups,
		Tags:             ae.Tags,
		AccessEntryArn:   aws.ToString(ae.AccessEntryArn),
		CreatedAt:        aws.ToTime(ae.CreatedAt),
		ModifiedAt:       aws.ToTime(ae.ModifiedAt),
		Policies:         []LivePolicy{},
	}
	if e.PrincipalArn == "" {
		e.PrincipalArn = principalArn
	}
	if e.Type != "" && e.Type != "STANDARD" {
		// Only STANDARD entries take policies; EKS refuses to list them for node entries.
		return e, nil
	}
	p := eks.NewListAssociatedAccessPoliciesPaginator(api, &eks.ListAssociatedAccessPoliciesInput{
		ClusterName: aws.String(cluster), PrincipalArn: aws.String(principalArn), MaxResults: aws.Int32(100),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			var nf *types.ResourceNotFoundException
			if errors.As(err, &nf) {
				return nil, nil
			}
			return nil, fmt.Errorf("list policies of %s on %s: %w", principalArn, cluster, err)
		}
		for _, ap := range page.AssociatedAccessPolicies {
			lp := LivePolicy{PolicyArn: aws.ToString(ap.PolicyArn)}
			if ap.AccessScope != nil {
				lp.ScopeType = string(ap.AccessScope.Type)
				lp.Namespaces = append([]string(nil), ap.AccessScope.Namespaces...)
				sort.Strings(lp.Namespaces)
			}
			e.Policies = append(e.Policies, lp)
		}
	}
	sort.Slice(e.Policies, func(i, j int) bool { return e.Policies[i].PolicyArn < e.Policies[j].PolicyArn })
	return e, nil
}

// ClusterError turns "no such cluster" and "wrong mode" answers into errors that say what to do.
func ClusterError(cluster string, err error) error {
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		return fmt.Errorf("cluster %q not found in this account and region: check --region, or list clusters with `eksaccess clusters`: %w", cluster, err)
	}
	var ir *types.InvalidRequestException
	if errors.As(err, &ir) {
		return fmt.Errorf("cluster %s: %s: switch it with `eksaccess auth-mode -c %s --set API_AND_CONFIG_MAP`: %w", cluster, aws.ToString(ir.Message), cluster, err)
	}
	return fmt.Errorf("cluster %s: %w", cluster, err)
}

// PolicyName returns the name part of an access policy ARN.
func PolicyName(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// PolicyArnFor is the ARN of the access policy named name, in the partition of arn (any
// ARN of the same partition).
func PolicyArnFor(arn, name string) string {
	partition := "aws"
	if parts := strings.SplitN(arn, ":", 3); len(parts) == 3 && parts[0] == "arn" {
		partition = parts[1]
	}
	return "arn:" + partition + ":eks::aws:cluster-access-policy/" + name
}
