package e2e

import (
	"bytes"
	"context"
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

	"github.com/minio/minio-go/v7"

	"github.com/gosqlguard/gosqlguard/internal/storage/s3/s3test"
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
	srv := s3test.StartServer(t)
	s := newSetup(t, []serverSpec{{name: "main", typ: "mysql", socket: mariadbSocket, user: "root"}}, options{
		s3:        srv,
		retention: "{daily: {keep: 5, max_age: 7d}, hourly: {keep: 4}}",
		types:     "  daily: {schedule: \"30 2 * * *\"}\n  hourly: {schedule: \"@hourly\"}\n",
	})
	for _, p := range preparedSet() {
		p.plant(t, func(key string, data []byte) {
			f := s.objectPath(key)
			os.MkdirAll(filepath.Dir(f), 0o700)
			if err := os.WriteFile(f, data, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := srv.Client().PutObject(context.Background(), srv.Bucket, "e2e/"+key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{}); err != nil {
				t.Fatal(err)
			}
		})
	}
	s.mustRun(t, "catalog", "rebuild")

	beforeLocal, beforeS3 := storedFiles(t, s), s3Keys(t, srv)
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
	if len(storedFiles(t, s)) != len(beforeLocal) || len(s3Keys(t, srv)) != len(beforeS3) {
		t.Fatal("--dry-run deleted something")
	}

	// The plan, per storage: which backup IDs go.
	planned := map[string][]string{}
	storageName := ""
	for _, line := range strings.Split(plan, "\n") {
		if rest, ok := strings.CutPrefix(line, "storage "); ok {
			storageName = strings.TrimSuffix(strings.Fields(rest)[0], ":")
		}
		if f := strings.Fields(line); len(f) > 6 && f[0] == "delete" {
			planned[storageName] = append(planned[storageName], f[6])
		}
	}
	if len(planned["local"]) == 0 || len(planned["s3"]) == 0 {
		t.Fatalf("the prepared set should lose backups in both storages: %v", planned)
	}
	s.mustRun(t, "prune")
	afterS3 := s3Keys(t, srv)
	for i := range afterS3 {
		afterS3[i] = strings.TrimPrefix(afterS3[i], "e2e/")
	}
	for name, pair := range map[string][2][]string{
		"local": {beforeLocal, storedFiles(t, s)},
		"s3":    {trimAll(beforeS3, "e2e/"), afterS3},
	} {
		assertDeletedExactly(t, name, pair[0], pair[1], planned[name])
	}
	var deleted []struct {
		ID           string `json:"id"`
		DeleteReason string `json:"delete_reason"`
	}
	json.Unmarshal([]byte(s.mustRun(t, "list", "--status", "deleted", "-o", "json").stdout), &deleted)
	if len(deleted) != len(planned["local"]) || !strings.HasPrefix(deleted[0].DeleteReason, "retention: ") {
		t.Errorf("deleted rows = %+v, want %d with a reason", deleted, len(planned["local"]))
	}
	if again := s.mustRun(t, "prune", "--dry-run").stdout; strings.Contains(again, "\n  delete ") {
		t.Errorf("a second prune would delete more:\n%s", again)
	}
}

func trimAll(keys []string, prefix string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = strings.TrimPrefix(k, prefix)
	}
	return out
}

// assertDeletedExactly checks that exactly the planned backups lost their
// object and manifest, and nothing else went.
func assertDeletedExactly(t *testing.T, storage string, before, after, planned []string) {
	t.Helper()
	left := map[string]bool{}
	for _, k := range after {
		left[k] = true
	}
	var gone []string
	for _, k := range before {
		if left[k] {
			continue
		}
		switch {
		case strings.HasSuffix(k, ".sql.zst"):
			gone = append(gone, strings.TrimSuffix(path.Base(k), ".sql.zst"))
		case !strings.HasSuffix(k, ".manifest.json"):
			t.Errorf("%s: unexpected deletion of %s", storage, k)
		}
	}
	sort.Strings(gone)
	planned = append([]string(nil), planned...)
	sort.Strings(planned)
	if strings.Join(gone, ",") != strings.Join(planned, ",") {
		t.Errorf("%s: deleted %v\nplanned %v", storage, gone, planned)
	}
	if len(after) != len(before)-2*len(planned) {
		t.Errorf("%s: %d objects left of %d; want %d (object and manifest of each deleted backup)", storage, len(after), len(before), len(before)-2*len(planned))
	}
}
