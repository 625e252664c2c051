package usecase

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"golang.org/x/sync/errgroup"

	"eksaccess/internal/accessfile"
	"eksaccess/internal/awsapi"
	"eksaccess/internal/awsauth"
	"eksaccess/internal/plan"
	"eksaccess/internal/principal"
)

// DoctorRequest names the clusters to examine (an access file's, or some by name) and
// whether to repair what is safe to repair.
type DoctorRequest struct {
	ClusterSet
	Fix         bool     `json:"fix,omitempty"`
	Force       []string `json:"force,omitempty"`
	Concurrency int      `json:"concurrency,omitempty"`
	// AllowOutsidePaths: with File, usersFile entries may point outside its directory.
	AllowOutsidePaths bool `json:"allowOutsidePaths,omitempty"`
}

// Validate checks the request offline.
func (r *DoctorRequest) Validate() error {
	if (r.File == "") == (len(r.Clusters) == 0) {
		return inputErrorf("name the clusters to examine with -c CLUSTER... or -f FILE (one of them)")
	}
	if err := checkClusterNames(r.Clusters); err != nil {
		return err
	}
	return checkConcurrency(r.Concurrency)
}

// The checks doctor runs, by the name its findings carry.
const (
	CheckStale            = "stale-entry"
	CheckDeletedPrincipal = "deleted-principal"
	CheckNoOp             = "grants-nothing"
	CheckUnknownNamespace = "unknown-namespace"
	CheckUnboundGroup     = "unbound-group"
	CheckExpired          = "expired-grant"
	CheckAWSAuthDuplicate = "aws-auth-duplicate"
	CheckAWSAuthConflict  = "aws-auth-contradiction"
	CheckConfigMapMode    = "config-map-mode"
	CheckNoClusterAdmin   = "no-cluster-admin"
)

// Finding is one problem: how bad, what shows it, and what repairs it.
type Finding struct {
	Severity  string `json:"severity"` // error | warning
	Check     string `json:"check"`
	Cluster   string `json:"cluster"`
	Principal string `json:"principal,omitempty"`
	Message   string `json:"message"`
	Evidence  string `json:"evidence"`
	Fix       string `json:"fix"`
	// Fixable: --fix repairs it; Fixed: this run did.
	Fixable bool `json:"fixable,omitempty"`
	Fixed   bool `json:"fixed,omitempty"`
}

// DoctorResult is the findings (by cluster, then principal), the notes on what could not be
// examined, and with --fix what the engine did.
type DoctorResult struct {
	Clusters []string  `json:"clusters"`
	Findings []Finding `json:"findings"`
	Notes    []string  `json:"notes,omitempty"`
	Outcome  *Outcome  `json:"outcome,omitempty"`
}

// Open counts the findings this run did not fix.
func (r *DoctorResult) Open() int {
	n := 0
	for _, f := range r.Findings {
		if !f.Fixed {
			n++
		}
	}
	return n
}

// iamFacts is what IAM says about a principal now.
type iamFacts struct {
	exists  bool
	arn     string
	created time.Time
	err     error
}

