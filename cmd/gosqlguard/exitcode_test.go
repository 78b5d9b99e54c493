package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/app"
)

func TestExitCode(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"none", nil, exitOK},
		{"failure", errors.New("dump failed"), exitFailure},
		{"usage", usageError("bad --output"), exitUsage},
		{"usage wrapped", fmt.Errorf("list: %w", usageError("bad --output")), exitUsage},
		{"failure kept", usage(&exitError{code: exitFailure, err: errors.New("x")}), exitFailure},
		{"config cannot satisfy", fmt.Errorf("%w: server %q is not configured", app.ErrUsage, "nope"), exitUsage},
		{"already printed", errFailed, exitFailure},
	} {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("%s: exitCode(%v) = %d, want %d", tc.name, tc.err, got, tc.want)
		}
	}
}

// Cobra's refusals of a command line are usage errors by type, whatever
// their wording.
func TestCommandLineErrorsAreUsage(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.yaml")
	for name, args := range map[string][]string{
		"unknown command":      {"frobnicate"},
		"unknown flag":         {"list", "--colour"},
		"unknown root flag":    {"--colour"},
		"flag needs an arg":    {"list", "--limit"},
		"bad flag value":       {"list", "--limit", "many"},
		"too many args":        {"list", "extra", "--config", missing},
		"missing arg":          {"show", "--config", missing},
		"exact args":           {"delete", "a", "b", "--config", missing},
		"group unknown flag":   {"config", "validate", "--colour"},
		"missing config (own)": {"list", "--config", missing},
	} {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			root := newRootCommand(&out, &errOut)
			root.SetArgs(args)
			err := execute(context.Background(), root)
			if got := exitCode(err); got != exitUsage || err == nil || err.Error() == "" {
				t.Errorf("exit %d (%v), want %d with a message", got, err, exitUsage)
			}
		})
	}
	var out bytes.Buffer
	root := newRootCommand(&out, &out)
	root.SetArgs([]string{"version"})
	if err := execute(context.Background(), root); exitCode(err) != exitOK {
		t.Errorf("version: %v", err)
	}
}
