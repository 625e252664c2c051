package eks

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"eksaccess/internal/sandbox/state"
	"eksaccess/internal/sandbox/wire"
)

// Defaults for clusters CreateCluster makes without a version.
const (
	DefaultVersion         = "1.33"
	DefaultPlatformVersion = "eks.1"
)

type accessConfigJSON struct {
	BootstrapClusterCreatorAdminPermissions *bool  `json:"bootstrapClusterCreatorAdminPermissions,omitempty"`
	AuthenticationMode                      string `json:"authenticationMode,omitempty"`
}

type clusterJSON struct {
	Name                 string            `json:"name"`
	Arn                  string            `json:"arn"`
	CreatedAt            wire.Epoch        `json:"createdAt"`
	Version              string            `json:"version,omitempty"`
	Endpoint             string            `json:"endpoint,omitempty"`
	RoleArn              string            `json:"roleArn,omitempty"`
	Status               string            `json:"status"`
	CertificateAuthority map[string]string `json:"certificateAuthority"`
	PlatformVersion      string            `json:"platformVersion,omitempty"`
	Tags                 map[string]string `json:"tags"`
	AccessConfig         accessConfigJSON  `json:"accessConfig"`
}

// clusterJSON renders cluster c of account d (root: the sandbox's primary account, which
// decides the endpoint's path).
func (s *service) clusterJSON(root, d *state.Data, c *state.Cluster) clusterJSON {
	tags := map[string]string{}
	for k, v := range c.Tags {
		tags[k] = v
	}
	boot := c.BootstrapClusterCreatorAdminPermissions
	return clusterJSON{
		Name:                 c.Name,
		Arn:                  c.Arn,
		CreatedAt:            wire.Epoch(c.CreatedAt),
		Version:              c.Version,
		Endpoint:             s.Config.KubeEndpoint(root.ClusterRef(d.Account, c.Name)),
		RoleArn:              c.RoleArn,
		Status:               statusAt(c, s.Now()),
		CertificateAuthority: map[string]string{"data": s.Config.CAData()},
		PlatformVersion:      c.PlatformVersion,
		Tags:                 tags,
		AccessConfig:         accessConfigJSON{BootstrapClusterCreatorAdminPermissions: &boot, AuthenticationMode: c.AuthenticationMode},
	}
}

// SupportedVersions are the Kubernetes versions EKS creates clusters with, each until the
// end of its extended support (the EKS version calendar); CreateCluster refuses others.
var SupportedVersions = []struct {
	Version  string
	Extended time.Time // end of extended support
}{
	{"1.29", time.Date(2026, 3, 23, 0, 0, 0, 0, time.UTC)},
	{"1.30", time.Date(2026, 7, 23, 0, 0, 0, 0, time.UTC)},
	{"1.31", time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)},
	{"1.32", time.Date(2027, 3, 23, 0, 0, 0, 0, time.UTC)},
	{"1.33", time.Date(2027, 7, 29, 0, 0, 0, 0, time.UTC)},
	{"1.34", time.Date(2027, 12, 2, 0, 0, 0, 0, time.UTC)},
	{"1.35", time.Date(2028, 3, 27, 0, 0, 0, 0, time.UTC)},
}

// supportedAt returns the versions EKS offers at t.
func supportedAt(t time.Time) []string {
	var out []string
	for _, v := range SupportedVersions {
		if t.Before(v.Extended) {
			out = append(out, v.Version)
		}
	}
	return out
}

// statusAt is a cluster's status at now: CREATING turns ACTIVE at ActiveAt.
func statusAt(c *state.Cluster, now time.Time) string {
	if c.Status == "CREATING" && !c.ActiveAt.IsZero() && !now.Before(c.ActiveAt) {
		return "ACTIVE"
	}
	return c.Status
}

// gone reports whether a DELETING cluster has finished deleting at now.
func gone(c *state.Cluster, now time.Time) bool {
	return c.Status == "DELETING" && !now.Before(c.DeletedAt)
}

// updateStatusAt is an update's status at now: InProgress turns Successful at DoneAt.
func updateStatusAt(u *state.Update, now time.Time) string {
	if u.Status == "InProgress" && !u.DoneAt.IsZero() && !now.Before(u.DoneAt) {
		return "Successful"
	}
	return u.Status
}

