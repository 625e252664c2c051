package usecase

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"eksaccess/internal/accessfile"
	"eksaccess/internal/awsapi"
	"eksaccess/internal/plan"
	"eksaccess/internal/rbac"
)

// memKube is a cluster's Kubernetes API in memory: namespaces and RBAC objects by name, what
// else a namespace holds, and every write, in order.
type memKube struct {
	mu     sync.Mutex
	ns     map[string]*corev1.Namespace
	objs   map[string]any // KIND/[NAMESPACE/]NAME → object
	held   map[string][]string
	writes []string
	reads  int
}

func newMemKube() *memKube {
	return &memKube{ns: map[string]*corev1.Namespace{}, objs: map[string]any{}, held: map[string][]string{}}
}

func (k *memKube) GetNamespace(_ context.Context, name string) (*corev1.Namespace, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.reads++
	return k.ns[name], nil
}

func (k *memKube) ApplyNamespace(_ context.Context, name string, l map[string]string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.writes = append(k.writes, "apply Namespace/"+name)
	k.ns[name] = &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l}}
	return nil
}

func (k *memKube) DeleteNamespace(_ context.Context, name string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.writes = append(k.writes, "delete Namespace/"+name)
	delete(k.ns, name)
	return nil
}

func (k *memKube) NamespaceObjects(_ context.Context, ns string) ([]string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := slices.Clone(k.held[ns])
	for key := range k.objs {
		if kind, rest, _ := strings.Cut(key, "/"); kind == "Role" || kind == "RoleBinding" {
			if n, name, _ := strings.Cut(rest, "/"); n == ns {
				out = append(out, kind+"/"+name)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

func keyOf(obj any) string {
	switch o := obj.(type) {
	case *rbacv1.ClusterRole:
		return "ClusterRole/" + o.Name
	case *rbacv1.ClusterRoleBinding:
		return "ClusterRoleBinding/" + o.Name
	case *rbacv1.Role:
		return "Role/" + o.Namespace + "/" + o.Name
	case *rbacv1.RoleBinding:
		return "RoleBinding/" + o.Namespace + "/" + o.Name
	}
	panic("unknown object")
}

func get[T any](k *memKube, key string) (*T, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.reads++
	o, ok := k.objs[key].(*T)
	if !ok {
		return nil, nil
	}
	cp := *o
	return &cp, nil
}

func (k *memKube) GetClusterRole(_ context.Context, n string) (*rbacv1.ClusterRole, error) {
	return get[rbacv1.ClusterRole](k, "ClusterRole/"+n)
}
func (k *memKube) GetClusterRoleBinding(_ context.Context, n string) (*rbacv1.ClusterRoleBinding, error) {
	return get[rbacv1.ClusterRoleBinding](k, "ClusterRoleBinding/"+n)
}
func (k *memKube) GetRole(_ context.Context, ns, n string) (*rbacv1.Role, error) {
	return get[rbacv1.Role](k, "Role/"+ns+"/"+n)
}
func (k *memKube) GetRoleBinding(_ context.Context, ns, n string) (*rbacv1.RoleBinding, error) {
	return get[rbacv1.RoleBinding](k, "RoleBinding/"+ns+"/"+n)
}

// put stores an object as the API server would after an apply (a deep copy).
func (k *memKube) put(obj any) {
	var cp any
	switch o := obj.(type) {
	case *rbacv1.ClusterRole:
		cp = o.DeepCopy()
	case *rbacv1.ClusterRoleBinding:
		cp = o.DeepCopy()
	case *rbacv1.Role:
		cp = o.DeepCopy()
	case *rbacv1.RoleBinding:
		cp = o.DeepCopy()
	}
	k.objs[keyOf(obj)] = cp
}

func (k *memKube) Apply(_ context.Context, obj any) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.writes = append(k.writes, "apply "+keyOf(obj))
	k.put(obj)
	return nil
}

func (k *memKube) Delete(_ context.Context, kind, ns, name string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	key := kind + "/" + name
	if ns != "" {
		key = kind + "/" + ns + "/" + name
	}
	k.writes = append(k.writes, "delete "+key)
	delete(k.objs, key)
	return nil
}

func (k *memKube) RBAC(_ context.Context, selector string) (*RBACObjects, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.reads++
	sel, err := labels.Parse(selector)
	if err != nil {
		return nil, err
	}
	out := &RBACObjects{}
	for _, o := range k.objs {
		if m, ok := o.(metav1.Object); !ok || !sel.Matches(labels.Set(m.GetLabels())) {
			continue
		}
		switch o := o.(type) {
		case *rbacv1.ClusterRole:
			out.ClusterRoles = append(out.ClusterRoles, *o)
		case *rbacv1.ClusterRoleBinding:
			out.ClusterRoleBindings = append(out.ClusterRoleBindings, *o)
		case *rbacv1.Role:
			out.Roles = append(out.Roles, *o)
		case *rbacv1.RoleBinding:
			out.RoleBindings = append(out.RoleBindings, *o)
		}
	}
	return out, nil
}

func (k *memKube) writesSince(n int) []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.writes[n:])
}

func (k *memKube) objectNames() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []string
	for key := range k.objs {
		out = append(out, key)
	}
	for n := range k.ns {
		out = append(out, "Namespace/"+n)
	}
	slices.Sort(out)
	return out
}

