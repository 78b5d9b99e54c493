package web

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/service"
	"github.com/gosqlguard/gosqlguard/internal/web/webtest"
)

// A running restore and drill on the dashboard and on the backup's page, at
// laptop and phone width, light and dark; the backup's page follows the
// restore's progress without a reload.
func TestBrowserRunningOperations(t *testing.T) {
	ctx := webtest.Browser(t)
	e := newEnv(t, envOptions{})
	b := &browser{t: t, ctx: ctx, url: e.srv.URL}
	shop := e.svc.Add("main-mysql", "shop", "daily", e.svc.Now().Add(-3*time.Hour), backup.StatusSuccess, "")
	crm := e.svc.Add("pg-main", "crm", "daily", e.svc.Now().Add(-3*time.Hour), backup.StatusSuccess, "")
	ops := func(read int64) []service.Operation {
		now := e.svc.Now()
		return []service.Operation{
			{Kind: "restore", BackupID: shop.ID, Server: "main-mysql", Database: "shop", Type: "daily", Target: "shop_restored",
				StartedAt: now.Add(-90 * time.Second), Phase: "restore", PhaseStartedAt: now.Add(-30 * time.Second), ReadBytes: read, TotalBytes: shop.StoredBytes},
			{Kind: "drill", BackupID: crm.ID, Server: "pg-main", Database: "crm", Type: "daily", Target: "pg-main",
				StartedAt: now.Add(-20 * time.Second), Phase: "verify local", PhaseStartedAt: now.Add(-20 * time.Second), ReadBytes: crm.StoredBytes / 3, TotalBytes: crm.StoredBytes},
		}
	}
	e.svc.SetOperations(ops(shop.StoredBytes / 4))
	b.do("laptop viewport", chromedp.EmulateViewport(webtest.LaptopWidth, webtest.LaptopHeight))
	b.open("/login")
	b.do("type the token", chromedp.SendKeys(chromedp.CSS("#token"), operatorToken))
	b.load("log in", 200, chromedp.Click(chromedp.CSS(`form[action="/login"] button`)))
	b.do("wait for the running restore", chromedp.WaitVisible(chromedp.CSS(`tr[data-operation="restore/`+shop.ID+`"]`)))
	b.shot("operations-dashboard")

	b.open("/backups/" + shop.ID)
	b.do("wait for the restore on its backup's page", chromedp.WaitVisible(chromedp.CSS(`#live-operations tr[data-operation="restore/`+shop.ID+`"]`)))
	if got := b.eval(`document.querySelector('#live-operations progress').getAttribute('value')`); got != "25" {
		t.Errorf("the restore's bar is at %s, want 25", got)
	}
	e.svc.SetOperations(ops(shop.StoredBytes * 3 / 4))
	b.waitFor("the page to follow the restore", `document.querySelector('#live-operations progress').getAttribute('value') === '75'`, 10*time.Second)
	b.shot("operations-backup")

	b.dark(true)
	b.open("/")
	b.shot("operations-dashboard-dark")
	b.do("phone viewport", chromedp.EmulateViewport(webtest.PhoneWidth, webtest.PhoneHeight, chromedp.EmulateScale(2)))
	b.open("/")
	if w := b.eval(`String(document.documentElement.scrollWidth)`); w != "390" {
		t.Errorf("at phone width the dashboard is %s px wide, want 390", w)
	}
	b.shot("operations-dashboard-phone-dark")

	e.svc.SetOperations(nil)
	b.open("/backups/" + shop.ID)
	b.waitFor("the finished restore to leave the page", `document.getElementById('live-operations').textContent.trim() === ''`, 10*time.Second)
}
