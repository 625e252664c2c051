package usecase

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"eksaccess/internal/accessfile"
	"eksaccess/internal/plan"
)

// AuditRequest names the clusters to audit: an access file's (with drift against it), some
// clusters by name, or every cluster of the caller's account in some regions.
type AuditRequest struct {
	ClusterSet
	All bool `json:"all,omitempty"`
	// Regions, with All: where to list clusters (none: each account's default region).
	Regions []string `json:"regions,omitempty"`
	// Accounts, with All: other accounts to audit beside the one of the run's credentials,
	// each reached by a role to assume (with the run's credentials) or a profile.
	Accounts []Reach `json:"accounts,omitempty"`
	// NoDefaultAccount, with Accounts: audit only those, not the run's own account.
	NoDefaultAccount bool `json:"noDefaultAccount,omitempty"`
	Concurrency      int  `json:"concurrency,omitempty"`
	// AllowOutsidePaths: with File, usersFile entries may point outside its directory.
	AllowOutsidePaths bool `json:"allowOutsidePaths,omitempty"`
}

// Validate checks the request offline.
func (r *AuditRequest) Validate() error {
	n := 0
	if r.File != "" {
		n++
	}
	if len(r.Clusters) > 0 {
		n++
	}
	if r.All {
		n++
	}
	if n != 1 {
		return inputErrorf("name what to audit with one of -f FILE, -c CLUSTER... or --all")
	}
	if len(r.Regions) > 0 && !r.All {
		return inputErrorf("--regions goes with --all (clusters of -c are in --region; an access file names its regions)")
	}
	if len(r.Accounts) > 0 && !r.All {
		return inputErrorf("--account-role and --account-profile go with --all (an access file names each cluster's account; -c audits the account of your credentials: reach another with --assume-role or --profile)")
	}
	if r.NoDefaultAccount && len(r.Accounts) == 0 {
		return inputErrorf("--no-default-account leaves nothing to audit: name the accounts with --account-role ARN or --account-profile NAME")
	}
	for _, a := range r.Accounts {
		if (a.RoleArn == "") == (a.Profile == "") {
			return inputErrorf("an account to audit is reached by a role ARN or a profile (one of them)")
		}
		if a.RoleArn != "" {
			if err := ValidateAssume(a, "--account-role"); err != nil {
				return &InputError{Err: err}
			}
		}
		if a.ExternalID != "" && a.RoleArn == "" {
			return inputErrorf("--account-external-id goes with --account-role")
		}
	}
	if err := checkClusterNames(r.Clusters); err != nil {
		return err
	}
	for _, reg := range r.Regions {
		if !validRegion(reg) {
			return inputErrorf("--regions: %q is not an AWS region name (such as us-west-2)", reg)
		}
	}
	return checkConcurrency(r.Concurrency)
}

func validRegion(s string) bool {
	if len(s) < 4 || len(s) > 30 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return strings.Count(s, "-") >= 2
}

// AuditTarget is one cluster to read: its account, region and name. The account is the
// caller's until the cluster is read (then its ARN's).
type AuditTarget struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	Cluster string `json:"cluster"`
	// Reach is how the account was reached, when not with the run's own credentials.
	Reach string `json:"reach,omitempty"`
}

// AuditRow is one grant: a principal's access policy (and its scope) or Kubernetes group
// on one cluster, or an entry that grants nothing.
type AuditRow struct {
	Account    string   `json:"account"`
	Region     string   `json:"region"`
	Cluster    string   `json:"cluster"`
	Principal  string   `json:"principal"`
	EntryType  string   `json:"entryType"`
	Username   string   `json:"username,omitempty"`
	Grant      string   `json:"grant"` // policy | group | none
	Policy     string   `json:"policy,omitempty"`
	Scope      string   `json:"scope,omitempty"` // cluster | namespace
	Namespaces []string `json:"namespaces,omitempty"`
	Group      string   `json:"group,omitempty"`
	// RBAC are the bindings the group leads to (cluster reachable); nil with RBACKnown false.
	RBAC      []string `json:"rbac,omitempty"`
	RBACKnown bool     `json:"rbacKnown,omitempty"`
	// Level is the access the grant gives, for the matrix: cluster-admin, admin, edit, view,
	// other, groups, node or none; Rank orders them (9 cluster-admin … 0 none; a namespace
	// scope ranks just below the cluster scope of the same level).
	Level      string    `json:"level"`
	Rank       int       `json:"rank"`
	Managed    bool      `json:"managed"`
	Expires    string    `json:"expires,omitempty"`
	CreatedAt  time.Time `json:"createdAt,omitzero"`
	ModifiedAt time.Time `json:"modifiedAt,omitzero"`
	// Drift, with -f: "" (as the file says), "missing" (the file lists it, the cluster has
	// not got it), "not in file", or "differs: …" (the changes apply would make).
	Drift string `json:"drift,omitempty"`
}

