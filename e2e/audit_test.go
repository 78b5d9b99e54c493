package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// auditEntry is an entry of GET /api/v1/audit as a client reads it.
type auditEntry struct {
	ID      int64     `json:"id"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	Address string    `json:"address"`
	Action  string    `json:"action"`
	Target  string    `json:"target"`
	Outcome string    `json:"outcome"`
	Detail  string    `json:"detail"`
}

// The audit trail of a real daemon: a backup and a download through the
// API with a named operator token are recorded with its name, the address
// and their outcome; a start that fails on a server whose password is
// wrong is recorded as failed without the password; an admin reads the
// trail, a viewer and an operator get 403; no token or password is in it.
func TestAuditTrailOfRealDaemon(t *testing.T) {
	db := newMariaDB(t, "audit")
	user := newMariaDBUser(t)
	const (
		adminTok  = "audit-admin-token-5c1e"
		opsTok    = "audit-ops-token-a7d2"
		viewerTok = "audit-viewer-token-3f90"
	)
	wrong := "wrong" + nastyPassword
	s := newSetup(t, []serverSpec{
		{name: "my", typ: "mysql", socket: mariadbSocket, user: user, passwordFile: writeSecret(t, nastyPassword), databases: []string{db}},
		// No databases: starting it discovers them, and the login fails.
		{name: "bad", typ: "mysql", socket: mariadbSocket, user: user, passwordFile: writeSecret(t, wrong)},
	}, options{})
	cfg, _ := os.ReadFile(s.configPath)
	cfg = append(cfg, []byte("http:\n  listen: \""+s.listen+"\"\n  auth:\n    tokens:\n"+
		tokenLine("boss", "admin", adminTok)+tokenLine("ci-runner", "operator", opsTok)+tokenLine("dash", "viewer", viewerTok))...)
	cfg = []byte(strings.Replace(string(cfg), "http: {listen: \""+s.listen+"\"}\n", "", 1))
	if err := os.WriteFile(s.configPath, cfg, 0o600); err != nil {
		t.Fatal(err)
	}

	d := startDaemon(t, s)
	base := "http://" + s.listen
	waitReady(t, base, d)
	admin := apiClient{t, base + "/api/v1", adminTok}
	op := apiClient{t, base + "/api/v1", opsTok}
	viewer := apiClient{t, base + "/api/v1", viewerTok}

	code, body := op.do("POST", "/backups", `{"server":"my","database":"`+db+`"}`)
	if code != 202 {
		t.Fatalf("POST /backups = %d %s", code, body)
	}
	var started struct{ IDs []string }
	if err := json.Unmarshal([]byte(body), &started); err != nil || len(started.IDs) != 1 {
		t.Fatalf("POST /backups body %s", body)
	}
	id := started.IDs[0]
	var b shown
	for deadline := time.Now().Add(2 * time.Minute); b.Status != "success"; {
		_, body := viewer.do("GET", "/backups/"+id, "")
		json.Unmarshal([]byte(body), &b)
		if b.Status != "running" && b.Status != "success" {
			t.Fatalf("backup %s: %s", id, body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("backup never finished:\n%s", d.log())
		}
		time.Sleep(100 * time.Millisecond)
	}

	// The download, read to its end.
	req, _ := http.NewRequest("GET", base+"/api/v1/backups/"+id+"/download", nil)
	req.Header.Set("Authorization", "Bearer "+opsTok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || err != nil || n == 0 {
		t.Fatalf("download: %d, %d bytes, %v", resp.StatusCode, n, err)
	}

	// A start that fails: the server's login is refused.
	if code, body := op.do("POST", "/backups", `{"server":"bad"}`); code < 400 {
		t.Fatalf("POST /backups of bad = %d %s, want an error", code, body)
	}

	// Viewers and operators may not read the trail.
	for _, c := range []apiClient{viewer, op} {
		if code, body := c.do("GET", "/audit", ""); code != 403 {
			t.Errorf("GET /audit with token %s = %d %s, want 403", c.token, code, body)
		}
	}

	// The download is recorded when its stream ends, just after the
	// response: poll briefly.
	var list struct {
		Entries    []auditEntry `json:"entries"`
		NextCursor string       `json:"next_cursor"`
	}
	var raw string
	find := func(action, target string) *auditEntry {
		for i, e := range list.Entries {
			if e.Action == action && (target == "" || e.Target == target) {
				return &list.Entries[i]
			}
		}
		return nil
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		code, raw = admin.do("GET", "/audit?actor=ci-runner", "")
		if code != 200 {
			t.Fatalf("GET /audit = %d %s", code, raw)
		}
		if err := json.Unmarshal([]byte(raw), &list); err != nil {
			t.Fatalf("GET /audit: %v: %s", err, raw)
		}
		if find("download", id) != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("trail of ci-runner: %s", raw)
	// Time filters as dates reach the real catalog: today's entries are in
	// since=until=today, and the last day a catalog can store is a bound
	// (not year 10000, which none stores).
	today := time.Now().UTC().Format(time.DateOnly)
	for _, q := range []string{"/audit?actor=ci-runner&since=" + today + "&until=" + today, "/audit?actor=ci-runner&until=9999-12-31"} {
		var got struct{ Entries []auditEntry }
		if code, body := admin.do("GET", q, ""); code != 200 || json.Unmarshal([]byte(body), &got) != nil || len(got.Entries) != len(list.Entries) {
			t.Errorf("GET %s = %d, %d entries, want %d: %s", q, code, len(got.Entries), len(list.Entries), body)
		}
	}
	if code, body := viewer.do("GET", "/backups?until=9999-12-31", ""); code != 200 || !strings.Contains(body, id) {
		t.Errorf("GET /backups?until=9999-12-31 = %d %s", code, body)
	}
	bk, dl, failed := find("backup", id), find("download", id), find("backup", "bad/*/manual")
	if bk == nil || bk.Outcome != "started" || bk.Actor != "ci-runner" || bk.Address != "127.0.0.1" {
		t.Errorf("backup entry %+v, want started by ci-runner from 127.0.0.1; trail: %s", bk, raw)
	}
	if dl == nil || dl.Outcome != "ok" || dl.Actor != "ci-runner" || !strings.Contains(dl.Detail, "bytes from local") {
		t.Errorf("download entry %+v, want ok by ci-runner; trail: %s", dl, raw)
	}
	if failed == nil || failed.Outcome != "failed" || failed.Detail == "" {
		t.Errorf("failed start entry %+v, want failed with the reason; trail: %s", failed, raw)
	}
	if bk != nil && dl != nil && !(dl.ID > bk.ID) {
		t.Errorf("download entry %d is not after backup entry %d", dl.ID, bk.ID)
	}
	// Filters reach the catalog.
	code, body = admin.do("GET", "/audit?action=download&target="+url.QueryEscape(id), "")
	if code != 200 || !strings.Contains(body, `"outcome":"ok"`) || strings.Contains(body, `"action":"backup"`) {
		t.Errorf("GET /audit?action=download&target=%s = %d %s", id, code, body)
	}
	if code, body := admin.do("GET", "/audit?action=nope", ""); code != 400 || !strings.Contains(body, "invalid action") {
		t.Errorf("GET /audit?action=nope = %d %s, want 400", code, body)
	}
	_, all := admin.do("GET", "/audit", "")
	for _, secret := range []string{nastyPassword, wrong, adminTok, opsTok, viewerTok} {
		if strings.Contains(all, secret) || strings.Contains(raw, secret) {
			t.Errorf("the audit trail holds a secret: %s", all)
		}
	}
}
