package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gosqlguard/gosqlguard/internal/audit"
	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
)

func newVerifyCommand(g *globals) *cobra.Command {
	var all, latest, restore bool
	var storageName, server, database string
	c := &cobra.Command{
		Use:   "verify [ID ...|--all|--latest] [--restore]",
		Short: "Read stored objects back and check size and SHA-256 (and decryptability where a key is configured); --restore also proves each restorable",
		Long: `Read every stored copy back and check size and SHA-256, and decrypt and
decompress it where a key is configured.

With --restore, each backup is also restored into a scratch database
(gosqlguard_drill_<hex>) on its own server, or on drills.target_server when
set, counted and compared with the fingerprint taken when it was backed up,
then dropped. The drill is recorded in the catalog. Drill databases left by
a run that was killed are removed first.

An ID may be a unique prefix of one (at least 4 characters).

--latest picks the newest successful backup of each job (of --server and
--database when given).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			picked := 0
			for _, set := range []bool{all, latest, len(args) > 0} {
				if set {
					picked++
				}
			}
			if picked != 1 {
				return usageError("give backup IDs, --all or --latest (one of them)")
			}
			if !latest && (server != "" || database != "") {
				return usageError("--server and --database go with --latest")
			}
			ctx := cmd.Context()
			a, err := g.openApp(ctx)
			if err != nil {
				return err
			}
			defer a.Close()
			if server != "" && a.Config.Server(server) == nil {
				return usageError("server %q is not configured", server)
			}
			var list []*backup.Backup
			if all {
				for _, st := range []backup.Status{backup.StatusSuccess, backup.StatusPartial} {
					bs, err := a.Catalog.List(ctx, catalog.Filter{Status: st, Storage: storageName})
					if err != nil {
						return &exitError{code: exitFailure, err: err}
					}
					list = append(list, bs...)
				}
			}
			if latest {
				var servers []string
				if server != "" {
					servers = []string{server}
				}
				list, err = a.DrillCandidates(ctx, servers, database)
				if err != nil {
					return &exitError{code: exitFailure, err: err}
				}
				if len(list) == 0 {
					return &exitError{code: exitFailure, err: fmt.Errorf("no successful backup in the catalog matches")}
				}
			}
			bad := false
			for _, id := range args {
				b, err := getBackup(cmd, a, id)
				var ee *exitError
				if errors.As(err, &ee) && ee.code == exitUsage {
					return err // an ID prefix too short to look up
				}
				if err != nil {
					fmt.Fprintf(g.stdout, "%s\tFAILED\t%v\n", displayName(id), err)
					bad = true
					continue
				}
				list = append(list, b)
			}
			if restore {
				a.CleanDrillLeftovers(ctx, a.DrillServers(list))
			}
			for _, b := range list {
				p := newProgress(g.stderr, "verify "+b.ID, b.StoredBytes)
				results, err := a.Runner.Verify(p.watch(ctx), b, storageName)
				p.Done()
				g.record(ctx, a, audit.VerifyEntry(b.ID, results, err))
				for _, r := range results {
					state, detail := "OK", "sha256 and size match"
					if r.Deep {
						detail += ", content decodes"
					}
					if r.Err != nil {
						state, detail = "FAILED", oneLine(r.Err.Error())
					}
					fmt.Fprintf(g.stdout, "%s\t%s\t%s\t%s\n", b.ID, r.Storage, state, detail)
				}
				if err != nil {
					bad = true
					if len(results) == 0 {
						fmt.Fprintf(g.stdout, "%s\t-\tFAILED\t%s\n", b.ID, oneLine(err.Error()))
					}
				}
				if restore && ctx.Err() == nil {
					if !drill(cmd, g, a, b) {
						bad = true
					}
				}
			}
			if bad {
				return errFailed
			}
			return nil
		},
	}
	c.Flags().BoolVar(&all, "all", false, "verify every successful or partial backup")
	c.Flags().BoolVar(&latest, "latest", false, "verify the newest successful backup of each job (of --server/--database)")
	c.Flags().BoolVar(&restore, "restore", false, "also restore each backup into a scratch database and compare it with its fingerprint")
	c.Flags().StringVar(&storageName, "storage", "", "only the copies in this storage")
	c.Flags().StringVar(&server, "server", "", "with --latest: only this server's jobs")
	c.Flags().StringVar(&database, "database", "", "with --latest: only this database's jobs")
	return c
}
