package web

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/catalog"
)

// seedAudit records entries in the fake's audit trail, oldest first, each a
// minute after the one before, the last a minute ago.
func seedAudit(t testing.TB, e *env, entries ...catalog.AuditEntry) {
	t.Helper()
	at := time.Now().UTC().Add(-time.Duration(len(entries)) * time.Minute)
	for i := range entries {
		en := entries[i]
		if en.At.IsZero() {
			en.At = at.Add(time.Duration(i) * time.Minute)
		}
		if err := e.svc.RecordAudit(t.Context(), &en); err != nil {
			t.Fatal(err)
		}
	}
}

var auditRowRE = regexp.MustCompile(`<tr data-id="(\d+)" data-action="([^"]*)" data-outcome="([^"]*)"`)

// auditRows returns the IDs and actions of the rows of an audit page, in
// their order.
func auditRows(body string) (ids, actions []string) {
	for _, m := range auditRowRE.FindAllStringSubmatch(body, -1) {
		ids, actions = append(ids, m[1]), append(actions, m[2])
	}
	return ids, actions
}

func TestAuditPageShowsTheTrailToAdmins(t *testing.T) {
	e := newEnv(t, envOptions{})
	id := e.backupID(t, func(_, _, _, st string) bool { return st == "success" })
	long := "removed 12 copies: " + strings.Repeat("offsite/main-mysql/crm/daily/2024 ", 20) + "END-OF-DETAIL"
	seedAudit(t, e,
		catalog.AuditEntry{Actor: "ci-bot", Address: "192.0.2.7", Action: catalog.AuditBackup, Target: "main-mysql/shop/hourly", Outcome: catalog.AuditStarted},
		catalog.AuditEntry{Actor: "alice", Address: "192.0.2.8", Action: catalog.AuditDelete, Target: id, Outcome: catalog.AuditOK, Detail: "deleted by hand"},
		catalog.AuditEntry{Actor: "daemon", Action: catalog.AuditRetention, Target: "offsite", Outcome: catalog.AuditOK, Detail: long},
		catalog.AuditEntry{Actor: "oscar", Address: "2001:db8::1", Action: catalog.AuditRestore, Target: id, Outcome: catalog.AuditFailed,
			Detail: "mariadb: Access denied (password=" + leakedSecret + ")"},
	)
	c := e.loggedIn(t, adminToken)
	r := c.get("/audit")
	if r.status != http.StatusOK {
		t.Fatalf("GET /audit as admin: status %d", r.status)
	}
	ids, actions := auditRows(r.body)
	if want := []string{"4", "3", "2", "1"}; fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Fatalf("rows %v, want %v (newest first)", ids, want)
	}
	if want := "[restore retention delete backup]"; fmt.Sprint(actions) != want {
		t.Errorf("actions %v, want %s", actions, want)
	}
	for _, want := range []string{
		`<a href="/audit" aria-current="page">Audit</a>`, // the nav link, current
		`<a class="mono id" href="/backups/` + id + `">` + id + `</a>`,
		`<span class="mono">main-mysql/shop/hourly</span>`,
		"192.0.2.7", "2001:db8::1", "ci-bot", "deleted by hand",
		`<span class="badge badge-bad">Failed</span>`, `<span class="badge badge-info">Started</span>`, `<span class="badge badge-ok">OK</span>`,
		`<details class="err-more">`, "END-OF-DETAIL", // the long detail in full, behind a disclosure
		`datetime="`, " UTC</div>",
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the audit page lacks %q", want)
		}
	}
	if strings.Contains(html.UnescapeString(r.body), leakedSecret) {
		t.Error("the audit page shows a secret a detail carried")
	}
	// The short form cuts the long detail.
	if summary := regexp.MustCompile(`(?s)<summary class="sub">(.*?)</summary>`).FindStringSubmatch(r.body); summary == nil ||
		strings.Contains(summary[1], "END-OF-DETAIL") || !strings.Contains(summary[1], "…") {
		t.Errorf("long detail's summary: %q", summary)
	}
}

