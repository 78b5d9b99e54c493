package postgres

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/dump"
)

// restoreFlags make the load all-or-nothing: one transaction, stop at the
// first error. The load goes into a fresh scratch database, so nothing needs
// cleaning first.
var restoreFlags = []string{"--exit-on-error", "--single-transaction"}

// ScratchPrefix starts the name of every database a restore loads into
// before it is put in place, and of a replaced database until it is
// dropped. Databases lists none of them.
const ScratchPrefix = "gosqlguard_scratch_"

// maxPeekBytes bounds how much of an archive's start is held while its
// table of contents is read for the owners it names.
const maxPeekBytes = 256 << 20

// cleanupTimeout bounds the work done after a failure or cancellation.
const cleanupTimeout = 30 * time.Second

// CheckTarget checks the target before anything is read or changed. See
// dump.Dumper.
//
// An existing database counts as empty when it holds nothing a user made:
// no schema but public, no object in public or any other user schema
// (tables, views, sequences, functions, types, operators, ...), no
// extension but plpgsql, no large object, no event trigger and no
// publication. A database just made by CREATE DATABASE is empty.
func (d *Dumper) CheckTarget(ctx context.Context, db string, opts dump.RestoreOptions) error {
	if err := ValidateDatabaseName(db); err != nil {
		return d.errorf("restore: %w; %w", err, dump.ErrTargetUnchanged)
	}
	drill := opts.Drill && dump.IsDrillName(db)
	if strings.HasPrefix(db, ScratchPrefix) || dump.ReservedName(db) && !drill {
		return d.errorf("restore into %q: names starting with gosqlguard_scratch_, gosqlguard_hold_ or %s are gosqlguard's own scratch databases; %w", db, dump.DrillPrefix, dump.ErrTargetUnchanged)
	}
	if err := validateProps(opts.Database); err != nil {
		return d.errorf("restore into %q: %w; %w", db, err, dump.ErrTargetUnchanged)
	}
	conn, err := d.connectMaintenanceExcept(ctx, db)
	if err != nil {
		return errors.Join(err, dump.ErrTargetUnchanged)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return d.checkTarget(ctx, conn, db, opts)
}

func (d *Dumper) checkTarget(ctx context.Context, conn *pgx.Conn, db string, opts dump.RestoreOptions) error {
	exists, template, err := databaseState(ctx, conn, db)
	if err != nil {
		return d.errorf("looking up database %q: %w; %w", db, err, dump.ErrTargetUnchanged)
	}
	switch {
	case !exists:
		return nil
	case template:
		return d.errorf("restore into %q: it is a template database; %w", db, dump.ErrTargetUnchanged)
	case opts.Force:
		return nil
	}
	held, err := d.userObjects(ctx, db)
	if err != nil {
		return errors.Join(err, dump.ErrTargetUnchanged)
	}
	if held != "" {
		return d.errorf("restore into %q: %w: it holds %s; %w", db, dump.ErrTargetNotEmpty, held, dump.ErrTargetUnchanged)
	}
	return nil
}

func databaseState(ctx context.Context, conn *pgx.Conn, db string) (exists, template bool, err error) {
	err = conn.QueryRow(ctx, `SELECT datistemplate FROM pg_database WHERE datname = $1`, db).Scan(&template)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, false, nil
	}
	return err == nil, template, err
}

