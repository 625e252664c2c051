package usecase

import (
	"context"

	"eksaccess/internal/awsapi"
	"eksaccess/internal/plan"
)

// ExpireRequest removes expired grants from a cluster, or every cluster of an access file.
type ExpireRequest struct {
	Cluster     ClusterRef `json:"cluster"`
	File        string     `json:"file,omitempty"`
	Force       []string   `json:"force,omitempty"`
	DryRun      bool       `json:"dryRun,omitempty"`
	Concurrency int        `json:"concurrency,omitempty"`
	// AllowOutsidePaths: with File, usersFile entries may point outside its directory.
	AllowOutsidePaths bool `json:"allowOutsidePaths,omitempty"`
}

// ExpireReport is what expired on one cluster, and the tags that could not be read.
type ExpireReport struct {
	Cluster    string            `json:"cluster"`
	Expired    []plan.Expired    `json:"expired"`
	Unreadable []plan.TagProblem `json:"unreadable,omitempty"`
}

// ExpireResult is the reports and what the engine did.
type ExpireResult struct {
	Reports []ExpireReport `json:"clusters"`
	Outcome *Outcome       `json:"outcome,omitempty"`
}

// Validate checks the request offline.
func (r *ExpireRequest) Validate() error {
	if r.File == "" {
		if err := r.Cluster.Validate(); err != nil {
			return inputErrorf("name the clusters with -c CLUSTER, --hyperpod NAME or -f FILE (%v)", err)
		}
	} else if r.Cluster.Name != "" || r.Cluster.HyperPod != "" {
		return inputErrorf("give either -f FILE or a cluster, not both")
	}
	return checkConcurrency(r.Concurrency)
}

// Expire takes away exactly what has expired — each grant by its own record — and deletes an
// entry only when nothing remains; tags it cannot read are reported, never skipped silently.
// It runs through the same engine and invariants as every change.
func (e *Env) Expire(ctx context.Context, r ExpireRequest) (*ExpireResult, error) {
	c, err := e.begin(ctx, &r)
	if err != nil {
		return nil, err
	}
	var clusters []string
	if r.File != "" {
		cfg, err := e.LoadFile(ctx, r.File, r.AllowOutsidePaths)
		if err != nil {
			return nil, err
		}
		for _, cl := range cfg.Clusters {
			if cl.HyperPod == "" {
				clusters = append(clusters, cl.Name)
				continue
			}
			ec, err := awsapi.ResolveHyperPod(ctx, c.SageMaker, cl.HyperPod)
			if err != nil {
				return nil, err
			}
			clusters = append(clusters, ec.Name)
		}
	} else {
		name, err := e.resolveCluster(ctx, c, r.Cluster)
		if err != nil {
			return nil, err
		}
		clusters = []string{name}
	}
	caller, err := e.Caller(ctx)
	if err != nil {
		return nil, err
	}
	now := e.now()
	res := &ExpireResult{}
	var changes []*Change
	var arns []string
	for _, name := range clusters {
		live, err := readCluster(ctx, c, name, r.Concurrency)
		if err != nil {
			return nil, err
		}
		rep := ExpireReport{Cluster: name}
		ch := &Change{Live: live}
		for _, le := range live.SortedEntries() {
			arns = append(arns, le.PrincipalArn)
			rep.Unreadable = append(rep.Unreadable, le.Expiry().Problems...)
			pp, x := plan.ExpireEntry(name, le, now)
			if x == nil {
				continue
			}
			rep.Expired = append(rep.Expired, *x)
			ch.Plans = append(ch.Plans, pp)
		}
		changes = append(changes, ch)
		res.Reports = append(res.Reports, rep)
	}
	force, _ := e.forceARNs(ctx, r.Force, arns)
	out, err := e.Run(ctx, caller, changes, RunOptions{Command: "expire", DryRun: r.DryRun, Force: force, Concurrency: r.Concurrency})
	res.Outcome = out
	return res, err
}
