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
