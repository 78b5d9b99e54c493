package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dustin/go-humanize"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/duration"
)

func checkOutput(o string) error {
	if o != "table" && o != "json" {
		return usageError("-o must be table or json, not %q", o)
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func humanBytes(n int64) string { return humanize.IBytes(uint64(max(n, 0))) }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// backupDuration is how long a finished backup took ("37 ms", "3 min 5 s"),
// written as the web UI writes it; "-" while it runs.
func backupDuration(b *backup.Backup) string {
	if b.FinishedAt == nil {
		return "-"
	}
	return duration.Human(b.FinishedAt.Sub(b.StartedAt))
}

func storages(b *backup.Backup) string {
	var parts []string
	for _, l := range b.Locations {
		s := l.Storage
		if l.Status != backup.LocationSuccess {
			s += "(" + string(l.Status) + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ",")
}

func writeTable(w io.Writer, list []*backup.Backup) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSERVER\tDATABASE\tTYPE\tSTATUS\tSTARTED\tDURATION\tSIZE\tSTORAGES")
	for _, b := range list {
		status := string(b.Status)
		if len(b.Warnings) > 0 {
			status += "!" // see show ID for the warnings
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", b.ID, b.Server, displayName(b.Database), b.Type, status,
			b.StartedAt.Local().Format("2006-01-02 15:04:05"), backupDuration(b), humanBytes(b.StoredBytes), storages(b))
	}
	return tw.Flush()
}

func writeDetail(w io.Writer, b *backup.Backup) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, v) }
	row("ID", b.ID)
	row("Server", b.Server)
	row("Database", displayName(b.Database))
	row("Type", b.Type)
	row("Status", string(b.Status))
	row("Started", b.StartedAt.Local().Format(time.RFC3339))
	if b.FinishedAt != nil {
		row("Finished", b.FinishedAt.Local().Format(time.RFC3339))
	}
	row("Duration", backupDuration(b))
	row("Raw size", fmt.Sprintf("%s (%d bytes)", humanBytes(b.RawBytes), b.RawBytes))
	row("Stored size", fmt.Sprintf("%s (%d bytes)", humanBytes(b.StoredBytes), b.StoredBytes))
	row("SHA-256", b.SHA256)
	row("Compression", b.Compression)
	row("Encrypted", fmt.Sprint(b.Encrypted))
	if b.Error != "" {
		row("Error", oneLine(b.Error))
	}
	for _, w := range b.Warnings {
		row("Warning", oneLine(w))
	}
	writeDrillRows(row, b.Drill)
	if m := b.Manifest; m != nil {
		row("Engine", strings.TrimSpace(m.Engine+" "+m.ServerVersion))
		// The version line of most tools starts with the tool's name
		// ("mariadb-dump  Ver 10.19 ..."): do not say it twice.
		tool := m.DumpToolVersion
		if !strings.HasPrefix(tool, m.DumpTool) {
			tool = strings.TrimSpace(m.DumpTool + " " + tool)
		}
		row("Dump tool", tool)
		row("Dump flags", strings.Join(m.DumpFlags, " "))
		if p := m.Position; p != nil {
			if p.BinlogFile != "" {
				row("Binlog", fmt.Sprintf("%s:%d", p.BinlogFile, p.BinlogPos))
			}
			if p.GTID != "" {
				row("GTID", p.GTID)
			}
			if p.LSN != "" {
				row("LSN", p.LSN)
			}
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "Locations:")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  STORAGE\tSTATUS\tKEY\tERROR")
	for _, l := range b.Locations {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", l.Storage, l.Status, l.Key, oneLine(l.Error))
	}
	return tw.Flush()
}

// writeDrillRows adds the last restore drill to a detail table.
func writeDrillRows(row func(k, v string), d *backup.Drill) {
	if d == nil {
		row("Last drill", "never")
		return
	}
	row("Last drill", fmt.Sprintf("%s on %s at %s, took %s", d.Status, d.Server, d.At.Local().Format(time.RFC3339),
		drillDuration(d)))
	if d.Error != "" {
		row("Drill error", oneLine(d.Error))
	} else if !d.Compared {
		row("Drill note", "the backup has no fingerprint: it restored, nothing could be compared")
	}
	for _, diff := range d.Differences {
		row("Drill difference", diff)
	}
}

// drillDuration is how long a drill took, as backupDuration writes it.
func drillDuration(d *backup.Drill) string {
	return duration.Human(time.Duration(d.Seconds * float64(time.Second)))
}

// displayName is a database name as a one-line output shows it: as it is,
// or quoted in Go syntax when it has a control character (a newline, a
// tab), is not UTF-8 or starts with a double quote, so that it can never
// break or shift the line.
func displayName(s string) string {
	if !utf8.ValidString(s) || strings.HasPrefix(s, `"`) || strings.ContainsFunc(s, unicode.IsControl) {
		return strconv.Quote(s)
	}
	return s
}
