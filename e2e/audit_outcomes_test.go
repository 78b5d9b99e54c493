package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/catalog"
)

// auditPage is GET /api/v1/audit as a client reads it.
type auditPage struct {
	Entries    []auditEntry `json:"entries"`
	NextCursor string       `json:"next_cursor"`
}

// auditWait polls GET /api/v1/audit?query until an entry of action on
// target with outcome is there, and returns it.
func auditWait(t *testing.T, d *daemon, base, query, action, target, outcome string, timeout time.Duration) auditEntry {
	t.Helper()
	var raw string
	for deadline := time.Now().Add(timeout); ; time.Sleep(100 * time.Millisecond) {
		raw = httpGet(t, base+"/api/v1/audit"+query)
		var page auditPage
		if err := json.Unmarshal([]byte(raw), &page); err != nil {
			t.Fatalf("GET /audit%s: %v: %s", query, err, raw)
		}
		for _, e := range page.Entries {
			if e.Action == action && e.Target == target && e.Outcome == outcome {
				return e
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s %s %s entry in the audit trail: %s\n%s", action, target, outcome, raw, d.log())
		}
	}
}

// post sends POST url with body under ctx, and returns the status and body
// (0 and the error's text when the request did not complete).
func post(ctx context.Context, url, body string) (int, string) {
	req, _ := http.NewRequestWithContext(ctx, "POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A restore is recorded with what happened to it, over the API and from
// the command line alike: one whose stored object is damaged ran and
// failed (the API still answers 400 with the reason), and both surfaces
// record it as failed with the same detail, naming the target once; one
// over a non-empty target without force is refused (409); one whose
// client goes away while it runs is canceled, and the target is as it
// was. In no-token mode the actor is anonymous. The trail pages with
// cursor (and its older name, before). A deletion names its storages.
func TestAuditRestoreOutcomes(t *testing.T) {
	src := newMariaDB(t, "auditrestore")
	loadMariaDBFixture(t, src, 0)
	s := newSetup(t, []serverSpec{{name: "my", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{src}}}, options{})
	damaged := backupID(t, s.mustRun(t, "backup", "--no-prune"))
	good := backupID(t, s.mustRun(t, "backup", "--no-prune"))
	obj := s.objectPath(s.show(t, damaged).Locations[0].Key)
	data, err := os.ReadFile(obj)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x01
	if err := os.WriteFile(obj, data, 0o600); err != nil {
		t.Fatal(err)
	}
	target := uniqueName("auditrestore_to")
	dropMariaDBLater(t, target)

	d := startDaemon(t, s)
	base := "http://" + s.listen
	waitReady(t, base, d)
	api := base + "/api/v1/backups/"

	// The damaged backup: the restore ran, its copy did not verify.
	code, body := post(t.Context(), api+damaged+"/restore", `{"to_database":"`+target+`"}`)
	if code != 400 || !strings.Contains(body, "sha256") || !strings.Contains(body, `"bad_request"`) {
		t.Fatalf("restore of a damaged backup: %d %s, want 400 with the checksum", code, body)
	}
	apiEntry := auditWait(t, d, base, "?action=restore", "restore", damaged, "failed", 10*time.Second)
	if res := s.run(t, "restore", damaged, "--to-database", target); res.code != 1 {
		t.Fatalf("CLI restore of a damaged backup: %s", res)
	}
	var cliEntry auditEntry
	for _, e := range s.auditOf(t) {
		if e.Action == "restore" && e.Target == damaged && strings.HasPrefix(e.Actor, "cli:") {
			cliEntry = auditEntry{Actor: e.Actor, Outcome: e.Outcome, Detail: e.Detail}
		}
	}
	if apiEntry.Actor != "anonymous" || cliEntry.Outcome != "failed" {
		t.Errorf("damaged restore: API entry %+v, CLI entry %+v; want failed by anonymous and by the CLI", apiEntry, cliEntry)
	}
	for _, e := range []auditEntry{apiEntry, cliEntry} {
		if !strings.HasPrefix(e.Detail, "into "+target+": storage local: verify: ") || !strings.Contains(e.Detail, "sha256") ||
			strings.Contains(e.Detail, "invalid request") || strings.Contains(e.Detail, "restore "+damaged) {
			t.Errorf("%s: detail %q, want the target once, then why", e.Actor, e.Detail)
		}
	}
	if apiEntry.Detail != cliEntry.Detail {
		t.Errorf("the API and the CLI record the same failure differently:\n%q\n%q", apiEntry.Detail, cliEntry.Detail)
	}

	// Over the non-empty source without force: refused.
	if code, body := post(t.Context(), api+good+"/restore", `{}`); code != 409 {
		t.Fatalf("restore over the non-empty source: %d %s, want 409", code, body)
	}
	refused := auditWait(t, d, base, "?action=restore&target="+good, "restore", good, "refused", 10*time.Second)
	if !strings.HasPrefix(refused.Detail, "into its own database: ") || !strings.Contains(refused.Detail, "not empty") {
		t.Errorf("refused restore detail %q", refused.Detail)
	}
	// A target no restore may have (a system database), even with force:
	// refused over the API and from the command line, not failed.
	if code, body := post(t.Context(), api+good+"/restore", `{"to_database":"mysql","force":true}`); code != 400 {
		t.Fatalf("restore into mysql: %d %s, want 400", code, body)
	}
	if res := s.run(t, "restore", good, "--to-database", "information_schema", "--force"); res.code != 1 {
		t.Fatalf("CLI restore into information_schema: %s", res)
	}
	for _, into := range []string{"into mysql, forced", "into information_schema, forced"} {
		var got []string
		for _, e := range s.auditOf(t) {
			if e.Action == "restore" && e.Target == good && strings.HasPrefix(e.Detail, into+":") {
				got = append(got, e.Outcome)
			}
		}
		if len(got) != 1 || got[0] != "refused" {
			t.Errorf("restore %s: outcomes %q, want one refused", into, got)
		}
	}

	// A client that goes away while the restore waits to swap the tables
	// in: a reader's open transaction holds a lock on one of them.
	before := mariadbFingerprint(t, src)
	tx := holdTableLock(t, src, "audit")
	ctx, cancel := context.WithCancel(t.Context())
	answered := make(chan string, 1)
	go func() {
		code, body := post(ctx, api+good+"/restore", `{"force": true}`)
		answered <- fmt.Sprintf("%d %s", code, body)
	}()
	admin := mariadbAdmin(t, "")
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		waiting := queryStrings(t, admin, `SELECT ID FROM information_schema.PROCESSLIST
			WHERE STATE LIKE 'Waiting for table metadata lock%' AND INFO LIKE CONCAT('%', ?, '%')`, src)
		if len(waiting) > 0 {
			break
		}
		select {
		case a := <-answered:
			t.Fatalf("the restore ended (%s) before it waited for the lock\n%s", a, d.log())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the restore never waited for the table lock\n%s", d.log())
		}
	}
	cancel()
	<-answered
	canceled := auditWait(t, d, base, "?action=restore&target="+good, "restore", good, "canceled", 90*time.Second)
	if !strings.HasPrefix(canceled.Detail, "into its own database, forced") || strings.Contains(canceled.Detail, "restore "+good) {
		t.Errorf("canceled restore detail %q", canceled.Detail)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var st struct{ Operations []json.RawMessage }
		json.Unmarshal([]byte(httpGet(t, base+"/api/v1/status")), &st)
		if len(st.Operations) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the canceled restore still runs: %s", httpGet(t, base+"/api/v1/status"))
		}
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	compareFingerprints(t, before, mariadbFingerprint(t, src))

	// A deletion says which storages it deleted a copy from.
	req, _ := http.NewRequest("DELETE", api+damaged, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("DELETE: %v %v", resp, err)
	}
	resp.Body.Close()
	if e := auditWait(t, d, base, "?action=delete", "delete", damaged, "ok", 10*time.Second); e.Detail != "from local" {
		t.Errorf("delete detail %q, want from local", e.Detail)
	}

	// Pages of one entry, passed back as cursor, then as before; both at
	// once is refused.
	var first auditPage
	json.Unmarshal([]byte(httpGet(t, base+"/api/v1/audit?limit=1")), &first)
	if len(first.Entries) != 1 || first.NextCursor == "" {
		t.Fatalf("first page %+v", first)
	}
	for _, param := range []string{"cursor", "before"} {
		var next auditPage
		json.Unmarshal([]byte(httpGet(t, base+"/api/v1/audit?limit=1&"+param+"="+url.QueryEscape(first.NextCursor))), &next)
		if len(next.Entries) != 1 || next.Entries[0].ID >= first.Entries[0].ID {
			t.Errorf("?%s=: page %+v after %+v", param, next, first)
		}
	}
	resp, err = http.Get(base + "/api/v1/audit?cursor=" + url.QueryEscape(first.NextCursor) + "&before=" + url.QueryEscape(first.NextCursor))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(b), "give one") {
		t.Errorf("cursor and before together: %d %s, want 400", resp.StatusCode, b)
	}
}

// An API drill whose client goes away stops: the drill is recorded as
// interrupted, its scratch database is dropped, and the audit trail's
// canceled is true. The next drill, whose client waits, matches and its
// entry says where it restored. pg_restore waits (a wrapper) while a
// marker file exists, so the test sees the drill mid-way.
func TestAuditDrillCanceledWithItsCaller(t *testing.T) {
	src := newPostgresDB(t, "auditdrill")
	loadPostgresFixture(t, src, 100)
	s := newSetup(t, []serverSpec{{name: "pg", typ: "postgres", socket: postgresSocketDir, user: "postgres", databases: []string{src}}}, options{})
	marker := filepath.Join(t.TempDir(), "stall")
	s.env = toolWrapper(t, "pg_restore", `case "$1" in --version|-V) exec "$REAL" "$@";; esac
if [ -e "`+marker+`" ]; then touch "`+marker+`.reached"; sleep 120; fi
exec "$REAL" "$@"`)
	id := backupID(t, s.mustRun(t, "backup"))
	queued := backupID(t, s.mustRun(t, "backup"))
	drillsBefore := pgDrillDatabases(t)
	scratch := func() []string {
		return pgStrings(t, pgAdmin(t, "postgres"), `SELECT datname FROM pg_database WHERE datname LIKE 'gosqlguard\_scratch\_%' ORDER BY 1`)
	}
	scratchBefore := scratch()

	d := startDaemon(t, s)
	base := "http://" + s.listen
	waitReady(t, base, d)
	if err := os.WriteFile(marker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	answered := make(chan string, 1)
	go func() {
		_, body := post(ctx, base+"/api/v1/backups/"+id+"/drill", "")
		answered <- body
	}()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(marker + ".reached"); err == nil {
			break
		}
		select {
		case a := <-answered:
			t.Fatalf("the drill ended (%s) before pg_restore ran\n%s", a, d.log())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the drill never reached pg_restore\n%s", d.log())
		}
	}
	// A drill of another backup on the same server waits for the slot, and
	// shows as queued meanwhile; its caller leaving ends the wait.
	qctx, qcancel := context.WithCancel(t.Context())
	qanswered := make(chan string, 1)
	go func() {
		_, body := post(qctx, base+"/api/v1/backups/"+queued+"/drill", "")
		qanswered <- body
	}()
	phases := func() map[string]string {
		var st struct {
			Operations []struct {
				BackupID string `json:"backup_id"`
				Phase    string `json:"phase"`
			} `json:"operations"`
		}
		json.Unmarshal([]byte(httpGet(t, base+"/api/v1/status")), &st)
		out := map[string]string{}
		for _, o := range st.Operations {
			out[o.BackupID] = o.Phase
		}
		return out
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		p := phases()
		if p[queued] == "queued" && p[id] == "restore" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("operations %v, want %s restoring and %s queued\n%s", p, id, queued, d.log())
		}
	}
	qcancel()
	<-qanswered
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, ok := phases()[queued]; !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the queued drill whose caller left is still listed\n%s", d.log())
		}
	}
	cancel()
	<-answered

	var drills struct {
		Drills []struct {
			Status, Error, Server string
		} `json:"drills"`
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		json.Unmarshal([]byte(httpGet(t, base+"/api/v1/backups/"+id+"/drills")), &drills)
		if len(drills.Drills) > 0 && drills.Drills[0].Status != "running" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the drill of a client that went away still runs: %+v\n%s", drills, d.log())
		}
	}
	if dr := drills.Drills[0]; dr.Status != "interrupted" || !strings.Contains(dr.Error, "the request that started it was canceled") {
		t.Errorf("drill history %+v, want interrupted because its request was canceled", drills.Drills)
	}
	e := auditWait(t, d, base, "?action=drill", "drill", id, "canceled", 10*time.Second)
	if e.Detail != "drill interrupted: the request that started it was canceled" || e.Actor != "anonymous" {
		t.Errorf("canceled drill entry %+v", e)
	}
	assertNoNewDrillDatabases(t, drillsBefore, pgDrillDatabases(t))
	assertNoNewDrillDatabases(t, scratchBefore, scratch())

	// Without the stall the drill runs to its end and says so.
	if err := os.Remove(marker); err != nil {
		t.Fatal(err)
	}
	code, body := post(t.Context(), base+"/api/v1/backups/"+id+"/drill", "")
	if code != 200 || !strings.Contains(body, `"status":"success"`) {
		t.Fatalf("drill: %d %s", code, body)
	}
	if e := auditWait(t, d, base, "?action=drill", "drill", id, "ok", 10*time.Second); e.Detail != "restored on pg, matches the fingerprint" {
		t.Errorf("successful drill detail %q", e.Detail)
	}
	assertNoNewDrillDatabases(t, drillsBefore, pgDrillDatabases(t))
}

