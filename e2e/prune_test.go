package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

// preparedBackup is one backup planted in storage, to be found by catalog rebuild.
type preparedBackup struct {
	server, database, typ string
	started               time.Time
	n                     int
}

func (p preparedBackup) id() string {
	return p.started.UTC().Format("20060102T150405.000Z") + fmt.Sprintf("-%012x", p.n)
}

func (p preparedBackup) objectKey() string {
	return path.Join(p.server, p.database, p.typ, p.id()+".sql.zst")
}

// plant writes a tiny object and its manifest under root, as a backup would.
func (p preparedBackup) plant(t *testing.T, put func(key string, data []byte)) {
	t.Helper()
	obj := []byte("not a real dump: " + p.id())
	sum := sha256.Sum256(obj)
	m := map[string]any{
		"format_version": 1, "id": p.id(), "server": p.server, "database": p.database, "type": p.typ,
		"engine": "mariadb", "dump_tool": "mariadb-dump", "dump_format": "sql",
		"started_at": p.started, "finished_at": p.started.Add(time.Minute),
		"raw_bytes": 100, "stored_bytes": len(obj), "sha256": hex.EncodeToString(sum[:]),
		"compression": "zstd", "object": path.Base(p.objectKey()),
	}
	data, _ := json.Marshal(m)
	put(p.objectKey(), obj)
	put(path.Join(p.server, p.database, p.typ, p.id()+".manifest.json"), data)
}

// preparedSet is 20 days of daily and 3 days of hourly backups of one job,
// and two manual ones.
func preparedSet() []preparedBackup {
	var out []preparedBackup
	base := time.Date(2026, 1, 1, 2, 30, 0, 0, time.UTC)
	n := 1
	for d := 0; d < 20; d++ {
		out = append(out, preparedBackup{"main", "shop", "daily", base.AddDate(0, 0, d), n})
		n++
	}
	for h := 0; h < 72; h += 6 {
		out = append(out, preparedBackup{"main", "shop", "hourly", base.AddDate(0, 0, 17).Add(time.Duration(h) * time.Hour), n})
		n++
	}
	out = append(out, preparedBackup{"main", "shop", "manual", base.AddDate(-1, 0, 0), n}, preparedBackup{"main", "crm", "daily", base, n + 1})
	return out
}

func TestPruneDryRunAndApply(t *testing.T) {
	s := newSetup(t, []serverSpec{{name: "main", typ: "mysql", socket: mariadbSocket, user: "root"}}, options{})
	cfg, _ := os.ReadFile(s.configPath)
	withRetention := strings.Replace(string(cfg), "type: local, path: "+fmt.Sprintf("%q", s.storageDir)+"}",
		"type: local, path: "+fmt.Sprintf("%q", s.storageDir)+",\n    retention: {daily: {keep: 5, max_age: 7d}, hourly: {keep: 4}}}", 1)
	withRetention = strings.Replace(withRetention, "storages:\n", "backup_types:\n  daily: {schedule: \"30 2 * * *\"}\n  hourly: {schedule: \"@hourly\"}\nstorages:\n", 1)
	if withRetention == string(cfg) {
		t.Fatal("could not add retention to the config")
	}
	os.WriteFile(s.configPath, []byte(withRetention), 0o600)

	set := preparedSet()
	for _, p := range set {
		p.plant(t, func(key string, data []byte) {
			f := s.objectPath(key)
			os.MkdirAll(filepath.Dir(f), 0o700)
			if err := os.WriteFile(f, data, 0o600); err != nil {
				t.Fatal(err)
			}
		})
	}
	s.mustRun(t, "catalog", "rebuild")

	before := storedFiles(t, s)
	plan := s.mustRun(t, "prune", "--dry-run").stdout
	golden := filepath.Join("testdata", "prune-dry-run.golden")
	if *update {
		os.WriteFile(golden, []byte(plan), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if plan != string(want) {
		t.Errorf("prune --dry-run differs from %s (rerun with -update to accept):\n%s", golden, plan)
	}
	if after := storedFiles(t, s); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Fatal("--dry-run deleted something")
	}

	// Exactly the planned backups go: object and manifest.
	var planned []string
	for _, line := range strings.Split(plan, "\n") {
		if f := strings.Fields(line); len(f) > 6 && f[0] == "delete" {
			planned = append(planned, f[6])
		}
	}
	if len(planned) == 0 {
		t.Fatal("the prepared set should lose some backups")
	}
	s.mustRun(t, "prune")
	var gone []string
	after := map[string]bool{}
	for _, f := range storedFiles(t, s) {
		after[f] = true
	}
	for _, f := range before {
		if !after[f] && strings.HasSuffix(f, ".sql.zst") {
			gone = append(gone, strings.TrimSuffix(filepath.Base(f), ".sql.zst"))
		}
		if !after[f] && !strings.HasSuffix(f, ".sql.zst") && !strings.HasSuffix(f, ".manifest.json") {
			t.Errorf("unexpected file deleted: %s", f)
		}
	}
	sort.Strings(planned)
	sort.Strings(gone)
	if strings.Join(planned, ",") != strings.Join(gone, ",") {
		t.Errorf("deleted %v\nplanned %v", gone, planned)
	}
	if len(after) != len(before)-2*len(planned) {
		t.Errorf("%d files left of %d; want %d (object and manifest of each deleted backup)", len(after), len(before), len(before)-2*len(planned))
	}
	// Deleted backups stay in the catalog with when and why.
	var deleted []struct {
		ID           string `json:"id"`
		DeleteReason string `json:"delete_reason"`
	}
	json.Unmarshal([]byte(s.mustRun(t, "list", "--status", "deleted", "-o", "json").stdout), &deleted)
	if len(deleted) != len(planned) || !strings.HasPrefix(deleted[0].DeleteReason, "retention: ") {
		t.Errorf("deleted rows = %+v, want %d with a reason", deleted, len(planned))
	}
	if again := s.mustRun(t, "prune", "--dry-run").stdout; strings.Contains(again, "\n  delete ") {
		t.Errorf("a second prune would delete more:\n%s", again)
	}
}
