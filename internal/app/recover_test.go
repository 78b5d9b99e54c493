package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/config"
	"github.com/gosqlguard/gosqlguard/internal/logtest"
	"github.com/gosqlguard/gosqlguard/internal/owner"
	"github.com/gosqlguard/gosqlguard/internal/storage/s3/s3test"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// The daemon answers /healthz at once while crash recovery waits on an S3
// storage that accepts connections and never answers; recovery still ends
// the dead run's row (a catalog step) and leaves a live process's row
// alone; and shutdown does not wait for the stalled storage.
func TestServeDoesNotWaitOnStalledStorage(t *testing.T) {
	dir := t.TempDir()
	listen := freeAddr(t)
	yaml := fmt.Sprintf(`catalog: {driver: sqlite, dsn: %q}
servers:
  - {name: my, type: mysql, socket: %q, user: u, databases: [shop]}
storages:
  - {name: s3, type: s3, endpoint: "http://%s", region: us-east-1, bucket: backups, path_style: true, access_key_id: k, secret_access_key: s}
http: {listen: %q}
daemon: {shutdown_timeout: 1s}
`, filepath.Join(dir, "catalog.db"), filepath.Join(dir, "no.sock"), strings.TrimPrefix(s3test.StartStalled(t).Endpoint, "http://"), listen)
	cfg, err := config.Parse([]byte(yaml), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	var logs logtest.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := New(ctx, cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	// A run killed mid-backup (its process is gone), with its object
	// pending in the stalled storage, and one a live process runs.
	plant := func(db string, pid int) *backup.Backup {
		o := owner.Self()
		o.PID = pid
		now := time.Now().UTC()
		b := &backup.Backup{ID: backup.NewID(now), Server: "my", Database: db, Type: "manual", Status: backup.StatusRunning,
			StartedAt: now, OwnerHost: o.Record(), OwnerPID: o.PID,
			Locations: []backup.Location{{Storage: "s3", Key: "my/" + db + "/manual/x.sql.zst", Status: backup.LocationPending}}}
		if err := a.Catalog.Insert(ctx, b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	killed := plant("shop", 1<<22+12345)
	live := plant("crm", owner.Self().PID)

	start := time.Now()
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, ServeOptions{}) }()
	client := &http.Client{Timeout: 200 * time.Millisecond}
	for {
		resp, err := client.Get("http://" + listen + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Since(start) > time.Second {
			t.Fatalf("/healthz did not answer within 1 s of start (last: %v):\n%s", err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("/healthz answered %s after start", time.Since(start).Round(time.Millisecond))

	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		b, err := a.Catalog.Get(ctx, killed.ID)
		if err != nil {
			t.Fatal(err)
		}
		if b.Status == backup.StatusInterrupted {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the dead run's row is still %s:\n%s", b.Status, logs.String())
		}
	}

	stop := time.Now()
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve = %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("Serve still runs 15 s after its end, waiting on the stalled storage:\n%s", logs.String())
	}
	t.Logf("stopped in %s", time.Since(stop).Round(time.Millisecond))
	if b, _ := a.Catalog.Get(context.Background(), live.ID); b.Status != backup.StatusRunning {
		t.Errorf("the live process's row is %s, want left running", b.Status)
	}
	if b, _ := a.Catalog.Get(context.Background(), killed.ID); b.Locations[0].Status != backup.LocationPending {
		t.Errorf("the stalled storage's leftover is marked %s, want pending for the next sweep", b.Locations[0].Status)
	}
}
