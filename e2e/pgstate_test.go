package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/testenv"
	"github.com/jackc/pgx/v5"
)

// pgIdent quotes a PostgreSQL identifier.
func pgIdent(s string) string { return pgx.Identifier{s}.Sanitize() }

// pgRole creates a NOLOGIN role dropped when the test ends. Create roles
// before the databases that use them: cleanups run in reverse, so the
// databases are gone by the time the role is dropped.
func pgRole(t *testing.T, prefix string) string {
	t.Helper()
	name := uniqueName(prefix)
	admin := pgAdmin(t, "postgres")
	pgExec(t, admin, "CREATE ROLE "+pgIdent(name))
	t.Cleanup(func() {
		admin.Exec(context.Background(), "DROP ROLE IF EXISTS "+pgIdent(name))
	})
	return name
}

// pgCreateDB creates database name with extra CREATE DATABASE clauses and
// drops it (and what a restore may have renamed it to) when the test ends.
func pgCreateDB(t *testing.T, name, clauses string) {
	t.Helper()
	pgExec(t, pgAdmin(t, "postgres"), "CREATE DATABASE "+pgIdent(name)+" "+clauses)
	pgDropLater(t, name)
}

// pgDropLater drops database name, whatever its name holds, when the test ends.
func pgDropLater(t *testing.T, name string) {
	admin := pgAdmin(t, "postgres")
	t.Cleanup(func() {
		admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgIdent(name)+" WITH (FORCE)")
	})
}

