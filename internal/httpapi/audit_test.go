package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/audit"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/service"
	"github.com/gosqlguard/gosqlguard/internal/service/servicetest"
)

// newAuditEnv is newEnv with the Service wrapped by audit.Wrap, as the
// app serves it.
func newAuditEnv(t *testing.T) *testEnv {
	return newEnv(t, func(o *envOptions) { o.Service = audit.Wrap(o.Service, o.Clock, o.Logger) })
}

func (e *testEnv) auditList(t *testing.T, query string) auditList {
	t.Helper()
	w := e.do(t, req{method: "GET", target: "/api/v1/audit" + query, token: adminToken})
	if w.Code != http.StatusOK {
		t.Fatalf("GET /api/v1/audit%s: %d %s", query, w.Code, w.Body)
	}
	for _, secret := range []string{servicetest.LeakedSecret, "s3cretpw", adminToken, operatorToken, viewerToken} {
		if strings.Contains(w.Body.String(), secret) {
			t.Errorf("audit list holds secret %q: %s", secret, w.Body)
		}
	}
	return decodeJSON[auditList](t, w)
}

type auditKey struct{ actor, action, target, outcome string }

func keys(es []catalog.AuditEntry) []auditKey {
	out := make([]auditKey, len(es))
	for i, e := range es {
		out[i] = auditKey{e.Actor, e.Action, e.Target, e.Outcome}
	}
	return out
}

// Each action through the API is recorded once, with the token's name, the
// client's address and the outcome, and no secret from a failing action's
// error reaches an entry.
func TestAuditRecordsAPIActions(t *testing.T) {
	env := newAuditEnv(t)
	b := env.add(env.clock.Now().Add(-time.Hour), "main", "shop", "daily")
	gone := env.add(env.clock.Now().Add(-2*time.Hour), "main", "shop", "daily")
	const ops = "203.0.113.7:4000"
	steps := []struct {
		r    req
		want int
	}{
		{req{method: "POST", target: "/api/v1/backups", body: `{"server":"main","database":"shop"}`, token: operatorToken, remote: ops}, 202},
		{req{method: "POST", target: "/api/v1/backups", body: `{"server":"busy"}`, token: operatorToken, remote: ops}, 409},
		{req{method: "GET", target: "/api/v1/backups/" + b.ID + "/download", token: operatorToken, remote: ops}, 200},
		{req{method: "POST", target: "/api/v1/backups/" + b.ID + "/verify", token: operatorToken, remote: ops}, 200},
		{req{method: "POST", target: "/api/v1/backups/" + b.ID + "/drill", token: operatorToken, remote: ops}, 200},
		// A restore that ran and failed answers 400, and is recorded failed;
		// one refused for its target, refused.
		{req{method: "POST", target: "/api/v1/backups/" + b.ID + "/restore", body: `{"to_database":"broken"}`, token: operatorToken, remote: ops}, 400},
		{req{method: "POST", target: "/api/v1/backups/" + b.ID + "/restore", body: `{"to_database":"busy"}`, token: operatorToken, remote: ops}, 409},
		{req{method: "POST", target: "/api/v1/retention/run?dry_run=true", token: operatorToken, remote: ops}, 200},
		{req{method: "POST", target: "/api/v1/retention/run", token: operatorToken, remote: ops}, 200},
		{req{method: "DELETE", target: "/api/v1/backups/" + gone.ID, token: adminToken}, 204},
	}
	for _, s := range steps {
		if w := env.do(t, s.r); w.Code != s.want {
			t.Fatalf("%s %s: %d %s, want %d", s.r.method, s.r.target, w.Code, w.Body, s.want)
		}
	}
	// A failure whose error holds a DSN and a password.
	env.svc.Err = fmt.Errorf("%w: dial mysql://root:s3cretpw@db:3306/x: password=s3cretpw refused", service.ErrUnavailable)
	if w := env.do(t, req{method: "DELETE", target: "/api/v1/backups/" + b.ID, token: adminToken}); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("failing delete: %d %s", w.Code, w.Body)
	}
	env.svc.Err = nil
	env.svc.WaitIdle(t)

	list := env.auditList(t, "")
	started := ""
	for _, e := range list.Entries {
		if e.Action == catalog.AuditBackup && e.Outcome == catalog.AuditStarted {
			started = e.Target
		}
	}
	want := []auditKey{
		{"root", "delete", b.ID, "failed"},
		{"root", "delete", gone.ID, "ok"},
		{"ops", "retention", "local", "ok"},
		{"ops", "restore", b.ID, "refused"},
		{"ops", "restore", b.ID, "failed"},
		{"ops", "drill", b.ID, "failed"},
		{"ops", "verify", b.ID, "ok"},
		{"ops", "download", b.ID, "ok"},
		{"ops", "backup", "busy/*/manual", "refused"},
		{"ops", "backup", started, "started"},
	}
	if got := keys(list.Entries); !slices.Equal(got, want) || list.NextCursor != "" {
		t.Fatalf("audit entries\n%v\nwant\n%v (next_cursor %q)", got, want, list.NextCursor)
	}
	for _, e := range list.Entries {
		wantAddr := "203.0.113.7"
		if e.Actor == "root" {
			wantAddr = "192.0.2.1"
		}
		if e.Address != wantAddr || !e.At.Equal(env.clock.Now()) || e.ID == 0 || strings.ContainsAny(e.Detail, "\r\n") {
			t.Errorf("entry %+v: want address %s, time %v, an ID, a one-line detail", e, wantAddr, env.clock.Now())
		}
	}
	if d := list.Entries[0].Detail; !strings.Contains(d, "<url>") && !strings.Contains(d, "<redacted>") {
		t.Errorf("failed delete detail %q: want the error, redacted", d)
	}
	if d := list.Entries[3].Detail; !strings.HasPrefix(d, "into busy: ") || !strings.Contains(d, "not empty") {
		t.Errorf("refused restore detail %q: want the target and why", d)
	}
	if d := list.Entries[4].Detail; !strings.HasPrefix(d, "into broken: mariadb: ") || !strings.Contains(d, "Access denied") {
		t.Errorf("failed restore detail %q: want the target and the error", d)
	}
	if d := list.Entries[7].Detail; !strings.Contains(d, "bytes from local") {
		t.Errorf("download detail %q: want bytes and storage", d)
	}
}

