package config

import (
	"strings"
	"testing"
)

func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "pw", "p@ss ${NOT_EXPANDED}\r\n\n")
	writeFile(t, dir, "empty", "\n")
	c := mustParse(t, `
servers:
  - {name: main, type: mysql, host: h, user: u, password_file: pw}
storages:
  - {name: local, type: local, path: p}
`, dir, nil)
	if got, want := c.Servers[0].Password.Value(), "p@ss ${NOT_EXPANDED}"; got != want {
		t.Errorf("password = %q, want %q (trailing newlines trimmed, not expanded)", got, want)
	}

	wantProblems(t, `
servers:
  - {name: a, type: mysql, host: h, user: u, password: x, password_file: pw}
  - {name: b, type: mysql, host: h, user: u, password_file: empty}
  - {name: c, type: mysql, host: h, user: u, password_file: "."}
  - {name: d, type: mysql, host: h, user: u, password_file: ""}
storages:
  - {name: local, type: local, path: p}
`, dir, nil,
		"servers[0].password_file: cannot be used together with password",
		`servers[1].password_file: "empty" is empty`,
		`servers[2].password_file: cannot read ".": is a directory`,
		"servers[3].password_file: must not be empty",
	)
}

func TestEnvironmentExpansionBeforeTyping(t *testing.T) {
	env := map[string]string{"PORT": "3307", "STYLE": "true", "SIZE": "16MiB", "AGE": "14d"}
	c := mustParse(t, `
servers:
  - {name: main, type: mysql, host: h, port: "${PORT}", user: u}
storages:
  - {name: s, type: s3, bucket: bkt, path_style: "${STYLE}", part_size: "${SIZE}", retention: {manual: {max_age: "${AGE}"}}}
`, "", env)
	if c.Servers[0].Port != 3307 || !c.Storages[0].PathStyle || c.Storages[0].PartSize != 16*MiB ||
		c.Storages[0].Retention["manual"].MaxAge.String() != "14d" {
		t.Errorf("expanded values were not typed: %+v %+v", c.Servers[0], c.Storages[0])
	}
	// Keys are never expanded.
	wantProblems(t, minimal+"${KEY}: 1\n", "", map[string]string{"KEY": "schedule_timezone"},
		"${KEY}: unknown field")
}

func TestAnchorsAndMergeKeys(t *testing.T) {
	c := mustParse(t, `
servers:
  - &server {name: a, type: mysql, host: db, user: backup, port: 3307}
  - <<: *server
    name: b
    port: 3308
  - <<: [{name: c, user: first}, *server]
storages:
  - {name: local, type: local, path: p, retention: {daily: &keep {keep: 3}, manual: *keep}}
backup_types:
  daily: {schedule: "@daily"}
`, "", nil)
	want := []struct {
		name, user string
		port       int
	}{{"a", "backup", 3307}, {"b", "backup", 3308}, {"c", "first", 3307}}
	for i, w := range want {
		s := c.Servers[i]
		if s.Name != w.name || s.User != w.user || s.Port != w.port || s.Host != "db" {
			t.Errorf("servers[%d] = %+v, want name %s, user %s, port %d", i, s, w.name, w.user, w.port)
		}
	}
	if got := *c.Storages[0].Retention["manual"].Keep; got != 3 {
		t.Errorf("aliased retention keep = %d, want 3", got)
	}
}

func TestDecodeProblems(t *testing.T) {
	wantProblems(t, `
servers:
  - name: main
    type: mysql
    host: h
    host: h2
    user: [u]
    databases: [{a: b}]
    port: 99999999999999999999
storages:
  - {name: local, type: local, path: p, retention: [1]}
http: {auth: {metrics_public: yes}}
encryption: recipients
`, "", nil,
		"servers[0].host: duplicate key (first given on line 5)",
		"servers[0].user: must be a string",
		"servers[0].databases[0]: must be a string",
		"servers[0].port: must be an integer",
		"storages[0].retention: must be a mapping",
		"http.auth.metrics_public: must be true or false",
		"encryption: must be a mapping",
	)
}

func TestDocumentProblems(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"syntax", "servers:\n  - name: a\n    host: h: 1\n", "line 3: mapping values are not allowed in this context"},
		{"two documents", minimal + "---\nservers: []\n", "line 6: only one YAML document is allowed"},
		{"not a mapping", "- a\n- b\n", "line 1: the configuration must be a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantProblems(t, tt.doc, "", nil, tt.want)
		})
	}
	wantProblems(t, "# nothing yet\n", "", nil,
		"servers: at least one server is required",
		"storages: at least one storage is required")
}

// Problems found while decoding and while validating come out in the order
// their paths appear in the file.
func TestProblemsInDocumentOrder(t *testing.T) {
	wantProblems(t, `
compression: {codec: lz4}
servers:
  - {name: Main, type: mysql, host: h, port: x}
storages:
  - {name: local, type: local}
catalog: {driver: oracle}
`, "", nil,
		`compression.codec: must be zstd, gzip or none, not "lz4"`,
		`servers[0].name: invalid server name "Main": must match ^[a-z0-9][a-z0-9_-]*$`,
		"servers[0].port: must be an integer",
		"servers[0].user: required",
		"storages[0].path: required for type local",
		`catalog.driver: must be sqlite, postgres or mysql, not "oracle"`,
	)
}

func TestUnknownFieldSuggestions(t *testing.T) {
	wantProblems(t, minimal+"http: {listen: ':1', auht: {}, frobnicate: 1}\n", "", nil,
		"http.auht: unknown field (did you mean auth?)",
		"http.frobnicate: unknown field",
	)
}

// Secrets reach problems through many paths; none may carry the value.
func TestProblemsNeverShowSecrets(t *testing.T) {
	const secret = "hunter2"
	dir := t.TempDir()
	writeFile(t, dir, "dsn", "not a url "+secret)
	env := map[string]string{"S": secret}
	doc := `
catalog: {driver: postgres, dsn: "${S:-x}${S"}
servers:
  - {name: main, type: mysql, host: h, user: u, port: "${S}", password: {v: hunter2},
     dump_options: ["--password=${S}", "-p${S}", "--max-allowed-packet=${S}", "--ignore-table ${S}"]}
storages:
  - {name: s, type: s3, bucket: bkt, secret_access_key: "${S}", endpoint: "${S:-y}${ hunter2 }"}
http: {auth: {tokens: [{name: t, role: admin, token_sha256: "${S}"}]}}
notifications: {webhooks: [{url: "${S}"}, {url: "ftp://u:${S}@h/"}]}
`
	lines := problemLines(t, doc, dir, env)
	if len(lines) < 10 {
		t.Errorf("got only %d problems:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	for _, l := range lines {
		if strings.Contains(l, secret) {
			t.Errorf("problem shows the secret: %s", l)
		}
	}
}
