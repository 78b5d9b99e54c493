package mysql

import (
	"github.com/gosqlguard/gosqlguard/internal/backup"
)

// counts is what a dump or a database holds, as a fingerprint reports it:
//
//   - rows per table, keyed by the table's name; every table is listed,
//     those without rows with 0. A system-versioned table counts every row
//     version (the dump carries its history with --dump-history; without
//     history, a restore holds only current rows and counts as many).
//   - tables: base tables, system-versioned ones included, not sequences;
//     sequences (MariaDB) are a kind of their own, without rows.
//   - views, triggers, events; routines are functions (aggregate ones
//     included) and procedures. MariaDB's Oracle-mode packages are not
//     counted.
type counts struct {
	rows                               map[string]int64
	tables, views, sequences, routines int64
	triggers, events                   int64
}

func (c *counts) table(name string) {
	c.tables++
	c.rows[name] += 0 // listed even without rows
}

func (c *counts) addRows(table string, n int64) { c.rows[table] += n }

// object counts one object of kind TRIGGER, EVENT, FUNCTION or PROCEDURE.
func (c *counts) object(kind string) {
	switch kind {
	case "TRIGGER":
		c.triggers++
	case "EVENT":
		c.events++
	case "FUNCTION", "PROCEDURE":
		c.routines++
	}
}

func (c *counts) fingerprint() backup.Fingerprint {
	rows := make(map[string]int64, len(c.rows))
	for k, v := range c.rows {
		rows[k] = v
	}
	return backup.Fingerprint{
		Rows: rows,
		Objects: map[string]int64{
			"tables":    c.tables,
			"views":     c.views,
			"sequences": c.sequences,
			"routines":  c.routines,
			"triggers":  c.triggers,
			"events":    c.events,
		},
	}
}

// fingerprint returns what the stream held, as far as it went.
func (c *sqlCounter) fingerprint() backup.Fingerprint { return c.fp.fingerprint() }
