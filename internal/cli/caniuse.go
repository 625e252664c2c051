package cli

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/spf13/cobra"

	"eksaccess/internal/output"
	"eksaccess/internal/plan"
	"eksaccess/internal/policy"
	"eksaccess/internal/principal"
)

// requestFlags are the parts of a Kubernetes request shared by can-i and who-can.
type requestFlags struct {
	namespace   string
	subresource string
	apiGroup    string
}

func (r *requestFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&r.namespace, "namespace", "n", "", "namespace of the request (default: all namespaces)")
	cmd.Flags().StringVar(&r.subresource, "subresource", "", "subresource, e.g. exec or log (or write RESOURCE as pods/exec)")
	cmd.Flags().StringVar(&r.apiGroup, "api-group", "", "API group of the resource (or write RESOURCE as deployments.apps)")
}

// request builds the policy request for VERB RESOURCE and the flags.
func (r *requestFlags) request(verb, resource string) (policy.Request, []string, error) {
	if verb == "" || strings.ContainsAny(verb, " /:") {
		return policy.Request{}, nil, usageErrorf("verb %q is not a Kubernetes verb: use get, list, watch, create, update, patch, delete, deletecollection or *", verb)
	}
	if strings.HasPrefix(resource, "/") {
		if r.namespace != "" || r.subresource != "" || r.apiGroup != "" {
			return policy.Request{}, nil, usageErrorf("%s is a non-resource URL: -n, --subresource and --api-group do not apply", resource)
		}
		return policy.Request{Verb: verb, NonResourceURL: resource}, nil, nil
	}
	pr, notes, err := parseResource(resource)
	if err != nil {
		return policy.Request{}, nil, &UsageError{Err: err}
	}
	if r.subresource != "" {
		if pr.sub != "" && pr.sub != r.subresource {
			return policy.Request{}, nil, usageErrorf("%s names subresource %s but --subresource says %s: give one", resource, pr.sub, r.subresource)
		}
		pr.sub = r.subresource
	}
	if r.apiGroup != "" {
		if pr.groupGiven && pr.group != r.apiGroup {
			return policy.Request{}, nil, usageErrorf("%s names API group %s but --api-group says %s: give one", resource, pr.group, r.apiGroup)
		}
		pr.group, pr.groupGiven = r.apiGroup, true
		notes = nil
	}
	if r.namespace != "" {
		if err := principal.ValidateNamespace(r.namespace); err != nil {
			return policy.Request{}, nil, &UsageError{Err: fmt.Errorf("-n: %w", err)}
		}
	}
	return policy.Request{Verb: verb, APIGroup: pr.group, Resource: pr.resource, Subresource: pr.sub, Namespace: r.namespace}, notes, nil
}

type parsedResource struct {
	resource, sub, group string
	groupGiven           bool
}

var versionSegment = regexp.MustCompile(`^v[0-9]+((alpha|beta)[0-9]+)?$`)

// parseResource reads RESOURCE as kubectl does: resource[.version][.group][/subresource],
// with the common short names and singular forms; "*" stands for all resources.
// A plain resource eksaccess does not know is taken to be in the core group (with a note),
// since offline there is no discovery to ask.
func parseResource(s string) (parsedResource, []string, error) {
	var pr parsedResource
	if s == "" {
		return pr, nil, errors.New("empty resource: give one such as pods, pods/exec or deployments.apps")
	}
	name, sub, hasSub := strings.Cut(s, "/")
	if hasSub && (sub == "" || strings.Contains(sub, "/")) {
		return pr, nil, fmt.Errorf("resource %q: write RESOURCE/SUBRESOURCE, e.g. pods/exec", s)
	}
	pr.sub = sub
	res, group, hasGroup := strings.Cut(name, ".")
	if hasGroup {
		if v, rest, ok := strings.Cut(group, "."); ok && versionSegment.MatchString(v) {
			group = rest
		} else if versionSegment.MatchString(group) {
			group = "" // pods.v1: core group, version given
		}
		pr.group, pr.groupGiven = group, true
	}
	if res == "" {
		return pr, nil, fmt.Errorf("resource %q has no name before the group", s)
	}
	res = strings.ToLower(res)
	if res == "*" {
		pr.resource = "*"
		if !hasGroup {
			pr.group, pr.groupGiven = "*", true
		}
		return pr, nil, nil
	}
	if full, ok := resourceShortNames[res]; ok {
		res = full
	} else if _, ok := knownResources[res]; !ok {
		for _, plural := range []string{res + "s", res + "es", strings.TrimSuffix(res, "y") + "ies"} {
			if _, ok := knownResources[plural]; ok {
				res = plural
				break
			}
		}
	}
	pr.resource = res
	if !hasGroup {
		g, ok := knownResources[res]
		if !ok {
			return pr, []string{fmt.Sprintf("note: eksaccess does not know resource %q; taking it to be in the core API group (write %s.GROUP or pass --api-group for others)", res, res)}, nil
		}
		pr.group = g
	}
	return pr, nil, nil
}

