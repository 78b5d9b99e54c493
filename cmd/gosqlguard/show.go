package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gosqlguard/gosqlguard/internal/app"
	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
)

func newShowCommand(g *globals) *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "show ID",
		Long:  "Show one backup. ID is a backup ID or a unique prefix of one (at least 4 characters).",
		Short: "One backup: status, sizes, checksum, timings, locations, manifest",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			a, err := g.openApp(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			b, err := getBackup(cmd, a, args[0])
			if err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(g.stdout, b)
			}
			return writeDetail(g.stdout, b)
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "table", "table or json")
	return c
}

// getBackup looks a backup up by its ID or a unique prefix of it (at least
// catalog.MinIDPrefix characters). A shorter prefix exits 2; an unknown ID
// or an ambiguous prefix exits 1.
func getBackup(cmd *cobra.Command, a *app.App, ref string) (*backup.Backup, error) {
	b, err := a.Lookup(cmd.Context(), ref)
	switch {
	case errors.Is(err, app.ErrIDTooShort):
		return nil, &exitError{code: exitUsage, err: err}
	case errors.Is(err, catalog.ErrNotFound):
		return nil, &exitError{code: exitFailure, err: fmt.Errorf("no backup %s: not found in the catalog", displayName(ref))}
	case err != nil:
		return nil, &exitError{code: exitFailure, err: err}
	}
	return b, nil
}