func TestAuditPageIsForAdminsOnly(t *testing.T) {
	e := newEnv(t, envOptions{})
	seedAudit(t, e, catalog.AuditEntry{Actor: "alice", Action: catalog.AuditVerify, Target: "x", Outcome: catalog.AuditOK, Detail: "SEEDED-DETAIL"})
	for _, tok := range []string{viewerToken, operatorToken} {
		c := e.loggedIn(t, tok)
		r := c.get("/audit")
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "needs the admin role") {
			t.Errorf("%s: GET /audit status %d, want the 403 page", tok, r.status)
		}
		if strings.Contains(r.body, "SEEDED-DETAIL") {
			t.Errorf("%s: the 403 page shows an audit entry", tok)
		}
		for _, p := range []string{"/", "/backups", "/status", "/audit"} {
			if body := c.get(p).body; strings.Contains(body, `href="/audit"`) {
				t.Errorf("%s: %s links to the audit page", tok, p)
			}
		}
	}
	admin := e.loggedIn(t, adminToken)
	for _, p := range []string{"/", "/backups", "/status"} {
		if body := admin.get(p).body; !strings.Contains(body, `<a href="/audit">Audit</a>`) {
			t.Errorf("admin: %s does not link to the audit page", p)
		}
	}
	if r := admin.do("POST", "/audit", url.Values{}); r.status != http.StatusMethodNotAllowed {
		t.Errorf("POST /audit: status %d, want 405", r.status)
	}
	// Not logged in: to the login form.
	if r := e.client(t).get("/audit"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") {
		t.Errorf("GET /audit without a session: status %d, Location %q", r.status, r.header.Get("Location"))
	}
}

func TestAuditPageFilters(t *testing.T) {
	e := newEnv(t, envOptions{})
	day := func(d int) time.Time { return time.Date(2026, 3, d, 12, 0, 0, 0, time.UTC) }
	seedAudit(t, e,
		catalog.AuditEntry{At: day(1), Actor: "alice", Action: catalog.AuditBackup, Target: "pg-main/app/daily", Outcome: catalog.AuditStarted},
		catalog.AuditEntry{At: day(2), Actor: "bob smith", Action: catalog.AuditDelete, Target: "t1", Outcome: catalog.AuditOK},
		catalog.AuditEntry{At: day(3), Actor: "alice", Action: catalog.AuditDelete, Target: "t2", Outcome: catalog.AuditRefused},
		catalog.AuditEntry{At: day(4), Actor: "bob smith", Action: catalog.AuditDownload, Target: "t1", Outcome: catalog.AuditOK},
		catalog.AuditEntry{At: day(5), Actor: "alice", Action: catalog.AuditRetention, Target: "local", Outcome: catalog.AuditOK},
	)
	c := e.loggedIn(t, adminToken)
	for _, tc := range []struct {
		query string
		want  string // IDs, newest first
	}{
		{"", "[5 4 3 2 1]"},
		{"action=delete", "[3 2]"},
		{"actor=bob+smith", "[4 2]"},
		{"actor=+alice+&action=delete", "[3]"}, // spaces around a value are trimmed
		{"target=t1", "[4 2]"},
		{"since=2026-03-02&until=2026-03-04", "[4 3 2]"}, // until includes its day
		{"since=2026-03-03T12:00:00Z", "[5 4 3]"},
		{"action=verify", "[]"},
	} {
		r := c.get("/audit?" + tc.query)
		ids, _ := auditRows(r.body)
		if r.status != http.StatusOK || fmt.Sprint(ids) != tc.want {
			t.Errorf("?%s: status %d, rows %v, want 200 and %s", tc.query, r.status, ids, tc.want)
		}
	}
	// The form shows the filter it applied.
	body := c.get("/audit?action=delete&actor=alice&since=2026-03-02").body
	for _, want := range []string{`<option value="delete" selected>`, `name="actor" value="alice"`, `name="since" type="date" value="2026-03-02"`,
		`<a class="btn btn-quiet" href="/audit">Clear</a>`, "matching the filters"} {
		if !strings.Contains(body, want) {
			t.Errorf("filtered page lacks %q", want)
		}
	}
	if body := c.get("/audit?action=verify").body; !strings.Contains(body, "No entries match these filters") {
		t.Error("an empty result does not say that nothing matches")
	}
	// Bad values: a message and the form, never a 500.
	for q, want := range map[string]string{
		"action=drop-table":                      "Invalid action",
		"action=%3Cscript%3E":                    "Invalid action",
		"since=yesterday":                        "Invalid start date",
		"until=2026-13-01":                       "Invalid end date",
		"since=1969-07-20":                       "Invalid start date: dates before 1970 are not taken",
		"since=2026-03-05&until=2026-03-01":      "must not be after",
		"actor=a%00b":                            "Invalid actor",
		"target=" + strings.Repeat("x", 256):     "Invalid target",
		"target=%FF%FE":                          "Invalid target",
		"before=abc":                             "Invalid page link",
		"before=0":                               "Invalid page link",
		"cursor=-3":                              "Invalid page link",
		"cursor=70":                              "Invalid page link",
		"cursor=" + catalog.EncodeAuditCursor(0): "Invalid page link",
	} {
		r := c.get("/audit?" + q)
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, want) || !strings.Contains(r.body, `role="alert"`) {
			t.Errorf("?%s: status %d, want 400 with %q", q, r.status, want)
		}
		if ids, _ := auditRows(r.body); len(ids) != 0 {
			t.Errorf("?%s: shows rows despite the bad filter", q)
		}
	}
}