// knownResources maps well-known resources to their API group (what kubectl learns from
// discovery), so "deployments" means deployments.apps as it does for kubectl.
var knownResources = map[string]string{
	"pods": "", "services": "", "configmaps": "", "secrets": "", "namespaces": "", "nodes": "",
	"persistentvolumeclaims": "", "persistentvolumes": "", "serviceaccounts": "", "events": "",
	"endpoints": "", "replicationcontrollers": "", "limitranges": "", "resourcequotas": "",
	"podtemplates": "", "bindings": "", "componentstatuses": "",
	"deployments": "apps", "replicasets": "apps", "statefulsets": "apps", "daemonsets": "apps", "controllerrevisions": "apps",
	"jobs": "batch", "cronjobs": "batch",
	"horizontalpodautoscalers": "autoscaling",
	"poddisruptionbudgets":     "policy",
	"ingresses":                "networking.k8s.io", "networkpolicies": "networking.k8s.io", "ingressclasses": "networking.k8s.io",
	"roles": "rbac.authorization.k8s.io", "rolebindings": "rbac.authorization.k8s.io",
	"clusterroles": "rbac.authorization.k8s.io", "clusterrolebindings": "rbac.authorization.k8s.io",
	"storageclasses": "storage.k8s.io", "csidrivers": "storage.k8s.io", "csinodes": "storage.k8s.io", "volumeattachments": "storage.k8s.io",
	"customresourcedefinitions":  "apiextensions.k8s.io",
	"leases":                     "coordination.k8s.io",
	"endpointslices":             "discovery.k8s.io",
	"priorityclasses":            "scheduling.k8s.io",
	"certificatesigningrequests": "certificates.k8s.io",
	"selfsubjectaccessreviews":   "authorization.k8s.io", "selfsubjectrulesreviews": "authorization.k8s.io", "subjectaccessreviews": "authorization.k8s.io",
	"selfsubjectreviews": "authentication.k8s.io", "tokenreviews": "authentication.k8s.io",
	"mutatingwebhookconfigurations": "admissionregistration.k8s.io", "validatingwebhookconfigurations": "admissionregistration.k8s.io",
}

var resourceShortNames = map[string]string{
	"po": "pods", "svc": "services", "cm": "configmaps", "ns": "namespaces", "no": "nodes",
	"pvc": "persistentvolumeclaims", "pv": "persistentvolumes", "sa": "serviceaccounts", "ev": "events",
	"ep": "endpoints", "rc": "replicationcontrollers", "limits": "limitranges", "quota": "resourcequotas",
	"deploy": "deployments", "rs": "replicasets", "sts": "statefulsets", "ds": "daemonsets",
	"cj": "cronjobs", "hpa": "horizontalpodautoscalers", "pdb": "poddisruptionbudgets",
	"ing": "ingresses", "netpol": "networkpolicies", "sc": "storageclasses", "crd": "customresourcedefinitions",
	"crds": "customresourcedefinitions", "pc": "priorityclasses", "csr": "certificatesigningrequests",
}

// describeRequest says what a request asks, e.g. "list pods in namespace team-a".
func describeRequest(r policy.Request) string {
	if r.NonResourceURL != "" {
		return r.Verb + " " + r.NonResourceURL
	}
	res := r.Resource
	if r.APIGroup != "" && r.APIGroup != "*" {
		res += "." + r.APIGroup
	}
	if r.Subresource != "" {
		res += "/" + r.Subresource
	}
	s := r.Verb + " " + res
	switch {
	case policy.IsClusterScoped(r.APIGroup, r.Resource):
		s += " (cluster-scoped)"
	case r.Namespace == "":
		s += " in all namespaces"
	default:
		s += " in namespace " + r.Namespace
	}
	return s
}

// policyEntry maps a live access entry to what the evaluator needs.
func policyEntry(e *plan.LiveEntry) policy.Entry {
	pe := policy.Entry{PrincipalArn: e.PrincipalArn, Type: e.Type, Username: e.Username, Groups: append([]string(nil), e.KubernetesGroups...)}
	for _, p := range e.Policies {
		pe.Associations = append(pe.Associations, policy.Association{PolicyArn: p.PolicyArn, ScopeType: p.ScopeType, Namespaces: append([]string(nil), p.Namespaces...)})
	}
	return pe
}

