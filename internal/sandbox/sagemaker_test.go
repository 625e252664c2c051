package sandbox

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"eksaccess/internal/sandbox/state"
	"eksaccess/internal/sandbox/state/statetest"
)

const (
	hpArn  = "arn:aws:sagemaker:us-west-2:111122223333:cluster/a1b2c3d4e5f6"
	eksArn = "arn:aws:eks:us-west-2:111122223333:cluster/hyperpod-demo"
)

func TestSageMakerDescribeCluster(t *testing.T) {
	s := start(t, Options{})
	sm := smClient(s, adminCreds(t, s), clientOpts{})
	for _, name := range []string{DemoHyperPod, hpArn} {
		t.Run(name, func(t *testing.T) {
			out, err := sm.DescribeCluster(ctx(), &sagemaker.DescribeClusterInput{ClusterName: aws.String(name)})
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(out.ClusterArn); got != hpArn {
				t.Errorf("ClusterArn = %q, want %q", got, hpArn)
			}
			if got := aws.ToString(out.ClusterName); got != "ml-team-hp" {
				t.Errorf("ClusterName = %q", got)
			}
			if out.ClusterStatus != smtypes.ClusterStatusInservice {
				t.Errorf("ClusterStatus = %q, want InService", out.ClusterStatus)
			}
			if want := time.Date(2026, 1, 15, 10, 30, 0, 0, time.UTC); !aws.ToTime(out.CreationTime).Equal(want) {
				t.Errorf("CreationTime = %v, want %v", out.CreationTime, want)
			}
			if out.Orchestrator == nil || out.Orchestrator.Eks == nil || aws.ToString(out.Orchestrator.Eks.ClusterArn) != eksArn {
				t.Fatalf("Orchestrator = %+v, want Eks.ClusterArn %s", out.Orchestrator, eksArn)
			}
			if len(out.InstanceGroups) != 2 {
				t.Fatalf("InstanceGroups = %d, want 2", len(out.InstanceGroups))
			}
			g := out.InstanceGroups[1]
			if aws.ToString(g.InstanceGroupName) != "worker-group-1" || g.InstanceType != smtypes.ClusterInstanceTypeMlG58xlarge ||
				aws.ToInt32(g.CurrentCount) != 4 || aws.ToInt32(g.TargetCount) != 4 ||
				aws.ToString(g.ExecutionRole) != "arn:aws:iam::111122223333:role/SageMakerHyperPodNodeRole" {
				t.Errorf("worker group = %+v", g)
			}
		})
	}
}

func TestSageMakerErrors(t *testing.T) {
	s := start(t, Options{})
	sm := smClient(s, adminCreds(t, s), clientOpts{})
	cases := []struct {
		name string
		call func() error
		code string
		msg  string
	}{
		{"unknown name", func() error {
			return errOf(sm.DescribeCluster(ctx(), &sagemaker.DescribeClusterInput{ClusterName: aws.String("nope")}))
		}, "ResourceNotFound", "Cluster nope not found"},
		{"unknown arn", func() error {
			return errOf(sm.DescribeCluster(ctx(), &sagemaker.DescribeClusterInput{ClusterName: aws.String("arn:aws:sagemaker:us-west-2:111122223333:cluster/zzzzzzzzzzzz")}))
		}, "ResourceNotFound", "Cluster arn:aws:sagemaker:us-west-2:111122223333:cluster/zzzzzzzzzzzz not found"},
		{"bad name", func() error {
			return errOf(sm.DescribeCluster(ctx(), &sagemaker.DescribeClusterInput{ClusterName: aws.String("bad_name!")}))
		}, "ValidationException", "1 validation error detected: Value 'bad_name!' at 'clusterName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:aws[a-z\\-]*:sagemaker:[a-z0-9\\-]*:[0-9]{12}:cluster/[a-z0-9]{12})|([a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})"},
		{"max results 0", func() error {
			return errOf(sm.ListClusters(ctx(), &sagemaker.ListClustersInput{MaxResults: aws.Int32(0)}))
		}, "ValidationException", "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"max results 101", func() error {
			return errOf(sm.ListClusters(ctx(), &sagemaker.ListClustersInput{MaxResults: aws.Int32(101)}))
		}, "ValidationException", "1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100"},
		{"bad token", func() error {
			return errOf(sm.ListClusters(ctx(), &sagemaker.ListClustersInput{NextToken: aws.String("garbage!")}))
		}, "ValidationException", "Invalid pagination token: garbage!"},
		{"bad sort", func() error { return errOf(sm.ListClusters(ctx(), &sagemaker.ListClustersInput{SortBy: "SIZE"})) }, "ValidationException", "1 validation error detected: Value 'SIZE' at 'sortBy' failed to satisfy constraint: Member must satisfy enum value set: [CREATION_TIME, NAME]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ae := apiErr(t, tc.call(), tc.code, http.StatusBadRequest)
			if ae.ErrorMessage() != tc.msg {
				t.Errorf("message = %q, want %q", ae.ErrorMessage(), tc.msg)
			}
		})
	}
	// ResourceNotFound is modeled: the SDK gives its typed error.
	_, err := sm.DescribeCluster(ctx(), &sagemaker.DescribeClusterInput{ClusterName: aws.String("nope")})
	var rnf *smtypes.ResourceNotFound
	if !asErr(err, &rnf) {
		t.Errorf("DescribeCluster(nope) = %T, want *types.ResourceNotFound", err)
	}
}

