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

// getBackup looks an ID up; an unknown or malformed ID exits 1.
func getBackup(cmd *cobra.Command, a *app.App, id string) (*backup.Backup, error) {
	if !backup.ValidID(id) {
		return nil, &exitError{code: exitFailure, err: fmt.Errorf("%q is not a backup ID", id)}
	}
	b, err := a.Catalog.Get(cmd.Context(), id)
	if errors.Is(err, catalog.ErrNotFound) {
		return nil, &exitError{code: exitFailure, err: fmt.Errorf("backup %s not found", id)}
	}
	if err != nil {
		return nil, &exitError{code: exitFailure, err: err}
	}
	return b, nil
}
