package usecase

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"golang.org/x/sync/errgroup"

	"eksaccess/internal/awsapi"
	"eksaccess/internal/plan"
)

// ListEntriesRequest names the cluster whose access entries to list.
type ListEntriesRequest struct {
	Cluster ClusterRef `json:"cluster"`
}

// Validate checks the request offline.
func (r *ListEntriesRequest) Validate() error {
	return r.Cluster.check()
}

// EntryList is a cluster's access entries, sorted by principal.
type EntryList struct {
	Cluster            string            `json:"cluster"`
	AuthenticationMode string            `json:"authenticationMode"`
	Entries            []*plan.LiveEntry `json:"entries"`
}

// ListEntries reads every access entry of the cluster with its policies and tags. A
// CONFIG_MAP cluster has none (AuthenticationMode says why).
func (e *Env) ListEntries(ctx context.Context, r ListEntriesRequest) (*EntryList, error) {
	c, cluster, err := e.beginCluster(ctx, &r, &r.Cluster)
	if err != nil {
		return nil, err
	}
	live, err := plan.ReadCluster(ctx, c.EKS, cluster, plan.ReadOptions{})
	if err != nil {
		return nil, err
	}
	return &EntryList{Cluster: cluster, AuthenticationMode: live.AuthenticationMode, Entries: live.SortedEntries()}, nil
}

// ShowEntryRequest names one principal's access entry on a cluster.
type ShowEntryRequest struct {
	Cluster   ClusterRef `json:"cluster"`
	Principal string     `json:"principal"`
}

// Validate checks the request offline.
func (r *ShowEntryRequest) Validate() error {
	if err := r.Cluster.check(); err != nil {
		return err
	}
	r.Principal = strings.TrimSpace(r.Principal)
	if r.Principal == "" {
		return inputErrorf("PRINCIPAL is empty: give an IAM user name, role/NAME or an ARN (eksaccess entries list -c CLUSTER shows them)")
	}
	return nil
}

// ShowEntry reads one access entry, the principal resolved as every command resolves it.
// No entry is an error (exit 1) that says how to grant one.
func (e *Env) ShowEntry(ctx context.Context, r ShowEntryRequest) (*plan.LiveEntry, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	_, cluster, live, arn, err := e.entryOf(ctx, r.Cluster, r.Principal)
	if err != nil {
		return nil, err
	}
	le := live.Entries[arn]
	if le == nil {
		return nil, fmt.Errorf("%s has no access entry on cluster %s: grant one with `eksaccess grant -c %s --policy POLICY %s`", arn, cluster, cluster, r.Principal)
	}
	return le, nil
}

// ClusterInfo is one row of `eksaccess clusters`.
type ClusterInfo struct {
	Name               string   `json:"name"`
	Kind               string   `json:"kind"` // EKS | HyperPod
	Status             string   `json:"status"`
	Version            string   `json:"version,omitempty"`
	AuthenticationMode string   `json:"authenticationMode,omitempty"`
	Arn                string   `json:"arn"`
	EKSCluster         string   `json:"eksCluster,omitempty"` // HyperPod: the orchestrating EKS cluster
	HyperPod           []string `json:"hyperPod,omitempty"`   // EKS: HyperPod clusters it orchestrates
}

// Clusters lists the EKS clusters with their authentication mode, and the HyperPod clusters
// with the EKS cluster that orchestrates each; EKS first, by name.
func (e *Env) Clusters(ctx context.Context) ([]ClusterInfo, error) {
	c, err := e.AWS(ctx, "")
	if err != nil {
		return nil, err
	}
	var names []string
	p := eks.NewListClustersPaginator(c.EKS, &eks.ListClustersInput{MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		names = append(names, page.Clusters...)
	}
	var mu sync.Mutex
	var rows []ClusterInfo
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, n := range names {
		g.Go(func() error {
			d, err := c.EKS.DescribeCluster(gctx, &eks.DescribeClusterInput{Name: aws.String(n)})
			if err != nil {
				return err
			}
			ci := ClusterInfo{Name: n, Kind: "EKS", Status: string(d.Cluster.Status), Version: aws.ToString(d.Cluster.Version), Arn: aws.ToString(d.Cluster.Arn)}
			if d.Cluster.AccessConfig != nil {
				ci.AuthenticationMode = string(d.Cluster.AccessConfig.AuthenticationMode)
			}
			mu.Lock()
			rows = append(rows, ci)
			mu.Unlock()
			return nil
		})
	}
	// HyperPod clusters: ListClusters has no orchestrator, so describe each.
	var hp []string
	sp := sagemaker.NewListClustersPaginator(c.SageMaker, &sagemaker.ListClustersInput{MaxResults: aws.Int32(100)})
	for sp.HasMorePages() {
		page, err := sp.NextPage(ctx)
		if err != nil {
			g.Wait()
			return nil, err
		}
		for _, s := range page.ClusterSummaries {
			hp = append(hp, aws.ToString(s.ClusterName))
		}
	}
	for _, n := range hp {
		g.Go(func() error {
			d, err := c.SageMaker.DescribeCluster(gctx, &sagemaker.DescribeClusterInput{ClusterName: aws.String(n)})
			if err != nil {
				return err
			}
			ci := ClusterInfo{Name: n, Kind: "HyperPod", Status: string(d.ClusterStatus), Arn: aws.ToString(d.ClusterArn)}
			if d.Orchestrator != nil && d.Orchestrator.Eks != nil {
				if ec, err := awsapi.ParseEKSClusterArn(aws.ToString(d.Orchestrator.Eks.ClusterArn)); err == nil {
					ci.EKSCluster = ec.Name
				}
			}
			mu.Lock()
			rows = append(rows, ci)
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	byName := map[string]int{}
	for i, r := range rows {
		if r.Kind == "EKS" {
			byName[r.Name] = i
		}
	}
	for _, r := range rows {
		if r.Kind == "HyperPod" && r.EKSCluster != "" {
			if i, ok := byName[r.EKSCluster]; ok {
				rows[i].HyperPod = append(rows[i].HyperPod, r.Name)
			}
		}
	}
	if rows == nil {
		rows = []ClusterInfo{}
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Kind != rows[j].Kind {
			return rows[i].Kind == "EKS"
		}
		return rows[i].Name < rows[j].Name
	})
	for i := range rows {
		sort.Strings(rows[i].HyperPod)
	}
	return rows, nil
}