// userObjects describes what a user made in database db ("" when empty).
func (d *Dumper) userObjects(ctx context.Context, db string) (string, error) {
	conn, err := d.connect(ctx, db)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	const q = `WITH ns AS (
			SELECT oid, nspname FROM pg_namespace
			WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname !~ '^pg_(toast|temp_|toast_temp_)'
		), objs AS (
			SELECT CASE classid WHEN 'pg_class'::regclass THEN 'relation'
				WHEN 'pg_proc'::regclass THEN 'function'
				WHEN 'pg_type'::regclass THEN 'type'
				ELSE 'other object' END AS kind
			FROM pg_depend WHERE refclassid = 'pg_namespace'::regclass AND deptype = 'n' AND refobjid IN (SELECT oid FROM ns)
			UNION ALL SELECT 'schema' FROM ns WHERE nspname <> 'public'
			UNION ALL SELECT 'extension' FROM pg_extension WHERE extname <> 'plpgsql'
			UNION ALL SELECT 'large object' FROM pg_largeobject_metadata
			UNION ALL SELECT 'event trigger' FROM pg_event_trigger
			UNION ALL SELECT 'publication' FROM pg_publication
		)
		SELECT kind, count(*) FROM objs GROUP BY kind ORDER BY kind`
	rows, err := conn.Query(ctx, q)
	if err != nil {
		return "", d.errorf("inspecting database %q: %w", db, err)
	}
	type row struct {
		Kind string
		N    int64
	}
	counts, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
	if err != nil {
		return "", d.errorf("inspecting database %q: %w", db, err)
	}
	var parts []string
	for _, c := range counts {
		s := fmt.Sprintf("%d %s", c.N, c.Kind)
		if c.N != 1 {
			s += "s"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", "), nil
}

// Restore loads the archive read from r into a scratch database created
// with opts.Database's properties, applies the database's settings,
// comment and privileges, and only then puts it in place of db in one
// transaction. See dump.Dumper.
func (d *Dumper) Restore(ctx context.Context, db string, r io.Reader, opts dump.RestoreOptions) error {
	if err := d.CheckTarget(ctx, db, opts); err != nil {
		return err
	}
	tool, err := dump.LookTool("restore tool", d.Tools.Restore, "pg_restore")
	if err != nil {
		return errors.Join(err, dump.ErrTargetUnchanged)
	}
	unchanged := func(format string, args ...any) error {
		return d.errorf("restore into %q: "+format+"; %w", append(append([]any{db}, args...), dump.ErrTargetUnchanged)...)
	}

	// The table of contents comes first: read it to learn the owners the
	// archive names before anything is created.
	head, toc, err := peekTOC(r)
	if err != nil {
		return unchanged("reading the archive: %w", err)
	}
	input := io.MultiReader(bytes.NewReader(head), r)
	check := NewCheck()
	input = io.TeeReader(input, check)

	conn, err := d.connectMaintenanceExcept(ctx, db)
	if err != nil {
		return errors.Join(err, dump.ErrTargetUnchanged)
	}
	defer conn.Close(context.WithoutCancel(ctx))

	plan, err := d.planDatabase(ctx, conn, db, opts, toc)
	if err != nil {
		return unchanged("%w", err)
	}
	d.sweepBefore(ctx, d.logger.With("database", db))
	scratch := scratchName()
	if d.onScratch != nil {
		d.onScratch(scratch)
	}
	if err := lockScratch(ctx, conn, scratch); err != nil {
		return unchanged("%w", err)
	}
	if err := d.createDatabase(ctx, conn, scratch, plan); err != nil {
		return unchanged("%w", err)
	}
	log := d.logger.With("database", db, "scratch", scratch)
	placed := false
	defer func() {
		if !placed {
			d.dropDatabase(ctx, conn, scratch, log)
		}
	}()

	err = d.withPassFile(func(dir string, env []string) error {
		args := append(connArgs(d.conn), restoreFlags...)
		if opts.NoOwner {
			args = append(args, "--no-owner")
		}
		args = append(args, dbnameArg(scratch))
		cmd := d.command(tool, dir, env, args)
		cmd.Stdin = input
		stderr, err := cmd.Run(ctx)
		if err == nil && stderr != "" {
			log.Warn("restore tool wrote to stderr", "stderr", stderr)
		}
		return err
	})
	if err != nil {
		return unchanged("%w", explainRestoreError(err))
	}
	// pg_restore stops reading at the last block it needs; what it left
	// must still be the rest of one whole archive.
	if _, err := io.Copy(io.Discard, input); err != nil {
		return unchanged("reading the archive: %w", err)
	}
	if err := check.Complete(); err != nil {
		return unchanged("%w", err)
	}
	if err := d.applyProps(ctx, conn, scratch, plan, log); err != nil {
		return unchanged("%w", err)
	}
	old, err := d.putInPlace(ctx, conn, scratch, db, opts.Force, log)
	if err != nil {
		return unchanged("%w", err)
	}
	placed = true
	if old != "" {
		d.dropDatabase(ctx, conn, old, log)
	}
	return nil
}

// peekTOC reads r until the archive's table of contents has passed and
// returns the bytes read and the check that parsed them. A TOC larger than
// maxPeekBytes is not waited for: the owners are then checked by the
// restore itself.
func peekTOC(r io.Reader) ([]byte, *archiveCheck, error) {
	c := newArchiveCheck()
	c.collectOwners()
	var head []byte
	buf := make([]byte, 64<<10)
	for !c.tocDone && c.err == nil && len(head) < maxPeekBytes {
		n, err := r.Read(buf)
		head = append(head, buf[:n]...)
		c.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
	}
	if c.err != nil {
		return nil, nil, c.err
	}
	if !c.tocDone && len(head) < maxPeekBytes {
		return nil, nil, c.Complete()
	}
	return head, c, nil
}

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
		return nil, missingRolesError(missing)
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

// ErrMissingRole marks (errors.Is) a restore refused because a role the
// backup needs does not exist on the target server.
var ErrMissingRole = errors.New("role missing on the target server")

// MissingRoleError names the roles and what to do about them.
type MissingRoleError struct {
	Roles []string
	// Owner is true when the roles own objects (--no-owner helps), false
	// when the backup grants them privileges.
	Owner bool
	Err   error // the tool's error, if it reported the role
}

func (e *MissingRoleError) Error() string {
	quoted := make([]string, len(e.Roles))
	for i, r := range e.Roles {
		quoted[i] = fmt.Sprintf("%q", r)
	}
	msg := "role " + quoted[0] + " does not exist on the target server"
	if len(quoted) > 1 {
		msg = "roles " + strings.Join(quoted, ", ") + " do not exist on the target server"
	}
	if e.Owner {
		msg += " (objects in the backup belong to it); create it, or restore with --no-owner to give every object to the restoring user"
	} else {
		msg += "; create it: the backup grants it privileges or gives it objects (--no-owner helps only with the latter)"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *MissingRoleError) Is(target error) bool { return target == ErrMissingRole }

func (e *MissingRoleError) Unwrap() error { return e.Err }

func missingRolesError(roles []string) error {
	return &MissingRoleError{Roles: roles, Owner: true}
}

var missingRolePattern = regexp.MustCompile(`role "([^"]+)" does not exist`)

// explainRestoreError names the cause of well-known pg_restore failures in
// words an operator can act on, keeping the tool's own message.
func explainRestoreError(err error) error {
	var xe *dump.ExitError
	if !errors.As(err, &xe) {
		return err
	}
	if m := missingRolePattern.FindStringSubmatch(xe.Stderr); m != nil {
		return &MissingRoleError{Roles: []string{m[1]}, Err: err}
	}
	return err
}

// scratchName returns a fresh name for a database a restore works in.
func scratchName() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return ScratchPrefix + hex.EncodeToString(b[:])
}

// execf runs a statement that the server renders with its own format():
// %I quotes an identifier, %L a literal. Nothing from a manifest is ever
// spliced into SQL by hand.
func execf(ctx context.Context, conn querier, format string, args ...string) error {
	params := []any{format}
	ph := []string{"$1::text"}
	for i, a := range args {
		params = append(params, a)
		ph = append(ph, fmt.Sprintf("$%d::text", i+2))
	}
	var stmt string
	if err := conn.QueryRow(ctx, "SELECT format("+strings.Join(ph, ", ")+")", params...).Scan(&stmt); err != nil {
		return err
	}
	_, err := conn.Exec(ctx, stmt)
	return err
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
