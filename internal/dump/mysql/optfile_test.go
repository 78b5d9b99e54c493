package mysql

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/dump"
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
