package dump

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ToolVersion asks a tool once per process, and again once the file at its
// path changed.
func TestToolVersionCachedPerFile(t *testing.T) {
	dir := t.TempDir()
	calls := filepath.Join(dir, "calls")
	tool := filepath.Join(dir, "fake-dump")
	write := func(version string) {
		script := "#!/bin/sh\necho x >> '" + calls + "'\necho '" + version + "'\n"
		if err := os.WriteFile(tool, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	count := func() int {
		b, _ := os.ReadFile(calls)
		return strings.Count(string(b), "x")
	}
	write("fake-dump Ver 1.0")
	ctx := context.Background()
	for range 3 {
		v, err := ToolVersion(ctx, tool, dir)
		if err != nil || v != "fake-dump Ver 1.0" {
			t.Fatalf("ToolVersion = %q, %v", v, err)
		}
	}
	if n := count(); n != 1 {
		t.Errorf("the tool ran %d times for three calls, want 1", n)
	}

	write("fake-dump Ver 2.00") // upgraded in place: another size
	later := time.Now().Add(time.Second)
	if err := os.Chtimes(tool, later, later); err != nil {
		t.Fatal(err)
	}
	if v, err := ToolVersion(ctx, tool, dir); err != nil || v != "fake-dump Ver 2.00" {
		t.Errorf("after the upgrade ToolVersion = %q, %v", v, err)
	}
	if n := count(); n != 2 {
		t.Errorf("the tool ran %d times, want 2", n)
	}

	// A failure is not kept: the next call asks again.
	if err := os.WriteFile(tool, []byte("#!/bin/sh\necho x >> '"+calls+"'\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := ToolVersion(ctx, tool, dir); err == nil {
		t.Error("a failing --version gave no error")
	}
	if _, err := ToolVersion(ctx, tool, dir); err == nil {
		t.Error("a failing --version gave no error the second time")
	}
	if n := count(); n != 4 {
		t.Errorf("the tool ran %d times, want 4 (failures are not cached)", n)
	}
}
