package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/dump"
)

// databasePlan is what a restore creates and applies, after the roles it
// names were looked up on the target.
type databasePlan struct {
	create   []string // CREATE DATABASE clauses and their arguments, for format()
	args     []string
	owner    string // the restored database's owner
	comment  string
	settings []settingPlan
	acl      []aclItem
	hasACL   bool
	version  int
}

type settingPlan struct {
	role, name string
	values     []string
}

// planDatabase checks the roles the restore needs and decides what is
// created and applied. A role the archive's objects belong to must exist
// (unless opts.NoOwner); a database owner, setting or privilege naming a
// missing role is left out with a warning.
func (d *Dumper) planDatabase(ctx context.Context, conn *pgx.Conn, db string, opts dump.RestoreOptions, toc *archiveCheck) (*databasePlan, error) {
	plan := &databasePlan{}
	var current string
	if err := conn.QueryRow(ctx, `SELECT current_user::text, current_setting('server_version_num')::int`).Scan(&current, &plan.version); err != nil {
		return nil, fmt.Errorf("reading the server version: %w", err)
	}
	p := opts.Database
	if p == nil {
		p = new(backup.DatabaseProps)
	}
	var acl []aclItem
	names := []string{p.Owner}
	for _, s := range p.Settings {
		names = append(names, s.Role)
	}
	for _, item := range p.ACL {
		a, err := parseACLItem(item)
		if err != nil {
			return nil, err
		}
		acl = append(acl, a)
		names = append(names, a.Grantee)
	}
	var owners []string
	if toc != nil && !opts.NoOwner {
		owners = toc.ownerList()
		names = append(names, owners...)
	}
	exists, err := existingRoles(ctx, conn, names)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, o := range owners {
		if !exists[o] {
			missing = append(missing, o)
		}
	}
	if len(missing) > 0 {
		return nil, missingRolesError(missing, opts.Drill)
	}
	warn := func(msg string, args ...any) {
		d.logger.Warn(msg, append([]any{"database", db}, args...)...)
	}

	plan.owner = current
	switch {
	case p.Owner == "" || opts.NoOwner:
	case exists[p.Owner]:
		plan.owner = p.Owner
	default:
		warn("the database's owner does not exist on the target server; the restoring user owns it", "role", p.Owner)
	}
	plan.create = append(plan.create, "OWNER %I")
	plan.args = append(plan.args, plan.owner)
	if err := plan.locale(p, warn); err != nil {
		return nil, err
	}
	plan.comment = p.Comment
	for _, s := range p.Settings {
		if s.Role != "" && !exists[s.Role] {
			warn("skipping a per-role setting: the role does not exist on the target server", "role", s.Role, "setting", s.Name)
			continue
		}
		plan.settings = append(plan.settings, settingPlan{role: s.Role, name: s.Name, values: settingValues(s.Name, s.Value)})
	}
	plan.hasACL = p.ACL != nil
	for _, a := range acl {
		if a.Grantee == p.Owner {
			a.Grantee = plan.owner
		}
		if a.Grantee != "" && !exists[a.Grantee] {
			warn("skipping a database privilege: the role does not exist on the target server", "role", a.Grantee, "privileges", a.Privs)
			continue
		}
		plan.acl = append(plan.acl, a)
	}
	return plan, nil
}

// locale adds the encoding and locale clauses. A database made from
// template0 can take any encoding and locale the server has.
func (plan *databasePlan) locale(p *backup.DatabaseProps, warn func(string, ...any)) error {
	if p.CharacterSet == "" {
		return nil
	}
	plan.create = append(plan.create, "TEMPLATE template0", "ENCODING %L")
	plan.args = append(plan.args, p.CharacterSet)
	if p.Collation != "" {
		plan.create, plan.args = append(plan.create, "LC_COLLATE %L"), append(plan.args, p.Collation)
	}
	if p.CType != "" {
		plan.create, plan.args = append(plan.create, "LC_CTYPE %L"), append(plan.args, p.CType)
	}
	switch {
	case p.LocaleProvider == "" || p.LocaleProvider == "libc":
		if p.LocaleProvider != "" && plan.version >= 150000 {
			plan.create = append(plan.create, "LOCALE_PROVIDER libc")
		}
	case p.LocaleProvider == "icu" && plan.version >= 150000:
		plan.create, plan.args = append(plan.create, "LOCALE_PROVIDER icu", "ICU_LOCALE %L"), append(plan.args, p.ICULocale)
	case p.LocaleProvider == "builtin" && plan.version >= 170000:
		plan.create, plan.args = append(plan.create, "LOCALE_PROVIDER builtin", "BUILTIN_LOCALE %L"), append(plan.args, p.ICULocale)
	default:
		return fmt.Errorf("the source database uses the %s locale provider (locale %q), which this PostgreSQL %d.%d server does not have",
			p.LocaleProvider, p.ICULocale, plan.version/10000, plan.version%10000)
	}
	return nil
}

