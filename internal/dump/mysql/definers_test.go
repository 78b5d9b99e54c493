package mysql

import (
	"errors"
	"strings"
	"testing"
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