// teamWorld is a world whose cluster c has a Kubernetes API (kube); connects counts how often
// a job connected to it.
type teamWorld struct {
	*world
	kube     *memKube
	connects int
	dir      string
}

const adminArn = iamPrefix + "user/admin"

func newTeamWorld(t *testing.T) *teamWorld {
	w := &teamWorld{world: newWorld(t, adminArn, []string{"admin", "alice", "bob", "carol", "dave"}, nil), kube: newMemKube(), dir: t.TempDir()}
	w.iam.groups["devs"] = []string{"bob"}
	c := w.eks.addCluster("c", "API")
	c.endpoint = "https://c.example"
	c.add(adminArn, "STANDARD", clusterCreated, nil, "AmazonEKSClusterAdminPolicy") // not managed: no file lists it
	clients := &awsapi.Clients{EKS: w.eks, IAM: w.iam, Config: aws.Config{Region: "us-west-2", Credentials: credentials.NewStaticCredentialsProvider("AKIDADMIN", "secret", "")}}
	w.env.AWS = func(context.Context, string) (*awsapi.Clients, error) { return clients, nil }
	w.env.CacheDir = t.TempDir()
	w.env.ClusterKube = func(server, token string, ca []byte) (ClusterKube, error) {
		if server != "https://c.example" || !strings.HasPrefix(token, "k8s-aws-v1.") || string(ca) != "ca" {
			return nil, errors.New("connected with the wrong endpoint, token or CA")
		}
		w.connects++
		return w.kube, nil
	}
	return w
}

const fileHead = "apiVersion: eksaccess/v1\nkind: AccessConfig\nclusters:\n  - name: c\n    region: us-west-2\n"