// Settle makes the transitions that are due at now in every account of root persistent:
// clusters turn ACTIVE, deleted clusters go (with their access entries and aws-auth data),
// updates succeed. It reports whether anything changed. The server runs it periodically, so
// every reader of the state (the Kubernetes endpoints too) sees the outcome.
func Settle(root *state.Data, now time.Time) bool {
	changed := false
	for _, d := range root.AllAccounts() {
		for name, c := range d.Clusters {
			if gone(c, now) {
				delete(d.Clusters, name)
				changed = true
				continue
			}
			if st := statusAt(c, now); st != c.Status {
				c.Status, changed = st, true
			}
			for _, u := range c.Updates {
				if st := updateStatusAt(u, now); st != u.Status {
					u.Status, changed = st, true
				}
			}
		}
	}
	return changed
}

// Due reports whether Settle would change anything at now (cheap, under a read lock).
func Due(root *state.Data, now time.Time) bool {
	for _, d := range root.AllAccounts() {
		for _, c := range d.Clusters {
			if gone(c, now) || statusAt(c, now) != c.Status {
				return true
			}
			for _, u := range c.Updates {
				if updateStatusAt(u, now) != u.Status {
					return true
				}
			}
		}
	}
	return false
}

func (s *service) describeCluster(ctx context.Context, w http.ResponseWriter, r *http.Request, labels []string) error {
	return s.onCluster(ctx, w, false, cluster, labels[0], func(root, d *state.Data, c *state.Cluster) (any, error) {
		return map[string]any{"cluster": s.clusterJSON(root, d, c)}, nil
	})
}

func (s *service) listClusters(ctx context.Context, w http.ResponseWriter, r *http.Request, _ []string) error {
	pg, err := parsePage(r.URL.Query())
	if err != nil {
		return err
	}
	return s.answer(ctx, w, false, func(_, d *state.Data) (any, error) {
		var keys []string
		for _, k := range state.SortedKeys(d.Clusters) {
			if !gone(d.Clusters[k], s.Now()) {
				keys = append(keys, k)
			}
		}
		return paged(map[string]any{}, pg, "clusters", keys, same), nil
	})
}

// Authentication modes only move towards API; each step is one UpdateClusterConfig.
var nextAuthMode = map[string]string{
	"CONFIG_MAP":         "API_AND_CONFIG_MAP",
	"API_AND_CONFIG_MAP": "API",
}

var authModes = map[string]bool{"CONFIG_MAP": true, "API_AND_CONFIG_MAP": true, "API": true}

type updateClusterConfigInput struct {
	AccessConfig *struct {
		AuthenticationMode string `json:"authenticationMode"`
	} `json:"accessConfig"`
	ClientRequestToken string `json:"clientRequestToken"`
}

type updateJSON struct {
	ID        string              `json:"id"`
	Status    string              `json:"status"`
	Type      string              `json:"type"`
	Params    []map[string]string `json:"params"`
	CreatedAt wire.Epoch          `json:"createdAt"`
	Errors    []any               `json:"errors"`
}

func (s *service) updateClusterConfig(ctx context.Context, w http.ResponseWriter, labels []string, in updateClusterConfigInput) error {
	return s.onCluster(ctx, w, true, cluster, labels[0], func(_, _ *state.Data, c *state.Cluster) (any, error) {
		if in.AccessConfig == nil || in.AccessConfig.AuthenticationMode == "" {
			return nil, invalidParam("The sandbox's UpdateClusterConfig changes only accessConfig.authenticationMode; give one.").withCluster(c.Name)
		}
		mode := in.AccessConfig.AuthenticationMode
		if !authModes[mode] {
			return nil, invalidParam("The authentication mode %s is invalid. Valid modes are API, API_AND_CONFIG_MAP and CONFIG_MAP.", mode).withCluster(c.Name)
		}
		if nextAuthMode[c.AuthenticationMode] != mode {
			return nil, invalidParam("Unsupported authentication mode update from %s to %s", c.AuthenticationMode, mode).withCluster(c.Name)
		}
		now := s.Now()
		u := &state.Update{
			ID:        uuid.NewString(),
			Status:    "Successful",
			Type:      "AccessConfigUpdate",
			Params:    [][2]string{{"AuthenticationMode", mode}},
			CreatedAt: now,
		}
		if delay := s.Config.ClusterCreateDelay; delay > 0 {
			u.Status, u.DoneAt = "InProgress", now.Add(delay)
		}
		c.AuthenticationMode = mode
		if c.Updates == nil {
			c.Updates = map[string]*state.Update{}
		}
		c.Updates[u.ID] = u
		return map[string]any{"update": toUpdateJSON(u, now)}, nil
	})
}

