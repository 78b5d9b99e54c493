package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/gosqlguard/gosqlguard/internal/dump"
)

// maintenanceDBs are tried in order for server-wide work (listing and
// creating databases).
var maintenanceDBs = []string{"postgres", "template1"}

// connect opens a pgx connection to database. The password is set on the
// parsed config, never written into a connection string.
func (d *Dumper) connect(ctx context.Context, database string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(connInfo(d.conn, database))
	if err != nil {
		return nil, d.errorf("connection settings: %w", err)
	}
	cfg.Password = d.conn.Password
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, d.errorf("connecting to %q: %w", database, err)
	}
	return conn, nil
}

// connectMaintenance connects to the first maintenance database that exists.
func (d *Dumper) connectMaintenance(ctx context.Context) (*pgx.Conn, error) {
	return d.connectMaintenanceExcept(ctx, "")
}

// connInfo returns a keyword/value connection string without the password.
func connInfo(c dump.Conn, database string) string {
	parts := []string{"sslmode=prefer", "connect_timeout=15"}
	if h := pgHost(c); h != "" {
		parts = append(parts, "host="+quoteConnValue(h))
	}
	parts = append(parts, "port="+strconv.Itoa(pgPort(c)))
	if c.User != "" {
		parts = append(parts, "user="+quoteConnValue(c.User))
	}
	if database != "" {
		parts = append(parts, "dbname="+quoteConnValue(database))
	}
	return strings.Join(parts, " ")
}

// quoteConnValue quotes a libpq keyword/value connection string value.
func quoteConnValue(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// pgHost is the -h value: the host, else the socket directory, else "" (the
// client's default).
func pgHost(c dump.Conn) string {
	if c.Host != "" {
		return c.Host
	}
	return c.Socket
}

func pgPort(c dump.Conn) int {
	if c.Port == 0 {
		return 5432
	}
	return c.Port
}

// connArgs are the tools' connection flags; never a password. -w: never prompt.
func connArgs(c dump.Conn) []string {
	var args []string
	if h := pgHost(c); h != "" {
		args = append(args, "--host="+h)
	}
	args = append(args, "--port="+strconv.Itoa(pgPort(c)))
	if c.User != "" {
		args = append(args, "--username="+c.User)
	}
	return append(args, "--no-password")
}

// dbnameArg names the database for pg_dump/pg_restore. It is a connection
// string holding only dbname, so that a name containing '=' or looking like
// a URI is never read as one.
func dbnameArg(db string) string {
	return "--dbname=dbname=" + quoteConnValue(db)
}

// pgpassLine renders the one line of the private password file. Host, port
// and database are wildcards: the file exists for this one child only.
func pgpassLine(user, password string) (string, error) {
	if strings.ContainsAny(password, "\x00\r\n") || strings.ContainsAny(user, "\x00\r\n") {
		return "", errors.New("password file: user or password contains NUL or a line break")
	}
	u := "*"
	if user != "" {
		u = escapePgpass(user)
	}
	return fmt.Sprintf("*:*:*:%s:%s\n", u, escapePgpass(password)), nil
}

// escapePgpass escapes ':' and '\' as the password file format wants.
func escapePgpass(s string) string {
	return strings.NewReplacer(`\`, `\\`, `:`, `\:`).Replace(s)
}
