package config

import (
	"errors"
	"io/fs"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"filippo.io/age"
)

func TestDefaults(t *testing.T) {
	c := mustParse(t, minimal, "", nil)
	checks := []struct {
		name      string
		got, want any
	}{
		{"catalog.driver", c.Catalog.Driver, "sqlite"},
		{"catalog.dsn", c.Catalog.DSN.Value(), "./data/catalog.db"},
		{"servers[0].port", c.Servers[0].Port, 3306},
		{"schedule_timezone", c.ScheduleTimezone, "UTC"},
		{"concurrency", c.Concurrency, Concurrency{Total: 2, PerServer: 1}},
		{"compression", c.Compression, Compression{Codec: "zstd", Level: 3}},
		{"http.listen", c.HTTP.Listen, "127.0.0.1:8080"},
		{"backup_types", c.BackupTypes, map[string]BackupType{"manual": {}}},
		{"encryption", c.Encryption, (*Encryption)(nil)},
		{"storages[0].idle_timeout", c.Storages[0].IdleTimeout, DefaultIdleTimeout},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %#v, want %#v", ch.name, ch.got, ch.want)
		}
	}
}

func TestDefaultsDependOnOtherFields(t *testing.T) {
	tests := []struct {
		name, server string
		wantPort     int
	}{
		{"mysql over tcp", "{name: a, type: mysql, host: h, user: u}", 3306},
		{"postgres over tcp", "{name: a, type: postgres, host: h, user: u}", 5432},
		{"socket keeps the tool default", "{name: a, type: postgres, socket: /run/postgresql, user: u}", 0},
		{"explicit port", "{name: a, type: mysql, host: h, port: 3307, user: u}", 3307},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, "servers: ["+tt.server+"]\nstorages: [{name: l, type: local, path: p}]", "", nil)
			if got := c.Servers[0].Port; got != tt.wantPort {
				t.Errorf("port = %d, want %d", got, tt.wantPort)
			}
		})
	}
	gz := mustParse(t, minimal+"compression: {codec: gzip}\n", "", nil)
	if gz.Compression.Level != 6 {
		t.Errorf("gzip level = %d, want 6", gz.Compression.Level)
	}
	none := mustParse(t, minimal+"compression: {codec: none, level: 99}\n", "", nil)
	if none.Compression.Level != 0 {
		t.Errorf("none level = %d, want 0 (ignored)", none.Compression.Level)
	}
	hook := mustParse(t, minimal+"notifications: {webhooks: [{url: 'https://h.example/x'}]}\n", "", nil)
	if got := hook.Notifications.Webhooks[0].Events; !reflect.DeepEqual(got, []string{"failure"}) {
		t.Errorf("webhook events = %v, want [failure]", got)
	}
}

func TestExplicitZeroIsNotDefaulted(t *testing.T) {
	wantProblems(t, minimal+"concurrency: {total: 0, per_server: 0}\ncompression: {level: 0}\n", "", nil,
		"concurrency.total: must be between 1 and 64",
		"concurrency.per_server: must be between 1 and 64",
		"compression.level: must be between 1 and 22 for zstd",
	)
}

// specExample is a full configuration of the base keys, made valid: a real age recipient and
// identity file, and a real token hash.
const specExample = `
catalog:
  driver: sqlite
  dsn: ./data/catalog.db
servers:
  - name: main-mysql
    type: mysql
    host: 127.0.0.1
    port: 3306
    user: backup
    password: ${MYSQL_PASSWORD}
    databases: [shop, crm]
    exclude: ["tmp_*"]
    dump_options: []
storages:
  - name: local
    type: local
    path: ./data/backups
    retention:
      hourly: {keep: 24}
      daily:  {keep: 7, max_age: 14d}
      weekly: {keep: 4}
  - name: offsite
    type: s3
    endpoint: https://s3.eu-central-1.amazonaws.com
    region: eu-central-1
    bucket: db-backups
    prefix: prod/
    path_style: false
    access_key_id: ${S3_ACCESS_KEY_ID}
    secret_access_key: ${S3_SECRET_ACCESS_KEY}
    retention:
      daily:  {keep: 30}
      weekly: {keep: 12, max_age: 90d}
backup_types:
  hourly: {schedule: "0 * * * *"}
  daily:  {schedule: "30 2 * * *"}
  weekly: {schedule: "0 3 * * 0", servers: [main-mysql], storages: [offsite]}
schedule_timezone: UTC
concurrency: {total: 2, per_server: 1}
compression: {codec: zstd, level: 3}
encryption:
  recipients: ["${AGE_RECIPIENT}"]
  identity_file: age-key
http:
  listen: 127.0.0.1:8080
  auth:
    tokens:
      - {name: admin, role: admin, token_sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}
    metrics_public: false
notifications:
  webhooks:
    - {url: "https://hooks.example/gosqlguard", events: [failure, success]}
`

