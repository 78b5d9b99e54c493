package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// querier is a pool or one of its connections.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// foreignReferences lists the foreign keys of other databases' tables that
// reference tables of db, as "`child_db`.`child` (constraint `fk`)
// references `db`.`parent`". Replacing db would leave them pointing at
// tables that are renamed away and dropped (InnoDB follows a RENAME TABLE;
// the drop runs without foreign key checks), so every write to those
// tables would fail afterwards.
//
// information_schema shows only constraints on tables the user has some
// privilege on; INNODB_SYS_FOREIGN (with PROCESS) shows all, for names it
// stores unencoded. Both are asked.
func foreignReferences(ctx context.Context, q querier, db string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, REFERENCED_TABLE_NAME
		FROM information_schema.REFERENTIAL_CONSTRAINTS
		WHERE UNIQUE_CONSTRAINT_SCHEMA = ? AND CONSTRAINT_SCHEMA <> ? ORDER BY 1, 2, 3`, db, db)
	if err != nil {
		return nil, err
	}
	var out []string
	seen := map[string]bool{}
	for rows.Next() {
		var cdb, child, name, parent string
		if err := rows.Scan(&cdb, &child, &name, &parent); err != nil {
			rows.Close()
			return nil, err
		}
		seen[cdb+"/"+name] = true
		out = append(out, fmt.Sprintf("%s.%s (constraint %s) references %s.%s", quoteIdent(cdb), quoteIdent(child), quoteIdent(name), quoteIdent(db), quoteIdent(parent)))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if !isPlainName(db) {
		return out, nil
	}
	// InnoDB names tables db/table; "_" is a LIKE wildcard.
	like := strings.ReplaceAll(db, "_", `\_`) + "/%"
	rows, err = q.QueryContext(ctx, `SELECT ID, FOR_NAME, REF_NAME FROM information_schema.INNODB_SYS_FOREIGN
		WHERE REF_NAME LIKE ? AND FOR_NAME NOT LIKE ? ORDER BY 1`, like, like)
	if err != nil {
		return out, nil // no PROCESS privilege: information_schema's answer is all there is
	}
	defer rows.Close()
	for rows.Next() {
		var id, child, parent string
		if err := rows.Scan(&id, &child, &parent); err != nil {
			return nil, err
		}
		if !seen[id] {
			out = append(out, fmt.Sprintf("%s (constraint %s) references %s", child, id, parent))
		}
	}
	return out, rows.Err()
}

// isPlainName: InnoDB stores such a database name as it is.
var isPlainName = regexp.MustCompile(`^[A-Za-z0-9_]+$`).MatchString

// checkForeignReferences refuses a target that other databases' foreign
// keys reference.
func checkForeignReferences(ctx context.Context, q querier, db string) error {
	refs, err := foreignReferences(ctx, q, db)
	if err != nil {
		return fmt.Errorf("looking for foreign keys of other databases that reference it: %w", err)
	}
	if len(refs) == 0 {
		return nil
	}
	return fmt.Errorf("foreign keys of other databases reference its tables, and replacing them would leave those keys pointing at dropped tables: %s; "+
		"drop those foreign keys first (and add them again after the restore), or restore into another database", strings.Join(refs, "; "))
}

// reRoutineGrant matches a grant on one routine, which MariaDB gives the
// creator of a routine (automatic_sp_privileges).
var reRoutineGrant = regexp.MustCompile("^GRANT (.+?) ON (?:PROCEDURE|FUNCTION|PACKAGE BODY|PACKAGE) `((?:[^`]|``)*)`\\.`((?:[^`]|``)*)` TO ")

// checkPrivileges refuses, before the swap changes anything, a swap the
// restoring user could not finish or undo: it must be able to create every
// restored view, routine, trigger and event in the target, and to drop and
// create again every routine, event and trigger of the target the swap
// drops (its rollback recreates them). Objects whose DEFINER is another
// user need SET USER (or SUPER); the kinds present need their privileges
// on the target. SHOW GRANTS includes the current role's grants.
func (w *swapper) checkPrivileges(ctx context.Context) error {
	rows, err := w.s.c.QueryContext(ctx, "SHOW GRANTS")
	if err != nil {
		return fmt.Errorf("reading this user's grants: %w", err)
	}
	var lines []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			rows.Close()
			return err
		}
		lines = append(lines, line)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading this user's grants: %w", err)
	}
	var me string
	if err := w.s.c.QueryRowContext(ctx, "SELECT CURRENT_USER()").Scan(&me); err != nil {
		return err
	}
	if user, host, ok := cutLast(me, "@"); ok {
		me = quoteIdent(user) + "@" + quoteIdent(host)
	}
	g := parseGrants(lines)
	routineGrants := map[string][]string{} // by routine name in the target
	for _, line := range lines {
		if m := reRoutineGrant.FindStringSubmatch(line); m != nil && unquote("`"+m[2]+"`") == w.target {
			name := unquote("`" + m[3] + "`")
			routineGrants[name] = append(routineGrants[name], splitPrivileges(m[1])...)
		}
	}

	// What the swap creates: all the new objects; what its rollback may
	// create again: the old routines and events, and the old triggers the
	// new ones replace. Old views and the other old triggers are only
	// renamed, with their tables.
	replaced := slices.DeleteFunc(slices.Clone(w.old.triggers), func(o object) bool {
		return !slices.ContainsFunc(w.new.triggers, func(n object) bool { return n.name == o.name })
	})
	created := slices.Concat(w.new.views, w.new.routines, w.new.triggers, w.new.events, w.old.routines, w.old.events, replaced)

	var problems []string
	need := func(priv string, why string) {
		if !g.onDatabase(priv, w.target) {
			problems = append(problems, fmt.Sprintf("%s on %s (%s)", priv, quoteIdent(w.target), why))
		}
	}
	// RENAME TABLE needs ALTER and DROP on the old name, CREATE and INSERT
	// on the new one; the replaced tables and views are renamed, then dropped.
	if len(w.old.tables)+len(w.old.views)+len(w.new.tables) > 0 {
		need("CREATE", "tables are renamed")
		need("INSERT", "tables are renamed")
	}
	if len(w.old.tables)+len(w.old.views) > 0 {
		need("ALTER", "the replaced tables are renamed")
		need("DROP", "the replaced tables are dropped")
	} else if w.old.charset != w.new.charset || w.old.collation != w.new.collation {
		need("ALTER", "the database's character set changes")
	}
	if len(w.new.views) > 0 {
		need("CREATE VIEW", nameList("view", objectNames(w.new.views)))
	}
	if rs := slices.Concat(w.new.routines, w.old.routines); len(rs) > 0 {
		need("CREATE ROUTINE", nameList("routine", objectNames(rs)))
	}
	var alter []string
	for _, r := range w.old.routines {
		if !g.onDatabase("ALTER ROUTINE", w.target) && !hasPriv(routineGrants[r.name], "ALTER ROUTINE") {
			alter = append(alter, r.name)
		}
	}
	if len(alter) > 0 {
		problems = append(problems, fmt.Sprintf("ALTER ROUTINE on %s (dropping %s)", quoteIdent(w.target), nameList("routine", alter)))
	}
	if ts := slices.Concat(w.new.triggers, replaced); len(ts) > 0 {
		need("TRIGGER", nameList("trigger", objectNames(ts)))
	}
	if es := slices.Concat(w.new.events, w.old.events); len(es) > 0 {
		need("EVENT", nameList("event", objectNames(es)))
	}
	if !hasPriv(g.global, "SET USER") && !hasPriv(g.global, "SUPER") && !hasPriv(g.global, "SET_USER_ID") {
		var others []string
		for _, o := range created {
			if o.definer != me {
				others = append(others, fmt.Sprintf("%s (definer %s)", o, o.definer))
			}
		}
		if len(others) > 0 {
			if len(others) > 10 {
				others = append(others[:10], fmt.Sprintf("and %d more", len(others)-10))
			}
			problems = append(problems, "SET USER (or SUPER), to create objects owned by other users: "+strings.Join(others, ", "))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("the restoring user (%s) could not both put the restored objects in place and put the target's back should that fail; it lacks %s",
			me, strings.Join(problems, "; "))
	}
	return nil
}
