package postgres

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/dump/dumptest"
	"github.com/gosqlguard/gosqlguard/internal/testenv"
)

// trickyPassword exercises the password file's escaping (':' and '\') and
// everything a shell or an option parser could trip on.
const trickyPassword = `p'a"s$s; w>rd #\x:y`

// throwawayServer starts a private PostgreSQL that demands scram-sha-256
// passwords for every connection (the shared test server trusts local ones)
// and stops it at cleanup. The superuser is postgres with trickyPassword.
func throwawayServer(t *testing.T) dump.Conn {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a server; skipped with -short")
	}
	// The server binaries live in pg_config's bindir, often not on PATH.
	var initdb, postgres string
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		bindir := strings.TrimSpace(string(out))
		initdb, postgres = filepath.Join(bindir, "initdb"), filepath.Join(bindir, "postgres")
	}
	if _, err := os.Stat(initdb); err != nil {
		if initdb, err = exec.LookPath("initdb"); err != nil {
			testenv.Require(t, "tool initdb", err)
		}
		postgres = filepath.Join(filepath.Dir(initdb), "postgres")
	}
	tw := dumptest.NewThrowaway(t, "gsg-pg-", "postgres")
	runAs := &syscall.SysProcAttr{Credential: tw.Cred} // postgres refuses to run as root
	pwfile := filepath.Join(tw.Dir, "pw")
	if err := os.WriteFile(pwfile, []byte(trickyPassword+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(tw.Dir, "data")
	cmd := exec.Command(initdb, "-D", data, "-U", "postgres", "--auth=scram-sha-256", "--pwfile="+pwfile, "--no-sync")
	cmd.SysProcAttr = runAs
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	_ = os.Remove(pwfile)
	srv := exec.Command(postgres, "-D", data, "-k", tw.Dir, "-c", "listen_addresses=", "-p", "5432", "-c", "fsync=off")
	srv.SysProcAttr = runAs
	conn := dump.Conn{Name: "throwaway", Socket: tw.Dir, User: "postgres", Password: trickyPassword}
	tw.Start(srv, syscall.SIGINT, func() error { // SIGINT: fast shutdown
		_, err := New(conn, nil).Databases(context.Background())
		return err
	})
	return conn
}

func TestPasswordAuthentication(t *testing.T) {
	conn := throwawayServer(t)
	admin := connectAt(t, conn, "postgres")
	mustExec(t, admin,
		`CREATE DATABASE shop`,
		`CREATE ROLE "back:up" LOGIN PASSWORD 'x\:y'`) // names and passwords with pgpass specials

	t.Run("right password through the password file", func(t *testing.T) {
		shop := connectAt(t, conn, "shop")
		mustExec(t, shop, `CREATE TABLE t (id int)`, `INSERT INTO t SELECT generate_series(1, 1000000)`) // more than the 1 MiB pipe and read buffer: pg_dump still runs when the writer looks
		d := New(conn, nil)
		var pid int
		d.OnStart = func(_ string, p int) { pid = p }
		checked := false
		var out bytes.Buffer
		w := &dumptest.SlowWriter{AfterFirst: func() {
			checked = true
			checkChildHidesPassword(t, pid, trickyPassword)
		}}
		t.Setenv("PGPASSWORD", trickyPassword) // must not reach the child
		if _, err := d.Dump(context.Background(), "shop", io.MultiWriter(&out, w)); err != nil {
			t.Fatal(err)
		}
		if !checked {
			t.Fatal("the writer was never called")
		}
		raw := out.Bytes()
		if err := d.Restore(context.Background(), "shop copy", bytes.NewReader(raw), dump.RestoreOptions{}); err != nil {
			t.Fatal(err)
		}
		// A parallel load: every worker reads the password file too.
		d.TempDir = t.TempDir()
		var argv []string
		d.OnStart = func(tool string, p int) {
			if tool == "pg_restore" {
				argv = readArgv(t, p)
				checkChildHidesPassword(t, p, trickyPassword)
			}
		}
		if err := d.Restore(context.Background(), "shop par", bytes.NewReader(raw), dump.RestoreOptions{Jobs: 2, RawBytes: int64(len(raw))}); err != nil {
			t.Fatal(err)
		}
		if !parallel(argv, "2") {
			t.Errorf("pg_restore %q: not a parallel load", argv)
		}
	})

	t.Run("escaped user and password", func(t *testing.T) {
		c := conn
		c.User, c.Password = "back:up", `x\:y`
		if _, err := New(c, nil).Databases(context.Background()); err != nil {
			t.Fatal(err)
		}
		// The tool itself reads the password file.
		mustExec(t, admin, `GRANT CONNECT ON DATABASE shop TO "back:up"`)
		if _, err := New(c, nil).Dump(context.Background(), "shop", io.Discard); err != nil && !strings.Contains(err.Error(), "permission denied for table t") {
			t.Fatalf("got %v, want success or a permission error after login", err)
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		c := conn
		c.Password = `wr0ng'"$; pass:\`
		d := New(c, nil)
		_, err := d.Dump(context.Background(), "shop", io.Discard)
		if err == nil || !strings.Contains(err.Error(), "password authentication failed") {
			t.Fatalf("got %v", err)
		}
		if _, err2 := d.Databases(context.Background()); err2 == nil {
			t.Fatal("Databases with a wrong password succeeded")
		}
		for _, e := range []error{err} {
			if strings.Contains(e.Error(), c.Password) || strings.Contains(e.Error(), trickyPassword) {
				t.Errorf("error %q contains a password", e)
			}
		}
		// The tool, not only pgx, rejects it.
		err = d.withPassFile(func(dir string, env []string) error {
			tool, err := dump.LookTool("dump tool", "", "pg_dump")
			if err != nil {
				return err
			}
			_, err = d.command(tool, dir, env, append(connArgs(c), "--schema-only", dbnameArg("shop"))).Run(context.Background())
			return err
		})
		if err == nil || !strings.Contains(err.Error(), "password authentication failed") || strings.Contains(err.Error(), c.Password) {
			t.Errorf("pg_dump with a wrong password: %v", err)
		}
	})
}
