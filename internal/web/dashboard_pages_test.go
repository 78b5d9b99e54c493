package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

// longPGError is a PostgreSQL connection error whose cause comes after the
// first 90 characters, where the dashboard's row cuts it.
const longPGError = `pg_dump: error: connection to server at "pg-main.example.net" (10.0.0.7), port 5432 failed: FATAL:  database "billing" does not exist`

// manualEnv is the seeded environment with a manual type on every database,
// as the app's configuration has, and a manual backup of pg-main/billing
// that failed with longPGError.
func manualEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t, envOptions{})
	e.svc.Types["manual"] = nil // before the first request
	e.svc.Add("pg-main", "billing", "manual", time.Now().Add(-10*time.Minute), backup.StatusFailed, longPGError)
	return e
}

func TestDashboardShowsManualRowsOnlyWithBackups(t *testing.T) {
	e := manualEnv(t)
	c := e.loggedIn(t, operatorToken)
	body := c.get("/").body
	for job, want := range map[string]bool{
		"main-mysql/shop/manual": true,  // a partial manual backup
		"pg-main/billing/manual": true,  // a failed one
		"main-mysql/crm/manual":  false, // none
		"pg-main/app/manual":     false,
		"main-mysql/crm/hourly":  true,
	} {
		if got := strings.Contains(body, `data-job="`+job+`"`); got != want {
			t.Errorf("row %s shown: %v, want %v", job, got, want)
		}
	}
	if !strings.Contains(body, `<option value="manual">manual</option>`) {
		t.Error("the Back up now form no longer offers manual")
	}
}

func TestDashboardShowsTheWholeErrorOnDemand(t *testing.T) {
	e := manualEnv(t)
	c := e.loggedIn(t, viewerToken)
	body := c.get("/").body
	row := body[strings.Index(body, `data-job="pg-main/billing/manual"`):]
	row = row[:strings.Index(row, "</tr>")]
	if !strings.Contains(row, `<details class="err-more" data-key="pg-main/billing/manual/failure">`) {
		t.Fatalf("the row has no disclosure for its long error:\n%s", row)
	}
	summary := row[strings.Index(row, "<summary"):strings.Index(row, "</summary>")]
	if strings.Contains(summary, "does not exist") {
		t.Errorf("the short form shows the whole error: %s", summary)
	}
	if !strings.Contains(row, `FATAL:  database &#34;billing&#34; does not exist`) {
		t.Errorf("the full error is not in the row, escaped:\n%s", row)
	}
}

func TestDashboardProblemsFilter(t *testing.T) {
	e := manualEnv(t)
	c := e.loggedIn(t, viewerToken)
	body := c.get("/?problems=1").body
	for job, want := range map[string]bool{
		"pg-main/analytics/daily": true,  // failed
		"pg-main/billing/daily":   true,  // overdue
		"pg-main/billing/manual":  true,  // failed
		"main-mysql/shop/manual":  true,  // partial
		"main-mysql/shop/daily":   true,  // its latest drill differs
		"main-mysql/crm/hourly":   false, // healthy
		"main-mysql/crm/daily":    false, // proven
	} {
		if got := strings.Contains(body, `data-job="`+job+`"`); got != want {
			t.Errorf("with ?problems=1 row %s shown: %v, want %v", job, got, want)
		}
	}
	if !strings.Contains(body, `id="jobs-problems" aria-current="page"`) || !strings.Contains(body, `data-live="/ui/live?view=dashboard&amp;problems=1"`) {
		t.Error("the filtered page does not mark its filter or keep it in live updates")
	}
	if !strings.Contains(body, "without a problem are hidden") {
		t.Error("the filtered page does not say that jobs are hidden")
	}
	var live liveResponse
	if err := json.Unmarshal([]byte(c.get("/ui/live?view=dashboard&problems=1").body), &live); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(live.Sections["jobs"], `data-job="main-mysql/crm/hourly"`) || !strings.Contains(live.Sections["jobs"], `data-job="pg-main/analytics/daily"`) {
		t.Error("live updates of the filtered page do not filter")
	}
	// The summary tiles count every job shown without the filter.
	all := c.get("/").body
	tile := func(b string) string { i := strings.Index(b, `tile-num">`); return b[i : i+14] }
	if tile(all) != tile(body) {
		t.Errorf("the jobs tile changes with the filter: %q vs %q", tile(all), tile(body))
	}

	// problems=true (or yes, on) filters as problems=1 does.
	for _, v := range []string{"true", "yes", "On"} {
		if b := c.get("/?problems=" + v).body; strings.Contains(b, `data-job="main-mysql/crm/hourly"`) || !strings.Contains(b, `data-job="pg-main/analytics/daily"`) {
			t.Errorf("?problems=%s does not filter", v)
		}
	}

	healthy := newEnv(t, envOptions{})
	healthy.svc.Clear()
	healthy.svc.Types = map[string][]string{} // no backup and no job: nothing wrong
	hc := healthy.loggedIn(t, viewerToken)
	if b := hc.get("/?problems=1").body; !strings.Contains(b, `id="no-problems"`) {
		t.Error("with no problem the filtered page does not say so")
	}
}

