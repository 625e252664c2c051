package eks

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"eksaccess/internal/sandbox/iam/authz"
	"eksaccess/internal/sandbox/state"
)

// The EKS condition keys the sandbox sets, as the Service Authorization Reference lists them
// for the access-entry actions (eks:accessEntryType, eks:clusterName, eks:kubernetesGroups,
// eks:principalArn, eks:username; eks:policyArn, eks:accessScope, eks:namespaces on
// AssociateAccessPolicy) and for CreateCluster / UpdateClusterConfig (eks:authenticationMode,
// eks:bootstrapClusterCreatorAdminPermissions, eks:kubernetesVersion).

// authorize evaluates the caller's identity policies for the operation of route rt (when
// enforcement is on). It reads the JSON body for the condition keys and puts it back.
func (s *service) authorize(ctx context.Context, r *http.Request, rt *route, labels []string) error {
	if !s.Config.EnforceIAM {
		return nil
	}
	var body map[string]any
	if r.Body != nil {
		b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			return errf(http.StatusBadRequest, "BadRequestException", "could not read the request body: %v", err)
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		if len(bytes.TrimSpace(b)) > 0 {
			json.Unmarshal(b, &body) // a malformed body is the handler's to refuse
		}
	}
	c := state.CallerFrom(ctx)
	var den *authz.Denial
	s.Store.Read(func(root *state.Data) error {
		d := state.AccountData(ctx, root)
		now := s.Now()
		check := func(req authz.Request) bool {
			den = authz.Check(root, c, now, req)
			return den == nil
		}
		req := s.eksRequest(d, rt.op, labels, body)
		if !check(req) {
			return nil
		}
		// Operations that set tags need eks:TagResource as well, and CreateCluster
		// iam:PassRole on the cluster role (the Service Authorization Reference's
		// dependent actions).
		if (rt.op == "CreateAccessEntry" || rt.op == "CreateCluster") && len(req.RequestTags) > 0 {
			if !check(authz.Request{Action: "eks:TagResource", Resource: req.Resource, RequestTags: req.RequestTags, ResourceTags: req.ResourceTags}) {
				return nil
			}
		}
		if rt.op == "CreateCluster" {
			if roleArn, _ := body["roleArn"].(string); roleArn != "" {
				check(authz.Request{Action: "iam:PassRole", Resource: roleArn, Keys: map[string]string{"iam:PassedToService": "eks.amazonaws.com"}})
			}
		}
		return nil
	})
	if den != nil {
		return errf(http.StatusForbidden, "AccessDeniedException", "%s", den.Message)
	}
	return nil
}

