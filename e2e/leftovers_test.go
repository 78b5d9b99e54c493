package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// At start, the daemon drops the scratch databases that killed restores
// left on its servers (planted here: a scratch name nobody holds), on
// MariaDB and PostgreSQL, and says so.
func TestServeSweepsRestoreLeftovers(t *testing.T) {
	var b [6]byte
	rand.Read(b[:])
	scratch := "gosqlguard_scratch_" + hex.EncodeToString(b[:])
	my, pg := mariadbAdmin(t, ""), pgAdmin(t, "postgres")
	// Held as a live restore holds them until the daemon starts: restores
	// that other tests run at the same time sweep too.
	myHolder, err := mariadbAdmin(t, "").Conn(t.Context()) // its own pool: mariadbAdmin pools hold one connection
	if err != nil {
		t.Fatal(err)
	}
	defer myHolder.Close()
	if _, err := myHolder.ExecContext(t.Context(), "DO GET_LOCK(?, 0)", scratch); err != nil {
		t.Fatal(err)
	}
	pgHolder := pgAdmin(t, "postgres")
	pgExec(t, pgHolder, "SELECT pg_advisory_lock(hashtext('"+scratch+"'))")
	execAll(t, my, "CREATE DATABASE `"+scratch+"`")
	pgExec(t, pg, `CREATE DATABASE "`+scratch+`"`)
	t.Cleanup(func() {
		my.Exec("DROP DATABASE IF EXISTS `" + scratch + "`")
		pgExec(t, pgAdmin(t, "postgres"), `DROP DATABASE IF EXISTS "`+scratch+`" WITH (FORCE)`)
	})
	keep := newMariaDB(t, "keep")
	s := newSetup(t, []serverSpec{
		{name: "my", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{keep}},
		{name: "pg", typ: "postgres", socket: postgresSocketDir, user: "postgres", databases: []string{"postgres"}},
	}, options{})
	myHolder.ExecContext(t.Context(), "DO RELEASE_LOCK(?)", scratch)
	pgExec(t, pgHolder, "SELECT pg_advisory_unlock(hashtext('"+scratch+"'))")
	d := startDaemon(t, s)
	// Restores that other test packages run at the same time sweep too and
	// may take a leftover first; what must hold is that both are gone soon
	// after the daemon started, and nothing else.
	gone := func() bool {
		var n int
		if err := pg.QueryRow(t.Context(), `SELECT count(*) FROM pg_database WHERE datname = $1`, scratch).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 0 && !slices.Contains(queryStrings(t, my, "SHOW DATABASES"), scratch)
	}
	for deadline := time.Now().Add(30 * time.Second); !gone(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the leftovers are still there 30 s after the daemon started:\n%s", d.log())
		}
	}
	t.Logf("sweeps the daemon logged: %d of 2", strings.Count(d.log(), "dropped the scratch databases of restores that did not finish"))
	if !slices.Contains(queryStrings(t, my, "SHOW DATABASES"), keep) {
		t.Errorf("the sweep dropped %s, which is no scratch database", keep)
	}
	if err, _ := d.stop(syscall.SIGTERM); err != nil {
		t.Errorf("daemon exit: %v", err)
	}
}
