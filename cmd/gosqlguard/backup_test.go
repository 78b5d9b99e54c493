package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

// A backup line written to stdout while the progress line is shown on the
// same terminal starts on a cleared line, and the progress line is drawn
// again only by the next tick.
func TestWriteAboveClearsTheProgressLine(t *testing.T) {
	var screen strings.Builder // stdout and stderr on one terminal
	tm := &term{w: &screen}
	tm.draw("backups: 1 of 3 done, 2 running: 1 MiB")
	tm.writeAbove(&screen, []byte("ID\tm\tdb\tmanual\tsuccess\t1 KiB\n"))
	tm.writeAbove(&screen, []byte("ID2\tm\tdb2\tmanual\tsuccess\t1 KiB\n"))
	want := "\r\033[Kbackups: 1 of 3 done, 2 running: 1 MiB\r\033[KID\tm\tdb\tmanual\tsuccess\t1 KiB\nID2\tm\tdb2\tmanual\tsuccess\t1 KiB\n"
	if screen.String() != want {
		t.Errorf("screen = %q, want %q", screen.String(), want)
	}
}

func TestProgressRelabelKeepsTheCount(t *testing.T) {
	p := newProgress(io.Discard, "backups: 0 of 2 done, 2 running", 0)
	p.Update(10 << 20)
	p.Relabel("backups: 1 of 2 done, 1 running")
	got := p.line(p.start.Add(2 * time.Second))
	if !strings.HasPrefix(got, "backups: 1 of 2 done, 1 running: 10 MiB") || !strings.Contains(got, "5.0 MiB/s") {
		t.Errorf("after Relabel: %q", got)
	}
}
