package postgres

import (
	"slices"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/dump"
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