func toUpdateJSON(u *state.Update, now time.Time) updateJSON {
	out := updateJSON{ID: u.ID, Status: updateStatusAt(u, now), Type: u.Type, CreatedAt: wire.Epoch(u.CreatedAt), Errors: []any{}}
	for _, p := range u.Params {
		out.Params = append(out.Params, map[string]string{"type": p[0], "value": p[1]})
	}
	return out
}

func (s *service) describeUpdate(ctx context.Context, w http.ResponseWriter, r *http.Request, labels []string) error {
	return s.onCluster(ctx, w, false, cluster, labels[0], func(_, _ *state.Data, c *state.Cluster) (any, error) {
		u, ok := c.Updates[labels[1]]
		if !ok {
			return nil, notFound("No update found for ID: %s", labels[1]).withCluster(c.Name)
		}
		return map[string]any{"update": toUpdateJSON(u, s.Now())}, nil
	})
}

func (s *service) listUpdates(ctx context.Context, w http.ResponseWriter, r *http.Request, labels []string) error {
	pg, err := parsePage(r.URL.Query())
	if err != nil {
		return err
	}
	return s.onCluster(ctx, w, false, cluster, labels[0], func(_, _ *state.Data, c *state.Cluster) (any, error) {
		// Oldest first, ids breaking ties: keys sort that way.
		byKey := map[string]string{}
		for id, u := range c.Updates {
			byKey[u.CreatedAt.UTC().Format("20060102T150405.000000000")+"/"+id] = id
		}
		return paged(map[string]any{}, pg, "updateIds", state.SortedKeys(byKey), func(k string) string { return byKey[k] }), nil
	})
}

func (s *service) deleteCluster(ctx context.Context, w http.ResponseWriter, r *http.Request, labels []string) error {
	now := s.Now()
	return s.onCluster(ctx, w, true, cluster, labels[0], func(root, d *state.Data, c *state.Cluster) (any, error) {
		if c.Status == "DELETING" {
			return nil, errf(http.StatusConflict, "ResourceInUseException", "Cluster %s is already being deleted.", c.Name).withCluster(c.Name)
		}
		for _, hp := range d.HyperPod {
			if hp.EksClusterArn == c.Arn {
				return nil, errf(http.StatusConflict, "ResourceInUseException", "Cluster %s is the orchestrator of SageMaker HyperPod cluster %s; delete that first.", c.Name, hp.ClusterName).withCluster(c.Name)
			}
		}
		c.Status = "DELETING"
		c.DeletedAt = now.Add(s.Config.ClusterCreateDelay)
		out := s.clusterJSON(root, d, c)
		if s.Config.ClusterCreateDelay == 0 {
			delete(d.Clusters, c.Name)
		}
		return map[string]any{"cluster": out}, nil
	})
}

