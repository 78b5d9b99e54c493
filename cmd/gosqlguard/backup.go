package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gosqlguard/gosqlguard/internal/app"
)

func newBackupCommand(g *globals) *cobra.Command {
	var sel app.Selector
	c := &cobra.Command{
		Use:   "backup",
		Short: "Back up now: every matching server × database, one line per backup",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			a, err := g.openApp(ctx)
			if err != nil {
				return err
			}
			defer a.Close()
			jobs, planErrs, err := a.Plan(ctx, sel)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			failed := len(planErrs) > 0
			for _, e := range planErrs {
				fmt.Fprintln(g.stderr, "error:", e)
			}
			for _, job := range jobs {
				p := newProgress(g.stderr, fmt.Sprintf("%s/%s", job.Server, job.Database), 0)
				job.Progress = p.Update
				b, err := a.Runner.Backup(ctx, job)
				p.Done()
				if b == nil {
					fmt.Fprintf(g.stdout, "-\t%s\t%s\t%s\tfailed\t%v\n", job.Server, job.Database, job.Type, err)
					failed = true
					continue
				}
				line := fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s", b.ID, b.Server, b.Database, b.Type, b.Status, humanBytes(b.StoredBytes))
				if err != nil {
					line += "\t" + oneLine(err.Error())
					failed = true
				}
				for _, w := range b.Warnings {
					line += "\twarning: " + oneLine(w)
				}
				fmt.Fprintln(g.stdout, line)
				if ctx.Err() != nil {
					break // interrupted: start nothing new
				}
			}
			if failed {
				return errFailed
			}
			return nil
		},
	}
	c.Flags().StringVar(&sel.Server, "server", "", "only this server")
	c.Flags().StringVar(&sel.Database, "database", "", "only this database")
	c.Flags().StringVar(&sel.Type, "type", "manual", "backup type (its storages and retention apply)")
	return c
}
