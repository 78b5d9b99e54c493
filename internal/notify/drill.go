package notify

import (
	"fmt"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/redact"
	"github.com/gosqlguard/gosqlguard/internal/runner"
)

// EventDrillFailure: a restore drill of a backup failed, or what it
// restored differed from the backup's fingerprint.
const EventDrillFailure = "drill_failure"

var _ runner.DrillObserver = (*Notifier)(nil)

// DrillFinished queues a drill_failure notification for a failed drill and
// returns at once.
func (n *Notifier) DrillFinished(b *backup.Backup, d backup.Drill, _ time.Duration) {
	if b == nil || d.Status != backup.DrillFailure {
		return
	}
	c := *b
	c.Drill = &d
	n.notify(&c, EventDrillFailure)
}

// drillPayload adds the drill to a drill_failure payload: its outcome,
// redacted error and differences, and a summary line.
func drillPayload(p *Payload, b *backup.Backup) {
	if b.Drill == nil {
		return
	}
	d := *b.Drill
	d.Error = truncate(redact.Secrets(d.Error), maxErrorLen)
	d.Differences = append([]string{}, d.Differences...)
	p.Drill = &d
	what := fmt.Sprintf("%s/%s (%s) backup %s", p.Server, p.Database, p.Type, p.ID)
	switch {
	case d.Error != "":
		p.Text = fmt.Sprintf(":x: Restore drill failed: %s on %s: %s", what, d.Server, oneLine(d.Error, maxTextErr))
	default:
		p.Text = fmt.Sprintf(":x: Restore drill differs: %s on %s: %d difference(s), first: %s", what, d.Server,
			len(d.Differences), oneLine(first(d.Differences), maxTextErr))
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}