func pgExists(t *testing.T, name string) bool {
	t.Helper()
	var n int
	if err := pgAdmin(t, "postgres").QueryRow(context.Background(), `SELECT count(*) FROM pg_database WHERE datname = $1`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// pgStrings returns the first column of every row, as text, in query order.
func pgStrings(t *testing.T, conn *pgx.Conn, q string, args ...any) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

// pgDatabaseProps lists what CREATE DATABASE, ALTER DATABASE, ALTER ROLE
// ... IN DATABASE, COMMENT and GRANT set on database name.
func pgDatabaseProps(t *testing.T, name string) map[string]string {
	t.Helper()
	admin := pgAdmin(t, "postgres")
	props := map[string]string{}
	var enc, collate, ctype, provider, icu, owner, comment, acl string
	err := admin.QueryRow(context.Background(), `SELECT pg_encoding_to_char(encoding), datcollate::text, datctype::text,
			datlocprovider::text, coalesce(daticulocale, ''), pg_get_userbyid(datdba)::text,
			coalesce(shobj_description(oid, 'pg_database'), ''), coalesce(datacl::text, 'default')
		FROM pg_database WHERE datname = $1`, name).Scan(&enc, &collate, &ctype, &provider, &icu, &owner, &comment, &acl)
	if err != nil {
		t.Fatalf("database %q: %v", name, err)
	}
	props["encoding"], props["lc_collate"], props["lc_ctype"] = enc, collate, ctype
	props["locale provider"], props["icu locale"], props["owner"] = provider, icu, owner
	props["comment"], props["acl"] = comment, acl
	settings := pgStrings(t, admin, `SELECT coalesce(r.rolname::text, '(all)') || ': ' || s.setconfig::text
		FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase LEFT JOIN pg_roles r ON r.oid = s.setrole
		WHERE d.datname = $1 ORDER BY 1`, name)
	props["settings"] = strings.Join(settings, "; ")
	return props
}

// pgOwners lists the owner of every schema, relation, function and type a
// user made in database db.
func pgOwners(t *testing.T, db string) map[string]string {
	t.Helper()
	conn := pgAdmin(t, db)
	owners := map[string]string{}
	const userNS = `nspname NOT IN ('pg_catalog', 'information_schema') AND nspname !~ '^pg_'`
	for _, q := range []string{
		`SELECT 'schema ' || nspname || ' ' || pg_get_userbyid(nspowner) FROM pg_namespace WHERE ` + userNS,
		`SELECT 'relation ' || nspname || '.' || relname || ' ' || pg_get_userbyid(relowner) FROM pg_class c JOIN pg_namespace n ON n.oid = relnamespace WHERE ` + userNS,
		`SELECT 'function ' || nspname || '.' || proname || ' ' || pg_get_userbyid(proowner) FROM pg_proc p JOIN pg_namespace n ON n.oid = pronamespace WHERE ` + userNS,
		`SELECT 'type ' || nspname || '.' || typname || ' ' || pg_get_userbyid(typowner) FROM pg_type t JOIN pg_namespace n ON n.oid = typnamespace WHERE ` + userNS,
		`SELECT 'large object ' || oid || ' ' || pg_get_userbyid(lomowner) FROM pg_largeobject_metadata`,
	} {
		for _, line := range pgStrings(t, conn, q) {
			i := strings.LastIndexByte(line, ' ')
			key := line[:i]
			if strings.HasPrefix(key, "large object ") {
				key = "large object" // oids differ between databases
			}
			owners[key] = line[i+1:]
		}
	}
	return owners
}

// pgFullFingerprint extends postgresFingerprint to every user schema and
// to what a rich schema holds: rows of every table (partitions, unlogged
// tables and materialized views included), definitions of views,
// functions, indexes, constraints, policies, enums and domains, extensions,
// persistence, partition bounds, row level security and large objects.
func pgFullFingerprint(t *testing.T, db string) map[string]string {
	t.Helper()
	conn := pgAdmin(t, db)
	ctx := context.Background()
	fp := map[string]string{}
	const userNS = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_'`
	rows, err := conn.Query(ctx, `SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'm') AND `+userNS+` ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	type rel struct{ Schema, Name string }
	rels, err := pgx.CollectRows(rows, pgx.RowToStructByPos[rel])
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rels {
		var n int64
		var sum string
		q := fmt.Sprintf(`SELECT count(*), coalesce(md5(string_agg(t::text, E'\n' ORDER BY t::text)), '') FROM %s t`, pgx.Identifier{r.Schema, r.Name}.Sanitize())
		if err := conn.QueryRow(ctx, q).Scan(&n, &sum); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		fp["rows "+r.Schema+"."+r.Name] = fmt.Sprintf("%d rows %s", n, sum)
	}
	for _, q := range []struct{ kind, sql string }{
		{"relation", `SELECT n.nspname || '.' || c.relname, c.relkind::text || ' ' || c.relpersistence::text || ' rls=' || c.relrowsecurity::text || ' ' || coalesce(pg_get_expr(c.relpartbound, c.oid), '')
			FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ` + userNS},
		{"view", `SELECT n.nspname || '.' || c.relname, pg_get_viewdef(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('v', 'm') AND ` + userNS},
		{"function", `SELECT n.nspname || '.' || p.proname, pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.prokind IN ('f', 'p') AND ` + userNS + ` AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')`},
		{"index", `SELECT schemaname || '.' || indexname, indexdef FROM pg_indexes WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`},
		{"constraint", `SELECT n.nspname || '.' || c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE ` + userNS},
		{"policy", `SELECT schemaname || '.' || tablename || '.' || policyname, coalesce(qual, '') || ' ' || coalesce(with_check, '') || ' ' || roles::text FROM pg_policies`},
		{"enum", `SELECT n.nspname || '.' || t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace GROUP BY 1`},
		{"domain", `SELECT n.nspname || '.' || t.typname, format_type(t.typbasetype, t.typtypmod) || ' ' || coalesce((SELECT string_agg(pg_get_constraintdef(c.oid), ' ') FROM pg_constraint c WHERE c.contypid = t.oid), '') FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typtype = 'd' AND ` + userNS},
		{"extension", `SELECT extname, extversion || ' in ' || extnamespace::regnamespace::text FROM pg_extension`},
		{"sequence", `SELECT schemaname || '.' || sequencename, coalesce(last_value, 0)::text FROM pg_sequences`},
		{"large objects", `SELECT 'all', coalesce(string_agg(md5(lo_get(oid)), ',' ORDER BY md5(lo_get(oid))), '') FROM pg_largeobject_metadata`},
		{"comment", `SELECT classoid::regclass::text || ' ' || objsubid, description FROM pg_description WHERE objoid >= 16384 AND classoid <> 'pg_largeobject'::regclass`},
	} {
		rows, err := conn.Query(ctx, q.sql)
		if err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
		for rows.Next() {
			var name, def string
			if err := rows.Scan(&name, &def); err != nil {
				t.Fatal(err)
			}
			fp[q.kind+" "+name] += def
		}
		rows.Close()
	}
	return fp
}

// toolWrapper puts an executable script called name in a fresh directory
// and returns an environment whose PATH finds it first. The script gets the
// real tool's path as $REAL.
func toolWrapper(t *testing.T, name, body string) []string {
	t.Helper()
	real := testenv.Tool(t, name)
	dir := t.TempDir()
	script := "#!/bin/sh\nREAL=" + real + "\n" + body + "\n"
	if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return []string{"PATH=" + dir + string(os.PathListSeparator) + os.Getenv("PATH")}
}

// pgDumpSize returns the size of db's custom-format dump as gosqlguard makes it.
func pgDumpSize(t *testing.T, db string) int {
	t.Helper()
	out, err := exec.Command("pg_dump", "--host="+postgresSocketDir, "--username=postgres", "--format=custom", "--compress=0", "--dbname=dbname="+db).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	return len(out)
}

// sortedKeys is for stable failure messages.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// compareMaps reports every key whose value differs.
func compareMaps(t *testing.T, what string, want, got map[string]string) {
	t.Helper()
	for _, k := range sortedKeys(want) {
		if got[k] != want[k] {
			t.Errorf("%s %s: got %q, want %q", what, k, got[k], want[k])
		}
	}
	for _, k := range sortedKeys(got) {
		if _, ok := want[k]; !ok {
			t.Errorf("%s %s: unexpected %q", what, k, got[k])
		}
	}
}