// A download into a pipe whose reader stops early (| head -c N) is not
// killed by SIGPIPE: it exits 1 with one line that says so, and the audit
// trail records it as canceled with the bytes written, as the API records
// a client that left.
func TestCLIDownloadIntoClosedPipe(t *testing.T) {
	db := newMariaDB(t, "clipipe")
	execAll(t, mariadbAdmin(t, db), "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)",
		"INSERT INTO t SELECT seq, REPEAT(MD5(seq), 64) FROM seq_1_to_3000") // ~6 MB, stored uncompressed
	s := newSetup(t, []serverSpec{{name: "my", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{db}}},
		options{codec: "none"})
	id := backupID(t, s.mustRun(t, "backup"))

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "download", id, "--config", s.configPath)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = w, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	const want = 100000
	n, err := io.CopyN(io.Discard, r, want)
	r.Close() // the reader stops early, as head -c does
	if n != want || err != nil {
		t.Fatalf("read %d bytes of the download: %v", n, err)
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("download into a closed pipe: %v (%v), want exit 1\n%s", err, cmd.ProcessState, stderr.String())
	}
	msg := strings.TrimSpace(stderr.String())
	if strings.Count(msg, "\n") != 0 || !strings.Contains(msg, "error: download "+id+": standard output was closed after ") ||
		!strings.Contains(msg, "stopped early") {
		t.Errorf("stderr %q, want one line that says the reader stopped early", msg)
	}
	var last catalog.AuditEntry
	for _, e := range s.auditOf(t) {
		if e.Action == catalog.AuditDownload {
			last = e
		}
	}
	var written int64
	if _, err := fmt.Sscanf(last.Detail, "stopped after %d bytes from local: the reader closed standard output", &written); err != nil ||
		last.Outcome != catalog.AuditCanceled || last.Target != id || written < want || !strings.HasSuffix(last.Detail, ": the reader closed standard output") {
		t.Errorf("download entry %+v, want canceled after at least %d bytes written", last, want)
	}
	if !strings.Contains(msg, fmt.Sprintf("after %d of ", written)) {
		t.Errorf("stderr %q and the trail (%d bytes) disagree", msg, written)
	}
}
