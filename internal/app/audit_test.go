package app

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/audit"
	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
)

// A retention pass of the daemon's own that deletes is in the audit trail,
// as actor daemon, one entry per storage.
func TestDaemonRetentionPassIsAudited(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		dir := t.TempDir()
		cfg := daemonConfig(dir, "  daily: {schedule: \"0 3 * * *\"}\n", "")
		cfg = strings.Replace(cfg, fmt.Sprintf("path: %q}", filepath.Join(dir, "backups")),
			fmt.Sprintf("path: %q, retention: {daily: {keep: 1}}}", filepath.Join(dir, "backups")), 1)
		old := success("app", "daily", start.Add(-50*time.Hour)) // the catch-up run follows, then retention
		old.Locations = []backup.Location{{Storage: "local", Key: backup.ObjectKey(old, "sql"), Status: backup.LocationSuccess}}
		dt := startDaemon(t, filepath.Join(dir, "gosqlguard.yaml"), cfg, &fakeServer{dbs: []string{"app"}}, nil, old)
		synctest.Wait()
		es, err := dt.cat.Audit(context.Background(), catalog.AuditFilter{Actor: audit.Daemon})
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != 1 || es[0].Action != catalog.AuditRetention || es[0].Target != "local" || es[0].Outcome != catalog.AuditOK ||
			es[0].Detail != "deleted 1, kept 1" || es[0].Address != "" {
			t.Fatalf("audit entries of the daemon = %+v, want one retention pass on local that deleted 1", es)
		}
	})
}
