package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/dump/dumptest"
)

// Spooling a custom-format archive that pg_dump wrote to a pipe gives,
// byte for byte, the archive pg_dump writes to a file (data offsets filled
// in), but for the creation time in the header.
func TestSpoolFillsDataOffsets(t *testing.T) {
	db := archiveFixture(t)
	piped := pgDumpRaw(t, db, "--compress=0")
	file := pgDumpRaw(t, db, "--compress=0", "--file=")
	newDir := func() *dump.PrivateDir {
		dir, err := dump.NewPrivateDir(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return dir
	}
	s, err := writeSpool(context.Background(), newDir(), bytes.NewReader(piped), int64(len(piped)))
	if err != nil {
		t.Fatal(err)
	}
	if s.offsets < 3 || s.offsetsErr != nil || s.size != int64(len(piped)) {
		t.Errorf("spool filled %d offsets (%v), %d bytes; want at least 3 (the tables' and the large objects'), %d bytes",
			s.offsets, s.offsetsErr, s.size, len(piped))
	}
	dumptest.CheckPrivateFile(t, s.path)
	got, err := os.ReadFile(s.path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(piped, file) {
		t.Fatal("pg_dump wrote the same archive to a pipe and to a file; the test proves nothing")
	}
	from, to := creationTime(t, file)
	if len(got) != len(file) {
		t.Fatalf("spooled %d bytes, pg_dump wrote %d to a file", len(got), len(file))
	}
	for i := range got {
		if got[i] != file[i] && (i < from || i >= to) {
			t.Fatalf("spooled archive differs from pg_dump's file at byte %d of %d", i, len(got))
		}
	}

	// Too long for its manifest, or cut short: no spool.
	if _, err := writeSpool(context.Background(), newDir(), bytes.NewReader(piped), int64(len(piped))-1); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("an archive longer than its limit: got %v", err)
	}
	if _, err := writeSpool(context.Background(), newDir(), bytes.NewReader(piped[:len(piped)-10]), int64(len(piped))); !errors.Is(err, ErrIncomplete) {
		t.Errorf("a cut archive: got %v, want ErrIncomplete", err)
	}
}

// creationTime returns where the seven ints of the archive's creation time
// are in its header.
func creationTime(t *testing.T, a []byte) (from, to int) {
	t.Helper()
	if len(a) < 12 || string(a[:5]) != "PGDMP" {
		t.Fatal("not an archive")
	}
	intSize := int(a[8])
	from = 11 + 1 + intSize // version, sizes and format, then the compression int
	if a[6] >= 15 {
		from = 12 // the compression byte
	}
	return from, from + 7*(1+intSize)
}

// restoreWatch records the pg_restore children a Dumper starts: their
// argv, and whether the spool file an argv names was private while the
// child ran.
type restoreWatch struct {
	t    *testing.T
	mu   sync.Mutex
	args [][]string
}

func watchRestores(t *testing.T, d *Dumper) *restoreWatch {
	w := &restoreWatch{t: t}
	d.OnStart = func(tool string, pid int) {
		if tool != "pg_restore" {
			return
		}
		args := readArgv(t, pid)
		dumptest.CheckChildHides(t, pid, "PGPASSWORD=")
		for _, a := range args {
			if filepath.Base(a) == spoolFile {
				dumptest.CheckPrivateFile(t, a)
			}
		}
		w.mu.Lock()
		w.args = append(w.args, args)
		w.mu.Unlock()
	}
	return w
}

// readArgv returns the argv of the running child pid. It shows only once
// the child's exec is done, a moment after Start returned: it is waited for.
func readArgv(t *testing.T, pid int) []string {
	t.Helper()
	for i := 0; i < 200; i++ {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 0 {
			return strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("child %d shows no argv", pid)
	return nil
}

// last returns the argv of the last pg_restore started and forgets all.
func (w *restoreWatch) last() []string {
	w.t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.args) == 0 {
		w.t.Fatal("no pg_restore started")
	}
	a := w.args[len(w.args)-1]
	w.args = nil
	return a
}

// parallel says whether argv is a parallel load of a spool file.
func parallel(argv []string, jobs string) bool {
	return slices.Contains(argv, "--jobs="+jobs) && !slices.Contains(argv, "--single-transaction") &&
		filepath.Base(argv[len(argv)-1]) == spoolFile
}

// emptyDir fails the test when dir holds anything (a spool left behind).
func emptyDir(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) > 0 {
		t.Errorf("%s holds %d entries after the restore, e.g. %s", dir, len(entries), entries[0].Name())
	}
}

// A parallel restore into a new database and, with Force, over an existing
// one gives a database equal to the source; the spool is gone after each.
func TestParallelRestore(t *testing.T) {
	admin := adminDB(t)
	src, dst := dumptest.UniqueName("gsg_src_"), dumptest.UniqueName("gsg par=x ")
	newDatabase(t, admin, src)
	dropDatabaseAtCleanup(t, admin, dst)
	fixture(t, src)
	fingerprintFixture(t, src)
	var logs bytes.Buffer
	d := New(adminConn(), slog.New(slog.NewTextHandler(&logs, nil)))
	d.TempDir = t.TempDir()
	watch := watchRestores(t, d)
	var out bytes.Buffer
	info, err := d.Dump(context.Background(), src, &out)
	if err != nil {
		t.Fatal(err)
	}
	opts := dump.RestoreOptions{Jobs: 2, RawBytes: int64(out.Len())}
	check := func(what string) {
		t.Helper()
		if got, want := snapshot(t, dst), snapshot(t, src); got != want {
			t.Errorf("%s: restored database differs\n got:\n%s\nwant:\n%s", what, got, want)
		}
		restored, err := d.Fingerprint(context.Background(), dst)
		if err != nil {
			t.Fatal(err)
		}
		if diff := info.Fingerprint.Differences(restored); len(diff) > 0 {
			t.Errorf("%s: restore and dump differ: %q", what, diff)
		}
		emptyDir(t, d.TempDir)
	}

	if err := d.Restore(context.Background(), dst, bytes.NewReader(out.Bytes()), opts); err != nil {
		t.Fatal(err)
	}
	if argv := watch.last(); !parallel(argv, "2") {
		t.Errorf("pg_restore %q: not a parallel load of a spool file", argv)
	}
	if !strings.Contains(logs.String(), "archive spooled") {
		t.Errorf("no spool logged:\n%s", logs.String())
	}
	check("new database")

	// Over the restored database, changed since.
	conn := connectAt(t, adminConn(), dst)
	mustExec(t, conn, `DELETE FROM app.audit`, `CREATE TABLE extra (x int)`)
	conn.Close(context.Background())
	opts.Force = true
	if err := d.Restore(context.Background(), dst, bytes.NewReader(out.Bytes()), opts); err != nil {
		t.Fatal(err)
	}
	if argv := watch.last(); !parallel(argv, "2") {
		t.Errorf("pg_restore %q: not a parallel load of a spool file", argv)
	}
	check("with force over an existing database")
}

// A parallel restore that fails, before the load (a cut archive) or in it
// (pg_restore fails, or is cancelled), leaves the existing target as it
// was and removes the spool and the scratch database.
func TestParallelRestoreFailureLeavesTarget(t *testing.T) {
	admin := adminDB(t)
	role := newGrantee(t, admin)
	src, dst := dumptest.UniqueName("gsg_src_"), dumptest.UniqueName("gsg_dst_")
	newDatabase(t, admin, src)
	newDatabase(t, admin, dst)
	fixture(t, src)
	fixture(t, dst)
	target := connectAt(t, adminConn(), dst)
	mustExec(t, target, `INSERT INTO app.items (label) VALUES ('only in the target')`)
	target.Close(context.Background())
	before := snapshot(t, dst)

	d := New(adminConn(), nil)
	d.TempDir = t.TempDir()
	watch := watchRestores(t, d)
	var scratch []string
	d.onScratch = func(name string) { scratch = append(scratch, name) }
	var good bytes.Buffer
	if _, err := d.Dump(context.Background(), src, &good); err != nil {
		t.Fatal(err)
	}
	// A grant to a role gone by restore time fails pg_restore midway,
	// after the tables were made.
	conn := connectAt(t, adminConn(), src)
	mustExec(t, conn, `GRANT SELECT ON app.items TO `+ident(role))
	var granting bytes.Buffer
	if _, err := d.Dump(context.Background(), src, &granting); err != nil {
		t.Fatal(err)
	}
	mustExec(t, conn, `REVOKE SELECT ON app.items FROM `+ident(role))
	mustExec(t, admin, `DROP ROLE `+ident(role))

	leftAlone := func(what string, err error, loaded bool) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: restore succeeded", what)
		}
		if !errors.Is(err, dump.ErrTargetUnchanged) {
			t.Errorf("%s: got %v, want ErrTargetUnchanged", what, err)
		}
		if got := snapshot(t, dst); got != before {
			t.Errorf("%s: the target changed\n got:\n%s\nwant:\n%s", what, got, before)
		}
		emptyDir(t, d.TempDir)
		var n int
		if err := admin.QueryRow(context.Background(), `SELECT count(*) FROM pg_database WHERE datname = ANY($1)`, scratch).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s: %d scratch databases of %q left (%v)", what, n, scratch, err)
		}
		if loaded {
			if argv := watch.last(); !parallel(argv, "3") {
				t.Errorf("%s: pg_restore %q: not a parallel load of a spool file", what, argv)
			}
			if len(scratch) == 0 {
				t.Errorf("%s: no scratch database made", what)
			}
		}
		scratch = nil
	}
	opts := dump.RestoreOptions{Jobs: 3, Force: true}

	cut := good.Bytes()[:good.Len()*3/4]
	opts.RawBytes = int64(good.Len())
	err := d.Restore(context.Background(), dst, bytes.NewReader(cut), opts)
	if !errors.Is(err, ErrIncomplete) {
		t.Errorf("cut archive: got %v, want ErrIncomplete", err)
	}
	if len(scratch) != 0 {
		t.Errorf("cut archive: scratch databases %q made; a spooled archive is checked before", scratch)
	}
	leftAlone("cut archive", err, false)

	// A row a worker's COPY rejects, in an archive whole and well formed.
	bad := bytes.Replace(good.Bytes(), []byte("\t1.50\t"), []byte("\t1.5x\t"), 1)
	if bytes.Equal(bad, good.Bytes()) {
		t.Fatal("no price 1.50 in the archive to spoil")
	}
	err = d.Restore(context.Background(), dst, bytes.NewReader(bad), opts)
	if err == nil || !strings.Contains(err.Error(), "invalid input syntax for type numeric") {
		t.Errorf("bad row: got %v, want the COPY's error", err)
	}
	leftAlone("bad row", err, true)

	opts.RawBytes = int64(granting.Len())
	err = d.Restore(context.Background(), dst, bytes.NewReader(granting.Bytes()), opts)
	if !errors.Is(err, ErrMissingRole) || !strings.Contains(err.Error(), role) {
		t.Errorf("grant to a missing role: got %v, want ErrMissingRole naming %s", err, role)
	}
	leftAlone("pg_restore fails", err, true)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	onStart := d.OnStart
	d.OnStart = func(tool string, pid int) {
		onStart(tool, pid)
		if tool == "pg_restore" {
			cancel()
		}
	}
	opts.RawBytes = int64(good.Len())
	err = d.Restore(ctx, dst, bytes.NewReader(good.Bytes()), opts)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: got %v, want context.Canceled", err)
	}
	leftAlone("cancelled", err, true)
}

