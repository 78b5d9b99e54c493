package dump

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/redact"
	"golang.org/x/sys/unix"
)

const (
	// DefaultWaitDelay is how long a child gets between SIGTERM and SIGKILL,
	// and how long Wait waits for its I/O after it exited.
	DefaultWaitDelay = 10 * time.Second
	// StderrCap is how much of a child's stderr is kept: the last StderrCap bytes.
	StderrCap = 8 << 10
	// pipeSize is the size asked for the child's stdout pipe; the default
	// 64 KiB pipe costs about a third of the wall time of a large dump.
	pipeSize = 1 << 20
	// readChunk is the read size on the child's stdout.
	readChunk = 1 << 20
)

// defaultPath is the child's PATH when the parent has none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Cmd is one run of a client tool as a child process.
//
// The child's environment is built from scratch: PATH, LANG/LC_ALL, TZ=UTC,
// HOME=Dir and Env. Nothing of the parent's environment except PATH is passed
// on, because it may hold passwords (MYSQL_PWD, PGPASSWORD, or what the
// configuration expanded). Secrets belong in a 0600 file in a PrivateDir.
type Cmd struct {
	Path string   // the tool, as found by LookTool
	Args []string // arguments after the program name; never a secret
	// Env holds extra KEY=value entries (e.g. PGPASSFILE=...). Never a secret itself.
	Env []string
	// Dir is the child's working directory and HOME, normally a PrivateDir,
	// so that no per-user option file (~/.my.cnf, ~/.pgpass) is read.
	Dir string
	// Stdin, when set, is copied to the child's stdin. If reading it fails,
	// the child is sent SIGTERM before its stdin is closed, so that it never
	// takes a broken input for a clean end of input.
	Stdin io.Reader
	// Stdout, when set, receives everything the child writes to stdout; it is
	// read to EOF in large chunks before the child is waited for. Nil discards.
	Stdout io.Writer
	// Secrets are replaced by <redacted> in the stderr text Run returns.
	Secrets []string
	// WaitDelay bounds the time between SIGTERM and SIGKILL after ctx is done;
	// zero means DefaultWaitDelay.
	WaitDelay time.Duration
	// OnStart, when set, is called with the child's pid once it runs.
	OnStart func(pid int)
}

// ErrToolExited is the error an io.Pipe given as Cmd.Stdin is closed with
// once the child exited: its writer learns that nobody reads any more.
var ErrToolExited = errors.New("the tool exited before it read all its input")

// errInputBlocked: the child exited and reading Cmd.Stdin still blocked
// after the wait delay.
var errInputBlocked = errors.New("input still blocked after the tool exited")

// ExitError reports a child that failed: it exited non-zero, was killed, or
// could not be waited for. Its message names the tool, the exit status or
// signal and the redacted tail of stderr.
type ExitError struct {
	Tool   string // base name of the tool
	Status string // e.g. "exit status 2" or "killed by signal terminated"
	Stderr string // redacted, at most StderrCap bytes
	Err    error  // the underlying error (wraps ctx.Err() when ctx ended the child)
}

func (e *ExitError) Error() string {
	msg := e.Tool + ": " + e.Status
	if e.Stderr != "" {
		msg += ": " + e.Stderr
	}
	return msg
}

func (e *ExitError) Unwrap() error { return e.Err }

