// Package kube serves the sandbox's Kubernetes API endpoints, one per EKS cluster, enough
// for `kubectl auth whoami` and `kubectl auth can-i` to show what a grant really allows:
// /version, legacy discovery, SelfSubjectReview and SelfSubjectAccessReview. Callers
// authenticate with EKS bearer tokens (k8s-aws-v1.…) signed with the sandbox's keys; they
// are mapped to their access entries (or aws-auth mappings) and authorised with the same
// evaluator as `eksaccess can-i`. Facts: shared/reference/aws-wire.md §7 and §8.
package kube

import (
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strings"
	"time"

	"eksaccess/internal/kubeauth"
	"eksaccess/internal/policy"
	"eksaccess/internal/sandbox/state"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/version"
)

// PathPrefix starts every cluster's endpoint path: https://HOST:PORT/k8s/{ref}, where ref
// is the cluster's name for the primary account's clusters and NAME.ACCOUNT for another
// account's (state.Data.ClusterRef); a bare name not in the primary account is looked up in
// the others.
const PathPrefix = "/k8s/"

// AuthErrorHeader carries, on 401 answers, why the token was refused (never the token).
const AuthErrorHeader = "X-Eksaccess-Auth-Error"

// defaultMinor is the Kubernetes minor version served when a cluster's own is unusable; it
// decides which kubectl the gcloud dispatcher at /usr/bin/kubectl runs (aws-wire.md §8.1).
const defaultMinor = "32"

type handler struct{ state.Service }

// New returns the handler for every cluster's Kubernetes endpoint; a cluster's
// endpoint is https://HOST:PORT/k8s/{cluster}. It also answers GET /version at the root.
func New(st *state.Store, cfg state.Config) http.Handler {
	return &handler{state.NewService(st, cfg)}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/version" || r.URL.Path == "/version/" {
		state.SetOperation(r.Context(), "GetVersion", false)
		writeJSON(w, http.StatusOK, versionInfo(defaultMinor))
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, PathPrefix)
	if !ok {
		writeStatus(w, http.StatusNotFound, metav1.StatusReasonNotFound, "the server could not find the requested resource")
		return
	}
	cluster, sub, _ := strings.Cut(rest, "/")
	sub = "/" + sub

	var (
		clusterVersion string
		found          bool
	)
	h.Store.Read(func(d *state.Data) error {
		if _, c := d.FindCluster(cluster); c != nil {
			found, clusterVersion = true, c.Version
		}
		return nil
	})
	if !found || cluster == "" {
		writeStatus(w, http.StatusNotFound, metav1.StatusReasonNotFound, "no cluster named "+cluster+" in the sandbox")
		return
	}

	id, authErr := h.authenticate(r, cluster)
	if authErr != nil {
		public := sub == "/version" || sub == "/healthz" || sub == "/livez" || sub == "/readyz"
		if !(errors.Is(authErr, errNoToken) && public) {
			state.SetOperation(r.Context(), "Unauthorized", false)
			w.Header().Set(AuthErrorHeader, authErr.Error())
			writeStatus(w, http.StatusUnauthorized, metav1.StatusReasonUnauthorized, "Unauthorized")
			return
		}
	}

	if id != nil {
		var ok bool
		if id, ok = h.impersonate(w, r, id); !ok {
			return
		}
	}

	switch {
	case sub == "/version" || sub == "/version/":
		state.SetOperation(r.Context(), "GetVersion", false)
		writeJSON(w, http.StatusOK, versionInfo(minorOf(clusterVersion)))
	case sub == "/healthz" || sub == "/livez" || sub == "/readyz":
		state.SetOperation(r.Context(), "Health", false)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok"))
	case sub == "/apis/authentication.k8s.io/v1/selfsubjectreviews":
		h.selfSubjectReview(w, r, id)
	case sub == "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews":
		h.selfSubjectAccessReview(w, r, id)
	case sub == "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews":
		h.selfSubjectRulesReview(w, r, id)
	case sub == awsAuthPath:
		h.getAwsAuth(w, r, cluster, id)
	default:
		if doc, ok := discovery(sub, r.Host); ok {
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				writeStatus(w, http.StatusMethodNotAllowed, metav1.StatusReasonMethodNotAllowed, "the server does not allow this method on the requested resource")
				return
			}
			state.SetOperation(r.Context(), "Discovery", false)
			w.Header().Set("Content-Type", "application/json")
			w.Write(doc)
			return
		}
		h.resourceRequest(w, r, sub, id)
	}
}

// minorOf turns a cluster version such as "1.31" into its minor, falling back to 32.
func minorOf(v string) string {
	major, minor, ok := strings.Cut(v, ".")
	if !ok || major != "1" || minor == "" || strings.Trim(minor, "0123456789") != "" {
		return defaultMinor
	}
	return minor
}

