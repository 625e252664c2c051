package view

import (
	"fmt"
	"io"
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

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
