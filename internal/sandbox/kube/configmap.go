package kube

import (
	"net/http"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stypes "k8s.io/apimachinery/pkg/types"

	"eksaccess/internal/policy"
	"eksaccess/internal/sandbox/state"
)

// awsAuthPath is the one ConfigMap the sandbox serves: enough for
// `eksaccess migrate aws-auth` and `kubectl get configmap aws-auth -n kube-system`.
const awsAuthPath = "/api/v1/namespaces/kube-system/configmaps/aws-auth"

// getAwsAuth answers GET of the aws-auth ConfigMap, authorised like every other request
// (get configmaps in kube-system through the caller's access policies); 404 when the
// cluster has no aws-auth data, as on a cluster created in API mode.
func (h *handler) getAwsAuth(w http.ResponseWriter, r *http.Request, cluster string, id *Identity) {
	state.SetOperation(r.Context(), "GetConfigMap", false)
	if r.Method != http.MethodGet {
		writeStatus(w, http.StatusMethodNotAllowed, metav1.StatusReasonMethodNotAllowed, "the sandbox serves the aws-auth ConfigMap read-only")
		return
	}
	d := policy.Evaluate(id.Entry, policy.Request{Verb: "get", Resource: "configmaps", Namespace: "kube-system", Name: "aws-auth"})
	if d.Outcome != policy.Allowed {
		writeStatus(w, http.StatusForbidden, metav1.StatusReasonForbidden,
			`configmaps "aws-auth" is forbidden: User "`+id.Username+`" cannot get resource "configmaps" in API group "" in the namespace "kube-system"`)
		return
	}
	var data map[string]string
	var uid string
	h.Store.Read(func(dd *state.Data) error {
		if _, c := dd.FindCluster(cluster); c != nil && len(c.AwsAuth) > 0 {
			data = make(map[string]string, len(c.AwsAuth))
			for k, v := range c.AwsAuth {
				data[k] = v
			}
			uid = c.ID
		}
		return nil
	})
	if data == nil {
		writeStatus(w, http.StatusNotFound, metav1.StatusReasonNotFound, `configmaps "aws-auth" not found`)
		return
	}
	cm := corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{Kind: "ConfigMap", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{Name: "aws-auth", Namespace: "kube-system", UID: k8stypes.UID("aws-auth-" + uid)},
		Data:       data,
	}
	writeJSON(w, http.StatusOK, cm)
}
