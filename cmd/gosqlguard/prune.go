package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gosqlguard/gosqlguard/internal/retention"
)

func newPruneCommand(g *globals) *cobra.Command {
	var dryRun bool
	c := &cobra.Command{
		Use:   "prune [--dry-run]",
		Short: "Apply retention now; --dry-run prints the plan (what goes, what stays, why) and deletes nothing",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			a, err := g.openApp(ctx)
			if err != nil {
				return err
			}
			defer a.Close()
			plans, err := a.Prune(ctx, a.RetentionPolicies(), dryRun)
			if !dryRun { // a dry run changes nothing and is not recorded
				g.record(ctx, a, retentionEntries(plans, err)...)
			}
			if len(plans) == 0 && err == nil {
				fmt.Fprintln(g.stdout, "no storage has a retention policy: every backup is kept")
			}
			for i, p := range plans {
				if i > 0 {
					fmt.Fprintln(g.stdout)
				}
				if ferr := retention.Format(g.stdout, p.Storage, p.Decisions); ferr != nil {
					return ferr
				}
			}
			if dryRun {
				fmt.Fprintln(g.stdout, "\ndry run: nothing was deleted")
			}
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan and delete nothing")
	return c
}