// clusterNamePattern is CreateCluster's name constraint (1–100 characters).
var clusterNamePattern = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9\-_]*$`)

type createClusterInput struct {
	Name               string            `json:"name"`
	Version            string            `json:"version"`
	RoleArn            string            `json:"roleArn"`
	ResourcesVpcConfig map[string]any    `json:"resourcesVpcConfig"`
	ClientRequestToken string            `json:"clientRequestToken"`
	Tags               map[string]string `json:"tags"`
	AccessConfig       *accessConfigJSON `json:"accessConfig"`
}

func (s *service) createCluster(ctx context.Context, w http.ResponseWriter, _ []string, in createClusterInput) error {
	caller := state.CallerFrom(ctx)
	var out clusterJSON
	err := s.Store.Update(func(root *state.Data) error {
		d := state.AccountData(ctx, root)
		if len(in.Name) < 1 || len(in.Name) > 100 || !clusterNamePattern.MatchString(in.Name) {
			return invalidParam("The cluster name %q is invalid: use 1 to 100 letters, digits, hyphens and underscores, starting with a letter or digit.", in.Name)
		}
		if old, ok := d.Clusters[in.Name]; ok && !gone(old, s.Now()) {
			return errf(http.StatusConflict, "ResourceInUseException", "Cluster already exists with name: %s", in.Name).withCluster(in.Name)
		}
		if in.RoleArn == "" {
			return invalidParam("roleArn is required.")
		}
		if !roleExists(d, in.RoleArn) {
			return invalidParam("Role with arn: %s, could not be assumed because it does not exist or the trusted entity is not correct", in.RoleArn)
		}
		if in.ResourcesVpcConfig == nil {
			return invalidParam("resourcesVpcConfig is required.")
		}
		if err := checkTags(in.Tags, invalidParam); err != nil {
			return err
		}
		mode, boot := "CONFIG_MAP", true
		if in.AccessConfig != nil {
			if in.AccessConfig.AuthenticationMode != "" {
				mode = in.AccessConfig.AuthenticationMode
			}
			if in.AccessConfig.BootstrapClusterCreatorAdminPermissions != nil {
				boot = *in.AccessConfig.BootstrapClusterCreatorAdminPermissions
			}
		}
		if !authModes[mode] {
			return invalidParam("The authentication mode %s is invalid. Valid modes are API, API_AND_CONFIG_MAP and CONFIG_MAP.", mode)
		}
		if mode == "CONFIG_MAP" && !boot {
			return invalidParam("bootstrapClusterCreatorAdminPermissions must be true if cluster authentication mode is set to CONFIG_MAP")
		}
		now := s.Now()
		version := in.Version
		if version == "" {
			version = DefaultVersion
		}
		if ok := slices.Contains(supportedAt(now), version); !ok {
			return invalidParam("unsupported Kubernetes version %s: give one of %s", version, strings.Join(supportedAt(now), ", ")).withCluster(in.Name)
		}
		c := &state.Cluster{
			Name:                                    in.Name,
			Arn:                                     "arn:" + d.Partition + ":eks:" + d.Region + ":" + d.Account + ":cluster/" + in.Name,
			Version:                                 version,
			PlatformVersion:                         DefaultPlatformVersion,
			RoleArn:                                 in.RoleArn,
			Status:                                  "ACTIVE",
			CreatedAt:                               now,
			ID:                                      uuid.NewString(),
			AuthenticationMode:                      mode,
			BootstrapClusterCreatorAdminPermissions: boot,
			Entries:                                 map[string]*state.AccessEntry{},
		}
		if caller != nil {
			c.CreatorArn = caller.PrincipalArn
		}
		if len(in.Tags) > 0 {
			c.Tags = map[string]string{}
			for k, v := range in.Tags {
				c.Tags[k] = v
			}
		}
		// The creator's admin entry exists only where access entries do (on CONFIG_MAP
		// clusters EKS grants the creator admin outside any entry). EKS makes it itself, so
		// the IAM propagation delay does not apply; a creator that cannot hold an entry
		// (not an IAM user or role) gets none.
		if boot && mode != "CONFIG_MAP" && c.CreatorArn != "" {
			if e, err := s.newAccessEntry(root, d, c, createAccessEntryInput{PrincipalArn: c.CreatorArn}, 0); err == nil {
				admin := PolicyArn(d.Partition, "AmazonEKSClusterAdminPolicy")
				e.Policies[admin] = &state.AssociatedPolicy{PolicyArn: admin, ScopeType: "cluster", Namespaces: []string{}, AssociatedAt: now, ModifiedAt: now}
				e.PropagationShown = true
				c.Entries[e.PrincipalArn] = e
			}
		}
		if d.Clusters == nil {
			d.Clusters = map[string]*state.Cluster{}
		}
		d.Clusters[c.Name] = c
		if delay := s.Config.ClusterCreateDelay; delay > 0 {
			c.Status, c.ActiveAt = "CREATING", now.Add(delay)
		}
		out = s.clusterJSON(root, d, c)
		return nil
	})
	if err != nil {
		return err
	}
	wire.WriteJSON(ctx, w, http.StatusOK, map[string]any{"cluster": out})
	return nil
}

func roleExists(d *state.Data, arn string) bool {
	i := strings.LastIndex(arn, "/")
	if i < 0 {
		return false
	}
	r, ok := d.Roles[strings.ToLower(arn[i+1:])]
	return ok && r.Arn == arn
}
