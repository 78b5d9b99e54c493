package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newConfigCommand(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "config", Short: "Work with the configuration file"}
	c.AddCommand(&cobra.Command{
		Use:   "validate",
		Short: "Load and check the config, printing every problem with its path",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "config is valid: %d server(s), %d storage(s), %d backup type(s) (including manual)\n",
				len(cfg.Servers), len(cfg.Storages), len(cfg.BackupTypes))
			return nil
		},
	})
	return c
}
