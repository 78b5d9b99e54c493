package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// loadEnv writes doc (when not "") into a temporary directory and loads it
// with environ.
func loadEnv(t *testing.T, doc string, environ ...string) (*Config, []Setting, error) {
	t.Helper()
	path := ""
	if doc != "" {
		path = writeFile(t, t.TempDir(), "gosqlguard.yaml", doc)
	}
	return LoadSettings(path, environ)
}

func mustLoadEnv(t *testing.T, doc string, environ ...string) (*Config, []Setting) {
	t.Helper()
	c, settings, err := loadEnv(t, doc, environ...)
	if err != nil {
		t.Fatalf("LoadSettings: unexpected problems:\n%v", err)
	}
	return c, settings
}

// envProblems loads and returns the problems, one "path: message" each.
func envProblems(t *testing.T, doc string, environ ...string) []string {
	t.Helper()
	c, _, err := loadEnv(t, doc, environ...)
	var cfgErr *Error
	if !errors.As(err, &cfgErr) {
		t.Fatalf("LoadSettings returned (%v, %v), want an *Error", c, err)
	}
	lines := make([]string, len(cfgErr.Problems))
	for i, p := range cfgErr.Problems {
		lines[i] = p.Error()
	}
	return lines
}

func wantEnvProblems(t *testing.T, doc string, environ []string, want ...string) {
	t.Helper()
	got := envProblems(t, doc, environ...)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\ngot:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestEnvOverridesFile(t *testing.T) {
	c, _ := mustLoadEnv(t, minimal+"http: {listen: '127.0.0.1:8080'}\ndaemon: {lease_ttl: 10s}\n",
		"GOSQLGUARD_HTTP_LISTEN=0.0.0.0:9090",
		"GOSQLGUARD_SERVERS_0_PORT=3307",
		"GOSQLGUARD_SERVERS_0_HOST=db.internal",
		"GOSQLGUARD_DAEMON_LEASE_TTL=1m",
		"GOSQLGUARD_STORAGES_0_IDLE_TIMEOUT=2m",
		"GOSQLGUARD_HTTP_SECURE_COOKIES=TRUE",
		"GOSQLGUARD_CONFIG=/not/a/key", // the file's path, not a key
		"UNRELATED=1",
	)
	for _, ch := range []struct {
		name      string
		got, want any
	}{
		{"http.listen", c.HTTP.Listen, "0.0.0.0:9090"},
		{"servers[0].port", c.Servers[0].Port, 3307},
		{"servers[0].host", c.Servers[0].Host, "db.internal"},
		{"servers[0].user (file)", c.Servers[0].User, "backup"},
		{"daemon.lease_ttl", c.Daemon.LeaseTTL.D(), time.Minute},
		{"storages[0].idle_timeout", c.Storages[0].IdleTimeout.D(), 2 * time.Minute},
		{"http.secure_cookies", c.HTTP.SecureCookies, true},
	} {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %#v, want %#v", ch.name, ch.got, ch.want)
		}
	}
}

