package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Only names of these forms are ever created or dropped.
var (
	dataName    = regexp.MustCompile(`^gsg_bench_[0-9]+mb$`)
	scratchName = regexp.MustCompile(`^gsg_bench_scratch_[0-9a-f]{8}$`)
	smallName   = regexp.MustCompile(`^gsg_bench_small_[0-9]+$`)
)

// ours reports whether name is of a form this program creates and drops.
func ours(name string) bool {
	return dataName.MatchString(name) || scratchName.MatchString(name) || smallName.MatchString(name)
}

func dataDB(sizeMB int) string { return fmt.Sprintf("gsg_bench_%dmb", sizeMB) }

func newScratchName() string { return "gsg_bench_scratch_" + randomHex(4) }

// clientArgs are the connection arguments of an engine's client tools.
func clientArgs(engine string) []string {
	if engine == engineMariaDB {
		return []string{"--socket=" + mysqlSocket, "--user=root"}
	}
	return []string{"--host=" + pgSocketDir, "--username=postgres"}
}

// sqlExec runs SQL with the engine's client on database db ("" for none) and
// returns its output rows, tab-separated.
func sqlExec(ctx context.Context, engine, db, sql string) (string, error) {
	var cmd *exec.Cmd
	if engine == engineMariaDB {
		args := append(clientArgs(engine), "--batch", "--skip-column-names")
		if db != "" {
			args = append(args, "--database="+db)
		}
		cmd = exec.CommandContext(ctx, "mariadb", args...)
	} else {
		if db == "" {
			db = "postgres"
		}
		args := append(clientArgs(engine), "--no-psqlrc", "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", "--dbname="+db)
		cmd = exec.CommandContext(ctx, "psql", args...)
	}
	cmd.Stdin = strings.NewReader(sql)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s on %q: %v: %s", engine, db, err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

func quoteIdent(engine, name string) string {
	if engine == engineMariaDB {
		return "`" + name + "`"
	}
	return `"` + name + `"`
}

// createDB creates an empty database; the name must be one of ours.
func createDB(ctx context.Context, engine, name string) error {
	if !ours(name) {
		return fmt.Errorf("refusing to create %q: not a benchmark name", name)
	}
	sql := "CREATE DATABASE " + quoteIdent(engine, name)
	if engine == engineMariaDB {
		sql += " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
	}
	_, err := sqlExec(ctx, engine, "", sql)
	return err
}

// dropDB drops a database of ours if it exists.
func dropDB(ctx context.Context, engine, name string) error {
	if !ours(name) {
		return fmt.Errorf("refusing to drop %q: not a benchmark name", name)
	}
	sql := "DROP DATABASE IF EXISTS " + quoteIdent(engine, name)
	if engine == enginePostgres {
		sql += " WITH (FORCE)"
	}
	_, err := sqlExec(ctx, engine, "", sql)
	return err
}

// listOurs lists the engine's databases of our name forms.
func listOurs(ctx context.Context, engine string) ([]string, error) {
	q := `SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'gsg\_bench\_%'`
	if engine == enginePostgres {
		q = `SELECT datname FROM pg_database WHERE datname LIKE 'gsg\_bench\_%'`
	}
	out, err := sqlExec(ctx, engine, "", q)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, n := range strings.Fields(out) {
		if ours(n) {
			names = append(names, n)
		}
	}
	return names, nil
}

func clean(ctx context.Context, engines []string) error {
	for _, e := range engines {
		names, err := listOurs(ctx, e)
		if err != nil {
			return err
		}
		for _, n := range names {
			if err := dropDB(ctx, e, n); err != nil {
				return err
			}
			fmt.Printf("dropped %s database %s\n", e, n)
		}
	}
	return nil
}

// ensureData makes the data database of sizeMB, or reuses it when a previous
// run of the same generator finished it (gsg_bench_meta holds the size and
// generator version, written last).
func ensureData(ctx context.Context, engine string, sizeMB int) (string, error) {
	name := dataDB(sizeMB)
	return name, ensureDB(ctx, engine, name, sizeMB)
}

// ensureDB makes database name (one of ours) with the rows of sizeMB, or
// reuses it as ensureData does.
func ensureDB(ctx context.Context, engine, name string, sizeMB int) error {
	names, err := listOurs(ctx, engine)
	if err != nil {
		return err
	}
	for _, n := range names {
		if n != name {
			continue
		}
		out, err := sqlExec(ctx, engine, name, "SELECT v FROM gsg_bench_meta WHERE k IN ('size_mb', 'generator') ORDER BY k")
		if f := strings.Fields(out); err == nil && len(f) == 2 && f[0] == strconv.Itoa(genVersion) && f[1] == strconv.Itoa(sizeMB) {
			fmt.Fprintf(os.Stderr, "reusing %s database %s\n", engine, name)
			return nil
		}
	}
	fmt.Fprintf(os.Stderr, "generating %s database %s ...", engine, name)
	start := time.Now()
	if err := dropDB(ctx, engine, name); err != nil {
		return err
	}
	if err := createDB(ctx, engine, name); err != nil {
		return err
	}
	stmts := append(schema(engine), inserts(engine, sizeMB)...)
	if engine == enginePostgres {
		stmts = append(stmts, "VACUUM ANALYZE")
	}
	if _, err := sqlExec(ctx, engine, name, strings.Join(stmts, ";\n")+";\n"); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, " %.1f s\n", time.Since(start).Seconds())
	return nil
}
