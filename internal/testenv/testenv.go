// Package testenv holds what tests share about their environment: the one
// rule for a service or tool a test needs and cannot find. Locally the test
// is skipped; in CI (CI=true) it fails, so that a green CI run always means
// the real server or tool was used.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// InCI reports whether the tests run in CI (the environment has CI=true).
func InCI() bool { return os.Getenv("CI") == "true" }

// Require does nothing when err is nil. Otherwise it skips t, or fails it in
// CI, with a message naming what is missing ("MariaDB", "tool s3cmd") and err.
func Require(t testing.TB, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if InCI() {
		t.Fatalf("%s is not available (CI requires it): %v", what, err)
		return
	}
	t.Skipf("%s is not available: %v", what, err)
}

// Tool returns the path of the named program on $PATH, skipping t (failing
// it in CI) when there is none.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	Require(t, "tool "+name, err)
	return p
}
