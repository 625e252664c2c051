package eks

import (
	"reflect"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"

	"eksaccess/internal/sandbox/state/statetest"
)

func TestDescribeAndListClusters(t *testing.T) {
	e := newEnv(t, envOpts{})
	out, err := e.client.DescribeCluster(ctx(), &awseks.DescribeClusterInput{Name: aws.String("demo")})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Cluster
	if aws.ToString(c.Name) != "demo" || aws.ToString(c.Arn) != "arn:aws:eks:us-west-2:111122223333:cluster/demo" ||
		aws.ToString(c.Version) != "1.32" || aws.ToString(c.PlatformVersion) != "eks.7" || c.Status != types.ClusterStatusActive ||
		aws.ToString(c.RoleArn) != clusterRl || aws.ToString(c.Endpoint) != "https://127.0.0.1:4566/k8s/demo" ||
		c.CertificateAuthority == nil || aws.ToString(c.CertificateAuthority.Data) != "Q0FEQVRB" {
		t.Fatalf("cluster = %+v", c)
	}
	if c.AccessConfig == nil || c.AccessConfig.AuthenticationMode != types.AuthenticationModeApiAndConfigMap || !aws.ToBool(c.AccessConfig.BootstrapClusterCreatorAdminPermissions) {
		t.Fatalf("accessConfig = %+v", c.AccessConfig)
	}
	sameTime(t, "createdAt", c.CreatedAt, t0.Add(-24*3600e9))
	if got := e.lastOp(); got.Operation != "DescribeCluster" || got.Mutating {
		t.Fatalf("op info = %+v", got)
	}
	_, err = e.client.DescribeCluster(ctx(), &awseks.DescribeClusterInput{Name: aws.String("missing")})
	wantAPIError[*types.ResourceNotFoundException](t, err, "No cluster found for name: missing.")

	l, err := e.client.ListClusters(ctx(), &awseks.ListClustersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(l.Clusters, []string{"apionly", "demo", "legacy"}) || l.NextToken != nil {
		t.Fatalf("clusters = %v", l.Clusters)
	}
	var paged []string
	p := awseks.NewListClustersPaginator(e.client, &awseks.ListClustersInput{MaxResults: aws.Int32(2), Include: []string{"all"}})
	for _, o := range statetest.Pages(t, ctx(), p.HasMorePages, p.NextPage) {
		paged = append(paged, o.Clusters...)
	}
	if !reflect.DeepEqual(paged, []string{"apionly", "demo", "legacy"}) {
		t.Fatalf("paged clusters = %v", paged)
	}
	_, err = e.client.ListClusters(ctx(), &awseks.ListClustersInput{MaxResults: aws.Int32(101)})
	wantAPIError[*types.InvalidParameterException](t, err, "maxResults")
}

func TestUpdateClusterConfigAuthenticationMode(t *testing.T) {
	e := newEnv(t, envOpts{})
	mode := func(m types.AuthenticationMode) *awseks.UpdateClusterConfigInput {
		return &awseks.UpdateClusterConfigInput{Name: aws.String("legacy"), AccessConfig: &types.UpdateAccessConfigRequest{AuthenticationMode: m}}
	}
	steps := []struct {
		to  types.AuthenticationMode
		msg string // "" = accepted
	}{
		{types.AuthenticationModeConfigMap, "Unsupported authentication mode update from CONFIG_MAP to CONFIG_MAP"},
		{types.AuthenticationModeApi, "Unsupported authentication mode update from CONFIG_MAP to API"},
		{types.AuthenticationModeApiAndConfigMap, ""},
		{types.AuthenticationModeApiAndConfigMap, "Unsupported authentication mode update from API_AND_CONFIG_MAP to API_AND_CONFIG_MAP"},
		{types.AuthenticationModeConfigMap, "Unsupported authentication mode update from API_AND_CONFIG_MAP to CONFIG_MAP"},
		{types.AuthenticationModeApi, ""},
		{types.AuthenticationModeApiAndConfigMap, "Unsupported authentication mode update from API to API_AND_CONFIG_MAP"},
		{types.AuthenticationModeConfigMap, "Unsupported authentication mode update from API to CONFIG_MAP"},
		{"OIDC", "The authentication mode OIDC is invalid"},
	}
	for _, s := range steps {
		out, err := e.client.UpdateClusterConfig(ctx(), mode(s.to))
		if s.msg != "" {
			wantAPIError[*types.InvalidParameterException](t, err, s.msg)
			continue
		}
		if err != nil {
			t.Fatalf("to %s: %v", s.to, err)
		}
		u := out.Update
		if u.Status != types.UpdateStatusSuccessful || u.Type != types.UpdateTypeAccessConfigUpdate || len(u.Params) != 1 ||
			u.Params[0].Type != types.UpdateParamTypeAuthenticationMode || aws.ToString(u.Params[0].Value) != string(s.to) ||
			!regexp.MustCompile("^"+uuidTail).MatchString(aws.ToString(u.Id)) {
			t.Fatalf("update = %+v", u)
		}
		sameTime(t, "update createdAt", u.CreatedAt, t0)
		d, err := e.client.DescribeCluster(ctx(), &awseks.DescribeClusterInput{Name: aws.String("legacy")})
		if err != nil {
			t.Fatal(err)
		}
		if d.Cluster.AccessConfig.AuthenticationMode != s.to {
			t.Fatalf("mode after update = %s, want %s", d.Cluster.AccessConfig.AuthenticationMode, s.to)
		}
	}
	_, err := e.client.UpdateClusterConfig(ctx(), &awseks.UpdateClusterConfigInput{Name: aws.String("legacy")})
	wantAPIError[*types.InvalidParameterException](t, err, "accessConfig.authenticationMode")
	_, err = e.client.UpdateClusterConfig(ctx(), &awseks.UpdateClusterConfigInput{Name: aws.String("nope"), AccessConfig: &types.UpdateAccessConfigRequest{AuthenticationMode: types.AuthenticationModeApi}})
	wantAPIError[*types.ResourceNotFoundException](t, err, "No cluster found for name: nope.")
	// Once out of CONFIG_MAP, the cluster takes access entries.
	if _, err := e.client.CreateAccessEntry(ctx(), &awseks.CreateAccessEntryInput{ClusterName: aws.String("legacy"), PrincipalArn: aws.String(aliceArn)}); err != nil {
		t.Fatal(err)
	}
}

func TestCreateCluster(t *testing.T) {
	e := newEnv(t, envOpts{})
	vpc := &types.VpcConfigRequest{SubnetIds: []string{"subnet-1", "subnet-2"}}
	out, err := e.client.CreateCluster(ctx(), &awseks.CreateClusterInput{
		Name: aws.String("ml-prod"), RoleArn: aws.String(clusterRl), ResourcesVpcConfig: vpc, Version: aws.String("1.31"),
		Tags:         map[string]string{"env": "prod"},
		AccessConfig: &types.CreateAccessConfigRequest{AuthenticationMode: types.AuthenticationModeApiAndConfigMap},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Cluster
	if aws.ToString(c.Name) != "ml-prod" || aws.ToString(c.Arn) != "arn:aws:eks:us-west-2:111122223333:cluster/ml-prod" || aws.ToString(c.Version) != "1.31" ||
		c.Status != types.ClusterStatusActive || !reflect.DeepEqual(c.Tags, map[string]string{"env": "prod"}) ||
		c.AccessConfig.AuthenticationMode != types.AuthenticationModeApiAndConfigMap || !aws.ToBool(c.AccessConfig.BootstrapClusterCreatorAdminPermissions) {
		t.Fatalf("cluster = %+v", c)
	}
	// bootstrapClusterCreatorAdminPermissions defaults to true: the caller gets a cluster-admin entry.
	l, err := e.client.ListAccessEntries(ctx(), &awseks.ListAccessEntriesInput{ClusterName: aws.String("ml-prod")})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(l.AccessEntries, []string{adminArn}) {
		t.Fatalf("entries = %v", l.AccessEntries)
	}
	ap, err := e.client.ListAssociatedAccessPolicies(ctx(), &awseks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String("ml-prod"), PrincipalArn: aws.String(adminArn)})
	if err != nil {
		t.Fatal(err)
	}
	if len(ap.AssociatedAccessPolicies) != 1 || aws.ToString(ap.AssociatedAccessPolicies[0].PolicyArn) != policyPrefix+"AmazonEKSClusterAdminPolicy" ||
		ap.AssociatedAccessPolicies[0].AccessScope.Type != types.AccessScopeTypeCluster {
		t.Fatalf("creator policies = %+v", ap.AssociatedAccessPolicies)
	}
	d, err := e.client.DescribeAccessEntry(ctx(), &awseks.DescribeAccessEntryInput{ClusterName: aws.String("ml-prod"), PrincipalArn: aws.String(adminArn)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(d.AccessEntry.Type) != "STANDARD" || aws.ToString(d.AccessEntry.Username) != adminArn {
		t.Fatalf("creator entry = %+v", d.AccessEntry)
	}

	// Default mode CONFIG_MAP: no entries (and access-entry calls are refused).
	def, err := e.client.CreateCluster(ctx(), &awseks.CreateClusterInput{Name: aws.String("plain"), RoleArn: aws.String(clusterRl), ResourcesVpcConfig: vpc})
	if err != nil {
		t.Fatal(err)
	}
	if def.Cluster.AccessConfig.AuthenticationMode != types.AuthenticationModeConfigMap || !aws.ToBool(def.Cluster.AccessConfig.BootstrapClusterCreatorAdminPermissions) ||
		aws.ToString(def.Cluster.Version) != DefaultVersion {
		t.Fatalf("default cluster = %+v %+v", def.Cluster, def.Cluster.AccessConfig)
	}
	// Without bootstrap: no creator entry.
	if _, err := e.client.CreateCluster(ctx(), &awseks.CreateClusterInput{Name: aws.String("bare"), RoleArn: aws.String(clusterRl), ResourcesVpcConfig: vpc,
		AccessConfig: &types.CreateAccessConfigRequest{AuthenticationMode: types.AuthenticationModeApi, BootstrapClusterCreatorAdminPermissions: aws.Bool(false)}}); err != nil {
		t.Fatal(err)
	}
	bare, err := e.client.ListAccessEntries(ctx(), &awseks.ListAccessEntriesInput{ClusterName: aws.String("bare")})
	if err != nil {
		t.Fatal(err)
	}
	if len(bare.AccessEntries) != 0 {
		t.Fatalf("bare entries = %v", bare.AccessEntries)
	}

	long := ""
	for len(long) < 101 {
		long += "a"
	}
	tests := []struct {
		name  string
		in    awseks.CreateClusterInput
		inUse bool
		msg   string
	}{
		{"exists", awseks.CreateClusterInput{Name: aws.String("demo"), RoleArn: aws.String(clusterRl), ResourcesVpcConfig: vpc}, true, "Cluster already exists with name: demo"},
		{"name starts with hyphen", awseks.CreateClusterInput{Name: aws.String("-x"), RoleArn: aws.String(clusterRl), ResourcesVpcConfig: vpc}, false, "The cluster name \"-x\" is invalid"},
		{"name with dot", awseks.CreateClusterInput{Name: aws.String("a.b"), RoleArn: aws.String(clusterRl), ResourcesVpcConfig: vpc}, false, "is invalid"},
		{"name too long", awseks.CreateClusterInput{Name: aws.String(long), RoleArn: aws.String(clusterRl), ResourcesVpcConfig: vpc}, false, "is invalid"},
		{"unknown role", awseks.CreateClusterInput{Name: aws.String("x"), RoleArn: aws.String("arn:aws:iam::111122223333:role/nope"), ResourcesVpcConfig: vpc}, false,
			"Role with arn: arn:aws:iam::111122223333:role/nope, could not be assumed because it does not exist or the trusted entity is not correct"},
		{"bad mode", awseks.CreateClusterInput{Name: aws.String("x"), RoleArn: aws.String(clusterRl), ResourcesVpcConfig: vpc, AccessConfig: &types.CreateAccessConfigRequest{AuthenticationMode: "api"}}, false, "The authentication mode api is invalid"},
		{"config map without bootstrap", awseks.CreateClusterInput{Name: aws.String("x"), RoleArn: aws.String(clusterRl), ResourcesVpcConfig: vpc,
			AccessConfig: &types.CreateAccessConfigRequest{BootstrapClusterCreatorAdminPermissions: aws.Bool(false)}}, false,
			"bootstrapClusterCreatorAdminPermissions must be true if cluster authentication mode is set to CONFIG_MAP"},
		{"aws: tag", awseks.CreateClusterInput{Name: aws.String("x"), RoleArn: aws.String(clusterRl), ResourcesVpcConfig: vpc, Tags: map[string]string{"aws:x": "y"}}, false, "reserved for AWS use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.client.CreateCluster(ctx(), &tt.in)
			if tt.inUse {
				wantAPIError[*types.ResourceInUseException](t, err, tt.msg)
			} else {
				wantAPIError[*types.InvalidParameterException](t, err, tt.msg)
			}
		})
	}
	l2, err := e.client.ListClusters(ctx(), &awseks.ListClustersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(l2.Clusters, []string{"apionly", "bare", "demo", "legacy", "ml-prod", "plain"}) {
		t.Fatalf("clusters = %v", l2.Clusters)
	}
}

func TestTags(t *testing.T) {
	e := newEnv(t, envOpts{})
	ce, err := e.client.CreateAccessEntry(ctx(), &awseks.CreateAccessEntryInput{ClusterName: aws.String("demo"), PrincipalArn: aws.String(aliceArn), Tags: map[string]string{"a": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	entryArn := aws.ToString(ce.AccessEntry.AccessEntryArn)
	clusterArn := "arn:aws:eks:us-west-2:111122223333:cluster/demo"
	for _, arn := range []string{entryArn, clusterArn} {
		if _, err := e.client.TagResource(ctx(), &awseks.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"eksaccess/managed": "true", "b": "2"}}); err != nil {
			t.Fatal(err)
		}
		if got := e.lastOp(); got.Operation != "TagResource" || !got.Mutating {
			t.Fatalf("op info = %+v", got)
		}
		if _, err := e.client.UntagResource(ctx(), &awseks.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"b", "absent"}}); err != nil {
			t.Fatal(err)
		}
		l, err := e.client.ListTagsForResource(ctx(), &awseks.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"eksaccess/managed": "true"}
		if arn == entryArn {
			want["a"] = "1"
		}
		if !reflect.DeepEqual(l.Tags, want) {
			t.Fatalf("tags of %s = %v, want %v", arn, l.Tags, want)
		}
	}
	d, err := e.client.DescribeAccessEntry(ctx(), &awseks.DescribeAccessEntryInput{ClusterName: aws.String("demo"), PrincipalArn: aws.String(aliceArn)})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d.AccessEntry.Tags, map[string]string{"a": "1", "eksaccess/managed": "true"}) {
		t.Fatalf("entry tags = %v", d.AccessEntry.Tags)
	}

	_, err = e.client.ListTagsForResource(ctx(), &awseks.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:eks:us-west-2:111122223333:cluster/nope")})
	wantAPIError[*types.NotFoundException](t, err, "was not found")
	_, err = e.client.TagResource(ctx(), &awseks.TagResourceInput{ResourceArn: aws.String(entryArn + "x"), Tags: map[string]string{"k": "v"}})
	wantAPIError[*types.NotFoundException](t, err, "was not found")
	for name, tags := range map[string]map[string]string{
		"aws: prefix":    {"aws:cloudformation:stack": "x"},
		"value too long": {"k": string(make([]byte, 257))},
		"key too long":   {string(make([]byte, 129)): "v"},
		"over 50 total":  manyTags(49),
		"empty":          {},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := e.client.TagResource(ctx(), &awseks.TagResourceInput{ResourceArn: aws.String(entryArn), Tags: tags})
			wantAPIError[*types.BadRequestException](t, err, "")
		})
	}
	_, err = e.client.UntagResource(ctx(), &awseks.UntagResourceInput{ResourceArn: aws.String(entryArn), TagKeys: []string{}})
	wantAPIError[*types.BadRequestException](t, err, "tagKeys must hold 1 to 50 keys")
	l, err := e.client.ListTagsForResource(ctx(), &awseks.ListTagsForResourceInput{ResourceArn: aws.String(entryArn)})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Tags) != 2 {
		t.Fatalf("refused tag calls changed the tags: %v", l.Tags)
	}
}