func versionInfo(minor string) version.Info {
	return version.Info{
		Major:        "1",
		Minor:        minor,
		GitVersion:   "v1." + minor + ".0-eks-sandbox",
		GitTreeState: "clean",
		BuildDate:    "2026-01-01T00:00:00Z",
		GoVersion:    "go1.26",
		Compiler:     "gc",
		Platform:     "linux/amd64",
	}
}

// Identity is who the cluster thinks the caller is, and what its access policies allow.
type Identity struct {
	Username string
	UID      string
	Groups   []string
	Extra    map[string][]string
	// Entry is the access entry as the policy evaluator reads it (for an aws-auth mapping:
	// its groups and no access policies).
	Entry policy.Entry
	// ViaEntry: the caller was mapped by an access entry, so its access policies apply
	// (through the authorization webhook in the real mode); false for aws-auth mappings.
	ViaEntry bool
}

var errNoToken = errors.New("no bearer token")

// AwsAuthSource returns the data of a cluster's kube-system/aws-auth ConfigMap (nil when
// there is none). The builtin mode reads the copy in the sandbox state; the real mode reads
// the ConfigMap stored in the cluster's API server.
type AwsAuthSource func() (map[string]string, error)

// authenticate verifies the request's bearer token for cluster.
func (h *handler) authenticate(r *http.Request, cluster string) (*Identity, error) {
	authz := r.Header.Get("Authorization")
	if authz == "" {
		return nil, errNoToken
	}
	scheme, tok, _ := strings.Cut(authz, " ")
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return nil, errors.New("authorization is not a bearer token")
	}
	return Authenticate(h.Store, h.Config.Now(), strings.TrimSpace(tok), cluster, nil)
}

// Authenticate verifies an EKS bearer token (k8s-aws-v1.…) for the cluster ref names (see
// PathPrefix) and maps its signer to an access entry of that cluster (API and
// API_AND_CONFIG_MAP modes) or an aws-auth mapping (CONFIG_MAP modes), as EKS does: a
// principal of any account is known to a cluster only through the cluster's own entries
// and mappings. awsAuth nil reads the aws-auth data kept in the sandbox state.
func Authenticate(st *state.Store, now time.Time, tok, ref string, awsAuth AwsAuthSource) (*Identity, error) {
	var (
		id        *Identity
		cred      state.Credential
		partition string
		mode      string
		stateAuth map[string]string
	)
	cluster := ref
	err := st.Read(func(d *state.Data) error {
		acct, c := d.FindCluster(ref)
		if c == nil {
			return errors.New("cluster " + ref + " is gone")
		}
		cluster = c.Name
		expired := false
		_, err := kubeauth.Verify(tok, c.Name, now, func(akid string) (string, string, bool) {
			c, ok, exp := d.LookupCredential(akid, now)
			cred, expired = c, exp
			return c.SecretAccessKey, c.SessionToken, ok
		})
		if err != nil {
			if expired {
				return errors.New("the credentials that signed the token have expired: assume the role again")
			}
			return err
		}
		partition, mode = acct.Partition, strings.ToUpper(c.AuthenticationMode)
		if mode != "CONFIG_MAP" {
			if e := findEntry(c, cred.Caller.PrincipalArn); e != nil {
				// EKS binds an entry to the unique id its principal had when the entry was
				// created: a role or user deleted and re-created under the same ARN has a new
				// id and this entry no longer maps it (the entry must be re-created).
				if uid, _, _ := strings.Cut(cred.Caller.UserID, ":"); e.PrincipalID != "" && uid != e.PrincipalID {
					return errors.New(cred.Caller.PrincipalArn + " was re-created after its access entry on cluster " + cluster + " (the entry is bound to the principal's previous unique id): re-create the entry")
				}
				username := e.Username
				if username == "" {
					username = defaultUsername(partition, cred.Caller)
				}
				id = newIdentity(username, e.KubernetesGroups, toPolicyEntry(e), cred)
				id.ViaEntry = true
				return nil
			}
		}
		if len(c.AwsAuth) > 0 {
			stateAuth = make(map[string]string, len(c.AwsAuth))
			for k, v := range c.AwsAuth {
				stateAuth[k] = v
			}
		}
		return nil
	})
	if err != nil || id != nil {
		return id, err
	}
	if mode != "API" {
		data := stateAuth
		if awsAuth != nil {
			if data, err = awsAuth(); err != nil {
				return nil, errors.New("read the aws-auth ConfigMap: " + err.Error())
			}
		}
		if m, ok := awsAuthLookup(data, cred.Caller.PrincipalArn, cred.Caller.Session); ok {
			username := m.Username
			if username == "" {
				username = defaultUsername(partition, cred.Caller)
			}
			return newIdentity(username, m.Groups, policy.Entry{PrincipalArn: cred.Caller.PrincipalArn, Type: "STANDARD", Groups: m.Groups}, cred), nil
		}
	}
	return nil, errors.New(cred.Caller.PrincipalArn + " has no access entry on cluster " + cluster)
}

