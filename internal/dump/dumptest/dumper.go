package dumptest

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/dump"
)

// SlowWriter stands for a slow destination. It calls AfterFirst, when set,
// on its first write, while the tool runs and waits on its stdout pipe, and
// then sleeps Delay on every write. It discards what it is given.
type SlowWriter struct {
	Delay      time.Duration
	AfterFirst func()
	once       sync.Once
}

func (s *SlowWriter) Write(p []byte) (int, error) {
	if s.AfterFirst != nil {
		s.once.Do(s.AfterFirst)
	}
	time.Sleep(s.Delay)
	return len(p), nil
}

// CheckDatabases checks d.Databases: the list holds fresh, a database the
// test made, none of system, and is sorted.
func CheckDatabases(t testing.TB, d dump.Dumper, fresh string, system ...string) {
	t.Helper()
	got, err := d.Databases(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(got, fresh) {
		t.Errorf("%q not in %q", fresh, got)
	}
	for _, sys := range system {
		if slices.Contains(got, sys) {
			t.Errorf("system database %q listed", sys)
		}
	}
	if !slices.IsSorted(got) {
		t.Errorf("not sorted: %q", got)
	}
}

// CheckDumpCancelled dumps db, whose dump must take several writes, into a
// slow writer and cancels the context on the first write: Dump must fail
// with an error that wraps context.Canceled.
func CheckDumpCancelled(t testing.TB, d dump.Dumper, db string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &SlowWriter{Delay: 20 * time.Millisecond, AfterFirst: cancel}
	_, err := d.Dump(ctx, db, w)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

// CheckDumpKilled dumps db, whose dump must take several writes, and kills
// the dump tool with SIGKILL on the first write: Dump must fail and say that
// the tool was killed. p is d's Process; its OnStart is replaced to learn the
// tool's pid.
func CheckDumpKilled(t testing.TB, d dump.Dumper, p *dump.Process, db string) {
	t.Helper()
	var pid atomic.Int64 // of the last child started: the one writing
	p.OnStart = func(_ string, started int) { pid.Store(int64(started)) }
	w := &SlowWriter{AfterFirst: func() {
		if pid := int(pid.Load()); pid > 0 { // never 0: that would signal our own group
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}}
	_, err := d.Dump(context.Background(), db, w)
	if err == nil || !strings.Contains(err.Error(), "killed by signal killed") {
		t.Errorf("got %v, want killed", err)
	}
}

// CheckRestoreMatchesFingerprint restores the dump raw (which Dump returned
// with info) into the new database dst and checks that the restored
// database counts as info's fingerprint says.
func CheckRestoreMatchesFingerprint(t testing.TB, d dump.Dumper, info dump.Info, raw []byte, dst string) {
	t.Helper()
	ctx := context.Background()
	if info.Fingerprint == nil {
		t.Fatal("no fingerprint in Info")
	}
	if err := d.Restore(ctx, dst, bytes.NewReader(raw), dump.RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	restored, err := d.Fingerprint(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	if diff := info.Fingerprint.Differences(restored); len(diff) > 0 {
		t.Errorf("restore and dump differ: %q", diff)
	}
}

// CheckDropDrill checks the drill database drill, which the test has just
// made: DrillLeftovers lists it, Databases does not, DropDrill drops it
// (after during, when set, ran: e.g. opening a session on it) and a second
// DropDrill of the absent database is no error.
func CheckDropDrill(t testing.TB, d dump.Dumper, drill string, during func()) {
	t.Helper()
	ctx := context.Background()
	left, err := d.DrillLeftovers(ctx)
	if err != nil || !slices.Contains(left, drill) {
		t.Errorf("DrillLeftovers = %q, %v; want it to hold %q", left, err, drill)
	}
	dbs, err := d.Databases(ctx)
	if err != nil || slices.Contains(dbs, drill) {
		t.Errorf("Databases = %q, %v; a drill database is listed", dbs, err)
	}
	if during != nil {
		during()
	}
	if err := d.DropDrill(ctx, drill); err != nil {
		t.Fatal(err)
	}
	if err := d.DropDrill(ctx, drill); err != nil {
		t.Errorf("dropping an absent drill database: %v", err)
	}
	if left, _ := d.DrillLeftovers(ctx); slices.Contains(left, drill) {
		t.Errorf("%q still there after DropDrill", drill)
	}
}

// CheckDumpMatchesLive checks that d counts database src live as want, and
// that its dump of src carries the same fingerprint. It returns the dump's
// Info and bytes for further checks.
func CheckDumpMatchesLive(t testing.TB, d dump.Dumper, src string, want backup.Fingerprint) (dump.Info, []byte) {
	t.Helper()
	ctx := context.Background()
	live, err := d.Fingerprint(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(live, want) {
		t.Errorf("live fingerprint\n%v\nwant\n%v", live, want)
	}
	var out bytes.Buffer
	info, err := d.Dump(ctx, src, &out)
	if err != nil {
		t.Fatal(err)
	}
	if info.Fingerprint == nil {
		t.Fatal("no fingerprint in Info")
	}
	if diff := live.Differences(*info.Fingerprint); len(diff) > 0 {
		t.Errorf("dump and source differ: %q", diff)
	}
	return info, out.Bytes()
}
