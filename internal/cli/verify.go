package cli

import (
	"context"
	"encoding/base64"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/spf13/cobra"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	authnclient "k8s.io/client-go/kubernetes/typed/authentication/v1"
	authzclient "k8s.io/client-go/kubernetes/typed/authorization/v1"

	"eksaccess/internal/kubeauth"
	"eksaccess/internal/output"
	"eksaccess/internal/plan"
	"eksaccess/internal/policy"
	"eksaccess/internal/usecase"
)

type verifyOptions struct {
	f           *Factory
	ref         clusterRef
	role        string
	sessionName string
	asPrincipal string
	rawChecks   []string
	checks      []verifyCheck
}

// verifyCheck is one --check: a request and whether it is expected to be allowed.
type verifyCheck struct {
	Raw    string
	Expect bool
	Req    policy.Request
}

func newVerifyCmd(f *Factory) *cobra.Command {
	o := &verifyOptions{f: f}
	cmd := &cobra.Command{
		Use:   "verify -c CLUSTER [--role ROLE] [--as-principal ARN] [--check VERB:RESOURCE[:NAMESPACE]]...",
		Short: "Check live, through the cluster's own API, who you are and what you may do",
		Long: `Get a token (assuming --role first, if given), then ask the cluster's Kubernetes API
who it thinks you are (SelfSubjectReview) and, for each --check, whether you may do it
(SelfSubjectAccessReview). Unlike ` + "`kubectl auth can-i --list`" + ` and impersonation, this
sees what EKS access policies grant.

A check is VERB:RESOURCE[:NAMESPACE], RESOURCE written as for kubectl (pods,
pods/exec, deployments.apps) or a non-resource URL (get:/healthz); without a namespace
it asks about all namespaces. Write !VERB:RESOURCE[:NAMESPACE] to expect a denial.
Exit status 1 when a check does not come out as expected, or the cluster refuses the
token.

--as-principal ARN answers for someone else. Nobody can get a token for another
principal, so this is offline: the same evaluation as ` + "`eksaccess can-i`" + `, from that
principal's access entry and policies; the output says so.`,
		Example: `  eksaccess verify -c hyperpod-demo --check list:pods:hyperpod-ns-team-a --check '!create:pods:hyperpod-ns-team-a'
  eksaccess verify -c hyperpod-demo --role EKSFullAccessRole --check create:pods/exec:team-a
  eksaccess verify -c hyperpod-demo --as-principal arn:aws:iam::111122223333:user/alice --check get:secrets:team-a`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.ref.validate(); err != nil {
				return err
			}
			if err := validateRoleFlags(o.role, o.sessionName); err != nil {
				return err
			}
			if o.asPrincipal != "" && o.role != "" {
				return usageErrorf("--as-principal and --role both say whom to check: give one")
			}
			for _, raw := range o.rawChecks {
				ch, notes, err := parseCheck(raw)
				if err != nil {
					return err
				}
				for _, n := range notes {
					fmt.Fprintln(f.IO.ErrOut, n)
				}
				o.checks = append(o.checks, ch)
			}
			return runVerify(cmd.Context(), o)
		},
	}
	o.ref.addFlags(cmd)
	addRoleFlags(cmd, &o.role, &o.sessionName)
	cmd.Flags().StringVar(&o.asPrincipal, "as-principal", "", "check offline what this principal (user name, role/NAME or ARN) would get")
	cmd.Flags().StringArrayVar(&o.rawChecks, "check", nil, "VERB:RESOURCE[:NAMESPACE] to check, ! in front to expect denial; repeatable")
	return cmd
}

// parseCheck reads [!]VERB:RESOURCE[:NAMESPACE] (or [!]VERB:/URL).
func parseCheck(raw string) (verifyCheck, []string, error) {
	ch := verifyCheck{Raw: raw, Expect: true}
	s := raw
	if rest, ok := strings.CutPrefix(s, "!"); ok {
		ch.Expect, s = false, rest
	}
	verb, rest, ok := strings.Cut(s, ":")
	if !ok || verb == "" || rest == "" {
		return ch, nil, usageErrorf("--check %q: write VERB:RESOURCE[:NAMESPACE], e.g. list:pods:team-a (! in front to expect denial)", raw)
	}
	kr := usecase.KubeRequest{Verb: verb, Resource: rest}
	if !strings.HasPrefix(rest, "/") {
		if r, ns, ok := strings.Cut(rest, ":"); ok {
			if ns == "" || strings.Contains(ns, ":") {
				return ch, nil, usageErrorf("--check %q: write VERB:RESOURCE[:NAMESPACE]", raw)
			}
			kr.Resource, kr.Namespace = r, ns
		}
	}
	req, notes, err := kr.Parse()
	if err != nil {
		return ch, nil, usageErrorf("--check %q: %v", raw, err)
	}
	ch.Req = req
	return ch, notes, nil
}

