package app

import (
	"context"

	"github.com/gosqlguard/gosqlguard/internal/dump"
)

// restoreSweeper is implemented by the engines whose restores mark their
// scratch databases so that the ones of a restore that died can be told
// from live ones.
type restoreSweeper interface {
	SweepLeftovers(ctx context.Context) ([]string, error)
}

// SweepRestoreLeftovers drops, on every configured server, the scratch
// databases of restores that died (killed, host lost). Live restores, of
// this process or another, are never touched; a server that does not answer
// is logged and skipped.
func (a *App) SweepRestoreLeftovers(ctx context.Context) {
	for _, s := range a.Config.Servers {
		d, err := a.Dumper(s.Name)
		if err != nil {
			continue
		}
		sw, ok := d.(restoreSweeper)
		if !ok {
			continue
		}
		dropped, err := sw.SweepLeftovers(ctx)
		if err != nil && ctx.Err() == nil {
			a.Logger.Warn("cannot sweep leftover restore databases", "server", s.Name, "error", err)
		}
		if len(dropped) > 0 {
			a.Logger.Warn("dropped the scratch databases of restores that did not finish", "server", s.Name, "databases", dropped)
		}
	}
}

// SweepPrivateDirs removes the private directories (the 0600 option and
// password files the dump and restore tools read their credentials from)
// that killed runs left in the system temp dir; those of live processes are
// kept (see dump.SweepPrivateDirs). Every command that opens the app runs
// it; it reads one local directory and never waits on a server.
func (a *App) SweepPrivateDirs() {
	removed, err := dump.SweepPrivateDirs("")
	if err != nil {
		a.Logger.Warn("cannot remove the private files of runs that did not finish", "error", err)
	}
	if len(removed) > 0 {
		a.Logger.Warn("removed the private option files of runs that did not finish", "count", len(removed))
	}
}
