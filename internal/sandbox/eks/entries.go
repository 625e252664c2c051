package eks

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/google/uuid"

	"eksaccess/internal/sandbox/state"
	"eksaccess/internal/sandbox/wire"
)

// accessEntryJSON is the AccessEntry shape; kubernetesGroups and tags are always present
// (as [] and {}), as EKS sends them.
type accessEntryJSON struct {
	ClusterName      string            `json:"clusterName"`
	PrincipalArn     string            `json:"principalArn"`
	KubernetesGroups []string          `json:"kubernetesGroups"`
	AccessEntryArn   string            `json:"accessEntryArn"`
	CreatedAt        wire.Epoch        `json:"createdAt"`
	ModifiedAt       wire.Epoch        `json:"modifiedAt"`
	Tags             map[string]string `json:"tags"`
	Username         string            `json:"username"`
	Type             string            `json:"type"`
}

func entryJSON(clusterName string, e *state.AccessEntry) accessEntryJSON {
	groups := slices.Clone(e.KubernetesGroups)
	if groups == nil {
		groups = []string{}
	}
	tags := map[string]string{}
	for k, v := range e.Tags {
		tags[k] = v
	}
	return accessEntryJSON{
		ClusterName:      clusterName,
		PrincipalArn:     e.PrincipalArn,
		KubernetesGroups: groups,
		AccessEntryArn:   e.AccessEntryArn,
		CreatedAt:        wire.Epoch(e.CreatedAt),
		ModifiedAt:       wire.Epoch(e.ModifiedAt),
		Tags:             tags,
		Username:         e.Username,
		Type:             e.Type,
	}
}

type createAccessEntryInput struct {
	PrincipalArn       string            `json:"principalArn"`
	KubernetesGroups   []string          `json:"kubernetesGroups"`
	Tags               map[string]string `json:"tags"`
	ClientRequestToken string            `json:"clientRequestToken"`
	Username           *string           `json:"username"`
	Type               string            `json:"type"`
}

// newAccessEntry builds (without storing) a validated entry; it is shared by CreateAccessEntry
// and CreateCluster's creator entry.
func (s *service) newAccessEntry(root, d *state.Data, c *state.Cluster, in createAccessEntryInput, delay time.Duration) (*state.AccessEntry, error) {
	typ := in.Type
	if typ == "" {
		typ = "STANDARD"
	}
	if !entryTypes[typ] {
		return nil, invalidParam("The specified type %s is invalid. Valid types are STANDARD, EC2_LINUX, EC2_WINDOWS, EC2, FARGATE_LINUX, HYBRID_LINUX and HYPERPOD_LINUX.", typ).withCluster(c.Name)
	}
	if in.PrincipalArn == "" {
		return nil, invalidParam("principalArn is required.").withCluster(c.Name)
	}
	now := s.Now()
	p, err := resolvePrincipal(root, d, in.PrincipalArn, now, delay)
	if err != nil {
		return nil, err.(*apiError).withCluster(c.Name)
	}
	if p.account != d.Account && typ != "STANDARD" {
		return nil, invalidParam("The specified principalArn is invalid: access entries of type %s take only IAM roles of the cluster's account.", typ).withCluster(c.Name)
	}
	if typ != "STANDARD" && !p.isRole {
		return nil, invalidParam("The specified principalArn is invalid: access entries of type %s take only IAM roles.", typ).withCluster(c.Name)
	}
	if err := checkIdentity(typ, in.Username, in.KubernetesGroups); err != nil {
		return nil, err.(*apiError).withCluster(c.Name)
	}
	if err := checkTags(in.Tags, invalidParam); err != nil {
		return nil, err.(*apiError).withCluster(c.Name)
	}
	username := defaultUsername(d.Partition, p, typ)
	if in.Username != nil && *in.Username != "" {
		username = *in.Username
	}
	groups := slices.Clone(in.KubernetesGroups)
	if typ != "STANDARD" {
		groups = defaultGroups(typ)
	}
	if groups == nil {
		groups = []string{}
	}
	kind := "user"
	if p.isRole {
		kind = "role"
	}
	var tags map[string]string
	if len(in.Tags) > 0 {
		tags = map[string]string{}
		for k, v := range in.Tags {
			tags[k] = v
		}
	}
	return &state.AccessEntry{
		PrincipalArn:       p.arn,
		AccessEntryArn:     "arn:" + d.Partition + ":eks:" + regionOf(c.Arn, d.Region) + ":" + d.Account + ":access-entry/" + c.Name + "/" + kind + "/" + p.account + "/" + p.name + "/" + uuid.NewString(),
		Type:               typ,
		Username:           username,
		KubernetesGroups:   groups,
		Tags:               tags,
		CreatedAt:          now,
		ModifiedAt:         now,
		Policies:           map[string]*state.AssociatedPolicy{},
		PrincipalID:        p.id,
		ClientRequestToken: in.ClientRequestToken,
	}, nil
}

