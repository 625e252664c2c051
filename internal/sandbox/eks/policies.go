package eks

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"eksaccess/internal/policy"
	"eksaccess/internal/sandbox/state"
	"eksaccess/internal/sandbox/wire"
)

// PolicyNames are the access policies ListAccessPolicies returns (policy.ListedNames).
var PolicyNames = policy.ListedNames()

// PolicyArn is the ARN of access policy name in partition.
func PolicyArn(partition, name string) string {
	return "arn:" + partition + ":eks::aws:cluster-access-policy/" + name
}

func knownPolicy(partition, arn string) bool {
	prefix := "arn:" + partition + ":eks::aws:cluster-access-policy/"
	if !strings.HasPrefix(arn, prefix) {
		return false
	}
	_, found := slices.BinarySearch(PolicyNames, strings.TrimPrefix(arn, prefix))
	return found
}

func (s *service) listAccessPolicies(ctx context.Context, w http.ResponseWriter, r *http.Request, _ []string) error {
	pg, err := parsePage(r.URL.Query())
	if err != nil {
		return err
	}
	return s.answer(ctx, w, false, func(_, d *state.Data) (any, error) {
		return paged(map[string]any{}, pg, "accessPolicies", PolicyNames, func(n string) map[string]string {
			return map[string]string{"name": n, "arn": PolicyArn(d.Partition, n)}
		}), nil
	})
}

type accessScopeJSON struct {
	Type       string   `json:"type"`
	Namespaces []string `json:"namespaces"`
}

type associatedPolicyJSON struct {
	PolicyArn    string          `json:"policyArn"`
	AccessScope  accessScopeJSON `json:"accessScope"`
	AssociatedAt wire.Epoch      `json:"associatedAt"`
	ModifiedAt   wire.Epoch      `json:"modifiedAt"`
}

func associatedJSON(p *state.AssociatedPolicy) associatedPolicyJSON {
	return associatedPolicyJSON{
		PolicyArn:    p.PolicyArn,
		AccessScope:  accessScopeJSON{Type: p.ScopeType, Namespaces: nonNil(slices.Clone(p.Namespaces))},
		AssociatedAt: wire.Epoch(p.AssociatedAt),
		ModifiedAt:   wire.Epoch(p.ModifiedAt),
	}
}

// namespacePattern is a Kubernetes namespace name (a DNS-1123 label) or, as EKS allows in
// access scopes, a prefix of one followed by a trailing * wildcard (e.g. dev-*).
var (
	namespaceName   = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	namespacePrefix = regexp.MustCompile(`^[a-z0-9][-a-z0-9]*\*$`)
)

func checkScope(sc *accessScopeJSON) error {
	if sc == nil {
		return invalidParam("accessScope is required.")
	}
	switch sc.Type {
	case "cluster":
		if len(sc.Namespaces) > 0 {
			return invalidParam("namespaces can't be specified for an access scope of type cluster.")
		}
	case "namespace":
		if len(sc.Namespaces) == 0 {
			return invalidParam("At least one namespace is required for an access scope of type namespace.")
		}
		for _, ns := range sc.Namespaces {
			if len(ns) > 63 || !(namespaceName.MatchString(ns) || namespacePrefix.MatchString(ns)) {
				return invalidParam("The namespace %q is invalid: use a Kubernetes namespace name (lower-case letters, digits and -, at most 63 characters), optionally ending in * as a wildcard.", ns)
			}
		}
	default:
		return invalidParam("The access scope type %q is invalid. Valid types are cluster and namespace.", sc.Type)
	}
	return nil
}

func errNotStandard() *apiError {
	return invalidParam("This operation can only be performed on Access Entries with a type of \"STANDARD\".")
}

type associateInput struct {
	PolicyArn   string           `json:"policyArn"`
	AccessScope *accessScopeJSON `json:"accessScope"`
}

