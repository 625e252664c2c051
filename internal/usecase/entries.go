package usecase

import (
	"context"
	"fmt"
	"strings"

	"eksaccess/internal/plan"
)

// ShowEntryRequest names one principal's access entry on a cluster.
type ShowEntryRequest struct {
	Cluster   ClusterRef `json:"cluster"`
	Principal string     `json:"principal"`
}

// Validate checks the request offline.
func (r *ShowEntryRequest) Validate() error {
	if err := r.Cluster.Validate(); err != nil {
		return &InputError{Err: err}
	}
	r.Principal = strings.TrimSpace(r.Principal)
	if r.Principal == "" {
		return inputErrorf("PRINCIPAL is empty: give an IAM user name, role/NAME or an ARN (eksaccess entries list -c CLUSTER shows them)")
	}
	return nil
}

// ShowEntry reads one access entry, the principal resolved as every command resolves it.
// No entry is an error (exit 1) that says how to grant one.
func (e *Env) ShowEntry(ctx context.Context, r ShowEntryRequest) (*plan.LiveEntry, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	c, err := e.AWS(ctx, "")
	if err != nil {
		return nil, err
	}
	cluster, err := e.resolveCluster(ctx, c, r.Cluster)
	if err != nil {
		return nil, err
	}
	live, arn, err := e.readPrincipalEntry(ctx, c, cluster, r.Principal)
	if err != nil {
		return nil, err
	}
	le := live.Entries[arn]
	if le == nil {
		return nil, fmt.Errorf("%s has no access entry on cluster %s: grant one with `eksaccess grant -c %s --policy POLICY %s`", arn, cluster, cluster, r.Principal)
	}
	return le, nil
}
