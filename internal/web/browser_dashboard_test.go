package web

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/gosqlguard/gosqlguard/internal/web/webtest"
)

// TestBrowserDashboardJobs checks the dashboard's job table in Chromium:
// manual rows only where a manual backup exists, a long error opened in
// full (and kept open by live updates), the "Only problems" filter, and a
// favicon without any 404 on the way; with screenshots at laptop and phone
// width.
func TestBrowserDashboardJobs(t *testing.T) {
	ctx := webtest.Browser(t)
	e := manualEnv(t)
	b := &browser{t: t, ctx: ctx, url: e.srv.URL}

	var (
		mu        sync.Mutex
		notFound  []string
		responses int
	)
	if err := chromedp.Listen(ctx, func(ev any) {
		if r, ok := ev.(*network.EventResponseReceived); ok && r.Response != nil {
			mu.Lock()
			responses++
			if r.Response.Status == 404 {
				notFound = append(notFound, r.Response.URL)
			}
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}

	b.do("laptop viewport", chromedp.EmulateViewport(webtest.LaptopWidth, 768))
	b.open("/login")
	b.do("type the token", chromedp.SendKeys(chromedp.CSS("#token"), viewerToken))
	b.load("log in", 200, chromedp.Click(chromedp.CSS(`form[action="/login"] button`)))
	b.do("wait for the dashboard", chromedp.WaitVisible(chromedp.CSS("#live-jobs")))

	// Manual rows: only for jobs with a manual backup.
	rows := func() string {
		return b.eval(`Array.from(document.querySelectorAll('#live-jobs tr[data-job]')).map(r => r.dataset.job).join(',')`)
	}
	all := rows()
	for job, want := range map[string]bool{
		"main-mysql/shop/manual": true, "pg-main/billing/manual": true,
		"main-mysql/crm/manual": false, "pg-main/app/manual": false, "main-mysql/crm/hourly": true,
	} {
		if got := strings.Contains(","+all+",", ","+job+","); got != want {
			t.Errorf("row %s shown: %v, want %v (rows %s)", job, got, want, all)
		}
	}

	// The long error: cut in the row, whole behind the disclosure.
	const errRow = `tr[data-job="pg-main/billing/manual"]`
	b.waitFor("a live update", `document.getElementById('live-clock').textContent.includes('updated')`, 10*time.Second)
	if vis := b.eval(`String(document.querySelector('` + errRow + ` .err-full').checkVisibility())`); vis != "false" {
		t.Errorf("the full error shows before it is asked for (visible: %s)", vis)
	}
	if s := b.text(errRow + ` .err-more summary`); strings.Contains(s, "does not exist") || !strings.Contains(s, "full error") {
		t.Errorf("the row's short error says %q", s)
	}
	b.do("open the error", chromedp.Click(chromedp.CSS(errRow+` .err-more summary`)))
	full := b.text(errRow + ` .err-full`)
	if !strings.Contains(full, `FATAL:  database "billing" does not exist`) {
		t.Errorf("the full error says %q", full)
	}
	b.shot("dashboard-error-open")
	// A live update replaces the rows; the disclosure stays open.
	b.eval(`window.__liveRows = document.querySelector('` + errRow + `'); 'ok'`)
	e.svc.Add("main-mysql", "crm", "hourly", time.Now(), "success", "") // changes the rows
	b.waitFor("the rows to be replaced", `document.querySelector('`+errRow+`') !== window.__liveRows`, 10*time.Second)
	if open := b.eval(`String(document.querySelector('` + errRow + ` details').open)`); open != "true" {
		t.Error("a live update closed the opened error")
	}

	// Only problems: healthy jobs go, failed and overdue ones stay.
	b.load("only problems", 200, chromedp.Click(chromedp.CSS(`#jobs-problems`)))
	if q := b.eval(`location.search`); q != "?problems=1" {
		t.Fatalf("the filter link leads to %q", q)
	}
	problems := rows()
	for job, want := range map[string]bool{
		"pg-main/analytics/daily": true, "pg-main/billing/daily": true, "pg-main/billing/manual": true,
		"main-mysql/crm/hourly": false, "main-mysql/crm/daily": false,
	} {
		if got := strings.Contains(","+problems+",", ","+job+","); got != want {
			t.Errorf("with the filter row %s shown: %v, want %v (rows %s)", job, got, want, problems)
		}
	}
	if n, m := strings.Count(problems, ",")+1, strings.Count(all, ",")+1; n >= m {
		t.Errorf("the filter shows %d of %d rows", n, m)
	}
	b.waitFor("a live update of the filtered page", `document.getElementById('live-clock').textContent.includes('updated')`, 10*time.Second)
	if after := rows(); after != problems {
		t.Errorf("a live update changed the filtered rows:\n%s\n%s", problems, after)
	}
	b.shot("dashboard-problems")

	// The favicon: linked, served, no 404 anywhere.
	for _, u := range []string{`'/favicon.ico'`, `document.querySelector('link[rel=icon]').getAttribute('href')`} {
		ctx, cancel := b.timeout(10 * time.Second)
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(`+u+`).then(r => r.status + ' ' + r.headers.get('content-type'))`, chromedp.EvalAwaitPromise))
		cancel()
		if err != nil {
			t.Fatalf("fetch %s: %v", u, err)
		}
		if !strings.HasPrefix(got, "200 image/") {
			t.Errorf("fetch %s: %s, want 200 and an image", u, got)
		}
	}

	// Phone width.
	b.do("phone viewport", chromedp.EmulateViewport(webtest.PhoneWidth, webtest.PhoneHeight, chromedp.EmulateScale(2)))
	b.open("/")
	b.do("open the error", chromedp.Click(chromedp.CSS(errRow+` .err-more summary`)))
	if w := b.eval(`String(document.documentElement.scrollWidth)`); w != "390" {
		t.Errorf("at phone width the dashboard is %s px wide, want 390", w)
	}
	b.shot("dashboard-jobs-phone")
	b.do("laptop viewport", chromedp.EmulateViewport(webtest.LaptopWidth, 768))
	b.open("/")
	b.shot("dashboard-jobs-laptop")

	mu.Lock()
	defer mu.Unlock()
	if responses == 0 {
		t.Error("no response seen: the 404 check saw nothing")
	}
	if len(notFound) > 0 {
		t.Errorf("responses with 404: %v", notFound)
	}
	e.svc.WaitIdle(t)
}
