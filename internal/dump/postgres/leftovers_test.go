package postgres

import (
	"context"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"
)

// A scratch database whose restore died is dropped by the sweep; one whose
// restore still holds its lock, in either maintenance database, is kept.
func TestSweepLeftovers(t *testing.T) {
	admin := adminDB(t)
	ctx := context.Background()
	dead, alive, aliveTemplate := scratchName(), scratchName(), scratchName()
	// The dead one's restore dies only right before the sweep: restores
	// that other tests run at the same time sweep too.
	d := New(adminConn(), nil)
	dying, err := d.connect(ctx, "postgres")
	if err != nil {
		t.Fatal(err)
	}
	defer dying.Close(ctx)
	if err := lockScratch(ctx, dying, dead); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{dead, alive, aliveTemplate} {
		mustExec(t, admin, "CREATE DATABASE "+pgx.Identifier{n}.Sanitize())
		t.Cleanup(func() {
			admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{n}.Sanitize()+" WITH (FORCE)")
		})
	}
	// Live restores: one holds its lock from postgres, one from template1
	// (the maintenance database a restore into "postgres" uses).
	holder, err := d.connect(ctx, "postgres")
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(ctx)
	if err := lockScratch(ctx, holder, alive); err != nil {
		t.Fatal(err)
	}
	holderT1, err := d.connect(ctx, "template1")
	if err != nil {
		t.Fatal(err)
	}
	defer holderT1.Close(ctx)
	if err := lockScratch(ctx, holderT1, aliveTemplate); err != nil {
		t.Fatal(err)
	}

	dying.Close(ctx)
	dropped, err := d.SweepLeftovers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(dropped, dead) || slices.Contains(dropped, alive) || slices.Contains(dropped, aliveTemplate) {
		t.Errorf("dropped %q; want %s and neither live one", dropped, dead)
	}
	var left []string
	rows, _ := admin.Query(ctx, `SELECT datname FROM pg_database WHERE datname = ANY($1)`, []string{dead, alive, aliveTemplate})
	left, _ = pgx.CollectRows(rows, pgx.RowTo[string])
	slices.Sort(left)
	want := []string{alive, aliveTemplate}
	slices.Sort(want)
	if !slices.Equal(left, want) {
		t.Errorf("databases left %q, want %q", left, want)
	}
}
