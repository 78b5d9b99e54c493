package web

import (
	"html"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

// oddDatabase is a database name that MySQL allows and that needs escaping
// in a path, a query and HTML.
const oddDatabase = `we<i>rd "db" ?#%&x`

// oddJob adds a history to the job main-mysql/oddDatabase/daily: successes,
// a failure, a size anomaly and two drills (one failed).
func oddJob(t *testing.T, e *env) (ids []string) {
	t.Helper()
	now := time.Now().Add(-time.Hour)
	for i := 9; i >= 0; i-- {
		st := backup.StatusSuccess
		if i == 4 {
			st = backup.StatusFailed
		}
		b := e.svc.Add("main-mysql", oddDatabase, "daily", now.Add(-time.Duration(i)*24*time.Hour), st, "")
		switch i {
		case 2:
			b.Manifest.SizeAnomaly = &backup.SizeAnomaly{RawBytes: 1 << 20, MedianRawBytes: 180 << 20, Compared: 5, MinPercent: 50}
		case 6:
			b.Drill = &backup.Drill{At: b.StartedAt.Add(time.Hour), Status: backup.DrillSuccess}
		case 1:
			b.Drill = &backup.Drill{At: b.StartedAt.Add(time.Hour), Status: backup.DrillFailure, Error: "restore failed"}
		}
		ids = append(ids, b.ID)
	}
	return ids
}

// hrefs are the link targets of a page, unescaped from HTML.
func hrefs(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(body, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

func TestJobPage(t *testing.T) {
	e := newEnv(t, envOptions{})
	ids := oddJob(t, e)
	c := e.loggedIn(t, viewerToken)

	path := jobURL("main-mysql", oddDatabase, "daily")
	if strings.ContainsAny(strings.TrimPrefix(path, "/jobs/"), ` "<>?#`) {
		t.Fatalf("jobURL did not escape the name: %s", path)
	}
	// The dashboard links each row to its job page.
	dash := c.get("/").body
	if !slices.Contains(hrefs(dash), path) {
		t.Errorf("the dashboard does not link to %s", path)
	}

	r := c.get(path)
	if r.status != 200 {
		t.Fatalf("GET %s: %d", path, r.status)
	}
	body := r.body
	if strings.Contains(body, "<i>rd") || strings.Contains(body, `"db"`) {
		t.Error("the database name is not escaped")
	}
	if !strings.Contains(body, "we&lt;i&gt;rd &#34;db&#34; ?#%&amp;x") {
		t.Errorf("the page does not name the database: %s", body)
	}
	for _, want := range []string{`<svg class="chart chart-wide" id="chart-size"`, `<svg class="chart chart-wide" id="chart-duration"`, `id="chart-size-narrow"`,
		`<title id="chart-size-title">Backup size of main-mysql / we&lt;i&gt;rd`, `<desc id="chart-size-desc">`,
		`class="chart-line"`, "marker-fail", "marker-anomaly", "marker-drill-ok", "marker-drill-bad"} {
		if !strings.Contains(body, want) {
			t.Errorf("the job page lacks %q", want)
		}
	}
	// Every backup is listed and linked.
	for _, id := range ids {
		if !strings.Contains(body, `href="/backups/`+id+`"`) {
			t.Errorf("the job page does not link backup %s", id)
		}
	}
	// The list link filters to the job, escaped as a query.
	wantList := "/backups?" + url.Values{"database": {oddDatabase}, "server": {"main-mysql"}, "type": {"daily"}}.Encode()
	if !slices.Contains(hrefs(body), wantList) {
		t.Errorf("the job page does not link %s", wantList)
	}
	if !regexp.MustCompile(`MiB</text>`).MatchString(body) || !strings.Contains(body, " s</text>") {
		t.Error("the axes lack human units")
	}
	// The CSP forbids inline styles: the charts have none.
	if strings.Contains(body, "style=") {
		t.Error("the job page has an inline style")
	}
}

func TestJobPageNotFound(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.loggedIn(t, viewerToken)
	for _, p := range []string{
		"/jobs/main-mysql/no-such-db/daily",
		"/jobs/no-such-server/shop/daily",
		"/jobs/main-mysql/shop/no-such-type",
		"/jobs/Main_MySQL!/shop/daily",
		"/jobs/main-mysql/%2E%2E/daily",
		"/jobs/main-mysql/a%2Fb/daily",
		"/jobs/main-mysql/shop",
	} {
		if r := c.get(p); r.status != 404 {
			t.Errorf("GET %s: %d, want 404", p, r.status)
		}
	}
	if r := c.get("/jobs/main-mysql/shop/daily"); r.status != 200 {
		t.Errorf("a known job: %d", r.status)
	}
}

// The dashboard row shows the last size and duration, a sparkline and the
// anomaly badge of a flagged last backup.
func TestDashboardJobHistory(t *testing.T) {
	e := newEnv(t, envOptions{})
	oddJob(t, e)
	b := e.svc.Add("main-mysql", oddDatabase, "daily", time.Now().Add(-time.Minute), backup.StatusSuccess, "")
	b.Manifest.SizeAnomaly = &backup.SizeAnomaly{RawBytes: 1 << 20, MedianRawBytes: 180 << 20, Compared: 5, MinPercent: 50}
	c := e.loggedIn(t, viewerToken)
	body := c.get("/").body
	row := regexp.MustCompile(`(?s)<tr data-job="main-mysql/we&lt;i&gt;rd[^"]*/daily".*?</tr>`).FindString(body)
	if row == "" {
		t.Fatalf("no row for the odd job")
	}
	for _, want := range []string{`<svg class="spark"`, "Size anomaly", "47 s", "MiB"} {
		if !strings.Contains(row, want) {
			t.Errorf("the row lacks %q: %s", want, row)
		}
	}
}

// A job whose last backup is flagged with a size anomaly is a problem; the
// dashboard's refreshes read a job's history again only when it changed.
func TestDashboardAnomalyIsAProblemAndHistoryIsCached(t *testing.T) {
	e := newEnv(t, envOptions{})
	row := `data-job="main-mysql/ledger/daily"`
	e.svc.Add("main-mysql", "ledger", "daily", time.Now().Add(-25*time.Hour), backup.StatusSuccess, "")
	b := e.svc.Add("main-mysql", "ledger", "daily", time.Now().Add(-time.Hour), backup.StatusSuccess, "")
	c := e.loggedIn(t, viewerToken)
	if body := c.get("/?problems=1").body; strings.Contains(body, row) {
		t.Fatalf("the job is a problem before any anomaly")
	}
	b.Manifest.SizeAnomaly = &backup.SizeAnomaly{RawBytes: 1 << 20, MedianRawBytes: 180 << 20, Compared: 5, MinPercent: 50}
	e.svc.Add("main-mysql", "ledger", "daily", time.Now().Add(-time.Minute), backup.StatusFailed, "boom")
	e.svc.Add("main-mysql", "ledger", "daily", time.Now(), backup.StatusSuccess, "").Manifest.SizeAnomaly = b.Manifest.SizeAnomaly
	body := c.get("/?problems=1").body
	if !strings.Contains(body, row) || !strings.Contains(body, "Size anomaly") {
		t.Errorf("the job whose last backup is anomalous is not among the problems")
	}
	before := e.svc.Count("ListBackups")
	c.get("/ui/live?view=dashboard")
	if n := e.svc.Count("ListBackups") - before; n != 0 {
		t.Errorf("a refresh with no job changed read %d histories, want 0", n)
	}
	e.svc.Add("main-mysql", "ledger", "daily", time.Now().Add(time.Second), backup.StatusSuccess, "")
	before = e.svc.Count("ListBackups")
	body = c.get("/?problems=1").body
	if n := e.svc.Count("ListBackups") - before; n != 1 {
		t.Errorf("a refresh after one job's new backup read %d histories, want 1", n)
	}
	if strings.Contains(body, row) {
		t.Errorf("the job is still a problem after a normal backup")
	}
}

// A job whose runs only failed shows each run's error on its page, redacted,
// a long one in full on demand.
func TestJobPageShowsErrors(t *testing.T) {
	e := newEnv(t, envOptions{})
	long := `pg_dump: error: connection to server at "db.example.net" (10.0.0.7), port 5432 failed: FATAL:  database "billing_archive" does not exist; password=` + leakedSecret
	e.svc.Add("main-mysql", "ledger", "daily", time.Now().Add(-2*time.Hour), backup.StatusFailed, "Access denied for user 'bk'@'localhost' (using password: YES)")
	e.svc.Add("main-mysql", "ledger", "daily", time.Now().Add(-time.Hour), backup.StatusFailed, long)
	c := e.loggedIn(t, viewerToken)
	body := c.get("/jobs/main-mysql/ledger/daily").body
	for _, want := range []string{"(using password: YES)", `does not exist`, "full error"} {
		if !strings.Contains(body, want) {
			t.Errorf("the job page lacks %q", want)
		}
	}
	if strings.Contains(body, leakedSecret) {
		t.Errorf("the job page shows a secret")
	}
}

// The charts' captions count in words that agree with their numbers: one
// backup, one failed run, one size anomaly, one restore drill.
func TestJobPageCaptionsPluralise(t *testing.T) {
	e := newEnv(t, envOptions{})
	now := time.Now().Add(-time.Hour)
	e.svc.Add("main-mysql", "ledger", "daily", now.Add(-2*time.Hour), backup.StatusFailed, "boom")
	b := e.svc.Add("main-mysql", "ledger", "daily", now, backup.StatusSuccess, "")
	b.Manifest.SizeAnomaly = &backup.SizeAnomaly{RawBytes: 1 << 20, MedianRawBytes: 180 << 20, Compared: 5, MinPercent: 50}
	b.Drill = &backup.Drill{At: now.Add(time.Minute), Status: backup.DrillSuccess}
	c := e.loggedIn(t, viewerToken)
	body := c.get("/jobs/main-mysql/ledger/daily").body
	for _, want := range []string{"last 2 backups, oldest to newest",
		"size of the last 2 backups, oldest to newest; 1 failed run, 1 size anomaly, 1 restore drill (1 passed, 0 failed) marked.",
		"How long each of the last 2 backups ran, oldest to newest; 1 failed run marked."} {
		if !strings.Contains(body, want) {
			t.Errorf("the job page lacks %q", want)
		}
	}
	e.svc.Add("main-mysql", "solo", "daily", now, backup.StatusSuccess, "")
	body = c.get("/jobs/main-mysql/solo/daily").body
	for _, want := range []string{"last 1 backup, oldest", "size of the last backup, oldest to newest; 0 failed runs, 0 size anomalies, 0 restore drills (0 passed, 0 failed) marked.",
		"How long the last backup ran, oldest to newest; 0 failed runs marked."} {
		if !strings.Contains(body, want) {
			t.Errorf("the job page of one backup lacks %q", want)
		}
	}
	for _, wrong := range []string{"1 backups", "1 failed runs", "1 size anomalies", "1 restore drills"} {
		if strings.Contains(body, wrong) {
			t.Errorf("the job page says %q", wrong)
		}
	}
}

// A job whose runs all failed has no size or duration to chart: its page
// says so in a sentence instead of drawing empty axes.
func TestJobPageWithoutACopyHasNoEmptyCharts(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.svc.Add("main-mysql", "ledger", "daily", time.Now().Add(-2*time.Hour), backup.StatusFailed, "boom")
	e.svc.Add("main-mysql", "ledger", "daily", time.Now().Add(-time.Hour), backup.StatusFailed, "boom again")
	c := e.loggedIn(t, viewerToken)
	body := c.get("/jobs/main-mysql/ledger/daily").body
	if !strings.Contains(body, "No backup of this job produced a copy yet: no size or duration to chart. 2 runs failed; see below.") {
		t.Errorf("the job page does not say that no backup produced a copy")
	}
	if strings.Contains(body, `id="chart-size"`) || strings.Contains(body, `id="chart-duration"`) {
		t.Errorf("the job page draws empty charts")
	}
	if !strings.Contains(body, "boom again") {
		t.Errorf("the job page does not list the failed runs")
	}
}

// The page of a job the config no longer has still shows its history, and
// says the job is no longer configured; a configured job's page does not.
func TestJobPageOfARemovedJob(t *testing.T) {
	e := newEnv(t, envOptions{})
	oddJob(t, e)
	c := e.loggedIn(t, viewerToken)
	path := jobURL("main-mysql", oddDatabase, "daily")
	if body := c.get(path).body; strings.Contains(body, `id="job-removed"`) {
		t.Error("a configured job's page says it is no longer configured")
	}
	e.svc.Removed = map[string]bool{"main-mysql/" + oddDatabase + "/daily": true}
	r := c.get(path)
	if r.status != 200 || !strings.Contains(r.body, `id="job-removed"`) || !strings.Contains(r.body, "no longer in the configuration") || !strings.Contains(r.body, "<svg") {
		t.Errorf("GET %s of a removed job: %d, want its history and the note:\n%s", path, r.status, r.body)
	}
}
