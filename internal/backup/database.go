package backup

// DatabaseProps are the properties of a dumped database itself, which the
// dump of its contents does not carry. They are read from the source server
// at backup time, recorded in the manifest, and applied by a restore to the
// database it creates. Fields an engine does not have stay empty.
type DatabaseProps struct {
	// CharacterSet is the MySQL/MariaDB default character set (e.g. latin1),
	// or the PostgreSQL encoding (e.g. UTF8).
	CharacterSet string `json:"character_set,omitempty"`
	// Collation is the MySQL/MariaDB default collation, or PostgreSQL's
	// LC_COLLATE.
	Collation string `json:"collation,omitempty"`
	// CType is PostgreSQL's LC_CTYPE.
	CType string `json:"ctype,omitempty"`
	// LocaleProvider is PostgreSQL's locale provider (libc | icu, and
	// builtin since 17) and ICULocale the provider's own locale, where it
	// has one: the ICU locale, or the builtin provider's (C.UTF-8).
	LocaleProvider string `json:"locale_provider,omitempty"`
	ICULocale      string `json:"icu_locale,omitempty"`
	// Owner is the PostgreSQL database owner's role name.
	Owner string `json:"owner,omitempty"`
	// Comment is the database's comment (PostgreSQL COMMENT ON DATABASE).
	Comment string `json:"comment,omitempty"`
	// ACL is PostgreSQL's datacl, one aclitem per entry (e.g. "app=CTc/owner");
	// nil means the default privileges.
	ACL []string `json:"acl,omitempty"`
	// Settings are PostgreSQL's ALTER DATABASE ... SET and ALTER ROLE ... IN
	// DATABASE ... SET settings, applied after the data is loaded.
	Settings []Setting `json:"settings,omitempty"`
}

// Setting is one per-database configuration setting.
type Setting struct {
	Role  string `json:"role,omitempty"` // empty: every role (ALTER DATABASE ... SET)
	Name  string `json:"name"`
	Value string `json:"value"`
}
