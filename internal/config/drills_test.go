package config

import (
	"slices"
	"testing"
)

func TestDrillsSection(t *testing.T) {
	cfg := mustParse(t, minimal, t.TempDir(), nil)
	if got := cfg.Drills; got.Schedule != "" || got.Concurrency != 1 || got.TargetServer != "" || got.Servers != nil {
		t.Errorf("defaults = %+v, want no schedule and concurrency 1", got)
	}
	cfg = mustParse(t, minimal+`
drills: {schedule: "@every 5s", servers: [main], target_server: main, concurrency: 2}
notifications:
  webhooks: [{url: "https://hooks.example/x", events: [drill_failure]}]
`, t.TempDir(), nil)
	if got := cfg.Drills; got.Schedule != "@every 5s" || got.Concurrency != 2 || got.TargetServer != "main" || !slices.Equal(got.Servers, []string{"main"}) {
		t.Errorf("explicit = %+v", got)
	}
}

func TestDrillsRules(t *testing.T) {
	wantProblems(t, `
servers:
  - {name: my, type: mysql, host: h, user: u}
  - {name: pg, type: postgres, host: h, user: u}
storages:
  - {name: local, type: local, path: p}
drills:
  schedule: "every sunday"
  servers: [my, nope]
  target_server: pg
  concurrency: 0
`, "", nil,
		`drills.schedule: `+scheduleError(t, "every sunday"),
		`drills.servers[0]: server "my" is mysql; drills.target_server "pg" is postgres and cannot restore its backups`,
		`drills.servers[1]: unknown server "nope"`,
		"drills.concurrency: must be between 1 and 64",
	)
	wantProblems(t, minimal+"drills: {target_server: gone}\n", "", nil,
		`drills.target_server: unknown server "gone"`)
	wantProblems(t, minimal+"drills: {servers: [main, main, nope, nope], concurrency: 1000000000}\n", "", nil,
		`drills.servers[1]: duplicate server "main" (first listed at drills.servers[0])`,
		`drills.servers[2]: unknown server "nope"`,
		`drills.servers[3]: duplicate server "nope" (first listed at drills.servers[2])`,
		"drills.concurrency: must be between 1 and 64",
	)
	if cfg := mustParse(t, minimal+"drills: {concurrency: 64}\n", t.TempDir(), nil); cfg.Drills.Concurrency != 64 {
		t.Errorf("concurrency = %d, want 64", cfg.Drills.Concurrency)
	}
}

func scheduleError(t *testing.T, s string) string {
	t.Helper()
	err := checkSchedule(s)
	if err == nil {
		t.Fatalf("schedule %q is valid", s)
	}
	return err.Error()
}