func (w *teamWorld) file(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(w.dir, "access.yaml")
	if err := os.WriteFile(p, []byte(fileHead+body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func (w *teamWorld) plan(t *testing.T, file string, prune bool) *FilePlan {
	t.Helper()
	fp, err := w.env.PlanFile(context.Background(), FileRequest{File: file, Prune: prune, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	return fp
}

func (w *teamWorld) apply(t *testing.T, fp *FilePlan) *ApplyResult {
	t.Helper()
	res, err := w.env.ApplyFile(context.Background(), fp)
	if err != nil {
		t.Fatal(err)
	}
	if res.Remaining != 0 {
		var b bytes.Buffer
		plan.WriteClusterPlans(&b, res.After.Clusters, true)
		t.Fatalf("%d changes remain after apply:\n%s", res.Remaining, b.String())
	}
	return res
}

func render(fp *FilePlan) string {
	var b bytes.Buffer
	plan.WriteClusterPlans(&b, fp.Clusters, false)
	return b.String()
}

func mustContain(t *testing.T, what, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, out)
		}
	}
}

const twoTeams = `    access:
      - principal: alice
        policies: [{policy: AmazonEKSViewPolicy}]
        kubernetesGroups: [ops]
    teams:
      - name: ml
        members:
          - principal: alice
          - iamGroup: devs
      - name: nlp
        rbac: hyperpod-cli
        members:
          - principal: carol
`

const (
	mlGroups  = "hyperpod-scientist-user-cluster-level,hyperpod-scientist-user-namespace-level-hyperpod-ns-ml"
	nlpGroup  = "hyperpod-ns-nlp-namespace-level-group"
	aliceArn  = iamPrefix + "user/alice"
	bobArn    = iamPrefix + "user/bob"
	carolArn  = iamPrefix + "user/carol"
	daveArn   = iamPrefix + "user/dave"
	guideRole = "Role/hyperpod-ns-ml/hyperpod-scientist-user-namespace-level-role"
)

func (w *teamWorld) groupsOf(arn string) string {
	e := w.eks.clusters["c"].entries[arn]
	if e == nil {
		return "<no entry>"
	}
	g := slices.Clone(e.groups)
	slices.Sort(g)
	return strings.Join(g, ",")
}

// TestFileTeamsPlanApplyReapply: a file with two teams plans their objects and the members'
// groups (alice's item and her team add up), applies them as team add would, and a second
// plan and apply change nothing — no AWS mutation, no Kubernetes write.
func TestFileTeamsPlanApplyReapply(t *testing.T) {
	t.Parallel()
	w := newTeamWorld(t)
	file := w.file(t, twoTeams)
	fp := w.plan(t, file, false)
	out := render(fp)
	mustContain(t, "plan", out,
		"  + team ml (sagemaker-guide, hyperpod-ns-ml): namespace, Role, RoleBinding, ClusterRole, ClusterRoleBinding\n",
		"  + team nlp (hyperpod-cli, hyperpod-ns-nlp): namespace, Role, RoleBinding, ClusterRole, ClusterRoleBinding\n",
		"+ create "+aliceArn+" (type=STANDARD groups=["+mlGroups+",ops])",
		"+ create "+bobArn+" (type=STANDARD groups=["+mlGroups+"])",
		"+ create "+carolArn+" (type=STANDARD groups=["+nlpGroup+"])",
		"10 Kubernetes write(s), 3 create, 1 associate; 0 listed entries and 0 team(s) up to date",
		"Plan: 14 change(s) on 1 of 1 cluster(s): 10 Kubernetes write(s), 3 create, 1 associate.")
	if len(w.kube.writes) != 0 || len(w.eks.mutations()) != 0 {
		t.Fatalf("plan wrote: %v %v", w.kube.writes, w.eks.mutations())
	}
	// JSON carries the teams too.
	j, _ := json.Marshal(fp)
	mustContain(t, "plan JSON", string(j), `"teams":[{"team":"ml","namespace":"hyperpod-ns-ml","rbac":"sagemaker-guide","action":"create","objects":[{"object":"Namespace/hyperpod-ns-ml","action":"create"}`,
		`"members":["`+aliceArn+`","`+bobArn+`"]`, `"kubernetesWrites":10`)

	res := w.apply(t, fp)
	if res.KubeWrites != 10 {
		t.Errorf("apply made %d Kubernetes writes, want 10", res.KubeWrites)
	}
	// Namespace first, then the objects; the same objects team add makes.
	if got := w.kube.writes[:5]; !slices.Equal(got, []string{"apply Namespace/hyperpod-ns-ml", "apply ClusterRole/hyperpod-scientist-user-cluster-role",
		"apply ClusterRoleBinding/hyperpod-scientist-user-cluster-role-binding", "apply " + guideRole, "apply RoleBinding/hyperpod-ns-ml/hyperpod-scientist-user-namespace-level-role-binding"}) {
		t.Errorf("writes = %v", got)
	}
	ml, _ := rbac.Build("ml", "", "")
	if r, _ := w.kube.GetRole(context.Background(), "hyperpod-ns-ml", ml.Role.Name); r == nil || r.Labels[rbac.LabelTeam] != "ml" || r.Labels[rbac.LabelManagedBy] != rbac.ManagedBy {
		t.Errorf("role = %+v", r)
	}
	if w.groupsOf(aliceArn) != mlGroups+",ops" || w.groupsOf(bobArn) != mlGroups || w.groupsOf(carolArn) != nlpGroup {
		t.Errorf("groups: alice %s, bob %s, carol %s", w.groupsOf(aliceArn), w.groupsOf(bobArn), w.groupsOf(carolArn))
	}

	// Again: nothing to do, and nothing written.
	kw, aw := len(w.kube.writes), len(w.eks.mutations())
	fp = w.plan(t, file, false)
	if fp.Totals.Changes != 0 {
		t.Fatalf("second plan has %d changes:\n%s", fp.Totals.Changes, render(fp))
	}
	mustContain(t, "second plan", render(fp), "no changes (3 listed entries and 2 team(s) up to date)", "No changes: 1 cluster(s) match the file.")
	w.apply(t, fp)
	if got := w.kube.writesSince(kw); len(got) != 0 {
		t.Errorf("second apply wrote to Kubernetes: %v", got)
	}
	if got := w.eks.mutations()[aw:]; len(got) != 0 {
		t.Errorf("second apply made AWS mutations: %v", got)
	}

	// Drift by hand is restored.
	w.kube.mu.Lock()
	delete(w.kube.objs, "RoleBinding/hyperpod-ns-nlp/hyperpod-ns-nlp-namespace-role-binding")
	w.kube.objs[guideRole].(*rbacv1.Role).Rules = nil
	w.kube.mu.Unlock()
	fp = w.plan(t, file, false)
	mustContain(t, "drift plan", render(fp), "  ~ team ml (sagemaker-guide, hyperpod-ns-ml): update Role (changed by hand: restored)\n",
		"  ~ team nlp (hyperpod-cli, hyperpod-ns-nlp): create RoleBinding\n", "2 Kubernetes write(s); 3 listed entries and 0 team(s) up to date")
	w.apply(t, fp)
}

// TestFileTeamsPrune: with --prune a team the file no longer lists is removed as team remove
// removes it; without, it is kept and the plan says so. A team eksaccess did not label is
// never touched.
func TestFileTeamsPrune(t *testing.T) {
	t.Parallel()
	w := newTeamWorld(t)
	w.apply(t, w.plan(t, w.file(t, twoTeams), false))
	// dave joined nlp by hand (his entry is not eksaccess's); a RoleBinding someone made in
	// nlp's namespace keeps it; a team-like Role without eksaccess's label stays.
	w.eks.clusters["c"].add(daveArn, "STANDARD", clusterCreated, nil).groups = []string{nlpGroup, "readers"}
	w.kube.held["hyperpod-ns-nlp"] = []string{"ConfigMap/kube-root-ca.crt", "ServiceAccount/default"}
	foreign := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "by-hand", Namespace: "hyperpod-ns-cv", Labels: map[string]string{rbac.LabelTeam: "cv"}}}
	w.kube.put(foreign)

	file := w.file(t, strings.Replace(twoTeams, "      - name: nlp\n        rbac: hyperpod-cli\n        members:\n          - principal: carol\n", "", 1))
	fp := w.plan(t, file, false)
	mustContain(t, "plan without prune", render(fp), "note: team nlp (hyperpod-cli, hyperpod-ns-nlp) is managed by eksaccess but no longer in the file: kept (apply --prune, or prune: true, removes it)")
	if fp.Totals.Changes != 0 {
		t.Fatalf("without prune: %s", render(fp))
	}

	fp = w.plan(t, file, true)
	out := render(fp)
	mustContain(t, "prune plan", out,
		"  - team nlp (hyperpod-cli, hyperpod-ns-nlp): RoleBinding, Role, ClusterRoleBinding, ClusterRole, namespace\n",
		"~ update "+daveArn+" groups=["+nlpGroup+",readers] -> groups=[readers]",
		"# prune: left team nlp",
		"- delete "+carolArn)
	if strings.Contains(out, "team ml") || strings.Contains(out, "cv") {
		t.Errorf("prune touches what it must not:\n%s", out)
	}
	w.apply(t, fp)
	if got := w.kube.objectNames(); !slices.Equal(got, []string{
		"ClusterRole/hyperpod-scientist-user-cluster-role", "ClusterRoleBinding/hyperpod-scientist-user-cluster-role-binding", "Namespace/hyperpod-ns-ml",
		"Role/hyperpod-ns-cv/by-hand", guideRole, "RoleBinding/hyperpod-ns-ml/hyperpod-scientist-user-namespace-level-role-binding",
	}) {
		t.Errorf("objects after prune: %v", got)
	}
	if w.groupsOf(daveArn) != "readers" || w.groupsOf(carolArn) != "<no entry>" || w.groupsOf(aliceArn) != mlGroups+",ops" || w.groupsOf(adminArn) != "" {
		t.Errorf("after prune: dave %s, carol %s, alice %s", w.groupsOf(daveArn), w.groupsOf(carolArn), w.groupsOf(aliceArn))
	}
	if _, ok := w.eks.clusters["c"].entries[adminArn]; !ok {
		t.Error("prune deleted the admin's entry")
	}
}