// Doctor reads each cluster once (with -f through the account the file gives it, the
// accounts concurrently), IAM once per principal of the account eksaccess is in there, and (when
// reachable) the cluster's namespaces, bindings and aws-auth, and reports what is broken.
// With Fix it re-creates stale entries (same policies, groups, username and tags) and takes
// away expired grants, through the engine and its invariants, journaled.
func (e *Env) Doctor(ctx context.Context, r DoctorRequest) (*DoctorResult, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	targets, err := e.doctorTargets(ctx, r)
	if err != nil {
		return nil, err
	}
	caller, err := e.Caller(ctx)
	if err != nil {
		return nil, err
	}
	res := &DoctorResult{}
	var changes []*Change
	var forceable []string
	for _, x := range e.examineTargets(ctx, r, targets, e.now()) {
		if x.err != nil {
			return nil, x.err
		}
		res.Clusters = append(res.Clusters, x.cluster)
		res.Findings = append(res.Findings, x.findings...)
		res.Notes = append(res.Notes, x.notes...)
		if x.change != nil {
			changes = append(changes, x.change)
			for _, pp := range x.change.Plans {
				forceable = append(forceable, pp.Principal)
			}
		}
	}
	if !r.Fix || len(changes) == 0 {
		return res, nil
	}
	force, _ := e.forceARNs(ctx, r.Force, forceable)
	out, err := e.Run(ctx, caller, changes, RunOptions{Command: "doctor --fix", Force: force, Concurrency: r.Concurrency})
	res.Outcome = out
	if err != nil {
		return res, err
	}
	if out != nil && !out.Failed() && !out.Interrupted() {
		for i := range res.Findings {
			if res.Findings[i].Fixable {
				res.Findings[i].Fixed = true
			}
		}
	}
	return res, nil
}

