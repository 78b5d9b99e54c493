package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gosqlguard/gosqlguard/internal/app"
	"github.com/gosqlguard/gosqlguard/internal/audit"
	"github.com/gosqlguard/gosqlguard/internal/backup"
)

// drill runs a restore drill of b and prints its outcome: one line, then
// each difference indented. It reports whether the drill succeeded.
func drill(cmd *cobra.Command, g *globals, a *app.App, b *backup.Backup) bool {
	req, err := a.DrillTarget(b)
	if err != nil {
		g.record(cmd.Context(), a, audit.DrillEntry(b.ID, backup.Drill{}, err))
		fmt.Fprintf(g.stdout, "%s\tdrill\tFAILED\t%s\n", b.ID, oneLine(err.Error()))
		return false
	}
	p := newProgress(g.stderr, "drill "+b.ID, b.StoredBytes)
	res, err := a.Runner.Drill(p.watch(cmd.Context()), req)
	p.Done()
	g.record(cmd.Context(), a, audit.DrillEntry(b.ID, res.Drill, err))
	if err != nil {
		fmt.Fprintf(g.stdout, "%s\tdrill\tFAILED\t%s\n", b.ID, oneLine(err.Error()))
		return false
	}
	writeDrill(g, b.ID, res.Drill, b.Manifest)
	return res.Status == backup.DrillSuccess
}

// writeDrill prints a drill's outcome line and its differences.
func writeDrill(g *globals, id string, d backup.Drill, m *backup.Manifest) {
	took := drillDuration(&d)
	switch {
	case d.Status == backup.DrillInterrupted:
		fmt.Fprintf(g.stdout, "%s\tdrill\tINTERRUPTED\ton %s after %s: %s\n", id, d.Server, took, oneLine(d.Error))
	case d.Error != "":
		fmt.Fprintf(g.stdout, "%s\tdrill\tFAILED\ton %s after %s: %s\n", id, d.Server, took, oneLine(d.Error))
	case len(d.Differences) > 0:
		fmt.Fprintf(g.stdout, "%s\tdrill\tDIFFERS\trestored on %s in %s; %d difference(s) from the fingerprint:\n",
			id, d.Server, took, len(d.Differences))
	case !d.Compared:
		fmt.Fprintf(g.stdout, "%s\tdrill\tOK\trestored on %s in %s; the backup has no fingerprint (an older backup): nothing could be compared\n",
			id, d.Server, took)
	default:
		fmt.Fprintf(g.stdout, "%s\tdrill\tOK\trestored on %s in %s; matches the fingerprint (%s)\n", id, d.Server, took, fingerprintSummary(m))
	}
	for _, diff := range d.Differences {
		fmt.Fprintf(g.stdout, "    %s\n", diff)
	}
}

// fingerprintSummary says what a matching drill found: tables and rows,
// and the object counts.
func fingerprintSummary(m *backup.Manifest) string {
	if m == nil || m.Fingerprint == nil {
		return "nothing counted"
	}
	var rows int64
	for _, n := range m.Fingerprint.Rows {
		rows += n
	}
	tables, rowWord := "tables", "rows"
	if len(m.Fingerprint.Rows) == 1 {
		tables = "table"
	}
	if rows == 1 {
		rowWord = "row"
	}
	parts := []string{fmt.Sprintf("%d %s with %d %s", len(m.Fingerprint.Rows), tables, rows, rowWord)}
	for _, k := range slices.Sorted(maps.Keys(m.Fingerprint.Objects)) {
		if k != "tables" {
			parts = append(parts, fmt.Sprintf("%s %d", k, m.Fingerprint.Objects[k]))
		}
	}
	return strings.Join(parts, ", ")
}
