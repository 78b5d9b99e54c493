package main

import (
	"fmt"
	"strings"
)

// genVersion changes whenever the generated data changes, so that a database
// made by an older generator is rebuilt rather than reused.
const genVersion = 1

// Rows per MB of the requested size. They were calibrated so that the
// MariaDB dump (gosqlguard's flags) of SIZE_MB comes out at about SIZE_MB MiB;
// the PostgreSQL custom-format dump of the same rows is somewhat larger
// (bytea is written in hex).
const (
	customersPerMB = 450
	productsPerMB  = 45
	ordersPerMB    = 1800
	itemsPerOrder  = 3
	documentsPerMB = 36
	eventsPerMB    = 1800
)

// counts are the rows of each table for a size in MB.
type counts struct{ customers, products, orders, items, documents, events int }

func countsFor(sizeMB int) counts {
	c := counts{
		customers: customersPerMB * sizeMB,
		products:  max(productsPerMB*sizeMB, 100),
		orders:    ordersPerMB * sizeMB,
		documents: documentsPerMB * sizeMB,
		events:    eventsPerMB * sizeMB,
	}
	c.items = c.orders * itemsPerOrder
	return c
}

// dialect writes the few expressions that differ between the engines; the
// generated rows are the same on both.
type dialect struct {
	// seq is the FROM clause of 1..n with the column named s.
	seq func(n int) string
	// hash is a deterministic pseudo-random integer in [0, 2^32) from a salt
	// and an integer SQL expression.
	hash func(salt, expr string) string
	// cat concatenates SQL expressions as text.
	cat func(parts ...string) string
	// pick is the (hash mod len)-th of the words.
	pick func(hash string, words ...string) string
	// ts is a timestamp seconds after 2024-01-01 00:00:00.
	ts func(seconds string) string
	// obj is a JSON object of key, value expression pairs.
	obj func(kv ...string) string
	// arr is a JSON array of expressions.
	arr func(vals ...string) string
	// randomBlob is n*64 pseudo-random bytes for row expression expr.
	randomBlob func(expr string, n int) string
	// textBlob is n lines of log-like text for row expression expr, as binary.
	textBlob func(expr string, n int) string
	// blobCat concatenates two binary values.
	blobCat func(a, b string) string
	// boolean is a JSON boolean of a condition.
	boolean func(cond string) string
	// div is the integer quotient a / b.
	div func(a string, b int) string
}

func quoteWords(words []string) []string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = "'" + strings.ReplaceAll(w, "'", "''") + "'"
	}
	return q
}

var mariadbDialect = dialect{
	seq: func(n int) string { return fmt.Sprintf("(SELECT seq AS s FROM seq_1_to_%d) AS q", n) },
	hash: func(salt, expr string) string {
		return fmt.Sprintf("CAST(CONV(SUBSTR(MD5(CONCAT('%s', %s)), 1, 8), 16, 10) AS UNSIGNED)", salt, expr)
	},
	cat: func(parts ...string) string { return "CONCAT(" + strings.Join(parts, ", ") + ")" },
	pick: func(hash string, words ...string) string {
		return fmt.Sprintf("ELT(1 + (%s) %% %d, %s)", hash, len(words), strings.Join(quoteWords(words), ", "))
	},
	ts: func(sec string) string {
		return fmt.Sprintf("(TIMESTAMP'2024-01-01 00:00:00' + INTERVAL (%s) SECOND)", sec)
	},
	obj: func(kv ...string) string { return "JSON_OBJECT(" + strings.Join(kv, ", ") + ")" },
	arr: func(vals ...string) string { return "JSON_ARRAY(" + strings.Join(vals, ", ") + ")" },
	randomBlob: func(expr string, n int) string {
		return fmt.Sprintf("(SELECT GROUP_CONCAT(UNHEX(SHA2(CONCAT('b', %s, '-', k.seq), 512)) ORDER BY k.seq SEPARATOR '') FROM seq_1_to_%d AS k)", expr, n)
	},
	textBlob: func(expr string, n int) string {
		return fmt.Sprintf("(SELECT CAST(GROUP_CONCAT(CONCAT('2024-01-01T', LPAD(k.seq %% 24, 2, '0'), ':', LPAD(k.seq %% 60, 2, '0'), ' INFO request id=', MD5(CONCAT(%s, '/', k.seq)), ' status=', 200 + (k.seq %% 5), ' bytes=', k.seq * 37, '\\n') ORDER BY k.seq SEPARATOR '') AS BINARY) FROM seq_1_to_%d AS k)", expr, n)
	},
	blobCat: func(a, b string) string { return "CONCAT(" + a + ", " + b + ")" },
	boolean: func(cond string) string {
		return fmt.Sprintf("IF(%s, JSON_EXTRACT('true', '$'), JSON_EXTRACT('false', '$'))", cond)
	},
	div: func(a string, b int) string { return fmt.Sprintf("((%s) DIV %d)", a, b) },
}