// Without the archive's size, or without room for it, a restore with
// Jobs > 1 loads on one connection, as with Jobs 1, and logs why.
func TestParallelRestoreFallback(t *testing.T) {
	admin := adminDB(t)
	src := dumptest.UniqueName("gsg_src_")
	newDatabase(t, admin, src)
	fixture(t, src)
	var logs bytes.Buffer
	d := New(adminConn(), slog.New(slog.NewTextHandler(&logs, nil)))
	d.TempDir = t.TempDir()
	watch := watchRestores(t, d)
	var out bytes.Buffer
	if _, err := d.Dump(context.Background(), src, &out); err != nil {
		t.Fatal(err)
	}
	room := freeSpace
	t.Cleanup(func() { freeSpace = room })
	for _, tt := range []struct {
		name    string
		raw     int64
		free    int64
		message string
	}{
		{"size unknown", 0, 1 << 50, "the archive's size is unknown"},
		{"no room", int64(out.Len()), int64(out.Len()) + spoolMargin(int64(out.Len())) - 1, "not enough free space"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			logs.Reset()
			freeSpace = func(string) (int64, error) { return tt.free, nil }
			dst := dumptest.UniqueName("gsg_dst_")
			dropDatabaseAtCleanup(t, admin, dst)
			if err := d.Restore(context.Background(), dst, bytes.NewReader(out.Bytes()), dump.RestoreOptions{Jobs: 4, RawBytes: tt.raw}); err != nil {
				t.Fatal(err)
			}
			argv := watch.last()
			if !slices.Contains(argv, "--single-transaction") || slices.ContainsFunc(argv, func(a string) bool { return strings.HasPrefix(a, "--jobs") }) {
				t.Errorf("pg_restore %q: not a load on one connection", argv)
			}
			if !strings.Contains(logs.String(), "level=INFO") || !strings.Contains(logs.String(), tt.message) {
				t.Errorf("log does not say %q:\n%s", tt.message, logs.String())
			}
			if got, want := snapshot(t, dst), snapshot(t, src); got != want {
				t.Errorf("restored database differs\n got:\n%s\nwant:\n%s", got, want)
			}
			emptyDir(t, d.TempDir)
		})
	}
	// The same size with just enough room spools.
	freeSpace = func(string) (int64, error) { return int64(out.Len()) + spoolMargin(int64(out.Len())), nil }
	dst := dumptest.UniqueName("gsg_dst_")
	dropDatabaseAtCleanup(t, admin, dst)
	if err := d.Restore(context.Background(), dst, bytes.NewReader(out.Bytes()), dump.RestoreOptions{Jobs: 4, RawBytes: int64(out.Len())}); err != nil {
		t.Fatal(err)
	}
	if argv := watch.last(); !parallel(argv, "4") {
		t.Errorf("pg_restore %q with just enough room: not a parallel load", argv)
	}
}