// AuditCluster is how one target went.
type AuditCluster struct {
	AuditTarget
	AuthenticationMode string `json:"authenticationMode,omitempty"`
	Entries            int    `json:"entries"`
	Error              string `json:"error,omitempty"`
	// RBAC says whether the groups' bindings were read, and why not.
	RBAC string `json:"rbac,omitempty"`

	reach Reach
}

// AuditSummary counts the rows.
type AuditSummary struct {
	Clusters int `json:"clusters"`
	Failed   int `json:"failedClusters"`
	// FailedAccounts counts the accounts (or regions of them) that could not be reached or
	// listed: their clusters are not in Clusters.
	FailedAccounts int            `json:"failedAccounts,omitempty"`
	Principals     int            `json:"principals"`
	Rows           int            `json:"rows"`
	ByLevel        map[string]int `json:"byLevel"`
	Drift          int            `json:"drift,omitempty"`
}

// AuditResult is the report: rows sorted by account, cluster, principal.
type AuditResult struct {
	GeneratedAt time.Time      `json:"generatedAt"`
	File        string         `json:"file,omitempty"`
	Summary     AuditSummary   `json:"summary"`
	Clusters    []AuditCluster `json:"clusters"`
	Rows        []AuditRow     `json:"rows"`
}

// Failed reports a target that could not be read.
func (r *AuditResult) Failed() bool { return r.Summary.Failed+r.Summary.FailedAccounts > 0 }

// Audit reads every target once (the API's minimum: DescribeCluster, ListAccessEntries
// pages, then DescribeAccessEntry and ListAssociatedAccessPolicies per entry), concurrently
// across targets and accounts, each account through its own credentials and rate state, and
// turns each grant into a row. A target (or an account) that fails is reported and the
// others go on. It changes nothing.
func (e *Env) Audit(ctx context.Context, r AuditRequest) (*AuditResult, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	res := &AuditResult{GeneratedAt: e.now().UTC(), File: r.File}
	if r.File != "" {
		return res, e.auditFile(ctx, r, res)
	}
	targets, err := e.auditTargets(ctx, r)
	if err != nil {
		return nil, err
	}
	lives := e.readTargets(ctx, r, targets)
	res.Clusters = targets
	for i := range targets {
		e.auditRows(ctx, res, &res.Clusters[i], lives[i], nil)
	}
	finishAudit(res)
	return res, nil
}