func TestEnvListIndexes(t *testing.T) {
	c, _ := mustLoadEnv(t, minimal,
		"GOSQLGUARD_SERVERS_1_NAME=pg",
		"GOSQLGUARD_SERVERS_1_TYPE=postgres",
		"GOSQLGUARD_SERVERS_1_SOCKET=/run/postgresql",
		"GOSQLGUARD_SERVERS_1_USER=postgres",
		"GOSQLGUARD_SERVERS_2_NAME=third",
		"GOSQLGUARD_SERVERS_2_TYPE=mysql",
		"GOSQLGUARD_SERVERS_2_HOST=h3",
		"GOSQLGUARD_SERVERS_2_USER=u",
	)
	if len(c.Servers) != 3 || c.Servers[0].Name != "main" || c.Servers[1].Name != "pg" || c.Servers[2].Name != "third" {
		t.Fatalf("servers = %+v, want main, pg, third", c.Servers)
	}
	if s := c.Servers[1]; s.Type != "postgres" || s.Socket != "/run/postgresql" || s.Port != 0 {
		t.Errorf("servers[1] = %+v", s)
	}
	if c.Servers[2].Port != 3306 {
		t.Errorf("servers[2].port = %d, want the default 3306", c.Servers[2].Port)
	}

	// An index must follow the list: 1 without 0 when the file has none.
	wantEnvProblems(t, "storages: [{name: l, type: local, path: p}]\n",
		[]string{"GOSQLGUARD_SERVERS_1_HOST=h"},
		"GOSQLGUARD_SERVERS_1_HOST: index 1 skips index 0: the list has 0 item(s), so set GOSQLGUARD_SERVERS_0_* first",
		"servers: at least one server is required")
	// 10 sorts after 2 (by number), so 3..9 are missing.
	got := envProblems(t, minimal, "GOSQLGUARD_SERVERS_1_NAME=a", "GOSQLGUARD_SERVERS_10_NAME=b")
	if want := "GOSQLGUARD_SERVERS_10_NAME: index 10 skips index 2"; !strings.HasPrefix(strings.Join(got, "\n"), "GOSQLGUARD_SERVERS_1_TYPE: required") ||
		!strings.Contains(strings.Join(got, "\n"), want) {
		t.Errorf("problems %q, want ones for the server made from the variables and %q", got, want)
	}
	// A server the variables made is reported with the variables' names.
	wantEnvProblems(t, minimal, []string{"GOSQLGUARD_SERVERS_1_NAME=pg", "GOSQLGUARD_SERVERS_1_HOST=h"},
		"GOSQLGUARD_SERVERS_1_TYPE: required (mysql or postgres)",
		"GOSQLGUARD_SERVERS_1_USER: required")
	// A leading zero is not an index.
	got = envProblems(t, minimal, "GOSQLGUARD_SERVERS_00_HOST=h")
	if want := "GOSQLGUARD_SERVERS_00_HOST: unknown setting; did you mean GOSQLGUARD_SERVERS_0_HOST?"; strings.Join(got, "\n") != want {
		t.Errorf("problems %q, want %q", got, want)
	}
}

// serverLast ends with the server's mapping, for adding its keys.
const serverLast = `
storages:
  - {name: local, type: local, path: ./backups}
servers:
  - name: main
    type: mysql
    host: 127.0.0.1
    user: backup
`

// envOnly is a complete configuration in variables.
var envOnly = []string{
	"GOSQLGUARD_SERVERS_0_NAME=main",
	"GOSQLGUARD_SERVERS_0_TYPE=mysql",
	"GOSQLGUARD_SERVERS_0_SOCKET=/run/mysqld/mysqld.sock",
	"GOSQLGUARD_SERVERS_0_USER=root",
	"GOSQLGUARD_SERVERS_0_DATABASES= shop, crm ",
	"GOSQLGUARD_STORAGES_0_NAME=local",
	"GOSQLGUARD_STORAGES_0_TYPE=local",
	"GOSQLGUARD_STORAGES_0_PATH=./backups",
}

