package app

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const module = "github.com/gosqlguard/gosqlguard/"

// The HTTP surfaces are siblings over the service contract: neither depends
// on the other, on config or runner, or on what only backups need (database
// drivers, zstd, age); and config depends on no database driver. app is
// where they meet.
func TestPackageLayering(t *testing.T) {
	heavy := []string{"github.com/jackc/pgx", "github.com/go-sql-driver/mysql", "github.com/klauspost/compress", "filippo.io/age"}
	tests := []struct {
		pkg    string
		forbid []string
	}{
		{"internal/web", append([]string{module + "internal/httpapi", module + "internal/config", module + "internal/runner"}, heavy...)},
		{"internal/httpapi", append([]string{module + "internal/web", module + "internal/config", module + "internal/runner"}, heavy...)},
		{"internal/config", []string{"github.com/jackc/pgx", "github.com/go-sql-driver/mysql"}},
	}
	for _, tt := range tests {
		t.Run(tt.pkg, func(t *testing.T) {
			for _, dep := range goListDeps(t, module+tt.pkg) {
				for _, bad := range tt.forbid {
					if dep == bad || strings.HasPrefix(dep, bad+"/") {
						t.Errorf("%s depends on %s", tt.pkg, dep)
					}
				}
			}
		})
	}
}

// goListDeps returns the import paths pkg depends on, itself included, as
// `go list -deps` prints them.
func goListDeps(t *testing.T, pkg string) []string {
	t.Helper()
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		if goTool, err = exec.LookPath("go"); err != nil {
			t.Fatalf("no go command to list dependencies with: %v", err)
		}
	}
	out, err := exec.Command(goTool, "list", "-deps", pkg).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, stderr)
	}
	return strings.Fields(string(out))
}