// examine runs every check on one cluster and returns the findings and the repair plans.
func (e *Env) examine(ctx context.Context, c *awsapi.Clients, caller principal.Caller, live *plan.LiveCluster, now time.Time, conc int) ([]Finding, []plan.PrincipalPlan, []string) {
	name := live.Name
	var fs []Finding
	var plans []plan.PrincipalPlan
	var notes []string
	add := func(f Finding) { f.Cluster = name; fs = append(fs, f) }

	if live.AuthenticationMode == "CONFIG_MAP" {
		add(Finding{Severity: "warning", Check: CheckConfigMapMode, Message: "the cluster still authenticates only through the aws-auth ConfigMap",
			Evidence: "authenticationMode CONFIG_MAP (DescribeCluster)",
			Fix:      fmt.Sprintf("eksaccess migrate aws-auth -c %s > access.yaml, then eksaccess auth-mode -c %s --set API_AND_CONFIG_MAP and eksaccess apply -f access.yaml", name, name)})
	}

	// IAM, once per principal of the caller's account.
	facts := e.iamFacts(ctx, c, caller, live, conc)

	// The cluster's Kubernetes side, when it can be read.
	var rbac *ClusterRBAC
	if live.AuthenticationMode != "CONFIG_MAP" && e.ReadKube != nil {
		var err error
		if rbac, err = e.readRBAC(ctx, c, name); err != nil {
			notes = append(notes, fmt.Sprintf("%s: namespaces and bindings not checked: %v", name, err))
			rbac = nil
		}
	} else if e.ReadKube == nil {
		notes = append(notes, name+": namespaces and bindings not checked (no Kubernetes reader)")
	}

	admin := false
	for _, le := range live.SortedEntries() {
		if entryIsClusterAdmin(le) {
			admin = true
		}
		if le.Type != accessfile.TypeStandard {
			continue
		}
		arn := le.PrincipalArn
		fact, checked := facts[arn]
		stale := false
		switch {
		case !checked:
		case fact.err != nil:
			notes = append(notes, fmt.Sprintf("%s: %s not checked in IAM: %v", name, arn, fact.err))
		case !fact.exists:
			add(Finding{Severity: "error", Check: CheckDeletedPrincipal, Principal: arn,
				Message:  "the entry's principal no longer exists in IAM: the entry maps nobody",
				Evidence: "IAM answers NoSuchEntity for " + arn,
				Fix:      fmt.Sprintf("eksaccess revoke -c %s %s (or re-create the principal, then its entry)", name, arn)})
		case recreatedAfter(fact.created, le.CreatedAt):
			stale = true
			f := Finding{Severity: "error", Check: CheckStale, Principal: arn,
				Message:  "the principal was deleted and re-created after its entry: EKS binds the entry to the old principal, so its tokens get 401",
				Evidence: fmt.Sprintf("IAM CreateDate %s is later than the entry's createdAt %s", fact.created.UTC().Format(time.RFC3339), le.CreatedAt.UTC().Format(time.RFC3339)),
				Fix:      "eksaccess doctor --fix re-creates the entry with the same policies, groups, username and tags"}
			pp, ok := recreatePlan(name, le)
			if ok {
				f.Fixable = true
				plans = append(plans, pp)
			} else {
				f.Fix = "re-create the entry by hand: delete it and create it again (its settings cannot all be carried over)"
			}
			add(f)
		}
		if len(le.Policies) == 0 && len(le.KubernetesGroups) == 0 {
			add(Finding{Severity: "warning", Check: CheckNoOp, Principal: arn,
				Message:  "a STANDARD entry with no access policy and no Kubernetes group grants nothing",
				Evidence: "ListAssociatedAccessPolicies is empty and kubernetesGroups is empty",
				Fix:      fmt.Sprintf("eksaccess grant -c %s --policy AmazonEKSViewPolicy %s, or eksaccess revoke -c %s %s", name, arn, name, arn)})
		}
		if rbac != nil {
			for _, p := range le.Policies {
				for _, ns := range p.Namespaces {
					if !namespaceExists(rbac.Namespaces, ns) {
						add(Finding{Severity: "warning", Check: CheckUnknownNamespace, Principal: arn,
							Message:  fmt.Sprintf("%s is scoped to namespace %q, which matches no namespace of the cluster", plan.PolicyName(p.PolicyArn), ns),
							Evidence: fmt.Sprintf("namespaces: %s", strings.Join(rbac.Namespaces, ", ")),
							Fix:      fmt.Sprintf("create the namespace (kubectl create namespace %s), or eksaccess revoke -c %s --policy %s --namespace %s %s", ns, name, plan.PolicyName(p.PolicyArn), ns, arn)})
					}
				}
			}
			for _, g := range le.KubernetesGroups {
				if builtinGroup(g) || len(rbac.BindingsOf(g)) > 0 {
					continue
				}
				add(Finding{Severity: "warning", Check: CheckUnboundGroup, Principal: arn,
					Message:  fmt.Sprintf("Kubernetes group %q is named by no RoleBinding or ClusterRoleBinding: it grants nothing", g),
					Evidence: fmt.Sprintf("%d binding(s) name groups, none of them %q", len(rbac.Bindings), g),
					Fix:      fmt.Sprintf("bind the group (kubectl create rolebinding NAME --clusterrole view --group %s -n NAMESPACE), or remove it from the entry", g)})
			}
		}
		if stale {
			continue // re-created with its tags: expiry is taken on the next run
		}
		pp, x := plan.ExpireEntry(name, le, now)
		if x != nil {
			var what []string
			for _, rec := range x.Records {
				w := rec.Policy
				if rec.Key == plan.TagExpires {
					w = "every grant"
				} else if !rec.Cluster() {
					w += " in " + strings.Join(rec.Namespaces, ",")
				}
				what = append(what, w+" expired "+plan.FormatExpiry(rec.At))
			}
			f := Finding{Severity: "warning", Check: CheckExpired, Principal: arn,
				Message:  "grants whose expiry has passed are still in place",
				Evidence: strings.Join(what, "; "),
				Fix:      "eksaccess doctor --fix (or eksaccess expire -c " + name + ") takes them away"}
			if x.LeftAlone {
				f.Fix = fmt.Sprintf("the entry is not managed by eksaccess: revoke it yourself (eksaccess revoke -c %s %s)", name, arn)
			} else if len(pp.Changes) > 0 {
				f.Fixable = true
				plans = append(plans, pp)
			}
			add(f)
		}
	}

	// aws-auth, while the cluster reads it.
	if plan.ReadsConfigMap(live.AuthenticationMode) && e.ReadAWSAuth != nil {
		data, err := e.ReadAWSAuth(ctx, c, name)
		switch {
		case errors.Is(err, ErrNoAWSAuth):
		case err != nil:
			notes = append(notes, fmt.Sprintf("%s: aws-auth not checked: %v", name, err))
		default:
			cm, err := awsauth.Parse("aws-auth (cluster "+name+")", data)
			if err != nil {
				notes = append(notes, fmt.Sprintf("%s: aws-auth not checked: %v", name, err))
				break
			}
			type mapping struct {
				arn, username string
				groups        []string
			}
			var ms []mapping
			for _, m := range cm.Roles {
				ms = append(ms, mapping{m.RoleARN, m.Username, m.Groups})
			}
			for _, m := range cm.Users {
				ms = append(ms, mapping{m.UserARN, m.Username, m.Groups})
			}
			for _, m := range ms {
				if slices.Contains(m.groups, "system:masters") {
					admin = true
				}
				le := entryFor(live, m.arn)
				if le == nil || le.Type != accessfile.TypeStandard {
					continue
				}
				mg, eg := sortedCopy(m.groups), sortedCopy(le.KubernetesGroups)
				username := le.Username
				if username == "" {
					username = defaultEntryUsername(le.PrincipalArn)
				}
				if slices.Equal(mg, eg) && (m.username == "" || m.username == username) {
					add(Finding{Severity: "warning", Check: CheckAWSAuthDuplicate, Principal: le.PrincipalArn,
						Message:  "an aws-auth mapping duplicates the access entry",
						Evidence: fmt.Sprintf("aws-auth maps %s to groups [%s]; the entry has the same", m.arn, strings.Join(mg, ",")),
						Fix:      "remove the mapping from kube-system/aws-auth (the access entry is what EKS uses)"})
				} else {
					add(Finding{Severity: "warning", Check: CheckAWSAuthConflict, Principal: le.PrincipalArn,
						Message:  "an aws-auth mapping contradicts the access entry: EKS uses the entry, so the mapping misleads whoever reads it",
						Evidence: fmt.Sprintf("aws-auth maps %s to username %q, groups [%s]; the entry has username %q, groups [%s]", m.arn, m.username, strings.Join(mg, ","), le.Username, strings.Join(eg, ",")),
						Fix:      "remove the mapping from kube-system/aws-auth, or change the entry to what is meant"})
				}
			}
		}
	}
	if !admin && live.AuthenticationMode != "CONFIG_MAP" {
		add(Finding{Severity: "error", Check: CheckNoClusterAdmin,
			Message:  "no principal holds cluster-scoped admin: nobody can repair the cluster's access through Kubernetes",
			Evidence: "no entry has AmazonEKSClusterAdminPolicy at cluster scope or the system:masters group, and no aws-auth mapping the cluster reads has system:masters",
			Fix:      fmt.Sprintf("eksaccess grant -c %s --policy AmazonEKSClusterAdminPolicy role/ADMIN-ROLE", name)})
	}
	return fs, plans, notes
}