func TestEnvOnly(t *testing.T) {
	c, settings := mustLoadEnv(t, "", envOnly...)
	if s := c.Servers[0]; s.Name != "main" || s.Socket != "/run/mysqld/mysqld.sock" || s.User != "root" ||
		!reflect.DeepEqual(s.Databases, []string{"shop", "crm"}) {
		t.Errorf("servers[0] = %+v", s)
	}
	if s := c.Storages[0]; s.Name != "local" || s.Path != "./backups" || s.IdleTimeout != DefaultIdleTimeout {
		t.Errorf("storages[0] = %+v", s)
	}
	if c.Catalog.Driver != "sqlite" || c.Catalog.DSN.Value() != DefaultCatalogDSN {
		t.Errorf("catalog = %+v, want the defaults", c.Catalog)
	}
	want := map[string]Setting{
		"servers[0].databases": {"servers[0].databases", "[shop, crm]", "env GOSQLGUARD_SERVERS_0_DATABASES"},
		"catalog.driver":       {"catalog.driver", "sqlite", "default"},
		"catalog.dsn":          {"catalog.dsn", "<secret>", "default"},
		"daemon.lease_ttl":     {"daemon.lease_ttl", "30s", "default"},
	}
	for _, s := range settings {
		if w, ok := want[s.Path]; ok {
			if s != w {
				t.Errorf("setting %+v, want %+v", s, w)
			}
			delete(want, s.Path)
		}
	}
	if len(want) != 0 {
		t.Errorf("settings lack %v:\n%+v", want, settings)
	}

	// An empty list clears the file's.
	c, _ = mustLoadEnv(t, serverLast+"    databases: [a, b]\n", "GOSQLGUARD_SERVERS_0_DATABASES=")
	if len(c.Servers[0].Databases) != 0 {
		t.Errorf("databases = %q, want none", c.Servers[0].Databases)
	}
	// Items are checked one by one and reported with their position.
	wantEnvProblems(t, "", append(envOnly[:4:4], "GOSQLGUARD_SERVERS_0_DATABASES=a,,a", "GOSQLGUARD_STORAGES_0_NAME=l",
		"GOSQLGUARD_STORAGES_0_TYPE=local", "GOSQLGUARD_STORAGES_0_PATH=p"),
		"GOSQLGUARD_SERVERS_0_DATABASES: item 2: must not be empty",
		`GOSQLGUARD_SERVERS_0_DATABASES: item 3: database "a" is listed twice`)
}

func TestEnvUnknown(t *testing.T) {
	for _, tc := range []struct{ env, want string }{
		{"GOSQLGUARD_SERVERS_0_HOSTNAME=h", "GOSQLGUARD_SERVERS_0_HOSTNAME: unknown setting; did you mean GOSQLGUARD_SERVERS_0_HOST?"},
		{"GOSQLGUARD_SERVERS_0_PASWORD_FILE=x", "GOSQLGUARD_SERVERS_0_PASWORD_FILE: unknown setting; did you mean GOSQLGUARD_SERVERS_0_PASSWORD_FILE?"},
		{"GOSQLGUARD_DEAMON_LEASE_TTL=1m", "GOSQLGUARD_DEAMON_LEASE_TTL: unknown setting; did you mean GOSQLGUARD_DAEMON_LEASE_TTL?"},
		{"GOSQLGUARD_BACKUP_TYPES_DAILY_SCHEDUEL=@daily", "GOSQLGUARD_BACKUP_TYPES_DAILY_SCHEDUEL: unknown setting; did you mean GOSQLGUARD_BACKUP_TYPES_DAILY_SCHEDULE?"},
		{"GOSQLGUARD_http_listen=:1", "GOSQLGUARD_http_listen: unknown setting; did you mean GOSQLGUARD_HTTP_LISTEN?"},
		{"GOSQLGUARD_CONFIGFILE=x", "GOSQLGUARD_CONFIGFILE: unknown setting"},
		{"GOSQLGUARD_DAEMON=x", "GOSQLGUARD_DAEMON: names a section, not a setting: set each of its keys, e.g. GOSQLGUARD_DAEMON_LEASE_TTL"},
	} {
		got := envProblems(t, minimal, tc.env)
		if strings.Join(got, "\n") != tc.want {
			t.Errorf("%s: problems %q, want %q", tc.env, got, tc.want)
		}
	}
}

