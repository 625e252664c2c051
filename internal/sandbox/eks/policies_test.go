package eks

import (
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"

	"eksaccess/internal/sandbox/state"
	"eksaccess/internal/sandbox/state/statetest"
)

func associate(e *env, principal, policy string, scope types.AccessScope) (*awseks.AssociateAccessPolicyOutput, error) {
	return e.client.AssociateAccessPolicy(ctx(), &awseks.AssociateAccessPolicyInput{
		ClusterName: aws.String("demo"), PrincipalArn: aws.String(principal), PolicyArn: aws.String(policy), AccessScope: &scope,
	})
}

func TestAssociateAccessPolicy(t *testing.T) {
	e := newEnv(t, envOpts{})
	if _, err := e.client.CreateAccessEntry(ctx(), &awseks.CreateAccessEntryInput{ClusterName: aws.String("demo"), PrincipalArn: aws.String(ssoRole)}); err != nil {
		t.Fatal(err)
	}
	edit, view := policyPrefix+"AmazonEKSEditPolicy", policyPrefix+"AmazonEKSViewPolicy"
	out, err := associate(e, ssoRole, edit, types.AccessScope{Type: types.AccessScopeTypeNamespace, Namespaces: []string{"team-a", "dev-*"}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.ClusterName) != "demo" || aws.ToString(out.PrincipalArn) != ssoRole {
		t.Fatalf("associate = %+v", out)
	}
	ap := out.AssociatedAccessPolicy
	if aws.ToString(ap.PolicyArn) != edit || ap.AccessScope.Type != types.AccessScopeTypeNamespace || !reflect.DeepEqual(ap.AccessScope.Namespaces, []string{"team-a", "dev-*"}) {
		t.Fatalf("associated = %+v scope %+v", ap, ap.AccessScope)
	}
	sameTime(t, "associatedAt", ap.AssociatedAt, t0)
	sameTime(t, "modifiedAt", ap.ModifiedAt, t0)

	// Re-associating the same policy changes its scope in place.
	e.clock.Advance(time.Hour)
	out, err = associate(e, ssoRole, edit, types.AccessScope{Type: types.AccessScopeTypeCluster})
	if err != nil {
		t.Fatal(err)
	}
	ap = out.AssociatedAccessPolicy
	if ap.AccessScope.Type != types.AccessScopeTypeCluster || len(ap.AccessScope.Namespaces) != 0 {
		t.Fatalf("re-associated scope = %+v", ap.AccessScope)
	}
	sameTime(t, "associatedAt after re-associate", ap.AssociatedAt, t0)
	sameTime(t, "modifiedAt after re-associate", ap.ModifiedAt, t0.Add(time.Hour))

	if _, err := associate(e, ssoRole, view, types.AccessScope{Type: types.AccessScopeTypeNamespace, Namespaces: []string{"ml"}}); err != nil {
		t.Fatal(err)
	}
	l, err := e.client.ListAssociatedAccessPolicies(ctx(), &awseks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String("demo"), PrincipalArn: aws.String(ssoRole)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(l.ClusterName) != "demo" || aws.ToString(l.PrincipalArn) != ssoRole || len(l.AssociatedAccessPolicies) != 2 || l.NextToken != nil {
		t.Fatalf("list = %+v", l)
	}
	if aws.ToString(l.AssociatedAccessPolicies[0].PolicyArn) != edit || aws.ToString(l.AssociatedAccessPolicies[1].PolicyArn) != view ||
		!reflect.DeepEqual(l.AssociatedAccessPolicies[1].AccessScope.Namespaces, []string{"ml"}) {
		t.Fatalf("list items = %+v", l.AssociatedAccessPolicies)
	}
	p1, err := e.client.ListAssociatedAccessPolicies(ctx(), &awseks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String("demo"), PrincipalArn: aws.String(ssoRole), MaxResults: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := e.client.ListAssociatedAccessPolicies(ctx(), &awseks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String("demo"), PrincipalArn: aws.String(ssoRole), MaxResults: aws.Int32(1), NextToken: p1.NextToken})
	if err != nil {
		t.Fatal(err)
	}
	if len(p1.AssociatedAccessPolicies) != 1 || p1.NextToken == nil || len(p2.AssociatedAccessPolicies) != 1 || p2.NextToken != nil ||
		aws.ToString(p2.AssociatedAccessPolicies[0].PolicyArn) != view {
		t.Fatalf("paged list = %+v / %+v", p1, p2)
	}

	if _, err := e.client.DisassociateAccessPolicy(ctx(), &awseks.DisassociateAccessPolicyInput{ClusterName: aws.String("demo"), PrincipalArn: aws.String(ssoRole), PolicyArn: aws.String(edit)}); err != nil {
		t.Fatal(err)
	}
	if got := e.lastOp(); got.Operation != "DisassociateAccessPolicy" || !got.Mutating {
		t.Fatalf("op info = %+v", got)
	}
	_, err = e.client.DisassociateAccessPolicy(ctx(), &awseks.DisassociateAccessPolicyInput{ClusterName: aws.String("demo"), PrincipalArn: aws.String(ssoRole), PolicyArn: aws.String(edit)})
	wantAPIError[*types.ResourceNotFoundException](t, err, "is not associated with the access entry")
	l, err = e.client.ListAssociatedAccessPolicies(ctx(), &awseks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String("demo"), PrincipalArn: aws.String(ssoRole)})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.AssociatedAccessPolicies) != 1 || aws.ToString(l.AssociatedAccessPolicies[0].PolicyArn) != view {
		t.Fatalf("after disassociate = %+v", l.AssociatedAccessPolicies)
	}
}