// auditFile plans the file (which reads each of its clusters once) and audits what it read,
// with the drift the plan shows.
func (e *Env) auditFile(ctx context.Context, r AuditRequest, res *AuditResult) error {
	fp, err := e.PlanFile(ctx, FileRequest{File: r.File, Concurrency: r.Concurrency, AllowOutsidePaths: r.AllowOutsidePaths})
	if err != nil {
		return err
	}
	for _, f := range fp.Failures {
		for _, n := range f.Names {
			how := strings.TrimSuffix(strings.TrimPrefix(f.Reach, "account "+f.Account+" ("), ")")
			res.Clusters = append(res.Clusters, AuditCluster{AuditTarget: AuditTarget{Account: f.Account, Reach: how, Cluster: n}, Error: f.Error})
		}
	}
	for i, rc := range fp.resolved {
		dc := rc.Cluster
		ac := AuditCluster{AuditTarget: AuditTarget{Account: rc.caller.Account, Region: dc.Region, Cluster: dc.Name}, reach: rc.reach}
		ac.Reach = howReached(rc.reach)
		if ac.Region == "" && fp.live[i] != nil {
			ac.Region = fp.live[i].Region
		}
		drift := map[string]string{}
		listed := map[string]bool{}
		for _, d := range dc.Desired {
			listed[d.PrincipalArn] = true
		}
		for _, pp := range fp.Clusters[i].Plans {
			if len(pp.Changes) == 0 {
				continue
			}
			if !pp.Exists {
				drift[pp.Principal] = "missing"
				continue
			}
			var s []string
			for _, ch := range pp.Changes {
				s = append(s, ch.String())
			}
			drift[pp.Principal] = "differs: " + strings.Join(s, "; ")
		}
		live := fp.live[i]
		if live != nil {
			for arn := range live.Entries {
				if !listed[arn] && drift[arn] == "" {
					drift[arn] = "not in file"
				}
			}
		}
		e.auditRows(ctx, res, &ac, live, drift)
		// What the file lists and the cluster has not got has no live grant: one row each.
		for _, d := range dc.Desired {
			if live != nil && live.Entries[d.PrincipalArn] != nil {
				continue
			}
			res.Rows = append(res.Rows, AuditRow{Account: ac.Account, Region: ac.Region, Cluster: ac.Cluster, Principal: d.PrincipalArn,
				EntryType: d.TypeOrStandard(), Grant: "none", Level: "none", Drift: "missing"})
		}
		res.Clusters = append(res.Clusters, ac)
	}
	finishAudit(res)
	return nil
}

// auditRows turns one cluster read into rows (and reads the groups' bindings when the
// cluster has group grants and its Kubernetes API can be read).
func (e *Env) auditRows(ctx context.Context, res *AuditResult, ac *AuditCluster, live *plan.LiveCluster, drift map[string]string) {
	if live == nil {
		if ac.Error == "" {
			ac.Error = "not read"
		}
		return
	}
	ac.AuthenticationMode = live.AuthenticationMode
	ac.Entries = len(live.Entries)
	if acct := accountOfArn(live.Arn); acct != "" {
		ac.Account = acct
	}
	if live.Region != "" {
		ac.Region = live.Region
	}
	var rbac *ClusterRBAC
	hasGroups := false
	for _, le := range live.Entries {
		if len(le.KubernetesGroups) > 0 && le.Type == accessfile.TypeStandard {
			hasGroups = true
			break
		}
	}
	switch {
	case !hasGroups:
	case e.ReadKube == nil:
		ac.RBAC = "not read"
	default:
		c, err := e.accountClients(ctx, ac.reach, ac.Region)
		if err == nil {
			rbac, err = e.readRBAC(ctx, c, live.Name)
		}
		if err != nil {
			ac.RBAC = "unknown: " + err.Error()
		} else {
			ac.RBAC = "read"
		}
	}
	for _, le := range live.SortedEntries() {
		base := AuditRow{Account: ac.Account, Region: ac.Region, Cluster: live.Name, Principal: le.PrincipalArn,
			EntryType: le.Type, Username: le.Username, Managed: le.Managed(), CreatedAt: le.CreatedAt, ModifiedAt: le.ModifiedAt,
			Drift: drift[le.PrincipalArn]}
		x := le.Expiry()
		n := 0
		for _, p := range le.Policies {
			row := base
			row.Grant, row.Policy, row.Scope, row.Namespaces = "policy", plan.PolicyName(p.PolicyArn), p.ScopeType, slices.Clone(p.Namespaces)
			row.Level, row.Rank = policyLevel(row.Policy, p.ScopeType != "cluster")
			row.Expires = grantExpiry(x, row.Policy)
			res.Rows = append(res.Rows, row)
			n++
		}
		groups := slices.Clone(le.KubernetesGroups)
		sort.Strings(groups)
		for _, g := range groups {
			row := base
			row.Grant, row.Group = "group", g
			row.Expires = grantExpiry(x, "")
			row.Level, row.Rank = "groups", 1
			if g == "system:masters" {
				row.Level, row.Rank = "cluster-admin", 9
			}
			if rbac != nil {
				row.RBACKnown = true
				for _, b := range rbac.BindingsOf(g) {
					row.RBAC = append(row.RBAC, b.String())
					if l, rk := bindingLevel(b); rk > row.Rank {
						row.Level, row.Rank = l, rk
					}
				}
			}
			res.Rows = append(res.Rows, row)
			n++
		}
		if n == 0 {
			row := base
			row.Grant, row.Level = "none", "none"
			if le.Type != accessfile.TypeStandard {
				row.Grant, row.Level, row.Rank = "node", "node", 1
			}
			res.Rows = append(res.Rows, row)
		}
	}
}

