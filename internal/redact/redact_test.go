package redact

import (
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	for _, tc := range []struct{ in, gone, kept string }{
		{"connect: password=hunter2 host=db", "hunter2", "host=db"},
		{"PGPASSWORD=hunter2 pg_dump", "hunter2", "pg_dump"},
		{"dial postgres://u:hunter2@db:5432/x failed", "hunter2", "failed"},
		{"open /var/lib/gosqlguard/catalog.db: denied", "/var/lib", "denied"},
		{"user:hunter2@tcp(db:3306)/shop", "hunter2", ""},
		{`token: "abc123"`, "abc123", "token"},
		{"Authorization: Bearer abcdefgh12345 refused", "abcdefgh12345", "refused"}, // from Secrets
		{"mysql -uroot -phunter2 shop", "hunter2", "shop"},
	} {
		got := Text(tc.in)
		if strings.Contains(got, tc.gone) || !strings.Contains(got, tc.kept) {
			t.Errorf("Text(%q) = %q; want %q gone and %q kept", tc.in, got, tc.gone, tc.kept)
		}
	}
}

// MySQL's "(using password: YES)" says whether a password was sent, not
// which: it survives Text and Secrets, so that "Access denied" keeps its
// most useful part, while real passwords next to it are still masked.
func TestMySQLUsingPasswordSurvives(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Error 1045 (28000): Access denied for user 'bk'@'localhost' (using password: YES)",
			"Error 1045 (28000): Access denied for user 'bk'@'localhost' (using password: YES)"},
		{"ERROR 1045 (28000): Access denied for user 'root'@'127.0.0.1' (using password: NO)",
			"ERROR 1045 (28000): Access denied for user 'root'@'127.0.0.1' (using password: NO)"},
		// mariadb-dump quotes the server's message.
		{`mariadb-dump: Got error: 1045: "Access denied for user 'bk'@'localhost' (using password: YES)" when trying to connect`,
			`mariadb-dump: Got error: 1045: "Access denied for user 'bk'@'localhost' (using password: YES)" when trying to connect`},
		{"dump: mariadb-dump exited 2: Access denied for user 'bk'@'localhost' (using password: YES).",
			"dump: mariadb-dump exited 2: Access denied for user 'bk'@'localhost' (using password: YES)."},
		// The same words around a real secret do not protect it.
		{"using password: hunter2", "using password: <redacted>"},
		{"using password=YES", "using password=<redacted>"},
		{"password: YES", "password: <redacted>"},
		{"using password: YES)hunter2", "using password: <redacted>"},
		{"using db_password: YES", "using db_password: <redacted>"},
		{"Access denied (using password: YES); retried with password=hunter2",
			"Access denied (using password: YES); retried with password=<redacted>"},
	} {
		if got := Text(tc.in); got != tc.want {
			t.Errorf("Text(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
		if got := Secrets(tc.in); got != tc.want {
			t.Errorf("Secrets(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
	// The usual secrets are still masked, by both.
	for _, in := range []string{
		"connect: password=hunter2 host=db",
		"dial mysql://root:hunter2@db:3306/shop failed",
		"open backup:hunter2@tcp(db:3306)/shop",
		"mysql -uroot -phunter2 shop",
		"dsn: host=db user=bk password='hunter2' dbname=shop",
		"MYSQL_PWD=hunter2 mariadb-dump shop",
	} {
		if got := Text(in); strings.Contains(got, "hunter2") {
			t.Errorf("Text(%q) = %q: the password shows", in, got)
		}
		if got := Secrets(in); strings.Contains(got, "hunter2") {
			t.Errorf("Secrets(%q) = %q: the password shows", in, got)
		}
	}
}

// A job's name is no path, even when its database name ends with a quote,
// which Text alone takes for the start of one; what surrounds it is still
// redacted, and a kept name inside a secret is hidden with it.
func TestTextKeeping(t *testing.T) {
	const job = `my/trial_dba<i>&amp;"x"/hourly`
	if got := Text("started by a request for " + job); got == "started by a request for "+job {
		t.Fatalf("Text keeps %q: the test proves nothing", got)
	}
	for _, tc := range []struct {
		in   string
		keep []string
		want string
	}{
		{"started by a request for " + job, []string{job}, "started by a request for " + job},
		{job + ": failed: open /var/lib/gosqlguard/x: denied", []string{job}, job + ": failed: open <path>: denied"},
		{"job " + job + " is already running; " + job, []string{"", job, "my"}, "job " + job + " is already running; " + job},
		{"dump password=" + job + " failed", []string{job}, "dump password=<redacted> failed"},
		{"open /etc/x", nil, "open <path>"},
	} {
		if got := TextKeeping(tc.in, tc.keep...); got != tc.want {
			t.Errorf("TextKeeping(%q, %q)\n got %q\nwant %q", tc.in, tc.keep, got, tc.want)
		}
	}
}
