package view

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"

	"eksaccess/internal/output"
	"eksaccess/internal/usecase"
)

func grantCell(r usecase.AuditRow) string {
	switch r.Grant {
	case "policy":
		return r.Policy
	case "group":
		return "group:" + r.Group
	}
	return r.Grant
}

func scopeCell(r usecase.AuditRow) string {
	switch {
	case r.Grant == "policy" && r.Scope == "namespace":
		return strings.Join(r.Namespaces, ",")
	case r.Grant == "policy":
		return "cluster"
	case r.Grant == "group" && !r.RBACKnown:
		return "rbac not read"
	case r.Grant == "group" && len(r.RBAC) == 0:
		return "no binding"
	case r.Grant == "group":
		return strings.Join(r.RBAC, "; ")
	}
	return ""
}

func timeCell(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// auditWhere names a failed target: its cluster, or the account (or region of it) that could
// not be reached or listed, and how eksaccess reached it.
func auditWhere(c usecase.AuditCluster) string {
	name, where := c.Cluster, []string{}
	switch {
	case name != "" && c.Account != "":
		where = append(where, c.Account)
	case name == "" && c.Account != "":
		name = "account " + c.Account
	case name == "":
		name = "account"
	}
	if c.Region != "" {
		where = append(where, c.Region)
	}
	if c.Reach != "" {
		where = append(where, "through "+c.Reach)
	}
	if len(where) == 0 {
		return name
	}
	return name + " (" + strings.Join(where, ", ") + ")"
}

// AuditProblems reports, on w (stderr), the clusters audit could not read and those whose
// groups' RBAC is unknown.
func AuditProblems(w io.Writer, res *usecase.AuditResult) {
	for _, c := range res.Clusters {
		if c.Error != "" {
			fmt.Fprintf(w, "error: %s: %s\n", auditWhere(c), c.Error)
		} else if strings.HasPrefix(c.RBAC, "unknown") {
			fmt.Fprintf(w, "note: %s: groups' RBAC %s\n", c.Cluster, c.RBAC)
		}
	}
}

// Audit prints one row per grant on w and the totals on summary (stderr).
func Audit(w, summary io.Writer, res *usecase.AuditResult) error {
	headers := []string{"ACCOUNT", "CLUSTER", "PRINCIPAL", "TYPE", "GRANT", "SCOPE", "LEVEL", "MANAGED", "EXPIRES", "CREATED"}
	if res.File != "" {
		headers = append(headers, "DRIFT")
	}
	t := output.NewTable(w, headers...)
	for _, r := range res.Rows {
		managed := "no"
		if r.Managed {
			managed = "yes"
		}
		cells := []string{r.Account, r.Cluster, r.Principal, r.EntryType, grantCell(r), scopeCell(r), r.Level, managed, r.Expires, timeCell(r.CreatedAt)}
		if res.File != "" {
			cells = append(cells, r.Drift)
		}
		t.Row(cells...)
	}
	if err := t.Flush(); err != nil {
		return err
	}
	s := res.Summary
	fmt.Fprintf(summary, "%d grant(s) of %d principal(s) on %d cluster(s)", s.Rows, s.Principals, s.Clusters-s.Failed)
	if res.File != "" {
		fmt.Fprintf(summary, ", %d drifted", s.Drift)
	}
	fmt.Fprintln(summary)
	return nil
}

// AuditCSV writes the audit's rows as CSV, every field of a row in its own column.
func AuditCSV(w io.Writer, res *usecase.AuditResult) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"account", "region", "cluster", "principal", "entry_type", "username", "grant", "policy", "scope", "namespaces", "group", "rbac", "level", "managed", "expires", "created_at", "modified_at", "drift"})
	for _, r := range res.Rows {
		rbac := ""
		if r.Grant == "group" {
			rbac = scopeCell(r)
		}
		_ = cw.Write([]string{r.Account, r.Region, r.Cluster, r.Principal, r.EntryType, r.Username, r.Grant, r.Policy, r.Scope,
			strings.Join(r.Namespaces, " "), r.Group, rbac, r.Level, fmt.Sprint(r.Managed), r.Expires, timeCell(r.CreatedAt), timeCell(r.ModifiedAt), r.Drift})
	}
	cw.Flush()
	return cw.Error()
}

// Doctor prints each finding with its evidence and fix, and what --fix changed.
func Doctor(w io.Writer, res *usecase.DoctorResult, fix, verbose bool) {
	if len(res.Findings) == 0 {
		fmt.Fprintf(w, "no problems found on %d cluster(s)\n", len(res.Clusters))
	}
	for _, fd := range res.Findings {
		state := ""
		if fd.Fixed {
			state = " [fixed]"
		} else if fd.Fixable && !fix {
			state = " [--fix repairs it]"
		}
		who := fd.Cluster
		if fd.Principal != "" {
			who += " " + fd.Principal
		}
		fmt.Fprintf(w, "%s %s: %s%s\n  %s\n  evidence: %s\n  fix: %s\n", fd.Severity, fd.Check, who, state, fd.Message, fd.Evidence, fd.Fix)
	}
	if res.Outcome != nil && res.Outcome.Summary != nil {
		res.Outcome.Summary.Write(w, verbose)
	}
}
