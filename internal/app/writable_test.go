package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/config"
)

// serve refuses to start when a local storage or the temp dir cannot be
// written, naming the path, rather than fail every backup later.
func TestCheckWritable(t *testing.T) {
	good := t.TempDir()
	blocked := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocked, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	a := &App{Config: &config.Config{Storages: []config.Storage{
		{Name: "ok", Type: "local", Path: good},
		{Name: "bad", Type: "local", Path: blocked}, // a file, not a directory: never writable as one
		{Name: "remote", Type: "s3"},
	}}}
	err := a.CheckWritable()
	if err == nil || !strings.Contains(err.Error(), "storage bad: "+blocked+" is not writable") || strings.Contains(err.Error(), "storage ok") {
		t.Fatalf("CheckWritable = %v, want storage bad named, ok not", err)
	}
	if entries, _ := os.ReadDir(good); len(entries) != 0 {
		t.Fatalf("the check left files behind: %v", entries)
	}
	t.Setenv("TMPDIR", blocked)
	a.Config.Storages = a.Config.Storages[:1]
	if err := a.CheckWritable(); err == nil || !strings.Contains(err.Error(), "temp dir "+blocked+" is not writable") {
		t.Fatalf("CheckWritable with an unwritable temp dir = %v", err)
	}
}
