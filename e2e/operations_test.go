package e2e

import (
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A restore started through the API shows on the dashboard and on the
// backup's page while it runs, with its step, and is gone when it ends. A
// transaction that holds a lock on a target table keeps the restore's swap
// waiting (it waits up to a minute), so the test sees it mid-way; the
// restored database then matches what was backed up.
func TestRunningRestoreShowsInTheUI(t *testing.T) {
	src := newMariaDB(t, "ops")
	loadMariaDBFixture(t, src, 0)
	s := newSetup(t, []serverSpec{{name: "my", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{src}}}, options{})
	id := backupID(t, s.mustRun(t, "backup"))
	backedUp := mariadbFingerprint(t, src)
	execAll(t, mariadbAdmin(t, src), "INSERT INTO audit (msg) VALUES ('newer')")

	d := startDaemon(t, s)
	base := "http://" + s.listen
	waitReady(t, base, d)

	// A reader whose open transaction holds a metadata lock on a target table.
	tx := holdTableLock(t, src, "audit")

	type answer struct {
		code int
		body string
		err  error
	}
	done := make(chan answer, 1)
	go func() {
		resp, err := http.Post(base+"/api/v1/backups/"+id+"/restore", "application/json", strings.NewReader(`{"force": true}`))
		if err != nil {
			done <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		done <- answer{code: resp.StatusCode, body: string(b)}
	}()

	live := func() (string, int) {
		resp, err := http.Get(base + "/ui/live?operations=" + id)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var lr struct {
			Sections map[string]string `json:"sections"`
			Running  int               `json:"running"`
			Error    string            `json:"error"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&lr); err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET /ui/live?operations=%s: %d %v %s", id, resp.StatusCode, err, lr.Error)
		}
		return lr.Sections["operations"], lr.Running
	}
	var section string
	for deadline := time.Now().Add(40 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var n int
		section, n = live()
		if n == 1 && strings.Contains(section, ">restoring") {
			break
		}
		select {
		case a := <-done:
			t.Fatalf("the restore ended (%d %v %s) before the page showed it restoring; last section: %s", a.code, a.err, a.body, section)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the backup's page never showed the restore restoring; last section: %q\n%s", section, d.log())
		}
	}
	for _, want := range []string{"Restore into " + src, `data-operation="restore/` + id + `"`, "<progress", " of "} {
		if !strings.Contains(section, want) {
			t.Errorf("the backup page's running restore lacks %q:\n%s", want, section)
		}
	}
	var st struct {
		Operations []struct {
			Kind, Target, Phase string
			TotalBytes          int64 `json:"total_bytes"`
		} `json:"operations"`
	}
	if err := json.Unmarshal([]byte(httpGet(t, base+"/api/v1/status")), &st); err != nil {
		t.Fatal(err)
	}
	var listed struct {
		StoredBytes int64 `json:"stored_bytes"`
	}
	if err := json.Unmarshal([]byte(httpGet(t, base+"/api/v1/backups/"+id)), &listed); err != nil {
		t.Fatal(err)
	}
	if len(st.Operations) != 1 || st.Operations[0].Kind != "restore" || st.Operations[0].Target != src ||
		st.Operations[0].Phase != "restore" || st.Operations[0].TotalBytes != listed.StoredBytes || listed.StoredBytes == 0 {
		t.Errorf("GET /status operations = %+v, want the restore of %s (%d stored bytes) into %s", st.Operations, id, listed.StoredBytes, src)
	}
	page := httpGet(t, base+"/")
	if !strings.Contains(page, `data-operation="restore/`+id+`"`) || !strings.Contains(page, "Restore into "+src) {
		t.Errorf("the dashboard does not list the running restore:\n%s", page)
	}

	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	select {
	case a := <-done:
		if a.err != nil || a.code != 200 {
			t.Fatalf("restore: %d %v %s\n%s", a.code, a.err, a.body, d.log())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("the restore did not end after the lock was released\n%s", d.log())
	}
	if section, n := live(); n != 0 || strings.TrimSpace(section) != "" {
		t.Errorf("after the restore the page still shows %d running: %q", n, section)
	}
	compareFingerprints(t, backedUp, mariadbFingerprint(t, src))
}

// holdTableLock opens a transaction that reads table of MariaDB database
// db, which holds a metadata lock on it (a restore's swap waits for it)
// until the transaction ends; the test's end rolls it back.
func holdTableLock(t *testing.T, db, table string) *sql.Tx {
	t.Helper()
	tx, err := mariadbAdmin(t, db).Begin()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback() })
	if _, err := tx.Exec("SELECT COUNT(*) FROM `" + table + "`"); err != nil {
		t.Fatal(err)
	}
	return tx
}

// httpGet returns the body of a 200 answer to GET url.
func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}
