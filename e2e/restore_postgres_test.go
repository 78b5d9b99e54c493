package e2e

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// pgSetup is a config with one PostgreSQL server reached as postgres.
func pgSetup(t *testing.T, databases ...string) *setup {
	t.Helper()
	quoted := make([]string, len(databases))
	for i, db := range databases {
		quoted[i] = strconv.Quote(db) // YAML takes JSON strings
	}
	return newSetup(t, []serverSpec{{name: "pg", typ: "postgres", socket: postgresSocketDir, user: "postgres", databases: quoted}}, options{})
}

// The database itself comes back: encoding, locale and its provider, owner,
// settings for everyone and for one role, comment and privileges, the last
// of them applied after the data even though they make the database
// read-only. A role that is gone by restore time is skipped with a warning.
func TestPostgresRestoreDatabaseProperties(t *testing.T) {
	owner, app, gone := pgRole(t, "pgown"), pgRole(t, "pgapp"), pgRole(t, "pggone")
	src := uniqueName("props")
	pgCreateDB(t, src, fmt.Sprintf(`OWNER %s ENCODING 'LATIN1' LOCALE_PROVIDER icu ICU_LOCALE 'de-DE' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`, pgIdent(owner)))
	pgExec(t, pgAdmin(t, src),
		`CREATE TABLE notes (id int PRIMARY KEY, body text)`,
		`INSERT INTO notes VALUES (1, 'Grüße'), (2, 'plain')`)
	db := pgIdent(src)
	pgExec(t, pgAdmin(t, "postgres"),
		`ALTER DATABASE `+db+` SET search_path = app, "$user", public`,
		`ALTER DATABASE `+db+` SET work_mem = '12MB'`,
		`ALTER DATABASE `+db+` SET default_transaction_read_only = on`,
		`ALTER ROLE `+pgIdent(app)+` IN DATABASE `+db+` SET statement_timeout = '5s'`,
		`ALTER ROLE `+pgIdent(gone)+` IN DATABASE `+db+` SET statement_timeout = '7s'`,
		`COMMENT ON DATABASE `+db+` IS 'it''s the shop; DROP DATABASE postgres; --'`,
		`REVOKE CONNECT, TEMPORARY ON DATABASE `+db+` FROM PUBLIC`,
		`GRANT CONNECT ON DATABASE `+db+` TO `+pgIdent(app),
		`GRANT CREATE ON DATABASE `+db+` TO `+pgIdent(app)+` WITH GRANT OPTION`,
		`GRANT CONNECT ON DATABASE `+db+` TO `+pgIdent(gone),
	)
	s := pgSetup(t, src)
	id := backupID(t, s.mustRun(t, "backup", "--server", "pg", "--database", src))

	// What the restore can bring back: everything but the role that is gone.
	pgExec(t, pgAdmin(t, "postgres"),
		`REVOKE ALL ON DATABASE `+db+` FROM `+pgIdent(gone),
		`ALTER ROLE `+pgIdent(gone)+` IN DATABASE `+db+` RESET ALL`,
		`DROP ROLE `+pgIdent(gone))
	want := pgDatabaseProps(t, src)
	if want["encoding"] != "LATIN1" || want["locale provider"] != "i" || !strings.Contains(want["acl"], app) {
		t.Fatalf("fixture: %v", want)
	}

	dst := uniqueName("props_dst")
	pgDropLater(t, dst)
	res := s.mustRun(t, "restore", id, "--to-database", dst)
	compareMaps(t, "database property", want, pgDatabaseProps(t, dst))
	if !strings.Contains(res.stdout+res.stderr, gone) {
		t.Errorf("no warning names the missing role %s: %s", gone, res)
	}
	compareMaps(t, "content", pgFullFingerprint(t, src), pgFullFingerprint(t, dst))

	// The settings are in force for new sessions.
	var readOnly, workMem string
	if err := pgAdmin(t, dst).QueryRow(context.Background(), `SELECT current_setting('default_transaction_read_only'), current_setting('work_mem')`).Scan(&readOnly, &workMem); err != nil {
		t.Fatal(err)
	}
	if readOnly != "on" || workMem != "12MB" {
		t.Errorf("restored database: default_transaction_read_only = %s, work_mem = %s", readOnly, workMem)
	}
}

