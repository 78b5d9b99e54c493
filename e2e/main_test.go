// Package e2e runs the gosqlguard binary as users do, against the real local
// MariaDB and PostgreSQL. A missing service skips locally and fails in CI.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/logtest"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gosqlguard-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "gosqlguard")
	build := exec.Command("go", "build", "-o", binary, "../cmd/gosqlguard")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is one finished run of the binary.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// runIn runs the binary in dir ("": this one) with a clean environment plus env.
func runIn(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		res.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return res
}

// run runs the binary with args and a clean environment plus env.
func run(t *testing.T, env []string, args ...string) result {
	t.Helper()
	return runIn(t, "", env, args...)
}

// mustRun runs the binary and fails the test unless it exits 0.
func mustRun(t *testing.T, env []string, args ...string) result {
	t.Helper()
	res := run(t, env, args...)
	if res.code != 0 {
		t.Fatalf("gosqlguard %s: %s", strings.Join(args, " "), res)
	}
	return res
}

// backupID returns the ID from the single line `backup` printed.
func backupID(t *testing.T, res result) string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one backup line, got %d: %s", len(lines), res)
	}
	return strings.Fields(lines[0])[0]
}

// background is a run of the binary that a test started and goes on beside.
type background struct {
	cmd *exec.Cmd
	// done receives the process's exit (Wait's error) once.
	done           chan error
	stdout, stderr logtest.Buffer // safe to read while it runs
}

// startBackground starts the binary with args and a clean environment plus
// env, with attr as its SysProcAttr (nil: none). A process the test did not
// wait for is killed at cleanup.
func startBackground(t *testing.T, env []string, attr *syscall.SysProcAttr, args ...string) *background {
	t.Helper()
	b := &background{done: make(chan error, 1)}
	b.cmd = exec.Command(binary, args...)
	b.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	b.cmd.SysProcAttr = attr
	b.cmd.Stdout, b.cmd.Stderr = &b.stdout, &b.stderr
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { b.done <- b.cmd.Wait() }()
	t.Cleanup(func() {
		if b.cmd.ProcessState == nil {
			b.cmd.Process.Kill()
			<-b.done
		}
	})
	return b
}

// output is what the process wrote so far, standard output first.
func (b *background) output() string { return b.stdout.String() + b.stderr.String() }
