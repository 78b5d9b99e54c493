package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/gosqlguard/gosqlguard/internal/web/webtest"
)

// browser drives one tab through the UI, failing the test on any error.
type browser struct {
	t   *testing.T
	ctx context.Context
	url string
}

func (b *browser) timeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, d)
}

// do runs steps that do not navigate.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.timeout(20 * time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// load runs steps that navigate (a click on a link or a submit) and waits
// for the new page, which must answer with want.
func (b *browser) load(what string, want int64, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.timeout(30 * time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	if resp.Status != want {
		b.t.Fatalf("%s: status %d, want %d", what, resp.Status, want)
	}
}

func (b *browser) open(path string) {
	b.t.Helper()
	b.load("open "+path, 200, chromedp.Navigate(b.url+path))
}

// text returns the text of the first element matching the CSS selector.
func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := b.timeout(10 * time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func (b *browser) eval(js string) string {
	b.t.Helper()
	ctx, cancel := b.timeout(10 * time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return s
}

// waitFor polls a JavaScript predicate until it holds. The page may reload
// meanwhile: evaluation errors during a navigation count as "not yet".
func (b *browser) waitFor(what, predicate string, d time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(d)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := b.timeout(2 * time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!(`+predicate+`)`))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	b.t.Fatalf("waiting for %s: not true after %v (last error: %v)", what, d, last)
}

func (b *browser) shot(name string) { b.t.Helper(); webtest.Screenshot(b.t, b.ctx, name) }

// dark switches the page to the dark colour scheme, or back to light.
func (b *browser) dark(on bool) {
	b.t.Helper()
	p := emulation.SetEmulatedMediaParams{}
	if on {
		p.Features = []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}
	}
	if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, p); err != nil {
		b.t.Fatalf("dark mode %v: %v", on, err)
	}
}

// TestBrowserWalkthrough logs in, watches a triggered backup finish without
// a reload, filters the list, verifies and restores a backup, looks at every
// page (with screenshots in test-artifacts/) and logs out.
func TestBrowserWalkthrough(t *testing.T) {
	ctx := webtest.Browser(t)
	e := newEnv(t, envOptions{})
	e.svc.RunFor = 6 * time.Second
	b := &browser{t: t, ctx: ctx, url: e.srv.URL}

	// Not logged in: the login form.
	b.open("/")
	if loc := b.eval(`location.pathname`); loc != "/login" {
		t.Fatalf("GET / without a session ends at %s, want /login", loc)
	}
	b.do("wait for the login form", chromedp.WaitVisible(chromedp.CSS("#token")))
	b.shot("login")
	b.do("type a wrong token", chromedp.SendKeys(chromedp.CSS("#token"), "wrong-token"))
	b.load("submit a wrong token", 401, chromedp.Click(chromedp.CSS(`form[action="/login"] button`)))
	if msg := b.text("#login-error"); !strings.Contains(msg, "not valid") {
		t.Fatalf("login error says %q", msg)
	}
	b.shot("login-error")
	b.do("type the token", chromedp.SendKeys(chromedp.CSS("#token"), operatorToken))
	b.load("log in", 200, chromedp.Click(chromedp.CSS(`form[action="/login"] button`)))
	b.do("wait for the dashboard", chromedp.WaitVisible(chromedp.CSS("#live-jobs")))
	if who := b.text(".who .user"); !strings.Contains(who, "oscar") {
		t.Fatalf("header shows %q, want the operator's name", who)
	}
	b.waitFor("a live update", `document.getElementById('live-clock').textContent.includes('updated')`, 10*time.Second)
	b.shot("dashboard")

	// Trigger a backup and watch its row change without reloading.
	const row = `tr[data-job="main-mysql/shop/hourly"]`
	before := b.text(row + " .status-cell")
	if !strings.Contains(before, "OK") {
		t.Fatalf("before the backup the row's status is %q, want OK", before)
	}
	b.do("choose the job",
		chromedp.SetValue(chromedp.CSS("#t-server"), "main-mysql"),
		chromedp.SetValue(chromedp.CSS("#t-database"), "shop"),
		chromedp.SetValue(chromedp.CSS("#t-type"), "hourly"),
	)
	b.load("trigger a backup", 200, chromedp.Click(chromedp.CSS(`#trigger-form button[type="submit"]`)))
	if msg := b.text(".flash-ok"); !strings.Contains(msg, "Started backup") {
		t.Fatalf("after the trigger the page says %q", msg)
	}
	b.eval(`window.__sameDocument = 'yes'; 'ok'`)
	b.waitFor("the row to show Running", `document.querySelector('`+row+` .status-cell').textContent.includes('Running')`, 10*time.Second)
	b.waitFor("progress with a rate", `/MiB\/s/.test(document.getElementById('live-running').textContent)`, 10*time.Second)
	if !strings.HasPrefix(b.eval(`document.title`), "(1 running)") {
		t.Errorf("the title does not show the running backup: %q", b.eval(`document.title`))
	}
	b.shot("dashboard-running")
	b.waitFor("the row to show OK again", `(function(){var c=document.querySelector('`+row+` .status-cell').textContent;`+
		`return !c.includes('Running') && c.includes('OK');})()`, 20*time.Second)
	if got := b.text(row + ` td[data-label="Last success"]`); !strings.Contains(got, "just now") {
		t.Errorf("last success after the backup shows %q, want just now", got)
	}
	if b.eval(`String(window.__sameDocument)`) != "yes" {
		t.Fatal("the dashboard reloaded itself; the row should update in place")
	}
	if msg := b.text("#live-running"); !strings.Contains(msg, "Nothing is running") {
		t.Errorf("running section after the backup: %q", msg)
	}

	// The list: filter and open a backup.
	b.load("open the list", 200, chromedp.Click(chromedp.CSS(`.nav a[href="/backups"]`)))
	b.do("wait for the list", chromedp.WaitVisible(chromedp.CSS("table.backups")))
	b.shot("backups")
	b.do("filter",
		chromedp.SetValue(chromedp.CSS("#f-server"), "pg-main"),
		chromedp.SetValue(chromedp.CSS("#f-status"), "success"),
	)
	b.load("apply the filter", 200, chromedp.Click(chromedp.CSS(`form.filters button[type="submit"]`)))
	servers := b.eval(`Array.from(document.querySelectorAll('table.backups tbody tr')).map(r => r.dataset.server + ':' + r.dataset.status).join(',')`)
	if servers == "" {
		t.Fatal("no rows after filtering")
	}
	for _, s := range strings.Split(servers, ",") {
		if s != "pg-main:success" {
			t.Fatalf("filtered rows: %s; want only pg-main:success", servers)
		}
	}
	b.shot("backups-filtered")
	b.load("open the newest", 200, chromedp.Click(chromedp.CSS(`table.backups tbody tr:first-child a.id`)))
	b.do("wait for the detail", chromedp.WaitVisible(chromedp.CSS("#summary-h")))
	b.load("verify", 200, chromedp.Click(chromedp.CSS("#verify-button")))
	b.do("wait for the results", chromedp.WaitVisible(chromedp.CSS("#verify")))
	if got := b.text("#verify"); strings.Count(got, "Good") != 2 {
		t.Fatalf("verify results: %q, want two good copies", got)
	}
	b.shot("backup-detail")

	// Restore into another database, with the confirmation step.
	db := b.eval(`document.querySelector('.page-head h1').firstChild.textContent.split('/')[1].trim()`)
	b.load("open restore", 200, chromedp.Click(chromedp.CSS(`a[href$="/restore"]`)))
	b.do("name the target", chromedp.SendKeys(chromedp.CSS("#r-to"), db+"_copy"))
	b.load("continue", 200, chromedp.Click(chromedp.CSS(`#restore-continue`)))
	if h := b.text("#confirm-h"); !strings.Contains(h, "into pg-main/"+db+"_copy?") {
		t.Fatalf("confirmation heading %q does not name the target", h)
	}
	b.shot("restore-confirm")
	b.do("type a wrong name", chromedp.SendKeys(chromedp.CSS("#r-confirm"), db))
	b.load("confirm with the wrong name", 422, chromedp.Click(chromedp.CSS(`#restore-button`)))
	b.do("type the name", chromedp.SendKeys(chromedp.CSS("#r-confirm"), db+"_copy"))
	b.load("restore", 200, chromedp.Click(chromedp.CSS(`#restore-button`)))
	if msg := b.text(".flash-ok"); !strings.Contains(msg, "Restored backup") {
		t.Fatalf("after the restore the page says %q", msg)
	}
	if len(e.restores()) != 1 || !strings.HasSuffix(e.restores()[0], "->"+db+"_copy") {
		t.Fatalf("restores: %v", e.restores())
	}

	// Restore drills: one that fails on this pg-main backup, one that passes.
	drillsBefore := b.eval(`String(document.querySelectorAll('#drills tr[data-drill]').length)`)
	b.load("run a drill", 200, chromedp.Click(chromedp.CSS("#drill-button")))
	if msg := b.text(".flash-error"); !strings.Contains(msg, "Drill failed on pg-main") || strings.Contains(msg, leakedSecret) {
		t.Fatalf("after the failing drill the page says %q", msg)
	}
	if after := b.eval(`String(document.querySelectorAll('#drills tr[data-drill]').length)`); after == drillsBefore {
		t.Fatalf("the drill history still has %s rows", after)
	}
	if first := b.text(`#drills tbody tr:first-child`); !strings.Contains(first, "Failed") || !strings.Contains(first, "just now") {
		t.Errorf("the newest drill row says %q", first)
	}
	b.shot("backup-drill-failed")
	hourly := e.backupID(t, func(_, db, typ, st string) bool { return db == "crm" && typ == "hourly" && st == "success" })
	b.open("/backups/" + hourly)
	b.load("run a drill that passes", 200, chromedp.Click(chromedp.CSS("#drill-button")))
	if msg := b.text(".flash-ok"); !strings.Contains(msg, "Drill passed") {
		t.Fatalf("after the passing drill the page says %q", msg)
	}
	b.shot("backup-drill-passed")
	shopDaily := e.backupID(t, func(_, db, typ, st string) bool { return db == "shop" && typ == "daily" && st == "success" })
	b.open("/backups/" + shopDaily + "#drills")
	b.shot("backup-drill-differs")

	// A running backup's page shows live progress and reloads when it ends.
	ids, err := e.svc.StartBackups(t.Context(), "pg-main", "app", "manual")
	if err != nil {
		t.Fatal(err)
	}
	b.open("/backups/" + ids[0])
	b.do("wait for the progress", chromedp.WaitVisible(chromedp.CSS("#live-progress")))
	b.waitFor("bytes read", `/MiB/.test(document.getElementById('live-progress').textContent)`, 10*time.Second)
	b.shot("backup-running")
	b.waitFor("the page to reload as a success", `(function(){var h=document.querySelector('.head-status');`+
		`return h && h.textContent.includes('Success') && !document.getElementById('live-progress');})()`, 20*time.Second)

	// A failed backup's page.
	failed := e.backupID(t, func(_, db, _, st string) bool { return db == "analytics" && st == "failed" })
	b.open("/backups/" + failed)
	b.shot("backup-failed")

	b.load("open retention", 200, chromedp.Click(chromedp.CSS(`.nav a[href="/retention"]`)))
	b.do("wait for the plan", chromedp.WaitVisible(chromedp.CSS(".summary")))
	b.shot("retention")
	b.load("open status", 200, chromedp.Click(chromedp.CSS(`.nav a[href="/status"]`)))
	if cfg := b.text("pre.config"); !strings.Contains(cfg, "password: <secret>") {
		t.Fatalf("config summary: %q", cfg)
	}
	b.shot("status")

	// Dark mode, for those who keep the dashboard open at night.
	b.dark(true)
	b.open("/")
	b.shot("dashboard-dark")
	b.dark(false)

	// Phone width.
	b.do("phone viewport", chromedp.EmulateViewport(webtest.PhoneWidth, webtest.PhoneHeight, chromedp.EmulateScale(2)))
	b.open("/")
	b.do("wait for the dashboard", chromedp.WaitVisible(chromedp.CSS("#live-jobs")))
	if w := b.eval(`String(document.documentElement.scrollWidth)`); w != "390" {
		t.Errorf("at phone width the page is %s px wide, want 390 (tables must scroll inside their cards)", w)
	}
	b.shot("dashboard-phone")
	b.open("/backups")
	b.shot("backups-phone")
	b.open("/backups/" + shopDaily)
	if w := b.eval(`String(document.documentElement.scrollWidth)`); w != "390" {
		t.Errorf("at phone width the backup page is %s px wide, want 390", w)
	}
	b.shot("backup-drills-phone")
	b.do("laptop viewport", chromedp.EmulateViewport(webtest.LaptopWidth, webtest.LaptopHeight))

	// Log out.
	b.open("/")
	b.load("log out", 200, chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)))
	if loc := b.eval(`location.pathname`); loc != "/login" {
		t.Fatalf("after logout the browser is at %s, want /login", loc)
	}
	b.open("/status")
	if loc := b.eval(`location.pathname`); loc != "/login" {
		t.Fatalf("after logout /status ends at %s, want /login", loc)
	}
	e.svc.WaitIdle(t)
}
