package web

import (
	"context"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
)

func (f *fakeService) DrillBackup(_ context.Context, id string) (backup.Drill, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["drill"]++
	b := f.backups[id]
	if b == nil {
		return backup.Drill{}, catalog.ErrNotFound
	}
	return backup.Drill{At: b.StartedAt, Status: backup.DrillSuccess, Server: b.Server, Differences: []string{}}, nil
}
