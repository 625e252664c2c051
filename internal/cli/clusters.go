package cli

import (
	"context"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"eksaccess/internal/awsapi"
	"eksaccess/internal/output"
)

type clustersOptions struct {
	f *Factory
}

func newClustersCmd(f *Factory) *cobra.Command {
	o := &clustersOptions{f: f}
	return &cobra.Command{
		Use:   "clusters",
		Short: "List EKS clusters with their authentication mode, and the HyperPod clusters they orchestrate",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runClusters(cmd.Context(), o)
		},
	}
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

func listClusters(ctx context.Context, c *awsapi.Clients) ([]ClusterInfo, error) {
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

func runClusters(ctx context.Context, o *clustersOptions) error {
	format, err := o.f.Format()
	if err != nil {
		return err
	}
	c, err := o.f.Clients(ctx)
	if err != nil {
		return err
	}
	rows, err := listClusters(ctx, c)
	if err != nil {
		return err
	}
	if format != output.Table {
		if rows == nil {
			rows = []ClusterInfo{}
		}
		return output.Data(o.f.IO.Out, format, rows)
	}
	t := output.NewTable(o.f.IO.Out, "NAME", "KIND", "STATUS", "VERSION", "AUTH MODE", "ORCHESTRATION")
	for _, r := range rows {
		orch := r.EKSCluster
		if r.Kind == "EKS" && len(r.HyperPod) > 0 {
			orch = "HyperPod: " + joinComma(r.HyperPod)
		} else if r.Kind == "HyperPod" && r.EKSCluster != "" {
			orch = "EKS: " + r.EKSCluster
		}
		t.Row(r.Name, r.Kind, r.Status, r.Version, r.AuthenticationMode, orch)
	}
	return t.Flush()
}
