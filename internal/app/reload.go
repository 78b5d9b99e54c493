package app

import (
	"context"
	"errors"
	"reflect"
	"time"
)

// reloadLoop applies a new config on each reload signal; an invalid config
// keeps the running one and says why.
func (d *daemon) reloadLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.opts.Reload:
		}
		if err := d.reload(ctx); err != nil {
			d.logger.Error("config reload failed: keeping the running config", "error", err)
		}
	}
}

func (d *daemon) reload(ctx context.Context) error {
	if d.opts.Load == nil {
		return errors.New("reload is not available")
	}
	cfg, err := d.opts.Load()
	if err != nil {
		return err
	}
	for _, w := range cfg.Warnings {
		d.logger.Warn("config reload: "+w.Message, "path", w.Path)
	}
	old := d.current()
	if cfg.Catalog.Driver != old.Config.Catalog.Driver || cfg.Catalog.DSN.Value() != old.Config.Catalog.DSN.Value() {
		return errors.New("the catalog settings changed: restart the daemon to use another catalog")
	}
	next, err := old.rebuild(ctx, cfg)
	if err != nil {
		return err
	}
	entries, err := next.entries()
	if err == nil {
		err = d.sched.Reload(entries)
	}
	if err != nil {
		closeNotifier(next.Notifier, 10*time.Second)
		return err
	}
	d.mu.Lock()
	d.app = next
	d.mu.Unlock()
	d.publishJobs(ctx)
	d.reseedJobMetrics(ctx)
	go closeNotifier(old.Notifier, 30*time.Second) // deliver what the old config queued
	if !reflect.DeepEqual(cfg.HTTP, old.Config.HTTP) {
		d.logger.Warn("http settings (listen address, tokens) change only with a restart")
	}
	if cfg.Concurrency != old.Config.Concurrency {
		d.logger.Warn("concurrency limits change only with a restart")
	}
	if cfg.Daemon.LeaseTTL != old.Config.Daemon.LeaseTTL {
		d.logger.Warn("daemon.lease_ttl changes only with a restart")
	}
	d.logger.Info("config reloaded", "backup_types", len(entries), "next_runs", fmtNextRuns(entries, d.opts.Clock.Now()))
	return nil
}
