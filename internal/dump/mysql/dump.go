package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/redact"
)

// baseFlags are always passed to the dump tool. --databases is absent on
// purpose: the dump then carries no CREATE DATABASE/USE and restores into
// any database name. --hex-blob is absent on purpose too: it doubles every
// binary value, so that a row that fits the server's max_allowed_packet
// could not be loaded back into the same server; the client restores
// escaped binary strings intact with --binary-mode.
var baseFlags = []string{
	"--single-transaction",
	"--quick",
	"--routines",
	"--triggers",
	"--events",
	"--default-character-set=utf8mb4",
	"--add-drop-table",
	"--no-tablespaces",
	"--max-allowed-packet=1G",
}

// ErrIncomplete means the dump tool exited 0 but its output did not end with
// the completion marker.
var ErrIncomplete = errors.New("dump incomplete: output does not end with the \"-- Dump completed\" line")

// server is what Dump needs to know about the server before it starts.
type server struct {
	version string
	mariadb bool
	// binlog is true when the binary log is on and this user may read its
	// position, so the dump can record it.
	binlog bool
}

// Dump writes a SQL dump of db to w. See dump.Dumper.
func (d *Dumper) Dump(ctx context.Context, db string, w io.Writer) (dump.Info, error) {
	if err := ValidateDatabaseName(db); err != nil {
		return dump.Info{}, d.errorf("dump: %w", err)
	}
	if err := ValidateDumpOptions(d.conn.DumpOptions); err != nil {
		return dump.Info{}, d.errorf("dump: %w", err)
	}
	tool, err := dump.LookTool("dump tool", d.Tools.Dump, "mariadb-dump", "mysqldump")
	if err != nil {
		return dump.Info{}, err
	}
	srv, src, err := d.inspect(ctx, db)
	if err != nil {
		return dump.Info{}, err
	}
	info := dump.Info{
		Engine:        "mysql",
		ServerVersion: srv.version,
		Tool:          filepath.Base(tool),
		Format:        "sql",
		Extension:     "sql",
		Database:      &src.props,
	}
	if srv.mariadb {
		info.Engine = "mariadb"
	}
	err = d.withOptionFile(func(dir, optFile string) error {
		v, err := dump.ToolVersion(ctx, tool, dir)
		if err != nil {
			return fmt.Errorf("%s --version: %w", info.Tool, err)
		}
		info.ToolVersion = v
		info.Flags = dumpFlags(srv, v, d.conn.DumpOptions)
		history := len(src.versioned) > 0 && dumpsHistory(v) &&
			!slices.Contains(info.Flags, "--skip-dump-history") && !slices.Contains(info.Flags, "--replace")
		if history && !slices.Contains(info.Flags, "--dump-history") {
			info.Flags = append(info.Flags, "--dump-history")
		}
		if len(src.versioned) > 0 && !history {
			info.Warnings = append(info.Warnings, fmt.Sprintf("the history of the system-versioned %s is not in the dump (only current rows): %s",
				nameList("table", src.versioned), historyReason(v, info.Flags)))
		}

		sc := newStreamCheck(nil)
		counter := newSQLCounter() // counts the bytes as they reach w
		filter := newSQLFilter(w, func(b []byte) {
			sc.observe(b)
			counter.Write(b) //nolint:errcheck // never fails
		})
		filter.setSource(db)
		cmd := d.command(tool, dir, optFile, append(slices.Clone(info.Flags), db)...)
		cmd.Stdout = filter
		d.logger.Debug("dump starting", "database", db, "tool", info.Tool, "flags", info.Flags)
		stderr, err := cmd.Run(ctx)
		if err == nil {
			err = filter.Close()
		}
		if err != nil {
			return err
		}
		if !sc.complete() {
			return fmt.Errorf("%s: %w", info.Tool, ErrIncomplete)
		}
		fp := counter.fingerprint()
		info.Fingerprint = &fp
		if n, sample := filter.sourceReferences(); n > 0 {
			info.Warnings = append(info.Warnings, fmt.Sprintf(
				"%d line(s) of routine, trigger, event or view definitions name the database %s itself (e.g. %q): a restore under another name keeps them pointing at %s; write such definitions without the database name",
				n, quoteIdent(db), sample, quoteIdent(db)))
		}
		longest, table := filter.longest()
		info.MaxStatementBytes = longest
		if longest > src.maxPacket {
			where := "a statement"
			if table != "" {
				where = "a statement of table " + quoteIdent(table)
			}
			info.Warnings = append(info.Warnings, fmt.Sprintf(
				"%s is %d bytes, more than this server's max_allowed_packet (%d): the dump restores only into a server whose max_allowed_packet is at least %d",
				where, longest, src.maxPacket, longest))
		}
		if stderr != "" {
			d.logger.Warn("dump tool wrote to stderr", "database", db, "tool", info.Tool, "stderr", stderr)
		}
		if srv.binlog {
			info.Position = sc.position()
		}
		return nil
	})
	if err != nil {
		return info, d.errorf("dump of %q: %w", db, err)
	}
	return info, nil
}