// Filters select, pages follow the cursor, and bad filters get a 400 that
// says what is wrong.
func TestAuditFiltersAndPages(t *testing.T) {
	env := newAuditEnv(t)
	var ids []string
	for i := range 5 {
		b := env.add(env.clock.Now().Add(-time.Duration(i+1)*time.Hour), "main", "shop", "daily")
		ids = append(ids, b.ID)
		if w := env.do(t, req{method: "POST", target: "/api/v1/backups/" + b.ID + "/verify", token: operatorToken}); w.Code != 200 {
			t.Fatalf("verify: %d %s", w.Code, w.Body)
		}
		env.clock.Advance(time.Minute)
	}
	if w := env.do(t, req{method: "DELETE", target: "/api/v1/backups/" + ids[0], token: adminToken}); w.Code != 204 {
		t.Fatalf("delete: %d %s", w.Code, w.Body)
	}
	if got := env.auditList(t, "?action=delete").Entries; len(got) != 1 || got[0].Target != ids[0] || got[0].Actor != "root" {
		t.Errorf("action=delete: %v", keys(got))
	}
	if got := env.auditList(t, "?actor=ops&target="+url.QueryEscape(ids[2])).Entries; len(got) != 1 || got[0].Action != "verify" {
		t.Errorf("actor=ops&target=%s: %v", ids[2], keys(got))
	}
	since := env.clock.Now().Add(-2 * time.Minute).Format(time.RFC3339)
	if got := env.auditList(t, "?action=verify&since="+since).Entries; len(got) != 2 {
		t.Errorf("since=%s: %v, want the last two verifications", since, keys(got))
	}
	// A date as since and until: that whole day (UTC), both ends included.
	day := env.clock.Now().UTC().Format(time.DateOnly)
	all := env.auditList(t, "?action=verify").Entries
	if got := env.auditList(t, "?action=verify&since="+day+"&until="+day).Entries; len(all) < 2 || len(got) != len(all) {
		t.Errorf("since=until=%s: %v, want every verification %v", day, keys(got), keys(all))
	}
	if got := env.auditList(t, "?action=verify&until="+env.clock.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)).Entries; len(got) != 0 {
		t.Errorf("until yesterday: %v, want none", keys(got))
	}
	// Pages of two: 6 entries, newest first, neither repeated nor skipped,
	// with the cursor passed back as cursor or as its older name, before.
	for _, param := range []string{"cursor", "before"} {
		var seen []int64
		q := "?limit=2"
		for range 5 {
			page := env.auditList(t, q)
			for _, e := range page.Entries {
				seen = append(seen, e.ID)
			}
			if page.NextCursor == "" {
				break
			}
			q = "?limit=2&" + param + "=" + url.QueryEscape(page.NextCursor)
		}
		if !slices.Equal(seen, []int64{6, 5, 4, 3, 2, 1}) {
			t.Errorf("pages by %s gave IDs %v, want 6..1", param, seen)
		}
	}
	next := env.auditList(t, "?limit=2").NextCursor
	for query, msg := range map[string]string{
		"?action=nope":      "invalid action: want one of backup, verify, drill, restore, download, delete, retention",
		"?limit=0":          "invalid limit",
		"?limit=1001":       "invalid limit",
		"?since=yesterday":  "invalid since",
		"?until=2024-13-01": "invalid until",
		"?since=2024-06-02T00:00:00Z&until=2024-06-01T00:00:00Z": "since must be before until",
		"?before=abc":                         "invalid before",
		"?before=" + encodeCursor(ids[0]):     "invalid before",
		"?actor=a%0Ab":                        "invalid actor",
		"?target=" + strings.Repeat("x", 256): "invalid target",
		"?cursor=x":                           "invalid cursor: want the next_cursor of a previous page",
		"?cursor=" + encodeCursor(ids[0]):     "invalid cursor",
		"?cursor=" + url.QueryEscape(next) + "&before=" + url.QueryEscape(next): "cursor and before are the same parameter (before is its older name): give one",
		"?after=x": "unknown query parameter \"after\" (allowed: action, actor, target, since, until, limit, cursor, before)",
	} {
		w := env.do(t, req{method: "GET", target: "/api/v1/audit" + query, token: adminToken})
		if d := apiError(t, w); w.Code != 400 || !strings.Contains(d.Message, msg) {
			t.Errorf("%s: %d %q, want 400 with %q", query, w.Code, d.Message, msg)
		}
	}
}