func TestAuditPageEscapesOddStrings(t *testing.T) {
	e := newEnv(t, envOptions{})
	odd := `<script>alert("x")</script>&amp;'"` + "\u202e"
	seedAudit(t, e, catalog.AuditEntry{Actor: odd, Address: `<b>addr</b>`, Action: catalog.AuditVerify,
		Target: `"><img src=x onerror=alert(1)>`, Outcome: `<i>weird</i>`, Detail: odd + strings.Repeat(" long", 60) + " " + odd})
	c := e.loggedIn(t, adminToken)
	for _, p := range []string{"/audit", "/audit?actor=" + url.QueryEscape(odd), "/audit?target=" + url.QueryEscape(`"><img src=x onerror=alert(1)>`)} {
		r := c.get(p)
		if r.status != http.StatusOK {
			t.Fatalf("%s: status %d", p, r.status)
		}
		for _, raw := range []string{"<script>alert", "<img src=x", "<b>addr", "<i>weird"} {
			if strings.Contains(r.body, raw) {
				t.Errorf("%s: the page has %q unescaped", p, raw)
			}
		}
		if ids, _ := auditRows(r.body); len(ids) != 1 {
			t.Errorf("%s: rows %v, want the one entry", p, ids)
		}
	}
	body := c.get("/audit").body
	for _, want := range []string{"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;amp;", "&lt;b&gt;addr&lt;/b&gt;",
		`<span class="badge badge-muted">&lt;i&gt;weird&lt;/i&gt;</span>`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks the escaped form %q", want)
		}
	}
}

func TestAuditPagePagesWithTheCursor(t *testing.T) {
	e := newEnv(t, envOptions{})
	var entries []catalog.AuditEntry
	for i := 1; i <= 2*auditPageSize+20; i++ {
		action := catalog.AuditVerify
		if i%2 == 0 {
			action = catalog.AuditDownload
		}
		entries = append(entries, catalog.AuditEntry{Actor: "alice", Action: action, Target: fmt.Sprint("t", i), Outcome: catalog.AuditOK})
	}
	seedAudit(t, e, entries...)
	c := e.loggedIn(t, adminToken)
	olderRE := regexp.MustCompile(`<a class="btn" href="([^"]+)" rel="next">Older`)
	walk := func(start string) (pages [][]string) {
		t.Helper()
		seen := map[string]bool{}
		next := start
		for next != "" && len(pages) < 10 {
			r := c.get(next)
			if r.status != http.StatusOK {
				t.Fatalf("%s: status %d", next, r.status)
			}
			ids, _ := auditRows(r.body)
			for _, id := range ids {
				if seen[id] {
					t.Fatalf("%s: entry %s shown on two pages", next, id)
				}
				seen[id] = true
			}
			if len(pages) > 0 && !strings.Contains(r.body, "← Newest") {
				t.Errorf("%s: no link back to the newest entries", next)
			}
			pages = append(pages, ids)
			next = ""
			if m := olderRE.FindStringSubmatch(r.body); m != nil {
				next = html.UnescapeString(m[1])
			}
		}
		return pages
	}
	pages := walk("/audit")
	if len(pages) != 3 || len(pages[0]) != auditPageSize || len(pages[1]) != auditPageSize || len(pages[2]) != 20 {
		t.Fatalf("pages of %d, want 50, 50, 20", lens(pages))
	}
	if pages[0][0] != "120" || pages[1][0] != "70" || pages[2][19] != "1" {
		t.Errorf("pages start at %s, %s and end at %s; want 120, 70, 1", pages[0][0], pages[1][0], pages[2][19])
	}
	// The older link keeps the filter.
	pages = walk("/audit?action=download")
	if len(pages) != 2 || len(pages[0]) != auditPageSize || len(pages[1]) != 10 {
		t.Fatalf("filtered pages of %d, want 50, 10", lens(pages))
	}
	if _, actions := auditRows(c.get("/audit?action=download&cursor=" + catalog.EncodeAuditCursor(atoi(t, pages[1][0]))).body); len(actions) != 9 ||
		strings.Trim(strings.Join(actions, ""), "download") != "" {
		t.Errorf("a filtered older page: %v", actions)
	}
	// An older link of earlier versions, before=<entry number>, still opens its page.
	if _, actions := auditRows(c.get("/audit?action=download&before=" + pages[1][0]).body); len(actions) != 9 {
		t.Errorf("an old-style older link: %v", actions)
	}
	if body := c.get("/audit?before=" + catalog.EncodeAuditCursor(1)).body; !strings.Contains(body, "No older entries") {
		t.Error("past the oldest entry the page does not say there are no older ones")
	}
}

