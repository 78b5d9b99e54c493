package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", "servers:\n  - name: db1\n    type: mysql\n    socket: /run/mysqld/mysqld.sock\n    user: ${DBUSER:-root}\nstorages:\n  - {name: local, type: local, path: ./b}\n")
	bad := write("bad.yaml", `servers:
  - {name: "../x", type: mysql, host: db, user: u, pasword: x}
storages:
  - {name: local, type: local, path: ./b, retention: {daily: {keep: -1, max_age: 3x}}}
backup_types:
  daily: {schedule: "30 2 * * *"}
`)
	if res := run(t, nil, "config", "validate", "--config", good); res.code != 0 || !strings.Contains(res.stdout, "valid") {
		t.Errorf("valid config: %s", res)
	}
	res := run(t, nil, "config", "validate", "--config", bad)
	if res.code != 2 {
		t.Fatalf("invalid config: exit %d, want 2: %s", res.code, res)
	}
	for _, want := range []string{"servers[0].name", "servers[0].pasword: unknown field", "storages[0].retention.daily.keep: must be between 0 and 100000", "storages[0].retention.daily.max_age"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("problem %q not reported:\n%s", want, res.stderr)
		}
	}
	// Every command refuses to run on an invalid config, with exit 2.
	if res := run(t, nil, "backup", "--config", bad); res.code != 2 {
		t.Errorf("backup on invalid config: %s", res)
	}
	// GOSQLGUARD_CONFIG is the default --config.
	if res := run(t, []string{"GOSQLGUARD_CONFIG=" + bad}, "config", "validate"); res.code != 2 || !strings.Contains(res.stderr, "pasword") {
		t.Errorf("GOSQLGUARD_CONFIG not used: %s", res)
	}
}

func TestUsageErrors(t *testing.T) {
	cfg := newSetup(t, []serverSpec{{name: "db1", typ: "mysql", socket: mariadbSocket, user: "root"}}, options{}).configPath
	for name, args := range map[string][]string{
		"unknown command":                   {"frobnicate"},
		"unknown config subcommand":         {"config", "frob"},
		"backup of an empty database name":  {"backup", "--database", "", "--config", cfg},
		"backup of an empty server name":    {"backup", "--server", "", "--config", cfg},
		"unknown catalog subcommand":        {"catalog", "nope", "--config", cfg},
		"unknown flag":                      {"list", "--colour"},
		"bad output":                        {"list", "-o", "yaml", "--config", cfg},
		"bad status":                        {"list", "--status", "great", "--config", cfg},
		"bad since":                         {"list", "--since", "yesterday-ish", "--config", cfg},
		"bad log format":                    {"list", "--log-format", "xml", "--config", cfg},
		"unknown type":                      {"backup", "--type", "hourly", "--config", cfg},
		"unknown server":                    {"backup", "--server", "nope", "--config", cfg},
		"verify no args":                    {"verify", "--config", cfg},
		"show without id":                   {"show", "--config", cfg},
		"restore two ids":                   {"restore", "a", "b", "--config", cfg},
		"restore into a path":               {"restore", "20260101T000000.000Z-000000000000", "--to-database", "../etc", "--config", cfg},
		"restore into an empty name":        {"restore", "20260101T000000.000Z-000000000000", "--to-database", "", "--config", cfg},
		"restore latest without database":   {"restore", "--latest", "--server", "db1", "--config", cfg},
		"restore an ID and latest together": {"restore", "20260101T000000.000Z-000000000000", "--latest", "--server", "db1", "--database", "x", "--config", cfg},
		"missing config":                    {"list", "--config", filepath.Join(t.TempDir(), "none.yaml")},
	} {
		t.Run(name, func(t *testing.T) {
			if res := run(t, nil, args...); res.code != 2 || res.stderr == "" {
				t.Errorf("exit %d, want 2 with a message: %s", res.code, res)
			}
		})
	}
	if res := run(t, nil, "show", "20260101T000000.000Z-000000000000", "--config", cfg); res.code != 1 || !strings.Contains(res.stderr, "not found") {
		t.Errorf("show unknown ID: %s", res)
	}
	if res := mustRun(t, nil, "version"); !strings.Contains(res.stdout, "go1.") {
		t.Errorf("version: %s", res)
	}
}
