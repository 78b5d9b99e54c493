package mysql

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/dump/dumptest"
)

// A swap that fails at its last step, after the RENAME and every new
// object, puts every object back as it was.
func TestRestoreSwapRollsBack(t *testing.T) {
	admin := adminDB(t)
	src, dst := swapPair(t, admin)
	before, scratch := state(t, admin, dst), scratchDatabases(t, admin)
	swapFault = func() error { return errors.New("injected fault") }
	t.Cleanup(func() { swapFault = nil })

	err := New(adminConn(), nil).Restore(context.Background(), dst, bytes.NewReader(dumpOf(t, src)), dump.RestoreOptions{Force: true})
	if !errors.Is(err, dump.ErrTargetUnchanged) || !strings.Contains(err.Error(), "injected fault") {
		t.Fatalf("got %v, want the fault, target put back", err)
	}
	assertUnchanged(t, admin, dst, scratch, before)
}

// A transaction that holds a lock on a target table makes the swap give up
// after swapLockWait, name the table, and leave the target as it was.
func TestRestoreSwapLockWait(t *testing.T) {
	admin := adminDB(t)
	src, dst := swapPair(t, admin)
	before, scratch := state(t, admin, dst), scratchDatabases(t, admin)
	ctx := context.Background()
	holder, err := admin.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	for _, q := range []string{"BEGIN", "SELECT COUNT(*) FROM " + quoteIdent(dst) + ".extra"} {
		if _, err := holder.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	swapLockWait = time.Second
	t.Cleanup(func() { swapLockWait = swapLockWaitDefault })

	err = New(adminConn(), nil).Restore(ctx, dst, bytes.NewReader(dumpOf(t, src)), dump.RestoreOptions{Force: true})
	want := "another session holds a lock on " + quoteIdent(dst) + ".`extra`"
	if !errors.Is(err, dump.ErrTargetUnchanged) || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want %q, target unchanged", err, want)
	}
	holder.ExecContext(ctx, "COMMIT")
	assertUnchanged(t, admin, dst, scratch, before)
}

// A scratch database whose lock nobody holds is a leftover and is dropped;
// one whose lock another session holds belongs to a running restore and
// stays. A hold table nobody holds is logged, not dropped.
func TestSweepLeftovers(t *testing.T) {
	admin := adminDB(t)
	ctx := context.Background()
	tag := func() string { return dump.RandomTag(6) }
	orphan, live := dump.NewScratchName(), dump.NewScratchName()
	holder, err := admin.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if _, err := holder.ExecContext(ctx, "DO GET_LOCK(?, 0)", orphan); err != nil {
		t.Fatal(err)
	}
	newDatabase(t, admin, orphan)
	newDatabase(t, admin, live)
	target := dumptest.UniqueName("gsg_dst_")
	newDatabase(t, admin, target)
	hold := holdPrefix + tag()[:8] + "_0"
	mustExec(t, admin, "CREATE TABLE "+quoteIdent(target)+"."+quoteIdent(hold)+" (id INT)")
	if _, err := holder.ExecContext(ctx, "DO GET_LOCK(?, 0)", live); err != nil {
		t.Fatal(err)
	}
	// The orphan's restore "dies" only now: restores that other tests run
	// at the same time sweep too, and must not take it first.
	if _, err := holder.ExecContext(ctx, "DO RELEASE_LOCK(?)", orphan); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	d := New(adminConn(), slog.New(slog.NewTextHandler(&log, nil)))

	swept, err := d.SweepLeftovers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(swept, orphan) || slices.Contains(swept, live) {
		t.Errorf("swept %v, want %s and not %s", swept, orphan, live)
	}
	if got := scratchDatabases(t, admin); strings.Contains(got, orphan) || !strings.Contains(got, live) {
		t.Errorf("scratch databases now: %s; want %s gone, %s kept", got, orphan, live)
	}
	if !strings.Contains(log.String(), "database="+orphan) || !strings.Contains(log.String(), "table="+hold) {
		t.Errorf("log names neither the swept database nor the hold table:\n%s", log.String())
	}
	if n := dumpRows(t, admin, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", target, hold); n != "1|\n" {
		t.Errorf("hold table dropped")
	}
}