func TestEnvBadValues(t *testing.T) {
	wantEnvProblems(t, minimal+"daemon: {lease_ttl: 1m}\ncompression: {codec: zstd, level: 22}\nbackup_types: {daily: {schedule: '@daily'}}\n",
		[]string{
			"GOSQLGUARD_DAEMON_LEASE_TTL=1s",
			"GOSQLGUARD_SERVERS_0_PORT=33o6",
			"GOSQLGUARD_STORAGES_0_PATH_STYLE=yes",
			"GOSQLGUARD_COMPRESSION_CODEC=gzip",
			"GOSQLGUARD_CONCURRENCY_TOTAL=0",
			"GOSQLGUARD_BACKUP_TYPES_DAILY_SCHEDULE=@sometimes",
		},
		// File problems first, then the variables' in the order they
		// apply (backup_types, compression, concurrency, daemon, servers).
		"compression.level: must be between 1 and 9 for gzip",
		`GOSQLGUARD_BACKUP_TYPES_DAILY_SCHEDULE: invalid schedule "@sometimes": unknown shorthand "@sometimes" (use @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually or @every <duration>)`,
		"GOSQLGUARD_CONCURRENCY_TOTAL: must be between 1 and 64",
		"GOSQLGUARD_DAEMON_LEASE_TTL: must be between 3s and 1h",
		"GOSQLGUARD_SERVERS_0_PORT: must be an integer",
		"GOSQLGUARD_STORAGES_0_PATH_STYLE: must be true or false",
	)
}

func TestEnvSecrets(t *testing.T) {
	dir := t.TempDir()
	pwFile := writeFile(t, dir, "pw", "from-file\n")
	dsnFile := writeFile(t, dir, "dsn", "postgres://u:pw@db/catalog\n")

	// A value is never expanded: "$" is literal.
	c, settings := mustLoadEnv(t, minimal, "GOSQLGUARD_SERVERS_0_PASSWORD=hun$ter2${X}")
	if got := c.Servers[0].Password.Value(); got != "hun$ter2${X}" {
		t.Errorf("password = %q, want the value as given", got)
	}
	for _, s := range settings {
		if strings.Contains(s.Value, "hun") {
			t.Errorf("setting shows the secret: %+v", s)
		}
		if s.Path == "servers[0].password" && (s.Value != "<secret>" || s.Source != "env GOSQLGUARD_SERVERS_0_PASSWORD") {
			t.Errorf("setting %+v", s)
		}
	}

	// The _FILE form replaces the inline form of the file, and back.
	c, settings = mustLoadEnv(t, serverLast+"    password: inline\ncatalog: {driver: postgres, dsn: x}\n",
		"GOSQLGUARD_SERVERS_0_PASSWORD_FILE="+pwFile, "GOSQLGUARD_CATALOG_DSN_FILE="+dsnFile)
	if c.Servers[0].Password.Value() != "from-file" || c.Catalog.DSN.Value() != "postgres://u:pw@db/catalog" {
		t.Errorf("password %q, dsn %q: want the files' contents", c.Servers[0].Password.Value(), c.Catalog.DSN.Value())
	}
	found := false
	for _, s := range settings {
		if s.Path == "catalog.dsn" {
			found = s.Value == "<secret>" && s.Source == "env GOSQLGUARD_CATALOG_DSN_FILE"
		}
	}
	if !found {
		t.Errorf("settings lack catalog.dsn from GOSQLGUARD_CATALOG_DSN_FILE: %+v", settings)
	}
	c, _ = mustLoadEnv(t, serverLast+"    password_file: /nonexistent\n", "GOSQLGUARD_SERVERS_0_PASSWORD=s3cret")
	if c.Servers[0].Password.Value() != "s3cret" {
		t.Errorf("password = %q", c.Servers[0].Password.Value())
	}
	// Both forms from variables conflict.
	wantEnvProblems(t, minimal, []string{"GOSQLGUARD_SERVERS_0_PASSWORD=s3cret", "GOSQLGUARD_SERVERS_0_PASSWORD_FILE=" + pwFile},
		"GOSQLGUARD_SERVERS_0_PASSWORD_FILE: cannot be used together with password")

	// Problems never show a secret value.
	got := strings.Join(envProblems(t, minimal,
		"GOSQLGUARD_NOTIFICATIONS_WEBHOOKS_0_URL=hunter2",
		"GOSQLGUARD_NOTIFICATIONS_WEBHOOKS_0_EVENTS=failure,hunter3",
		"GOSQLGUARD_SERVERS_0_PASSWORD_FILE="+filepath.Join(dir, "missing")), "\n")
	want := `GOSQLGUARD_NOTIFICATIONS_WEBHOOKS_0_EVENTS: item 2: must be one of failure, success, drill_failure, anomaly, not "hunter3"` + "\n" +
		"GOSQLGUARD_NOTIFICATIONS_WEBHOOKS_0_URL: must be an http:// or https:// URL\n" +
		`GOSQLGUARD_SERVERS_0_PASSWORD_FILE: cannot read "` + filepath.Join(dir, "missing") + `": no such file or directory`
	if got != want {
		t.Errorf("problems:\n%s\nwant:\n%s", got, want)
	}
	if strings.Contains(got, "hunter2") {
		t.Errorf("problems show the secret:\n%s", got)
	}
}