// A job the config no longer has leaves the dashboard, whatever its last
// outcome (the metrics drop it too), and the page says how many are left
// out; the "Back up now" form no longer offers it.
func TestDashboardLeavesOutRemovedJobs(t *testing.T) {
	e := manualEnv(t)
	e.svc.Removed = map[string]bool{"pg-main/analytics/daily": true} // it failed last
	c := e.loggedIn(t, viewerToken)
	for _, path := range []string{"/", "/?problems=1"} {
		body := c.get(path).body
		if strings.Contains(body, `data-job="pg-main/analytics/daily"`) {
			t.Errorf("%s shows a job the config no longer has", path)
		}
		if !strings.Contains(body, `id="removed-jobs"`) || !strings.Contains(body, "Not shown: 1 job no longer in the configuration") {
			t.Errorf("%s does not say a removed job is left out", path)
		}
	}
	if body := c.get("/").body; !strings.Contains(body, `data-job="pg-main/billing/daily"`) {
		t.Error("the other jobs are gone too")
	}
}

func TestFaviconNeedsNoSessionAndIsCached(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client(t) // no session
	r := c.get("/favicon.ico")
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "image/x-icon" || !strings.HasPrefix(r.body, "\x00\x00\x01\x00") {
		t.Fatalf("favicon: status %d, type %q, %d bytes", r.status, r.header.Get("Content-Type"), len(r.body))
	}
	if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "public") || !strings.Contains(cc, "max-age=") {
		t.Errorf("favicon Cache-Control %q", cc)
	}
	login := c.get("/login").body
	href := e.ui.assets["favicon.svg"].url
	if !strings.Contains(login, `<link rel="icon" href="`+href+`" type="image/svg+xml">`) {
		t.Errorf("the login page does not link the icon %s", href)
	}
	if r := c.get(href); r.status != http.StatusOK || r.header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(r.header.Get("Cache-Control"), "immutable") {
		t.Errorf("svg icon: status %d, type %q, cache %q", r.status, r.header.Get("Content-Type"), r.header.Get("Cache-Control"))
	}
}

func TestBackupPageOffersAnErrorLongerThanItsTail(t *testing.T) {
	e := newEnv(t, envOptions{})
	var lines []string
	lines = append(lines, `pg_dump: error: connection to server failed: FATAL:  database "gone" does not exist`)
	for i := 0; i < 50; i++ {
		lines = append(lines, "pg_dump: detail: retrying")
	}
	b := e.svc.Add("pg-main", "gone", "manual", time.Now().Add(-time.Minute), backup.StatusFailed, strings.Join(lines, "\n"))
	c := e.loggedIn(t, viewerToken)
	body := c.get("/backups/" + b.ID).body
	tail := body[strings.Index(body, `<pre class="log">`):]
	tail = tail[:strings.Index(tail, "</pre>")]
	if strings.Contains(tail, "does not exist") {
		t.Fatal("the tail shows the first line; the test's error is too short")
	}
	if !strings.Contains(body, `<details class="log-all" id="log-all"><summary>Show all 51 lines</summary>`) ||
		!strings.Contains(body, `database &#34;gone&#34; does not exist`) {
		t.Error("the page does not offer the whole error")
	}
}
