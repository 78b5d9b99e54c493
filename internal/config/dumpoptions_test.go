package config

import "testing"

func TestAllowedDumpOption(t *testing.T) {
	tests := []struct {
		typ, opt string
		want     bool
	}{
		{"mysql", "--skip-extended-insert", true},
		{"mysql", "--extended-insert", true},
		{"mysql", "--complete-insert", true},
		{"mysql", "--no-tablespaces", true},
		{"mysql", "--ignore-table=shop.sessions", true},
		{"mysql", "--ignore-table=sessions", false},
		{"mysql", "--ignore-table", false},
		{"mysql", "--max-allowed-packet=1073741824", true},
		{"mysql", "--max-allowed-packet=256M", true},
		{"mysql", "--max-allowed-packet=big", false},
		{"mysql", "--net-buffer-length=16384", true},
		{"mysql", "--column-statistics=0", true},
		{"mysql", "--set-gtid-purged=OFF", true},
		{"mysql", "--set-gtid-purged=maybe", false},
		{"mysql", "--hex-blob=1", false},
		{"mysql", "--compact", false},
		{"mysql", "--skip-comments", false},
		{"mysql", "--skip-lock-tables", false},
		{"mysql", "--result-file=out.sql", false},
		{"mysql", "--defaults-file=my.cnf", false},
		{"mysql", "--host=evil", false},
		{"mysql", "--password=x", false},
		{"mysql", "-r", false},
		{"mysql", "-h", false},
		{"mysql", "--compress", true}, // client/server protocol compression
		{"mysql", "--tab=out", false},
		{"mysql", "--no-owner", false},
		{"postgres", "--no-owner", true},
		{"postgres", "--no-privileges", true},
		{"postgres", "--no-comments", true},
		{"postgres", "--exclude-table=audit.*", true},
		{"postgres", "--exclude-table-data=logs", true},
		{"postgres", "--exclude-schema=tmp", true},
		{"postgres", "--schema=public", true},
		{"postgres", "--table=public.users", true},
		{"postgres", "--table=--file=/x", false},
		{"postgres", "--table=a\nb", false},
		{"postgres", "--lock-wait-timeout=10s", true},
		{"postgres", "--lock-wait-timeout=forever", false},
		{"postgres", "--extra-float-digits=3", true},
		{"postgres", "--extra-float-digits=4", false},
		{"postgres", "--format=plain", false},
		{"postgres", "-F", false},
		{"postgres", "--file=out.sql", false},
		{"postgres", "-f", false},
		{"postgres", "-U", false},
		{"postgres", "--username=x", false},
		{"postgres", "--dbname=x", false},
		{"postgres", "--compress=9", false},
		{"postgres", "--skip-extended-insert", false},
		{"oracle", "--no-owner", false},
		{"mysql", "", false},
		{"mysql", "--flush-logs", false},
		{"mysql", "--result-fil=out.sql", false},
		{"postgres", "--no-owner x", false},
		{"postgres", "--snapshot=00000003-00000002-1", false},
	}
	for _, tt := range tests {
		if got := AllowedDumpOption(tt.typ, tt.opt); got != tt.want {
			t.Errorf("AllowedDumpOption(%q, %q) = %v, want %v", tt.typ, tt.opt, got, tt.want)
		}
	}
}

// The configuration and the dump engines refuse the same options with the
// same words, and never show the option's value.
func TestDumpOptionProblem(t *testing.T) {
	tests := []struct{ typ, opt, want string }{
		{"mysql", "--password=hunter2", "--password is not allowed: set the password with password or password_file"},
		{"mysql", "--password hunter2", "--password is not allowed: set the password with password or password_file"},
		{"mysql", "--max-allowed-packet=hunter2", "invalid value for --max-allowed-packet"},
		{"mysql", "-phunter2", "must be a long option such as --skip-extended-insert (short options and arguments are not allowed)"},
		{"postgres", "--table=-hunter2", "invalid value for --table"},
		{"postgres", "--compress=9", "--compress is not allowed: compression is set with compression.codec"},
		{"oracle", "--no-owner", `unknown server type "oracle"`},
	}
	for _, tt := range tests {
		if got := dumpOptionProblem(tt.typ, tt.opt); got != tt.want {
			t.Errorf("dumpOptionProblem(%q, %q) = %q, want %q", tt.typ, tt.opt, got, tt.want)
		}
	}
}
