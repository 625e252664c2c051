package kube

import (
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"

	"eksaccess/internal/policy"
	"eksaccess/internal/sandbox/state"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
)

// maxBody bounds review request bodies (real ones are a few hundred bytes).
const maxBody = 1 << 20

var (
	scheme = runtime.NewScheme()
	codecs serializer.CodecFactory
)

func init() {
	if err := authenticationv1.AddToScheme(scheme); err != nil {
		panic(err)
	}
	if err := authorizationv1.AddToScheme(scheme); err != nil {
		panic(err)
	}
	codecs = serializer.NewCodecFactory(scheme)
}

// Media types a review body may come in: kubectl ≤ 1.31 sends JSON, 1.32+ protobuf (§8.3).
var decodable = map[string]bool{
	"application/json":                    true,
	"application/vnd.kubernetes.protobuf": true,
	"application/yaml":                    true,
}

// decodeBody reads the request body into into, whatever supported encoding it has; a JSON
// body without kind/apiVersion is read as gvk. It writes the error answer and returns false
// when it cannot.
func decodeBody(w http.ResponseWriter, r *http.Request, gvk schema.GroupVersionKind, into runtime.Object) bool {
	if r.Method != http.MethodPost {
		writeStatus(w, http.StatusMethodNotAllowed, metav1.StatusReasonMethodNotAllowed, "the server does not allow this method on the requested resource")
		return false
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !decodable[mt] {
		writeStatus(w, http.StatusUnsupportedMediaType, metav1.StatusReasonUnsupportedMediaType,
			"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf")
		return false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		writeStatus(w, http.StatusBadRequest, metav1.StatusReasonBadRequest, "the request body could not be read")
		return false
	}
	var dec runtime.Decoder = codecs.UniversalDeserializer()
	if info, ok := runtime.SerializerInfoForMediaType(codecs.SupportedMediaTypes(), mt); ok {
		dec = info.Serializer
	}
	obj, got, err := dec.Decode(body, &gvk, into)
	if err != nil {
		writeStatus(w, http.StatusBadRequest, metav1.StatusReasonBadRequest, "the request body is not a "+gvk.Kind+": "+err.Error())
		return false
	}
	if *got != gvk || obj != into {
		writeStatus(w, http.StatusBadRequest, metav1.StatusReasonBadRequest, "the request body is a "+got.Kind+" ("+got.GroupVersion().String()+"), not a "+gvk.Kind+" ("+gvk.GroupVersion().String()+")")
		return false
	}
	return true
}

// writeObject answers 201 with obj as JSON (every kubectl accepts JSON answers, §8.4).
func writeObject(w http.ResponseWriter, gv schema.GroupVersion, obj runtime.Object) {
	b, err := runtime.Encode(codecs.LegacyCodec(gv), obj)
	if err != nil {
		writeStatus(w, http.StatusInternalServerError, metav1.StatusReasonInternalError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	w.Write(b)
}

func (h *handler) selfSubjectReview(w http.ResponseWriter, r *http.Request, id *Identity) {
	state.SetOperation(r.Context(), "SelfSubjectReview", false)
	var ssr authenticationv1.SelfSubjectReview
	if !decodeBody(w, r, authenticationv1.SchemeGroupVersion.WithKind("SelfSubjectReview"), &ssr) {
		return
	}
	extra := map[string]authenticationv1.ExtraValue{}
	for k, v := range id.Extra {
		extra[k] = authenticationv1.ExtraValue(v)
	}
	ssr.Status.UserInfo = authenticationv1.UserInfo{
		Username: id.Username,
		UID:      id.UID,
		Groups:   append([]string(nil), id.Groups...),
		Extra:    extra,
	}
	writeObject(w, authenticationv1.SchemeGroupVersion, &ssr)
}

func (h *handler) selfSubjectAccessReview(w http.ResponseWriter, r *http.Request, id *Identity) {
	state.SetOperation(r.Context(), "SelfSubjectAccessReview", false)
	var ssar authorizationv1.SelfSubjectAccessReview
	if !decodeBody(w, r, authorizationv1.SchemeGroupVersion.WithKind("SelfSubjectAccessReview"), &ssar) {
		return
	}
	ra, nra := ssar.Spec.ResourceAttributes, ssar.Spec.NonResourceAttributes
	if (ra == nil) == (nra == nil) {
		writeStatus(w, http.StatusUnprocessableEntity, metav1.StatusReasonInvalid,
			"SelfSubjectAccessReview.authorization.k8s.io is invalid: spec: exactly one of nonResourceAttributes or resourceAttributes must be specified")
		return
	}
	var req policy.Request
	if ra != nil {
		req = policy.Request{Verb: ra.Verb, APIGroup: ra.Group, Resource: ra.Resource, Subresource: ra.Subresource, Name: ra.Name, Namespace: ra.Namespace}
	} else {
		req = policy.Request{Verb: nra.Verb, NonResourceURL: nra.Path}
	}
	d := policy.Evaluate(id.Entry, req)
	// A denial carries no reason, as from RBAC and EKS's webhook, so kubectl prints a bare
	// "no" (`eksaccess can-i` says why). An allowance says what allowed it (kubectl does not
	// print it; `eksaccess verify` does), as the real mode's webhook does.
	ssar.Status = authorizationv1.SubjectAccessReviewStatus{Allowed: d.Outcome == policy.Allowed}
	if ssar.Status.Allowed {
		ssar.Status.Reason = strings.TrimSpace(d.Reason)
	}
	writeObject(w, authorizationv1.SchemeGroupVersion, &ssar)
}

// Rules of the ClusterRoles Kubernetes binds by default (bootstrap policy): system:basic-user
// and system:discovery/system:public-info-viewer to system:authenticated, cluster-admin to
// system:masters.
var (
	basicUserRules = []authorizationv1.ResourceRule{
		{Verbs: []string{"create"}, APIGroups: []string{"authorization.k8s.io"}, Resources: []string{"selfsubjectaccessreviews", "selfsubjectrulesreviews"}},
		{Verbs: []string{"create"}, APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"selfsubjectreviews"}},
	}
	discoveryRules = []authorizationv1.NonResourceRule{
		{Verbs: []string{"get"}, NonResourceURLs: []string{"/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"}},
		{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz", "/livez", "/readyz", "/version", "/version/"}},
	}
	clusterAdminRules    = []authorizationv1.ResourceRule{{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}}
	clusterAdminNonRules = []authorizationv1.NonResourceRule{{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}}}
)

// webhookRulesError is what an API server with a Webhook authoriser (EKS's access policies)
// says in every SelfSubjectRulesReview: the list holds RBAC's rules only.
const webhookRulesError = "webhook authorizer does not support user rule resolution"

// selfSubjectRulesReview answers `kubectl auth can-i --list` as EKS does: the RBAC rules of
// the caller's groups (the default roles; cluster-admin for system:masters), marked
// incomplete because the access policies behind the webhook are not listed.
func (h *handler) selfSubjectRulesReview(w http.ResponseWriter, r *http.Request, id *Identity) {
	state.SetOperation(r.Context(), "SelfSubjectRulesReview", false)
	var ssrr authorizationv1.SelfSubjectRulesReview
	if !decodeBody(w, r, authorizationv1.SchemeGroupVersion.WithKind("SelfSubjectRulesReview"), &ssrr) {
		return
	}
	if ssrr.Spec.Namespace == "" {
		writeStatus(w, http.StatusBadRequest, metav1.StatusReasonBadRequest, "no namespace on request")
		return
	}
	st := authorizationv1.SubjectRulesReviewStatus{Incomplete: true, EvaluationError: webhookRulesError}
	if slices.Contains(id.Groups, "system:masters") {
		st.ResourceRules = append(st.ResourceRules, clusterAdminRules...)
		st.NonResourceRules = append(st.NonResourceRules, clusterAdminNonRules...)
	}
	if slices.Contains(id.Groups, "system:authenticated") {
		st.ResourceRules = append(st.ResourceRules, basicUserRules...)
		st.NonResourceRules = append(st.NonResourceRules, discoveryRules...)
	}
	ssrr.Status = st
	writeObject(w, authorizationv1.SchemeGroupVersion, &ssrr)
}
