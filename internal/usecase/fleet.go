package usecase

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"eksaccess/internal/accessfile"
	"eksaccess/internal/awsapi"
	"eksaccess/internal/declare"
	"eksaccess/internal/principal"
)

// AccountFailure is an account, or a cluster of it, that a run could not reach or read. The
// other accounts' clusters are planned and applied without it, and the run exits 1.
type AccountFailure struct {
	Account  string   `json:"account,omitempty"`
	Reach    string   `json:"reach"`
	Clusters []string `json:"clusters"`
	// Names are the clusters' names (a HyperPod cluster's own name before it is resolved).
	Names []string `json:"clusterNames,omitempty"`
	Error string   `json:"error"`
}

func (f AccountFailure) String() string {
	return fmt.Sprintf("%s: %s (clusters not planned: %s)", f.Reach, f.Error, strings.Join(f.Clusters, ", "))
}

// ReachOf is how the file says to reach a cluster's account.
func ReachOf(c *accessfile.Cluster) Reach {
	r := Reach{Account: c.AccountOf(), Profile: c.Profile}
	if c.AssumeRole != nil {
		r.RoleArn, r.ExternalID, r.SessionName = c.AssumeRole.RoleArn, c.AssumeRole.ExternalID, c.AssumeRole.SessionName
	}
	return r
}

// accountGroup is the clusters of a file that one set of credentials reaches.
type accountGroup struct {
	reach   Reach
	indexes []int // into the file's clusters
}

// groupByAccount groups the clusters by reach; a cluster that names the run's own account and
// no other way to reach it is reached with the run's credentials (one rate state per account).
func groupByAccount(cfg *accessfile.Config, own principal.Caller) []*accountGroup {
	var out []*accountGroup
	by := map[string]*accountGroup{}
	for i := range cfg.Clusters {
		r := ReachOf(&cfg.Clusters[i])
		if r.Profile == "" && r.RoleArn == "" && r.Account == own.Account {
			r = Reach{}
		}
		g, ok := by[r.Key()]
		if !ok {
			g = &accountGroup{reach: r}
			by[r.Key()] = g
			out = append(out, g)
		}
		g.indexes = append(g.indexes, i)
	}
	return out
}

// resolvedCluster is a cluster of the file resolved in its account, with who eksaccess is
// there.
type resolvedCluster struct {
	declare.Cluster
	reach  Reach
	caller principal.Caller
}

// resolveFleet resolves every cluster of the file in its own account, the accounts
// concurrently: principals resolve through the IAM of their cluster's account, the guardrails
// use the caller there. Input problems of every account are returned together (bad input,
// nothing changes); an account that cannot be reached is a failure of its clusters only.
func (e *Env) resolveFleet(ctx context.Context, cfg *accessfile.Config, own principal.Caller) ([]resolvedCluster, []AccountFailure, error) {
	groups := groupByAccount(cfg, own)
	results := make([][]declare.Cluster, len(groups))
	callers := make([]principal.Caller, len(groups))
	errs := make([]error, len(groups))
	var wg sync.WaitGroup
	for gi, g := range groups {
		wg.Go(func() {
			caller, err := e.callerFor(ctx, g.reach)
			if err != nil {
				errs[gi] = err
				return
			}
			if g.reach.Account != "" && caller.Account != g.reach.Account {
				errs[gi] = &InputError{Err: fmt.Errorf("%s: the credentials are in account %s (%s), not %s: fix the cluster's account, or reach account %s with its profile or assumeRole", g.reach, caller.Account, caller.Arn, g.reach.Account, g.reach.Account)}
				return
			}
			c, err := e.accountClients(ctx, g.reach, "")
			if err != nil {
				errs[gi] = err
				return
			}
			sub := &accessfile.Config{APIVersion: cfg.APIVersion, Kind: cfg.Kind, File: cfg.File}
			for _, i := range g.indexes {
				sub.Clusters = append(sub.Clusters, cfg.Clusters[i])
			}
			cls, err := declare.Resolve(ctx, sub, declare.Options{
				IAM:    c.IAM,
				Caller: caller,
				Now:    e.now(),
				HyperPod: func(ctx context.Context, name, region string) (awsapi.EKSCluster, error) {
					rc, err := e.accountClients(ctx, g.reach, region)
					if err != nil {
						return awsapi.EKSCluster{}, err
					}
					return awsapi.ResolveHyperPod(ctx, rc.SageMaker, name)
				},
			})
			results[gi], callers[gi], errs[gi] = cls, caller, err
		})
	}
	wg.Wait()

	var ie principal.InputError
	var inputs []string
	var failures []AccountFailure
	out := make([]resolvedCluster, len(cfg.Clusters))
	ok := make([]bool, len(cfg.Clusters))
	for gi, g := range groups {
		if err := errs[gi]; err != nil {
			switch {
			case ie.Merge(err):
			case IsInput(err):
				inputs = append(inputs, err.Error())
			case ctx.Err() != nil, g.reach.IsDefault():
				// The run's own account failing is the run failing, as with one account.
				return nil, nil, err
			default:
				f := AccountFailure{Account: g.reach.Account, Reach: g.reach.String(), Error: err.Error()}
				for _, i := range g.indexes {
					f.Clusters = append(f.Clusters, principal.FileSource(cfg.File, cfg.Clusters[i].Pos.Line).String())
					f.Names = append(f.Names, cmp.Or(cfg.Clusters[i].Name, cfg.Clusters[i].HyperPod))
				}
				failures = append(failures, f)
			}
			continue
		}
		for k, i := range g.indexes {
			out[i], ok[i] = resolvedCluster{Cluster: results[gi][k], reach: g.reach, caller: callers[gi]}, true
		}
	}
	if err := ie.Err(); err != nil && len(inputs) == 0 {
		ie.Sort()
		return nil, nil, &ie
	}
	if err := ie.Err(); err != nil || len(inputs) > 0 {
		var msgs []string
		if err != nil {
			ie.Sort()
			msgs = append(msgs, ie.Error())
		}
		sort.Strings(inputs)
		msgs = append(msgs, inputs...)
		return nil, nil, &InputError{Err: errors.New(strings.Join(msgs, "\n"))}
	}
	var kept []resolvedCluster
	for i := range out {
		if ok[i] {
			kept = append(kept, out[i])
		}
	}
	return kept, failures, nil
}
