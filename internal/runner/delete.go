package runner

import (
	"context"
	"errors"
	"fmt"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/storage"
)

// DeleteCopies removes b's object and manifest from the named storages (all
// storages holding a copy, when none are named) and records it in the
// catalog: those locations become deleted, and once no complete copy is left
// the backup itself becomes deleted, with when and why. A copy that is
// already gone counts as deleted. A storage that fails keeps its location as
// it was and is reported in the error.
func (r *Runner) DeleteCopies(ctx context.Context, b *backup.Backup, storages []string, reason string) error {
	if b.Status == backup.StatusRunning {
		return fmt.Errorf("delete %s: backup is still running", b.ID)
	}
	want := map[string]bool{}
	for _, s := range storages {
		want[s] = true
	}
	var errs []error
	for i := range b.Locations {
		loc := &b.Locations[i]
		if len(want) > 0 && !want[loc.Storage] {
			continue
		}
		if loc.Status == backup.LocationDeleted {
			continue
		}
		if loc.Key == "" || backup.CheckDatabaseName(b.Database) != nil {
			// Nothing is ever stored under such a row (e.g. the failed row of
			// a refused database name): never make a key of it to delete.
			loc.Status, loc.Error = backup.LocationDeleted, ""
			continue
		}
		s, err := r.backend(loc.Storage)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		err = deleteIfPresent(ctx, s, loc.Key)
		if err == nil {
			err = deleteIfPresent(ctx, s, backup.ManifestKey(b))
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("storage %s: %w", loc.Storage, err))
			observers(r.Observers).storageError(b, loc.Storage, "delete", err)
			continue
		}
		loc.Status = backup.LocationDeleted
		loc.Error = ""
		r.logger().Info("backup copy deleted", "id", b.ID, "storage", loc.Storage, "reason", reason)
		observers(r.Observers).deleted(b, loc.Storage, reason)
	}
	if !hasCompleteCopy(b) && b.Status != backup.StatusDeleted {
		now := r.Now()
		b.Status, b.DeletedAt, b.DeleteReason = backup.StatusDeleted, &now, reason
	}
	if err := r.Catalog.Update(context.WithoutCancel(ctx), b); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("delete %s: %w", b.ID, err)
	}
	return nil
}

func deleteIfPresent(ctx context.Context, s storage.Backend, key string) error {
	if err := s.Delete(ctx, key); err != nil && !storage.IsNotExist(err) {
		return err
	}
	return nil
}

func hasCompleteCopy(b *backup.Backup) bool {
	for _, l := range b.Locations {
		if l.Status == backup.LocationSuccess {
			return true
		}
	}
	return false
}
