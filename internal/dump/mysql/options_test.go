package mysql

import (
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/dump/dumptest"
)

func TestValidateDatabaseName(t *testing.T) {
	for _, ok := range []string{"shop", "my-db", "a b", "db`x", "ünïcode", strings.Repeat("x", 64)} {
		if err := ValidateDatabaseName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-x", "--all-databases", "a/b", `a\b`, "a\x00b", "trailing ", strings.Repeat("x", 65)} {
		if err := ValidateDatabaseName(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestValidateDumpOptions(t *testing.T) {
	if err := ValidateDumpOptions([]string{"--skip-triggers", "--ignore-table=shop.log", "--where=id>10"}); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"--result-file=/tmp/x", "--result-fil=/tmp/x", "--compact", "--skip-comments", "--force",
		"--databases", "--password=x", "--defaults-file=/x", "-r/tmp/x", "otherdb", "--xml", "--tab=/tmp"} {
		if err := ValidateDumpOptions([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestCheckDumpOption(t *testing.T) {
	dumptest.OptionCases{
		Accepted: []string{"--compress", "--hex-blob", "--ignore-table=shop.sessions", "--ignore-table-data=shop.log",
			"--max-allowed-packet=256M", "--net-buffer-length=16384", "--column-statistics=0", "--set-gtid-purged=off",
			"--default-character-set=utf8mb4", "--ssl-mode=VERIFY_IDENTITY", "--tls-version=TLSv1.2,TLSv1.3",
			"--compression-algorithms=zstd,zlib", "--zstd-compression-level=3", "--ssl-ca=/etc/ca.pem"},
		Refused: []string{"--ignore-table=sessions", "--ignore-table", "--max-allowed-packet=big", "--set-gtid-purged=maybe",
			"--hex-blob=1", "--column-statistics=2", "--default-character-set=utf8;x", "--ssl-mode=sometimes", "--tls-version=SSLv3",
			"--zstd-compression-level=23", "--where=", "--where=a\nb", "--ssl-key=a\x00b", "--flush-logs", "--skip-lock-tables",
			"--no-owner", "--hex-blob x"},
		Messages: map[string]string{
			"--result-file=out.sql": "--result-file is not allowed: the dump's destination is managed by gosqlguard",
			"--compact":             "--compact is not allowed: it removes the end-of-dump marker that proves a dump is complete",
			"--password=hunter2":    "--password is not allowed: set the password with password or password_file",
			"-phunter2":             "must be a long option such as --skip-extended-insert (short options and arguments are not allowed)",
			"--where=a\rb":          "invalid value for --where",
		},
	}.Check(t, CheckDumpOption)
}

func TestQuoteIdent(t *testing.T) {
	if got, want := quoteIdent("a`b"), "`a``b`"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestValidateDatabaseNameCountsCharacters(t *testing.T) {
	if err := ValidateDatabaseName("trial_" + strings.Repeat("é", 40)); err != nil { // 46 characters, 86 bytes
		t.Errorf("46 characters refused: %v", err)
	}
	if err := ValidateDatabaseName(strings.Repeat("é", 65)); err == nil {
		t.Error("65 characters accepted")
	}
}