// eksRequest forms the authorisation request of an EKS operation: its action, the resource
// ARN as EKS forms it, that resource's tags, and the condition keys.
func (s *service) eksRequest(d *state.Data, op string, labels []string, body map[string]any) authz.Request {
	req := authz.Request{Action: "eks:" + op, Resource: "*", Keys: map[string]string{}, Multi: map[string][]string{}}
	prefix := "arn:" + d.Partition + ":eks:" + d.Region + ":" + d.Account + ":"
	clusterArn := func(name string) (string, *state.Cluster) {
		if c, ok := d.Clusters[name]; ok {
			return c.Arn, c
		}
		return prefix + "cluster/" + name, nil
	}
	entryKeys := func(clusterName string, e *state.AccessEntry) {
		req.Keys["eks:clusterName"] = clusterName
		req.Keys["eks:principalArn"] = e.PrincipalArn
		req.Keys["eks:accessEntryType"] = e.Type
		req.Keys["eks:username"] = e.Username
		req.Multi["eks:kubernetesGroups"] = nonNil(e.KubernetesGroups)
		req.ResourceTags = e.Tags
	}
	switch op {
	case "ListClusters", "ListAccessPolicies":
	case "CreateCluster":
		name, _ := body["name"].(string)
		req.Resource, _ = clusterArn(name)
		if v, ok := body["version"].(string); ok {
			req.Keys["eks:kubernetesVersion"] = v
		}
		if ac, ok := body["accessConfig"].(map[string]any); ok {
			if m, ok := ac["authenticationMode"].(string); ok {
				req.Keys["eks:authenticationMode"] = m
			}
			if b, ok := ac["bootstrapClusterCreatorAdminPermissions"].(bool); ok {
				req.Keys["eks:bootstrapClusterCreatorAdminPermissions"] = boolString(b)
			}
		}
		req.RequestTags = stringMap(body["tags"])
	case "DescribeCluster", "DeleteCluster", "UpdateClusterConfig", "ListUpdates", "DescribeUpdate", "ListAccessEntries":
		var c *state.Cluster
		req.Resource, c = clusterArn(labels[0])
		if c != nil {
			req.ResourceTags = c.Tags
		}
		if op == "UpdateClusterConfig" {
			if ac, ok := body["accessConfig"].(map[string]any); ok {
				if m, ok := ac["authenticationMode"].(string); ok {
					req.Keys["eks:authenticationMode"] = m
				}
			}
		}
	case "CreateAccessEntry":
		var c *state.Cluster
		req.Resource, c = clusterArn(labels[0])
		if c != nil {
			req.ResourceTags = c.Tags
		}
		req.Keys["eks:clusterName"] = labels[0]
		if v, ok := body["principalArn"].(string); ok {
			req.Keys["eks:principalArn"] = v
		}
		typ, _ := body["type"].(string)
		if typ == "" {
			typ = "STANDARD"
		}
		req.Keys["eks:accessEntryType"] = typ
		if v, ok := body["username"].(string); ok {
			req.Keys["eks:username"] = v
		}
		if g := stringList(body["kubernetesGroups"]); g != nil {
			req.Multi["eks:kubernetesGroups"] = g
		}
		req.RequestTags = stringMap(body["tags"])
	case "DescribeAccessEntry", "UpdateAccessEntry", "DeleteAccessEntry",
		"AssociateAccessPolicy", "DisassociateAccessPolicy", "ListAssociatedAccessPolicies":
		cluster, principal := labels[0], labels[1]
		req.Resource = prefix + "access-entry/" + cluster + "/" + entryArnTail(principal)
		if c, ok := d.Clusters[cluster]; ok {
			if e, ok := c.Entries[principal]; ok {
				req.Resource = e.AccessEntryArn
				entryKeys(cluster, e)
			}
		}
		if req.Keys["eks:clusterName"] == "" {
			req.Keys["eks:clusterName"] = cluster
			req.Keys["eks:principalArn"] = principal
		}
		switch op {
		case "UpdateAccessEntry":
			if v, ok := body["username"].(string); ok {
				req.Keys["eks:username"] = v
			}
			if g := stringList(body["kubernetesGroups"]); g != nil {
				req.Multi["eks:kubernetesGroups"] = g
			}
		case "AssociateAccessPolicy":
			if v, ok := body["policyArn"].(string); ok {
				req.Keys["eks:policyArn"] = v
			}
			if sc, ok := body["accessScope"].(map[string]any); ok {
				if t, ok := sc["type"].(string); ok {
					req.Keys["eks:accessScope"] = t
				}
				req.Multi["eks:namespaces"] = nonNil(stringList(sc["namespaces"]))
			}
		case "DisassociateAccessPolicy":
			req.Keys["eks:policyArn"] = labels[2]
		}
	case "ListTagsForResource", "TagResource", "UntagResource":
		req.Resource = labels[0]
		if m, err := taggable(d, labels[0]); err == nil {
			req.ResourceTags = *m
		}
		if op == "TagResource" {
			req.RequestTags = stringMap(body["tags"])
		}
	}
	return req
}

// entryArnTail is the middle of an access-entry ARN for a principal without an entry
// (KIND/ACCOUNT/NAME/), so that a policy on access-entry/CLUSTER/* still applies.
func entryArnTail(principal string) string {
	parts := strings.SplitN(principal, ":", 6)
	if len(parts) != 6 {
		return ""
	}
	kind, rest, _ := strings.Cut(parts[5], "/")
	return kind + "/" + parts[4] + "/" + rest[strings.LastIndex(rest, "/")+1:] + "/"
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func stringMap(v any) map[string]string {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, x := range m {
		if s, ok := x.(string); ok {
			out[k] = s
		}
	}
	return out
}

func stringList(v any) []string {
	l, ok := v.([]any)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(l))
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
