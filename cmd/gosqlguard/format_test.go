package main

import (
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

func TestDisplayName(t *testing.T) {
	for in, want := range map[string]string{
		"shop":      "shop",
		"../x":      "../x",
		"Zoë":       "Zoë",
		"a\nb":      `"a\nb"`,
		"tab\there": `"tab\there"`,
		"\x7f":      `"\x7f"`,
		"\xff":      `"\xff"`,
		`"quoted"`:  `"\"quoted\""`,
	} {
		if got := displayName(in); got != want {
			t.Errorf("displayName(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestDetailNamesTheDumpToolOnce(t *testing.T) {
	for _, tc := range []struct{ tool, version, want string }{
		{"mariadb-dump", "mariadb-dump  Ver 10.19 Distrib 10.11.6-MariaDB", "Dump tool:    mariadb-dump  Ver 10.19 Distrib 10.11.6-MariaDB\n"},
		{"pg_dump", "16.4", "Dump tool:    pg_dump 16.4\n"},
	} {
		var out strings.Builder
		b := &backup.Backup{ID: "x", Manifest: &backup.Manifest{DumpTool: tc.tool, DumpToolVersion: tc.version}}
		if err := writeDetail(&out, b); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), tc.want) {
			t.Errorf("detail of %s %q:\n%s\nwant a line %q", tc.tool, tc.version, out.String(), tc.want)
		}
	}
}