// Run starts the child, feeds its stdin, copies its stdout to c.Stdout to EOF
// and waits for it. It returns the redacted stderr tail (useful for warnings
// even on success) and an error when the child did not exit with status 0,
// when ctx ended it, or when Stdin or Stdout failed.
func (c *Cmd) Run(ctx context.Context) (stderr string, err error) {
	if c.Path == "" {
		return "", errors.New("dump: Cmd without a Path")
	}
	tool := filepath.Base(c.Path)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	waitDelay := c.WaitDelay
	if waitDelay <= 0 {
		waitDelay = DefaultWaitDelay
	}
	cmd := exec.CommandContext(ctx, c.Path, c.Args...)
	cmd.Env = c.env()
	cmd.Dir = c.Dir
	cmd.WaitDelay = waitDelay
	// The child leads a process group of its own, so that a terminal's
	// Ctrl-C (SIGINT to the foreground group) reaches only us: the child
	// hears of it through ctx. On Linux it dies with us rather than outlive
	// a killed parent (see childAttr).
	cmd.SysProcAttr = childAttr()
	group := &groupKiller{delay: waitDelay}
	cmd.Cancel = func() error { return group.cancel(cmd.Process.Pid) }
	tail := newTailBuffer(StderrCap)
	cmd.Stderr = tail

	var stdout io.Reader
	if c.Stdout != nil {
		rc, err := cmd.StdoutPipe()
		if err != nil {
			return "", fmt.Errorf("%s: %w", tool, err)
		}
		if f, ok := rc.(*os.File); ok { // the read end of an os.Pipe
			enlargePipe(f)
		}
		stdout = rc
	}
	var stdin io.WriteCloser
	if c.Stdin != nil {
		if stdin, err = cmd.StdinPipe(); err != nil {
			return "", fmt.Errorf("%s: %w", tool, err)
		}
	}

	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("starting %s: %w", tool, err)
	}
	if c.OnStart != nil {
		c.OnStart(cmd.Process.Pid)
	}

	stdinDone := make(chan error, 1)
	if stdin != nil {
		go feedStdin(stdin, c.Stdin, cmd.Process, stdinDone)
	} else {
		stdinDone <- nil
	}

	var copyErr error
	if stdout != nil {
		if copyErr = copyStdout(ctx, c.Stdout, stdout); copyErr != nil {
			// Stop the child: nobody reads its output any more.
			cancel()
		}
	}
	waitErr := cmd.Wait()
	group.done()
	var inErr error
	afterExit := false // the input stopped because the child exited
	select {
	case inErr = <-stdinDone: // the input ended, or failed, first
	default:
		afterExit = true
		if p, ok := c.Stdin.(interface{ CloseWithError(error) error }); ok {
			// An io.Pipe whose writer waits for the child: tell it the
			// child is gone, so that neither it nor the copy goroutine
			// blocks any longer.
			_ = p.CloseWithError(ErrToolExited)
		}
		select {
		case inErr = <-stdinDone:
		case <-time.After(waitDelay):
			// Reading c.Stdin still blocks. The copy goroutine ends with
			// the next Read, which fails on the closed pipe.
			inErr = errInputBlocked
		}
	}
	// An input that stopped because the child exited says nothing of why:
	// the child's exit status and stderr do.

	stderr = redact.Secrets(tail.String(), c.Secrets...)
	switch {
	case inErr != nil && !(afterExit && waitErr != nil):
		return stderr, fmt.Errorf("%s: reading input: %w", tool, inErr)
	case copyErr != nil:
		return stderr, fmt.Errorf("%s: writing output: %w", tool, copyErr)
	case waitErr != nil:
		return stderr, exitError(ctx, tool, waitErr, stderr)
	case ctx.Err() != nil:
		// The child exited 0 after ctx ended; its work may be incomplete.
		return stderr, &ExitError{Tool: tool, Status: "exited after cancellation", Stderr: stderr, Err: context.Cause(ctx)}
	}
	return stderr, nil
}

// groupKiller ends a cancelled child's process group: SIGTERM to the whole
// group at once, SIGKILL to what is left of it after delay (exec's own
// WaitDelay kill reaches only the leader), and SIGKILL again once the
// leader was waited for, so that no grandchild outlives the run.
type groupKiller struct {
	delay time.Duration

	mu    sync.Mutex
	pgid  int // set once cancelled
	timer *time.Timer
}

