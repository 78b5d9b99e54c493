package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newGroupCommand is a command that only holds subcommands (config,
// catalog). Alone it prints its help; with an argument that names no
// subcommand it is a usage error (exit 2), not help and exit 0.
func newGroupCommand(use, short string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return &exitError{code: exitUsage, err: fmt.Errorf("unknown command %q for %q; see %q", args[0], cmd.CommandPath(), cmd.CommandPath()+" --help")}
			}
			return cmd.Help()
		},
	}
}
