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

	"github.com/gosqlguard/gosqlguard/internal/app"
	"github.com/spf13/cobra"
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

// usageError is a usage error (exit 2) with a formatted message.
func usageError(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// usage marks err as a usage error (exit 2), unless it is nil or already
// carries an exit code.
func usage(err error) error {
	var ee *exitError
	if err == nil || errors.As(err, &ee) {
		return err
	}
	return &exitError{code: exitUsage, err: err}
}

// failed is an error whose details were already printed; it only sets the exit code.
var errFailed = &exitError{code: exitFailure, err: errors.New("")}

func run() int {
	ctx, stop := notifyStop(context.Background())
	defer stop()
	err := execute(ctx, newRootCommand(os.Stdout, os.Stderr))
	if err != nil && err.Error() != "" {
		fmt.Fprintln(os.Stderr, "error:", err)
	}
	return exitCode(err)
}

// execute runs the command line root was given. The root command runs
// nothing itself, so an error that cobra returns with root as the command
// is its refusal of the command line (an unknown command): a usage error.
// Flag and argument errors are made usage errors where cobra reports them
// (newRootCommand).
func execute(ctx context.Context, root *cobra.Command) error {
	c, err := root.ExecuteContextC(ctx)
	if err != nil && c == root {
		return usage(err)
	}
	return err
}

// exitCode is the one mapping from an error to the exit status: 0 for
// none, the code an exitError carries, 2 for a request the config cannot
// satisfy (app.ErrUsage), else 1.
func exitCode(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, app.ErrUsage):
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
