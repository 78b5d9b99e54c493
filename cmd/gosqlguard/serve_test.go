package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/config"
	"github.com/gosqlguard/gosqlguard/internal/instancelock"
)

// serveConfig writes a config whose SQLite catalog is the relative path
// data/catalog.db, makes dir the working directory and returns the config's
// path and the catalog's absolute path.
func serveConfig(t *testing.T) (configPath, catalog string) {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	configPath = filepath.Join(dir, "gosqlguard.yaml")
	// The server's socket does not exist: the daemon reaches no database.
	doc := "catalog: {driver: sqlite, dsn: ./data/catalog.db}\n" +
		"servers:\n  - {name: main, type: mysql, socket: ./no-such.sock, user: backup}\n" +
		"storages:\n  - {name: local, type: local, path: ./backups}\n" +
		"http: {listen: \"127.0.0.1:0\"}\n"
	if err := os.WriteFile(configPath, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return configPath, filepath.Join(dir, "data", "catalog.db")
}

// syncBuffer is a buffer that a running command writes while a test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serve runs `serve --config configPath` until ctx ends, writing its
// stderr to stderr.
func serve(ctx context.Context, configPath string, stderr io.Writer) error {
	root := newRootCommand(io.Discard, stderr)
	root.SetArgs([]string{"serve", "--config", configPath})
	return execute(ctx, root)
}

// A serve started while another holds the catalog's lock exits 1 naming the
// holder, before it opens (or creates) the catalog or the storage.
func TestServeRefusedWhileTheCatalogIsLocked(t *testing.T) {
	configPath, catalog := serveConfig(t)
	since := time.Date(2026, 11, 30, 9, 12, 3, 0, time.UTC)
	held, err := instancelock.Acquire(catalog, instancelock.Holder{Since: since})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()

	var stderr syncBuffer
	err = serve(context.Background(), configPath, &stderr)
	host, _ := os.Hostname()
	want := fmt.Sprintf("catalog %s is in use by another gosqlguard serve (pid %d on host %s, running since 2026-11-30T09:12:03Z)", catalog, os.Getpid(), host)
	if exitCode(err) != exitFailure || !errors.Is(err, instancelock.ErrHeld) || !strings.Contains(err.Error(), want) {
		t.Fatalf("serve beside a holder: exit %d, %v; want exit 1 with %q\nstderr: %s", exitCode(err), err, want, stderr.String())
	}
	for _, p := range []string{catalog, filepath.Join(filepath.Dir(catalog), "..", "backups")} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("the refused serve created %s (%v)", p, err)
		}
	}
}

// serve holds the lock while it runs and releases it when it returns.
func TestServeReleasesTheLock(t *testing.T) {
	configPath, catalog := serveConfig(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() { done <- serve(ctx, configPath, &stderr) }()
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(stderr.String(), "daemon started"); time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-done:
			t.Fatalf("serve returned before it was stopped: %v\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve never started:\n%s", stderr.String())
		}
	}
	if _, err := instancelock.Acquire(catalog, instancelock.Holder{}); !errors.Is(err, instancelock.ErrHeld) {
		t.Errorf("lock while serve runs: %v, want ErrHeld", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v\n%s", err, stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("serve did not stop")
	}
	l, err := instancelock.Acquire(catalog, instancelock.Holder{})
	if err != nil {
		t.Fatalf("lock after serve returned: %v", err)
	}
	l.Release()
}

// Only an SQLite catalog is locked; the shared catalogs are left alone.
func TestLockCatalogOnlySQLite(t *testing.T) {
	for _, driver := range []string{"postgres", "mysql"} {
		cfg := &config.Config{Catalog: config.Catalog{Driver: driver, DSN: "postgres://u@h/db"}}
		if l, err := lockCatalog(cfg, time.Now()); l != nil || err != nil {
			t.Errorf("%s: lockCatalog = %v, %v; want no lock", driver, l, err)
		}
	}
}
