package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

// A drill stopped by Ctrl-C prints INTERRUPTED, not FAILED.
func TestWriteDrillInterrupted(t *testing.T) {
	var out bytes.Buffer
	writeDrill(&globals{stdout: &out}, "b1", backup.Drill{Status: backup.DrillInterrupted, Server: "pg", Seconds: 1,
		Differences: []string{}, Error: "drill interrupted: context canceled"}, nil)
	if got := out.String(); !strings.Contains(got, "\tdrill\tINTERRUPTED\ton pg") {
		t.Errorf("printed %q, want an INTERRUPTED line", got)
	}
}
