package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/web/webtest"
)

// TestBrowserAuditPage logs in as admin, opens the audit page from the nav,
// filters it by action and opens a long detail, with screenshots at laptop
// (1366x768) and phone width, in light and dark mode.
func TestBrowserAuditPage(t *testing.T) {
	ctx := webtest.Browser(t)
	e := newEnv(t, envOptions{})
	id := e.backupID(t, func(_, _, _, st string) bool { return st == "success" })
	failed := e.backupID(t, func(_, db, _, st string) bool { return db == "analytics" && st == "failed" })
	long := "kept 14, removed 6 copies of main-mysql/crm/daily and main-mysql/shop/daily: " +
		strings.Repeat("20260301T020000.000Z-3f9a2c1b7e64 ", 8) + "and 2 more"
	seedAudit(t, e,
		catalog.AuditEntry{Actor: "daemon", Action: catalog.AuditBackup, Target: "main-mysql/crm/daily", Outcome: catalog.AuditStarted},
		catalog.AuditEntry{Actor: "ci-deploy", Address: "192.0.2.41", Action: catalog.AuditDownload, Target: id, Outcome: catalog.AuditOK, Detail: "storage local"},
		catalog.AuditEntry{Actor: "oscar", Address: "2001:db8:4006:812::200e", Action: catalog.AuditRestore, Target: failed, Outcome: catalog.AuditFailed,
			Detail: "restore into analytics_copy: mariadb: ERROR 1045 (28000): Access denied for user 'restore'@'localhost'"},
		catalog.AuditEntry{Actor: "alice", Address: "192.0.2.8", Action: catalog.AuditDelete, Target: id, Outcome: catalog.AuditRefused, Detail: "backup is running"},
		catalog.AuditEntry{Actor: "alice", Address: "192.0.2.8", Action: catalog.AuditDelete, Target: failed, Outcome: catalog.AuditOK, Detail: "failed and superseded"},
		catalog.AuditEntry{Actor: "daemon", Action: catalog.AuditRetention, Target: "offsite", Outcome: catalog.AuditOK, Detail: long},
		catalog.AuditEntry{Actor: "vera", Address: "198.51.100.23", Action: catalog.AuditVerify, Target: id, Outcome: catalog.AuditCanceled},
	)
	b := &browser{t: t, ctx: ctx, url: e.srv.URL}

	b.do("laptop viewport", chromedp.EmulateViewport(webtest.LaptopWidth, 768))
	b.open("/login")
	b.do("type the token", chromedp.SendKeys(chromedp.CSS("#token"), adminToken))
	b.load("log in", 200, chromedp.Click(chromedp.CSS(`form[action="/login"] button`)))
	b.load("open the audit page", 200, chromedp.Click(chromedp.CSS(`.nav a[href="/audit"]`)))
	b.do("wait for the table", chromedp.WaitVisible(chromedp.CSS("table.audit")))
	rows := func() string {
		return b.eval(`Array.from(document.querySelectorAll('table.audit tbody tr')).map(r => r.dataset.action).join(',')`)
	}
	if got := rows(); got != "verify,retention,delete,delete,restore,download,backup" {
		t.Fatalf("rows: %s", got)
	}
	if vis := b.eval(`String(document.querySelector('table.audit .err-full').checkVisibility())`); vis != "false" {
		t.Errorf("the full detail shows before it is asked for (visible: %s)", vis)
	}
	b.do("open the long detail", chromedp.Click(chromedp.CSS(`table.audit .err-more summary`)))
	if full := b.text(`table.audit .err-full`); !strings.HasSuffix(full, "and 2 more") {
		t.Errorf("the full detail says %q", full)
	}
	// shots takes the page in light, then in dark mode, and goes back to light.
	shots := func(name string) {
		t.Helper()
		b.shot(name)
		b.dark(true)
		b.shot(name + "-dark")
		b.dark(false)
	}
	shots("audit")

	// Filter: deletes only, by the form (a GET, no script needed).
	b.do("choose delete", chromedp.SetValue(chromedp.CSS("#a-action"), "delete"))
	b.load("apply the filter", 200, chromedp.Click(chromedp.CSS(`form.filters button[type="submit"]`)))
	if q := b.eval(`location.search`); !strings.Contains(q, "action=delete") {
		t.Errorf("the filter form leads to %q", q)
	}
	if got := rows(); got != "delete,delete" {
		t.Fatalf("filtered rows: %s, want two deletes", got)
	}
	shots("audit-filtered")

	// A bad value typed into the address bar: a message, not an error page.
	b.load("a bad date", 400, chromedp.Navigate(b.url+"/audit?since=last-week"))
	if msg := b.text(`.flash-error`); !strings.Contains(msg, "Invalid start date") {
		t.Errorf("a bad date says %q", msg)
	}

	// Phone width.
	b.do("phone viewport", chromedp.EmulateViewport(webtest.PhoneWidth, webtest.PhoneHeight, chromedp.EmulateScale(2)))
	b.open("/audit")
	b.do("open the long detail", chromedp.Click(chromedp.CSS(`table.audit .err-more summary`)))
	if w := b.eval(`String(document.documentElement.scrollWidth)`); w != fmt.Sprint(webtest.PhoneWidth) {
		t.Errorf("at phone width the audit page is %s px wide, want %d", w, webtest.PhoneWidth)
	}
	shots("audit-phone")
	b.open("/audit?action=delete")
	shots("audit-filtered-phone")
	b.do("laptop viewport", chromedp.EmulateViewport(webtest.LaptopWidth, webtest.LaptopHeight))
}