// cancel is exec.Cmd.Cancel: it signals the group led by pid.
func (g *groupKiller) cancel(pid int) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pgid = pid
	g.timer = time.AfterFunc(g.delay, func() { _ = unix.Kill(-pid, unix.SIGKILL) })
	if err := unix.Kill(-pid, unix.SIGTERM); err != nil {
		if errors.Is(err, unix.ESRCH) {
			return os.ErrProcessDone // exec treats this as "already exited"
		}
		return err
	}
	return nil
}

// done is called once Wait returned. Only a cancelled run has its group
// killed: a child that exited by itself leaves no group behind.
func (g *groupKiller) done() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.pgid == 0 {
		return
	}
	g.timer.Stop()
	_ = unix.Kill(-g.pgid, unix.SIGKILL) // ESRCH: nothing left
}

// env returns the child's environment, never derived from os.Environ.
func (c *Cmd) env() []string {
	path := os.Getenv("PATH")
	if path == "" {
		path = defaultPath
	}
	env := []string{
		"PATH=" + path,
		"LANG=C.UTF-8",
		"LC_ALL=C.UTF-8",
		"TZ=UTC",
	}
	if c.Dir != "" {
		env = append(env, "HOME="+c.Dir)
	}
	return append(env, c.Env...) // exec keeps the last of duplicate keys
}

func exitError(ctx context.Context, tool string, waitErr error, stderr string) error {
	e := &ExitError{Tool: tool, Stderr: stderr, Err: waitErr}
	var xe *exec.ExitError
	switch {
	case errors.As(waitErr, &xe):
		ws, ok := xe.Sys().(syscall.WaitStatus)
		switch {
		case ok && ws.Signaled():
			e.Status = "killed by signal " + ws.Signal().String()
		case ok:
			e.Status = fmt.Sprintf("exit status %d", ws.ExitStatus())
		default:
			e.Status = xe.String()
		}
	case errors.Is(waitErr, exec.ErrWaitDelay):
		e.Status = "output still open after exit"
	default:
		e.Status = waitErr.Error()
	}
	if ctx.Err() != nil {
		e.Status += " (" + context.Cause(ctx).Error() + ")"
		e.Err = errors.Join(waitErr, context.Cause(ctx))
	}
	return e
}

// copyStdout copies src to dst in large chunks until EOF, a write error or ctx ends.
func copyStdout(ctx context.Context, dst io.Writer, src io.Reader) error {
	buf := make([]byte, readChunk)
	for {
		n, rerr := src.Read(buf)
		if n > 0 {
			if err := ctx.Err(); err != nil {
				return nil // Wait reports the cancellation
			}
			wn, werr := dst.Write(buf[:n])
			if werr != nil {
				return werr
			}
			if wn != n {
				return io.ErrShortWrite
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

// feedStdin copies src to the child's stdin and sends the outcome to done:
// a read error, else nil. On a read error it sends it, then signals the
// child before closing stdin, so that the child does not see a clean EOF
// and the error is known before the child exits of it.
func feedStdin(stdin io.WriteCloser, src io.Reader, p *os.Process, done chan<- error) {
	buf := make([]byte, readChunk)
	_, err := io.CopyBuffer(childWriter{stdin}, src, buf)
	var we *writeError
	if err != nil && !errors.As(err, &we) {
		done <- err
		_ = p.Signal(syscall.SIGTERM)
		_ = stdin.Close()
		return
	}
	// A write error means the child stopped reading (it exited or closed
	// stdin); Wait reports why.
	_ = stdin.Close()
	done <- nil
}

// childWriter tags write errors so that feedStdin can tell them from read errors.
type childWriter struct{ w io.Writer }

func (c childWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	if err != nil {
		err = &writeError{err}
	}
	return n, err
}

// writeError marks errors that come from the child's side of stdin; they are
// not input errors (the child exited early and Wait reports why).
type writeError struct{ error }

func (e *writeError) Unwrap() error { return e.error }
