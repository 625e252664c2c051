// Package report renders an audit as one self-contained HTML page: the data, the styles and
// the script are all in the page (no network access, no external assets).
package report

import (
	_ "embed"
	"html/template"
	"io"

	"eksaccess/internal/usecase"
)

//go:embed report.html.tmpl
var pageSource string

var page = template.Must(template.New("report").Parse(pageSource))

// HTML writes the audit page: a summary, a principal × cluster matrix of the highest access
// level in each cell, filters by account, cluster, principal and policy, sorting, and a
// cell's rows on click. The audit's JSON is embedded as a script value (html/template
// escapes it for that context).
func HTML(w io.Writer, res *usecase.AuditResult) error {
	return page.Execute(w, struct {
		Title string
		Data  *usecase.AuditResult
	}{Title: "eksaccess audit — " + res.GeneratedAt.Format("2006-01-02 15:04 MST"), Data: res})
}