// TestFileTeamsPruneKeepsSharedObjects: pruning the last guide team the cluster has while the
// file adds another keeps the guide's shared ClusterRole and binding; a namespace that holds
// more than eksaccess made is kept.
func TestFileTeamsPruneKeepsSharedObjects(t *testing.T) {
	t.Parallel()
	w := newTeamWorld(t)
	w.apply(t, w.plan(t, w.file(t, "    teams:\n      - name: ml\n        members: [{principal: bob}]\n"), false))
	w.kube.held["hyperpod-ns-ml"] = []string{"Pod/train-0"}
	fp := w.plan(t, w.file(t, "    teams:\n      - name: cv\n        members: [{principal: bob}]\n"), true)
	mustContain(t, "plan", render(fp),
		"  + team cv (sagemaker-guide, hyperpod-ns-cv): namespace, Role, RoleBinding\n",
		"  - team ml (sagemaker-guide, hyperpod-ns-ml): RoleBinding, Role\n",
		"      # keeps ClusterRoleBinding/hyperpod-scientist-user-cluster-role-binding: shared with the other sagemaker-guide teams\n",
		"      # keeps Namespace/hyperpod-ns-ml: holds Pod/train-0\n",
		"~ update "+bobArn+" groups=[hyperpod-scientist-user-cluster-level,hyperpod-scientist-user-namespace-level-hyperpod-ns-ml] -> groups=[hyperpod-scientist-user-cluster-level,hyperpod-scientist-user-namespace-level-hyperpod-ns-cv]")
	w.apply(t, fp)
	if got := w.kube.objectNames(); !slices.Contains(got, "ClusterRole/hyperpod-scientist-user-cluster-role") || !slices.Contains(got, "Namespace/hyperpod-ns-ml") || slices.Contains(got, guideRole) {
		t.Errorf("objects: %v", got)
	}
}

