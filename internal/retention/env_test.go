package retention

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/duration"
)

const day = duration.Day

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// t0 is the start time of the newest backup in most cases.
var t0 = time.Date(2026, 1, 31, 2, 30, 0, 0, time.UTC)

func intp(n int) *int { return &n }

// stored returns a successful backup of server s, database d with a good
// copy on every storage named.
func stored(id, typ string, at time.Time, storages ...string) *backup.Backup {
	if len(storages) == 0 {
		storages = []string{"local"}
	}
	b := &backup.Backup{ID: id, Server: "s", Database: "d", Type: typ, Status: backup.StatusSuccess, StartedAt: at}
	for _, st := range storages {
		b.Locations = append(b.Locations, backup.Location{Storage: st, Key: st + "/" + id, Status: backup.LocationSuccess})
	}
	return b
}

// with changes b and returns it.
func with(b *backup.Backup, f func(*backup.Backup)) *backup.Backup { f(b); return b }

// dailies returns n daily backups d0 (at t0), d1 (a day earlier) and so on.
func dailies(n int, from time.Time) []*backup.Backup {
	var bs []*backup.Backup
	for i := range n {
		bs = append(bs, stored(fmt.Sprintf("d%02d", i), "daily", from.Add(-time.Duration(i)*day)))
	}
	return bs
}

// lines renders decisions compactly as "ID action: reason".
func lines(ds []Decision) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = fmt.Sprintf("%s %s: %s", d.BackupID, d.Action, d.Reason)
	}
	return out
}

// checkGolden compares got with testdata/name, rewriting it under -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// diffLines reports the first difference between two line lists.
func diffLines(got, want []string) string {
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			return fmt.Sprintf("line %d:\n got:  %q\n want: %q\nall got:\n%s", i, g, w, strings.Join(got, "\n"))
		}
	}
	return ""
}
