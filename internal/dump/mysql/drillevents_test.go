package mysql

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/dump/dumptest"
)

// A drill's copy of an enabled event is disabled: it must never run (its
// body may name other databases). Other restores keep it enabled.
func TestDrillRestoreDisablesEvents(t *testing.T) {
	admin := adminDB(t)
	src := dumptest.UniqueName("gsg_ev_")
	newDatabase(t, admin, src)
	mustExec(t, admin,
		"CREATE TABLE `"+src+"`.t (a INT)",
		"CREATE EVENT `"+src+"`.`ev` ON SCHEDULE EVERY 1 DAY ON COMPLETION PRESERVE ENABLE COMMENT 'PRESERVE ENABLE' DO DELETE FROM t",
		"CREATE EVENT `"+src+"`.off ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM t",
	)
	d := New(adminConn(), nil)
	ctx := context.Background()
	var out bytes.Buffer
	if _, err := d.Dump(ctx, src, &out); err != nil {
		t.Fatal(err)
	}
	drill := dump.NewDrillName()
	defer d.DropDrill(ctx, drill)
	if err := d.Restore(ctx, drill, bytes.NewReader(out.Bytes()), dump.RestoreOptions{Drill: true}); err != nil {
		t.Fatal(err)
	}
	rows, err := admin.Query("SELECT CONCAT(EVENT_NAME, ' ', STATUS, ' ', EVENT_COMMENT) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? ORDER BY 1", drill)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		got = append(got, s)
	}
	if want := "ev DISABLED PRESERVE ENABLE|off DISABLED "; strings.Join(got, "|") != want {
		t.Errorf("drill events %q, want %q", strings.Join(got, "|"), want)
	}
}

// The filter disables events however the stream is split.
func TestDisableEventsAnySplit(t *testing.T) {
	in := "x;\n/*!50106 CREATE*/ /*!50117 DEFINER=`root`@`localhost`*/ /*!50106 EVENT `ev` ON SCHEDULE EVERY 1 DAY STARTS '2026-01-01 00:00:00' ON COMPLETION NOT PRESERVE ENABLE DO DELETE FROM t */ ;;\n-- end\n"
	want := strings.Replace(in, "PRESERVE ENABLE", "PRESERVE DISABLE", 1)
	for size := 1; size <= len(in); size++ {
		got, err := io.ReadAll(disableEvents(&chunked{data: []byte(in), size: size}))
		if err != nil || string(got) != want {
			t.Fatalf("size %d: %q, %v", size, got, err)
		}
	}
}

// chunked reads data size bytes at a time.
type chunked struct {
	data []byte
	size int
}

func (c *chunked) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.data[:min(c.size, len(c.data))])
	c.data = c.data[n:]
	return n, nil
}
