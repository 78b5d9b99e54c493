package config

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "time/tzdata" // time zone tests must not depend on the host's zoneinfo
)

// minimal is the smallest valid configuration.
const minimal = `
servers:
  - {name: main, type: mysql, host: 127.0.0.1, user: backup}
storages:
  - {name: local, type: local, path: ./backups}
`

func mustParse(t *testing.T, doc, baseDir string, env map[string]string) *Config {
	t.Helper()
	c, err := Parse([]byte(doc), baseDir, mapEnv(env))
	if err != nil {
		t.Fatalf("Parse: unexpected problems:\n%v", err)
	}
	return c
}

// problemLines parses doc and returns its problems, one "path: message" each.
func problemLines(t *testing.T, doc, baseDir string, env map[string]string) []string {
	t.Helper()
	c, err := Parse([]byte(doc), baseDir, mapEnv(env))
	var cfgErr *Error
	if !errors.As(err, &cfgErr) {
		t.Fatalf("Parse returned (%v, %v), want an *Error", c, err)
	}
	if c != nil {
		t.Errorf("Parse returned a config together with problems")
	}
	lines := make([]string, len(cfgErr.Problems))
	for i, p := range cfgErr.Problems {
		lines[i] = p.Error()
	}
	return lines
}

// wantProblems checks that doc has exactly the problems want, in order.
func wantProblems(t *testing.T, doc, baseDir string, env map[string]string, want ...string) {
	t.Helper()
	got := problemLines(t, doc, baseDir, env)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\ngot:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