// A failure to record is logged and does not fail the action.
func TestAuditRecordFailureDoesNotFailTheAction(t *testing.T) {
	env := newAuditEnv(t)
	b := env.add(env.clock.Now().Add(-time.Hour), "main", "shop", "daily")
	env.svc.AuditErr = fmt.Errorf("catalog: append audit: connection refused")
	if w := env.do(t, req{method: "DELETE", target: "/api/v1/backups/" + b.ID, token: adminToken}); w.Code != 204 {
		t.Fatalf("delete: %d %s", w.Code, w.Body)
	}
	if !strings.Contains(env.logs.String(), "cannot record an action in the audit trail") {
		t.Errorf("log does not say the entry was lost:\n%s", env.logs)
	}
}

// A HEAD request on the download route answers the download's headers and
// is no download: neither it nor its refusal is recorded. The GET after it
// is.
func TestAuditHeadIsNotADownload(t *testing.T) {
	env := newAuditEnv(t)
	b := env.add(env.clock.Now().Add(-time.Hour), "main", "shop", "daily")
	w := env.do(t, req{method: "HEAD", target: "/api/v1/backups/" + b.ID + "/download", token: operatorToken})
	if w.Code != http.StatusOK || w.Header().Get("Content-Length") == "" || w.Body.Len() != 0 {
		t.Fatalf("HEAD download: %d, Content-Length %q, %d body bytes", w.Code, w.Header().Get("Content-Length"), w.Body.Len())
	}
	missing := "20240601T000000.000Z-0123456789ab"
	if w := env.do(t, req{method: "HEAD", target: "/api/v1/backups/" + missing + "/download", token: operatorToken}); w.Code != http.StatusNotFound {
		t.Fatalf("HEAD download of an unknown backup: %d", w.Code)
	}
	if got := env.auditList(t, "").Entries; len(got) != 0 {
		t.Fatalf("HEAD requests recorded: %+v", got)
	}
	if w := env.do(t, req{method: "GET", target: "/api/v1/backups/" + b.ID + "/download", token: operatorToken}); w.Code != http.StatusOK {
		t.Fatalf("GET download: %d", w.Code)
	}
	got := env.auditList(t, "").Entries
	if want := []auditKey{{"ops", "download", b.ID, "ok"}}; !slices.Equal(keys(got), want) {
		t.Fatalf("after the GET: %v, want %v", keys(got), want)
	}
}

// A cursor that is not one names the parameter and what it must hold.
func TestAuditBadCursorMessage(t *testing.T) {
	env := newAuditEnv(t)
	for _, param := range []string{"cursor", "before"} {
		for _, c := range []string{"garbage", "12", "YTE6MA"} { // "YTE6MA" is a1:0
			w := env.do(t, req{method: "GET", target: "/api/v1/audit?" + param + "=" + url.QueryEscape(c), token: adminToken})
			d := apiError(t, w)
			if w.Code != http.StatusBadRequest || d.Code != "bad_request" ||
				d.Message != "invalid "+param+": want the next_cursor of a previous page of the audit trail, passed back unchanged" {
				t.Errorf("?%s=%s: %d %+v", param, c, w.Code, d)
			}
		}
	}
}

// The job an entry names is shown whole, even when its database name ends
// with a quote, after which redaction alone takes "/manual" for a path.
func TestAuditShowsTheJobNameWhole(t *testing.T) {
	env := newAuditEnv(t)
	const db = `trial_dba<i>&amp;"x"`
	env.svc.Servers["my"] = []string{db}
	for _, server := range []string{"my", "busy"} {
		body, _ := json.Marshal(map[string]string{"server": server, "database": db})
		if w := env.do(t, req{method: "POST", target: "/api/v1/backups", body: string(body), token: operatorToken}); w.Code != 202 && w.Code != 409 {
			t.Fatalf("POST /api/v1/backups for %s: %d %s", server, w.Code, w.Body)
		}
	}
	env.svc.WaitIdle(t)
	list := env.auditList(t, "")
	if len(list.Entries) != 2 {
		t.Fatalf("entries %+v, want 2", list.Entries)
	}
	if e := list.Entries[0]; e.Target != "busy/"+db+"/manual" || e.Detail != "conflict: the backup job busy/"+db+"/manual is already running" {
		t.Errorf("refused entry %+v: want the job whole in its target and detail", e)
	}
	if e := list.Entries[1]; e.Detail != "started by a request for my/"+db+"/manual" {
		t.Errorf("started entry detail %q, want the job whole", e.Detail)
	}
}