// Objects keep their owners, and the owning role can work in its restored
// schema; --no-owner gives everything to the restoring user on purpose.
func TestPostgresRestoreOwnership(t *testing.T) {
	app := pgRole(t, "pgapp")
	src := newPostgresDB(t, "owned")
	pgExec(t, pgAdmin(t, src),
		`CREATE SCHEMA app AUTHORIZATION `+pgIdent(app),
		`CREATE TABLE app.items (id serial PRIMARY KEY, label text)`,
		`CREATE TYPE app.mood AS ENUM ('ok', 'meh')`,
		`CREATE FUNCTION app.label_of(i int) RETURNS text LANGUAGE sql STABLE AS $$ SELECT label FROM app.items WHERE id = i $$`,
		`CREATE TABLE public.shared (x int)`,
		`INSERT INTO app.items (label) VALUES ('a'), ('b')`,
		`ALTER TABLE app.items OWNER TO `+pgIdent(app),
		`ALTER TYPE app.mood OWNER TO `+pgIdent(app),
		`ALTER FUNCTION app.label_of(int) OWNER TO `+pgIdent(app),
	)
	var lo int64
	if err := pgAdmin(t, src).QueryRow(context.Background(), `SELECT lo_from_bytea(0, 'owned blob')::int8`).Scan(&lo); err != nil {
		t.Fatal(err)
	}
	pgExec(t, pgAdmin(t, src), fmt.Sprintf(`ALTER LARGE OBJECT %d OWNER TO %s`, lo, pgIdent(app)))
	want := pgOwners(t, src)
	if want["relation app.items"] != app || want["relation app.items_id_seq"] != app || want["function app.label_of"] != app {
		t.Fatalf("fixture owners: %v", want)
	}
	s := pgSetup(t, src)
	id := backupID(t, s.mustRun(t, "backup", "--server", "pg", "--database", src))

	dst := uniqueName("owned_dst")
	pgDropLater(t, dst)
	s.mustRun(t, "restore", id, "--to-database", dst)
	compareMaps(t, "owner", want, pgOwners(t, dst))

	// The app role is not locked out of its own schema.
	c := pgAdmin(t, dst)
	pgExec(t, c, `SET ROLE `+pgIdent(app), `INSERT INTO app.items (label) VALUES ('c')`)
	var label string
	if err := c.QueryRow(context.Background(), `SELECT app.label_of(3)`).Scan(&label); err != nil || label != "c" {
		t.Errorf("as %s: label_of(3) = %q, %v", app, label, err)
	}

	noOwner := uniqueName("owned_noown")
	pgDropLater(t, noOwner)
	s.mustRun(t, "restore", id, "--to-database", noOwner, "--no-owner")
	for what, o := range pgOwners(t, noOwner) {
		if o != "postgres" && what != "schema public" {
			t.Errorf("--no-owner: %s belongs to %s, want postgres", what, o)
		}
	}
	compareMaps(t, "content", pgFullFingerprint(t, src), pgFullFingerprint(t, noOwner))
}

// A role that owns objects in the backup but does not exist on the target:
// the restore fails before anything changes, names the role and the way
// out, and --no-owner then restores.
func TestPostgresRestoreMissingOwner(t *testing.T) {
	gone := pgRole(t, "pggone")
	src := newPostgresDB(t, "orphan")
	pgExec(t, pgAdmin(t, src),
		`CREATE TABLE t (id int)`, `INSERT INTO t VALUES (1), (2)`,
		`ALTER TABLE t OWNER TO `+pgIdent(gone))
	s := pgSetup(t, src)
	id := backupID(t, s.mustRun(t, "backup", "--server", "pg", "--database", src))
	want := pgFullFingerprint(t, src)
	pgExec(t, pgAdmin(t, src), `DROP TABLE t`)
	pgExec(t, pgAdmin(t, "postgres"), `DROP ROLE `+pgIdent(gone))

	// Into a new database: refused, nothing created.
	dst := uniqueName("orphan_dst")
	pgDropLater(t, dst)
	res := s.run(t, "restore", id, "--to-database", dst)
	if res.code != 1 || !strings.Contains(res.stderr, gone) || !strings.Contains(res.stderr, "--no-owner") || !strings.Contains(res.stderr, "does not exist on the target server") {
		t.Fatalf("restore naming a missing owner: %s", res)
	}
	if pgExists(t, dst) {
		t.Error("a refused restore created the target database")
	}

	// Over an existing database with --force: refused, the database as it was.
	existing := newPostgresDB(t, "orphan_keep")
	loadPostgresFixture(t, existing, 0)
	before := pgFullFingerprint(t, existing)
	if res := s.run(t, "restore", id, "--to-database", existing, "--force"); res.code != 1 || !strings.Contains(res.stderr, gone) {
		t.Fatalf("forced restore naming a missing owner: %s", res)
	}
	compareMaps(t, "untouched target", before, pgFullFingerprint(t, existing))

	s.mustRun(t, "restore", id, "--to-database", dst, "--no-owner")
	compareMaps(t, "content", want, pgFullFingerprint(t, dst))
}