// VerifyResult is what `eksaccess verify -o json` prints.
type VerifyResult struct {
	Cluster string `json:"cluster"`
	Server  string `json:"server,omitempty"`
	// Offline is set for --as-principal: the answers come from the access entry and
	// policies, not from the cluster.
	Offline   bool                `json:"offline"`
	Principal string              `json:"principal,omitempty"`
	User      VerifyUser          `json:"user"`
	Checks    []VerifyCheckResult `json:"checks"`
	Failed    int                 `json:"failed"`
}

// VerifyUser is who the cluster thinks the caller is.
type VerifyUser struct {
	Username string              `json:"username"`
	UID      string              `json:"uid,omitempty"`
	Groups   []string            `json:"groups,omitempty"`
	Extra    map[string][]string `json:"extra,omitempty"`
}

// VerifyCheckResult is one check's outcome.
type VerifyCheckResult struct {
	Check    string `json:"check"`
	Request  string `json:"request"`
	Expected string `json:"expected"` // yes | no
	Result   string `json:"result"`   // yes | no (live); can-i answers (offline)
	Reason   string `json:"reason,omitempty"`
	OK       bool   `json:"ok"`
}

func runVerify(ctx context.Context, o *verifyOptions) error {
	f := o.f
	format, err := f.Format()
	if err != nil {
		return err
	}
	cluster, err := o.ref.resolve(ctx, f)
	if err != nil {
		return err
	}
	var res *VerifyResult
	if o.asPrincipal != "" {
		res, err = verifyOffline(ctx, o, cluster)
	} else {
		res, err = verifyLive(ctx, o, cluster)
	}
	if err != nil {
		return err
	}
	for _, c := range res.Checks {
		if !c.OK {
			res.Failed++
		}
	}
	if format != output.Table {
		if err := output.Data(f.IO.Out, format, res); err != nil {
			return err
		}
	} else if err := printVerify(f, res); err != nil {
		return err
	}
	if res.Failed > 0 {
		if format == output.Table {
			fmt.Fprintf(f.IO.ErrOut, "%d of %d checks did not come out as expected\n", res.Failed, len(res.Checks))
		}
		return silentExit(ExitFailure)
	}
	return nil
}

func printVerify(f *Factory, res *VerifyResult) error {
	w := f.IO.Out
	if res.Offline {
		fmt.Fprintf(w, "Offline: nobody can get a token for another principal, so this is what EKS would decide from %s's access entry and access policies (as `eksaccess can-i`), not the cluster's answer.\n\n", res.Principal)
	}
	t := output.NewTable(w)
	if res.Server != "" {
		t.Row("Cluster:", res.Cluster+" ("+res.Server+")")
	} else {
		t.Row("Cluster:", res.Cluster)
	}
	if res.Offline {
		t.Row("Principal:", res.Principal)
	}
	t.Row("Username:", res.User.Username)
	if res.User.UID != "" {
		t.Row("UID:", res.User.UID)
	}
	t.Row("Groups:", strings.Join(res.User.Groups, ", "))
	keys := make([]string, 0, len(res.User.Extra))
	for k := range res.User.Extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "arn" || k == "sessionName" {
			t.Row("Extra "+k+":", strings.Join(res.User.Extra[k], ", "))
		}
	}
	if err := t.Flush(); err != nil {
		return err
	}
	if len(res.Checks) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	ct := output.NewTable(w, "CHECK", "EXPECTED", "RESULT", "REASON")
	for _, c := range res.Checks {
		result := c.Result
		if !c.OK {
			result += " (FAIL)"
		}
		ct.Row(c.Check, c.Expected, result, c.Reason)
	}
	return ct.Flush()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// verifyLive asks the cluster itself, with a token for the caller (or --role).
