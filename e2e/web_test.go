package e2e

import (
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gosqlguard/gosqlguard/internal/web/webtest"
)

// browserStep runs chromedp actions and fails the test with the step's name.
func browserStep(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(cctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// browserValue runs one action that yields a value.
func browserValue[T any](t *testing.T, ctx context.Context, what string, action chromedp.Action[T]) T {
	t.Helper()
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(cctx, action)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// waitJS polls a JavaScript predicate until it is true.
func waitJS(t *testing.T, ctx context.Context, what, predicate string, timeout time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(timeout); ; {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		ok, err := chromedp.Run(cctx, chromedp.Evaluate[bool](`!!(`+predicate+`)`))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: timed out", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// The web UI against a real daemon and a real database, in headless
// Chromium: log in, see the dashboard, trigger a backup and watch it finish
// without a reload, filter the list, open the detail, verify, log out.
func TestWebUIAgainstRealDaemon(t *testing.T) {
	db := bigMariaDB(t)
	s := newSetup(t, []serverSpec{{name: "my", typ: "mysql", socket: mariadbSocket, user: "root", passwordFile: writeSecret(t, nastyPassword), databases: []string{db}}},
		options{extra: "compression: {codec: gzip, level: 9}\n"})
	cfg, _ := os.ReadFile(s.configPath)
	cfg = []byte(strings.Replace(string(cfg), "http: {listen: \""+s.listen+"\"}\n", "", 1) +
		"http:\n  listen: \"" + s.listen + "\"\n  auth:\n    tokens:\n" + tokenLine("dba", "operator", "web-operator-token"))
	os.WriteFile(s.configPath, cfg, 0o600)
	d := startDaemon(t, s)
	base := "http://" + s.listen
	waitReady(t, base, d)

	ctx := webtest.Browser(t)
	browserStep(t, ctx, "open the dashboard (redirects to login)", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#token")))
	webtest.Screenshot(t, ctx, "real-login")
	browserStep(t, ctx, "log in",
		chromedp.SendKeys(chromedp.CSS("#token"), "web-operator-token"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#live-jobs")))
	webtest.Screenshot(t, ctx, "real-dashboard")

	// Trigger a backup of the big database and watch it run and finish in place.
	row := `tr[data-job="my/` + db + `/manual"]`
	browserStep(t, ctx, "choose the job",
		chromedp.SetValue(chromedp.CSS("#t-server"), "my"),
		chromedp.SetValue(chromedp.CSS("#t-database"), db),
		chromedp.SetValue(chromedp.CSS("#t-type"), "manual"),
		chromedp.Click(chromedp.CSS(`#trigger-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".flash-ok")))
	browserValue(t, ctx, "mark the document", chromedp.Evaluate[string](`window.__same = 'yes'`))
	waitJS(t, ctx, "live progress of the running backup", `/MiB/.test(document.getElementById('live-running').textContent)`, 30*time.Second)
	webtest.Screenshot(t, ctx, "real-dashboard-running")
	waitJS(t, ctx, "the job row to show OK", `document.querySelector('`+row+`') && document.querySelector('`+row+` .status-cell').textContent.includes('OK')`, 2*time.Minute)
	if same := browserValue(t, ctx, "check no reload happened", chromedp.Evaluate[string](`String(window.__same)`)); same != "yes" {
		t.Fatal("the dashboard reloaded; the row should update in place")
	}
	list := s.listTimes(t, "--status", "success")
	if len(list) != 1 {
		t.Fatalf("catalog after the UI-triggered backup: %+v", list)
	}

	// Filter the list, open the detail, verify.
	browserStep(t, ctx, "filter the list",
		chromedp.Navigate(base+"/backups"),
		chromedp.WaitVisible(chromedp.CSS("#f-status")),
		chromedp.SetValue(chromedp.CSS("#f-status"), "success"),
		chromedp.Click(chromedp.CSS(`form.filters button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-id="`+list[0].ID+`"]`)))
	webtest.Screenshot(t, ctx, "real-backups")
	browserStep(t, ctx, "open the detail and verify",
		chromedp.Click(chromedp.CSS(`tr[data-id="`+list[0].ID+`"] a.id`)),
		chromedp.WaitVisible(chromedp.CSS("#verify-button")),
		chromedp.Click(chromedp.CSS("#verify-button")),
		chromedp.WaitVisible(chromedp.CSS("#verify")))
	results := browserValue(t, ctx, "read the verify results", chromedp.Text(chromedp.CSS("#verify")))
	if !strings.Contains(results, "Good") {
		t.Errorf("verify results: %q", results)
	}
	webtest.Screenshot(t, ctx, "real-detail")

	// Restore drills: the job was never proven restorable; a drill run from
	// the backup's page restores it into a scratch database, and both the
	// page and the dashboard then say so.
	job := `tr[data-job="my/` + db + `/manual"]`
	browserStep(t, ctx, "dashboard before the drill", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(job)))
	if state := browserValue(t, ctx, "read the drill state", chromedp.Evaluate[string](`document.querySelector('`+job+` .drill-cell').dataset.drill`)); state != "never" {
		t.Errorf("before any drill the job's drill state is %q, want never", state)
	}
	if cell := browserValue(t, ctx, "read the drill cell", chromedp.Text(chromedp.CSS(job+" .drill-cell"))); !strings.Contains(cell, "Never") {
		t.Errorf("before any drill the job's cell says %q, want Never", cell)
	}
	browserStep(t, ctx, "back to the backup", chromedp.Navigate(base+"/backups/"+list[0].ID), chromedp.WaitVisible(chromedp.CSS("#drill-button")))
	if empty := browserValue(t, ctx, "read the empty history", chromedp.Text(chromedp.CSS("#drills"))); !strings.Contains(empty, "No restore drill has run") {
		t.Errorf("drill history before the drill: %q", empty)
	}
	dctx, cancel := context.WithTimeout(ctx, 5*time.Minute) // a drill restores the whole million rows
	err := chromedp.Do(dctx,
		chromedp.Click(chromedp.CSS("#drill-button")),
		chromedp.WaitVisible(chromedp.CSS("#drills tr[data-drill]")))
	cancel()
	if err != nil {
		t.Fatalf("run a drill from the backup page: %v", err)
	}
	flash := browserValue(t, ctx, "read the drill's outcome", chromedp.Text(chromedp.CSS(".flash")))
	if !strings.Contains(flash, "Drill passed: restored onto my in ") || !strings.Contains(flash, "matches the backup's fingerprint") {
		t.Errorf("after the drill the page says %q", flash)
	}
	drillRow := browserValue(t, ctx, "read the drill row", chromedp.Text(chromedp.CSS("#drills tbody tr:first-child")))
	if !strings.Contains(drillRow, "Passed") || !strings.Contains(drillRow, "just now") || !strings.Contains(drillRow, "my") {
		t.Errorf("the newest drill row says %q", drillRow)
	}
	if hash := browserValue(t, ctx, "read the location hash", chromedp.Evaluate[string](`location.hash`)); hash != "#drills" {
		t.Errorf("after the drill the page is at %q, want #drills", hash)
	}
	webtest.Screenshot(t, ctx, "real-drill")
	browserStep(t, ctx, "dashboard after the drill", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(job)))
	if state := browserValue(t, ctx, "read the drill state", chromedp.Evaluate[string](`document.querySelector('`+job+` .drill-cell').dataset.drill`)); state != "proven" {
		t.Errorf("after the drill the job's drill state is %q, want proven", state)
	}
	proof := browserValue(t, ctx, "read the proof link", chromedp.Evaluate[string](`document.querySelector('`+job+` .drill-cell a').getAttribute('href')`))
	if proof != "/backups/"+list[0].ID+"#drills" {
		t.Errorf("the proof links to %q, want the drilled backup", proof)
	}
	webtest.Screenshot(t, ctx, "real-dashboard-proven")
	// The API reports the same drill.
	api := apiClient{t: t, base: base, token: "web-operator-token"}
	if code, body := api.do("GET", "/api/v1/backups/"+list[0].ID+"/drills", ""); code != 200 || strings.Count(body, `"status":"success"`) != 1 {
		t.Errorf("GET drills: %d %s", code, body)
	}
	if code, body := api.do("GET", "/api/v1/jobs", ""); code != 200 || !strings.Contains(body, `"last_drill_success_id":"`+list[0].ID+`"`) {
		t.Errorf("GET jobs after the drill: %d %s", code, body)
	}
	browserStep(t, ctx, "phone width", chromedp.EmulateViewport(webtest.PhoneWidth, webtest.PhoneHeight, chromedp.EmulateScale(2)))
	browserStep(t, ctx, "dashboard at phone width", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(job)))
	webtest.Screenshot(t, ctx, "real-dashboard-proven-phone")
	browserStep(t, ctx, "backup at phone width", chromedp.Navigate(base+"/backups/"+list[0].ID), chromedp.WaitVisible(chromedp.CSS("#drills")))
	if w := browserValue(t, ctx, "page width", chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w != webtest.PhoneWidth {
		t.Errorf("at phone width the backup page is %d px wide, want %d", w, webtest.PhoneWidth)
	}
	webtest.Screenshot(t, ctx, "real-drill-phone")
	browserStep(t, ctx, "laptop width", chromedp.EmulateViewport(webtest.LaptopWidth, webtest.LaptopHeight))
	browserStep(t, ctx, "status page", chromedp.Navigate(base+"/status"), chromedp.WaitVisible(chromedp.CSS("main")))
	html := browserValue(t, ctx, "read the status page", chromedp.OuterHTML(chromedp.CSS("html")))
	if strings.Contains(html, "w>rd") || strings.Contains(html, "s$s;") || strings.Contains(html, "web-operator-token") {
		t.Error("a secret appears on the status page")
	}
	browserStep(t, ctx, "log out",
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#token")))
	if err, _ := d.stop(syscall.SIGTERM); err != nil {
		t.Errorf("daemon exit: %v", err)
	}
}