var postgresDialect = dialect{
	seq: func(n int) string { return fmt.Sprintf("generate_series(1, %d) AS s", n) },
	hash: func(salt, expr string) string {
		return fmt.Sprintf("(('x' || substr(md5('%s' || (%s)::text), 1, 8))::bit(32)::bigint)", salt, expr)
	},
	cat: func(parts ...string) string {
		for i, p := range parts {
			parts[i] = "(" + p + ")::text"
		}
		return "(" + strings.Join(parts, " || ") + ")"
	},
	pick: func(hash string, words ...string) string {
		return fmt.Sprintf("(ARRAY[%s])[1 + (%s) %% %d]", strings.Join(quoteWords(words), ", "), hash, len(words))
	},
	ts: func(sec string) string {
		return fmt.Sprintf("(TIMESTAMP '2024-01-01 00:00:00' + (%s) * INTERVAL '1 second')", sec)
	},
	obj: func(kv ...string) string { return "jsonb_build_object(" + strings.Join(kv, ", ") + ")" },
	arr: func(vals ...string) string { return "jsonb_build_array(" + strings.Join(vals, ", ") + ")" },
	randomBlob: func(expr string, n int) string {
		return fmt.Sprintf("(SELECT string_agg(sha512(convert_to('b' || (%s)::text || '-' || k, 'UTF8')), ''::bytea ORDER BY k) FROM generate_series(1, %d) AS k)", expr, n)
	},
	textBlob: func(expr string, n int) string {
		return fmt.Sprintf("(SELECT convert_to(string_agg('2024-01-01T' || lpad((k %% 24)::text, 2, '0') || ':' || lpad((k %% 60)::text, 2, '0') || ' INFO request id=' || md5((%s)::text || '/' || k) || ' status=' || (200 + k %% 5) || ' bytes=' || (k * 37) || E'\\n', '' ORDER BY k), 'UTF8') FROM generate_series(1, %d) AS k)", expr, n)
	},
	blobCat: func(a, b string) string { return "(" + a + " || " + b + ")" },
	boolean: func(cond string) string { return fmt.Sprintf("to_jsonb(%s)", cond) },
	div:     func(a string, b int) string { return fmt.Sprintf("((%s) / %d)", a, b) },
}

