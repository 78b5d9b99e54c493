package main

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/gosqlguard/gosqlguard/internal/app"
	"github.com/gosqlguard/gosqlguard/internal/config"
	"github.com/gosqlguard/gosqlguard/internal/instancelock"
)

func newServeCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the daemon: scheduled backups, retention, crash recovery; SIGHUP reloads the config",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			// ctx ends on the first SIGTERM or SIGINT: the daemon stops
			// scheduling and lets running backups finish for
			// daemon.shutdown_timeout; a second signal cancels them at once.
			ctx := cmd.Context()
			started := time.Now()
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			// The lock comes before the app: opening it recovers runs left
			// "running" and sweeps leftovers, which a second daemon must not
			// do to the first one's work.
			lock, err := lockCatalog(cfg, started)
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			if lock != nil {
				defer lock.Release()
			}
			a, err := g.open(ctx, cfg)
			if err != nil {
				return err
			}
			defer a.Close()
			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			defer signal.Stop(hup)
			reload := make(chan struct{}, 1)
			go func() {
				for range hup {
					select {
					case reload <- struct{}{}:
					default:
					}
				}
			}()
			err = a.Serve(ctx, app.ServeOptions{
				Version: version,
				Commit:  buildCommit(),
				Reload:  reload,
				Force:   forceStop(ctx),
				Load: func() (*config.Config, error) {
					cfg, _, err := g.readConfig()
					return cfg, err
				},
			})
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			return nil
		},
	}
}

// lockCatalog takes the lock that keeps a second daemon off an SQLite
// catalog (see internal/instancelock): a nil lock for the shared catalogs
// (postgres, mysql), which several daemons may use. Only serve locks: the
// one-shot commands (backup, list, restore...) work beside a daemon, and the
// catalog's own run records keep them off a job the daemon is running.
// started is when this daemon started; the lock file records it.
func lockCatalog(cfg *config.Config, started time.Time) (*instancelock.Lock, error) {
	if cfg.Catalog.Driver != "sqlite" {
		return nil, nil
	}
	path, err := filepath.Abs(cfg.Catalog.DSN.Value())
	if err != nil {
		return nil, fmt.Errorf("catalog %s: %w", cfg.Catalog.DSN.Value(), err)
	}
	return instancelock.Acquire(path, instancelock.Holder{Since: started, Version: version})
}
