package usecase

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	authnclient "k8s.io/client-go/kubernetes/typed/authentication/v1"
	authzclient "k8s.io/client-go/kubernetes/typed/authorization/v1"

	"eksaccess/internal/awsapi"
	"eksaccess/internal/kubeauth"
	"eksaccess/internal/policy"
)

// KubeAPI is the part of a cluster's Kubernetes API verify asks: who am I, may I.
type KubeAPI interface {
	SelfSubjectReview(ctx context.Context) (authenticationv1.UserInfo, error)
	SelfSubjectAccessReview(ctx context.Context, spec authorizationv1.SelfSubjectAccessReviewSpec) (authorizationv1.SubjectAccessReviewStatus, error)
}

// ClientGoKube connects to a cluster's Kubernetes API with client-go, every request bounded
// by t; a timed-out request names the endpoint and the flag.
func ClientGoKube(userAgent string, t awsapi.Timeouts) func(server, token string, caPEM []byte) (KubeAPI, error) {
	return func(server, token string, caPEM []byte) (KubeAPI, error) {
		rc, err := kubeauth.RESTConfig(server, token, caPEM, userAgent, t)
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
		return &clientGoKube{server: server, t: t, authn: authn, authz: authz}, nil
	}
}

type clientGoKube struct {
	server string
	t      awsapi.Timeouts
	authn  authnclient.AuthenticationV1Interface
	authz  authzclient.AuthorizationV1Interface
}

func (k *clientGoKube) SelfSubjectReview(ctx context.Context) (authenticationv1.UserInfo, error) {
	ssr, err := k.authn.SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return authenticationv1.UserInfo{}, kubeauth.TimeoutError(k.server, err, k.t)
	}
	return ssr.Status.UserInfo, nil
}

func (k *clientGoKube) SelfSubjectAccessReview(ctx context.Context, spec authorizationv1.SelfSubjectAccessReviewSpec) (authorizationv1.SubjectAccessReviewStatus, error) {
	ssar, err := k.authz.SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{Spec: spec}, metav1.CreateOptions{})
	if err != nil {
		return authorizationv1.SubjectAccessReviewStatus{}, kubeauth.TimeoutError(k.server, err, k.t)
	}
	return ssar.Status, nil
}

// VerifyRequest checks, live through the cluster's own API (as the caller, or as Role), or
// offline for AsPrincipal, who the cluster sees and whether each check comes out as expected.
type VerifyRequest struct {
	Cluster     ClusterRef `json:"cluster"`
	As          AsRole     `json:"as,omitempty"`
	AsPrincipal string     `json:"asPrincipal,omitempty"`
	// Checks are [!]VERB:RESOURCE[:NAMESPACE] (see ParseCheck).
	Checks []string `json:"checks,omitempty"`
}

