package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

func TestSummaryText(t *testing.T) {
	now := time.Date(2025, 3, 1, 2, 31, 0, 0, time.UTC)
	long := sampleBackup(backup.StatusFailed)
	long.Error = "line one\n\tline two " + strings.Repeat("x", 1000)
	running := sampleBackup(backup.StatusInterrupted)
	running.FinishedAt = nil // the end is taken from the clock
	running.Error = "daemon stopped"
	tests := []struct {
		name string
		b    *backup.Backup
		want string
	}{
		{"success", sampleBackup(backup.StatusSuccess),
			":white_check_mark: Backup succeeded: main-mysql/shop (daily), 1.2 GiB in 45 s"},
		{"failed", sampleBackup(backup.StatusFailed),
			":x: Backup failed: main-mysql/shop (daily) after 12 s: dump: mariadb-dump exited 2: Access denied for user 'backup'@'10.0.0.5' (using password: YES)"},
		{"partial", sampleBackup(backup.StatusPartial),
			":warning: Backup partially stored: main-mysql/shop (daily), 1.2 GiB in 45 s; failed storages: offsite (upload: 503 Slow Down)"},
		{"interrupted without end", running,
			":x: Backup interrupted: main-mysql/shop (daily) after 1 min: daemon stopped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NewPayload(tt.b, eventFor(tt.b.Status), now).Text; got != tt.want {
				t.Errorf("text\n got %q\nwant %q", got, tt.want)
			}
		})
	}

	t.Run("long error is one short line", func(t *testing.T) {
		got := NewPayload(long, EventFailure, now).Text
		if strings.ContainsAny(got, "\n\t") || !strings.Contains(got, "line one line two x") || !strings.HasSuffix(got, "…") {
			t.Errorf("text not folded and cut: %q", got)
		}
		if n := len([]rune(got)); n > 400 {
			t.Errorf("text has %d runes, want at most 400", n)
		}
	})
}

func TestFormatBytes(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{512, "512 B"},
		{1536, "1.5 KiB"},
		{3565158, "3.4 MiB"},
		{1288490189, "1.2 GiB"},
		{5 << 40, "5.0 TiB"},
	}
	for _, tt := range tests {
		if got := formatBytes(tt.n); got != tt.want {
			t.Errorf("formatBytes(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}
