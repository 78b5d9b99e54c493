package mysql

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/dump"
)

// viewDump is how mariadb-dump 10.11 writes a view: its DEFINER stands on
// the line after the one the statement starts on, which the client reports.
const viewDump = "/*!50001 DROP VIEW IF EXISTS `v`*/;\n" +
	"/*!50001 SET collation_connection      = utf8mb3_general_ci */;\n" +
	"/*!50001 CREATE ALGORITHM=UNDEFINED */\n" +
	"/*!50013 DEFINER=`app`@`%` SQL SECURITY DEFINER */\n" +
	"/*!50001 VIEW `v` AS select `t`.`id` AS `id` from `t` */;\n" +
	"/*!50001 SET character_set_client      = @saved_cs_client */;\n"

func TestDefinerOfView(t *testing.T) {
	for _, split := range []int{len(viewDump), 70, 115, 120} { // whole, and cut in the view's lines
		tr := newDefinerTracker()
		tr.Write([]byte(viewDump[:split]))
		tr.Write([]byte(viewDump[split:]))
		err := explainRestoreError(errors.New("exit status 1: ERROR 1227 (42000) at line 3: Access denied; you need (at least one of) the SUPER, SET USER privilege(s) for this operation"),
			failure{definerAt: tr.at})
		if want := "definer `app`@`%`: the restoring user lacks SET USER"; !strings.Contains(err.Error(), want) {
			t.Errorf("split at %d: got %q, want %q", split, err, want)
		}
	}
}

func TestValidateDatabaseNameCountsCharacters(t *testing.T) {
	if err := ValidateDatabaseName("trial_" + strings.Repeat("é", 40)); err != nil { // 46 characters, 86 bytes
		t.Errorf("46 characters refused: %v", err)
	}
	if err := ValidateDatabaseName(strings.Repeat("é", 65)); err == nil {
		t.Error("65 characters accepted")
	}
}

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
