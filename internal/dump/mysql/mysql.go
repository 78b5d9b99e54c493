// Package mysql dumps and restores MySQL and MariaDB databases with
// mariadb-dump / mysqldump and the mariadb / mysql client.
//
// Credentials reach the tools only through a 0600 option file in a private
// temporary directory (--defaults-extra-file, always the first argument);
// server queries use the Go driver, configured from fields, never a DSN string.
package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/redact"
)

// Tools overrides where the client tools are; empty fields mean: look them
// up on PATH (mariadb-dump, else mysqldump; mariadb, else mysql).
type Tools struct {
	Dump   string
	Client string
}

// Dumper dumps and restores the databases of one MySQL or MariaDB server.
// Set the exported fields before first use.
type Dumper struct {
	Tools Tools
	// Process holds TempDir, WaitDelay and OnStart, the settings the
	// client tools run with.
	dump.Process

	conn   dump.Conn
	logger *slog.Logger
}

var _ dump.Dumper = (*Dumper)(nil)

// New returns a Dumper for the server c. A nil logger discards.
func New(c dump.Conn, logger *slog.Logger) *Dumper {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Dumper{conn: c, logger: logger.With("server", c.Name)}
}

// systemDatabases are never listed by Databases.
var systemDatabases = map[string]bool{
	"information_schema": true,
	"performance_schema": true,
	"mysql":              true,
	"sys":                true,
}

// Databases lists the server's databases without the system ones and
// those of restores and drills, sorted.
func (d *Dumper) Databases(ctx context.Context) ([]string, error) {
	db, err := d.open()
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "SHOW DATABASES")
	if err != nil {
		return nil, d.errorf("listing databases: %w", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, d.errorf("listing databases: %w", err)
		}
		// A restore's scratch databases and a drill's are transient.
		if !systemDatabases[strings.ToLower(n)] && !strings.HasPrefix(n, scratchPrefix) && !dump.IsDrillName(n) {
			names = append(names, n)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, d.errorf("listing databases: %w", err)
	}
	sort.Strings(names)
	return names, nil
}

// open returns a single-connection pool built from the Conn's fields.
func (d *Dumper) open() (*sql.DB, error) {
	return d.openPool(d.driverConfig(), 1)
}

// driverConfig returns the driver's settings for the Conn: its user,
// password and address, a 15 s connect timeout, the driver's own logging
// silenced. No database is selected.
func (d *Dumper) driverConfig() *mysql.Config {
	cfg := mysql.NewConfig()
	cfg.User = d.conn.User
	cfg.Passwd = d.conn.Password
	if d.conn.Socket != "" {
		cfg.Net, cfg.Addr = "unix", d.conn.Socket
	} else {
		cfg.Net, cfg.Addr = "tcp", net.JoinHostPort(host(d.conn), strconv.Itoa(port(d.conn)))
	}
	cfg.Timeout = 15 * time.Second
	cfg.Logger = nopLogger{}
	return cfg
}

// openPool returns a pool of up to conns connections with cfg.
func (d *Dumper) openPool(cfg *mysql.Config, conns int) (*sql.DB, error) {
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, d.errorf("connecting: %w", err)
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	return db, nil
}

// errorf wraps an error and redacts the password should a driver ever echo it.
func (d *Dumper) errorf(format string, args ...any) error {
	return redact.Error(fmt.Errorf("mysql server %q: "+format, append([]any{d.conn.Name}, args...)...), d.secrets()...)
}

func (d *Dumper) secrets() []string { return []string{d.conn.Password} }

// withOptionFile makes a private directory holding the option file, calls
// fn with both paths and removes the directory, whatever happens.
func (d *Dumper) withOptionFile(fn func(dir, optFile string) error) error {
	content, err := optionFile(d.conn)
	if err != nil {
		return d.errorf("%w", err)
	}
	return d.WithPrivateFile(d.logger, "client.cnf", content, fn)
}

// command returns the child for tool with the option file first in argv.
func (d *Dumper) command(tool, dir, optFile string, args ...string) *dump.Cmd {
	return d.Command(tool, dir, nil, append([]string{"--defaults-extra-file=" + optFile}, args...), d.secrets())
}

// nopLogger silences the driver's own logging.
type nopLogger struct{}

func (nopLogger) Print(...any) {}
