package mysql

import (
	"errors"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/gosqlguard/gosqlguard/internal/dump"
)

func clientError(stderr string) error {
	return &dump.ExitError{Tool: "mariadb", Status: "exit status 1", Stderr: stderr}
}

func TestExplainRestoreError(t *testing.T) {
	definers := newDefinerTracker()
	definers.Write([]byte("SET @a = 1;\nSELECT 2;\n/*!50003 CREATE*/ /*!50017 DEFINER=`app``x`@`%`*/ /*!50003 TRIGGER t AFTER INSERT ON a\nFOR EACH ROW SET @x = 1 */;;\n"))
	cases := []struct {
		name string
		err  error
		f    failure
		want []string // in the message, in order; nil: err unchanged
	}{
		{
			name: "definer privilege, definer known",
			err:  clientError("ERROR 1227 (42000) at line 3: Access denied; you need (at least one of) the SUPER, SET USER privilege(s) for this operation"),
			f:    failure{definerAt: definers.at},
			want: []string{"definer `app``x`@`%`: the restoring user lacks SET USER (or SUPER)", "grant it to the restoring user, the one configured for the server restored onto", "GRANT SET USER", "ERROR 1227"},
		},
		{
			name: "definer privilege, definer unknown",
			err:  clientError("ERROR 1227 (42000) at line 2: Access denied; you need (at least one of) the SUPER, SET USER privilege(s) for this operation"),
			f:    failure{definerAt: definers.at},
			want: []string{"an object's DEFINER names another user: the restoring user lacks SET USER (or SUPER)"},
		},
		{
			name: "definer privilege from the driver",
			err:  &mysql.MySQLError{Number: 1227, Message: "Access denied; you need (at least one of) the SUPER, SET USER privilege(s) for this operation"},
			f:    failure{definerAt: func(int) string { return "`root`@`localhost`" }},
			want: []string{"definer `root`@`localhost`: the restoring user lacks SET USER"},
		},
		{
			name: "missing definer",
			err:  clientError("ERROR 1449 (HY000) at line 3: The user specified as a definer ('nobody_x'@'localhost') does not exist"),
			want: []string{"definer `nobody_x`@`localhost` does not exist on this server: create that user"},
		},
		{
			name: "packet too big",
			err:  clientError("ERROR 1153 (08S01) at line 2: Got a packet bigger than 'max_allowed_packet' bytes"),
			f:    failure{packet: 16777216, needed: 20000000},
			want: []string{"larger than the server's max_allowed_packet (16777216 bytes); raise max_allowed_packet to at least 20000000"},
		},
		{
			name: "gone away, size unknown",
			err:  clientError("ERROR 2006 (HY000) at line 1: MySQL server has gone away"),
			want: []string{"closed the connection", "max_allowed_packet; raise max_allowed_packet (up to 1G)", "error log"},
		},
		{
			name: "scratch database denied",
			err:  &mysql.MySQLError{Number: 1044, Message: "Access denied for user 'bk'@'localhost' to database 'gosqlguard_scratch_0a1b2c3d4e5f'"},
			want: []string{"needs CREATE, DROP, ALTER", "on `gosqlguard\\_scratch\\_%` databases", "GRANT ALL ON `gosqlguard\\_scratch\\_%`.*"},
		},
		{
			name: "syntax error stays as it is",
			err:  clientError("ERROR 1064 (42000) at line 3: You have an error in your SQL syntax"),
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := explainRestoreError(c.err, c.f)
			if !errors.Is(got, c.err) {
				t.Errorf("%v does not wrap the original error", got)
			}
			if c.want == nil {
				if got != c.err {
					t.Errorf("got %q, want the error unchanged", got)
				}
				return
			}
			msg := got.Error()
			for _, w := range c.want {
				i := strings.Index(msg, w)
				if i < 0 {
					t.Fatalf("got %q, want it to say %q", msg, w)
				}
				msg = msg[i+len(w):]
			}
		})
	}
}

func TestDefinerTracker(t *testing.T) {
	dumpText := "/*M!999999\\- enable the sandbox mode */\n" +
		"INSERT INTO t VALUES ('DEFINER=`not`@`me` inside data');\n" +
		"/*!50003 CREATE*/ /*!50017 DEFINER=`alice`@`localhost`*/ /*!50003 TRIGGER x */;;\n" +
		"CREATE DEFINER=`bob`@`10.%` PROCEDURE p()\nBEGIN\nEND ;;\n"
	for _, size := range []int{1, 3, 7, 64, len(dumpText)} {
		tr := newDefinerTracker()
		for rest := dumpText; rest != ""; {
			n := min(size, len(rest))
			tr.Write([]byte(rest[:n]))
			rest = rest[n:]
		}
		for line, want := range map[int]string{1: "", 2: "`not`@`me`", 3: "`alice`@`localhost`", 4: "`bob`@`10.%`", 5: ""} {
			if got := tr.at(line); got != want {
				t.Errorf("writes of %d bytes: line %d: got %q, want %q", size, line, got, want)
			}
		}
	}
}
