package dump

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/testenv"
	"golang.org/x/sys/unix"
)

func lookPath(t *testing.T, name string) string {
	t.Helper()
	p, err := LookTool("test tool", "", name)
	testenv.Require(t, "tool "+name, err)
	return p
}

func TestRunStdoutAndEnv(t *testing.T) {
	t.Setenv("MYSQL_PWD", "parent-secret")
	t.Setenv("PGPASSWORD", "parent-secret")
	dir := t.TempDir()
	var out bytes.Buffer
	c := Cmd{Path: lookPath(t, "env"), Dir: dir, Env: []string{"PGPASSFILE=/x/pgpass"}, Stdout: &out}
	if _, err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := strings.Fields(out.String())
	want := []string{"PATH=" + os.Getenv("PATH"), "LANG=C.UTF-8", "LC_ALL=C.UTF-8", "TZ=UTC", "HOME=" + dir, "PGPASSFILE=/x/pgpass"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("child env:\n got %q\nwant %q", got, want)
	}
}

func TestRunLargeStdout(t *testing.T) {
	const size = 20 << 20
	var n countWriter
	c := Cmd{Path: lookPath(t, "head"), Args: []string{"-c", "20971520", "/dev/zero"}, Stdout: &n}
	if _, err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n.n != size {
		t.Errorf("got %d bytes, want %d", n.n, size)
	}
	if n.max > readChunk {
		t.Errorf("largest write %d > read chunk %d", n.max, readChunk)
	}
}

type countWriter struct{ n, max int }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += len(p)
	c.max = max(c.max, len(p))
	return len(p), nil
}