// schema returns the CREATE TABLE statements of an engine.
func schema(engine string) []string {
	if engine == engineMariaDB {
		const opts = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"
		return []string{
			`CREATE TABLE gsg_bench_meta (k VARCHAR(32) PRIMARY KEY, v VARCHAR(64) NOT NULL)` + opts,
			`CREATE TABLE customers (
  id INT UNSIGNED PRIMARY KEY,
  email VARCHAR(120) NOT NULL,
  name VARCHAR(100) NOT NULL,
  country CHAR(2) NOT NULL,
  created_at DATETIME NOT NULL,
  profile JSON NOT NULL,
  UNIQUE KEY customers_email (email),
  KEY customers_country_created (country, created_at)
)` + opts,
			`CREATE TABLE products (
  id INT UNSIGNED PRIMARY KEY,
  sku CHAR(12) NOT NULL,
  title VARCHAR(200) NOT NULL,
  description TEXT NOT NULL,
  price DECIMAL(10,2) NOT NULL,
  attrs JSON NOT NULL,
  UNIQUE KEY products_sku (sku),
  KEY products_price (price)
)` + opts,
			`CREATE TABLE orders (
  id INT UNSIGNED PRIMARY KEY,
  customer_id INT UNSIGNED NOT NULL,
  status VARCHAR(16) NOT NULL,
  created_at DATETIME NOT NULL,
  total DECIMAL(12,2) NOT NULL,
  note VARCHAR(255) NULL,
  KEY orders_status_created (status, created_at),
  CONSTRAINT orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
)` + opts,
			`CREATE TABLE order_items (
  order_id INT UNSIGNED NOT NULL,
  line SMALLINT UNSIGNED NOT NULL,
  product_id INT UNSIGNED NOT NULL,
  qty SMALLINT UNSIGNED NOT NULL,
  unit_price DECIMAL(10,2) NOT NULL,
  PRIMARY KEY (order_id, line),
  CONSTRAINT items_order FOREIGN KEY (order_id) REFERENCES orders (id),
  CONSTRAINT items_product FOREIGN KEY (product_id) REFERENCES products (id)
)` + opts,
			`CREATE TABLE documents (
  id INT UNSIGNED PRIMARY KEY,
  order_id INT UNSIGNED NOT NULL,
  filename VARCHAR(200) NOT NULL,
  mime VARCHAR(64) NOT NULL,
  created_at DATETIME NOT NULL,
  body LONGBLOB NOT NULL,
  CONSTRAINT documents_order FOREIGN KEY (order_id) REFERENCES orders (id)
)` + opts,
			`CREATE TABLE events (
  id BIGINT UNSIGNED PRIMARY KEY,
  customer_id INT UNSIGNED NOT NULL,
  kind VARCHAR(32) NOT NULL,
  at DATETIME(6) NOT NULL,
  payload JSON NOT NULL,
  KEY events_kind_at (kind, at),
  CONSTRAINT events_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
)` + opts,
		}
	}
	return []string{
		`CREATE TABLE gsg_bench_meta (k varchar(32) PRIMARY KEY, v varchar(64) NOT NULL)`,
		`CREATE TABLE customers (
  id integer PRIMARY KEY,
  email varchar(120) NOT NULL UNIQUE,
  name varchar(100) NOT NULL,
  country char(2) NOT NULL,
  created_at timestamp NOT NULL,
  profile jsonb NOT NULL
)`,
		`CREATE INDEX customers_country_created ON customers (country, created_at)`,
		`CREATE TABLE products (
  id integer PRIMARY KEY,
  sku char(12) NOT NULL UNIQUE,
  title varchar(200) NOT NULL,
  description text NOT NULL,
  price numeric(10,2) NOT NULL,
  attrs jsonb NOT NULL
)`,
		`CREATE INDEX products_price ON products (price)`,
		`CREATE TABLE orders (
  id integer PRIMARY KEY,
  customer_id integer NOT NULL REFERENCES customers (id),
  status varchar(16) NOT NULL,
  created_at timestamp NOT NULL,
  total numeric(12,2) NOT NULL,
  note varchar(255)
)`,
		`CREATE INDEX orders_status_created ON orders (status, created_at)`,
		`CREATE INDEX orders_customer ON orders (customer_id)`,
		`CREATE TABLE order_items (
  order_id integer NOT NULL REFERENCES orders (id),
  line smallint NOT NULL,
  product_id integer NOT NULL REFERENCES products (id),
  qty smallint NOT NULL,
  unit_price numeric(10,2) NOT NULL,
  PRIMARY KEY (order_id, line)
)`,
		`CREATE INDEX order_items_product ON order_items (product_id)`,
		`CREATE TABLE documents (
  id integer PRIMARY KEY,
  order_id integer NOT NULL REFERENCES orders (id),
  filename varchar(200) NOT NULL,
  mime varchar(64) NOT NULL,
  created_at timestamp NOT NULL,
  body bytea NOT NULL
)`,
		`CREATE INDEX documents_order ON documents (order_id)`,
		`CREATE TABLE events (
  id bigint PRIMARY KEY,
  customer_id integer NOT NULL REFERENCES customers (id),
  kind varchar(32) NOT NULL,
  at timestamp(6) NOT NULL,
  payload jsonb NOT NULL
)`,
		`CREATE INDEX events_kind_at ON events (kind, at)`,
		`CREATE INDEX events_customer ON events (customer_id)`,
	}
}

