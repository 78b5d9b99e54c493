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

// Exit codes (SPEC §1).
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
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
