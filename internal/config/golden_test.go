package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/invalid/*.golden from the current output")

// goldenPaths lists, for every invalid case, problem lines (or their start)
// that its golden file must contain, so that a golden file rewritten with
// -update cannot silently lose the problem the case is about.
var goldenPaths = map[string][]string{
	"unknown_key":                      {"servers[0].pasword: unknown field", "schedule_timezon: unknown field"},
	"bad_duration":                     {"storages[0].retention.daily.max_age: invalid duration", "storages[0].retention.weekly.max_age: invalid duration"},
	"duplicate_names":                  {"servers[1].name: duplicate server name", "storages[2].name: duplicate storage name"},
	"missing_secret_file":              {"servers[0].password_file: cannot read", "storages[0].secret_access_key_file: cannot read"},
	"server_name_traversal":            {"servers[1].name: invalid server name \"../x\""},
	"wrong_type":                       {"servers[0].port: must be an integer", "servers[0].databases: must be a list", "storages[0].path_style: must be true or false", "concurrency: must be a mapping"},
	"negative_keep":                    {"storages[1].retention.daily.keep: must be between 0 and 100000"},
	"unknown_backup_type_in_retention": {"storages[0].retention.dayly: unknown backup type \"dayly\""},
	"bad_dump_option":                  {"servers[0].dump_options[0]: --result-file is not allowed", "servers[0].dump_options[1]: --compact is not allowed", "servers[1].dump_options[0]: --format is not allowed"},
	"unset_env_var":                    {"servers[0].password: environment variable MYSQL_PASSWORD is not set"},
	"several_problems":                 {"servers[0].tpye: unknown field", "servers[0].port: must be an integer", "storages[0].path: required for type local", "backup_types.daily.schedule:", "backup_types.weekly.storages[0]: unknown storage", "compression.level: must be between 1 and 9", "http.auth.tokens[0].role:"},
	"yaml_syntax":                      {"line 4:"},
	"encryption_without_value":         {"encryption: has no value: set recipients or recipients_file, or remove encryption to store backups unencrypted"},
	"catalog_dsn_mismatch":             {"catalog.dsn: looks like a postgres DSN, but catalog.driver is sqlite; set catalog.driver: postgres"},
	"catalog_dsn_mysql_form":           {"catalog.dsn: looks like a mysql DSN, but catalog.driver is postgres; set catalog.driver: mysql"},
	"catalog_dsn_unencoded":            {"catalog.dsn: the DSN's user or password holds a character that must be percent-encoded"},
	"catalog_dsn_url_sqlite":           {"catalog.dsn: is a URL, not the file path the sqlite driver takes; set catalog.driver"},
	"malformed_identity":               {`encryption.identity_file: "malformed-identity.txt" line 2, 3: not an age identity (AGE-SECRET-KEY-1...)`},
	"upper_bounds": {"storages[0].idle_timeout: must be between 1s and 1h", "storages[0].retention.daily.keep: must be between 0 and 100000",
		"storages[0].retention.daily.max_age: must be between 0 and 36500d", "storages[1].upload_concurrency: must be between 1 and 64",
		"storages[1].idle_timeout: must be between 1s and 1h", "concurrency.total: must be between 1 and 64", "concurrency.per_server: must be between 1 and 64",
		"daemon.shutdown_timeout: must be between 1s and 24h", "daemon.retention_interval: must be between 1m and 7d", "daemon.cleanup_age: must be between 1m and 365d"},
}

// goldenEnv is the environment every invalid case is loaded with.
var goldenEnv = map[string]string{"DB_HOST": "db.internal", "SECRET_VALUE": "hunter2"}

func TestInvalidConfigs(t *testing.T) {
	cases, err := filepath.Glob(filepath.Join("testdata", "invalid", "*.yaml"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no invalid cases found: %v", err)
	}
	found := map[string]bool{}
	for _, file := range cases {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		found[name] = true
		t.Run(name, func(t *testing.T) {
			_, err := Load(file, mapEnv(goldenEnv))
			var cfgErr *Error
			if !errors.As(err, &cfgErr) {
				t.Fatalf("Load returned %v, want an *Error", err)
			}
			got := err.Error() + "\n"
			if strings.Contains(got, goldenEnv["SECRET_VALUE"]) {
				t.Errorf("problems show a secret value:\n%s", got)
			}
			golden := strings.TrimSuffix(file, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("problems differ from %s\ngot:\n%s\nwant:\n%s", golden, got, want)
			}
			paths, ok := goldenPaths[name]
			if !ok {
				t.Fatalf("add the problems case %q must report to goldenPaths", name)
			}
			for _, p := range paths {
				if !strings.Contains(string(want), p) {
					t.Errorf("%s does not contain %q", golden, p)
				}
			}
		})
	}
	for name := range goldenPaths {
		if !found[name] {
			t.Errorf("case %q listed in goldenPaths has no testdata/invalid/%s.yaml", name, name)
		}
	}
}

// TestWarningConfigs loads each testdata/warning case, which is valid but
// has warnings, and compares them with its golden file.
func TestWarningConfigs(t *testing.T) {
	cases, err := filepath.Glob(filepath.Join("testdata", "warning", "*.yaml"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no warning cases found: %v", err)
	}
	for _, file := range cases {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			c, err := Load(file, mapEnv(goldenEnv))
			if err != nil {
				t.Fatalf("Load: unexpected problems:\n%v", err)
			}
			if len(c.Warnings) == 0 {
				t.Fatal("no warnings")
			}
			var got strings.Builder
			for _, w := range c.Warnings {
				got.WriteString(w.Error() + "\n")
			}
			golden := strings.TrimSuffix(file, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got.String() != string(want) {
				t.Errorf("warnings differ from %s\ngot:\n%s\nwant:\n%s", golden, got.String(), want)
			}
		})
	}
}

func TestSeveralProblemsAreAllReported(t *testing.T) {
	_, err := Load(filepath.Join("testdata", "invalid", "several_problems.yaml"), mapEnv(goldenEnv))
	var cfgErr *Error
	if !errors.As(err, &cfgErr) {
		t.Fatalf("Load returned %v, want an *Error", err)
	}
	if n := len(cfgErr.Problems); n < len(goldenPaths["several_problems"]) {
		t.Errorf("got %d problems, want at least %d:\n%v", n, len(goldenPaths["several_problems"]), err)
	}
}