// resolveEntryPrincipal resolves a principal as can-i takes it: a user name, role/NAME or
// an ARN; an assumed-role session ARN maps to its role (with the role's path, from IAM).
func resolveEntryPrincipal(ctx context.Context, f *Factory, p string) (string, error) {
	if !strings.HasPrefix(p, "arn:") {
		if _, err := principal.ParseRef(p); err != nil {
			return "", &InputError{Err: err}
		}
		return resolveOnePrincipal(ctx, f, p)
	}
	pa, err := principal.ParsePrincipalARN(p)
	if err != nil {
		return "", &InputError{Err: err}
	}
	switch pa.Kind {
	case principal.KindUser, principal.KindRole:
		return p, nil
	case principal.KindAssumedRole:
		c, err := f.Clients(ctx)
		if err != nil {
			return "", err
		}
		out, err := c.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(pa.Name)})
		if err != nil {
			var nse *iamtypes.NoSuchEntityException
			if errors.As(err, &nse) {
				return "", &InputError{Err: fmt.Errorf("%s is a session of role %s, which does not exist: check the ARN", p, pa.Name)}
			}
			return "", fmt.Errorf("look up role %s of session %s: %w: pass the role ARN instead", pa.Name, p, err)
		}
		return aws.ToString(out.Role.Arn), nil
	}
	return "", &InputError{Err: fmt.Errorf("%s is a %s ARN: EKS access entries are for IAM users and roles; give one of those", p, pa.Kind)}
}

// ---- can-i ----

type canIOptions struct {
	f         *Factory
	ref       clusterRef
	req       requestFlags
	principal string
	verb      string
	resource  string
}

func newCanICmd(f *Factory) *cobra.Command {
	o := &canIOptions{f: f}
	cmd := &cobra.Command{
		Use:   "can-i -c CLUSTER PRINCIPAL VERB RESOURCE [-n NS] [--subresource S] [--api-group G]",
		Short: "Say offline whether a principal may do something, from the cluster's access entries and policies",
		Long: `Answer, without a token and without touching the cluster's API, whether PRINCIPAL
(an IAM user name, role/NAME or an ARN) may make a Kubernetes request, from its access
entry and the Kubernetes rules AWS publishes for each access policy; and name the entry
and policy that grant it. RESOURCE is written as for kubectl: pods, pods/exec,
deployments.apps, or a non-resource URL such as /healthz.

The answer is one of:
  yes              an access policy (or a Kubernetes default role) allows it
  no               nothing the entry has allows it
  unknown          only a policy whose rules AWS does not publish could allow it
  depends-on-rbac  only RBAC bound to the entry's Kubernetes groups could allow it

Exit status: 0 yes; 1 no, unknown or depends-on-rbac; 2 bad input.`,
		Example: `  eksaccess can-i -c hyperpod-demo alice list pods -n hyperpod-ns-team-a
  eksaccess can-i -c hyperpod-demo role/EKSFullAccessRole create pods/exec -n team-a
  eksaccess can-i -c hyperpod-demo alice get deployments.apps -n team-a -o json`,
		Args: exactArgs(3, "PRINCIPAL VERB RESOURCE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.ref.validate(); err != nil {
				return err
			}
			o.principal, o.verb, o.resource = args[0], args[1], args[2]
			return runCanI(cmd.Context(), o)
		},
	}
	o.ref.addFlags(cmd)
	o.req.add(cmd)
	return cmd
}

// CanIResult is what `eksaccess can-i -o json` prints.
type CanIResult struct {
	Cluster         string            `json:"cluster"`
	Principal       string            `json:"principal"`
	Request         string            `json:"request"`
	Answer          string            `json:"answer"` // yes | no | unknown | depends-on-rbac
	Entry           *CanIEntry        `json:"entry,omitempty"`
	GrantedBy       []CanIGrant       `json:"grantedBy,omitempty"`
	UnknownPolicies []string          `json:"unknownPolicies,omitempty"`
	Reason          string            `json:"reason"`
	Attributes      RequestAttributes `json:"attributes"`
}

// RequestAttributes are the Kubernetes request attributes that were evaluated.
type RequestAttributes struct {
	Verb           string `json:"verb"`
	APIGroup       string `json:"apiGroup"`
	Resource       string `json:"resource,omitempty"`
	Subresource    string `json:"subresource,omitempty"`
	Namespace      string `json:"namespace,omitempty"`
	NonResourceURL string `json:"nonResourceURL,omitempty"`
}