// TestFileWithoutTeamsReadsNoKubernetes: a file without teams, not pruned, costs no
// Kubernetes connection; pruned, it reads the teams (and says when it cannot).
func TestFileWithoutTeamsReadsNoKubernetes(t *testing.T) {
	t.Parallel()
	w := newTeamWorld(t)
	file := w.file(t, "    access:\n      - principal: alice\n        policies: [{policy: AmazonEKSViewPolicy}]\n")
	w.apply(t, w.plan(t, file, false))
	if w.connects != 0 || w.kube.reads != 0 {
		t.Fatalf("a file without teams connected %d times, read %d", w.connects, w.kube.reads)
	}
	w.plan(t, file, true)
	if w.connects != 1 {
		t.Errorf("prune connected %d times, want 1", w.connects)
	}
	w.env.ClusterKube = nil
	mustContain(t, "prune plan, no Kubernetes", render(w.plan(t, file, true)), "note: teams not checked for pruning: no Kubernetes client configured")
}

// TestFileTeamsRefusals: what eksaccess would take over or break is bad input, and nothing is
// written.
func TestFileTeamsRefusals(t *testing.T) {
	t.Parallel()
	w := newTeamWorld(t)
	w.apply(t, w.plan(t, w.file(t, "    teams:\n      - name: ml\n"), false))
	w.kube.put(&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "hyperpod-ns-nlp-cluster-role"}})
	kw, aw := len(w.kube.writes), len(w.eks.mutations())
	for _, tc := range []struct{ body, want string }{
		{"    teams:\n      - name: nlp\n        rbac: hyperpod-cli\n        members: [{principal: bob}]\n",
			"access.yaml:7: team nlp: nothing was changed: ClusterRole/hyperpod-ns-nlp-cluster-role on cluster c already exist and were not created by eksaccess"},
		{"    teams:\n      - name: ml\n        rbac: hyperpod-cli\n",
			"access.yaml:7: team ml is on cluster c in namespace hyperpod-ns-ml with rbac sagemaker-guide, and the file says namespace hyperpod-ns-ml, rbac hyperpod-cli: eksaccess does not move a team"},
		{"    teams:\n      - name: cv\n        namespace: hyperpod-ns-ml\n",
			"access.yaml:7: team cv: namespace hyperpod-ns-ml on cluster c already holds team ml, made by eksaccess"},
	} {
		_, err := w.env.PlanFile(context.Background(), FileRequest{File: w.file(t, tc.body), Prune: true, Concurrency: 4})
		if err == nil || !IsInput(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("plan of\n%s: err = %v\nwant %q", tc.body, err, tc.want)
		}
	}
	if got := w.kube.writesSince(kw); len(got) != 0 || len(w.eks.mutations()) != aw {
		t.Errorf("refused plans wrote: %v", got)
	}
}