// iamFacts looks up, once each, the STANDARD entries' principals of the caller's account
// (principals of other accounts are not the caller's to look up).
func (e *Env) iamFacts(ctx context.Context, c *awsapi.Clients, caller principal.Caller, live *plan.LiveCluster, conc int) map[string]iamFacts {
	out := map[string]iamFacts{}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	if conc <= 0 {
		conc = 16
	}
	g.SetLimit(conc)
	for _, le := range live.Entries {
		if le.Type != accessfile.TypeStandard {
			continue
		}
		p, err := principal.ParsePrincipalARN(le.PrincipalArn)
		if err != nil || p.Account != caller.Account {
			continue
		}
		arn := le.PrincipalArn
		g.Go(func() error {
			f := lookupIAM(gctx, c.IAM, p)
			if f.exists && !strings.EqualFold(f.arn, arn) {
				f.exists = false // the name lives on, under another path: this ARN is gone
			}
			mu.Lock()
			out[arn] = f
			mu.Unlock()
			return nil
		})
	}
	_ = g.Wait()
	return out
}

func lookupIAM(ctx context.Context, api awsapi.IAM, p principal.PrincipalARN) iamFacts {
	var arn *string
	var created *time.Time
	var err error
	switch p.Kind {
	case principal.KindRole:
		var out *iam.GetRoleOutput
		if out, err = api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(p.Name)}); err == nil {
			arn, created = out.Role.Arn, out.Role.CreateDate
		}
	case principal.KindUser:
		var out *iam.GetUserOutput
		if out, err = api.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(p.Name)}); err == nil {
			arn, created = out.User.Arn, out.User.CreateDate
		}
	default:
		return iamFacts{err: fmt.Errorf("not a user or role")}
	}
	var nse *iamtypes.NoSuchEntityException
	if errors.As(err, &nse) {
		return iamFacts{}
	}
	if err != nil {
		return iamFacts{err: err}
	}
	return iamFacts{exists: true, arn: aws.ToString(arn), created: aws.ToTime(created)}
}

