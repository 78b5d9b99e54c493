package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gosqlguard/gosqlguard/internal/app"
	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/config"
	"github.com/gosqlguard/gosqlguard/internal/runner"
)

func newRestoreCommand(g *globals) *cobra.Command {
	var toDatabase, storageName, server, database string
	var force, noOwner, latest bool
	var jobs int
	c := &cobra.Command{
		Use:   "restore (ID | --latest --server S --database D)",
		Short: "Verify a backup, then restore it into the same or another database, whole or not at all",
		Long: `Verify a backup in full, then restore it into its own database or, with
--to-database, into another one (created with the source's character set,
collation, owner and settings when missing). The restore loads into a scratch
database first and puts the result in place only when the load succeeded: a
failed restore leaves the target exactly as it was.

A target that exists and is not empty is refused unless --force, which
replaces it whole.

The data loads on --jobs connections at once (default: the configuration's
restore.jobs): MySQL/MariaDB dumps split their INSERT statements over the
connections, PostgreSQL uses pg_restore --jobs. --jobs 1 loads on one
connection, as the stock client does.`,
		Args: func(cmd *cobra.Command, args []string) error {
			switch {
			case latest && len(args) > 0:
				return usageError("give an ID or --latest, not both")
			case latest && (server == "" || database == ""):
				return usageError("--latest needs --server and --database")
			case !latest && len(args) != 1:
				return usageError("restore takes one backup ID (or --latest --server S --database D)")
			case cmd.Flags().Changed("to-database") && toDatabase == "":
				// An empty variable must never mean "the source database".
				return usageError("--to-database is empty; leave it out to restore into the backup's own database")
			case toDatabase != "":
				if err := backup.CheckDatabaseName(toDatabase); err != nil {
					return usageError("--to-database: %v", err)
				}
			}
			if cmd.Flags().Changed("jobs") && (jobs < 1 || jobs > config.MaxRestoreJobs) {
				return usageError("--jobs %d: must be 1..%d", jobs, config.MaxRestoreJobs)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			a, err := g.openApp(ctx)
			if err != nil {
				return err
			}
			defer a.Close()
			var b *backup.Backup
			if latest {
				b, err = latestBackup(cmd, a, server, database)
			} else {
				b, err = getBackup(cmd, a, args[0])
			}
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
			p := newProgress(g.stderr, "restore "+b.ID, b.StoredBytes)
			err = a.Runner.Restore(p.watch(ctx), runner.RestoreRequest{
				Backup: b, Storage: storageName, ToDatabase: toDatabase, Dumper: d, Force: force, NoOwner: noOwner, Jobs: jobs,
			})
			p.Done()
			g.record(ctx, a, restoreEntry(ctx, b, toDatabase, force, err))
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			fmt.Fprintf(g.stdout, "restored %s into %s/%s\n", b.ID, server, target)
			return nil
		},
	}
	c.Flags().StringVar(&toDatabase, "to-database", "", "restore into this database instead (created if missing)")
	c.Flags().StringVar(&storageName, "storage", "", "read from this storage (default: the first copy that verifies)")
	c.Flags().StringVar(&server, "server", "", "restore onto this server (default: the backup's own); with --latest, the backup's server")
	c.Flags().StringVar(&database, "database", "", "with --latest: the backed-up database")
	c.Flags().BoolVar(&latest, "latest", false, "restore the newest successful backup of --server/--database")
	c.Flags().BoolVar(&force, "force", false, "replace the target database if it exists and is not empty")
	c.Flags().IntVar(&jobs, "jobs", 0, "connections to load the data on at once (default: restore.jobs); 1 loads on one, like the stock client")
	c.Flags().BoolVar(&noOwner, "no-owner", false, "PostgreSQL: leave object ownership out (every object then belongs to the restoring user)")
	return c
}

// latestBackup returns the newest success (or partial) backup of one job's
// database, of any type.
func latestBackup(cmd *cobra.Command, a *app.App, server, database string) (*backup.Backup, error) {
	all, err := a.Catalog.List(cmd.Context(), catalog.Filter{Server: server, Database: database})
	if err != nil {
		return nil, &exitError{code: exitFailure, err: err}
	}
	for _, b := range all { // newest first
		if b.Status == backup.StatusSuccess || b.Status == backup.StatusPartial {
			return b, nil
		}
	}
	return nil, &exitError{code: exitFailure, err: errors.New("no successful backup of " + server + "/" + database + " in the catalog")}
}