func (s *service) associateAccessPolicy(ctx context.Context, w http.ResponseWriter, labels []string, in associateInput) error {
	var (
		out        associatedPolicyJSON
		propagated = true
	)
	err := s.Store.Update(func(root *state.Data) error {
		d := state.AccountData(ctx, root)
		c, err := accessCluster(d, labels[0], s.Now())
		if err != nil {
			return err
		}
		e, err := entry(c, labels[1])
		if err != nil {
			return err
		}
		// Real EKS may not yet know a just-created entry's principal: the first association
		// inside the consistency delay is refused once, and the refusal is recorded (a
		// successful, persisted update) so the retry succeeds.
		now := s.Now()
		if s.Config.ConsistencyDelay > 0 && !e.PropagationShown && now.Sub(e.CreatedAt) < s.Config.ConsistencyDelay {
			e.PropagationShown = true
			propagated = false
			return nil
		}
		// An EC2 (EKS Auto Mode) node entry takes AmazonEKSAutoNodePolicy, which EKS
		// requires on it, and nothing else; other node types take no policy.
		autoNode := e.Type == "EC2" && in.PolicyArn == PolicyArn(d.Partition, "AmazonEKSAutoNodePolicy")
		if e.Type != "STANDARD" && !autoNode {
			return errNotStandard().withCluster(c.Name)
		}
		if !knownPolicy(d.Partition, in.PolicyArn) {
			return notFound("The specified policyArn %s could not be found. You can view the available access policies with 'list-access-policies'.", in.PolicyArn).withCluster(c.Name)
		}
		if err := checkScope(in.AccessScope); err != nil {
			return err.(*apiError).withCluster(c.Name)
		}
		ns := slices.Clone(in.AccessScope.Namespaces)
		if ns == nil {
			ns = []string{}
		}
		if e.Policies == nil {
			e.Policies = map[string]*state.AssociatedPolicy{}
		}
		p, ok := e.Policies[in.PolicyArn]
		if ok {
			p.ScopeType, p.Namespaces, p.ModifiedAt = in.AccessScope.Type, ns, now
		} else {
			p = &state.AssociatedPolicy{PolicyArn: in.PolicyArn, ScopeType: in.AccessScope.Type, Namespaces: ns, AssociatedAt: now, ModifiedAt: now}
			e.Policies[in.PolicyArn] = p
		}
		out = associatedJSON(p)
		return nil
	})
	if err != nil {
		return err
	}
	if !propagated {
		return errEntryNotFound(labels[0])
	}
	wire.WriteJSON(ctx, w, http.StatusOK, map[string]any{
		"clusterName":            labels[0],
		"principalArn":           labels[1],
		"associatedAccessPolicy": out,
	})
	return nil
}

func (s *service) disassociateAccessPolicy(ctx context.Context, w http.ResponseWriter, r *http.Request, labels []string) error {
	return s.onEntry(ctx, w, true, labels, func(c *state.Cluster, e *state.AccessEntry) (any, error) {
		if _, ok := e.Policies[labels[2]]; !ok {
			return nil, notFound("The specified policyArn %s is not associated with the access entry. You can view the associated policies with 'list-associated-access-policies'.", labels[2]).withCluster(c.Name)
		}
		delete(e.Policies, labels[2])
		return nil, nil
	})
}

func (s *service) listAssociatedAccessPolicies(ctx context.Context, w http.ResponseWriter, r *http.Request, labels []string) error {
	pg, err := parsePage(r.URL.Query())
	if err != nil {
		return err
	}
	return s.onEntry(ctx, w, false, labels, func(c *state.Cluster, e *state.AccessEntry) (any, error) {
		// EKS refuses this on node entries too (seen from real EKS by ACK's access-entry reads),
		// except an EC2 (Auto Mode) entry, which holds AmazonEKSAutoNodePolicy.
		if e.Type != "STANDARD" && e.Type != "EC2" {
			return nil, errNotStandard().withCluster(c.Name)
		}
		resp := map[string]any{"clusterName": labels[0], "principalArn": labels[1]}
		return paged(resp, pg, "associatedAccessPolicies", state.SortedKeys(e.Policies), func(k string) associatedPolicyJSON { return associatedJSON(e.Policies[k]) }), nil
	})
}
