package eks

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	"golang.org/x/sync/errgroup"

	"eksaccess/internal/sandbox/state"
	"eksaccess/internal/sandbox/state/statetest"
)

func sameTime(t *testing.T, what string, got *time.Time, want time.Time) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s is nil, want %v", what, want)
	}
	if d := got.Sub(want); d > time.Millisecond || d < -time.Millisecond {
		t.Fatalf("%s = %v, want %v", what, got.UTC(), want)
	}
}

var uuidTail = `[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`

func TestAccessEntryLifecycle(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := e.client

	out, err := c.CreateAccessEntry(ctx(), &awseks.CreateAccessEntryInput{
		ClusterName: aws.String("demo"), PrincipalArn: aws.String(aliceArn),
		Tags: map[string]string{"team": "ml"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.lastOp(); got.Operation != "CreateAccessEntry" || !got.Mutating {
		t.Fatalf("op info = %+v", got)
	}
	ae := out.AccessEntry
	if aws.ToString(ae.ClusterName) != "demo" || aws.ToString(ae.PrincipalArn) != aliceArn || aws.ToString(ae.Type) != "STANDARD" ||
		aws.ToString(ae.Username) != aliceArn || len(ae.KubernetesGroups) != 0 || !reflect.DeepEqual(ae.Tags, map[string]string{"team": "ml"}) {
		t.Fatalf("entry = %+v", ae)
	}
	if !regexp.MustCompile(`^arn:aws:eks:us-west-2:111122223333:access-entry/demo/user/111122223333/alice/` + uuidTail).MatchString(aws.ToString(ae.AccessEntryArn)) {
		t.Fatalf("accessEntryArn = %s", aws.ToString(ae.AccessEntryArn))
	}
	sameTime(t, "createdAt", ae.CreatedAt, t0)
	sameTime(t, "modifiedAt", ae.ModifiedAt, t0)

	// A role with a path keeps its path in the principal but not in the default username.
	sso, err := c.CreateAccessEntry(ctx(), &awseks.CreateAccessEntryInput{ClusterName: aws.String("demo"), PrincipalArn: aws.String(ssoRole)})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(sso.AccessEntry.Username); got != "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_DataScientist_0123456789abcdef/{{SessionName}}" {
		t.Fatalf("sso username = %s", got)
	}
	if !regexp.MustCompile(`access-entry/demo/role/111122223333/AWSReservedSSO_DataScientist_0123456789abcdef/` + uuidTail).MatchString(aws.ToString(sso.AccessEntry.AccessEntryArn)) {
		t.Fatalf("sso arn = %s", aws.ToString(sso.AccessEntry.AccessEntryArn))
	}

	d, err := c.DescribeAccessEntry(ctx(), &awseks.DescribeAccessEntryInput{ClusterName: aws.String("demo"), PrincipalArn: aws.String(ssoRole)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(d.AccessEntry.AccessEntryArn) != aws.ToString(sso.AccessEntry.AccessEntryArn) {
		t.Fatalf("describe = %+v", d.AccessEntry)
	}
	if got := e.lastOp(); got.Operation != "DescribeAccessEntry" || got.Mutating {
		t.Fatalf("op info = %+v", got)
	}

	e.clock.Advance(90 * time.Second)
	u, err := c.UpdateAccessEntry(ctx(), &awseks.UpdateAccessEntryInput{
		ClusterName: aws.String("demo"), PrincipalArn: aws.String(aliceArn),
		KubernetesGroups: []string{"viewers", "team-a"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(u.AccessEntry.KubernetesGroups, []string{"viewers", "team-a"}) || aws.ToString(u.AccessEntry.Username) != aliceArn {
		t.Fatalf("update = %+v", u.AccessEntry)
	}
	sameTime(t, "createdAt after update", u.AccessEntry.CreatedAt, t0)
	sameTime(t, "modifiedAt after update", u.AccessEntry.ModifiedAt, t0.Add(90*time.Second))
	u, err = c.UpdateAccessEntry(ctx(), &awseks.UpdateAccessEntryInput{ClusterName: aws.String("demo"), PrincipalArn: aws.String(aliceArn), Username: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(u.AccessEntry.Username) != "alice" || !reflect.DeepEqual(u.AccessEntry.KubernetesGroups, []string{"viewers", "team-a"}) {
		t.Fatalf("update username = %+v", u.AccessEntry)
	}

	l, err := c.ListAccessEntries(ctx(), &awseks.ListAccessEntriesInput{ClusterName: aws.String("demo")})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(l.AccessEntries, []string{ssoRole, aliceArn}) || l.NextToken != nil {
		t.Fatalf("list = %v next %v", l.AccessEntries, l.NextToken)
	}

	if _, err := c.DeleteAccessEntry(ctx(), &awseks.DeleteAccessEntryInput{ClusterName: aws.String("demo"), PrincipalArn: aws.String(aliceArn)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeAccessEntry(ctx(), &awseks.DescribeAccessEntryInput{ClusterName: aws.String("demo"), PrincipalArn: aws.String(aliceArn)})
	wantAPIError[*types.ResourceNotFoundException](t, err, "The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'.")
	_, err = c.DeleteAccessEntry(ctx(), &awseks.DeleteAccessEntryInput{ClusterName: aws.String("demo"), PrincipalArn: aws.String(aliceArn)})
	wantAPIError[*types.ResourceNotFoundException](t, err, "The specified principalArn could not be found")
	_, err = c.UpdateAccessEntry(ctx(), &awseks.UpdateAccessEntryInput{ClusterName: aws.String("demo"), PrincipalArn: aws.String(aliceArn), Username: aws.String("x")})
	wantAPIError[*types.ResourceNotFoundException](t, err, "The specified principalArn could not be found")

	// The store persisted every change.
	e.st.Read(func(d *state.Data) error {
		if _, ok := d.Clusters["demo"].Entries[aliceArn]; ok {
			t.Error("deleted entry still in state")
		}
		if d.Clusters["demo"].Entries[ssoRole] == nil {
			t.Error("sso entry missing from state")
		}
		return nil
	})
}

func TestCreateAccessEntryRules(t *testing.T) {
	e := newEnv(t, envOpts{delay: time.Minute})
	if _, err := e.client.CreateAccessEntry(ctx(), &awseks.CreateAccessEntryInput{ClusterName: aws.String("demo"), PrincipalArn: aws.String(bobArn)}); err != nil {
		t.Fatal(err)
	}
	const invalidPrincipal = "The specified principalArn is invalid: invalid principal."
	type errKind int
	const (
		param errKind = iota
		request
		notfound
		inuse
	)
	tests := []struct {
		name    string
		cluster string
		in      awseks.CreateAccessEntryInput
		kind    errKind
		msg     string
	}{
		{"unknown cluster", "nope", awseks.CreateAccessEntryInput{PrincipalArn: aws.String(aliceArn)}, notfound, "No cluster found for name: nope."},
		{"config map cluster", "legacy", awseks.CreateAccessEntryInput{PrincipalArn: aws.String(aliceArn)}, request, "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation."},
		{"duplicate", "demo", awseks.CreateAccessEntryInput{PrincipalArn: aws.String(bobArn)}, inuse, "The specified access entry resource is already in use on this cluster."},
		{"sts session", "demo", awseks.CreateAccessEntryInput{PrincipalArn: aws.String("arn:aws:sts::111122223333:assumed-role/dev-role/alice")}, param, invalidPrincipal},
		{"service-linked role", "demo", awseks.CreateAccessEntryInput{PrincipalArn: aws.String(slrRole)}, param, invalidPrincipal},
		{"role without its path", "demo", awseks.CreateAccessEntryInput{PrincipalArn: aws.String("arn:aws:iam::111122223333:role/AWSReservedSSO_DataScientist_0123456789abcdef")}, param, invalidPrincipal},
		{"user with wrong path", "demo", awseks.CreateAccessEntryInput{PrincipalArn: aws.String("arn:aws:iam::111122223333:user/carol")}, param, invalidPrincipal},
		{"unknown user", "demo", awseks.CreateAccessEntryInput{PrincipalArn: aws.String("arn:aws:iam::111122223333:user/mallory")}, param, invalidPrincipal},
		{"unknown role", "demo", awseks.CreateAccessEntryInput{PrincipalArn: aws.String("arn:aws:iam::111122223333:role/nope")}, param, invalidPrincipal},
		// Another account's principal is taken for STANDARD entries only, and its ARN must be
		// well formed (the test seed holds no other account to look it up in).
		{"other account, node type", "demo", awseks.CreateAccessEntryInput{PrincipalArn: aws.String("arn:aws:iam::444455556666:role/nodes"), Type: aws.String("EC2_LINUX")}, param, "of the cluster's account"},
		{"other account, bad name", "demo", awseks.CreateAccessEntryInput{PrincipalArn: aws.String("arn:aws:iam::444455556666:user/al!ce")}, param, invalidPrincipal},
		{"other account, service-linked role", "demo", awseks.CreateAccessEntryInput{PrincipalArn: aws.String("arn:aws:iam::444455556666:role/aws-service-role/eks.amazonaws.com/X")}, param, invalidPrincipal},
		{"other partition", "demo", awseks.CreateAccessEntryInput{PrincipalArn: aws.String("arn:aws-cn:iam::111122223333:user/alice")}, param, invalidPrincipal},
		{"malformed", "demo", awseks.CreateAccessEntryInput{PrincipalArn: aws.String("alice")}, param, invalidPrincipal},
		{"group arn", "demo", awseks.CreateAccessEntryInput{PrincipalArn: aws.String("arn:aws:iam::111122223333:group/data-scientists")}, param, invalidPrincipal},
		{"root", "demo", awseks.CreateAccessEntryInput{PrincipalArn: aws.String("arn:aws:iam::111122223333:root")}, param, invalidPrincipal},
		{"fresh role in consistency delay", "demo", awseks.CreateAccessEntryInput{PrincipalArn: aws.String(freshRole)}, param, invalidPrincipal},
		{"bad type", "demo", awseks.CreateAccessEntryInput{PrincipalArn: aws.String(devRole), Type: aws.String("ADMIN")}, param, "The specified type ADMIN is invalid"},
		{"lower-case type", "demo", awseks.CreateAccessEntryInput{PrincipalArn: aws.String(devRole), Type: aws.String("standard")}, param, "The specified type standard is invalid"},
		{"node type for a user", "demo", awseks.CreateAccessEntryInput{PrincipalArn: aws.String(aliceArn), Type: aws.String("EC2_LINUX")}, param, "take only IAM roles"},
		{"node type with groups", "demo", awseks.CreateAccessEntryInput{PrincipalArn: aws.String(nodeRole), Type: aws.String("EC2_LINUX"), KubernetesGroups: []string{"team"}}, param, "only be specified for access entries of type STANDARD"},
		{"node type with username", "demo", awseks.CreateAccessEntryInput{PrincipalArn: aws.String(nodeRole), Type: aws.String("FARGATE_LINUX"), Username: aws.String("n")}, param, "only be specified for access entries of type STANDARD"},
		{"username system:", "demo", awseks.CreateAccessEntryInput{PrincipalArn: aws.String(aliceArn), Username: aws.String("system:admin")}, param, "can't start with system:, eks:, aws:, amazon:, or iam:"},
		{"username eks:", "demo", awseks.CreateAccessEntryInput{PrincipalArn: aws.String(aliceArn), Username: aws.String("eks:x")}, param, "can't start with"},
		{"username aws:", "demo", awseks.CreateAccessEntryInput{PrincipalArn: aws.String(aliceArn), Username: aws.String("aws:x")}, param, "can't start with"},
		{"username amazon:", "demo", awseks.CreateAccessEntryInput{PrincipalArn: aws.String(aliceArn), Username: aws.String("amazon:x")}, param, "can't start with"},
		{"username iam:", "demo", awseks.CreateAccessEntryInput{PrincipalArn: aws.String(aliceArn), Username: aws.String("iam:x")}, param, "can't start with"},
		{"group system:", "demo", awseks.CreateAccessEntryInput{PrincipalArn: aws.String(aliceArn), KubernetesGroups: []string{"ok", "system:masters"}}, param, "a group name can't start with system:"},
		{"too many tags", "demo", awseks.CreateAccessEntryInput{PrincipalArn: aws.String(aliceArn), Tags: manyTags(51)}, param, "at most 50 tags"},
		{"long tag key", "demo", awseks.CreateAccessEntryInput{PrincipalArn: aws.String(aliceArn), Tags: map[string]string{string(make([]byte, 129)): "v"}}, param, "1 to 128 characters"},
		{"long tag value", "demo", awseks.CreateAccessEntryInput{PrincipalArn: aws.String(aliceArn), Tags: map[string]string{"k": string(make([]byte, 257))}}, param, "at most 256 characters"},
		{"aws: tag key", "demo", awseks.CreateAccessEntryInput{PrincipalArn: aws.String(aliceArn), Tags: map[string]string{"aws:owner": "x"}}, param, "reserved for AWS use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.ClusterName = aws.String(tt.cluster)
			_, err := e.client.CreateAccessEntry(ctx(), &in)
			switch tt.kind {
			case param:
				wantAPIError[*types.InvalidParameterException](t, err, tt.msg)
			case request:
				wantAPIError[*types.InvalidRequestException](t, err, tt.msg)
			case notfound:
				wantAPIError[*types.ResourceNotFoundException](t, err, tt.msg)
			case inuse:
				wantAPIError[*types.ResourceInUseException](t, err, tt.msg)
			}
		})
	}
	// Nothing refused was stored.
	l, err := e.client.ListAccessEntries(ctx(), &awseks.ListAccessEntriesInput{ClusterName: aws.String("demo")})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(l.AccessEntries, []string{bobArn}) {
		t.Fatalf("entries after refusals = %v", l.AccessEntries)
	}
}

func manyTags(n int) map[string]string {
	m := map[string]string{}
	for i := 0; i < n; i++ {
		m[string(rune('a'+i%26))+string(rune('a'+i/26))] = "v"
	}
	return m
}

func TestEntryTypeDefaults(t *testing.T) {
	e := newEnv(t, envOpts{})
	tests := []struct {
		typ      string
		username string
		groups   []string
	}{
		{"EC2_LINUX", "system:node:{{EC2PrivateDNSName}}", []string{"system:nodes"}},
		{"EC2_WINDOWS", "system:node:{{EC2PrivateDNSName}}", []string{}},
		{"EC2", "system:node:{{EC2PrivateDNSName}}", []string{}},
		{"HYPERPOD_LINUX", "system:node:{{EC2PrivateDNSName}}", []string{}},
		{"FARGATE_LINUX", "system:node:{{SessionName}}", []string{}},
		{"HYBRID_LINUX", "system:node:{{SessionName}}", []string{}},
		{"STANDARD", "arn:aws:sts::111122223333:assumed-role/NodeRole/{{SessionName}}", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			// One cluster per type: a principal holds one entry per cluster.
			name := "c-" + tt.typ
			if _, err := e.client.CreateCluster(ctx(), &awseks.CreateClusterInput{
				Name: aws.String(name), RoleArn: aws.String(clusterRl),
				ResourcesVpcConfig: &types.VpcConfigRequest{SubnetIds: []string{"subnet-1"}},
				AccessConfig:       &types.CreateAccessConfigRequest{AuthenticationMode: types.AuthenticationModeApi, BootstrapClusterCreatorAdminPermissions: aws.Bool(false)},
			}); err != nil {
				t.Fatal(err)
			}
			out, err := e.client.CreateAccessEntry(ctx(), &awseks.CreateAccessEntryInput{ClusterName: aws.String(name), PrincipalArn: aws.String(nodeRole), Type: aws.String(tt.typ)})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(out.AccessEntry.Username) != tt.username || !reflect.DeepEqual(out.AccessEntry.KubernetesGroups, tt.groups) || aws.ToString(out.AccessEntry.Type) != tt.typ {
				t.Fatalf("entry = username %q groups %q type %q", aws.ToString(out.AccessEntry.Username), out.AccessEntry.KubernetesGroups, aws.ToString(out.AccessEntry.Type))
			}
			if tt.typ != "STANDARD" {
				_, err := e.client.UpdateAccessEntry(ctx(), &awseks.UpdateAccessEntryInput{ClusterName: aws.String(name), PrincipalArn: aws.String(nodeRole), KubernetesGroups: []string{"g"}})
				wantAPIError[*types.InvalidParameterException](t, err, "only be specified for access entries of type STANDARD")
				_, err = e.client.UpdateAccessEntry(ctx(), &awseks.UpdateAccessEntryInput{ClusterName: aws.String(name), PrincipalArn: aws.String(nodeRole), Username: aws.String("u")})
				wantAPIError[*types.InvalidParameterException](t, err, "only be specified for access entries of type STANDARD")
			}
		})
	}
}

func TestUpdateAccessEntryRules(t *testing.T) {
	e := newEnv(t, envOpts{})
	if _, err := e.client.CreateAccessEntry(ctx(), &awseks.CreateAccessEntryInput{ClusterName: aws.String("demo"), PrincipalArn: aws.String(devRole), Username: aws.String("dev")}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"system:x", "eks:x", "aws:x", "amazon:x", "iam:x"} {
		_, err := e.client.UpdateAccessEntry(ctx(), &awseks.UpdateAccessEntryInput{ClusterName: aws.String("demo"), PrincipalArn: aws.String(devRole), Username: aws.String(u)})
		wantAPIError[*types.InvalidParameterException](t, err, "can't start with")
	}
	_, err := e.client.UpdateAccessEntry(ctx(), &awseks.UpdateAccessEntryInput{ClusterName: aws.String("demo"), PrincipalArn: aws.String(devRole), KubernetesGroups: []string{"system:masters"}})
	wantAPIError[*types.InvalidParameterException](t, err, "can't start with system:")
	d, err := e.client.DescribeAccessEntry(ctx(), &awseks.DescribeAccessEntryInput{ClusterName: aws.String("demo"), PrincipalArn: aws.String(devRole)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(d.AccessEntry.Username) != "dev" || len(d.AccessEntry.KubernetesGroups) != 0 {
		t.Fatalf("refused updates changed the entry: %+v", d.AccessEntry)
	}
	// Clearing the groups with an explicit empty list.
	if _, err := e.client.UpdateAccessEntry(ctx(), &awseks.UpdateAccessEntryInput{ClusterName: aws.String("demo"), PrincipalArn: aws.String(devRole), KubernetesGroups: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	u, err := e.client.UpdateAccessEntry(ctx(), &awseks.UpdateAccessEntryInput{ClusterName: aws.String("demo"), PrincipalArn: aws.String(devRole), KubernetesGroups: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if len(u.AccessEntry.KubernetesGroups) != 0 || aws.ToString(u.AccessEntry.Username) != "dev" {
		t.Fatalf("after clearing groups: %+v", u.AccessEntry)
	}
}

func TestCreateAccessEntryIdempotency(t *testing.T) {
	e := newEnv(t, envOpts{})
	in := &awseks.CreateAccessEntryInput{
		ClusterName: aws.String("demo"), PrincipalArn: aws.String(aliceArn),
		KubernetesGroups: []string{"g1"}, ClientRequestToken: aws.String("tok-1"),
	}
	first, err := e.client.CreateAccessEntry(ctx(), in)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	again, err := e.client.CreateAccessEntry(ctx(), in)
	if err != nil {
		t.Fatalf("retry with the same token: %v", err)
	}
	if aws.ToString(again.AccessEntry.AccessEntryArn) != aws.ToString(first.AccessEntry.AccessEntryArn) {
		t.Fatalf("retry made a new entry: %s vs %s", aws.ToString(again.AccessEntry.AccessEntryArn), aws.ToString(first.AccessEntry.AccessEntryArn))
	}
	sameTime(t, "createdAt of retry", again.AccessEntry.CreatedAt, t0)

	for name, mod := range map[string]func(*awseks.CreateAccessEntryInput){
		"other token":  func(i *awseks.CreateAccessEntryInput) { i.ClientRequestToken = aws.String("tok-2") },
		"other groups": func(i *awseks.CreateAccessEntryInput) { i.KubernetesGroups = []string{"g2"} },
		"no token":     func(i *awseks.CreateAccessEntryInput) { i.ClientRequestToken = nil },
	} {
		t.Run(name, func(t *testing.T) {
			cp := *in
			mod(&cp)
			_, err := e.client.CreateAccessEntry(ctx(), &cp)
			// Without a token the SDK sends a fresh UUID, which cannot match either.
			wantAPIError[*types.ResourceInUseException](t, err, "already in use")
		})
	}
}

func TestConfigMapClusterRefusesAccessEntryOperations(t *testing.T) {
	e := newEnv(t, envOpts{})
	c, cl := e.client, aws.String("legacy")
	const msg = "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation."
	calls := map[string]func() error{
		"Create": func() error {
			_, err := c.CreateAccessEntry(ctx(), &awseks.CreateAccessEntryInput{ClusterName: cl, PrincipalArn: aws.String(aliceArn)})
			return err
		},
		"Describe": func() error {
			_, err := c.DescribeAccessEntry(ctx(), &awseks.DescribeAccessEntryInput{ClusterName: cl, PrincipalArn: aws.String(aliceArn)})
			return err
		},
		"Update": func() error {
			_, err := c.UpdateAccessEntry(ctx(), &awseks.UpdateAccessEntryInput{ClusterName: cl, PrincipalArn: aws.String(aliceArn), Username: aws.String("a")})
			return err
		},
		"Delete": func() error {
			_, err := c.DeleteAccessEntry(ctx(), &awseks.DeleteAccessEntryInput{ClusterName: cl, PrincipalArn: aws.String(aliceArn)})
			return err
		},
		"List": func() error {
			_, err := c.ListAccessEntries(ctx(), &awseks.ListAccessEntriesInput{ClusterName: cl})
			return err
		},
		"Associate": func() error {
			_, err := c.AssociateAccessPolicy(ctx(), &awseks.AssociateAccessPolicyInput{ClusterName: cl, PrincipalArn: aws.String(aliceArn),
				PolicyArn: aws.String(policyPrefix + "AmazonEKSViewPolicy"), AccessScope: &types.AccessScope{Type: types.AccessScopeTypeCluster}})
			return err
		},
		"Disassociate": func() error {
			_, err := c.DisassociateAccessPolicy(ctx(), &awseks.DisassociateAccessPolicyInput{ClusterName: cl, PrincipalArn: aws.String(aliceArn), PolicyArn: aws.String(policyPrefix + "AmazonEKSViewPolicy")})
			return err
		},
		"ListAssociated": func() error {
			_, err := c.ListAssociatedAccessPolicies(ctx(), &awseks.ListAssociatedAccessPoliciesInput{ClusterName: cl, PrincipalArn: aws.String(aliceArn)})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			wantAPIError[*types.InvalidRequestException](t, call(), msg)
		})
	}
}

func TestListAccessEntriesPagination(t *testing.T) {
	const n = 260
	e := newEnv(t, envOpts{extraUsers: n})
	view := policyPrefix + "AmazonEKSViewPolicy"
	want := map[string]bool{}
	wantView := []string{}
	// Concurrent creates: the store commits them in groups, which keeps this test fast
	// and runs the handlers under the race detector.
	var g errgroup.Group
	g.SetLimit(32)
	for i := 0; i < n; i++ {
		arn := "arn:aws:iam::111122223333:user/user" + pad4(i)
		want[arn] = true
		withView := i%7 == 0
		if withView {
			wantView = append(wantView, arn)
		}
		g.Go(func() error {
			if _, err := e.client.CreateAccessEntry(ctx(), &awseks.CreateAccessEntryInput{ClusterName: aws.String("demo"), PrincipalArn: aws.String(arn)}); err != nil {
				return err
			}
			if !withView {
				return nil
			}
			_, err := e.client.AssociateAccessPolicy(ctx(), &awseks.AssociateAccessPolicyInput{ClusterName: aws.String("demo"), PrincipalArn: aws.String(arn),
				PolicyArn: aws.String(view), AccessScope: &types.AccessScope{Type: types.AccessScopeTypeNamespace, Namespaces: []string{"team-a"}}})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	p := awseks.NewListAccessEntriesPaginator(e.client, &awseks.ListAccessEntriesInput{ClusterName: aws.String("demo"), MaxResults: aws.Int32(100)})
	seen := map[string]bool{}
	var sizes []int
	for _, out := range statetest.Pages(t, ctx(), p.HasMorePages, p.NextPage) {
		sizes = append(sizes, len(out.AccessEntries))
		for _, a := range out.AccessEntries {
			if seen[a] {
				t.Fatalf("%s listed twice", a)
			}
			seen[a] = true
		}
	}
	if !reflect.DeepEqual(sizes, []int{100, 100, 60}) {
		t.Fatalf("page sizes = %v", sizes)
	}
	if !reflect.DeepEqual(seen, want) {
		t.Fatalf("listed %d entries, want %d", len(seen), len(want))
	}

	var got []string
	fp := awseks.NewListAccessEntriesPaginator(e.client, &awseks.ListAccessEntriesInput{ClusterName: aws.String("demo"), AssociatedPolicyArn: aws.String(view), MaxResults: aws.Int32(10)})
	pages := statetest.Pages(t, ctx(), fp.HasMorePages, fp.NextPage)
	for _, out := range pages {
		got = append(got, out.AccessEntries...)
	}
	if !reflect.DeepEqual(got, wantView) || len(pages) != 4 {
		t.Fatalf("filtered = %d entries in %d pages, want %d in 4", len(got), len(pages), len(wantView))
	}
	none, err := e.client.ListAccessEntries(ctx(), &awseks.ListAccessEntriesInput{ClusterName: aws.String("demo"), AssociatedPolicyArn: aws.String(policyPrefix + "AmazonEKSEditPolicy")})
	if err != nil {
		t.Fatal(err)
	}
	if len(none.AccessEntries) != 0 || none.NextToken != nil {
		t.Fatalf("edit filter = %v", none.AccessEntries)
	}

	for _, bad := range []int32{0, 101, -1} {
		_, err := e.client.ListAccessEntries(ctx(), &awseks.ListAccessEntriesInput{ClusterName: aws.String("demo"), MaxResults: aws.Int32(bad)})
		wantAPIError[*types.InvalidParameterException](t, err, "at 'maxResults' failed to satisfy constraint: Member must have value")
	}
	_, err = e.client.ListAccessEntries(ctx(), &awseks.ListAccessEntriesInput{ClusterName: aws.String("demo"), NextToken: aws.String("!!not-a-token")})
	wantAPIError[*types.InvalidParameterException](t, err, "is not valid")
	_, err = e.client.ListAccessEntries(ctx(), &awseks.ListAccessEntriesInput{ClusterName: aws.String("nope")})
	wantAPIError[*types.ResourceNotFoundException](t, err, "No cluster found for name: nope.")
}

func pad4(i int) string { return fmt.Sprintf("%04d", i) }

func TestCrossAccountPrincipal(t *testing.T) {
	e := newEnv(t, envOpts{})
	other := "arn:aws:iam::444455556666:role/team/platform"
	out, err := e.client.CreateAccessEntry(ctx(), &awseks.CreateAccessEntryInput{ClusterName: aws.String("demo"), PrincipalArn: aws.String(other)})
	if err != nil {
		t.Fatal(err)
	}
	ae := out.AccessEntry
	if aws.ToString(ae.Username) != "arn:aws:sts::444455556666:assumed-role/platform/{{SessionName}}" ||
		!strings.Contains(aws.ToString(ae.AccessEntryArn), ":access-entry/demo/role/444455556666/platform/") {
		t.Fatalf("entry = %+v", ae)
	}
}

func TestUsernameSessionTemplate(t *testing.T) {
	e := newEnv(t, envOpts{})
	for _, tc := range []struct {
		username string
		ok       bool
	}{{"john{{SessionName}}", false}, {"{{SessionName}}", false}, {"john:{{SessionName}}", true}, {"a:{{SessionName}}:b{{SessionName}}", false}} {
		_, err := e.client.CreateAccessEntry(ctx(), &awseks.CreateAccessEntryInput{ClusterName: aws.String("demo"), PrincipalArn: aws.String(devRole), Username: aws.String(tc.username)})
		if (err == nil) != tc.ok {
			t.Errorf("username %q: err = %v, want ok=%v", tc.username, err, tc.ok)
		}
		if err == nil {
			if _, err := e.client.DeleteAccessEntry(ctx(), &awseks.DeleteAccessEntryInput{ClusterName: aws.String("demo"), PrincipalArn: aws.String(devRole)}); err != nil {
				t.Fatal(err)
			}
		}
	}
}