// pg_dump exits 0 but its stream is cut: the backup fails, nothing is stored.
func TestPostgresTruncatedDumpFails(t *testing.T) {
	src := newPostgresDB(t, "cut")
	loadPostgresFixture(t, src, 2000)
	size := pgDumpSize(t, src)
	s := pgSetup(t, src)
	s.env = toolWrapper(t, "pg_dump", fmt.Sprintf(`if [ "$1" = --version ]; then exec "$REAL" --version; fi
"$REAL" "$@" | head -c %d
exit 0`, size/2))
	res := s.run(t, "backup", "--server", "pg", "--database", src)
	if res.code != 1 || !strings.Contains(res.stdout+res.stderr, "incomplete") {
		t.Fatalf("backup through a cutting pg_dump: %s", res)
	}
	var failed []shown
	for _, b := range s.list(t) {
		if b.Status == "success" {
			t.Errorf("a cut dump was stored as a success: %+v", b)
		}
		failed = append(failed, b)
	}
	if len(failed) != 1 || !strings.Contains(failed[0].Error, "incomplete") {
		t.Errorf("catalog: %+v, want one failed backup saying incomplete", failed)
	}
	if files := storedFiles(t, s); len(files) != 0 {
		t.Errorf("a failed backup left objects: %v", files)
	}
}

// An existing, non-empty database is replaced only with --force, whole: a
// restore that fails halfway leaves it exactly as it was, one that
// succeeds replaces it even while a session is connected to it.
func TestPostgresRestoreReplacesWholeOrNothing(t *testing.T) {
	// The scratch database is created with the source's owner: a role of
	// this test's own finds any scratch database it leaves behind.
	owner := pgRole(t, "pgrepl")
	src := uniqueName("repl")
	pgCreateDB(t, src, "OWNER "+pgIdent(owner))
	loadPostgresFixture(t, src, 2000)
	want := pgFullFingerprint(t, src)
	s := pgSetup(t, src)
	id := backupID(t, s.mustRun(t, "backup", "--server", "pg", "--database", src))

	target := newPostgresDB(t, "repl_dst")
	pgExec(t, pgAdmin(t, target), `CREATE TABLE keep (x int)`, `INSERT INTO keep VALUES (42)`)
	marker := uniqueName("old")
	pgExec(t, pgAdmin(t, "postgres"), `COMMENT ON DATABASE `+pgIdent(target)+` IS '`+marker+`'`)
	before := pgFullFingerprint(t, target)

	// Without --force: refused before anything is read.
	res := s.run(t, "restore", id, "--to-database", target)
	if res.code != 1 || !strings.Contains(res.stderr, "not empty") || !strings.Contains(res.stderr, "--force") {
		t.Fatalf("restore over a non-empty database without --force: %s", res)
	}
	compareMaps(t, "untouched target", before, pgFullFingerprint(t, target))

	// pg_restore dies halfway through a streamed load (--jobs 1), or fails
	// after a parallel load from the spooled file: the target is as it
	// was, no scratch is left.
	for _, c := range []struct{ jobs, script string }{
		{"1", fmt.Sprintf(`head -c %d | "$REAL" "$@"`, pgDumpSize(t, src)/2)},
		{"2", `"$REAL" "$@"; exit 1`},
	} {
		bad := *s
		bad.env = toolWrapper(t, "pg_restore", c.script)
		res = bad.run(t, "restore", id, "--to-database", target, "--force", "--jobs", c.jobs)
		if res.code != 1 || !strings.Contains(res.stderr, "unchanged") {
			t.Fatalf("restore --jobs %s with a failing pg_restore: %s", c.jobs, res)
		}
		compareMaps(t, "target after a failed restore", before, pgFullFingerprint(t, target))
		assertNoScratchLeft(t, owner)
	}

	// With --force, while a session sits in the target: replaced whole.
	session := pgAdmin(t, target)
	res = s.mustRun(t, "restore", id, "--to-database", target, "--force")
	compareMaps(t, "replaced target", want, pgFullFingerprint(t, target))
	if !strings.Contains(res.stderr, "ended the sessions") {
		t.Errorf("the log does not say that sessions were ended: %s", res)
	}
	if _, err := session.Exec(context.Background(), `SELECT 1`); err == nil {
		t.Error("the session on the replaced database survived")
	}
	old := pgStrings(t, pgAdmin(t, "postgres"), `SELECT datname::text FROM pg_database WHERE shobj_description(oid, 'pg_database') = $1`, marker)
	if len(old) != 0 {
		t.Errorf("the replaced database was not dropped: %v", old)
	}
	assertNoScratchLeft(t, owner)
}

