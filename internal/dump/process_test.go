package dump

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestProcessCommand(t *testing.T) {
	sh := lookPath(t, "sh")
	var gotTool string
	var gotPid int
	p := Process{WaitDelay: 3 * time.Second, OnStart: func(tool string, pid int) { gotTool, gotPid = tool, pid }}
	dir := t.TempDir()
	var out bytes.Buffer
	c := p.Command(sh, dir, []string{"X=1"}, []string{"-c", `echo "$X $HOME"; echo "bad S3CRET" >&2; exit 2`}, []string{"S3CRET"})
	if c.Path != sh || c.Dir != dir || c.WaitDelay != 3*time.Second || !slices.Equal(c.Env, []string{"X=1"}) {
		t.Errorf("Command = %+v", c)
	}
	c.Stdout = &out
	_, err := c.Run(context.Background())
	var xe *ExitError
	if !errors.As(err, &xe) || xe.Stderr != "bad <redacted>" {
		t.Errorf("got %v, want exit status 2 with the secret redacted", err)
	}
	if got, want := out.String(), "1 "+dir+"\n"; got != want {
		t.Errorf("stdout %q, want %q", got, want)
	}
	if gotTool != "sh" || gotPid <= 0 {
		t.Errorf("OnStart(%q, %d), want the tool's base name and its pid", gotTool, gotPid)
	}
	if c := (Process{}).Command(sh, dir, nil, nil, nil); c.OnStart != nil {
		t.Error("OnStart set without Process.OnStart")
	}
}

func TestProcessWithPrivateFile(t *testing.T) {
	base := t.TempDir()
	p := Process{TempDir: base}
	logger := slog.New(slog.DiscardHandler)
	var dir string
	err := p.WithPrivateFile(logger, "client.cnf", []byte("secret"), func(d, file string) error {
		dir = d
		if filepath.Dir(d) != base || file != filepath.Join(d, "client.cnf") {
			t.Errorf("dir %q, file %q; want a directory under %q holding client.cnf", d, file, base)
		}
		for path, want := range map[string]os.FileMode{d: 0o700 | os.ModeDir, file: 0o600} {
			if fi, err := os.Stat(path); err != nil || fi.Mode() != want {
				t.Errorf("%s: %v; want mode %v", path, err, want)
			}
		}
		if b, err := os.ReadFile(file); err != nil || string(b) != "secret" {
			t.Errorf("content %q, %v", b, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("private dir left behind: %v", err)
	}

	boom := errors.New("boom")
	err = p.WithPrivateFile(logger, "pgpass", nil, func(d, _ string) error { dir = d; return boom })
	if !errors.Is(err, boom) {
		t.Errorf("got %v, want fn's error", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("private dir left behind after an error: %v", err)
	}

	called := false
	err = p.WithPrivateFile(logger, "../x", nil, func(string, string) error { called = true; return nil })
	if err == nil || called {
		t.Errorf("bad file name: got %v, fn called %v", err, called)
	}
	if entries, _ := os.ReadDir(base); len(entries) != 0 {
		t.Errorf("left in TempDir: %v", entries)
	}

	err = (Process{TempDir: filepath.Join(base, "missing")}).WithPrivateFile(logger, "f", nil, func(string, string) error { called = true; return nil })
	if err == nil || called || !strings.Contains(err.Error(), "private temp dir") {
		t.Errorf("missing TempDir: got %v, fn called %v", err, called)
	}
}