// inserts returns the INSERT ... SELECT statements that fill the tables of
// sizeMB, parents first, and the row of gsg_bench_meta last.
func inserts(engine string, sizeMB int) []string {
	d := postgresDialect
	if engine == engineMariaDB {
		d = mariadbDialect
	}
	c := countsFor(sizeMB)
	h := d.hash
	first := []string{"Anna", "Ben", "Chloé", "David", "Emma", "Felix", "Greta", "Hugo", "Ines", "Jonas", "Kai", "Lena"}
	last := []string{"Müller", "Schmidt", "Dubois", "Rossi", "García", "Nowak", "Smith", "Jensen", "Kowalski", "Silva"}
	countries := []string{"DE", "FR", "IT", "ES", "PL", "NL", "SE", "US", "GB", "PT"}
	words := []string{"robust", "compact", "wireless", "organic", "premium", "classic", "smart", "portable", "durable", "eco"}
	nouns := []string{"kettle", "backpack", "lamp", "headphones", "chair", "bottle", "charger", "jacket", "monitor", "blender"}
	statuses := []string{"new", "paid", "packed", "shipped", "delivered", "returned", "cancelled"}
	kinds := []string{"login", "logout", "view", "search", "cart_add", "cart_remove", "checkout", "review"}
	mimes := []string{"application/pdf", "image/png", "text/plain", "image/jpeg"}

	stmts := []string{
		fmt.Sprintf(`INSERT INTO customers (id, email, name, country, created_at, profile)
SELECT s, %s, %s, %s, %s, %s FROM %s`,
			d.cat("'user'", "s", "'@example.'", d.pick("s", "com", "org", "net", "de")),
			d.cat(d.pick(h("f", "s"), first...), "' '", d.pick(h("l", "s"), last...)),
			d.pick(h("c", "s"), countries...),
			d.ts(h("t", "s")+" % 63072000"),
			d.obj("'tier'", d.pick(h("tier", "s"), "free", "silver", "gold"),
				"'newsletter'", d.boolean(h("n", "s")+" % 3 = 0"),
				"'tags'", d.arr(d.pick(h("g1", "s"), words...), d.pick(h("g2", "s"), nouns...)),
				"'address'", d.obj("'street'", d.cat(h("a", "s")+" % 999", "' Main Street'"),
					"'zip'", d.cat(h("z", "s")+" % 90000 + 10000"), "'city'", d.pick(h("cy", "s"), "Berlin", "Paris", "Rome", "Madrid", "Warsaw"))),
			d.seq(c.customers)),
		fmt.Sprintf(`INSERT INTO products (id, sku, title, description, price, attrs)
SELECT s, %s, %s, %s, %s, %s FROM %s`,
			d.cat("'SKU'", d.cat(fmt.Sprintf("%d + s", 100000000))),
			d.cat(d.pick(h("w", "s"), words...), "' '", d.pick(h("o", "s"), nouns...), "' '", "s"),
			d.cat("'The '", d.pick(h("w", "s"), words...), "' '", d.pick(h("o", "s"), nouns...),
				"' for everyday use. Batch '", "md5("+d.cat("'p'", "s")+")",
				"'. Materials: '", d.pick(h("m", "s"), "steel", "cotton", "bamboo", "aluminium", "recycled plastic"),
				"'. Care: wipe clean, keep dry, avoid direct sunlight. Warranty: '", h("y", "s")+" % 5 + 1",
				"' years. Serial range '", "md5("+d.cat("'q'", "s")+")", "' to '", "md5("+d.cat("'r'", "s")+")", "'.'"),
			fmt.Sprintf("(%s %% 100000) / 100.0 + 1", h("pr", "s")),
			d.obj("'color'", d.pick(h("col", "s"), "red", "blue", "black", "white", "green"),
				"'size'", d.pick(h("sz", "s"), "S", "M", "L", "XL"),
				"'weight_g'", h("wg", "s")+" % 5000 + 50",
				"'dims'", d.arr(h("d1", "s")+" % 100", h("d2", "s")+" % 100", h("d3", "s")+" % 100")),
			d.seq(c.products)),
		fmt.Sprintf(`INSERT INTO orders (id, customer_id, status, created_at, total, note)
SELECT s, 1 + %s %% %d, %s, %s, (%s %% 5000000) / 100.0, CASE WHEN %s %% 4 = 0 THEN %s END FROM %s`,
			h("oc", "s"), c.customers, d.pick(h("os", "s"), statuses...), d.ts(h("ot", "s")+" % 63072000"),
			h("ota", "s"), h("on", "s"), d.cat("'Please deliver to the back door, ref '", "md5("+d.cat("'n'", "s")+")"),
			d.seq(c.orders)),
		fmt.Sprintf(`INSERT INTO order_items (order_id, line, product_id, qty, unit_price)
SELECT 1 + %s, 1 + (s - 1) %% %d, 1 + %s %% %d, 1 + %s %% 9, (%s %% 100000) / 100.0 FROM %s`,
			d.div("s - 1", itemsPerOrder), itemsPerOrder,
			h("ip", "s"), c.products, h("iq", "s"), h("iu", "s"), d.seq(c.items)),
		fmt.Sprintf(`INSERT INTO documents (id, order_id, filename, mime, created_at, body)
SELECT s, 1 + %s %% %d, %s, %s, %s, %s FROM %s`,
			h("do", "s"), c.orders, d.cat("'invoice-'", "s", "'.'", d.pick(h("dm", "s"), "pdf", "png", "txt", "jpg")),
			d.pick(h("dm", "s"), mimes...), d.ts(h("dt", "s")+" % 63072000"),
			d.blobCat(d.randomBlob("s", 32), d.textBlob("s", 40)), d.seq(c.documents)),
		fmt.Sprintf(`INSERT INTO events (id, customer_id, kind, at, payload)
SELECT s, 1 + %s %% %d, %s, %s, %s FROM %s`,
			h("ec", "s"), c.customers, d.pick(h("ek", "s"), kinds...), d.ts(h("et", "s")+" % 63072000"),
			d.obj("'session'", "md5("+d.cat("'e'", "s")+")",
				"'ip'", d.cat(h("i1", "s")+" % 256", "'.'", h("i2", "s")+" % 256", "'.'", h("i3", "s")+" % 256", "'.'", h("i4", "s")+" % 256"),
				"'agent'", d.pick(h("ua", "s"), "Mozilla/5.0 (X11; Linux x86_64)", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5)", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5)"),
				"'path'", d.cat("'/shop/'", d.pick(h("ep", "s"), nouns...), "'/'", h("epi", "s")+" % 10000"),
				"'ms'", h("ems", "s")+" % 2000"),
			d.seq(c.events)),
		fmt.Sprintf(`INSERT INTO gsg_bench_meta (k, v) VALUES ('size_mb', '%d'), ('generator', '%d')`, sizeMB, genVersion),
	}
	return stmts
}
