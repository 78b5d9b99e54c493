package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/gosqlguard/gosqlguard/internal/dump/dumpoptions"
)

// object is a view, routine, trigger or event as SHOW CREATE shows it, with
// the session settings it was created under: recreating it elsewhere under
// the same settings gives the same object.
type object struct {
	kind      string // VIEW, TRIGGER, EVENT, FUNCTION, PROCEDURE, PACKAGE, PACKAGE BODY
	name      string
	definer   string // `user`@`host`, for messages
	create    string // the CREATE statement, in the bytes of charset (read as binary)
	sqlMode   string
	charset   string // character_set_client
	collation string // collation_connection
	timeZone  string // events only
}

func (o object) String() string { return strings.ToLower(o.kind) + " " + quoteIdent(o.name) }

// schema is what one database holds, as a restore moves or recreates it.
type schema struct {
	charset, collation string
	tables             []string // what RENAME TABLE moves: base tables, sequences
	views              []object
	routines           []object // functions first: views may call them
	triggers           []object // per table in firing order
	events             []object
}

// Settings that reach SQL from SHOW output are checked, not quoted.
var (
	isSQLMode  = dumpoptions.Matches(`^[A-Z0-9_,]*$`)
	isTimeZone = dumpoptions.Matches(`^[A-Za-z0-9_+:/-]{1,64}$`)
)

// readSchema lists what db holds with the definitions of its views,
// routines, triggers and events. It leaves db the session's
// current database, so that SHOW CREATE VIEW names db's tables unqualified.
func (s *session) readSchema(ctx context.Context, db string) (*schema, error) {
	if err := s.exec(ctx, "USE "+quoteIdent(db)); err != nil {
		return nil, err
	}
	sc := &schema{}
	err := s.c.QueryRowContext(ctx, "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", db).
		Scan(&sc.charset, &sc.collation)
	if err != nil {
		return nil, err
	}
	kinds := []struct {
		list string
		into *[]object
	}{
		{"SELECT ROUTINE_TYPE, ROUTINE_NAME, DEFINER FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? ORDER BY FIELD(ROUTINE_TYPE, 'FUNCTION', 'PROCEDURE', 'PACKAGE', 'PACKAGE BODY'), ROUTINE_NAME", &sc.routines},
		{"SELECT 'TRIGGER', TRIGGER_NAME, DEFINER FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER", &sc.triggers},
		{"SELECT 'EVENT', EVENT_NAME, DEFINER FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? ORDER BY EVENT_NAME", &sc.events},
		{"SELECT 'VIEW', TABLE_NAME, DEFINER FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME", &sc.views},
	}
	for _, k := range kinds {
		if *k.into, err = s.listObjects(ctx, k.list, db); err != nil {
			return nil, err
		}
		for i := range *k.into {
			if err := s.showCreate(ctx, &(*k.into)[i]); err != nil {
				return nil, err
			}
		}
	}
	rows, err := s.c.QueryContext(ctx, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE <> 'VIEW' ORDER BY TABLE_NAME", db)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		sc.tables = append(sc.tables, name)
	}
	return sc, rows.Err()
}

func (s *session) listObjects(ctx context.Context, q, db string) ([]object, error) {
	rows, err := s.c.QueryContext(ctx, q, db)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []object
	for rows.Next() {
		var o object
		if err := rows.Scan(&o.kind, &o.name, &o.definer); err != nil {
			return nil, err
		}
		if user, host, ok := cutLast(o.definer, "@"); ok {
			o.definer = quoteIdent(user) + "@" + quoteIdent(host)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// showCreate fills in o's definition from SHOW CREATE in the current database.
func (s *session) showCreate(ctx context.Context, o *object) error {
	rows, err := s.c.QueryContext(ctx, "SHOW CREATE "+o.kind+" "+quoteIdent(o.name))
	if err != nil {
		return fmt.Errorf("reading the definition of %s: %w", o, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	if !rows.Next() {
		return fmt.Errorf("reading the definition of %s: %w", o, errors.Join(rows.Err(), errors.New("no row")))
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return err
	}
	o.sqlMode = s.sqlMode // views keep no sql_mode of their own
	create := false
	for i, c := range cols {
		switch v := vals[i]; {
		case c == "sql_mode":
			o.sqlMode = v.String
		case c == "time_zone":
			o.timeZone = v.String
		case c == "character_set_client":
			o.charset = v.String
		case c == "collation_connection":
			o.collation = v.String
		case strings.HasPrefix(c, "Create ") || c == "SQL Original Statement":
			o.create, create = v.String, v.Valid
		}
	}
	switch {
	case !create:
		return fmt.Errorf("the definition of %s is hidden from the restoring user (it needs SELECT on mysql.proc, or to be its definer %s)", o, o.definer)
	case !isSQLMode(o.sqlMode) || !isCharsetName(o.charset) || !isCharsetName(o.collation) || o.timeZone != "" && !isTimeZone(o.timeZone):
		return fmt.Errorf("%s: unexpected session settings %q %q %q %q", o, o.sqlMode, o.charset, o.collation, o.timeZone)
	}
	return nil
}

func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}
