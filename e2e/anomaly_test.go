package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

// After five normal backups, a backup of the same database that lost 90% of
// its rows succeeds but carries a size anomaly: a warning in show and list,
// and size_anomaly in its manifest. The five before it carry none.
func TestSizeAnomalyFlagged(t *testing.T) {
	db := newMariaDB(t, "anom")
	conn := mariadbAdmin(t, db)
	execAll(t, conn,
		"CREATE TABLE events (id INT PRIMARY KEY, payload VARCHAR(200))",
		"INSERT INTO events SELECT seq, REPEAT(CHAR(65 + seq % 26), 100) FROM seq_1_to_2000",
	)
	s := newSetup(t, rootMariaDB(db), options{})
	for range 5 {
		s.mustRun(t, "backup")
	}
	execAll(t, conn, "DELETE FROM events WHERE id > 200")
	res := s.mustRun(t, "backup")
	id := backupID(t, res)
	if !strings.Contains(res.stdout, "\twarning: size anomaly") {
		t.Errorf("the backup line does not show the warning: %q", res.stdout)
	}
	if show := s.mustRun(t, "show", id).stdout; !strings.Contains(show, "size anomaly") {
		t.Errorf("show (table) does not show the warning:\n%s", show)
	}
	if list := s.mustRun(t, "list").stdout; !strings.Contains(list, "success!") {
		t.Errorf("list (table) does not mark the backup with a warning:\n%s", list)
	}

	var b struct {
		Status   string   `json:"status"`
		Warnings []string `json:"warnings"`
		Manifest struct {
			SizeAnomaly *struct {
				RawBytes       int64 `json:"raw_bytes"`
				MedianRawBytes int64 `json:"median_raw_bytes"`
				Compared       int   `json:"compared"`
			} `json:"size_anomaly"`
		} `json:"manifest"`
	}
	if err := json.Unmarshal([]byte(s.mustRun(t, "show", id, "-o", "json").stdout), &b); err != nil {
		t.Fatal(err)
	}
	a := b.Manifest.SizeAnomaly
	if b.Status != "success" || a == nil || a.Compared != 5 || a.RawBytes*100 >= a.MedianRawBytes*50 {
		t.Fatalf("status %s, anomaly %+v", b.Status, a)
	}
	if len(b.Warnings) != 1 || !strings.Contains(b.Warnings[0], "size anomaly") {
		t.Errorf("warnings = %q", b.Warnings)
	}

	var listed []struct {
		ID       string   `json:"id"`
		Warnings []string `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(s.mustRun(t, "list", "-o", "json").stdout), &listed); err != nil {
		t.Fatal(err)
	}
	flagged := 0
	for _, l := range listed {
		if len(l.Warnings) > 0 {
			flagged++
			if l.ID != id {
				t.Errorf("backup %s flagged: %q", l.ID, l.Warnings)
			}
		}
	}
	if len(listed) != 6 || flagged != 1 {
		t.Errorf("list: %d backups, %d flagged; want 6 and 1", len(listed), flagged)
	}
}