// dumpFlags returns the dump tool's flags, without connection options.
func dumpFlags(srv server, toolVersion string, extra []string) []string {
	flags := slices.Clone(baseFlags)
	mariaTool := strings.Contains(toolVersion, "MariaDB")
	major, minor, patch := mysqlToolVersion(toolVersion)
	newer := func(a, b, c int) bool { // MySQL tool at least a.b.c
		return !mariaTool && (major > a || major == a && (minor > b || minor == b && patch >= c))
	}
	has := func(name string) bool {
		return slices.ContainsFunc(extra, func(o string) bool {
			return o == "--"+name || strings.HasPrefix(o, "--"+name+"=")
		})
	}
	// mysqldump 8 asks servers without it for column statistics.
	if newer(8, 0, 0) && srv.mariadb && !has("column-statistics") && !has("skip-column-statistics") {
		flags = append(flags, "--column-statistics=0")
	}
	// An executed GTID_PURGED breaks restores into a server with GTIDs of its
	// own, e.g. into another database on the same server.
	if newer(5, 6, 9) && !srv.mariadb && !has("set-gtid-purged") {
		if newer(8, 0, 32) {
			flags = append(flags, "--set-gtid-purged=COMMENTED")
		} else {
			flags = append(flags, "--set-gtid-purged=OFF")
		}
	}
	if srv.binlog {
		if newer(8, 0, 26) {
			flags = append(flags, "--source-data=2")
		} else {
			flags = append(flags, "--master-data=2")
		}
		if mariaTool && srv.mariadb {
			flags = append(flags, "--gtid")
		}
	}
	return append(flags, extra...)
}

var reToolVersion = regexp.MustCompile(`Ver ([0-9]+)\.([0-9]+)\.([0-9]+)`)

// mysqlToolVersion parses "mysqldump  Ver 8.0.36 for Linux ..." (0s when absent).
func mysqlToolVersion(v string) (major, minor, patch int) {
	m := reToolVersion.FindStringSubmatch(v)
	if m == nil {
		return 0, 0, 0
	}
	major, _ = strconv.Atoi(m[1])
	minor, _ = strconv.Atoi(m[2])
	patch, _ = strconv.Atoi(m[3])
	return major, minor, patch
}

// inspect asks the server for its version, whether the dump can record a
// binlog position, and what the dump of database name needs to know; it
// fails when the backup user could not read all of the database's objects.
func (d *Dumper) inspect(ctx context.Context, name string) (server, source, error) {
	db, err := d.open()
	if err != nil {
		return server{}, source{}, err
	}
	defer db.Close()
	var srv server
	var logBin sql.NullInt64
	if err := db.QueryRowContext(ctx, "SELECT VERSION(), @@log_bin").Scan(&srv.version, &logBin); err != nil {
		return server{}, source{}, d.errorf("%w", err)
	}
	srv.mariadb = strings.Contains(srv.version, "MariaDB")
	src, err := inspectDatabase(ctx, db, name)
	if err != nil {
		return srv, src, d.errorf("dump of %q: %w", name, err)
	}
	if err := checkPrivileges(ctx, db, name, d.conn.DumpOptions); err != nil {
		return srv, src, d.errorf("dump of %q: %w", name, err)
	}
	if logBin.Int64 == 1 {
		srv.binlog = d.canReadBinlogPos(ctx, db, srv.mariadb)
	}
	return srv, src, nil
}

var reMariaDBDistrib = regexp.MustCompile(`Distrib ([0-9]+)\.([0-9]+)\.[0-9]+-MariaDB`)

// dumpsHistory reports whether the dump tool has --dump-history (mariadb-dump
// from MariaDB 10.11 on).
func dumpsHistory(toolVersion string) bool {
	m := reMariaDBDistrib.FindStringSubmatch(toolVersion)
	if m == nil {
		return false
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	return major > 10 || major == 10 && minor >= 11
}

// historyReason says why system-versioned history was left out.
func historyReason(toolVersion string, flags []string) string {
	if slices.Contains(flags, "--skip-dump-history") {
		return "dump_options has --skip-dump-history"
	}
	if slices.Contains(flags, "--replace") {
		return "dump_options has --replace, which mariadb-dump cannot combine with --dump-history"
	}
	return "the dump tool (" + toolVersion + ") has no --dump-history; use mariadb-dump 10.11 or later"
}

// canReadBinlogPos reports whether this user may read the binlog position:
// SHOW MASTER STATUS (BINLOG MONITOR / REPLICATION CLIENT) and, on MySQL,
// RELOAD for the brief FLUSH TABLES WITH READ LOCK. MariaDB takes a
// consistent snapshot position without that lock.
func (d *Dumper) canReadBinlogPos(ctx context.Context, db *sql.DB, mariadb bool) bool {
	ok := false
	for _, q := range []string{"SHOW MASTER STATUS", "SHOW BINARY LOG STATUS"} {
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			d.logger.Debug("binlog status", "query", q, "err", redact.Error(err, d.secrets()...))
			continue
		}
		ok = rows.Next()
		rows.Close()
		break
	}
	if ok && !mariadb {
		const q = `SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES
			WHERE PRIVILEGE_TYPE = 'RELOAD' AND GRANTEE = CONCAT('''',
			SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')`
		var n int
		ok = db.QueryRowContext(ctx, q).Scan(&n) == nil && n > 0
	}
	if !ok {
		d.logger.Warn("binary log is on but this user cannot read its position; the dump records none")
	}
	return ok
}