func TestSageMakerListClustersPagination(t *testing.T) {
	s := start(t, Options{})
	base := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	err := s.Store().Update(func(d *state.Data) error {
		for i := 0; i < 250; i++ {
			name := fmt.Sprintf("team-%03d", i)
			d.HyperPod[name] = &state.HyperPodCluster{
				ClusterName:   name,
				ClusterArn:    fmt.Sprintf("arn:aws:sagemaker:us-west-2:111122223333:cluster/t%011d", i),
				ClusterStatus: "Creating",
				CreationTime:  base.Add(time.Duration(i) * time.Minute),
				EksClusterArn: eksArn,
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sm := smClient(s, adminCreds(t, s), clientOpts{})

	// Default order: newest first; the seeded ml-team-hp (January) comes last.
	p := sagemaker.NewListClustersPaginator(sm, &sagemaker.ListClustersInput{MaxResults: aws.Int32(100)})
	var names []string
	pages := statetest.Pages(t, ctx(), p.HasMorePages, p.NextPage)
	for i, out := range pages {
		if i < 2 && len(out.ClusterSummaries) != 100 {
			t.Fatalf("page %d has %d summaries, want 100", i+1, len(out.ClusterSummaries))
		}
		for _, c := range out.ClusterSummaries {
			names = append(names, aws.ToString(c.ClusterName))
		}
	}
	if len(pages) != 3 || len(names) != 251 {
		t.Fatalf("%d pages, %d clusters; want 3 pages, 251 clusters", len(pages), len(names))
	}
	if names[0] != "team-249" || names[249] != "team-000" || names[250] != "ml-team-hp" {
		t.Errorf("order: first %s, 250th %s, last %s", names[0], names[249], names[250])
	}

	out, err := sm.ListClusters(ctx(), &sagemaker.ListClustersInput{
		NameContains: aws.String("ml-"), SortBy: smtypes.ClusterSortByName, SortOrder: smtypes.SortOrderAscending,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.ClusterSummaries) != 1 || out.NextToken != nil {
		t.Fatalf("NameContains ml-: %+v", out)
	}
	c := out.ClusterSummaries[0]
	if aws.ToString(c.ClusterArn) != hpArn || aws.ToString(c.ClusterName) != "ml-team-hp" ||
		c.ClusterStatus != smtypes.ClusterStatusInservice ||
		!aws.ToTime(c.CreationTime).Equal(time.Date(2026, 1, 15, 10, 30, 0, 0, time.UTC)) {
		t.Errorf("summary = %+v", c)
	}

	out, err = sm.ListClusters(ctx(), &sagemaker.ListClustersInput{
		SortBy: smtypes.ClusterSortByName, SortOrder: smtypes.SortOrderAscending, MaxResults: aws.Int32(2),
		CreationTimeAfter: aws.Time(base.Add(10 * time.Minute)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.ClusterSummaries) != 2 || aws.ToString(out.ClusterSummaries[0].ClusterName) != "team-011" || out.NextToken == nil {
		t.Errorf("filtered page = %+v", out.ClusterSummaries)
	}
}

// errOf is the error of a client call, for tables of calls that must fail.
func errOf[T any](_ T, err error) error { return err }