func TestSpecExample(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, dir, "age-key", id.String()+"\n")
	env := map[string]string{
		"MYSQL_PASSWORD":       "mysql-pass",
		"S3_ACCESS_KEY_ID":     "AKIAEXAMPLE",
		"S3_SECRET_ACCESS_KEY": "s3-secret",
		"AGE_RECIPIENT":        id.Recipient().String(),
	}
	c := mustParse(t, specExample, dir, env)

	if got := c.Servers[0].Password.Value(); got != "mysql-pass" {
		t.Errorf("password = %q, want the expanded variable", got)
	}
	off := c.Storage("offsite")
	if off == nil || off.SecretAccessKey.Value() != "s3-secret" || off.Prefix != "prod/" {
		t.Fatalf("offsite storage = %+v", off)
	}
	if got := off.Retention["weekly"]; *got.Keep != 12 || got.MaxAge.D() != 90*24*time.Hour {
		t.Errorf("offsite weekly retention = keep %d, max_age %v", *got.Keep, got.MaxAge)
	}
	if got := c.Storage("local").Retention["weekly"].MaxAge; got != 0 {
		t.Errorf("local weekly max_age = %v, want 0 (no age limit)", got)
	}
	if got := c.BackupTypes["weekly"]; !reflect.DeepEqual(got.Storages, []string{"offsite"}) || got.Schedule != "0 3 * * 0" {
		t.Errorf("weekly = %+v", got)
	}
	if _, ok := c.BackupTypes[ManualType]; !ok || len(c.BackupTypes) != 4 {
		t.Errorf("backup types = %v, want hourly, daily, weekly and manual", c.BackupTypes)
	}
	if got := c.Encryption.Recipients; !reflect.DeepEqual(got, []string{id.Recipient().String()}) {
		t.Errorf("recipients = %v", got)
	}
	if got, want := c.Encryption.IdentityFile, filepath.Join(dir, "age-key"); got != want {
		t.Errorf("identity_file = %q, want %q (resolved against the config's directory)", got, want)
	}
	if c.Server("main-mysql") != &c.Servers[0] || c.Server("nope") != nil || c.Storage("nope") != nil {
		t.Errorf("Server/Storage lookups are wrong")
	}
}

func TestFullExampleFile(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	identity := writeFile(t, t.TempDir(), "age-key", id.String())
	env := map[string]string{
		"MYSQL_HOST":           "db.internal",
		"S3_ACCESS_KEY_ID":     "AKIAEXAMPLE",
		"S3_SECRET_ACCESS_KEY": "s3-secret",
		"WEBHOOK_URL":          "https://hooks.example/ops",
		"AGE_IDENTITY_FILE":    identity,
	}
	c, err := Load(filepath.Join("testdata", "valid", "full.yaml"), mapEnv(env))
	if err != nil {
		t.Fatalf("Load: unexpected problems:\n%v", err)
	}
	mysql := c.Server("main-mysql")
	checks := []struct {
		name      string
		got, want any
	}{
		{"catalog dsn from dsn_file", c.Catalog.DSN.Value(), "postgres://gosqlguard:catalog-pass@db.internal:5432/gosqlguard?sslmode=require"},
		{"host from env", mysql.Host, "db.internal"},
		{"port from ${VAR:-default}", mysql.Port, 3306},
		{"password_file, newline trimmed", mysql.Password.Value(), "correct horse battery staple"},
		{"socket server port", c.Server("reports_pg").Port, 0},
		{"part_size", c.Storage("offsite").PartSize, 64 * MiB},
		{"idle_timeout", c.Storage("offsite").IdleTimeout.D(), 2 * time.Minute},
		{"idle_timeout default", c.Storages[0].IdleTimeout.D(), 60 * time.Second},
		{"1w2d", c.Storage("offsite").Retention["weekly"].MaxAge.D(), 9 * 24 * time.Hour},
		{"recipients from file", len(c.Encryption.Recipients), 2},
		{"token_sha256 lowercased", c.HTTP.Auth.Tokens[0].TokenSHA256, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		{"token_file hashed", c.HTTP.Auth.Tokens[1].TokenSHA256, sha256Hex("operator-token-for-tests")},
		{"webhook url from env", c.Notifications.Webhooks[0].URL.Value(), "https://hooks.example/ops"},
		{"$$ is a literal $", c.Notifications.Webhooks[1].URL.Value(), "https://hooks.example/costs-$5"},
		{"timezone", c.ScheduleTimezone, "Europe/Berlin"},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %#v, want %#v", ch.name, ch.got, ch.want)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), nil)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing file = %v, want a not-exist error", err)
	}
}
