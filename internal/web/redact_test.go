package web

import (
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/redact"
)

func TestRedaction(t *testing.T) {
	for _, in := range []string{
		"mysqldump: Got error: 1045: Access denied (password=" + leakedSecret + ")",
		"connect postgres://backup:" + leakedSecret + "@db.internal:5432/app failed",
		"PGPASSWORD=" + leakedSecret + " MYSQL_PWD=" + leakedSecret + " rejected; secret: " + leakedSecret,
		"user:" + leakedSecret + "@tcp(10.0.0.5:3306)/shop",
	} {
		if got := redact.Text(in); strings.Contains(got, leakedSecret) {
			t.Errorf("redact.Text(%q) = %q", in, got)
		}
	}
	if got := redact.Text("open /var/lib/gosqlguard/key: denied"); got != "open <path>: denied" {
		t.Errorf("path: %q", got)
	}
}
