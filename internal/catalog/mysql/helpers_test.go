package mysql

import (
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog/catalogtest"
)

func newBackup(server string) *backup.Backup {
	return catalogtest.NewBackup(time.Date(2025, 3, 1, 2, 30, 0, 0, time.UTC), 1, server, "shop", "daily", backup.StatusSuccess)
}
