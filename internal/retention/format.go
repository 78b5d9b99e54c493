package retention

import (
	"fmt"
	"io"
	"text/tabwriter"
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