func TestRunExitErrorRedactsStderr(t *testing.T) {
	sh := lookPath(t, "sh")
	const secret = `p'a"s$s; w>rd`
	c := Cmd{
		Path:    sh,
		Args:    []string{"-c", `echo "connecting with $1" >&2; echo "password=hunter2 postgres://u:pw@h/db" >&2; exit 3`, "sh", secret},
		Secrets: []string{secret},
	}
	_, err := c.Run(context.Background())
	var xe *ExitError
	if !errors.As(err, &xe) {
		t.Fatalf("got %v, want an ExitError", err)
	}
	msg := err.Error()
	for _, bad := range []string{secret, "hunter2", ":pw@"} {
		if strings.Contains(msg, bad) {
			t.Errorf("error %q contains %q", msg, bad)
		}
	}
	for _, want := range []string{"sh: exit status 3", "connecting with <redacted>", "password=<redacted>", "postgres://u:<redacted>@h/db"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
}

func TestRunStderrCap(t *testing.T) {
	sh := lookPath(t, "sh")
	// 100 000 lines on stderr, the secret in the last-but-one.
	c := Cmd{
		Path:    sh,
		Args:    []string{"-c", `i=0; while [ $i -lt 20000 ]; do echo "noise line $i" >&2; i=$((i+1)); done; echo "the secret is S3CRET" >&2; echo "final error" >&2; exit 1`},
		Secrets: []string{"S3CRET"},
	}
	_, err := c.Run(context.Background())
	var xe *ExitError
	if !errors.As(err, &xe) {
		t.Fatalf("got %v", err)
	}
	if len(xe.Stderr) > StderrCap+3 {
		t.Errorf("stderr tail is %d bytes, want <= %d", len(xe.Stderr), StderrCap+3)
	}
	if !strings.HasPrefix(xe.Stderr, "...noise line ") || !strings.HasSuffix(xe.Stderr, "the secret is <redacted>\nfinal error") {
		t.Errorf("tail = %q...%q", xe.Stderr[:40], xe.Stderr[len(xe.Stderr)-40:])
	}
}

func TestTailBuffer(t *testing.T) {
	tests := []struct {
		name   string
		writes []string
		max    int
		want   string
	}{
		{"short", []string{"a\n", "b\n"}, 16, "a\nb"},
		{"exact", []string{"0123456789"}, 10, "0123456789"},
		{"drops partial first line", []string{"line one\n", "line two\n", "line three"}, 16, "...line three"},
		{"one big write", []string{strings.Repeat("x", 50) + "\nend"}, 10, "...end"},
		{"cut secret without newline", []string{"xxxxxxxxSECRET tail"}, 10, "...tail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newTailBuffer(tt.max)
			for _, w := range tt.writes {
				if n, err := b.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			if got := b.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRunCancel(t *testing.T) {
	sleep := lookPath(t, "sleep")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	c := Cmd{Path: sleep, Args: []string{"30"}, Stdout: io.Discard}
	_, err := c.Run(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want DeadlineExceeded", err)
	}
	if !strings.Contains(err.Error(), "killed by signal terminated") {
		t.Errorf("error %q does not name the signal", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestRunWaitDelayKills(t *testing.T) {
	sh := lookPath(t, "sh")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	// The shell ignores SIGTERM; only the kill after WaitDelay ends it.
	c := Cmd{Path: sh, Args: []string{"-c", `trap "" TERM; while :; do sleep 0.05; done`}, WaitDelay: 300 * time.Millisecond}
	_, err := c.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("got %v, want killed", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestRunWriterError(t *testing.T) {
	yes := lookPath(t, "yes")
	boom := errors.New("storage full")
	c := Cmd{Path: yes, Stdout: failWriter{boom}}
	_, err := c.Run(context.Background())
	if !errors.Is(err, boom) {
		t.Errorf("got %v, want %v", err, boom)
	}
}

type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }

func TestRunStdin(t *testing.T) {
	cat := lookPath(t, "cat")
	in := strings.Repeat("0123456789", 300000)
	var out bytes.Buffer
	c := Cmd{Path: cat, Stdin: strings.NewReader(in), Stdout: &out}
	if _, err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if out.String() != in {
		t.Errorf("cat returned %d bytes, want %d", out.Len(), len(in))
	}
}

func TestRunStdinErrorKillsChild(t *testing.T) {
	sh := lookPath(t, "sh")
	marker := filepath.Join(t.TempDir(), "eof-seen")
	boom := errors.New("checksum mismatch")
	// The child records whether it saw a clean end of input.
	c := Cmd{
		Path:  sh,
		Args:  []string{"-c", `cat >/dev/null && touch "$1"`, "sh", marker},
		Stdin: io.MultiReader(strings.NewReader("some data"), &slowErrReader{err: boom}),
	}
	_, err := c.Run(context.Background())
	if !errors.Is(err, boom) {
		t.Errorf("got %v, want %v", err, boom)
	}
	time.Sleep(100 * time.Millisecond)
	if _, err := os.Stat(marker); err == nil {
		t.Error("the child saw a clean EOF after an input error")
	}
}

type slowErrReader struct{ err error }

func (r *slowErrReader) Read([]byte) (int, error) {
	time.Sleep(50 * time.Millisecond)
	return 0, r.err
}

func TestOnStart(t *testing.T) {
	var pid int
	c := Cmd{Path: lookPath(t, "true"), OnStart: func(p int) { pid = p }}
	if _, err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if pid <= 0 {
		t.Errorf("OnStart got pid %d", pid)
	}
}

func TestLookTool(t *testing.T) {
	_, err := LookTool("dump tool", "", "no-such-tool-a", "no-such-tool-b")
	if want := "dump tool not found: neither no-such-tool-a nor no-such-tool-b is on PATH"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
	if !errors.Is(err, ErrToolNotFound) {
		t.Errorf("%v is not ErrToolNotFound", err)
	}
	_, err = LookTool("restore tool", "/nonexistent/pg_restore")
	if err == nil || !strings.HasPrefix(err.Error(), "restore tool not found: /nonexistent/pg_restore: ") || !errors.Is(err, ErrToolNotFound) {
		t.Errorf("got %v", err)
	}
	sh := lookPath(t, "sh")
	if p, err := LookTool("dump tool", "", "no-such-tool", "sh"); err != nil || p != sh {
		t.Errorf("got %q, %v; want %q", p, err, sh)
	}
}

func TestPrivateDir(t *testing.T) {
	base := t.TempDir()
	d, err := NewPrivateDir(base)
	if err != nil {
		t.Fatal(err)
	}
	p, err := d.WriteFile("client.cnf", []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{d.Path(): 0o700 | os.ModeDir, p: 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", filepath.Base(path), fi.Mode(), want)
		}
	}
	if _, err := d.WriteFile("client.cnf", nil); err == nil {
		t.Error("WriteFile overwrote an existing file")
	}
	if _, err := d.WriteFile("../x", nil); err == nil {
		t.Error("WriteFile accepted a path")
	}
	if err := d.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.Path()); !os.IsNotExist(err) {
		t.Errorf("dir still there: %v", err)
	}
}

func TestRunOwnProcessGroup(t *testing.T) {
	var pid, pgid int
	var pgErr error
	c := Cmd{Path: lookPath(t, "sleep"), Args: []string{"0.1"}, OnStart: func(p int) {
		pid = p
		pgid, pgErr = unix.Getpgid(p)
	}}
	if _, err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if pgErr != nil || pgid != pid {
		t.Errorf("child %d is in process group %d (%v), want its own", pid, pgid, pgErr)
	}
	if pgid == unix.Getpgrp() {
		t.Errorf("child shares our process group %d", pgid)
	}
}

// Cancelling a run ends the child's whole process group, a grandchild that
// ignores SIGTERM included: nothing is left behind.
func TestRunCancelKillsGroup(t *testing.T) {
	sh := lookPath(t, "sh")
	pidFile := filepath.Join(t.TempDir(), "grandchild")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			if b, err := os.ReadFile(pidFile); err == nil && strings.HasSuffix(string(b), "\n") {
				cancel()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	c := Cmd{
		Path:      sh,
		Args:      []string{"-c", `(trap "" TERM; exec sleep 30) & echo $! >"$1.tmp"; mv "$1.tmp" "$1"; wait`, "sh", pidFile},
		WaitDelay: 300 * time.Millisecond,
	}
	start := time.Now()
	if _, err := c.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	var grandchild int
	if _, err := fmt.Sscan(string(b), &grandchild); err != nil || grandchild <= 0 {
		t.Fatalf("grandchild pid %q: %v", b, err)
	}
	for deadline := time.Now().Add(2 * time.Second); alive(grandchild); {
		if time.Now().After(deadline) {
			unix.Kill(grandchild, unix.SIGKILL)
			t.Fatalf("grandchild %d outlived the cancelled run", grandchild)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// alive tells whether pid runs (a zombie waiting to be reaped does not).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && len(s) > i+2 {
		return s[i+2] != 'Z'
	}
	return true
}

// A child that fails while its input is an io.Pipe that nobody writes to
// (the writer waits for the child) ends promptly, with its own exit status
// and stderr rather than an input error; the pipe's writer learns that the
// child is gone.
func TestRunChildFailsWhileInputWaits(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	c := Cmd{Path: lookPath(t, "sh"), Args: []string{"-c", "echo 'ERROR 1300: bad name' >&2; exit 1"}, Stdin: pr, WaitDelay: 20 * time.Second}
	start := time.Now()
	_, err := c.Run(context.Background())
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Run took %v: it waited for the input", took)
	}
	var ee *ExitError
	if !errors.As(err, &ee) || !strings.Contains(err.Error(), "ERROR 1300") {
		t.Errorf("err = %v, want the child's exit error with its stderr", err)
	}
	if _, werr := pw.Write([]byte("more")); !errors.Is(werr, ErrToolExited) {
		t.Errorf("writing after the child exited: %v, want ErrToolExited", werr)
	}
}
