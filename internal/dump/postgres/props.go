package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/dump/dumpoptions"
)

// readProps reads the properties of database db that its dump does not
// carry (pg_dump writes them only with --create, naming the source): its
// encoding and locale, owner, comment, privileges and per-database settings.
func readProps(ctx context.Context, conn *pgx.Conn, db string) (*backup.DatabaseProps, error) {
	var version int
	if err := conn.QueryRow(ctx, `SELECT current_setting('server_version_num')::int`).Scan(&version); err != nil {
		return nil, err
	}
	// The locale provider exists since 15; its locale column was renamed in 17.
	provider, locale := `''`, `''`
	switch {
	case version >= 170000:
		provider, locale = `d.datlocprovider::text`, `coalesce(d.datlocale, '')`
	case version >= 150000:
		provider, locale = `d.datlocprovider::text`, `coalesce(d.daticulocale, '')`
	}
	p := &backup.DatabaseProps{}
	var acl []string
	err := conn.QueryRow(ctx, `SELECT pg_encoding_to_char(d.encoding), d.datcollate::text, d.datctype::text, `+provider+`, `+locale+`,
			pg_get_userbyid(d.datdba)::text, coalesce(shobj_description(d.oid, 'pg_database'), ''), d.datacl::text[]
		FROM pg_database d WHERE d.datname = $1`, db).
		Scan(&p.CharacterSet, &p.Collation, &p.CType, &p.LocaleProvider, &p.ICULocale, &p.Owner, &p.Comment, &acl)
	if err != nil {
		return nil, err
	}
	p.LocaleProvider = providerNames[p.LocaleProvider]
	p.ACL = acl
	rows, err := conn.Query(ctx, `SELECT coalesce(r.rolname::text, ''), c.setting
		FROM pg_db_role_setting s
		JOIN pg_database d ON d.oid = s.setdatabase
		LEFT JOIN pg_roles r ON r.oid = s.setrole
		CROSS JOIN LATERAL unnest(s.setconfig) WITH ORDINALITY AS c(setting, n)
		WHERE d.datname = $1 AND (s.setrole = 0 OR r.oid IS NOT NULL)
		ORDER BY 1, c.n`, db)
	if err != nil {
		return nil, err
	}
	type row struct{ Role, Setting string }
	settings, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
	if err != nil {
		return nil, err
	}
	for _, s := range settings {
		name, value, ok := strings.Cut(s.Setting, "=")
		if !ok {
			continue
		}
		p.Settings = append(p.Settings, backup.Setting{Role: s.Role, Name: name, Value: value})
	}
	return p, nil
}

// providerNames maps pg_database.datlocprovider to the names CREATE
// DATABASE's LOCALE_PROVIDER takes.
var providerNames = map[string]string{"c": "libc", "i": "icu", "b": "builtin"}

var (
	isEncodingName = dumpoptions.Matches(`^[A-Za-z0-9_]{1,32}$`)
	// Locale names: libc (en_US.UTF-8, de_DE@euro), ICU (und-u-ks-level2)
	// and the builtin provider's (C.UTF-8). Spaces appear on Windows.
	isLocaleName = dumpoptions.Matches(`^[A-Za-z0-9_.@=+ -]{0,128}$`)
	// A configuration parameter name, custom ones included (myapp.flag).
	isSettingName = dumpoptions.Matches(`^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)*$`)
)

// validateProps checks what a manifest says about a database before any of
// it reaches the server. Everything is also quoted by the server when used;
// this refuses what no PostgreSQL could have written.
func validateProps(p *backup.DatabaseProps) error {
	if p == nil {
		return nil
	}
	bad := func(what, v string) error { return fmt.Errorf("manifest: implausible database %s %q", what, v) }
	switch {
	case p.CharacterSet != "" && !isEncodingName(p.CharacterSet):
		return bad("encoding", p.CharacterSet)
	case !isLocaleName(p.Collation):
		return bad("LC_COLLATE", p.Collation)
	case !isLocaleName(p.CType):
		return bad("LC_CTYPE", p.CType)
	case !isLocaleName(p.ICULocale):
		return bad("provider locale", p.ICULocale)
	case p.LocaleProvider != "" && p.LocaleProvider != "libc" && p.LocaleProvider != "icu" && p.LocaleProvider != "builtin":
		return bad("locale provider", p.LocaleProvider)
	case checkRoleName(p.Owner) != nil:
		return bad("owner", p.Owner)
	case strings.ContainsRune(p.Comment, 0):
		return bad("comment", p.Comment)
	}
	for _, s := range p.Settings {
		if !isSettingName(s.Name) || strings.ContainsRune(s.Value, 0) || checkRoleName(s.Role) != nil {
			return bad("setting", s.Role+" "+s.Name)
		}
	}
	for _, item := range p.ACL {
		if _, err := parseACLItem(item); err != nil {
			return err
		}
	}
	return nil
}