func attributesOf(r policy.Request) RequestAttributes {
	return RequestAttributes{Verb: r.Verb, APIGroup: r.APIGroup, Resource: r.Resource, Subresource: r.Subresource, Namespace: r.Namespace, NonResourceURL: r.NonResourceURL}
}

// CanIEntry is the access entry an answer comes from.
type CanIEntry struct {
	PrincipalArn string   `json:"principalArn"`
	Type         string   `json:"type"`
	Username     string   `json:"username,omitempty"`
	Groups       []string `json:"kubernetesGroups,omitempty"`
}

// CanIGrant names one access policy (or Kubernetes default) that allows the request.
type CanIGrant struct {
	Policy     string   `json:"policy"`
	PolicyArn  string   `json:"policyArn,omitempty"`
	Scope      string   `json:"scope"`
	Namespaces []string `json:"namespaces,omitempty"`
	Builtin    bool     `json:"builtin,omitempty"`
}

func grantsOf(d policy.Decision) []CanIGrant {
	var out []CanIGrant
	for _, g := range d.GrantedBy {
		out = append(out, CanIGrant{Policy: g.PolicyName, PolicyArn: g.PolicyArn, Scope: g.ScopeType, Namespaces: g.Namespaces, Builtin: g.Builtin})
	}
	return out
}

func grantsText(d policy.Decision) string {
	parts := make([]string, len(d.GrantedBy))
	for i, g := range d.GrantedBy {
		parts[i] = g.String()
	}
	return strings.Join(parts, "; ")
}

// offlineDecision evaluates req for principalArn on a cluster read: the entry's decision,
// or a "no"/"unknown" that explains why there is no entry to evaluate.
func offlineDecision(live *plan.LiveCluster, principalArn string, req policy.Request) (policy.Decision, *plan.LiveEntry) {
	if live.AuthenticationMode == "CONFIG_MAP" {
		return policy.Decision{Outcome: policy.Unknown, Reason: fmt.Sprintf("cluster %s maps IAM principals with the aws-auth ConfigMap only (authentication mode CONFIG_MAP), which eksaccess cannot read offline: see `eksaccess migrate aws-auth -c %s`", live.Name, live.Name)}, nil
	}
	e := live.Entries[principalArn]
	if e == nil {
		for arn, le := range live.Entries {
			if strings.EqualFold(arn, principalArn) {
				e = le
			}
		}
	}
	if e == nil {
		reason := fmt.Sprintf("%s has no access entry on cluster %s, so EKS refuses its tokens", principalArn, live.Name)
		if live.AuthenticationMode == "API_AND_CONFIG_MAP" {
			reason += " (unless the aws-auth ConfigMap maps it)"
		}
		return policy.Decision{Outcome: policy.Denied, Reason: reason}, nil
	}
	return policy.Evaluate(policyEntry(e), req), e
}

