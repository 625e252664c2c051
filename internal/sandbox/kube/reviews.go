package kube

import (
	"io"
	"mime"
	"net/http"
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
	ssar.Status = authorizationv1.SubjectAccessReviewStatus{Allowed: d.Outcome == policy.Allowed, Reason: reviewReason(d)}
	writeObject(w, authorizationv1.SchemeGroupVersion, &ssar)
}

// reviewReason is the SSAR reason kubectl prints after "no - ".
func reviewReason(d policy.Decision) string {
	switch d.Outcome {
	case policy.DependsOnRBAC:
		return d.Reason + "; the sandbox has no RBAC, so it answers no"
	case policy.Unknown:
		return d.Reason + "; the sandbox answers no"
	}
	return strings.TrimSpace(d.Reason)
}