func lens(pages [][]string) []int {
	var out []int
	for _, p := range pages {
		out = append(out, len(p))
	}
	return out
}

// A HEAD request on the download link answers the headers and is no
// download: it is not in the audit trail; the GET after it is.
func TestAuditHeadOnDownloadIsNotRecorded(t *testing.T) {
	e := newEnv(t, envOptions{audited: true})
	id := e.backupID(t, func(_, _, _, st string) bool { return st == "success" })
	c := e.loggedIn(t, operatorToken)
	for p, status := range map[string]int{"/backups/" + id + "/download": http.StatusOK,
		"/backups/20200101T000000.000Z-0123456789ab/download": http.StatusNotFound} {
		if r := c.do("HEAD", p, nil); r.status != status || r.body != "" {
			t.Fatalf("HEAD %s: status %d, body %q; want %d", p, r.status, r.body, status)
		}
	}
	es, err := e.svc.AuditLog(t.Context(), catalog.AuditFilter{Action: catalog.AuditDownload})
	if err != nil || len(es) != 0 {
		t.Fatalf("HEAD requests recorded: %+v (%v)", es, err)
	}
	if r := c.get("/backups/" + id + "/download"); r.status != http.StatusOK || r.body == "" {
		t.Fatalf("GET download: status %d", r.status)
	}
	es, _ = e.svc.AuditLog(t.Context(), catalog.AuditFilter{Action: catalog.AuditDownload})
	if len(es) != 1 || es[0].Actor != "oscar" || es[0].Target != id || es[0].Outcome != catalog.AuditOK {
		t.Fatalf("after the GET: %+v, want one ok download by oscar", es)
	}
}

func atoi(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The job an entry names is shown whole, even when its database name ends
// with a quote, after which redaction alone takes "/hourly" for a path;
// the error around it is still redacted.
func TestAuditPageShowsTheJobNameWhole(t *testing.T) {
	e := newEnv(t, envOptions{})
	const job = `my/trial_dba<i>&amp;"x"/hourly`
	id := e.backupID(t, func(_, _, _, st string) bool { return st == "success" })
	seedAudit(t, e,
		catalog.AuditEntry{Actor: "ops", Action: catalog.AuditBackup, Target: id, Outcome: catalog.AuditStarted, Detail: "started by a request for " + job},
		catalog.AuditEntry{Actor: "cli:alice", Action: catalog.AuditBackup, Target: id, Outcome: catalog.AuditFailed, Detail: job + ": failed: open /var/lib/x.sql: denied"},
	)
	body := e.loggedIn(t, adminToken).get("/audit").body
	for _, want := range []string{"started by a request for " + html.EscapeString(job), html.EscapeString(job) + ": failed: open &lt;path&gt;: denied"} {
		if !strings.Contains(body, want) {
			t.Errorf("the audit page lacks %q", want)
		}
	}
}

// A filter given as an RFC 3339 time (a link, a script) keeps its field a
// text field, which shows it and sends it again; a date keeps the date field.
func TestDateFieldsKeepATime(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.loggedIn(t, adminToken)
	for _, page := range []string{"/backups", "/audit"} {
		body := c.get(page + "?since=2026-11-30T19:02:00Z&until=2026-12-01").body
		if !strings.Contains(body, `name="since" type="text" value="2026-11-30T19:02:00Z"`) || !strings.Contains(body, `name="until" type="date" value="2026-12-01"`) {
			t.Errorf("%s: the date fields do not keep the filter as given", page)
		}
	}
}
