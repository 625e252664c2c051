package view

import (
	"fmt"
	"io"
	"strings"

	"eksaccess/internal/output"
	"eksaccess/internal/plan"
	"eksaccess/internal/role"
	"eksaccess/internal/usecase"
)

// RoleCreate prints each step of role create with its result, then the count of changes.
func RoleCreate(w io.Writer, out *usecase.RoleCreateResult, dryRun bool) {
	word := func(s role.Status) string {
		if dryRun && s != role.Unchanged {
			return "would " + strings.TrimSuffix(string(s), "d")
		}
		return string(s)
	}
	t := output.NewTable(w, "RESOURCE", "NAME", "RESULT", "DETAIL")
	changed := 0
	for _, s := range out.Steps {
		detail := s.Arn
		if s.Resource == "attachment" {
			detail = ""
		}
		if len(s.Changes) > 0 {
			detail = strings.Join(s.Changes, ", ")
		}
		if s.Status != role.Unchanged {
			changed++
		}
		t.Row(s.Resource, s.Name, word(s.Status), detail)
	}
	if g := out.Grant; g != nil {
		var parts []string
		for _, c := range g.Changes {
			switch {
			case c.Action == plan.ActCreate:
			case c.Before != "" && c.After != "":
				parts = append(parts, string(c.Action)+" "+c.Before+" -> "+c.After)
			default:
				parts = append(parts, strings.TrimSpace(string(c.Action)+" "+c.After+" "+strings.Join(c.TagKeys, ",")))
			}
		}
		if g.Status != role.Unchanged {
			changed++
		}
		t.Row("access entry", g.Cluster, word(g.Status), strings.Join(parts, ", "))
	}
	t.Flush()
	switch {
	case changed == 0:
		fmt.Fprintln(w, "no changes")
	case dryRun:
		fmt.Fprintf(w, "dry run: %d to change, nothing changed\n", changed)
	default:
		fmt.Fprintf(w, "%d changed\n", changed)
	}
}
