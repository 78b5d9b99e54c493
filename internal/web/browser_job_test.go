package web

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gosqlguard/gosqlguard/internal/web/webtest"
)

// TestBrowserJobPage opens a job page from the dashboard in Chromium and
// checks that its charts render (a line through the points, a failure
// marker), with screenshots at laptop and phone size, light and dark.
func TestBrowserJobPage(t *testing.T) {
	ctx := webtest.Browser(t)
	e := newEnv(t, envOptions{})
	oddJob(t, e)
	b := &browser{t: t, ctx: ctx, url: e.srv.URL}

	b.do("laptop viewport", chromedp.EmulateViewport(webtest.LaptopWidth, 768))
	b.open("/login")
	b.do("type the token", chromedp.SendKeys(chromedp.CSS("#token"), viewerToken))
	b.load("log in", 200, chromedp.Click(chromedp.CSS(`form[action="/login"] button`)))
	b.do("wait for the dashboard", chromedp.WaitVisible(chromedp.CSS("#live-jobs")))
	if n := b.eval(`String(document.querySelectorAll('#live-jobs svg.spark path').length)`); n == "0" {
		t.Error("the dashboard shows no sparkline")
	}
	key := strconv.Quote("main-mysql/" + oddDatabase + "/daily")
	if got := b.eval(`(() => { const r = Array.from(document.querySelectorAll('#live-jobs tr[data-job]')).find(r => r.dataset.job === ` + key + `);
		if (!r) return 'no row'; r.querySelector('a.hist-link').id = 'go-job'; return 'ok' })()`); got != "ok" {
		t.Fatalf("the odd job's row: %s", got)
	}
	b.load("open the job page", 200, chromedp.Click(chromedp.CSS("#go-job")))
	if h := b.text("h1"); !strings.Contains(h, oddDatabase) {
		t.Errorf("the job page's heading says %q", h)
	}
	// The size chart: a line through the points, in the chart's box.
	pts := b.eval(`(() => { const p = document.querySelector('#chart-size .series-raw path.chart-line'); if (!p) return '0';
		return String(p.getAttribute('d').split(/[ML]/).filter(s => s.trim()).length) })()`)
	if n, _ := strconv.Atoi(pts); n < 5 {
		t.Errorf("the size line has %s points", pts)
	}
	if n := b.eval(`String(document.querySelectorAll('#chart-size .marker-fail').length)`); n != "1" {
		t.Errorf("%s failure markers on the size chart, want 1", n)
	}
	if c := b.eval(`getComputedStyle(document.querySelector('#chart-size .marker-fail')).color`); c == "rgb(0, 0, 0)" || c == "" {
		t.Errorf("the failure marker's colour is %q: the stylesheet's class did not apply", c)
	}
	if w := b.eval(`String(Math.round(document.querySelector('#chart-size').getBoundingClientRect().width))`); w == "0" {
		t.Error("the size chart has no width")
	}
	if n := b.eval(`String(document.querySelectorAll('table.job-runs tbody tr').length)`); n != "10" {
		t.Errorf("the table lists %s backups, want 10", n)
	}

	b.shot("job-laptop-light")
	b.dark(true)
	b.shot("job-laptop-dark")
	b.dark(false)
	b.do("phone viewport", chromedp.EmulateViewport(webtest.PhoneWidth, webtest.PhoneHeight, chromedp.EmulateScale(2)))
	b.do("the narrow chart", chromedp.WaitVisible(chromedp.CSS("#chart-size-narrow")))
	if vis := b.eval(`String(document.querySelector('#chart-size').checkVisibility())`); vis != "false" {
		t.Error("at phone width the wide chart shows too")
	}
	if n := b.eval(`String(document.querySelectorAll('#chart-size-narrow .marker-fail').length)`); n != "1" {
		t.Errorf("%s failure markers on the narrow size chart, want 1", n)
	}
	if w := b.eval(`String(document.documentElement.scrollWidth)`); w != "390" {
		t.Errorf("at phone width the job page is %s px wide, want 390", w)
	}
	b.shot("job-phone-light")
	b.dark(true)
	b.shot("job-phone-dark")
	b.dark(false)
	b.open("/")
	b.shot("dashboard-history-phone")
	b.do("laptop viewport", chromedp.EmulateViewport(webtest.LaptopWidth, 768))
	b.open("/")
	b.shot("dashboard-history-laptop")
	e.svc.WaitIdle(t)
}