func runCanI(ctx context.Context, o *canIOptions) error {
	f := o.f
	format, err := f.Format()
	if err != nil {
		return err
	}
	req, notes, err := o.req.request(o.verb, o.resource)
	if err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintln(f.IO.ErrOut, n)
	}
	cluster, err := o.ref.resolve(ctx, f)
	if err != nil {
		return err
	}
	arn, err := resolveEntryPrincipal(ctx, f, o.principal)
	if err != nil {
		return err
	}
	c, err := f.Clients(ctx)
	if err != nil {
		return err
	}
	live, err := plan.ReadCluster(ctx, c.EKS, cluster, plan.ReadOptions{Only: map[string]bool{arn: true}})
	if err != nil {
		return err
	}
	d, e := offlineDecision(live.LiveCluster, arn, req)
	res := CanIResult{
		Cluster: cluster, Principal: arn, Request: describeRequest(req), Answer: d.Outcome.String(),
		GrantedBy: grantsOf(d), UnknownPolicies: d.UnknownPolicies, Reason: d.Reason, Attributes: attributesOf(req),
	}
	if e != nil {
		res.Entry = &CanIEntry{PrincipalArn: e.PrincipalArn, Type: e.Type, Username: e.Username, Groups: e.KubernetesGroups}
	}
	if format != output.Table {
		if err := output.Data(f.IO.Out, format, res); err != nil {
			return err
		}
	} else {
		w := f.IO.Out
		fmt.Fprintln(w, res.Answer)
		t := output.NewTable(w)
		t.Row("Principal:", arn)
		t.Row("Request:", res.Request)
		if e != nil {
			t.Row("Entry:", fmt.Sprintf("%s, username %s, groups %s", orDash(e.Type), orDash(e.Username), orDash(strings.Join(e.KubernetesGroups, ","))))
		}
		if d.Outcome == policy.Allowed {
			t.Row("Granted by:", grantsText(d))
		} else {
			t.Row("Reason:", d.Reason)
		}
		if err := t.Flush(); err != nil {
			return err
		}
	}
	if d.Outcome != policy.Allowed {
		return silentExit(ExitFailure)
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// ---- who-can ----

type whoCanOptions struct {
	f        *Factory
	ref      clusterRef
	req      requestFlags
	verb     string
	resource string
}

func newWhoCanCmd(f *Factory) *cobra.Command {
	o := &whoCanOptions{f: f}
	cmd := &cobra.Command{
		Use:   "who-can -c CLUSTER VERB RESOURCE [-n NS] [--subresource S] [--api-group G]",
		Short: "List offline which access entries may do something, and through which policy",
		Long: `List, from the cluster's access entries and the Kubernetes rules AWS publishes for
each access policy, every principal that may make a request (yes), might through a
policy whose rules are not published (unknown), or might through RBAC bound to its
Kubernetes groups (depends-on-rbac). Principals that may not are left out.
RESOURCE is written as for kubectl: pods, pods/exec, deployments.apps or /healthz.`,
		Example: `  eksaccess who-can -c hyperpod-demo get secrets -n hyperpod-ns-team-a
  eksaccess who-can -c hyperpod-demo create pods/exec -n team-a -o json`,
		Args: exactArgs(2, "VERB RESOURCE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.ref.validate(); err != nil {
				return err
			}
			o.verb, o.resource = args[0], args[1]
			return runWhoCan(cmd.Context(), o)
		},
	}
	o.ref.addFlags(cmd)
	o.req.add(cmd)
	return cmd
}

// WhoCanResult is one row of `eksaccess who-can -o json`.
type WhoCanResult struct {
	PrincipalArn    string      `json:"principalArn"`
	Type            string      `json:"type"`
	Username        string      `json:"username,omitempty"`
	Answer          string      `json:"answer"`
	GrantedBy       []CanIGrant `json:"grantedBy,omitempty"`
	UnknownPolicies []string    `json:"unknownPolicies,omitempty"`
	Reason          string      `json:"reason"`
}

func runWhoCan(ctx context.Context, o *whoCanOptions) error {
	f := o.f
	format, err := f.Format()
	if err != nil {
		return err
	}
	req, notes, err := o.req.request(o.verb, o.resource)
	if err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintln(f.IO.ErrOut, n)
	}
	cluster, err := o.ref.resolve(ctx, f)
	if err != nil {
		return err
	}
	c, err := f.Clients(ctx)
	if err != nil {
		return err
	}
	live, err := plan.ReadCluster(ctx, c.EKS, cluster, plan.ReadOptions{})
	if err != nil {
		return err
	}
	if live.AuthenticationMode == "CONFIG_MAP" {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("cluster %s maps IAM principals with the aws-auth ConfigMap only (authentication mode CONFIG_MAP), which eksaccess cannot read offline: see `eksaccess migrate aws-auth -c %s`", cluster, cluster)}
	}
	sorted := live.SortedEntries()
	entries := make([]policy.Entry, len(sorted))
	for i, e := range sorted {
		entries[i] = policyEntry(e)
	}
	rows := []WhoCanResult{}
	decided := policy.WhoCan(entries, req)
	for _, r := range decided {
		e := live.Entries[r.PrincipalArn]
		rows = append(rows, WhoCanResult{
			PrincipalArn: r.PrincipalArn, Type: e.Type, Username: e.Username, Answer: r.Decision.Outcome.String(),
			GrantedBy: grantsOf(r.Decision), UnknownPolicies: r.Decision.UnknownPolicies, Reason: r.Decision.Reason,
		})
	}
	if format != output.Table {
		return output.Data(f.IO.Out, format, rows)
	}
	if len(rows) == 0 {
		fmt.Fprintf(f.IO.ErrOut, "no access entry of %s may %s\n", cluster, describeRequest(req))
		return nil
	}
	t := output.NewTable(f.IO.Out, "PRINCIPAL", "TYPE", "ANSWER", "VIA")
	for i, r := range rows {
		via := r.Reason
		if r.Answer == policy.Allowed.String() {
			via = grantsText(decided[i].Decision)
		}
		t.Row(r.PrincipalArn, r.Type, r.Answer, via)
	}
	return t.Flush()
}
