package config

import (
	"strings"
	"testing"
	"time"
)

func TestDaemonSection(t *testing.T) {
	base := "servers:\n  - {name: a, type: mysql, socket: /x, user: u}\nstorages:\n  - {name: l, type: local, path: ./b}\n"
	cfg, err := Parse([]byte(base), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Daemon; got.ShutdownTimeout.D() != 5*time.Minute || got.RetentionInterval.D() != time.Hour || got.CleanupAge.D() != 24*time.Hour {
		t.Errorf("defaults = %+v", got)
	}
	cfg, err = Parse([]byte(base+"daemon: {shutdown_timeout: 30s, cleanup_age: 2d}\n"), t.TempDir(), nil)
	if err != nil || cfg.Daemon.ShutdownTimeout.D() != 30*time.Second || cfg.Daemon.CleanupAge.D() != 48*time.Hour {
		t.Errorf("explicit = %+v, %v", cfg, err)
	}
	_, err = Parse([]byte(base+"daemon: {shutdown_timeout: 0s, retention_interval: -1h}\n"), t.TempDir(), nil)
	if err == nil || !strings.Contains(err.Error(), "daemon.shutdown_timeout: must be between 1s and 24h") ||
		!strings.Contains(err.Error(), "daemon.retention_interval") {
		t.Errorf("zero/negative durations: %v", err)
	}
}
