package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/testenv"
	"github.com/jackc/pgx/v5"
)

const postgresSocketDir = "/run/postgresql"

// pgAdmin connects as postgres over the socket.
func pgAdmin(t *testing.T, db string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Host, cfg.Port, cfg.User, cfg.Database = postgresSocketDir, 5432, "postgres", db
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		testenv.Require(t, "PostgreSQL", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func pgExec(t *testing.T, conn *pgx.Conn, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := conn.Exec(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// newPostgresDB creates an empty database, dropped when the test ends.
func newPostgresDB(t *testing.T, prefix string) string {
	t.Helper()
	name := uniqueName(prefix)
	pgExec(t, pgAdmin(t, "postgres"), "CREATE DATABASE "+name)
	dropPostgresDBLater(t, name)
	return name
}

func dropPostgresDBLater(t *testing.T, name string) {
	admin := pgAdmin(t, "postgres")
	t.Cleanup(func() {
		admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
}

func loadPostgresFixture(t *testing.T, db string, extraRows int) {
	t.Helper()
	conn := pgAdmin(t, db)
	pgExec(t, conn,
		`CREATE TABLE customers (
			id serial PRIMARY KEY,
			name text NOT NULL,
			note text,
			balance numeric(14,4) NOT NULL,
			created timestamptz NOT NULL,
			born date,
			prefs jsonb,
			avatar bytea,
			score double precision
		)`,
		`CREATE TABLE orders (
			id bigint PRIMARY KEY,
			customer_id int NOT NULL REFERENCES customers(id),
			total numeric(10,2) NOT NULL,
			status text NOT NULL DEFAULT 'new' CHECK (status IN ('new','paid','void'))
		)`,
		`CREATE TABLE audit (id serial PRIMARY KEY, msg text NOT NULL)`,
		`INSERT INTO customers (name, note, balance, created, born, prefs, avatar, score) VALUES
			('Zoë 😀🎉', 'emoji 🚀 and 4-byte 𝄞 text', 12345.6789, '2026-01-02 03:04:05.123456+02', '1980-02-29', '{"lang":"de","tags":["a","ü"]}', '\x00ff10ee7f80', 3.14159),
			('NULLs', NULL, 0, '1970-01-01 00:00:01+00', NULL, NULL, NULL, NULL),
			('quote '' " \ ; --', E'line1\nline2\ttab', -0.0001, 'infinity', '2000-01-01', '[]', '', -1e300)`,
		`CREATE VIEW paid_orders AS SELECT o.id, c.name, o.total FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.status = 'paid'`,
		`CREATE FUNCTION orders_audit() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN INSERT INTO audit (msg) VALUES ('order ' || NEW.id); RETURN NEW; END $$`,
		`CREATE TRIGGER orders_audit AFTER INSERT ON orders FOR EACH ROW EXECUTE FUNCTION orders_audit()`,
		`CREATE FUNCTION customer_total(c int) RETURNS numeric LANGUAGE sql STABLE AS
			$$ SELECT COALESCE(sum(total), 0) FROM orders WHERE customer_id = c $$`,
		`INSERT INTO orders (id, customer_id, total, status) VALUES (1, 1, 10.50, 'paid'), (2, 1, 99.99, 'new'), (3, 3, 0.01, 'void')`,
	)
	if extraRows > 0 {
		pgExec(t, conn, fmt.Sprintf(`INSERT INTO orders (id, customer_id, total, status)
			SELECT 1000 + g, 1 + g %% 3, (g %% 100000) / 100.0, (ARRAY['new','paid','void'])[1 + g %% 3] FROM generate_series(1, %d) g`, extraRows))
	}
}

// postgresFingerprint hashes every row of every table and lists views,
// triggers, functions and sequence positions with their definitions.
func postgresFingerprint(t *testing.T, db string) map[string]string {
	t.Helper()
	conn := pgAdmin(t, db)
	ctx := context.Background()
	fp := map[string]string{}
	rows, err := conn.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	for _, tbl := range tables {
		var n int64
		var sum string
		q := fmt.Sprintf(`SELECT count(*), coalesce(md5(string_agg(t::text, E'\n' ORDER BY t::text)), '') FROM %s t`, pgx.Identifier{tbl}.Sanitize())
		if err := conn.QueryRow(ctx, q).Scan(&n, &sum); err != nil {
			t.Fatal(err)
		}
		fp["table "+tbl] = fmt.Sprintf("%d rows %s", n, sum)
	}
	for _, q := range []struct{ kind, sql string }{
		{"view", `SELECT viewname, definition FROM pg_views WHERE schemaname = 'public'`},
		{"trigger", `SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal`},
		{"function", `SELECT proname, pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE nspname = 'public'`},
		{"sequence", `SELECT sequencename, coalesce(last_value, 0)::text FROM pg_sequences WHERE schemaname = 'public'`},
	} {
		rows, err := conn.Query(ctx, q.sql)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var name, def string
			if err := rows.Scan(&name, &def); err != nil {
				t.Fatal(err)
			}
			fp[q.kind+" "+name] = def
		}
		rows.Close()
	}
	return fp
}
