package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dustin/go-humanize"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/duration"
	"github.com/gosqlguard/gosqlguard/internal/redact"
)

// Payload is the JSON body posted to a webhook. Text is a one-line summary
// for chat receivers (Slack-compatible ones show it); the other fields are
// for programs. Error texts are redacted.
type Payload struct {
	Event string `json:"event"` // failure | success | anomaly | drill_failure
	// Warnings are the backup's warnings (e.g. its size anomaly); never null.
	Warnings        []string   `json:"warnings"`
	ID              string     `json:"id"`
	Server          string     `json:"server"`
	Database        string     `json:"database"`
	Type            string     `json:"type"`
	Status          string     `json:"status"` // success | partial | failed | interrupted
	StartedAt       time.Time  `json:"started_at"`
	FinishedAt      *time.Time `json:"finished_at"`
	DurationSeconds float64    `json:"duration_seconds"`
	RawBytes        int64      `json:"raw_bytes"`
	StoredBytes     int64      `json:"stored_bytes"`
	Error           string     `json:"error"`
	Locations       []Location `json:"locations"`
	Text            string     `json:"text"`
	// Drill is the failed restore drill, for drill_failure only.
	Drill *backup.Drill `json:"drill,omitempty"`
}

// Location is the outcome of the backup in one storage.
type Location struct {
	Storage string `json:"storage"`
	Status  string `json:"status"`
	Error   string `json:"error"`
}

// maxErrorLen caps the error fields of a payload; the summary line is
// shorter still.
const (
	maxErrorLen = 4000
	maxTextErr  = 300
)

// NewPayload builds the message for b's event. now stands in for the end
// time when b has none.
func NewPayload(b *backup.Backup, event string, now time.Time) Payload {
	end := now
	if b.FinishedAt != nil {
		end = *b.FinishedAt
	}
	dur := max(end.Sub(b.StartedAt), 0)
	p := Payload{
		Event:           event,
		ID:              b.ID,
		Server:          b.Server,
		Database:        b.Database,
		Type:            b.Type,
		Status:          string(b.Status),
		StartedAt:       b.StartedAt,
		FinishedAt:      b.FinishedAt,
		DurationSeconds: math.Round(dur.Seconds()*1000) / 1000,
		RawBytes:        b.RawBytes,
		StoredBytes:     b.StoredBytes,
		Error:           truncate(redact.Secrets(b.Error), maxErrorLen),
		Locations:       make([]Location, 0, len(b.Locations)),
		Warnings:        append([]string{}, b.Warnings...),
	}
	for _, l := range b.Locations {
		p.Locations = append(p.Locations, Location{
			Storage: l.Storage,
			Status:  string(l.Status),
			Error:   truncate(redact.Secrets(l.Error), maxErrorLen),
		})
	}
	p.Text = summary(&p, dur)
	if event == EventDrillFailure {
		drillPayload(&p, b)
	}
	return p
}

// encode returns the JSON body, with "<redacted>" left readable rather
// than HTML-escaped.
func encode(b *backup.Backup, event string, now time.Time) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(NewPayload(b, event, now)); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// summary is the one-line text, e.g.
// ":x: Backup failed: main-mysql/shop (daily) after 12 s: <error>".
func summary(p *Payload, dur time.Duration) string {
	what := fmt.Sprintf("%s/%s (%s)", p.Server, p.Database, p.Type)
	withErr := func(s, e string) string {
		if e = oneLine(e, maxTextErr); e != "" {
			return s + ": " + e
		}
		return s
	}
	if p.Event == EventAnomaly {
		w := "far smaller than usual"
		if len(p.Warnings) > 0 {
			w = p.Warnings[len(p.Warnings)-1]
		}
		return fmt.Sprintf(":mag: Backup size anomaly: %s: %s", what, oneLine(w, maxTextErr))
	}
	switch backup.Status(p.Status) {
	case backup.StatusSuccess:
		return fmt.Sprintf(":white_check_mark: Backup succeeded: %s, %s in %s", what, formatBytes(p.StoredBytes), duration.Human(dur))
	case backup.StatusPartial:
		var failed []string
		for _, l := range p.Locations {
			if l.Status == string(backup.LocationFailed) {
				f := l.Storage
				if e := oneLine(l.Error, 0); e != "" {
					f += " (" + e + ")"
				}
				failed = append(failed, f)
			}
		}
		detail := strings.Join(failed, "; ")
		if detail == "" {
			detail = p.Error
		}
		s := fmt.Sprintf(":warning: Backup partially stored: %s, %s in %s; failed storages", what, formatBytes(p.StoredBytes), duration.Human(dur))
		return withErr(s, detail)
	case backup.StatusInterrupted:
		return withErr(fmt.Sprintf(":x: Backup interrupted: %s after %s", what, duration.Human(dur)), p.Error)
	default:
		return withErr(fmt.Sprintf(":x: Backup failed: %s after %s", what, duration.Human(dur)), p.Error)
	}
}

// oneLine folds s onto one line and, when limit > 0, cuts it to limit runes.
func oneLine(s string, limit int) string {
	s = strings.Join(strings.Fields(s), " ")
	if limit > 0 {
		s = truncate(s, limit)
	}
	return s
}

// truncate cuts s to at most limit runes, marking the cut with "…".
func truncate(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	r := []rune(s)
	return string(r[:limit-1]) + "…"
}

// formatBytes prints n in IEC units: 512 B, 3.4 MiB, 1.2 GiB.
func formatBytes(n int64) string { return humanize.IBytes(uint64(max(n, 0))) }
