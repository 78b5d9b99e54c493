package mysql

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/dump/dumptest"
	"github.com/gosqlguard/gosqlguard/internal/testenv"
)

const trickyPassword = `p'a"s$s; w>rd #\x`

func TestQuoteOption(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", `"plain"`},
		{trickyPassword, `"p\'a\"s$s; w>rd #\\x"`},
		{"tab\tnl\ncr\r", `"tab\tnl\ncr\r"`},
		{"", `""`},
		{`ends with \`, `"ends with \\"`},
	}
	for _, tt := range tests {
		got, err := quoteOption(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("quoteOption(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := quoteOption("a\x00b"); err == nil {
		t.Error("quoteOption accepted NUL")
	}
}

// TestOptionFileParsedByClientLibrary reads the option file back with the
// client library's own parser.
func TestOptionFileParsedByClientLibrary(t *testing.T) {
	tool := testenv.Tool(t, "my_print_defaults")
	for _, pw := range []string{trickyPassword, `a"b`, `x\`, `'quoted'`, `"dq"`, " lead and trail ", `\n not newline`, "tab\there", "#hash"} {
		content, err := optionFile(dump.Conn{User: "u ser", Password: pw, Socket: "/run/my sock"})
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(t.TempDir(), "c.cnf")
		if err := os.WriteFile(f, content, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(tool, "--defaults-file="+f, "client").Output()
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
		want := []string{"--user=u ser", "--password=" + pw, "--socket=/run/my sock", "--protocol=SOCKET"}
		if !slices.Equal(got, want) {
			t.Errorf("password %q: parsed as\n %q\nwant %q", pw, got, want)
		}
	}
}

func TestOptionFile(t *testing.T) {
	got, err := optionFile(dump.Conn{User: "backup", Host: "db.example", Port: 3307})
	if err != nil {
		t.Fatal(err)
	}
	want := "[client]\nuser=\"backup\"\nhost=\"db.example\"\nport=3307\nprotocol=TCP\n"
	if string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

const sampleTail = `UNLOCK TABLES;

-- The deferred gtid setting for slave corresponding to the master-data CHANGE-MASTER follows

-- Preferably use GTID to start replication from GTID position:

-- SET GLOBAL gtid_slave_pos='0-1-3,1-2-99';
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;

-- Dump completed on 2026-11-28 20:15:58
`

func TestStreamCheckComplete(t *testing.T) {
	body := strings.Repeat("INSERT INTO t VALUES (1);\n", 400) // > tailSize
	tests := []struct {
		name string
		dump string
		want bool
	}{
		{"complete", body + sampleTail, true},
		{"no trailing newline", body + "-- Dump completed on 2026-11-28 20:15:58", true},
		{"skip-dump-date", body + "-- Dump completed\n\n", true},
		{"missing", body + "/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;\n", false},
		{"truncated marker", body + "-- Dump compl", false},
		{"marker not last", body + "-- Dump completed on x\nINSERT INTO t VALUES (2);\n", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Every split point of the last 100 bytes, plus 1-byte writes.
			for cut := max(0, len(tt.dump)-100); cut <= len(tt.dump); cut++ {
				var out bytes.Buffer
				s := newStreamCheck(&out)
				s.Write([]byte(tt.dump[:cut]))
				s.Write([]byte(tt.dump[cut:]))
				if got := s.complete(); got != tt.want {
					t.Fatalf("split at %d: complete() = %v, want %v", cut, got, tt.want)
				}
				if out.String() != tt.dump {
					t.Fatal("stream not passed through unchanged")
				}
			}
			s := newStreamCheck(&bytes.Buffer{})
			for i := range len(tt.dump) {
				s.Write([]byte{tt.dump[i]})
			}
			if got := s.complete(); got != tt.want {
				t.Errorf("1-byte writes: complete() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestStreamCheckPosition(t *testing.T) {
	mariaHead := `/*M!999999\- enable the sandbox mode */
-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)
/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;
-- CHANGE MASTER TO MASTER_USE_GTID=slave_pos;

-- CHANGE MASTER TO MASTER_LOG_FILE='binlog.000001', MASTER_LOG_POS=746;

`
	mysqlHead := `-- MySQL dump 10.13  Distrib 8.0.36
SET @@SESSION.SQL_LOG_BIN= 0;

--
-- GTID state at the beginning of the backup
--

SET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ '3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5,
4E11FA47-71CA-11E1-9E33-C80AA9429562:1-9';

--
-- Position to start replication or point-in-time recovery from
--

-- CHANGE REPLICATION SOURCE TO SOURCE_LOG_FILE='binlog.000002', SOURCE_LOG_POS=157;
`
	tests := []struct {
		name string
		dump string
		want *backup.Position
	}{
		{"mariadb", mariaHead + strings.Repeat("x\n", 50000) + sampleTail,
			&backup.Position{BinlogFile: "binlog.000001", BinlogPos: 746, GTID: "0-1-3,1-2-99"}},
		{"mysql", mysqlHead + "body\n-- Dump completed on x\n",
			&backup.Position{BinlogFile: "binlog.000002", BinlogPos: 157,
				GTID: "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5,4E11FA47-71CA-11E1-9E33-C80AA9429562:1-9"}},
		{"none", "-- MariaDB dump\nbody\n-- Dump completed on x\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStreamCheck(&bytes.Buffer{})
			for chunk := range slices.Chunk([]byte(tt.dump), 777) {
				s.Write(chunk)
			}
			got := s.position()
			if (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDumpFlags(t *testing.T) {
	maria := "mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)"
	mysql80 := "mysqldump  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)"
	mysql57 := "mysqldump  Ver 10.13 Distrib 5.7.44, for Linux (x86_64)"
	tests := []struct {
		name  string
		srv   server
		tool  string
		extra []string
		want  []string // flags after baseFlags
	}{
		{"mariadb no binlog", server{mariadb: true}, maria, nil, nil},
		{"mariadb binlog", server{mariadb: true, binlog: true}, maria, []string{"--skip-triggers"},
			[]string{"--master-data=2", "--gtid", "--skip-triggers"}},
		{"mysql 8 tool, mariadb server", server{mariadb: true, binlog: true}, mysql80, nil,
			[]string{"--column-statistics=0", "--source-data=2"}},
		{"mysql 8", server{binlog: true}, mysql80, nil,
			[]string{"--set-gtid-purged=COMMENTED", "--source-data=2"}},
		{"mysql 8 own gtid choice", server{}, mysql80, []string{"--set-gtid-purged=ON"},
			[]string{"--set-gtid-purged=ON"}},
		{"mysql 5.7", server{binlog: true}, mysql57, nil,
			[]string{"--master-data=2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := dumpFlags(tt.srv, tt.tool, tt.extra)
			if !slices.Equal(got[:len(baseFlags)], baseFlags) {
				t.Fatalf("base flags changed: %q", got)
			}
			if rest := got[len(baseFlags):]; !slices.Equal(rest, tt.want) && len(rest)+len(tt.want) > 0 {
				t.Errorf("got %q, want %q", rest, tt.want)
			}
		})
	}
}

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
