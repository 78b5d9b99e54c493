package web

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

func TestNoPageShowsSecrets(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.loggedIn(t, adminToken)
	failed := e.backupID(t, func(_, db, _, st string) bool { return db == "analytics" && st == "failed" })
	partial := e.backupID(t, func(_, _, _, st string) bool { return st == "partial" })
	good := e.backupID(t, func(_, _, _, st string) bool { return st == "success" })
	// A verify whose result carries a secret and a path, shown on the next page.
	c.post("/backups/"+partial+"/verify", url.Values{"csrf": {c.csrf()}})
	// A restore whose error carries a secret.
	c.post("/backups/"+good+"/restore", url.Values{"csrf": {c.csrf()}, "to_database": {"broken"}, "confirm": {"broken"}})
	pages := []string{
		"/", "/backups", "/backups?q=password", "/backups?status=failed", "/backups?q=" + leakedSecret,
		"/backups/" + failed, "/backups/" + partial, "/backups/" + good,
		"/backups/" + good + "/restore", "/backups/" + good + "/restore?step=confirm&to_database=x",
		"/backups/" + good + "/delete", "/retention", "/status", "/ui/live?view=dashboard",
		"/backups/" + failed + "/restore", "/nope", "/backups/20240101T000000.000Z-000000000000",
	}
	seen := map[string]bool{}
	for _, p := range pages {
		r := c.get(p)
		body := html.UnescapeString(r.body)
		if p == "/backups?q="+leakedSecret {
			// The search box echoes what the person typed; nothing else may.
			body = strings.ReplaceAll(body, `value="`+leakedSecret+`"`, "")
		}
		if strings.Contains(body, leakedSecret) {
			t.Errorf("%s (status %d) shows the secret %q", p, r.status, leakedSecret)
		}
		for _, leak := range []string{"/var/lib/gosqlguard", "/srv/backups", "postgres://", "10.0.0.5/analytics", "goroutine ", ".go:"} {
			if strings.Contains(body, leak) {
				t.Errorf("%s shows %q (a path, DSN or stack trace)", p, leak)
			}
		}
		for _, want := range []string{"<redacted>", "<path>", "<secret>"} {
			if strings.Contains(body, want) {
				seen[want] = true
			}
		}
	}
	// The redacted forms show where the secrets were.
	for _, want := range []string{"<redacted>", "<path>", "<secret>"} {
		if !seen[want] {
			t.Errorf("no page shows %s: the test did not reach the texts it means to check", want)
		}
	}
	status := c.get("/status").body
	if !strings.Contains(status, "password: &lt;secret&gt;") || !strings.Contains(status, "secret_access_key: &lt;secret&gt;") {
		t.Error("the status page does not show the config summary with <secret> in place of secrets")
	}
}

func TestConfigSummaryRedactsSecretsTheAppForgot(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.svc.Config = "servers:\n  - name: a\n    password: " + leakedSecret + "\n    password_file: /run/secrets/db\n" +
		"notifications:\n  webhooks:\n    - url: https://hooks.example/" + leakedSecret + "\n      events: [failure]\n"
	c := e.loggedIn(t, viewerToken)
	body := c.get("/status").body
	if strings.Contains(body, leakedSecret) {
		t.Fatal("the status page shows a secret the config summary let through")
	}
	if !strings.Contains(body, "password: &lt;secret&gt;") || !strings.Contains(body, "url: &lt;secret&gt;") {
		t.Errorf("secret fields not shown as <secret>:\n%s", body)
	}
	if !strings.Contains(body, "password_file: /run/secrets/db") {
		t.Error("a _file field was hidden; it names a file, not a secret")
	}
}