// TestExportTeamsRoundTrip: export writes the teams with their members and takes the teams'
// groups off the members' items, so that the exported file plans with no changes.
func TestExportTeamsRoundTrip(t *testing.T) {
	t.Parallel()
	w := newTeamWorld(t)
	w.apply(t, w.plan(t, w.file(t, twoTeams+"      - name: cv\n        namespace: vision\n        rbac: hyperpod-cli\n        members: [{principal: alice}]\n"), false))
	res, err := w.env.Export(context.Background(), ExportRequest{Clusters: []string{"c"}, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	b, err := accessfile.Marshal(res.Config)
	if err != nil {
		t.Fatal(err)
	}
	want := `    access:
      - principal: ` + adminArn + `
        policies:
          - policy: AmazonEKSClusterAdminPolicy
      - principal: ` + aliceArn + `
        policies:
          - policy: AmazonEKSViewPolicy
        kubernetesGroups: [ops]
    teams:
      - name: cv
        namespace: vision
        rbac: hyperpod-cli
        members:
          - principal: ` + aliceArn + `
      - name: ml
        rbac: sagemaker-guide
        members:
          - principal: ` + aliceArn + `
          - principal: ` + bobArn + `
      - name: nlp
        rbac: hyperpod-cli
        members:
          - principal: ` + carolArn + `
`
	if !strings.HasSuffix(string(b), want) {
		t.Fatalf("exported:\n%s\nwant it to end with:\n%s", b, want)
	}
	p := filepath.Join(w.dir, "exported.yaml")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if fp := w.plan(t, p, false); fp.Totals.Changes != 0 {
		t.Fatalf("exported file plans changes:\n%s", render(fp))
	}
}

// TestFileTeamsUnderGuardrails: a plan whose entry changes a guardrail refuses changes
// nothing, Kubernetes included: no team is made or pruned.
func TestFileTeamsUnderGuardrails(t *testing.T) {
	t.Parallel()
	w := newTeamWorld(t)
	w.apply(t, w.plan(t, w.file(t, twoTeams), false))
	// The caller's own admin entry is now eksaccess's and the file does not list it: prune
	// would delete it.
	w.eks.clusters["c"].entries[adminArn].tags[plan.TagManaged] = "true"
	kw, aw := len(w.kube.writes), len(w.eks.mutations())
	fp := w.plan(t, w.file(t, "    teams:\n      - name: cv\n"), true)
	out := render(fp)
	mustContain(t, "refused plan", out, "+ team cv (sagemaker-guide, hyperpod-ns-cv)", "- team ml", "- team nlp", "! refused by guardrail")
	_, err := w.env.ApplyFile(context.Background(), fp)
	var re *RefusedError
	if !errors.As(err, &re) {
		t.Fatalf("apply: err = %v, want a refusal", err)
	}
	if got := w.kube.writesSince(kw); len(got) != 0 || len(w.eks.mutations()) != aw {
		t.Errorf("a refused apply wrote: %v %v", got, w.eks.mutations()[aw:])
	}
}