// existingRoles returns which of names are roles on the server.
func existingRoles(ctx context.Context, conn *pgx.Conn, names []string) (map[string]bool, error) {
	rows, err := conn.Query(ctx, `SELECT rolname::text FROM pg_roles WHERE rolname = ANY($1)`, names)
	if err != nil {
		return nil, fmt.Errorf("looking up roles: %w", err)
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("looking up roles: %w", err)
	}
	m := make(map[string]bool, len(found))
	for _, f := range found {
		m[f] = true
	}
	return m, nil
}

func (d *Dumper) createDatabase(ctx context.Context, conn *pgx.Conn, name string, plan *databasePlan) error {
	format := "CREATE DATABASE %I " + strings.Join(plan.create, " ")
	if err := execf(ctx, conn, format, append([]string{name}, plan.args...)...); err != nil {
		return fmt.Errorf("creating the database to restore into: %w", explainCreateError(err))
	}
	return nil
}

// explainCreateError says what to do about the usual CREATE DATABASE failures.
func explainCreateError(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (strings.Contains(pe.Message, "locale") || strings.Contains(pe.Message, "encoding")) {
		return fmt.Errorf("the source database's encoding or locale is not available on this server (install the locale, or restore by hand): %w", err)
	}
	return err
}

// applyProps gives the restored database its settings, comment and
// privileges. They come after the data, so that a database set
// default_transaction_read_only = on still loads.
func (d *Dumper) applyProps(ctx context.Context, conn *pgx.Conn, name string, plan *databasePlan, log *slog.Logger) error {
	for _, s := range plan.settings {
		values := strings.TrimSuffix(strings.Repeat("%L, ", len(s.values)), ", ")
		var err error
		if s.role == "" {
			err = execf(ctx, conn, "ALTER DATABASE %I SET %I TO "+values, append([]string{name, s.name}, s.values...)...)
		} else {
			err = execf(ctx, conn, "ALTER ROLE %I IN DATABASE %I SET %I TO "+values, append([]string{s.role, name, s.name}, s.values...)...)
		}
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			// A parameter this server does not know must not cost the data.
			log.Warn("a database setting could not be applied", "role", s.role, "setting", s.name, "error", err)
		}
	}
	if plan.comment != "" {
		if err := execf(ctx, conn, "COMMENT ON DATABASE %I IS %L", name, plan.comment); err != nil {
			return fmt.Errorf("setting the database's comment: %w", err)
		}
	}
	if !plan.hasACL {
		return nil
	}
	if err := execf(ctx, conn, "REVOKE ALL ON DATABASE %I FROM PUBLIC", name); err != nil {
		return fmt.Errorf("setting the database's privileges: %w", err)
	}
	if err := execf(ctx, conn, "REVOKE ALL ON DATABASE %I FROM %I", name, plan.owner); err != nil {
		return fmt.Errorf("setting the database's privileges: %w", err)
	}
	for _, a := range plan.acl {
		grantee, args := "PUBLIC", []string{name}
		if a.Grantee != "" {
			grantee, args = "%I", append(args, a.Grantee)
		}
		var plain []string
		for _, p := range a.Privs {
			if !slices.Contains(a.Grantable, p) {
				plain = append(plain, p)
			}
		}
		for _, g := range []struct {
			privs  []string
			suffix string
		}{{plain, ""}, {a.Grantable, " WITH GRANT OPTION"}} {
			if len(g.privs) == 0 {
				continue
			}
			// The privilege names come from databasePrivs, never from the manifest.
			stmt := "GRANT " + strings.Join(g.privs, ", ") + " ON DATABASE %I TO " + grantee + g.suffix
			if err := execf(ctx, conn, stmt, args...); err != nil {
				return fmt.Errorf("setting the database's privileges: %w", err)
			}
		}
	}
	return nil
}