func TestRestoreAsksToConfirmTheTarget(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.loggedIn(t, operatorToken)
	id := e.backupID(t, func(srv, db, typ, st string) bool { return srv == "main-mysql" && db == "shop" && st == "success" })

	form := c.get("/backups/" + id + "/restore")
	if form.status != http.StatusOK || !strings.Contains(form.body, `name="to_database"`) || strings.Contains(form.body, "method=\"post\" action=\"/backups/"+id+"/restore\"") {
		t.Fatalf("restore form: status %d; want a to_database field and no restoring button yet", form.status)
	}
	confirm := c.get("/backups/" + id + "/restore?step=confirm&to_database=shop_copy")
	if want := "Restore " + id + " into main-mysql/shop_copy?"; !strings.Contains(confirm.body, want) {
		t.Fatalf("confirmation page lacks %q", want)
	}
	same := c.get("/backups/" + id + "/restore?step=confirm&to_database=")
	if !strings.Contains(same.body, "into main-mysql/shop?") || !strings.Contains(same.body, "the database the backup was taken from") {
		t.Error("restoring into the backup's own database is not named and warned about")
	}
	if bad := c.get("/backups/" + id + "/restore?step=confirm&to_database=a%2Fb"); bad.status != http.StatusBadRequest {
		t.Errorf("target with a slash: status %d, want 400", bad.status)
	}

	tok := c.csrf()
	for _, typed := range []string{"", "shop", "SHOP_COPY", "shop_copy "} {
		r := c.post("/backups/"+id+"/restore", url.Values{"csrf": {tok}, "to_database": {"shop_copy"}, "confirm": {typed}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "does not match") {
			t.Errorf("confirm typed %q: status %d, want 422", typed, r.status)
		}
	}
	if n := e.count("restore"); n != 0 {
		t.Fatalf("restore ran %d times without a matching confirmation", n)
	}
	r := c.post("/backups/"+id+"/restore", url.Values{"csrf": {tok}, "to_database": {"shop_copy"}, "confirm": {"shop_copy"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/backups/"+id {
		t.Fatalf("confirmed restore: status %d to %q", r.status, r.header.Get("Location"))
	}
	if got := e.restores(); len(got) != 1 || got[0] != id+"->shop_copy" {
		t.Fatalf("restores %v, want [%s->shop_copy]", got, id)
	}
	if page := c.get("/backups/" + id); !strings.Contains(page.body, "Restored backup "+id+" into main-mysql/shop_copy") {
		t.Error("the backup page does not report the restore")
	}
	// A failing restore is reported with the request ID, redacted.
	c.post("/backups/"+id+"/restore", url.Values{"csrf": {tok}, "to_database": {"broken"}, "confirm": {"broken"}})
	page := c.get("/backups/" + id)
	if !strings.Contains(page.body, "Restore into main-mysql/broken failed") || !strings.Contains(page.body, "Request ID") {
		t.Error("a failed restore is not reported with a request ID")
	}
	// Backups that did not succeed cannot be restored.
	failed := e.backupID(t, func(_, _, _, st string) bool { return st == "failed" })
	if r := c.post("/backups/"+failed+"/restore", url.Values{"csrf": {tok}, "confirm": {"analytics"}}); r.status != http.StatusConflict {
		t.Errorf("restoring a failed backup: status %d, want 409", r.status)
	}
}

func TestDeleteNeedsConfirmation(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.loggedIn(t, adminToken)
	id := e.backupID(t, func(_, _, _, st string) bool { return st == "success" })
	page := c.get("/backups/" + id + "/delete")
	if page.status != http.StatusOK || !strings.Contains(page.body, "Delete backup "+id) {
		t.Fatalf("delete page: status %d", page.status)
	}
	tok := c.csrf()
	if r := c.post("/backups/"+id+"/delete", url.Values{"csrf": {tok}}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("delete without the confirmation box: status %d, want 422", r.status)
	}
	if e.count("delete") != 0 {
		t.Fatal("deleted without confirmation")
	}
	if r := c.post("/backups/"+id+"/delete", url.Values{"csrf": {tok}, "confirm": {"yes"}}); r.status != http.StatusSeeOther {
		t.Fatalf("confirmed delete: status %d", r.status)
	}
	after := c.get("/backups/" + id)
	if !strings.Contains(after.body, "Deleted backup "+id) || !strings.Contains(after.body, "Deleted</span>") {
		t.Error("the backup page does not show the deletion")
	}
	if strings.Contains(after.body, `/delete"`) {
		t.Error("a deleted backup still offers Delete")
	}
}

func TestVerifyShowsPerStorageResults(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.loggedIn(t, operatorToken)
	partial := e.backupID(t, func(_, _, _, st string) bool { return st == "partial" })
	r := c.post("/backups/"+partial+"/verify", url.Values{"csrf": {c.csrf()}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/backups/"+partial+"#verify" {
		t.Fatalf("verify: status %d to %q", r.status, r.header.Get("Location"))
	}
	page := c.get("/backups/" + partial).body
	if !strings.Contains(page, "Verify found a problem") || !strings.Contains(page, "Bad</span>") || !strings.Contains(page, "stored object does not match") {
		t.Errorf("verify results missing from the page")
	}
	if again := c.get("/backups/" + partial).body; strings.Contains(again, "Verify results") {
		t.Error("verify results are shown again on the next load; they are one-shot")
	}
}

func TestTriggerReportsOutcome(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.svc.RunFor = time.Hour // stays running
	c := e.loggedIn(t, operatorToken)
	tok := c.csrf()
	r := c.post("/backups", url.Values{"csrf": {tok}, "server": {"main-mysql"}, "database": {"crm"}, "type": {"manual"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
		t.Fatalf("trigger: status %d to %q", r.status, r.header.Get("Location"))
	}
	dash := c.get("/").body
	if !strings.Contains(dash, "Started backup ") || !strings.Contains(dash, `data-running="`) {
		t.Fatal("the dashboard shows neither the start nor the running backup")
	}
	// The same job again: a readable conflict with the request ID.
	c.post("/backups", url.Values{"csrf": {tok}, "server": {"main-mysql"}, "database": {"crm"}, "type": {"manual"}})
	dash = c.get("/").body
	if !strings.Contains(dash, "Could not start the backup: That backup job is already running") || !strings.Contains(dash, "Request ID") {
		t.Errorf("conflict not reported readably")
	}
	for _, bad := range []url.Values{{"server": {"Main"}}, {"type": {"../x"}}, {"database": {"a/b"}}} {
		bad.Set("csrf", tok)
		c.post("/backups", bad)
		if !strings.Contains(c.get("/").body, "Could not start the backup: invalid") {
			t.Errorf("invalid trigger %v not reported", bad)
		}
	}
	e.svc.Stop()
}

func TestLiveEndpoint(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.svc.RunFor = 2 * time.Second
	c := e.loggedIn(t, viewerToken)
	var live liveResponse
	r := c.get("/ui/live?view=dashboard")
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("live: status %d, type %q", r.status, r.header.Get("Content-Type"))
	}
	if err := json.Unmarshal([]byte(r.body), &live); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"totals", "running", "jobs", "storages"} {
		if live.Sections[s] == "" {
			t.Errorf("live response has no %q section", s)
		}
	}
	ids, err := e.svc.StartBackups(t.Context(), "pg-main", "app", "daily")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	json.Unmarshal([]byte(c.get("/ui/live?view=dashboard").body), &live)
	if live.Running != 1 || !strings.Contains(live.Sections["running"], ids[0]) || !strings.Contains(live.Sections["jobs"], "Running") {
		t.Errorf("live while running: %d running, sections %v", live.Running, live.Sections["running"])
	}
	json.Unmarshal([]byte(c.get("/ui/live?backup="+ids[0]).body), &live)
	if live.Reload || !strings.Contains(live.Sections["progress"], "Read so far") {
		t.Errorf("live for a running backup: %+v", live)
	}
	e.svc.WaitIdle(t)
	json.Unmarshal([]byte(c.get("/ui/live?backup="+ids[0]).body), &live)
	if !live.Reload {
		t.Error("live for a finished backup does not ask for a reload")
	}
	if r := c.get("/ui/live?backup=nope"); r.status != http.StatusBadRequest {
		t.Errorf("live for an invalid ID: status %d", r.status)
	}
}

func TestBackupListFiltersAndPages(t *testing.T) {
	e := newEnv(t, envOptions{})
	// 120 more backups of one job, an hour apart, to page through.
	base := time.Now().Add(-30 * 24 * time.Hour)
	for i := range 120 {
		e.svc.Add("pg-main", "app", "hourly", base.Add(time.Duration(i)*time.Hour), backup.StatusSuccess, "")
	}
	c := e.loggedIn(t, viewerToken)
	rowID := regexp.MustCompile(`<tr data-id="([^"]+)" data-server="([^"]+)" data-status="([^"]+)"`)
	older := regexp.MustCompile(`href="([^"]+)" rel="next"`)
	newer := regexp.MustCompile(`href="([^"]+)" rel="prev"`)

	var pages [][]string
	next := "/backups?server=pg-main&type=hourly"
	for next != "" {
		r := c.get(next)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: %d", next, r.status)
		}
		var ids []string
		for _, m := range rowID.FindAllStringSubmatch(r.body, -1) {
			if m[2] != "pg-main" {
				t.Fatalf("filtered by server pg-main, got a row of %s", m[2])
			}
			ids = append(ids, m[1])
		}
		pages = append(pages, ids)
		next = ""
		if m := older.FindStringSubmatch(r.body); m != nil {
			next = html.UnescapeString(m[1])
			if !strings.Contains(next, "server=pg-main") || !strings.Contains(next, "type=hourly") {
				t.Fatalf("the Older link %q drops the filter", next)
			}
		}
		if len(pages) > 5 {
			t.Fatal("too many pages")
		}
		if len(pages) == 3 {
			// From the third page, "← Newer" goes back to the second.
			m := newer.FindStringSubmatch(r.body)
			if m == nil {
				t.Fatal("no Newer link on page 3")
			}
			back := c.get(html.UnescapeString(m[1])).body
			if first := rowID.FindStringSubmatch(back); first == nil || first[1] != pages[1][0] {
				t.Error("Newer from page 3 does not show page 2")
			}
			if !strings.Contains(back, "Page 2") {
				t.Error("page 2 is not labelled")
			}
		}
	}
	total := 0
	seen := map[string]bool{}
	for i, p := range pages {
		if i < len(pages)-1 && len(p) != pageSize {
			t.Errorf("page %d has %d rows, want %d", i+1, len(p), pageSize)
		}
		for _, id := range p {
			if seen[id] {
				t.Errorf("backup %s on two pages", id)
			}
			seen[id] = true
			total++
		}
	}
	if total != 120 {
		t.Errorf("paging showed %d backups, want 120", total)
	}
	if r := c.get("/backups?server=pg-main&type=hourly&before=" + pages[0][pageSize-1]); strings.Contains(r.body, "rel=\"prev\"") == false {
		t.Error("page 2 has no Newer link")
	}

	// Filters: dates, status, free text, bad input.
	day := time.Now().UTC().Format(time.DateOnly)
	for _, tc := range []struct {
		query  string
		status int
		check  func(server, status string) bool
	}{
		{"status=failed", 200, func(_, st string) bool { return st == "failed" }},
		{"q=analytics", 200, func(s, _ string) bool { return s == "pg-main" }},
		{"since=" + day + "&until=" + day, 200, func(string, string) bool { return true }},
		{"storage=offsite&server=main-mysql", 200, func(s, _ string) bool { return s == "main-mysql" }},
		{"status=bogus", 400, nil},
		{"since=yesterday", 400, nil},
		{"since=2026-02-02&until=2026-02-01", 400, nil},
		{"server=Bad%20Name", 400, nil},
		{"before=nonsense", 400, nil},
	} {
		r := c.get("/backups?" + tc.query)
		if r.status != tc.status {
			t.Errorf("%s: status %d, want %d", tc.query, r.status, tc.status)
			continue
		}
		rows := rowID.FindAllStringSubmatch(r.body, -1)
		if tc.check == nil {
			if len(rows) != 0 || !strings.Contains(r.body, "flash-error") {
				t.Errorf("%s: want an error message and no rows", tc.query)
			}
			continue
		}
		if len(rows) == 0 {
			t.Errorf("%s: no rows", tc.query)
		}
		for _, m := range rows {
			if !tc.check(m[2], m[3]) {
				t.Errorf("%s: row %s (%s, %s) does not match", tc.query, m[1], m[2], m[3])
			}
		}
	}
	if r := c.get("/backups?server=pg-main&database=nothing-here"); !strings.Contains(r.body, "No backups match these filters") {
		t.Error("no empty state for a filter without results")
	}
}

func TestEmptyStatesSayWhatToDo(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.svc.Clear() // none
	c := e.loggedIn(t, operatorToken)
	if body := c.get("/backups").body; !strings.Contains(body, "No backups yet — trigger one on the") {
		t.Error("the empty list does not say what to do")
	}
	if body := c.get("/").body; !strings.Contains(body, "Nothing is running right now") {
		t.Error("the dashboard has no empty state for running backups")
	}
}

func TestPagesAndErrorsAreReadable(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.loggedIn(t, adminToken)
	for _, tc := range []struct {
		path   string
		status int
		want   string
	}{
		{"/", 200, "Back up now"},
		{"/backups", 200, "newest first"},
		{"/retention", 200, "to delete"},
		{"/status", 200, "1.4.0"},
		{"/backups/20240101T000000.000Z-000000000000", 404, "Backup not found"},
		{"/backups/not-an-id", 404, "No backup&#39;s ID starts with &#34;not-an-id&#34;"},
		{"/nowhere", 404, "Page not found"},
		{"/static/app.css", 200, "--bg"},
		{"/static/nope.js", 404, "Page not found"},
	} {
		r := c.get(tc.path)
		if r.status != tc.status || !strings.Contains(r.body, tc.want) {
			t.Errorf("GET %s: status %d, want %d with %q", tc.path, r.status, tc.status, tc.want)
		}
		if tc.status >= 400 && !strings.Contains(r.body, r.header.Get("X-Request-ID")) {
			t.Errorf("GET %s: the error page does not show the request ID", tc.path)
		}
	}
	if body := c.get("/").body; !strings.Contains(body, `href="/backups?server=main-mysql&amp;database=shop&amp;type=hourly"`) {
		t.Error("a job row does not link to that job's backups")
	}
	if r := c.do("PUT", "/backups", nil); r.status != http.StatusMethodNotAllowed || !strings.Contains(r.header.Get("Allow"), "POST") {
		t.Errorf("PUT /backups: status %d, Allow %q", r.status, r.header.Get("Allow"))
	}
	if r := c.get("/"); !strings.Contains(r.header.Get("Content-Security-Policy"), "default-src 'none'") || r.header.Get("X-Frame-Options") != "DENY" {
		t.Error("pages lack the security headers")
	}
	// The UI leaves the API's space alone (the app's test checks the API
	// still answers there with the UI mounted).
	if r := c.get("/api/v2/x"); r.status != 404 || strings.Contains(r.body, "<html") {
		t.Errorf("/api/v2/x: %d; the UI must not answer under /api/ with HTML", r.status)
	}
}

func TestDownloadStreamsTheObject(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.loggedIn(t, operatorToken)
	id := e.backupID(t, func(_, db, _, st string) bool { return db == "shop" && st == "success" })
	r := c.get("/backups/" + id + "/download?storage=offsite")
	if r.status != 200 || r.body != "fake dump of shop" {
		t.Fatalf("download: status %d body %q", r.status, r.body)
	}
	if cd := r.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, id) {
		t.Errorf("Content-Disposition %q", cd)
	}
	if r := c.get("/backups/" + id + "/download?storage=Nope!"); r.status != 400 {
		t.Errorf("bad storage name: %d", r.status)
	}
	failed := e.backupID(t, func(_, _, _, st string) bool { return st == "failed" })
	if r := c.get("/backups/" + failed + "/download"); r.status != 400 || !strings.Contains(r.body, "no complete copy") {
		t.Errorf("download of a failed backup: %d", r.status)
	}
}

func TestRetentionPlanAndApply(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.loggedIn(t, operatorToken)
	page := c.get("/retention").body
	m := regexp.MustCompile(`<strong>(\d+)</strong> (?:copy|copies) to delete`).FindStringSubmatch(page)
	if m == nil || m[1] == "0" {
		t.Fatalf("the plan shows no deletions")
	}
	if !strings.Contains(page, "beyond the newest") || !strings.Contains(page, "Delete</span>") {
		t.Error("the plan lacks actions with reasons")
	}
	only := c.get("/retention?only=delete").body
	if strings.Contains(only, "Keep</span>") {
		t.Error("only=delete still lists kept backups")
	}
	tok := c.csrf()
	c.post("/retention", url.Values{"csrf": {tok}})
	if e.count("retention") != 0 || !strings.Contains(c.get("/retention").body, "Tick the box") {
		t.Fatal("retention applied without the confirmation box")
	}
	r := c.post("/retention", url.Values{"csrf": {tok}, "confirm": {"yes"}})
	if r.status != http.StatusSeeOther || e.count("retention") != 1 {
		t.Fatalf("apply: status %d, applied %d times", r.status, e.count("retention"))
	}
	after := c.get("/retention").body
	if !strings.Contains(after, fmt.Sprintf("Retention applied: %s backup copies deleted.", m[1])) {
		t.Error("the apply is not reported")
	}
	if !strings.Contains(after, "<strong>0</strong> copies to delete") {
		t.Error("after applying, the plan still deletes")
	}
}

// A backup with a size anomaly shows a badge in the list and on its page,
// with its warnings.
func TestAnomalyBadgeAndWarnings(t *testing.T) {
	e := newEnv(t, envOptions{})
	b := e.svc.Add("main-mysql", "shop", "daily", time.Now().Add(-time.Minute), backup.StatusSuccess, "")
	b.Manifest.SizeAnomaly = &backup.SizeAnomaly{RawBytes: 1 << 20, MedianRawBytes: 180 << 20, Compared: 5, MinPercent: 50}
	b.Warnings = []string{"size anomaly: 1.0 MiB raw, 0% of the median 180 MiB of the last 5 successful backups of this job (below 50%): was data lost?"}
	c := e.loggedIn(t, viewerToken)
	page := c.get("/backups/" + b.ID).body
	if !strings.Contains(page, `id="anomaly-badge"`) || !strings.Contains(page, "was data lost?") {
		t.Errorf("backup page lacks the anomaly badge or its warning")
	}
	list := c.get("/backups").body
	if strings.Count(list, "Size anomaly</span>") != 1 {
		t.Errorf("the list shows %d anomaly badges, want 1", strings.Count(list, "Size anomaly</span>"))
	}
}

// A unique start of an ID, as the CLI and the API take, leads to the
// backup's page; one that several IDs share is refused with their count.
func TestBackupPageTakesAnIDPrefix(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.loggedIn(t, viewerToken)
	id := e.backupID(t, func(_, db, _, st string) bool { return db == "shop" && st == "success" })
	r := c.get("/backups/" + id[:len(id)-1])
	if r.status != http.StatusFound || r.header.Get("Location") != "/backups/"+id {
		t.Fatalf("GET /backups/<prefix>: status %d, Location %q, want 302 to /backups/%s", r.status, r.header.Get("Location"), id)
	}
	if r := c.get("/backups/20"); r.status != http.StatusBadRequest || !strings.Contains(r.body, "give more of the ID") {
		t.Errorf("GET /backups/20 (shared by several IDs): status %d, want 400 asking for more of the ID\n%s", r.status, r.body)
	}
}

// The addresses under a backup's take a unique start of its ID as its page
// does: a GET or HEAD goes to the same address with the full ID, query
// kept; a form's POST is refused, naming the full ID, and does nothing; a
// start that names no single backup gets the page's error.
func TestBackupSubRoutesTakeAnIDPrefix(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.loggedIn(t, adminToken)
	id := e.backupID(t, func(_, db, _, st string) bool { return db == "shop" && st == "success" })
	prefix := id[:len(id)-1]
	for _, path := range []string{"/download?storage=offsite", "/restore?to_database=shop_copy&step=confirm", "/delete"} {
		for _, method := range []string{"GET", "HEAD"} {
			r := c.do(method, "/backups/"+prefix+path, nil)
			if want := "/backups/" + id + path; r.status != http.StatusFound || r.header.Get("Location") != want {
				t.Errorf("%s /backups/<prefix>%s: status %d, Location %q, want 302 to %s", method, path, r.status, r.header.Get("Location"), want)
			}
		}
	}
	if r := c.get("/backups/" + id + "/download?storage=offsite"); r.status != 200 || r.body != "fake dump of shop" {
		t.Errorf("download with the full ID: status %d", r.status)
	}
	for _, tc := range []struct {
		path   string
		status int
		want   string
	}{
		{"/backups/zz-none/download", 404, "No backup&#39;s ID starts with &#34;zz-none&#34;"},
		{"/backups/20/restore", 400, "give more of the ID"},
	} {
		if r := c.get(tc.path); r.status != tc.status || !strings.Contains(r.body, tc.want) {
			t.Errorf("GET %s: status %d, want %d with %q\n%s", tc.path, r.status, tc.status, tc.want, r.body)
		}
	}
	tok := c.csrf()
	for _, action := range []string{"verify", "drill", "delete"} {
		r := c.post("/backups/"+prefix+"/"+action, url.Values{"csrf": {tok}, "confirm": {"yes"}})
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "full ID") || !strings.Contains(r.body, id) || e.count(action) != 0 {
			t.Errorf("POST /backups/<prefix>/%s: status %d, ran %d times; want 400 naming %s, nothing done\n%s", action, r.status, e.count(action), id, r.body)
		}
	}
}