// Validate checks the request offline and returns the notes of the checks.
func (r *VerifyRequest) Validate() ([]string, error) {
	if err := r.Cluster.check(); err != nil {
		return nil, err
	}
	if err := r.As.Validate(); err != nil {
		return nil, err
	}
	if r.AsPrincipal != "" && r.As.Role != "" {
		return nil, inputErrorf("--as-principal and --role both say whom to check: give one")
	}
	var notes []string
	for _, raw := range r.Checks {
		_, n, err := ParseCheck(raw)
		if err != nil {
			return nil, err
		}
		notes = append(notes, n...)
	}
	return notes, nil
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
	// Disagreements counts live checks whose offline answer the cluster contradicts.
	Disagreements int `json:"disagreements,omitempty"`
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
	// Offline is can-i's offline answer (access policies alone) for the same principal, on
	// a live check; Disagrees marks a yes or no that the cluster contradicts.
	Offline   string `json:"offline,omitempty"`
	Disagrees bool   `json:"disagrees,omitempty"`
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// Verify asks the cluster (or, for AsPrincipal, the offline evaluator) and counts the checks
// that did not come out as expected.
func (e *Env) Verify(ctx context.Context, r VerifyRequest) (*VerifyResult, error) {
	if _, err := r.Validate(); err != nil {
		return nil, err
	}
	checks := make([]Check, len(r.Checks))
	for i, raw := range r.Checks {
		checks[i], _, _ = ParseCheck(raw)
	}
	var res *VerifyResult
	var err error
	if r.AsPrincipal != "" {
		res, err = e.verifyOffline(ctx, r, checks)
	} else {
		res, err = e.verifyLive(ctx, r, checks)
	}
	if err != nil {
		return nil, err
	}
	for _, c := range res.Checks {
		if !c.OK {
			res.Failed++
		}
	}
	return res, nil
}

// verifyLive asks the cluster itself, with a token for the caller (or the role).
func (e *Env) verifyLive(ctx context.Context, r VerifyRequest, checks []Check) (*VerifyResult, error) {
	c, info, err := e.clusterEndpoint(ctx, r.Cluster)
	if err != nil {
		return nil, err
	}
	cluster, server := info.Name, info.Endpoint
	ca, err := base64.StdEncoding.DecodeString(strings.TrimSpace(info.CAData))
	if err != nil {
		return nil, fmt.Errorf("cluster %s: certificate authority data is not base64: %w", cluster, err)
	}
	tok, err := e.clusterToken(ctx, c, cluster, r.As)
	if err != nil {
		return nil, err
	}
	kube, err := e.Kube(server, tok.Token, ca)
	if err != nil {
		return nil, err
	}
	res := &VerifyResult{Cluster: cluster, Server: server, Checks: []VerifyCheckResult{}}
	ui, err := kube.SelfSubjectReview(ctx)
	if err != nil {
		return nil, kubeAPIError(cluster, r.As.Role, err)
	}
	res.User = VerifyUser{Username: ui.Username, UID: ui.UID, Groups: ui.Groups}
	if len(ui.Extra) > 0 {
		res.User.Extra = map[string][]string{}
		for k, v := range ui.Extra {
			res.User.Extra[k] = []string(v)
		}
	}
	for _, ch := range checks {
		spec := authorizationv1.SelfSubjectAccessReviewSpec{}
		if ch.Req.NonResourceURL != "" {
			spec.NonResourceAttributes = &authorizationv1.NonResourceAttributes{Path: ch.Req.NonResourceURL, Verb: ch.Req.Verb}
		} else {
			spec.ResourceAttributes = &authorizationv1.ResourceAttributes{
				Namespace: ch.Req.Namespace, Verb: ch.Req.Verb, Group: ch.Req.APIGroup,
				Resource: ch.Req.Resource, Subresource: ch.Req.Subresource,
			}
		}
		st, err := kube.SelfSubjectAccessReview(ctx, spec)
		if err != nil {
			return nil, kubeAPIError(cluster, r.As.Role, err)
		}
		reason := st.Reason
		if st.EvaluationError != "" {
			reason = strings.TrimSpace(reason + " (evaluation error: " + st.EvaluationError + ")")
		}
		res.Checks = append(res.Checks, VerifyCheckResult{
			Check: ch.Raw, Request: DescribeRequest(ch.Req), Expected: yesNo(ch.Expect),
			Result: yesNo(st.Allowed), Reason: reason, OK: st.Allowed == ch.Expect,
		})
	}
	e.compareOffline(ctx, r, checks, res)
	return res, nil
}

// compareOffline puts can-i's offline answer beside each live one and marks where they
// disagree: what access policies alone would say against what the cluster decided.
func (e *Env) compareOffline(ctx context.Context, r VerifyRequest, checks []Check, res *VerifyResult) {
	if len(checks) == 0 {
		return
	}
	who := ""
	if r.As.Role != "" {
		who = "role/" + r.As.Role
	} else if caller, err := e.Caller(ctx); err == nil {
		who = caller.PrincipalArn
	}
	if who == "" {
		return
	}
	reqs := make([]policy.Request, len(checks))
	for i, ch := range checks {
		reqs[i] = ch.Req
	}
	ev, err := e.EvaluateOffline(ctx, r.Cluster, who, reqs)
	if err != nil {
		e.logf("verify: no offline answer to compare (%v)", err)
		return
	}
	for i := range res.Checks {
		off := ev.Decisions[i].Outcome
		res.Checks[i].Offline = off.String()
		if (off == policy.Allowed || off == policy.Denied) && (off == policy.Allowed) != (res.Checks[i].Result == "yes") {
			res.Checks[i].Disagrees = true
			res.Disagreements++
		}
	}
}

// kubeAPIError explains a failed call to the cluster's API.
func kubeAPIError(cluster, role string, err error) error {
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
func (e *Env) verifyOffline(ctx context.Context, r VerifyRequest, checks []Check) (*VerifyResult, error) {
	reqs := make([]policy.Request, len(checks))
	for i, ch := range checks {
		reqs[i] = ch.Req
	}
	ev, err := e.EvaluateOffline(ctx, r.Cluster, r.AsPrincipal, reqs)
	if err != nil {
		return nil, err
	}
	res := &VerifyResult{Cluster: ev.Cluster, Offline: true, Principal: ev.PrincipalArn, Checks: []VerifyCheckResult{}}
	// Who the cluster would see: the entry's username (templates such as {{SessionName}}
	// are filled in per session) and groups.
	if le := ev.Entry; le == nil {
		res.User = VerifyUser{Username: "(none: " + ev.NoEntry + ")"}
	} else {
		username := le.Username
		if username == "" {
			username = ev.PrincipalArn
		}
		res.User = VerifyUser{Username: username, Groups: append(append([]string(nil), le.KubernetesGroups...), "system:authenticated")}
	}
	for i, ch := range checks {
		d := ev.Decisions[i]
		res.Checks = append(res.Checks, VerifyCheckResult{
			Check: ch.Raw, Request: DescribeRequest(ch.Req), Expected: yesNo(ch.Expect), Result: d.Outcome.String(), Reason: d.Reason,
			// Unknown and depends-on-rbac confirm neither expectation.
			OK: (ch.Expect && d.Outcome == policy.Allowed) || (!ch.Expect && d.Outcome == policy.Denied),
		})
	}
	return res, nil
}
