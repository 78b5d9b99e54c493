package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gosqlguard/gosqlguard/internal/runner"
)

func newRestoreCommand(g *globals) *cobra.Command {
	var toDatabase, storageName, server string
	c := &cobra.Command{
		Use:   "restore ID",
		Short: "Verify a backup, then restore it into the same or another database (created if missing)",
		Args:  cobra.ExactArgs(1),
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
			if server == "" {
				server = b.Server
			}
			srv := a.Config.Server(server)
			if srv == nil {
				return usageError("server %q is not configured", server)
			}
			if origin := a.Config.Server(b.Server); origin != nil && origin.Type != srv.Type {
				return usageError("backup %s is a %s dump; server %s is %s", b.ID, origin.Type, srv.Name, srv.Type)
			}
			if storageName != "" && a.Runner.Storage(storageName) == nil {
				return usageError("storage %q is not configured", storageName)
			}
			d, err := a.Dumper(server)
			if err != nil {
				return usageError("%v", err)
			}
			target := toDatabase
			if target == "" {
				target = b.Database
			}
			p := newProgress(g.stderr, "restore "+b.ID)
			a.Runner.ReadProgress = p.Update
			err = a.Runner.Restore(ctx, runner.RestoreRequest{Backup: b, Storage: storageName, ToDatabase: toDatabase, Dumper: d})
			p.Done()
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			fmt.Fprintf(g.stdout, "restored %s into %s/%s\n", b.ID, server, target)
			return nil
		},
	}
	c.Flags().StringVar(&toDatabase, "to-database", "", "restore into this database instead (created if missing)")
	c.Flags().StringVar(&storageName, "storage", "", "read from this storage (default: the first copy that verifies)")
	c.Flags().StringVar(&server, "server", "", "restore onto this server (default: the backup's own)")
	return c
}
