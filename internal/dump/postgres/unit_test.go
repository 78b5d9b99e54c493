package postgres

import (
	"slices"
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/dump/dumptest"
)

func TestPgpassLine(t *testing.T) {
	tests := []struct{ user, pw, want string }{
		{"backup", "plain", "*:*:*:backup:plain\n"},
		{"back:up", `a:b\c`, `*:*:*:back\:up:a\:b\\c` + "\n"},
		{"", `p'a"s$s; w>rd #`, `*:*:*:*:p'a"s$s; w>rd #` + "\n"},
		{"u", `\:`, `*:*:*:u:\\\:` + "\n"},
	}
	for _, tt := range tests {
		got, err := pgpassLine(tt.user, tt.pw)
		if err != nil || got != tt.want {
			t.Errorf("pgpassLine(%q, %q) = %q, %v; want %q", tt.user, tt.pw, got, err, tt.want)
		}
	}
	for _, bad := range []string{"a\nb", "a\rb", "a\x00b"} {
		if _, err := pgpassLine("u", bad); err == nil {
			t.Errorf("password %q accepted", bad)
		}
	}
}

func TestConnInfo(t *testing.T) {
	got := connInfo(dump.Conn{Host: "db host", Port: 5433, User: `o'brien`, Password: "never"}, `we\ird`)
	want := `sslmode=prefer connect_timeout=15 host='db host' port=5433 user='o\'brien' dbname='we\\ird'`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := connInfo(dump.Conn{Socket: "/run/postgresql"}, ""); got != "sslmode=prefer connect_timeout=15 host='/run/postgresql' port=5432" {
		t.Errorf("socket: got %s", got)
	}
}

func TestConnArgs(t *testing.T) {
	got := connArgs(dump.Conn{Socket: "/run/postgresql", User: "backup", Password: "secret"})
	want := []string{"--host=/run/postgresql", "--port=5432", "--username=backup", "--no-password"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestDbnameArg(t *testing.T) {
	tests := map[string]string{
		"shop":                 `--dbname=dbname='shop'`,
		"host=evil dbname=x":   `--dbname=dbname='host=evil dbname=x'`,
		"postgresql://u:p@h/x": `--dbname=dbname='postgresql://u:p@h/x'`,
		`it's`:                 `--dbname=dbname='it\'s'`,
	}
	for in, want := range tests {
		if got := dbnameArg(in); got != want {
			t.Errorf("dbnameArg(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, bad := range []string{"", "a\x00b", strings.Repeat("x", 64)} {
		if ValidateDatabaseName(bad) == nil {
			t.Errorf("name %q accepted", bad)
		}
	}
	if err := ValidateDumpOptions([]string{"--exclude-table-data=log", "--no-owner"}); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"--file=/tmp/x", "--fil=/tmp/x", "-f/tmp/x", "--format=plain", "--compress=9", "--dbname=x", "--password", "otherdb", "--jobs=4"} {
		if ValidateDumpOptions([]string{bad}) == nil {
			t.Errorf("option %q accepted", bad)
		}
	}
}

func TestCheckDumpOption(t *testing.T) {
	dumptest.OptionCases{
		Accepted: []string{"--no-owner", "--exclude-table=audit.*", "--table=public.users", "--lock-wait-timeout=10s",
			"--extra-float-digits=-15", "--extra-float-digits=3", "--section=pre-data", "--encoding=UTF8", "--role=backup"},
		Refused: []string{"--table=--file=/x", "--table=a\nb", "--schema=-n", "--lock-wait-timeout=forever",
			"--extra-float-digits=4", "--section=all", "--encoding=UTF 8", "--snapshot=00000003-00000002-1",
			"--no-owner=1", "--no-owner x", "--exclude-table", "--exclude-table public.x", "--skip-extended-insert"},
		Messages: map[string]string{
			"--format=plain":         "--format is not allowed: the dump format is fixed so that every backup restores the same way",
			"--compress=9":           "--compress is not allowed: compression is set with compression.codec",
			"--file=out.dump":        "--file is not allowed: the dump's destination is managed by gosqlguard",
			"--exclude-table":        "--exclude-table needs a value, written --exclude-table=VALUE",
			"--skip-extended-insert": "--skip-extended-insert is not allowed for postgres servers",
			"-U":                     "must be a long option such as --no-owner (short options and arguments are not allowed)",
		},
	}.Check(t, CheckDumpOption)
}
