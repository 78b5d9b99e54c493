package postgres

import (
	"bytes"
	"maps"
	"strings"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

// A PostgreSQL fingerprint counts what pg_dump puts in an archive, and a
// live database the same way (liveCounts), so that a restore can be
// compared with its dump:
//
//   - rows per "schema.table" (both unquoted): the lines of the table's
//     COPY data, one per row (COPY text escapes line breaks in values).
//     Every table is listed, without rows with 0; a partitioned table's
//     rows are its partitions', so it has 0 itself (live: COUNT(*) FROM
//     ONLY). Unlogged tables count like others.
//   - schemas: the schemas the archive creates; public is not counted, as
//     every database has it whether or not the archive mentions it.
//   - tables: ordinary and partitioned tables and partitions ("TABLE");
//     foreign tables are not counted, their data lives elsewhere.
//   - sequences (owned, identity and free ones), views, materialized_views
//     (their data is a REFRESH, not rows: they have no rows entry).
//   - functions: functions, procedures and aggregates.
//   - types: enums, composite, range and base types, and domains.
//   - extensions: those the archive creates (not the built-in plpgsql).
//   - large_objects: one per "BLOB" entry (archives of pg_dump 16 and
//     before), else the large objects in the archive's data (pg_dump 17
//     groups them in "BLOB METADATA" entries).
//
// Objects that belong to an extension are the extension's: pg_dump leaves
// them out, and so does the live count.
type archiveCounts struct {
	rows     map[string]int64
	objects  map[string]int64
	blobs    int64 // "BLOB" entries
	blobData int64 // large objects in the data blocks
}

// kindOf maps a TOC entry's desc to the kind it counts as.
var kindOf = map[string]string{
	"SCHEMA":            "schemas",
	"TABLE":             "tables",
	"SEQUENCE":          "sequences",
	"VIEW":              "views",
	"MATERIALIZED VIEW": "materialized_views",
	"FUNCTION":          "functions",
	"PROCEDURE":         "functions",
	"AGGREGATE":         "functions",
	"TYPE":              "types",
	"DOMAIN":            "types",
	"EXTENSION":         "extensions",
}

// objectKinds are the kinds every fingerprint lists, with 0 when absent.
var objectKinds = []string{"schemas", "tables", "sequences", "views", "materialized_views",
	"functions", "types", "extensions", "large_objects"}

func newArchiveCounts() *archiveCounts {
	c := &archiveCounts{rows: map[string]int64{}, objects: map[string]int64{}}
	for _, k := range objectKinds {
		c.objects[k] = 0
	}
	return c
}

// countObjects makes the check count what the archive holds (fingerprint).
func (c *archiveCheck) countObjects() { c.count = newArchiveCounts() }

// entry counts one TOC entry.
func (a *archiveCounts) entry(e *tocEntry) {
	switch {
	case e.desc == "BLOB":
		a.blobs++
	case e.desc == "SCHEMA" && e.tag == "public":
	case kindOf[e.desc] != "":
		a.objects[kindOf[e.desc]]++
		if e.desc == "TABLE" {
			a.rows[tableKey(e.namespace, e.tag)] += 0
		}
	}
}

// copyEnd ends the COPY data of every TABLE DATA entry: pg_dump writes the
// end-of-data line and two empty lines after the rows. A row can never be
// "\." alone: COPY escapes a backslash in a value.
var copyEnd = []byte("\\.\n\n\n")

// countRows counts the line breaks of one piece of an entry's COPY data and
// keeps its last bytes, to leave out those of copyEnd (tableRows).
func (d *dataEntry) countRows(p []byte) {
	d.rows += int64(bytes.Count(p, newline))
	if len(p) >= len(copyEnd) {
		d.tail = append(d.tail[:0], p[len(p)-len(copyEnd):]...)
		return
	}
	d.tail = append(d.tail, p...)
	if len(d.tail) > len(copyEnd) {
		d.tail = append(d.tail[:0], d.tail[len(d.tail)-len(copyEnd):]...)
	}
}

var newline = []byte("\n")

// tableRows is the number of rows in the entry's data.
func (d *dataEntry) tableRows() int64 {
	if bytes.Equal(d.tail, copyEnd) {
		return d.rows - 3
	}
	return d.rows
}

// fingerprint returns what the archive held, as far as it was read; nil
// unless countObjects was called.
func (c *archiveCheck) fingerprint() *backup.Fingerprint {
	if c.count == nil {
		return nil
	}
	fp := backup.Fingerprint{Rows: maps.Clone(c.count.rows), Objects: maps.Clone(c.count.objects)}
	for _, d := range c.data {
		if d.table != "" {
			fp.Rows[d.table] += d.tableRows()
		}
	}
	fp.Objects["large_objects"] = c.count.blobs
	if c.count.blobs == 0 {
		fp.Objects["large_objects"] = c.count.blobData
	}
	return &fp
}

// tableKey names a table in a fingerprint: "schema.table", a part quoted as
// "a.b" (double quotes doubled) when it holds a dot or a double quote, so
// that no two tables share a key ("a.b".c and a."b.c" would).
func tableKey(schema, name string) string { return keyPart(schema) + "." + keyPart(name) }

func keyPart(s string) string {
	if strings.ContainsAny(s, `."`) {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}