func verifyLive(ctx context.Context, o *verifyOptions, cluster string) (*VerifyResult, error) {
	f := o.f
	c, err := f.Clients(ctx)
	if err != nil {
		return nil, err
	}
	dc, err := c.EKS.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(cluster)})
	if err != nil {
		return nil, plan.ClusterError(cluster, err)
	}
	server, caData := "", ""
	if cl := dc.Cluster; cl != nil {
		server = aws.ToString(cl.Endpoint)
		if cl.CertificateAuthority != nil {
			caData = aws.ToString(cl.CertificateAuthority.Data)
		}
	}
	if server == "" {
		return nil, fmt.Errorf("cluster %s has no API endpoint yet: wait until it is ACTIVE and retry", cluster)
	}
	ca, err := base64.StdEncoding.DecodeString(strings.TrimSpace(caData))
	if err != nil {
		return nil, fmt.Errorf("cluster %s: certificate authority data is not base64: %w", cluster, err)
	}
	tok, err := clusterToken(ctx, f, cluster, o.role, o.sessionName)
	if err != nil {
		return nil, err
	}
	rc, err := kubeauth.RESTConfig(server, tok.Token, ca, "eksaccess/"+version(), f.Timeouts())
	if err != nil {
		return nil, fmt.Errorf("kubernetes client for %s: %w", server, err)
	}
	authn, err := authnclient.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client for %s: %w", server, err)
	}
	authz, err := authzclient.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client for %s: %w", server, err)
	}
	res := &VerifyResult{Cluster: cluster, Server: server, Checks: []VerifyCheckResult{}}
	ssr, err := authn.SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return nil, kubeAPIError(f, cluster, o.role, kubeauth.TimeoutError(server, err, f.Timeouts()))
	}
	ui := ssr.Status.UserInfo
	res.User = VerifyUser{Username: ui.Username, UID: ui.UID, Groups: ui.Groups}
	if len(ui.Extra) > 0 {
		res.User.Extra = map[string][]string{}
		for k, v := range ui.Extra {
			res.User.Extra[k] = []string(v)
		}
	}
	for _, ch := range o.checks {
		spec := authorizationv1.SelfSubjectAccessReviewSpec{}
		if ch.Req.NonResourceURL != "" {
			spec.NonResourceAttributes = &authorizationv1.NonResourceAttributes{Path: ch.Req.NonResourceURL, Verb: ch.Req.Verb}
		} else {
			spec.ResourceAttributes = &authorizationv1.ResourceAttributes{
				Namespace: ch.Req.Namespace, Verb: ch.Req.Verb, Group: ch.Req.APIGroup,
				Resource: ch.Req.Resource, Subresource: ch.Req.Subresource,
			}
		}
		ssar, err := authz.SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{Spec: spec}, metav1.CreateOptions{})
		if err != nil {
			return nil, kubeAPIError(f, cluster, o.role, kubeauth.TimeoutError(server, err, f.Timeouts()))
		}
		st := ssar.Status
		reason := st.Reason
		if st.EvaluationError != "" {
			reason = strings.TrimSpace(reason + " (evaluation error: " + st.EvaluationError + ")")
		}
		res.Checks = append(res.Checks, VerifyCheckResult{
			Check: ch.Raw, Request: usecase.DescribeRequest(ch.Req), Expected: yesNo(ch.Expect),
			Result: yesNo(st.Allowed), Reason: reason, OK: st.Allowed == ch.Expect,
		})
	}
	return res, nil
}

// kubeAPIError explains a failed call to the cluster's API.
func kubeAPIError(f *Factory, cluster, role string, err error) error {
	who := "you"
	if role != "" {
		who = "role " + role
	}
	switch {
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("cluster %s refused the token (Unauthorized): %s may have no access entry on it (see `eksaccess entries list -c %s`), or the entry is too new; grant access with `eksaccess grant`", cluster, who, cluster)
	case apierrors.IsForbidden(err):
		return fmt.Errorf("cluster %s forbade the review: %w: %s may lack the default system:basic-user role", cluster, err, who)
	}
	return fmt.Errorf("ask cluster %s: %w: check the network path to the cluster endpoint", cluster, err)
}

// verifyOffline evaluates the checks for another principal, as can-i does.
func verifyOffline(ctx context.Context, o *verifyOptions, cluster string) (*VerifyResult, error) {
	f := o.f
	reqs := make([]policy.Request, len(o.checks))
	for i, ch := range o.checks {
		reqs[i] = ch.Req
	}
	ev, err := f.Env().EvaluateOffline(ctx, usecase.ClusterRef{Name: cluster}, o.asPrincipal, reqs)
	if err != nil {
		return nil, err
	}
	arn := ev.PrincipalArn
	res := &VerifyResult{Cluster: cluster, Offline: true, Principal: arn, Checks: []VerifyCheckResult{}}
	// Who the cluster would see: the entry's username (templates such as {{SessionName}}
	// are filled in per session) and groups.
	if e := ev.Entry; e == nil {
		res.User = VerifyUser{Username: "(none: " + ev.NoEntry + ")"}
	} else {
		username := e.Username
		if username == "" {
			username = arn
		}
		res.User = VerifyUser{Username: username, Groups: append(append([]string(nil), e.KubernetesGroups...), "system:authenticated")}
	}
	for i, ch := range o.checks {
		d := ev.Decisions[i]
		res.Checks = append(res.Checks, VerifyCheckResult{
			Check: ch.Raw, Request: usecase.DescribeRequest(ch.Req), Expected: yesNo(ch.Expect), Result: d.Outcome.String(), Reason: d.Reason,
			// Unknown and depends-on-rbac confirm neither expectation.
			OK: (ch.Expect && d.Outcome == policy.Allowed) || (!ch.Expect && d.Outcome == policy.Denied),
		})
	}
	return res, nil
}
