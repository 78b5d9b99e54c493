// Command gosqlguard backs up MySQL/MariaDB and PostgreSQL databases to local
// and S3-compatible storage, restores and verifies them.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // schedule_timezone works on machines without zoneinfo
)

func main() { os.Exit(run()) }

// Exit codes, as the README documents them.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// exitError carries an exit code up to run.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageError(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// failed is an error whose details were already printed; it only sets the exit code.
var errFailed = &exitError{code: exitFailure, err: errors.New("")}

func run() int {
	ctx, stop := notifyStop(context.Background())
	defer stop()
	cmd := newRootCommand(os.Stdout, os.Stderr)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err.Error() != "" {
			fmt.Fprintln(os.Stderr, "error:", ee.err)
		}
		return ee.code
	}
	// Errors from cobra itself (unknown command or flag, bad arguments) are usage errors.
	fmt.Fprintln(os.Stderr, "error:", err)
	if isCobraUsage(err) {
		return exitUsage
	}
	return exitFailure
}

// forceKey is the context key of the context that a second stop signal ends.
type forceKey struct{}

// notifyStop returns a context that the first SIGINT or SIGTERM cancels.
// A second one ends the context forceStop returns for it: the daemon then
// stops waiting for its running backups. One-shot commands only heed the
// first: cancelling already stops their children and records the run as
// interrupted. Child processes lead their own process groups, so a
// terminal's Ctrl-C reaches them only through this cancellation.
func notifyStop(parent context.Context) (context.Context, context.CancelFunc) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	force, forceNow := context.WithCancel(context.Background())
	ctx, cancel := context.WithCancel(context.WithValue(parent, forceKey{}, force))
	done := make(chan struct{})
	go func() {
		for n := 0; ; n++ {
			select {
			case <-done:
				return
			case <-sigs:
				if n == 0 {
					cancel()
				} else {
					forceNow()
				}
			}
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
		forceNow()
	}
}

// forceStop returns the context that a second stop signal ends; a context
// notifyStop did not make never ends.
func forceStop(ctx context.Context) context.Context {
	if f, ok := ctx.Value(forceKey{}).(context.Context); ok {
		return f
	}
	return context.Background()
}
