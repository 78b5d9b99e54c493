package postgres

import (
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/dump/dumptest"
)

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
