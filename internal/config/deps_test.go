package config

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/testenv"
)

// TestNoDatabaseDriver keeps the configuration free of database drivers:
// it reads the dump-option allow-lists from a package that has none, so that
// everything that reads config does not compile both drivers.
func TestNoDatabaseDriver(t *testing.T) {
	goTool := testenv.Tool(t, "go")
	out, err := exec.Command(goTool, "list", "-deps", "github.com/gosqlguard/gosqlguard/internal/config").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, driver := range []string{"github.com/jackc/pgx", "github.com/go-sql-driver/mysql", "internal/dump/mysql", "internal/dump/postgres"} {
			if strings.Contains(dep, driver) {
				t.Errorf("internal/config depends on %s", dep)
			}
		}
	}
}
