package redact

import (
	"errors"
	"testing"
)

func TestSecrets(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain text", "mariadb-dump exited 2: table doesn't exist", "mariadb-dump exited 2: table doesn't exist"},
		{"password=", "auth failed password=hunter2 for backup", "auth failed password=<redacted> for backup"},
		{"password= at start", `password=abc def`, `password=<redacted> def`},
		{"PASSWORD: quoted", `PASSWORD: "hunter 2" given`, `PASSWORD: <redacted> given`},
		{"PGPASSWORD", "env PGPASSWORD=hunter2", "env PGPASSWORD=<redacted>"},
		{"--password=", "mysqldump --password=hunter2 shop", "mysqldump --password=<redacted> shop"},
		{"pwd=", "Server=db;Uid=sa;Pwd=hunter2;", "Server=db;Uid=sa;Pwd=<redacted>;"},
		{"query string", "GET /x?user=a&password=hunter2&x=1", "GET /x?user=a&password=<redacted>&x=1"},
		{"secret key", "secret_access_key=abc/DEF+ghi", "secret_access_key=<redacted>"},
		{"token", "token: abc123", "token: <redacted>"},
		{"dsn", "DB_DSN=user:pw@h/db", "DB_DSN=<redacted>"},
		{"url password", "dial postgres://u:hunter2@db/x failed", "dial postgres://u:<redacted>@db/x failed"},
		{"url password with @", "mysql://root:p@ss@db:3306/shop", "mysql://root:<redacted>@db:3306/shop"},
		{"url password before tcp(", `dsn mysql://root:zz@tcp(h)/`, `dsn mysql://root:<redacted>@tcp(h)/`},
		{"url without password", "postgres://u@db/x", "postgres://u@db/x"},
		{"mysql driver DSN", "open backup:hunter2@tcp(db:3306)/shop", "open backup:<redacted>@tcp(db:3306)/shop"},
		{"-p argument", "mysql -uroot -phunter2 shop", "mysql -uroot -p<redacted> shop"},
		{"-p at start", "-phunter2 rejected", "-p<redacted> rejected"},
		{"bearer", "Authorization: Bearer abcdefgh12345", "Authorization: Bearer <redacted>"},
		{"MySQL's harmless YES", "Access denied for user 'b'@'h' (using password: YES)", "Access denied for user 'b'@'h' (using password: YES)"},
		{"in parentheses", "login failed (password=hunter2)", "login failed (password=<redacted>)"},
		{"parenthesis inside", "password=hun)ter2 x", "password=<redacted> x"},
		{"several", "password=a pwd=b postgres://x:c@h", "password=<redacted> pwd=<redacted> postgres://x:<redacted>@h"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Secrets(tt.in); got != tt.want {
				t.Errorf("Secrets(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSecretsKnown(t *testing.T) {
	const known = `p'a"ss`
	for _, tt := range []struct{ in, want string }{
		{`login failed for p'a"ss`, `login failed for <redacted>`},
		{`nothing here`, `nothing here`},
	} {
		if got := Secrets(tt.in, known, ""); got != tt.want {
			t.Errorf("Secrets(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestError(t *testing.T) {
	if Error(nil, "x") != nil {
		t.Error("Error(nil) is not nil")
	}
	plain := errors.New("connection refused")
	if got := Error(plain, "hunter2"); got != plain {
		t.Errorf("an error without secrets was replaced: %v", got)
	}
	leaky := errors.New("auth hunter2 failed")
	got := Error(leaky, "hunter2")
	if got.Error() != "auth <redacted> failed" || errors.Is(got, leaky) {
		t.Errorf("Error = %q (wraps the original: %v), want the redacted text only", got, errors.Is(got, leaky))
	}
}
