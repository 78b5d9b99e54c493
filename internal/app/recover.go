package app

import (
	"context"
	"path"
	"strings"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/storage"
)

// interruptedReason is recorded on rows a dead process left running.
const interruptedReason = "interrupted: the process running this backup stopped before it finished"

// recover runs once at start: rows a dead process left running become
// interrupted, their leftovers (and any older than cleanup_age) are removed,
// and storage and catalog are compared for strays.
func (d *daemon) recover(ctx context.Context) {
	a := d.current()
	ids, err := a.Catalog.MarkInterrupted(ctx, d.opts.Clock.Now().UTC(), interruptedReason)
	if err != nil {
		d.logger.Error("crash recovery: cannot mark running backups interrupted", "error", err)
	}
	dead := map[string][]string{} // storage -> keys of dead runs
	for _, id := range ids {
		b, err := a.Catalog.Get(ctx, id)
		if err != nil {
			continue
		}
		d.logger.Warn("crash recovery: backup left running by a stopped process is now interrupted",
			"id", id, "server", b.Server, "database", b.Database, "type", b.Type)
		for _, l := range b.Locations {
			dead[l.Storage] = append(dead[l.Storage], l.Key)
		}
	}
	d.sweep(ctx, dead)
	d.reportStrays(ctx)
}

// sweep removes what unfinished writes left in every storage that can have
// leftovers: those of dead runs at once, others past cleanup_age.
func (d *daemon) sweep(ctx context.Context, dead map[string][]string) {
	a := d.current()
	age := a.Config.Daemon.CleanupAge.D()
	for _, s := range a.Runner.Storages {
		sw, ok := s.(storage.Sweeper)
		if !ok {
			continue
		}
		n, err := sw.Sweep(ctx, dead[s.Name()], age)
		if err != nil {
			d.logger.Error("cleanup of leftovers failed", "storage", s.Name(), "error", err)
			continue
		}
		if n > 0 {
			d.logger.Info("removed leftovers of unfinished backups", "storage", s.Name(), "count", n)
		}
	}
}

// reportStrays logs objects in storage that the catalog does not know, and
// catalog entries whose object is gone.
func (d *daemon) reportStrays(ctx context.Context) {
	a := d.current()
	for _, s := range a.Runner.Storages {
		objs, err := s.List(ctx, "")
		if err != nil {
			d.logger.Error("cannot list storage to check it against the catalog", "storage", s.Name(), "error", err)
			continue
		}
		present := map[string]bool{}
		for _, o := range objs {
			present[o.Key] = true
		}
		list, err := a.Catalog.List(ctx, catalog.Filter{Storage: s.Name()})
		if err != nil {
			d.logger.Error("cannot read the catalog", "error", err)
			return
		}
		known := map[string]bool{}
		for _, b := range list {
			known[b.ID] = true
			if l := b.Location(s.Name()); l != nil && l.Status == backup.LocationSuccess && !present[l.Key] {
				d.logger.Warn("catalog lists a backup whose object is missing", "storage", s.Name(), "id", b.ID, "key", l.Key)
			}
		}
		for _, o := range objs {
			id := idOfKey(o.Key)
			if id != "" && !known[id] {
				if _, err := a.Catalog.Get(ctx, id); err == nil {
					continue // known, but not with a location here
				}
				d.logger.Warn("object in storage has no catalog entry (catalog rebuild adopts it)", "storage", s.Name(), "key", o.Key)
			}
		}
	}
}

// idOfKey returns the backup ID an object or manifest key is named after, or "".
func idOfKey(key string) string {
	base := path.Base(key)
	if i := strings.Index(base, "Z-"); i > 0 && len(base) >= i+14 {
		if id := base[:i+14]; backup.ValidID(id) {
			return id
		}
	}
	return ""
}