func TestEnvMapKeys(t *testing.T) {
	c, _ := mustLoadEnv(t, minimal+"backup_types:\n  daily: {schedule: '@daily'}\n",
		"GOSQLGUARD_BACKUP_TYPES_DAILY_SCHEDULE=0 3 * * *",
		"GOSQLGUARD_BACKUP_TYPES_NIGHTLY_FULL_SCHEDULE=0 1 * * *", // a name with "_"
		"GOSQLGUARD_BACKUP_TYPES_NIGHTLY_FULL_STORAGES=local",
		"GOSQLGUARD_BACKUP_TYPES_HOURLY_SCHEDULE_SCHEDULE=@hourly", // the name "hourly_schedule"
		"GOSQLGUARD_BACKUP_TYPES_PRE-RELEASE_SERVERS=main",
		"GOSQLGUARD_BACKUP_TYPES_PRE-RELEASE_SCHEDULE=@weekly",
		"GOSQLGUARD_STORAGES_0_RETENTION_NIGHTLY_FULL_KEEP=7",
		"GOSQLGUARD_STORAGES_0_RETENTION_DAILY_MAX_AGE=30d",
	)
	bt := c.BackupTypes
	if bt["daily"].Schedule != "0 3 * * *" || bt["nightly_full"].Schedule != "0 1 * * *" ||
		!reflect.DeepEqual(bt["nightly_full"].Storages, []string{"local"}) || bt["hourly_schedule"].Schedule != "@hourly" ||
		!reflect.DeepEqual(bt["pre-release"].Servers, []string{"main"}) {
		t.Errorf("backup_types = %+v", bt)
	}
	r := c.Storages[0].Retention
	if r["nightly_full"].Keep == nil || *r["nightly_full"].Keep != 7 || r["daily"].MaxAge.D() != 30*24*time.Hour {
		t.Errorf("retention = %+v", r)
	}
	// A map key is checked as the file's would be.
	wantEnvProblems(t, minimal, []string{"GOSQLGUARD_STORAGES_0_RETENTION_WEEKLY_KEEP=3"},
		`GOSQLGUARD_STORAGES_0_RETENTION_WEEKLY: unknown backup type "weekly"`)
}

