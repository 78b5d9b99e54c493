package e2e

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/gosqlguard/gosqlguard/internal/testenv"
)

const mariadbSocket = "/run/mysqld/mysqld.sock"

// mariadbAdmin connects as root over the socket.
func mariadbAdmin(t *testing.T, db string) *sql.DB {
	t.Helper()
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr, cfg.DBName = "root", "unix", mariadbSocket, db
	cfg.Params = map[string]string{"charset": "utf8mb4"}
	conn, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Ping(); err != nil {
		conn.Close()
		testenv.Require(t, "MariaDB", err)
	}
	conn.SetMaxOpenConns(1) // keep session state (e.g. the database in use) on one connection
	t.Cleanup(func() { conn.Close() })
	return conn
}

func execAll(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// newMariaDB creates an empty database, dropped when the test ends.
func newMariaDB(t *testing.T, prefix string) string {
	t.Helper()
	name := uniqueName(prefix)
	admin := mariadbAdmin(t, "")
	execAll(t, admin, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4")
	t.Cleanup(func() { admin.Exec("DROP DATABASE IF EXISTS `" + name + "`") })
	return name
}

// dropMariaDBLater drops a database a restore will create.
func dropMariaDBLater(t *testing.T, name string) {
	admin := mariadbAdmin(t, "")
	t.Cleanup(func() { admin.Exec("DROP DATABASE IF EXISTS `" + name + "`") })
}

// newMariaDBUser creates a least-privilege backup user with the nasty password.
func newMariaDBUser(t *testing.T) string {
	t.Helper()
	user := uniqueName("bk")
	admin := mariadbAdmin(t, "")
	quoted := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(nastyPassword)
	execAll(t, admin,
		fmt.Sprintf("CREATE USER '%s'@'localhost' IDENTIFIED BY '%s'", user, quoted),
		fmt.Sprintf("GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES, PROCESS, RELOAD, BINLOG MONITOR ON *.* TO '%s'@'localhost'", user),
	)
	t.Cleanup(func() { admin.Exec(fmt.Sprintf("DROP USER IF EXISTS '%s'@'localhost'", user)) })
	return user
}

// loadMariaDBFixture fills db with every kind of data and object a dump must keep.
func loadMariaDBFixture(t *testing.T, db string, extraRows int) {
	t.Helper()
	conn := mariadbAdmin(t, db)
	execAll(t, conn,
		`CREATE TABLE customers (
			id INT AUTO_INCREMENT PRIMARY KEY,
			name VARCHAR(100) NOT NULL,
			note TEXT NULL,
			balance DECIMAL(14,4) NOT NULL,
			created DATETIME(6) NOT NULL,
			born DATE NULL,
			prefs JSON NULL,
			avatar BLOB NULL,
			score DOUBLE NULL
		) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
		`CREATE TABLE orders (
			id BIGINT PRIMARY KEY,
			customer_id INT NOT NULL,
			total DECIMAL(10,2) NOT NULL,
			status ENUM('new','paid','void') NOT NULL DEFAULT 'new',
			FOREIGN KEY (customer_id) REFERENCES customers(id)
		) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
		`CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, msg VARCHAR(200) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
		`INSERT INTO customers (name, note, balance, created, born, prefs, avatar, score) VALUES
			('Zoë 😀🎉', 'emoji 🚀 and 4-byte 𝄞 text', 12345.6789, '2026-01-02 03:04:05.123456', '1980-02-29', '{"lang":"de","tags":["a","ü"]}', UNHEX('00FF10EE7F80'), 3.14159),
			('NULLs', NULL, 0, '1970-01-01 00:00:01', NULL, NULL, NULL, NULL),
			('quote '' " \\ ; --', 'line1\nline2\ttab', -0.0001, '2038-01-19 03:14:07.999999', '2000-01-01', '[]', '', -1e300)`,
		`CREATE VIEW paid_orders AS SELECT o.id, c.name, o.total FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.status = 'paid'`,
		`CREATE TRIGGER orders_audit AFTER INSERT ON orders FOR EACH ROW INSERT INTO audit (msg) VALUES (CONCAT('order ', NEW.id))`,
		`CREATE FUNCTION customer_total(c INT) RETURNS DECIMAL(14,2) DETERMINISTIC READS SQL DATA
			RETURN (SELECT COALESCE(SUM(total), 0) FROM orders WHERE customer_id = c)`,
		`CREATE PROCEDURE void_order(IN oid BIGINT) MODIFIES SQL DATA UPDATE orders SET status = 'void' WHERE id = oid`,
		`CREATE EVENT purge_audit ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM audit WHERE id < 0`,
		`INSERT INTO orders (id, customer_id, total, status) VALUES (1, 1, 10.50, 'paid'), (2, 1, 99.99, 'new'), (3, 3, 0.01, 'void')`,
	)
	if extraRows > 0 {
		execAll(t, conn, fmt.Sprintf(`INSERT INTO orders (id, customer_id, total, status)
			SELECT 1000 + seq, 1 + seq %% 3, (seq %% 100000) / 100, ELT(1 + seq %% 3, 'new', 'paid', 'void') FROM seq_1_to_%d`, extraRows))
	}
}

// mariadbFingerprint hashes every row of every table (in primary-key order)
// and lists every view, trigger, routine and event with its definition.
func mariadbFingerprint(t *testing.T, db string) map[string]string {
	t.Helper()
	conn := mariadbAdmin(t, db)
	fp := map[string]string{}
	tables := queryStrings(t, conn, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1", db)
	for _, tbl := range tables {
		fp["table "+tbl] = hashRows(t, conn, "SELECT * FROM `"+tbl+"` ORDER BY 1")
	}
	for _, q := range []struct{ kind, sql string }{
		{"view", "SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?"},
		{"trigger", "SELECT TRIGGER_NAME, CONCAT(EVENT_MANIPULATION, ' ', EVENT_OBJECT_TABLE, ' ', ACTION_STATEMENT) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?"},
		{"routine", "SELECT CONCAT(ROUTINE_TYPE, ' ', ROUTINE_NAME), ROUTINE_DEFINITION FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?"},
		{"event", "SELECT EVENT_NAME, CONCAT(EVENT_DEFINITION, ' ', STATUS) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?"},
	} {
		rows, err := conn.Query(q.sql, db)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var name, def string
			if err := rows.Scan(&name, &def); err != nil {
				t.Fatal(err)
			}
			// Definitions name the schema; compare them without it.
			fp[q.kind+" "+name] = strings.ReplaceAll(def, "`"+db+"`.", "")
		}
		rows.Close()
	}
	return fp
}

func queryStrings(t *testing.T, conn *sql.DB, q string, args ...any) []string {
	t.Helper()
	rows, err := conn.Query(q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// hashRows returns a SHA-256 over every value of every row, NULL kept distinct from ”.
func hashRows(t *testing.T, conn *sql.DB, q string) string {
	t.Helper()
	rows, err := conn.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	h := sha256.New()
	n := 0
	for rows.Next() {
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			if v == nil {
				h.Write([]byte{0xff, 0})
			} else {
				fmt.Fprintf(h, "%d:", len(v))
				h.Write(v)
			}
		}
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d rows %s", n, hex.EncodeToString(h.Sum(nil)))
}

// compareFingerprints fails on any difference, listing every one.
func compareFingerprints(t *testing.T, want, got map[string]string) {
	t.Helper()
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if want[k] != got[k] {
			t.Errorf("%s: restored %q, original %q", k, got[k], want[k])
		}
	}
	if len(want) == 0 {
		t.Error("empty fingerprint: the fixture is missing")
	}
}
