package runner

import (
	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/owner"
)

// bootSep separates the host name from the boot ID in a recorded owner's
// host string: "db1 boot 5f0c…" (see owner.Owner.Record).
const bootSep = " boot "

// drillHost is what a drill records as its Host: this process's owner
// record (host name, boot ID, start time), stored with its PID.
func drillHost() string { return owner.Self().Record() }

func bootID() string { return owner.BootID() }

// ownerGone says why the process a running drill or backup record names
// (by its host string, as drillHost wrote it, and PID) is known to be gone,
// or "" when it may still run, and its work must be left alone. A record of
// another host is never proven dead from here.
func ownerGone(recHost string, pid int) string {
	return owner.Parse(recHost, pid).Gone()
}

// backupOwnerGone is ownerGone for a backup's recorded owner. A running row
// without an owner was written by a version that did not record one: its
// process is taken for gone, as every running row was before.
func backupOwnerGone(b *backup.Backup) string {
	if b.OwnerHost == "" {
		return "it was started by a version that does not record its process"
	}
	return ownerGone(b.OwnerHost, b.OwnerPID)
}
