package mysql

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/dump/dumptest"
)

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
