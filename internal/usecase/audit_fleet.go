package usecase

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"

	"eksaccess/internal/plan"
	"eksaccess/internal/principal"
)

// clustersPerAccount is how many clusters of one account are read at a time (audit, plan,
// apply): each account (and region) has its own rate state, so accounts add up instead of
// sharing one pool.
const clustersPerAccount = 4

// auditReaches are the accounts a request reaches: the run's own credentials (unless
// NoDefaultAccount) and each of Accounts.
func (r *AuditRequest) auditReaches() []Reach {
	var out []Reach
	if !r.NoDefaultAccount {
		out = append(out, Reach{})
	}
	for _, a := range r.Accounts {
		if a.Account == "" && a.RoleArn != "" {
			a.Account = accountOfArn(a.RoleArn) // an assumed role is in its ARN's account
		}
		out = append(out, a)
	}
	return out
}

// auditTargets lists the clusters to read: the named ones in the default region of the run's
// account, or with All those ListClusters shows in each region of each account reached, the
// accounts and regions concurrently. An account (or region of it) that cannot be reached or
// listed comes back as a failed cluster naming it, and the others go on; with only the run's
// own account, its failure is the run's.
func (e *Env) auditTargets(ctx context.Context, r AuditRequest) ([]AuditCluster, error) {
	if !r.All {
		caller, err := e.Caller(ctx)
		if err != nil {
			return nil, err
		}
		c, err := e.AWS(ctx, "")
		if err != nil {
			return nil, err
		}
		var out []AuditCluster
		for _, name := range r.Clusters {
			out = append(out, AuditCluster{AuditTarget: AuditTarget{Account: caller.Account, Region: c.Config.Region, Cluster: name}})
		}
		return out, nil
	}
	reaches := r.auditReaches()
	per := make([][]AuditCluster, len(reaches))
	accts := make([]string, len(reaches))
	errs := make([]error, len(reaches))
	var wg sync.WaitGroup
	for i, reach := range reaches {
		wg.Go(func() {
			accts[i], per[i], errs[i] = e.listAccount(ctx, reach, r.Regions)
		})
	}
	wg.Wait()
	if len(reaches) == 1 && reaches[0].IsDefault() && errs[0] != nil {
		return nil, errs[0]
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Two ways into the same account audit it once: the first one named wins.
	seen := map[string]Reach{}
	var out []AuditCluster
	for i, reach := range reaches {
		if errs[i] != nil {
			how := howReached(reach)
			if how == "" {
				how = "your credentials"
			}
			// (The reach is named once, in the target, not again at the head of the error.)
			msg := strings.TrimPrefix(errs[i].Error(), reach.String()+": ")
			out = append(out, AuditCluster{AuditTarget: AuditTarget{Account: reach.Account, Reach: how}, Error: msg})
			continue
		}
		if first, dup := seen[accts[i]]; dup {
			e.warnf("%s lands in account %s, which %s already reaches: audited once", reach, accts[i], first)
			continue
		}
		seen[accts[i]] = reach
		out = append(out, per[i]...)
	}
	return out, nil
}

// listAccount looks up who eksaccess is in the account reach names and lists its clusters in
// each region (none given: the account's default region). A region that cannot be listed is
// a failed target of its own; an account that cannot be reached at all is an error.
func (e *Env) listAccount(ctx context.Context, reach Reach, regions []string) (string, []AuditCluster, error) {
	caller, err := e.callerIn(ctx, reach)
	if err != nil {
		return "", nil, err
	}
	base, err := e.accountClients(ctx, reach, "")
	if err != nil {
		return "", nil, err
	}
	if len(regions) == 0 {
		regions = []string{base.Config.Region}
	}
	per := make([][]AuditCluster, len(regions))
	var wg sync.WaitGroup
	for i, reg := range regions {
		wg.Go(func() {
			per[i] = e.listRegion(ctx, reach, caller, reg)
		})
	}
	wg.Wait()
	var out []AuditCluster
	for _, ts := range per {
		out = append(out, ts...)
	}
	return caller.Account, out, nil
}

// listRegion lists one region's clusters of an account (one failed target when it cannot).
func (e *Env) listRegion(ctx context.Context, reach Reach, caller principal.Caller, region string) []AuditCluster {
	target := func(name string) AuditCluster {
		ac := AuditCluster{AuditTarget: AuditTarget{Account: caller.Account, Region: region, Cluster: name}, reach: reach}
		ac.Reach = howReached(reach)
		return ac
	}
	rc, err := e.accountClients(ctx, reach, region)
	if err != nil {
		f := target("")
		f.Error = err.Error()
		return []AuditCluster{f}
	}
	var out []AuditCluster
	p := eks.NewListClustersPaginator(rc.EKS, &eks.ListClustersInput{MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			f := target("")
			f.Error = fmt.Sprintf("list clusters in %s: %v", region, err)
			return append(out, f)
		}
		for _, n := range page.Clusters {
			out = append(out, target(n))
		}
	}
	return out
}

// howReached says how an account other than the run's own was reached: "role ARN" or
// "profile NAME" ("" for the run's own credentials).
func howReached(r Reach) string {
	if r.RoleArn == "" && r.Profile == "" {
		return ""
	}
	return Reach{Profile: r.Profile, RoleArn: r.RoleArn}.String()
}

// readTargets reads every target that has a cluster, clustersPerAccount at a time per account
// and all accounts together; a target that cannot be read keeps its error.
func (e *Env) readTargets(ctx context.Context, r AuditRequest, targets []AuditCluster) []*plan.LiveCluster {
	out := make([]*plan.LiveCluster, len(targets))
	sems := map[string]chan struct{}{}
	var wg sync.WaitGroup
	for i := range targets {
		t := &targets[i]
		if t.Cluster == "" || t.Error != "" {
			continue
		}
		sem, ok := sems[t.reach.Key()]
		if !ok {
			sem = make(chan struct{}, clustersPerAccount)
			sems[t.reach.Key()] = sem
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			c, err := e.accountClients(ctx, t.reach, t.Region)
			if err == nil {
				out[i], err = readCluster(ctx, c, t.Cluster, r.Concurrency)
			}
			if err != nil {
				t.Error = err.Error()
			}
		})
	}
	wg.Wait()
	return out
}
