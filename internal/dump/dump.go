// Package dump defines how a database is dumped to a stream and restored from
// one. Engines live in the mysql and postgres subpackages; both run the
// database's own client tools as child processes (argv only, never a shell).
package dump

import (
	"context"
	"io"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

// Conn says how to reach one database server. Password is a secret: it never
// reaches argv, a child's environment, a log line or an error message.
type Conn struct {
	Name        string // the server's name from the config, for messages
	Host        string
	Port        int
	Socket      string // MySQL: socket file; PostgreSQL: socket directory
	User        string
	Password    string
	DumpOptions []string // extra flags for the dump tool, already checked against the allow-list
}

// Info describes a finished dump; it goes into the manifest.
type Info struct {
	Engine        string // mysql | mariadb | postgres
	ServerVersion string
	Tool          string // mariadb-dump | mysqldump | pg_dump
	ToolVersion   string
	Flags         []string // the dump tool's flags, without connection or secret options
	Format        string   // sql | pg_custom
	Extension     string   // file extension of the raw dump: "sql" or "dump"
	Position      *backup.Position
}

// Dumper dumps and restores the databases of one server.
type Dumper interface {
	// Databases lists every non-system database on the server, sorted.
	Databases(ctx context.Context) ([]string, error)
	// Dump writes database db's complete dump to w. It returns after the
	// tool exited and everything it wrote reached w. A non-nil error means
	// the dump is not complete and must not be kept: the tool failed, was
	// killed, or its output lacks the completion marker.
	Dump(ctx context.Context, db string, w io.Writer) (Info, error)
	// Restore reads a dump made by Dump from r into database db, creating
	// db first when it does not exist.
	Restore(ctx context.Context, db string, r io.Reader) error
}
