package usecase

import (
	"encoding/json"
	"testing"
)

// The requests that share parts (AccessTarget, ClusterSet, TokenRequest, TeamMembers) marshal as
// flat objects, each key in its place. The requests are filled field by field, so the test
// reads the same whichever struct a field is declared in.
func TestRequestsMarshalFlat(t *testing.T) {
	t.Parallel()
	var g GrantRequest
	g.Cluster, g.Principals = ClusterRef{Name: "c"}, Principals{Args: []string{"alice"}, IAMGroups: []string{"devs"}}
	g.Policies, g.Namespaces, g.Groups = []string{"AmazonEKSEditPolicy"}, []string{"team-a"}, []string{"viewers"}
	u := "alice"
	g.Username, g.Type, g.Expires, g.DryRun, g.Concurrency = &u, "STANDARD", "30d", true, 4
	var r RevokeRequest
	r.Cluster, r.Principals = ClusterRef{HyperPod: "hp"}, Principals{UsersFiles: []string{"u.txt"}}
	r.Policies, r.Namespaces, r.Force, r.DryRun, r.Concurrency = []string{"P"}, []string{"b"}, []string{"arn:x"}, true, 16
	var a AuditRequest
	a.File, a.Clusters, a.All, a.Regions = "access.yaml", []string{"c"}, true, []string{"us-west-2"}
	a.Accounts, a.NoDefaultAccount, a.Concurrency, a.AllowOutsidePaths = []Reach{{Profile: "dev"}}, true, 4, true
	var d DoctorRequest
	d.File, d.Clusters, d.Fix, d.Force, d.Concurrency, d.AllowOutsidePaths = "access.yaml", []string{"c"}, true, []string{"arn:x"}, 4, true
	var k KubeconfigRequest
	k.Cluster, k.As, k.Alias, k.Path = ClusterRef{Name: "demo"}, AsRole{Role: "ops", SessionName: "me"}, "team-a", "/tmp/config"
	k.Plugin = Plugin{Command: "eksaccess", Args: []string{"--sandbox"}}
	var ta TeamAddRequest
	ta.Cluster, ta.Team, ta.Principals = ClusterRef{Name: "ml"}, "team-a", Principals{Args: []string{"alice"}}
	ta.Variant, ta.Namespace, ta.DryRun = "kueue", "ns-a", true
	var tr TeamRemoveRequest
	tr.Cluster, tr.Team, tr.Principals, tr.DryRun, tr.Force = ClusterRef{HyperPod: "hp"}, "nlp", Principals{Args: []string{"bob"}}, true, []string{"bob"}
	for _, tc := range []struct {
		req  any
		want string
	}{
		{g, `{"cluster":{"name":"c"},"principals":{"args":["alice"],"iamGroups":["devs"]},"policies":["AmazonEKSEditPolicy"],"namespaces":["team-a"],` +
			`"groups":["viewers"],"username":"alice","type":"STANDARD","expires":"30d","dryRun":true,"concurrency":4}`},
		{r, `{"cluster":{"hyperpod":"hp"},"principals":{"usersFiles":["u.txt"]},"policies":["P"],"namespaces":["b"],"force":["arn:x"],"dryRun":true,"concurrency":16}`},
		{a, `{"file":"access.yaml","clusters":["c"],"all":true,"regions":["us-west-2"],"accounts":[{"profile":"dev"}],"noDefaultAccount":true,"concurrency":4,"allowOutsidePaths":true}`},
		{d, `{"file":"access.yaml","clusters":["c"],"fix":true,"force":["arn:x"],"concurrency":4,"allowOutsidePaths":true}`},
		{k, `{"cluster":{"name":"demo"},"as":{"role":"ops","sessionName":"me"},"alias":"team-a","path":"/tmp/config","plugin":{"command":"eksaccess","args":["--sandbox"]}}`},
		{ta, `{"cluster":{"name":"ml"},"team":"team-a","principals":{"args":["alice"]},"rbac":"kueue","namespace":"ns-a","dryRun":true}`},
		{tr, `{"cluster":{"hyperpod":"hp"},"team":"nlp","principals":{"args":["bob"]},"dryRun":true,"force":["bob"]}`},
	} {
		b, err := json.Marshal(tc.req)
		if err != nil || string(b) != tc.want {
			t.Errorf("%T:\n got %s (%v)\nwant %s", tc.req, b, err, tc.want)
		}
	}
}