// checkRoleName accepts "" and the names a role can have.
func checkRoleName(r string) error {
	if len(r) > 63 || strings.ContainsRune(r, 0) {
		return fmt.Errorf("implausible role name %q", r)
	}
	return nil
}

// aclItem is one entry of a database's privileges.
type aclItem struct {
	Grantee   string   // "" is PUBLIC
	Privs     []string // CREATE, TEMPORARY, CONNECT
	Grantable []string // those of Privs held WITH GRANT OPTION
}

// databasePrivs are the letters of a database's aclitem.
var databasePrivs = map[byte]string{'C': "CREATE", 'T': "TEMPORARY", 'c': "CONNECT"}

// parseACLItem parses the text form of a database's aclitem,
// grantee=privileges/grantor, where a name is double-quoted when it holds
// anything but letters, digits and underscores, and * marks a privilege
// held with grant option.
func parseACLItem(s string) (aclItem, error) {
	bad := func(why string) (aclItem, error) {
		return aclItem{}, fmt.Errorf("manifest: database privilege %q: %s", s, why)
	}
	grantee, rest, err := cutACLName(s)
	if err != nil || !strings.HasPrefix(rest, "=") {
		return bad("no grantee")
	}
	privs, grantor, ok := strings.Cut(rest[1:], "/")
	if !ok {
		return bad("no grantor")
	}
	if _, tail, err := cutACLName(grantor); err != nil || tail != "" {
		return bad("bad grantor")
	}
	item := aclItem{Grantee: grantee}
	for i := 0; i < len(privs); i++ {
		name, ok := databasePrivs[privs[i]]
		if !ok {
			return bad(fmt.Sprintf("unknown privilege %q", privs[i]))
		}
		item.Privs = append(item.Privs, name)
		if i+1 < len(privs) && privs[i+1] == '*' {
			item.Grantable = append(item.Grantable, name)
			i++
		}
	}
	if checkRoleName(grantee) != nil {
		return bad("bad grantee")
	}
	return item, nil
}

// cutACLName reads one role name from the start of s.
func cutACLName(s string) (name, rest string, err error) {
	if !strings.HasPrefix(s, `"`) {
		i := strings.IndexAny(s, "=/")
		if i < 0 {
			return s, "", nil
		}
		return s[:i], s[i:], nil
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != '"' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '"' {
			b.WriteByte('"')
			i++
			continue
		}
		return b.String(), s[i+1:], nil
	}
	return "", "", fmt.Errorf("unterminated quoted name")
}

// listSettings are the parameters whose value is a list of quoted
// elements (GUC_LIST_QUOTE): they must be set element by element, or the
// whole list becomes one element.
var listSettings = map[string]bool{
	"local_preload_libraries":   true,
	"search_path":               true,
	"session_preload_libraries": true,
	"shared_preload_libraries":  true,
	"temp_tablespaces":          true,
	"unix_socket_directories":   true,
}

// settingValues returns the literals to set parameter name to: one, or
// for a list parameter each element, unquoted.
func settingValues(name, value string) []string {
	if !listSettings[strings.ToLower(name)] {
		return []string{value}
	}
	var out []string
	s := value
	for {
		s = strings.TrimLeft(s, " \t\n\r")
		if s == "" {
			break
		}
		var elem string
		if s[0] == '"' {
			var b strings.Builder
			i := 1
			for ; i < len(s); i++ {
				if s[i] == '"' {
					if i+1 < len(s) && s[i+1] == '"' {
						b.WriteByte('"')
						i++
						continue
					}
					break
				}
				b.WriteByte(s[i])
			}
			elem, s = b.String(), s[min(i+1, len(s)):]
		} else {
			i := strings.IndexAny(s, ", \t\n\r")
			if i < 0 {
				i = len(s)
			}
			elem, s = s[:i], s[i:]
		}
		out = append(out, elem)
		s = strings.TrimLeft(s, " \t\n\r")
		if !strings.HasPrefix(s, ",") {
			break
		}
		s = s[1:]
	}
	if len(out) == 0 {
		return []string{""}
	}
	return out
}
