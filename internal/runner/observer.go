package runner

import (
	"github.com/gosqlguard/gosqlguard/internal/backup"
)

// Observer is told what the runner does; metrics and notifications hang off
// it. Calls are synchronous, from the goroutine doing the work: an observer
// must return quickly and never block a backup (queue slow work).
type Observer interface {
	// BackupStarted is called once the catalog row is open (status running).
	BackupStarted(b *backup.Backup)
	// BackupFinished is called with the final catalog state of the backup:
	// success, partial, failed or interrupted, sizes, locations and error.
	BackupFinished(b *backup.Backup)
	// VerifyFinished is called for each copy read back; err nil means good.
	VerifyFinished(b *backup.Backup, storage string, err error)
	// CopyDeleted is called for each copy removed from a storage, with the reason.
	CopyDeleted(b *backup.Backup, storage, reason string)
	// StorageError is called when an operation on a storage failed.
	StorageError(b *backup.Backup, storage, op string, err error)
}

// observers fans calls out to every registered observer.
type observers []Observer

func (os observers) started(b *backup.Backup) {
	for _, o := range os {
		o.BackupStarted(b)
	}
}

func (os observers) finished(b *backup.Backup) {
	for _, o := range os {
		o.BackupFinished(b)
	}
}

func (os observers) verified(b *backup.Backup, storage string, err error) {
	for _, o := range os {
		o.VerifyFinished(b, storage, err)
	}
}

func (os observers) deleted(b *backup.Backup, storage, reason string) {
	for _, o := range os {
		o.CopyDeleted(b, storage, reason)
	}
}

func (os observers) storageError(b *backup.Backup, storage, op string, err error) {
	for _, o := range os {
		o.StorageError(b, storage, op, err)
	}
}