// policyLevel is the access a policy gives; a namespace scope ranks just below the cluster scope.
func policyLevel(name string, namespaced bool) (string, int) {
	var l string
	var rank int
	switch name {
	case "AmazonEKSClusterAdminPolicy":
		l, rank = "cluster-admin", 9
	case "AmazonEKSAdminPolicy":
		l, rank = "admin", 7
	case "AmazonEKSEditPolicy":
		l, rank = "edit", 5
	case "AmazonEKSViewPolicy", "AmazonEKSAdminViewPolicy":
		l, rank = "view", 3
	default:
		return "other", 1
	}
	if namespaced {
		return l + " (namespaces)", rank - 1
	}
	return l, rank
}

// bindingLevel is the access a binding to one of Kubernetes' user-facing roles gives.
func bindingLevel(b Binding) (string, int) {
	name := b.RoleName
	if b.RoleKind != "ClusterRole" {
		return "groups", 1
	}
	var l, ns string
	switch name {
	case "cluster-admin":
		l = "cluster-admin"
	case "admin":
		l = "admin"
	case "edit":
		l = "edit"
	case "view":
		l = "view"
	default:
		return "groups", 1
	}
	if b.Kind == "RoleBinding" {
		ns = "namespaces"
		if l == "cluster-admin" {
			l = "admin"
		}
	}
	if ns != "" {
		return policyLevel(map[string]string{"admin": "AmazonEKSAdminPolicy", "edit": "AmazonEKSEditPolicy", "view": "AmazonEKSViewPolicy"}[l], true)
	}
	return policyLevel(map[string]string{"cluster-admin": "AmazonEKSClusterAdminPolicy", "admin": "AmazonEKSAdminPolicy", "edit": "AmazonEKSEditPolicy", "view": "AmazonEKSViewPolicy"}[l], false)
}

// grantExpiry is when a grant expires ("" never): the earliest of its own records and the
// whole-entry expiry (policy "" asks for the entry's groups, which only the latter covers).
func grantExpiry(x plan.EntryExpiry, policy string) string {
	t := x.Legacy
	if policy != "" {
		for _, r := range x.Records {
			if r.Policy == policy && (t.IsZero() || r.At.Before(t)) {
				t = r.At
			}
		}
	}
	if t.IsZero() {
		return ""
	}
	return plan.FormatExpiry(t)
}

func accountOfArn(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 {
		return parts[4]
	}
	return ""
}

func finishAudit(res *AuditResult) {
	sort.SliceStable(res.Rows, func(i, j int) bool {
		a, b := res.Rows[i], res.Rows[j]
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		if a.Cluster != b.Cluster {
			return a.Cluster < b.Cluster
		}
		return a.Principal < b.Principal
	})
	s := AuditSummary{ByLevel: map[string]int{}, Rows: len(res.Rows)}
	principals := map[string]bool{}
	drifted := map[string]bool{}
	for _, c := range res.Clusters {
		switch {
		case c.Cluster == "":
			s.FailedAccounts++
		case c.Error != "":
			s.Clusters++
			s.Failed++
		default:
			s.Clusters++
		}
	}
	for _, r := range res.Rows {
		principals[r.Principal] = true
		s.ByLevel[r.Level]++
		if r.Drift != "" {
			drifted[r.Cluster+"\x00"+r.Principal] = true
		}
	}
	s.Principals, s.Drift = len(principals), len(drifted)
	res.Summary = s
}