// newIdentity builds the user Kubernetes sees, with the extra fields aws-iam-authenticator sets.
func newIdentity(username string, groups []string, entry policy.Entry, cred state.Credential) *Identity {
	caller := cred.Caller
	username = expandUsername(username, caller)
	entry.Username = username
	userID, _, _ := strings.Cut(caller.UserID, ":")
	id := &Identity{
		Username: username,
		UID:      "aws-iam-authenticator:" + caller.Account + ":" + userID,
		Groups:   append(append([]string(nil), groups...), "system:authenticated"),
		Extra: map[string][]string{
			"accessKeyId":  {cred.AccessKeyID},
			"arn":          {caller.Arn},
			"canonicalArn": {caller.PrincipalArn},
			"principalId":  {userID},
		},
		Entry: entry,
	}
	if caller.SessionName != "" {
		id.Extra["sessionName"] = []string{caller.SessionName}
	}
	return id
}

func findEntry(c *state.Cluster, principal string) *state.AccessEntry {
	if e, ok := c.Entries[principal]; ok {
		return e
	}
	for k, e := range c.Entries {
		if strings.EqualFold(k, principal) {
			return e
		}
	}
	return nil
}

// defaultUsername is what EKS assigns when an entry has no username: the user ARN, or for
// a role arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/{{SessionName}}.
func defaultUsername(partition string, caller state.Caller) string {
	if !caller.Session {
		return caller.PrincipalArn
	}
	return "arn:" + partition + ":sts::" + caller.Account + ":assumed-role/" + caller.RoleName + "/{{SessionName}}"
}

// expandUsername fills the username template variables EKS (aws-iam-authenticator) knows:
// {{AccountID}}, {{SessionName}} (with '@' replaced by '-'), {{SessionNameRaw}} and
// {{AccessKeyID}}. Node variables ({{EC2PrivateDNSName}}, …) are left as they are.
func expandUsername(tmpl string, caller state.Caller) string {
	return strings.NewReplacer(
		"{{AccountID}}", caller.Account,
		"{{SessionNameRaw}}", caller.SessionName,
		"{{SessionName}}", strings.ReplaceAll(caller.SessionName, "@", "-"),
		"{{AccessKeyID}}", caller.AccessKeyID,
	).Replace(tmpl)
}

func toPolicyEntry(e *state.AccessEntry) policy.Entry {
	pe := policy.Entry{PrincipalArn: e.PrincipalArn, Type: e.Type, Username: e.Username, Groups: append([]string(nil), e.KubernetesGroups...)}
	arns := make([]string, 0, len(e.Policies))
	for arn := range e.Policies {
		arns = append(arns, arn)
	}
	sort.Strings(arns)
	for _, arn := range arns {
		p := e.Policies[arn]
		pe.Associations = append(pe.Associations, policy.Association{PolicyArn: p.PolicyArn, ScopeType: p.ScopeType, Namespaces: append([]string(nil), p.Namespaces...)})
	}
	return pe
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeStatus(w, http.StatusInternalServerError, metav1.StatusReasonInternalError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(b)
}

// writeStatus answers with a Kubernetes Status object, which kubectl prints as
// "Error from server (Reason): message".
func writeStatus(w http.ResponseWriter, code int, reason metav1.StatusReason, msg string) {
	s := metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure,
		Message:  msg,
		Reason:   reason,
		Code:     int32(code),
	}
	b, _ := json.Marshal(s)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(b)
}

// AccessEntry returns the access entry of principal on the cluster ref names (see
// PathPrefix) as the policy evaluator reads it; false when there is none, or when the
// cluster's mode ignores access entries.
func AccessEntry(st *state.Store, ref, principal string) (policy.Entry, bool) {
	var (
		pe policy.Entry
		ok bool
	)
	st.Read(func(d *state.Data) error {
		_, c := d.FindCluster(ref)
		if c == nil || strings.EqualFold(c.AuthenticationMode, "CONFIG_MAP") {
			return nil
		}
		if e := findEntry(c, principal); e != nil {
			pe, ok = toPolicyEntry(e), true
		}
		return nil
	})
	return pe, ok
}

// PolicyAllows reports whether an access policy of entry (not a Kubernetes default role,
// not a group) grants r — what EKS's authorization webhook answers yes to — and which.
func PolicyAllows(entry policy.Entry, r policy.Request) (bool, string) {
	entry.Groups = nil
	var parts []string
	for _, g := range policy.Evaluate(entry, r).GrantedBy {
		if !g.Builtin {
			parts = append(parts, g.String())
		}
	}
	if len(parts) == 0 {
		return false, ""
	}
	return true, "allowed by " + strings.Join(parts, "; ")
}