func TestAssociateAccessPolicyRules(t *testing.T) {
	e := newEnv(t, envOpts{})
	for _, in := range []*awseks.CreateAccessEntryInput{
		{ClusterName: aws.String("demo"), PrincipalArn: aws.String(aliceArn)},
		{ClusterName: aws.String("demo"), PrincipalArn: aws.String(nodeRole), Type: aws.String("EC2_LINUX")},
	} {
		if _, err := e.client.CreateAccessEntry(ctx(), in); err != nil {
			t.Fatal(err)
		}
	}
	view := policyPrefix + "AmazonEKSViewPolicy"
	ns := func(n ...string) types.AccessScope {
		return types.AccessScope{Type: types.AccessScopeTypeNamespace, Namespaces: n}
	}
	long := "a"
	for len(long) < 64 {
		long += "a"
	}
	tests := []struct {
		name      string
		principal string
		policy    string
		scope     types.AccessScope
		notFound  bool
		msg       string
	}{
		{"unknown entry", bobArn, view, types.AccessScope{Type: types.AccessScopeTypeCluster}, true, "The specified principalArn could not be found"},
		{"unknown policy", aliceArn, policyPrefix + "AmazonEKSGodPolicy", types.AccessScope{Type: types.AccessScopeTypeCluster}, true, "could not be found"},
		{"iam policy arn", aliceArn, "arn:aws:iam::aws:policy/AdministratorAccess", types.AccessScope{Type: types.AccessScopeTypeCluster}, true, "could not be found"},
		{"other partition policy", aliceArn, "arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", types.AccessScope{Type: types.AccessScopeTypeCluster}, true, "could not be found"},
		{"node entry", nodeRole, view, types.AccessScope{Type: types.AccessScopeTypeCluster}, false, `This operation can only be performed on Access Entries with a type of "STANDARD".`},
		{"cluster scope with namespaces", aliceArn, view, types.AccessScope{Type: types.AccessScopeTypeCluster, Namespaces: []string{"a"}}, false, "namespaces can't be specified"},
		{"namespace scope without namespaces", aliceArn, view, ns(), false, "At least one namespace is required"},
		{"bad scope type", aliceArn, view, types.AccessScope{Type: "Cluster"}, false, `The access scope type "Cluster" is invalid`},
		{"empty scope type", aliceArn, view, types.AccessScope{}, false, `The access scope type "" is invalid`},
		{"upper-case namespace", aliceArn, view, ns("Team"), false, `The namespace "Team" is invalid`},
		{"namespace too long", aliceArn, view, ns(long), false, "is invalid"},
		{"wildcard in the middle", aliceArn, view, ns("dev-*-x"), false, "is invalid"},
		{"bare wildcard", aliceArn, view, ns("*"), false, "is invalid"},
		{"trailing hyphen", aliceArn, view, ns("dev-"), false, "is invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := associate(e, tt.principal, tt.policy, tt.scope)
			if tt.notFound {
				wantAPIError[*types.ResourceNotFoundException](t, err, tt.msg)
			} else {
				wantAPIError[*types.InvalidParameterException](t, err, tt.msg)
			}
		})
	}
	_, err := e.client.ListAssociatedAccessPolicies(ctx(), &awseks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String("demo"), PrincipalArn: aws.String(nodeRole)})
	// ListAssociatedAccessPolicies declares InvalidRequestException, not InvalidParameterException.
	wantAPIError[*types.InvalidRequestException](t, err, `type of "STANDARD"`)

	for _, good := range [][]string{{"default"}, {"dev-*"}, {"a"}, {long[:63]}, {"team-1", "team-2*"}} {
		if _, err := associate(e, aliceArn, view, ns(good...)); err != nil {
			t.Fatalf("namespaces %q: %v", good, err)
		}
	}
	e.st.Read(func(d *state.Data) error {
		p := d.Clusters["demo"].Entries[aliceArn].Policies[view]
		if p == nil || len(d.Clusters["demo"].Entries[aliceArn].Policies) != 1 || !reflect.DeepEqual(p.Namespaces, []string{"team-1", "team-2*"}) {
			t.Errorf("stored policies = %+v", d.Clusters["demo"].Entries[aliceArn].Policies)
		}
		return nil
	})
}