// recreatePlan deletes a stale entry and creates it again with what it had: policies and
// scopes, groups, a custom username, tags.
func recreatePlan(cluster string, le *plan.LiveEntry) (plan.PrincipalPlan, bool) {
	d := plan.DesiredEntry{PrincipalArn: le.PrincipalArn, KubernetesGroups: slices.Clone(le.KubernetesGroups), Source: "doctor --fix"}
	if le.Username != "" && le.Username != defaultEntryUsername(le.PrincipalArn) {
		u := le.Username
		d.Username = &u
	}
	for k, v := range le.Tags {
		if strings.HasPrefix(k, "aws:") {
			continue
		}
		if d.Tags == nil {
			d.Tags = map[string]string{}
		}
		d.Tags[k] = v
	}
	for _, p := range le.Policies {
		if p.ScopeType == "namespace" && len(p.Namespaces) == 0 {
			return plan.PrincipalPlan{}, false
		}
		d.Policies = append(d.Policies, plan.DesiredPolicy{PolicyArn: p.PolicyArn, Namespaces: slices.Clone(p.Namespaces)})
	}
	pp := plan.DeleteEntry(cluster, le, "stale: the principal was re-created after the entry")
	pp.Source = "doctor --fix"
	created := plan.DiffEntry(cluster, plan.Exact, &d, nil)
	for i := range created.Changes {
		created.Changes[i].Note = "re-created: bound to the principal as it is now"
	}
	pp.Changes = append(pp.Changes, created.Changes...)
	return pp, true
}

// recreatedAfter: the principal was created after the entry. IAM reports CreateDate to the
// second, so both times are compared at that precision: a principal re-created within the
// second its entry was created in is not told apart from one that came just before it
// (EKS refuses entries for principals that new anyway).
func recreatedAfter(principalCreated, entryCreated time.Time) bool {
	return principalCreated.Truncate(time.Second).After(entryCreated.Truncate(time.Second))
}

func entryIsClusterAdmin(le *plan.LiveEntry) bool {
	if le.Type != accessfile.TypeStandard {
		return false
	}
	if slices.Contains(le.KubernetesGroups, "system:masters") {
		return true
	}
	for _, p := range le.Policies {
		if plan.PolicyName(p.PolicyArn) == "AmazonEKSClusterAdminPolicy" && p.ScopeType == "cluster" {
			return true
		}
	}
	return false
}

// namespaceExists: a scope's namespace (EKS allows a trailing * wildcard) matches one.
func namespaceExists(namespaces []string, pattern string) bool {
	for _, ns := range namespaces {
		if ns == pattern || (strings.HasSuffix(pattern, "*") && strings.HasPrefix(ns, strings.TrimSuffix(pattern, "*"))) {
			return true
		}
	}
	return false
}

// entryFor finds the entry an aws-auth ARN names (role paths and case do not count).
func entryFor(live *plan.LiveCluster, arn string) *plan.LiveEntry {
	want := strings.ToLower(principal.PathlessRoleARN(arn))
	for k, le := range live.Entries {
		if strings.ToLower(principal.PathlessRoleARN(k)) == want {
			return le
		}
	}
	return nil
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	if out == nil {
		out = []string{}
	}
	return out
}
