package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gosqlguard/gosqlguard/internal/audit"
)

func newDeleteCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID",
		Short: "Delete a backup: every stored copy and its manifest; the catalog keeps the row as deleted",
		Long: `Delete a backup as the API's DELETE /api/v1/backups/{id} does: its object
and manifest are removed from every storage holding a copy, and its
catalog row becomes deleted, with when and why. ID is a backup ID or a
unique prefix of one (at least 4 characters).

Prints "deleted<TAB>ID<TAB>STORAGES" (the storages it deleted a copy from;
"-" when every copy was gone already) and exits 0; exits 1 when the backup is
unknown, still running, or a storage failed (the copies that could be
removed are gone and recorded so; run it again to retry the rest).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			a, err := g.openApp(ctx)
			if err != nil {
				return err
			}
			defer a.Close()
			b, err := getBackup(cmd, a, args[0])
			if err != nil {
				return err
			}
			before := slices.Clone(b.Locations)
			err = a.Runner.DeleteCopies(ctx, b, nil, "deleted with the command line")
			g.record(ctx, a, audit.DeleteEntry(b.ID, before, b.Locations, err))
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			names := audit.DeletedFrom(before, b.Locations)
			if len(names) == 0 { // every copy was gone already
				names = []string{"-"}
			}
			fmt.Fprintf(g.stdout, "deleted\t%s\t%s\n", b.ID, strings.Join(names, ","))
			return nil
		},
	}
}
