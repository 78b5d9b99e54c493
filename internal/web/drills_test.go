package web

import (
	"errors"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

// section returns the HTML of the element that starts with open and ends
// with the first close after it; the test fails when there is none.
func section(t *testing.T, body, open, close string) string {
	t.Helper()
	i := strings.Index(body, open)
	if i < 0 {
		t.Fatalf("no %s in the page", open)
	}
	j := strings.Index(body[i:], close)
	if j < 0 {
		t.Fatalf("%s is not closed by %s", open, close)
	}
	return body[i : i+j+len(close)]
}

func jobRowHTML(t *testing.T, body, key string) string {
	t.Helper()
	return section(t, body, `<tr data-job="`+key+`"`, "</tr>")
}

func TestDashboardShowsLastProvenRestorable(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.loggedIn(t, viewerToken)
	body := c.get("/").body
	crm := e.backupID(t, func(srv, db, typ, st string) bool { return db == "crm" && typ == "daily" && st == "success" })
	shop := e.backupID(t, func(srv, db, typ, st string) bool { return db == "shop" && typ == "daily" && st == "success" })
	tests := []struct {
		job, state string
		want       []string
		notWant    []string
	}{
		{"main-mysql/crm/daily", "proven", []string{`href="/backups/` + crm + `#drills"`, "of the backup from"}, []string{"Never", "Last drill failed"}},
		{"main-mysql/shop/daily", "failed", []string{"Last drill differs", `href="/backups/` + shop + `#drills"`, "differs from the backup in 1 place", "of the backup from"}, []string{">Never<"}},
		{"pg-main/app/daily", "failed", []string{">not proven<", "Last drill failed", "password authentication failed"}, []string{leakedSecret, "/var/lib", ">Never<"}},
		{"main-mysql/crm/hourly", "never", []string{`<span class="badge badge-warn"`, ">Never<"}, []string{"Last drill"}},
		{"pg-main/analytics/daily", "never", []string{">Never<"}, nil},
	}
	for _, tt := range tests {
		row := jobRowHTML(t, body, tt.job)
		if !strings.Contains(row, `data-drill="`+tt.state+`"`) {
			t.Errorf("%s: drill state is not %q: %s", tt.job, tt.state, row)
		}
		for _, w := range tt.want {
			if !strings.Contains(row, w) {
				t.Errorf("%s: row lacks %q", tt.job, w)
			}
		}
		for _, w := range tt.notWant {
			if strings.Contains(row, w) {
				t.Errorf("%s: row shows %q", tt.job, w)
			}
		}
	}
	// The manual job has only a partial backup and no drill: nothing to
	// warn about beyond its own status.
	if row := jobRowHTML(t, body, "main-mysql/shop/manual"); !strings.Contains(row, `data-drill="nothing"`) || strings.Contains(row, "badge-warn\" title=\"No restore drill") {
		t.Errorf("a job with nothing to drill is shown as a warning: %s", row)
	}
	// Only crm/daily is proven; shop/manual has nothing to drill.
	if !strings.Contains(body, `<div class="tile tile-warn" id="tile-unproven"`) {
		t.Error("the not-proven tile is not a warning")
	}
	if m := regexp.MustCompile(`id="tile-unproven"[^>]*><span class="tile-num">(\d+)<`).FindStringSubmatch(body); m == nil || m[1] != "6" {
		t.Errorf("not-proven tile: %v, want 6 (crm/hourly, shop/hourly, shop/daily, analytics, app, billing)", m)
	}
	// The live update renders the same cells.
	live := c.get("/ui/live?view=dashboard").body
	if !strings.Contains(live, `data-drill=\"failed\"`) || !strings.Contains(live, "Last drill differs") {
		t.Errorf("the live dashboard lacks the drill cells")
	}
}

func TestBackupPageShowsDrillHistory(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.loggedIn(t, viewerToken)

	// Two passed drills, newest first.
	crm := e.backupID(t, func(_, db, typ, st string) bool { return db == "crm" && typ == "daily" && st == "success" })
	drills := section(t, c.get("/backups/"+crm).body, `<section class="card" id="drills"`, "</section>")
	times := regexp.MustCompile(`<tr data-drill="success">\s*<td class="cell-title nowrap"><time datetime="([^"]+)"`).FindAllStringSubmatch(drills, -1)
	if len(times) != 2 || times[0][1] <= times[1][1] {
		t.Fatalf("crm's history: %d passed drills, times %v; want 2, newest first", len(times), times)
	}
	for _, want := range []string{"Passed</span>", "12 s", "main-mysql", "matches the backup&#39;s fingerprint"} {
		if !strings.Contains(drills, want) {
			t.Errorf("crm's history lacks %q", want)
		}
	}

	// A drill that differs lists the differences.
	shop := e.backupID(t, func(_, db, typ, st string) bool { return db == "shop" && typ == "daily" && st == "success" })
	page := c.get("/backups/" + shop).body
	drills = section(t, page, `<section class="card" id="drills"`, "</section>")
	if !strings.Contains(drills, `<tr data-drill="failure" class="row-bad">`) || !strings.Contains(drills, "Differs</span>") ||
		!strings.Contains(drills, "<li>table orders: 41 rows, want 42</li>") {
		t.Errorf("shop's differing drill is not shown with its differences: %s", drills)
	}
	if !strings.Contains(section(t, page, `<div class="head-status">`, "</div>"), "Drill differs") {
		t.Error("the backup's head does not say its last drill differs")
	}

	// A failed drill shows its error, redacted.
	app := e.backupID(t, func(srv, db, typ, st string) bool { return db == "app" && typ == "daily" && st == "success" })
	drills = section(t, c.get("/backups/"+app).body, `<section class="card" id="drills"`, "</section>")
	text := html.UnescapeString(drills)
	if !strings.Contains(drills, "Failed</span>") || !strings.Contains(text, "password authentication failed (password=<redacted>)") || !strings.Contains(text, "reading <path>") {
		t.Errorf("app's failed drill is not shown with its redacted error: %s", drills)
	}
	if strings.Contains(text, leakedSecret) || strings.Contains(text, "/var/lib") {
		t.Error("a drill's error shows a secret or a path")
	}

	// No drill yet.
	hourly := e.backupID(t, func(_, db, typ, st string) bool { return db == "crm" && typ == "hourly" && st == "success" })
	if drills := section(t, c.get("/backups/"+hourly).body, `<section class="card" id="drills"`, "</section>"); !strings.Contains(drills, "No restore drill has run for this backup yet.") {
		t.Errorf("a backup without drills: %s", drills)
	}

	// The history cannot be read: the page still shows, and says so.
	e.svc.DrillsErr = errors.New("catalog: drills: database is locked")
	r := c.get("/backups/" + crm)
	if r.status != http.StatusOK || !strings.Contains(r.body, "The drill history could not be read") || strings.Contains(r.body, "database is locked") {
		t.Errorf("drill history failure: status %d, page %s", r.status, section(t, r.body, `id="drills"`, "</section>"))
	}
}

func TestRunDrillButtonOnlyForOperators(t *testing.T) {
	e := newEnv(t, envOptions{})
	good := e.backupID(t, func(_, db, typ, st string) bool { return db == "crm" && typ == "hourly" && st == "success" })
	failed := e.backupID(t, func(_, db, _, st string) bool { return db == "analytics" && st == "failed" })
	partial := e.backupID(t, func(_, _, _, st string) bool { return st == "partial" })
	const button = `id="drill-button"`
	for _, tc := range []struct {
		token, id string
		want      bool
	}{
		{viewerToken, good, false},
		{operatorToken, good, true},
		{adminToken, good, true},
		{operatorToken, partial, true},
		{operatorToken, failed, false},
	} {
		c := e.loggedIn(t, tc.token)
		page := c.get("/backups/" + tc.id).body
		if got := strings.Contains(page, button); got != tc.want {
			t.Errorf("token %s, backup %s: drill button shown %v, want %v", tc.token[:6], tc.id, got, tc.want)
		}
		if tc.want && !strings.Contains(page, `<form method="post" action="/backups/`+tc.id+`/drill" class="inline">`) {
			t.Errorf("the drill button does not post to /backups/%s/drill", tc.id)
		}
	}
	// A viewer's post is refused even with a valid CSRF token.
	v := e.loggedIn(t, viewerToken)
	if r := v.post("/backups/"+good+"/drill", url.Values{"csrf": {v.csrf()}}); r.status != http.StatusForbidden || !strings.Contains(r.body, "operator role") {
		t.Errorf("a viewer's drill: status %d, want 403 naming the role", r.status)
	}
	if n := e.count("drill"); n != 0 {
		t.Fatalf("%d drills ran for a viewer", n)
	}
}

func TestRunDrillNeedsCSRF(t *testing.T) {
	e := newEnv(t, envOptions{})
	good := e.backupID(t, func(_, db, typ, st string) bool { return db == "crm" && typ == "hourly" && st == "success" })
	c := e.loggedIn(t, operatorToken)
	for name, form := range map[string]url.Values{"no token": {}, "wrong token": {"csrf": {"not-the-token"}}} {
		if r := c.post("/backups/"+good+"/drill", form); r.status != http.StatusForbidden || !strings.Contains(r.body, "Form refused") {
			t.Errorf("%s: status %d, want 403 Form refused", name, r.status)
		}
	}
	// Another session's token does not do either.
	other := e.loggedIn(t, operatorToken)
	if r := c.post("/backups/"+good+"/drill", url.Values{"csrf": {other.csrf()}}); r.status != http.StatusForbidden {
		t.Errorf("another session's token: status %d, want 403", r.status)
	}
	// Nor a post without a session.
	anon := e.client(t)
	if r := anon.post("/backups/"+good+"/drill", url.Values{"csrf": {c.csrf()}}); r.status != http.StatusForbidden {
		t.Errorf("no session: status %d, want 403", r.status)
	}
	if n := e.count("drill"); n != 0 {
		t.Fatalf("%d drills ran without a valid CSRF token", n)
	}
	if r := c.get("/backups/" + good + "/drill"); r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "POST" {
		t.Errorf("GET of the drill action: status %d, Allow %q", r.status, r.header.Get("Allow"))
	}
}

func TestRunDrillReportsOutcome(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.loggedIn(t, operatorToken)
	tok := c.csrf()
	tests := []struct {
		name  string
		pred  func(srv, db, typ, st string) bool
		flash string
		want  []string
	}{
		{"passes", func(_, db, typ, st string) bool { return db == "crm" && typ == "hourly" && st == "success" },
			"flash-ok", []string{"Drill passed: restored onto main-mysql in 12 s, and the restored database matches the backup&#39;s fingerprint."}},
		{"differs", func(_, _, _, st string) bool { return st == "partial" },
			"flash-error", []string{"Drill failed: the database restored onto main-mysql differs from the backup in 2 places", "<li>triggers: 0, want 1</li>"}},
		{"fails", func(_, db, typ, st string) bool { return db == "billing" && st == "success" },
			"flash-error", []string{"Drill failed on pg-main after 3 s: pg_restore: error: could not connect to server: FATAL: password authentication failed (password=&lt;redacted&gt;)"}},
		{"cannot run", func(_, db, _, st string) bool { return db == "analytics" && st == "failed" },
			"flash-error", []string{"The drill could not run: Backup ", "is failed, not restorable", "Request ID"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := e.backupID(t, tt.pred)
			before := strings.Count(c.get("/backups/"+id).body, "<tr data-drill=")
			r := c.post("/backups/"+id+"/drill", url.Values{"csrf": {tok}})
			if r.status != http.StatusSeeOther || r.header.Get("Location") != "/backups/"+id+"#drills" {
				t.Fatalf("drill: status %d to %q, want 303 to the backup's drills", r.status, r.header.Get("Location"))
			}
			page := c.get("/backups/" + id).body
			if !strings.Contains(page, `class="flash `+tt.flash+`"`) {
				t.Errorf("no %s message", tt.flash)
			}
			for _, w := range tt.want {
				if !strings.Contains(page, w) {
					t.Errorf("the page lacks %q", w)
				}
			}
			if strings.Contains(html.UnescapeString(page), leakedSecret) {
				t.Error("the outcome shows a secret")
			}
			after := strings.Count(page, "<tr data-drill=")
			if ran := tt.name != "cannot run"; ran && after != before+1 || !ran && after != before {
				t.Errorf("history rows %d before, %d after", before, after)
			}
			if again := c.get("/backups/" + id).body; strings.Contains(again, `class="flash `) {
				t.Error("the outcome is shown again on the next load; it is one-shot")
			}
		})
	}
	// A drill already running: a readable conflict.
	busy := e.svc.Add("main-mysql", "busy", "daily", e.svc.Now().Add(-time.Hour), backup.StatusSuccess, "")
	c.post("/backups/"+busy.ID+"/drill", url.Values{"csrf": {tok}})
	if page := c.get("/backups/" + busy.ID).body; !strings.Contains(page, "The drill could not run: A drill of this backup is already running") {
		t.Error("a drill already running is not reported")
	}
	// The list now badges the backups whose last drill failed or differed.
	list := c.get("/backups").body
	partial := e.backupID(t, func(_, _, _, st string) bool { return st == "partial" })
	if row := section(t, list, `<tr data-id="`+partial+`"`, "</tr>"); !strings.Contains(row, ">Drill differs</span>") {
		t.Errorf("the list does not badge the differing drill: %s", row)
	}
	if !strings.Contains(list, ">Drill failed</span>") {
		t.Error("the list does not badge a failed drill")
	}
}

func TestBackupsListBadgesFailedDrills(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.loggedIn(t, viewerToken)
	list := c.get("/backups").body
	row := func(pred func(srv, db, typ, st string) bool) string {
		return section(t, list, `<tr data-id="`+e.backupID(t, pred)+`"`, "</tr>")
	}
	shop := row(func(_, db, typ, st string) bool { return db == "shop" && typ == "daily" && st == "success" })
	if !strings.Contains(shop, `<span class="badge badge-bad drill-badge" title="Last restore drill `) || !strings.Contains(shop, ">Drill differs</span>") ||
		!strings.Contains(html.UnescapeString(shop), "1 difference from the backup's fingerprint") {
		t.Errorf("shop's differing drill has no badge: %s", shop)
	}
	app := row(func(_, db, typ, st string) bool { return db == "app" && typ == "daily" && st == "success" })
	if !strings.Contains(app, ">Drill failed</span>") || strings.Contains(html.UnescapeString(app), leakedSecret) || strings.Contains(app, "/var/lib") {
		t.Errorf("app's failed drill: no badge, or its title leaks: %s", app)
	}
	for name, pred := range map[string]func(srv, db, typ, st string) bool{
		"passed drill": func(_, db, typ, st string) bool { return db == "crm" && typ == "daily" && st == "success" },
		"no drill":     func(_, db, typ, st string) bool { return db == "crm" && typ == "hourly" && st == "success" },
	} {
		if r := row(pred); strings.Contains(r, "drill-badge") {
			t.Errorf("%s: badged: %s", name, r)
		}
	}
}