func TestConsistencyDelay(t *testing.T) {
	e := newEnv(t, envOpts{delay: 10 * time.Second})
	// fresh-role was created one second before t0: refused until the delay has passed.
	_, err := e.client.CreateAccessEntry(ctx(), &awseks.CreateAccessEntryInput{ClusterName: aws.String("demo"), PrincipalArn: aws.String(freshRole)})
	wantAPIError[*types.InvalidParameterException](t, err, "The specified principalArn is invalid: invalid principal.")
	e.clock.Advance(9 * time.Second)
	if _, err := e.client.CreateAccessEntry(ctx(), &awseks.CreateAccessEntryInput{ClusterName: aws.String("demo"), PrincipalArn: aws.String(freshRole)}); err != nil {
		t.Fatalf("after the delay: %v", err)
	}
	// The first association right after the create is refused once, then works.
	admin := policyPrefix + "AmazonEKSClusterAdminPolicy"
	_, err = associate(e, freshRole, admin, types.AccessScope{Type: types.AccessScopeTypeCluster})
	wantAPIError[*types.ResourceNotFoundException](t, err, "The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'.")
	if _, err := associate(e, freshRole, admin, types.AccessScope{Type: types.AccessScopeTypeCluster}); err != nil {
		t.Fatalf("retry: %v", err)
	}
	// The refusal was recorded durably, on disk.
	disk, err := state.Load(e.st.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if fe := disk.Clusters["demo"].Entries[freshRole]; !fe.PropagationShown || len(fe.Policies) != 1 {
		t.Errorf("on disk: %+v", fe)
	}
	// An entry created long enough ago is not refused at all.
	if _, err := e.client.CreateAccessEntry(ctx(), &awseks.CreateAccessEntryInput{ClusterName: aws.String("demo"), PrincipalArn: aws.String(aliceArn)}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(10 * time.Second)
	if _, err := associate(e, aliceArn, admin, types.AccessScope{Type: types.AccessScopeTypeCluster}); err != nil {
		t.Fatalf("old entry: %v", err)
	}
}

func TestListAccessPolicies(t *testing.T) {
	e := newEnv(t, envOpts{})
	var got []types.AccessPolicy
	p := awseks.NewListAccessPoliciesPaginator(e.client, &awseks.ListAccessPoliciesInput{MaxResults: aws.Int32(10)})
	pages := statetest.Pages(t, ctx(), p.HasMorePages, p.NextPage)
	for _, out := range pages {
		got = append(got, out.AccessPolicies...)
	}
	if len(pages) != 3 || len(got) != 28 {
		t.Fatalf("%d policies in %d pages, want 28 in 3", len(got), len(pages))
	}
	names := map[string]bool{}
	for _, p := range got {
		if aws.ToString(p.Arn) != policyPrefix+aws.ToString(p.Name) {
			t.Fatalf("policy %s has arn %s", aws.ToString(p.Name), aws.ToString(p.Arn))
		}
		names[aws.ToString(p.Name)] = true
	}
	for _, n := range []string{
		// awscli's list-access-policies example
		"AmazonEKSAdminPolicy", "AmazonEKSAdminViewPolicy", "AmazonEKSAutoNodePolicy", "AmazonEKSBlockStorageClusterPolicy",
		"AmazonEKSBlockStoragePolicy", "AmazonEKSClusterAdminPolicy", "AmazonEKSComputeClusterPolicy", "AmazonEKSComputePolicy",
		"AmazonEKSEditPolicy", "AmazonEKSHybridPolicy", "AmazonEKSLoadBalancingClusterPolicy", "AmazonEKSLoadBalancingPolicy",
		"AmazonEKSNetworkingClusterPolicy", "AmazonEKSNetworkingPolicy", "AmazonEKSViewPolicy", "AmazonEMRJobPolicy",
		"AmazonSagemakerHyperpodClusterPolicy", "AmazonSagemakerHyperpodControllerPolicy", "AmazonSagemakerHyperpodSystemNamespacePolicy",
		// documented since
		"AmazonEKSSecretReaderPolicy", "AmazonEKSClusterInsightsPolicy", "AmazonAIOpsAssistantPolicy", "AmazonARCRegionSwitchScalingPolicy",
		"AmazonSagemakerHyperpodTrainingPolicy", "AmazonSagemakerHyperpodInferencePolicy", "AmazonSagemakerHyperpodSpacePolicy",
		"AmazonSagemakerHyperpodSpaceTemplatePolicy", "AmazonSagemakerHyperpodUserClusterPolicy",
	} {
		if !names[n] {
			t.Errorf("missing %s", n)
		}
	}
	all, err := e.client.ListAccessPolicies(ctx(), &awseks.ListAccessPoliciesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.AccessPolicies) != 28 || all.NextToken != nil {
		t.Fatalf("default page = %d policies, next %v", len(all.AccessPolicies), all.NextToken)
	}
	if got := e.lastOp(); got.Operation != "ListAccessPolicies" || got.Mutating {
		t.Fatalf("op info = %+v", got)
	}
}
