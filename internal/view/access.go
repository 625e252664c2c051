package view

import (
	"fmt"
	"io"
	"strings"

	"eksaccess/internal/output"
	"eksaccess/internal/usecase"
)

// CanI prints can-i's answer and what decided it.
func CanI(w io.Writer, res *usecase.CanIResult) error {
	fmt.Fprintln(w, res.Answer)
	t := output.NewTable(w)
	t.Row("Principal:", res.Principal)
	t.Row("Request:", res.Request)
	if e := res.Entry; e != nil {
		t.Row("Entry:", fmt.Sprintf("%s, username %s, groups %s", orDash(e.Type), orDash(e.Username), orDash(strings.Join(e.Groups, ","))))
	}
	if res.Allowed() {
		t.Row("Granted by:", res.Via)
	} else {
		t.Row("Reason:", res.Reason)
	}
	return t.Flush()
}

// WhoCan lists the entries that may (or might) make the request.
func WhoCan(w io.Writer, rows []usecase.WhoCanRow) error {
	t := output.NewTable(w, "PRINCIPAL", "TYPE", "ANSWER", "VIA")
	for _, r := range rows {
		t.Row(r.PrincipalArn, r.Type, r.Answer, r.Via)
	}
	return t.Flush()
}

// Rules lists a principal's effective rules, each with its source, as kubectl auth can-i
// --list lays them out.
func Rules(w io.Writer, res *usecase.AccessResult) error {
	t := output.NewTable(w, "RESOURCES", "NON-RESOURCE URLS", "RESOURCE NAMES", "VERBS", "SOURCE")
	for _, r := range res.Rules {
		var resources []string
		for _, rs := range r.Rule.Resources {
			for _, g := range r.Rule.APIGroups {
				if g == "" || g == "*" && rs == "*" {
					resources = append(resources, rs)
				} else {
					resources = append(resources, rs+"."+g)
				}
			}
		}
		via := r.Via
		if r.AggregatedFrom != "" {
			via += " (aggregated from " + r.AggregatedFrom + ")"
		}
		t.Row(orDash(strings.Join(resources, ",")), orDash(strings.Join(r.Rule.NonResourceURLs, ",")), orDash(strings.Join(r.Rule.ResourceNames, ",")),
			"["+strings.Join(r.Rule.Verbs, " ")+"]", via)
	}
	return t.Flush()
}