// Merge keys and aliases of the file survive: a variable edits its own use.
func TestEnvMergeAndAlias(t *testing.T) {
	doc := `
x-server: &base {type: mysql, host: h, user: u, databases: [a]}
servers:
  - {<<: *base, name: one}
  - {<<: *base, name: two}
storages:
  - {name: l, type: local, path: p, retention: &r {daily: {keep: 3}}}
  - {name: m, type: local, path: q, retention: *r}
backup_types: {daily: {schedule: '@daily'}}
`
	_, _, err := loadEnv(t, doc, "GOSQLGUARD_SERVERS_1_HOST=other", "GOSQLGUARD_STORAGES_1_RETENTION_DAILY_KEEP=9")
	// x-server is not a key of the schema: the file alone is invalid too.
	if err == nil || !strings.Contains(err.Error(), "x-server: unknown field") {
		t.Fatalf("err = %v", err)
	}
	doc = strings.Replace(doc, "x-server: &base {type: mysql, host: h, user: u, databases: [a]}\nservers:\n  - {<<: *base, name: one}",
		"servers:\n  - &one {type: mysql, host: h, user: u, databases: [a], name: one}", 1)
	doc = strings.Replace(doc, "{<<: *base, name: two}", "{<<: *one, name: two}", 1)
	c, _ := mustLoadEnv(t, doc, "GOSQLGUARD_SERVERS_1_HOST=other", "GOSQLGUARD_STORAGES_1_RETENTION_DAILY_KEEP=9")
	if c.Servers[0].Host != "h" || c.Servers[1].Host != "other" || c.Servers[1].User != "u" {
		t.Errorf("servers = %+v", c.Servers)
	}
	if *c.Storages[0].Retention["daily"].Keep != 3 || *c.Storages[1].Retention["daily"].Keep != 9 {
		t.Errorf("retention keeps %d and %d, want 3 and 9", *c.Storages[0].Retention["daily"].Keep, *c.Storages[1].Retention["daily"].Keep)
	}
}

func TestEnvSettingsSources(t *testing.T) {
	_, settings := mustLoadEnv(t, minimal+"concurrency: {total: 0}\n", "GOSQLGUARD_CONCURRENCY_TOTAL=4",
		"GOSQLGUARD_HTTP_AUTH_TOKENS_0_NAME=ci", "GOSQLGUARD_HTTP_AUTH_TOKENS_0_ROLE=viewer",
		"GOSQLGUARD_HTTP_AUTH_TOKENS_0_TOKEN_SHA256="+strings.Repeat("ab", 32))
	got := map[string]Setting{}
	for _, s := range settings {
		got[s.Path] = s
	}
	for _, want := range []Setting{
		{"servers[0].host", "127.0.0.1", "file"},
		{"servers[0].port", "3306", "default"},
		{"concurrency.total", "4", "env GOSQLGUARD_CONCURRENCY_TOTAL"},
		{"concurrency.per_server", "1", "default"},
		{"http.auth.tokens[0].token_sha256", "<secret>", "env GOSQLGUARD_HTTP_AUTH_TOKENS_0_TOKEN_SHA256"},
		{"storages[0].idle_timeout", "1m", "default"},
	} {
		if got[want.Path] != want {
			t.Errorf("setting %+v, want %+v", got[want.Path], want)
		}
	}
	if s, ok := got["storages[0].endpoint"]; ok {
		t.Errorf("an unset zero value is listed: %+v", s)
	}
}

func TestHasEnvSettings(t *testing.T) {
	for _, tc := range []struct {
		environ []string
		want    bool
	}{
		{nil, false},
		{[]string{"GOSQLGUARD_CONFIG=/etc/g.yaml", "PATH=/bin"}, false},
		{[]string{"GOSQLGUARD_HTTP_LISTEN=:1"}, true},
		{[]string{"GOSQLGUARD_TYPO=1"}, true},
	} {
		if got := HasEnvSettings(tc.environ); got != tc.want {
			t.Errorf("HasEnvSettings(%q) = %v, want %v", tc.environ, got, tc.want)
		}
	}
}

// Every variable docs/configuration.md names sets a key, except the ones it
// shows as mistakes.
func TestEnvDocsVariables(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	notKeys := map[string]bool{ConfigPathVar: true, "GOSQLGUARD_SERVERS_0_HOSTNAME": true}
	names := regexp.MustCompile(`GOSQLGUARD_[A-Za-z0-9_-]*[A-Za-z0-9-]\b`).FindAllString(string(doc), -1)
	if len(names) < 30 {
		t.Fatalf("found %d variables in the reference, want its examples", len(names))
	}
	for _, name := range names {
		if notKeys[name] {
			continue
		}
		rest := strings.TrimPrefix(name, EnvPrefix)
		if _, res := resolve(reflect.TypeFor[Config](), strings.Split(strings.ToLower(rest), "_")); res != isSetting {
			t.Errorf("%s sets no key", name)
		}
	}
}
