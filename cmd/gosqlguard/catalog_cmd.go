package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newCatalogCommand(g *globals) *cobra.Command {
	c := newGroupCommand("catalog", "Maintain the backup catalog")
	c.AddCommand(&cobra.Command{
		Use:   "rebuild",
		Short: "Rebuild the catalog from the manifests found in every storage",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.openApp(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			rep, err := a.Runner.RebuildCatalog(cmd.Context())
			for _, p := range rep.Problems {
				fmt.Fprintln(g.stderr, "warning:", p)
			}
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			fmt.Fprintf(g.stdout, "read %d manifest(s): %d backup(s) added, %d updated, %d skipped\n",
				rep.Manifests, rep.Added, rep.Updated, len(rep.Problems))
			return nil
		},
	})
	return c
}
