package mysql

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/dump"
)

// Reserved names are refused before the server is asked anything (the
// Dumper points at no server).
func TestCheckTargetRefusesReservedNames(t *testing.T) {
	d := New(dump.Conn{Name: "none", Socket: "/nonexistent/mysqld.sock", User: "x"}, nil)
	ctx := context.Background()
	for _, db := range []string{"mysql", "MySQL", "sys", "performance_schema", "INFORMATION_SCHEMA",
		"gosqlguard_scratch_0123456789ab", "gosqlguard_hold_x", "gosqlguard_drill_anything", "GOSQLGUARD_SCRATCH_x"} {
		err := d.CheckTarget(ctx, db, dump.RestoreOptions{Force: true})
		if err == nil || !errors.Is(err, dump.ErrTargetUnchanged) || strings.Contains(err.Error(), "nonexistent") {
			t.Errorf("%s: got %v, want a refusal by name, target unchanged", db, err)
		}
	}
	// A drill's fresh database passes the name check (and fails at the
	// server); any other restore into it is refused by name.
	drill := dump.NewDrillName()
	if err := d.CheckTarget(ctx, drill, dump.RestoreOptions{Drill: true}); err == nil || strings.Contains(err.Error(), "reserved") {
		t.Errorf("%s: got %v, want it past the name check", drill, err)
	}
	if err := d.CheckTarget(ctx, drill, dump.RestoreOptions{}); err == nil || !strings.Contains(err.Error(), "reserved") {
		t.Errorf("%s outside a drill: got %v, want a refusal by name", drill, err)
	}
}
