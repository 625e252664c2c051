package view

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"eksaccess/internal/output"
	"eksaccess/internal/plan"
	"eksaccess/internal/usecase"
)

// Entries lists access entries, one row each.
func Entries(w io.Writer, entries []*plan.LiveEntry, now time.Time) error {
	t := output.NewTable(w, "PRINCIPAL", "TYPE", "USERNAME", "GROUPS", "POLICIES", "EXPIRES")
	for _, e := range entries {
		t.Row(e.PrincipalArn, e.Type, e.Username, strings.Join(e.KubernetesGroups, ","), policiesCell(e.Policies), expiresCell(e, now))
	}
	return t.Flush()
}

// policiesCell renders policies as NAME(cluster) or NAME(ns1,ns2).
func policiesCell(ps []plan.LivePolicy) string {
	parts := make([]string, 0, len(ps))
	for _, p := range ps {
		scope := "cluster"
		if p.ScopeType == "namespace" {
			scope = strings.Join(p.Namespaces, ",")
		}
		parts = append(parts, plan.PolicyName(p.PolicyArn)+"("+scope+")")
	}
	return strings.Join(parts, " ")
}

// expiresCell is an entry's next expiry (marked when passed), and its unreadable tags.
func expiresCell(e *plan.LiveEntry, now time.Time) string {
	x := e.Expiry()
	var parts []string
	for _, p := range x.Problems {
		parts = append(parts, p.Key+" unreadable")
	}
	if t := e.NextExpiry(); !t.IsZero() {
		s := t.UTC().Format(time.RFC3339)
		if n := len(x.Records); n > 1 {
			s += fmt.Sprintf(" (first of %d grants)", n)
		}
		if !now.Before(t) {
			s += " (expired)"
		}
		parts = append([]string{s}, parts...)
	}
	return strings.Join(parts, "; ")
}

// Entry shows one access entry: its fields, tags and policies.
func Entry(w io.Writer, e *plan.LiveEntry, now time.Time) error {
	t := output.NewTable(w)
	t.Row("Principal:", e.PrincipalArn)
	t.Row("Type:", e.Type)
	t.Row("Username:", e.Username)
	t.Row("Groups:", strings.Join(e.KubernetesGroups, ","))
	t.Row("Created:", e.CreatedAt.UTC().Format(time.RFC3339))
	t.Row("Expires:", expiresCell(e, now))
	t.Row("Managed:", fmt.Sprint(e.Managed()))
	keys := make([]string, 0, len(e.Tags))
	for k := range e.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	tags := make([]string, 0, len(keys))
	for _, k := range keys {
		tags = append(tags, k+"="+e.Tags[k])
	}
	t.Row("Tags:", strings.Join(tags, " "))
	if err := t.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	pt := output.NewTable(w, "POLICY", "SCOPE", "NAMESPACES")
	for _, p := range e.Policies {
		pt.Row(plan.PolicyName(p.PolicyArn), p.ScopeType, strings.Join(p.Namespaces, ","))
	}
	return pt.Flush()
}

// Clusters lists EKS and HyperPod clusters with what orchestrates what.
func Clusters(w io.Writer, rows []usecase.ClusterInfo) error {
	t := output.NewTable(w, "NAME", "KIND", "STATUS", "VERSION", "AUTH MODE", "ORCHESTRATION")
	for _, r := range rows {
		orch := r.EKSCluster
		if r.Kind == "EKS" && len(r.HyperPod) > 0 {
			orch = "HyperPod: " + strings.Join(r.HyperPod, ",")
		} else if r.Kind == "HyperPod" && r.EKSCluster != "" {
			orch = "EKS: " + r.EKSCluster
		}
		t.Row(r.Name, r.Kind, r.Status, r.Version, r.AuthenticationMode, orch)
	}
	return t.Flush()
}

// Policies lists access policies by name and ARN.
func Policies(w io.Writer, pols []usecase.AccessPolicy) error {
	t := output.NewTable(w, "NAME", "ARN")
	for _, p := range pols {
		t.Row(p.Name, p.Arn)
	}
	return t.Flush()
}

// UnreadableExpiry warns about expiry tags eksaccess cannot read.
func UnreadableExpiry(w io.Writer, cps []*plan.ClusterPlan) {
	for _, cp := range cps {
		for _, p := range cp.Unreadable {
			fmt.Fprintf(w, "warning: %s: %s\n", cp.Cluster, p)
		}
	}
}

// Failures reports the accounts (or clusters) a run could not reach or read.
func Failures(w io.Writer, fs []usecase.AccountFailure) {
	for _, f := range fs {
		fmt.Fprintf(w, "error: %s\n", f)
	}
}

// Notes prints each note on its own line, prefixed "note: ".
func Notes(w io.Writer, notes []string) {
	for _, n := range notes {
		fmt.Fprintln(w, "note: "+n)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// DryRun prints what a change would do: how many principals it changes, then each plan.
func DryRun(w io.Writer, command string, plans []plan.PrincipalPlan, verbose bool) {
	pending := 0
	for _, pp := range plans {
		if len(pp.Changes) > 0 {
			pending++
		}
	}
	fmt.Fprintf(w, "dry run: %s would change %d of %d principals (nothing was changed)\n", command, pending, len(plans))
	plan.WritePlans(w, plans, verbose)
}

// AuthMode shows a cluster's authentication mode and its next step.
func AuthMode(w io.Writer, res *usecase.AuthModeResult) error {
	t := output.NewTable(w, "CLUSTER", "AUTHENTICATION MODE", "NEXT STEP")
	t.Row(res.Cluster, res.Mode, res.Next)
	return t.Flush()
}

// Kubeconfig says which context was written where, as aws eks update-kubeconfig does, and
// whether kubectl will need a sandbox that is not running.
func Kubeconfig(w io.Writer, res *usecase.KubeconfigResult, sandboxDown bool) {
	verb := "Added new context %s to %s"
	if res.Updated {
		verb = "Updated context %s in %s"
	}
	fmt.Fprintf(w, verb+"\n", res.Context, res.Path)
	if res.RoleArn != "" {
		fmt.Fprintf(w, "kubectl will use role %s as session %s\n", res.RoleArn, res.SessionName)
	}
	if sandboxDown {
		fmt.Fprintf(w, "note: the sandbox's Kubernetes endpoint lives only while a sandbox runs: start `eksaccess sandbox serve` before using kubectl\n")
	}
}

// Modes says which clusters' authentication mode a run switched, and to what.
func Modes(w io.Writer, modes map[string]string) {
	for _, cluster := range slices.Sorted(maps.Keys(modes)) {
		fmt.Fprintf(w, "%s: authenticationMode is now %s\n", cluster, modes[cluster])
	}
}

// Replan says what the plan after apply found: nothing left, or the changes that remain.
func Replan(w io.Writer, remaining int, after *usecase.FilePlan, verbose bool) {
	if remaining == 0 {
		fmt.Fprintln(w, "re-plan: no changes remain; the clusters match the file")
		return
	}
	fmt.Fprintln(w, "re-plan after apply still shows changes:")
	plan.WriteClusterPlans(w, after.Clusters, verbose)
}

// SwitchWarning says, before asking, what switching res's cluster to mode does for good.
func SwitchWarning(w io.Writer, res *usecase.AuthModeResult, mode string) {
	warn := fmt.Sprintf("switching %s from %s to %s cannot be undone: EKS never switches back", res.Cluster, res.Mode, mode)
	if mode == "API" {
		warn += "; the aws-auth ConfigMap stops being read, so principals mapped only there lose access"
	}
	fmt.Fprintln(w, "warning: "+warn)
}
