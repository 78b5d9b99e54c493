package retention

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/duration"
)

// Format writes one storage's plan as an aligned text table: a heading with
// the storage and its counts, then one row per backup in plan order (by job,
// newest first) with what happens to it and why. The output depends only on
// its arguments.
func Format(w io.Writer, storage string, ds []Decision) error {
	var del int
	for _, d := range ds {
		if d.Action == Delete {
			del++
		}
	}
	if _, err := fmt.Fprintf(w, "storage %s: %d to delete, %d to keep\n", storage, del, len(ds)-del); err != nil {
		return err
	}
	if len(ds) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  ACTION\tSERVER\tDATABASE\tTYPE\tSTARTED (UTC)\tBACKUP\tREASON")
	for _, d := range ds {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			d.Action, d.Server, d.Database, d.Type, formatTime(d.StartedAt), d.BackupID, d.Reason)
	}
	return tw.Flush()
}

// roundGap rounds a measured gap to the unit it is best read in: days from a
// week up, then hours, then minutes.
func roundGap(d time.Duration) time.Duration {
	switch {
	case d >= 7*duration.Day:
		return d.Round(duration.Day)
	case d >= time.Hour:
		return d.Round(time.Hour)
	}
	return d.Round(time.Minute)
}

// formatTime is how a start time is shown: UTC, to the minute.
func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") }