// sameRequest reports whether a retried create (same clientRequestToken) asks for what
// the existing entry already is, so the retry returns it instead of a conflict.
func sameRequest(e *state.AccessEntry, in createAccessEntryInput) bool {
	typ := in.Type
	if typ == "" {
		typ = "STANDARD"
	}
	if e.ClientRequestToken == "" || e.ClientRequestToken != in.ClientRequestToken || e.Type != typ {
		return false
	}
	if in.Username != nil && *in.Username != "" && *in.Username != e.Username {
		return false
	}
	if typ == "STANDARD" && !slices.Equal(nonNil(in.KubernetesGroups), nonNil(e.KubernetesGroups)) {
		return false
	}
	if len(in.Tags) != len(e.Tags) {
		return false
	}
	for k, v := range in.Tags {
		if ev, ok := e.Tags[k]; !ok || ev != v {
			return false
		}
	}
	return true
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (s *service) createAccessEntry(ctx context.Context, w http.ResponseWriter, labels []string, in createAccessEntryInput) error {
	return s.answer(ctx, w, true, func(root, d *state.Data) (any, error) {
		c, err := accessCluster(d, labels[0], s.Now())
		if err != nil {
			return nil, err
		}
		if old, ok := c.Entries[in.PrincipalArn]; ok && in.ClientRequestToken != "" && sameRequest(old, in) {
			return map[string]any{"accessEntry": entryJSON(c.Name, old)}, nil
		}
		e, err := s.newAccessEntry(root, d, c, in, s.Config.ConsistencyDelay)
		if err != nil {
			return nil, err
		}
		if _, ok := c.Entries[e.PrincipalArn]; ok {
			return nil, errf(http.StatusConflict, "ResourceInUseException", "The specified access entry resource is already in use on this cluster.").withCluster(c.Name)
		}
		if c.Entries == nil {
			c.Entries = map[string]*state.AccessEntry{}
		}
		c.Entries[e.PrincipalArn] = e
		return map[string]any{"accessEntry": entryJSON(c.Name, e)}, nil
	})
}

func (s *service) describeAccessEntry(ctx context.Context, w http.ResponseWriter, r *http.Request, labels []string) error {
	return s.onEntry(ctx, w, false, labels, func(c *state.Cluster, e *state.AccessEntry) (any, error) {
		return map[string]any{"accessEntry": entryJSON(c.Name, e)}, nil
	})
}

type updateAccessEntryInput struct {
	KubernetesGroups   *[]string `json:"kubernetesGroups"`
	ClientRequestToken string    `json:"clientRequestToken"`
	Username           *string   `json:"username"`
}

func (s *service) updateAccessEntry(ctx context.Context, w http.ResponseWriter, labels []string, in updateAccessEntryInput) error {
	return s.onEntry(ctx, w, true, labels, func(c *state.Cluster, e *state.AccessEntry) (any, error) {
		var groups []string
		if in.KubernetesGroups != nil {
			groups = *in.KubernetesGroups
		}
		if err := checkIdentity(e.Type, in.Username, groups); err != nil {
			return nil, err.(*apiError).withCluster(c.Name)
		}
		if in.KubernetesGroups != nil {
			e.KubernetesGroups = nonNil(slices.Clone(groups))
		}
		if in.Username != nil && *in.Username != "" {
			e.Username = *in.Username
		}
		e.ModifiedAt = s.Now()
		return map[string]any{"accessEntry": entryJSON(c.Name, e)}, nil
	})
}

func (s *service) deleteAccessEntry(ctx context.Context, w http.ResponseWriter, r *http.Request, labels []string) error {
	return s.onEntry(ctx, w, true, labels, func(c *state.Cluster, _ *state.AccessEntry) (any, error) {
		delete(c.Entries, labels[1])
		return nil, nil
	})
}

func (s *service) listAccessEntries(ctx context.Context, w http.ResponseWriter, r *http.Request, labels []string) error {
	q := r.URL.Query()
	pg, err := parsePage(q)
	if err != nil {
		return err
	}
	filter := q.Get("associatedPolicyArn")
	return s.onCluster(ctx, w, false, accessCluster, labels[0], func(_, _ *state.Data, c *state.Cluster) (any, error) {
		var keys []string
		for _, k := range state.SortedKeys(c.Entries) {
			if _, ok := c.Entries[k].Policies[filter]; ok || filter == "" {
				keys = append(keys, k)
			}
		}
		return paged(map[string]any{}, pg, "accessEntries", keys, same), nil
	})
}