// assertNoScratchLeft checks that no scratch database owned by owner survives.
func assertNoScratchLeft(t *testing.T, owner string) {
	t.Helper()
	left := pgStrings(t, pgAdmin(t, "postgres"), `SELECT datname::text FROM pg_database
		WHERE datname LIKE 'gosqlguard\_scratch\_%' AND pg_get_userbyid(datdba) = $1`, owner)
	if len(left) > 0 {
		t.Errorf("scratch databases left behind: %v", left)
	}
}

// A rich schema and a database name no shell or connection string should
// see unquoted, restored into another such name.
func TestPostgresRestoreRichSchema(t *testing.T) {
	src := "gsg-rich " + uniqueName("ü=x")[4:]
	pgCreateDB(t, src, "")
	pgExec(t, pgAdmin(t, src),
		`CREATE EXTENSION citext`,
		`CREATE SCHEMA ext`,
		`CREATE EXTENSION pg_trgm SCHEMA ext`,
		`CREATE SCHEMA "Sales-2026"`,
		`CREATE TYPE "Sales-2026".status AS ENUM ('new', 'paid', 'void')`,
		`CREATE DOMAIN "Sales-2026".positive AS numeric(12,2) CHECK (VALUE > 0)`,
		`CREATE TABLE "Sales-2026".customers (id int PRIMARY KEY, email citext UNIQUE NOT NULL, tenant text NOT NULL)`,
		`CREATE INDEX customers_email_trgm ON "Sales-2026".customers USING gin (email ext.gin_trgm_ops)`,
		`CREATE TABLE "Sales-2026".orders (id int, at date NOT NULL, total "Sales-2026".positive, st "Sales-2026".status DEFAULT 'new', customer int REFERENCES "Sales-2026".customers) PARTITION BY RANGE (at)`,
		`CREATE TABLE "Sales-2026".orders_h1 PARTITION OF "Sales-2026".orders FOR VALUES FROM ('2026-01-01') TO ('2026-07-01')`,
		`CREATE TABLE "Sales-2026".orders_h2 PARTITION OF "Sales-2026".orders FOR VALUES FROM ('2026-07-01') TO ('2027-01-01')`,
		`CREATE UNLOGGED TABLE "Sales-2026".cache (k text PRIMARY KEY, v jsonb)`,
		`INSERT INTO "Sales-2026".customers VALUES (1, 'Ann@Example.org', 'a'), (2, 'bob@example.org', 'b')`,
		`INSERT INTO "Sales-2026".orders VALUES (1, '2026-02-01', 10.50, 'paid', 1), (2, '2026-08-01', 99, 'new', 2), (3, '2026-09-09', 1, 'void', 1)`,
		`INSERT INTO "Sales-2026".cache VALUES ('k', '{"a": [1, 2]}')`,
		`CREATE MATERIALIZED VIEW "Sales-2026".revenue AS SELECT customer, sum(total) AS total FROM "Sales-2026".orders WHERE st = 'paid' GROUP BY customer`,
		`ALTER TABLE "Sales-2026".customers ENABLE ROW LEVEL SECURITY`,
		`CREATE POLICY tenant_only ON "Sales-2026".customers USING (tenant = current_setting('app.tenant', true))`,
		`COMMENT ON TABLE "Sales-2026".orders IS 'orders, by half-year'`,
		`SELECT lo_from_bytea(0, '\x00ff00ff'::bytea || convert_to('large object ✓', 'UTF8'))`,
	)
	want := pgFullFingerprint(t, src)
	for _, k := range []string{"rows Sales-2026.orders_h2", "rows Sales-2026.cache", "rows Sales-2026.revenue", "extension citext", "extension pg_trgm", "enum Sales-2026.status", "domain Sales-2026.positive", "policy Sales-2026.customers.tenant_only", "large objects all"} {
		if want[k] == "" {
			t.Fatalf("fixture lacks %s: %v", k, sortedKeys(want))
		}
	}
	s := pgSetup(t, src)
	id := backupID(t, s.mustRun(t, "backup", "--server", "pg", "--database", src))

	dst := `gsg rich "dst"; =` + uniqueName("ü")[4:]
	pgDropLater(t, dst)
	s.mustRun(t, "restore", id, "--to-database", dst)
	compareMaps(t, "rich schema", want, pgFullFingerprint(t, dst))
}
