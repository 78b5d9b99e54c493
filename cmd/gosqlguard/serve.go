package main

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/gosqlguard/gosqlguard/internal/app"
	"github.com/gosqlguard/gosqlguard/internal/config"
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
			a, err := g.openApp(ctx)
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
					return config.Load(g.configPath, os.LookupEnv)
				},
			})
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			return nil
		},
	}
}
