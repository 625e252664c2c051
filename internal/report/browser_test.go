package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"eksaccess/internal/usecase"
)

// chromiumPath finds Debian's chromium; the test fails (never skips) without it.
func chromiumPath(t *testing.T) string {
	for _, p := range []string{os.Getenv("EKSACCESS_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	t.Fatal("the HTML report's browser test needs Debian's chromium: install it with `apt-get update && apt-get install -y chromium` (.ci/run does), or point EKSACCESS_CHROMIUM at a chromium binary")
	return ""
}

// sampleAudit is an audit of two accounts, three clusters and a few principals.
func sampleAudit() *usecase.AuditResult {
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	res := &usecase.AuditResult{GeneratedAt: t0.Add(24 * time.Hour)}
	type cl struct{ acct, region, name string }
	clusters := []cl{{"111122223333", "us-west-2", "ml-prod"}, {"111122223333", "us-west-2", "ml-dev"}, {"444455556666", "eu-west-1", "analytics"}}
	for _, c := range clusters {
		res.Clusters = append(res.Clusters, usecase.AuditCluster{AuditTarget: usecase.AuditTarget{Account: c.acct, Region: c.region, Cluster: c.name}, AuthenticationMode: "API"})
	}
	res.Clusters = append(res.Clusters, usecase.AuditCluster{AuditTarget: usecase.AuditTarget{Account: "444455556666", Region: "eu-west-1", Cluster: "broken"}, Error: "AccessDeniedException: not authorized"})
	// An account audit --all could not reach: named in the errors, no column of its own.
	res.Clusters = append(res.Clusters, usecase.AuditCluster{AuditTarget: usecase.AuditTarget{Account: "777788889999", Reach: "role arn:aws:iam::777788889999:role/EKSAudit"}, Error: "AccessDenied: sts:AssumeRole"})
	row := func(c cl, who, grant, pol, level string, rank int, ns ...string) usecase.AuditRow {
		r := usecase.AuditRow{Account: c.acct, Region: c.region, Cluster: c.name, Principal: "arn:aws:iam::" + c.acct + ":" + who, EntryType: "STANDARD",
			Grant: grant, Level: level, Rank: rank, CreatedAt: t0, ModifiedAt: t0, Managed: true}
		switch grant {
		case "policy":
			r.Policy, r.Scope, r.Namespaces = pol, "cluster", ns
			if len(ns) > 0 {
				r.Scope = "namespace"
			}
		case "group":
			r.Group, r.RBACKnown, r.RBAC = pol, true, []string{"ClusterRoleBinding " + pol + " → ClusterRole view"}
		}
		return r
	}
	for _, c := range clusters {
		res.Rows = append(res.Rows,
			row(c, "role/admin", "policy", "AmazonEKSClusterAdminPolicy", "cluster-admin", 9),
			row(c, "user/alice", "policy", "AmazonEKSEditPolicy", "edit (namespaces)", 4, "team-a", "team-b"),
			row(c, "user/alice", "policy", "AmazonEKSViewPolicy", "view", 3),
		)
	}
	res.Rows = append(res.Rows,
		row(clusters[0], "user/bob", "group", "readers", "view", 3),
		row(clusters[0], "user/<script>alert(1)</script>", "none", "", "none", 0),
		row(clusters[2], "role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Analyst_abc", "policy", "AmazonEKSViewPolicy", "view", 3),
	)
	res.Rows[len(res.Rows)-1].Expires = "2026-12-31T00:00:00Z"
	res.Rows[len(res.Rows)-2].Drift = "not in file"
	res.Summary = usecase.AuditSummary{Clusters: 4, Failed: 1, FailedAccounts: 1, Rows: len(res.Rows), ByLevel: map[string]int{}}
	ps := map[string]bool{}
	for _, r := range res.Rows {
		ps[r.Principal] = true
		res.Summary.ByLevel[r.Level]++
	}
	res.Summary.Principals = len(ps)
	return res
}

// artefactDir is where the screenshot stays after the test (EKSACCESS_TEST_ARTEFACTS, or a
// new directory under the system's temp dir); its path is logged.
func artefactDir(t *testing.T) string {
	if d := os.Getenv("EKSACCESS_TEST_ARTEFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	d, err := os.MkdirTemp("", "eksaccess-report-artefacts-")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestReportInChromium(t *testing.T) {
	exe := chromiumPath(t)
	res := sampleAudit()
	dir := t.TempDir()
	var page bytes.Buffer
	if err := HTML(&page, res); err != nil {
		t.Fatal(err)
	}
	if s := page.String(); strings.Contains(s, "http://") || strings.Contains(s, "https://") || strings.Contains(s, "<script src") || strings.Contains(s, "<link") {
		t.Fatal("the page refers to something outside itself")
	}
	file := filepath.Join(dir, "audit.html")
	if err := os.WriteFile(file, page.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	// What the JSON says the matrix must show.
	js, _ := json.Marshal(res)
	var fromJSON usecase.AuditResult
	if err := json.Unmarshal(js, &fromJSON); err != nil {
		t.Fatal(err)
	}
	principals, cells := map[string]bool{}, map[string]bool{}
	for _, r := range fromJSON.Rows {
		principals[r.Principal] = true
		cells[r.Principal+"|"+r.Account+"/"+r.Region+"/"+r.Cluster] = true
	}
	aliceRows, alices := 0, map[string]bool{}
	for _, r := range fromJSON.Rows {
		if strings.Contains(r.Principal, "alice") {
			aliceRows++
			alices[r.Principal] = true
		}
	}

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.WindowSize(1400, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	defer cancelT()

	// The console, from before the page loads: errors, warnings and uncaught exceptions.
	cctx, stopConsole := context.WithCancel(ctx)
	messages := chromedp.Console(cctx)
	var consoleErrors []string
	var wg sync.WaitGroup
	wg.Go(func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning {
				consoleErrors = append(consoleErrors, m.String())
			}
		}
	})
	num := func(expr string) int { t.Helper(); return evaluate[int](t, ctx, expr) }
	str := func(expr string) string { t.Helper(); return evaluate[string](t, ctx, expr) }
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	count := func(sel string) int { return num(fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)) }

	do("load the page in chromium", chromedp.Navigate("file://"+file), chromedp.WaitVisible(chromedp.CSS("#matrix tbody tr")))
	rowsShown, cellsShown := count("#matrix tbody tr"), count("#matrix td.cell")
	countSum := num(`[...document.querySelectorAll("#matrix td.cell")].reduce((s, td) => s + Number(td.dataset.count), 0)`)
	grantsShown := num(`Number(document.getElementById("shown").dataset.grants)`)
	adminCard := str(`document.querySelector('[data-card="Cluster admins"] b').textContent`)
	failedCard := str(`document.querySelector('[data-card="Failed clusters"] b').textContent`)
	if rowsShown != len(principals) || cellsShown != len(cells) || countSum != len(fromJSON.Rows) || grantsShown != len(fromJSON.Rows) {
		t.Errorf("matrix shows %d principals, %d cells, %d grants (counter %d); the JSON has %d, %d, %d",
			rowsShown, cellsShown, countSum, grantsShown, len(principals), len(cells), len(fromJSON.Rows))
	}
	if adminCard != fmt.Sprint(fromJSON.Summary.ByLevel["cluster-admin"]) || failedCard != "1" {
		t.Errorf("summary cards: cluster admins %q, failed %q", adminCard, failedCard)
	}
	failedAccounts := str(`document.querySelector('[data-card="Failed accounts"] b').textContent`)
	errorsText := str(`document.getElementById("errors").textContent`)
	columns := num(`document.querySelectorAll("#matrix thead th").length`)
	if failedAccounts != "1" || !strings.Contains(errorsText, "account (777788889999, through role arn:aws:iam::777788889999:role/EKSAudit): AccessDenied") {
		t.Errorf("the unreachable account: card %q, errors %q", failedAccounts, errorsText)
	}
	if columns != 3+4 { // principal, grants, highest, then one per cluster (the failed one too)
		t.Errorf("%d matrix columns, want 7 (an account without clusters has none)", columns)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	out := filepath.Join(artefactDir(t), "audit-report.png")
	if err := os.WriteFile(out, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the report: %s", out)

	// A principal filter narrows the rows; a cluster filter narrows the columns too; a click
	// shows the cell's grants; a click on a header sorts.
	do("filter by principal", chromedp.SendKeys(chromedp.ID("f-principal"), "alice"))
	afterFilter := count("#matrix tbody tr")
	grantsShown = num(`Number(document.getElementById("shown").dataset.grants)`)
	do("filter by cluster", chromedp.SetValue(chromedp.ID("f-cluster"), "analytics"))
	cols := num(`document.getElementById("f-cluster").dispatchEvent(new Event("change")), document.querySelectorAll("#matrix thead th").length`)
	afterCluster := count("#matrix td.cell")
	do("click a cell", chromedp.Click(chromedp.CSS("#matrix td.cell")))
	detailRows := count("#details-table tr")
	do("clear the filters", chromedp.SetValue(chromedp.ID("f-cluster"), ""))
	firstPrincipal := str(`document.getElementById("f-cluster").dispatchEvent(new Event("change")); document.getElementById("f-principal").value = ""; document.getElementById("f-principal").dispatchEvent(new Event("input")); document.querySelector("#matrix tbody tr td").title`)
	do("sort by principal", chromedp.Click(chromedp.CSS(`#matrix th[data-sort="principal"]`)))
	firstAfterSort := str(`document.querySelector("#matrix tbody tr td").title`)
	if afterFilter != len(alices) || afterFilter >= rowsShown || grantsShown != aliceRows {
		t.Errorf("principal filter alice: %d row(s), %d grant(s); want %d and %d", afterFilter, grantsShown, len(alices), aliceRows)
	}
	if cols != 4 || afterCluster != 1 {
		t.Errorf("cluster filter: %d header cells, %d cells; want 4 and 1", cols, afterCluster)
	}
	if detailRows != 3 { // a header and alice's two grants on analytics
		t.Errorf("details of alice on analytics: %d table rows, want 3", detailRows)
	}
	if firstPrincipal == firstAfterSort || firstPrincipal == "" {
		t.Errorf("sorting by principal did not reverse the order: first %q, then %q", firstPrincipal, firstAfterSort)
	}
	stopConsole()
	wg.Wait()
	if len(consoleErrors) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(consoleErrors, "\n"))
	}
}

// evaluate runs expr in the page and returns its value as a T; the test stops if it fails.
func evaluate[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}
