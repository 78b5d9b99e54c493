package dumptest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// CheckChildHides reads the argv and environment of the running process pid
// as any process of the same user can, fails the test when either holds one
// of the non-empty strings secrets, and returns both.
func CheckChildHides(t testing.TB, pid int, secrets ...string) (args, env []string) {
	t.Helper()
	cmdline, err1 := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	environ, err2 := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	for what, b := range map[string][]byte{"cmdline": cmdline, "environ": environ} {
		for _, s := range secrets {
			if s != "" && bytes.Contains(b, []byte(s)) {
				t.Errorf("%s of the child holds %q: %q", what, s, b)
			}
		}
	}
	return splitNUL(cmdline), splitNUL(environ)
}

func splitNUL(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
}

// CheckPrivateFile checks that file has mode 0600 and its directory 0700.
func CheckPrivateFile(t testing.TB, file string) {
	t.Helper()
	for p, want := range map[string]os.FileMode{file: 0o600, filepath.Dir(file): 0o700 | os.ModeDir} {
		fi, err := os.Stat(p)
		switch {
		case err != nil:
			t.Error(err)
		case fi.Mode() != want:
			t.Errorf("%s: mode %v, want %v", p, fi.Mode(), want)
		}
	}
}
