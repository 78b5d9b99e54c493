package app

import (
	"context"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/runner"
)

// ExpectedRawBytes estimates the raw dump size, in bytes, of a backup of
// job: the raw size of the job's (server, database, type) newest
// successful backup in the catalog, else of the database's newest
// successful backup of any type. 0 when there is none or the catalog
// cannot say (the caller then shows no percentage).
func (a *App) ExpectedRawBytes(ctx context.Context, job runner.Job) int64 {
	for _, f := range []catalog.Filter{
		{Server: job.Server, Database: job.Database, Type: job.Type, Status: backup.StatusSuccess, Limit: 1},
		{Server: job.Server, Database: job.Database, Status: backup.StatusSuccess, Limit: 1},
	} {
		bs, err := a.Catalog.List(ctx, f)
		if err == nil && len(bs) > 0 && bs[0].RawBytes > 0 {
			return bs[0].RawBytes
		}
	}
	return 0
}
