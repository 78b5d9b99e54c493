package notify

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

func TestDrillFailureEvent(t *testing.T) {
	rcv, other := newReceiver(t), newReceiver(t)
	logger, _ := newLogger(t)
	n := New([]Webhook{
		{URL: rcv.URL("drills"), Events: []string{EventDrillFailure}},
		{URL: other.URL("backups"), Events: []string{EventFailure, EventSuccess}},
	}, logger, WithClock(&fakeClock{}))

	b := sampleBackup(backup.StatusSuccess)
	n.DrillFinished(b, backup.Drill{At: time.Now(), Status: backup.DrillSuccess, Server: "main-mysql", Differences: []string{}}, time.Second)
	n.DrillFinished(b, backup.Drill{At: time.Now(), Status: backup.DrillFailure, Server: "main-mysql", Differences: []string{},
		Error: "restore: mysql -phunter2: ERROR 1146"}, 0)
	n.DrillFinished(b, backup.Drill{At: time.Now(), Status: backup.DrillFailure, Server: "main-mysql", Compared: true,
		Differences: []string{"table shop.orders: 41 rows, want 42"}}, time.Second)
	// A drill stopped by a shutdown proves nothing: no alarm.
	n.DrillFinished(b, backup.Drill{At: time.Now(), Status: backup.DrillInterrupted, Server: "main-mysql", Differences: []string{},
		Error: "drill interrupted: context canceled"}, 0)
	closeNotifier(t, n)

	if got := other.Requests(); len(got) != 0 {
		t.Errorf("a hook not subscribed to drill_failure got %d requests", len(got))
	}
	reqs := rcv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("got %d requests, want 2 (the failed drills)", len(reqs))
	}
	var texts []string
	for _, r := range reqs {
		if strings.Contains(string(r.Body), "hunter2") {
			t.Errorf("body carries the password: %s", r.Body)
		}
		var p Payload
		if err := json.Unmarshal(r.Body, &p); err != nil {
			t.Fatal(err)
		}
		if p.Event != EventDrillFailure || p.Drill == nil || p.Drill.Status != backup.DrillFailure || p.ID != b.ID {
			t.Errorf("payload = %+v", p)
		}
		texts = append(texts, p.Text)
	}
	all := strings.Join(texts, "\n")
	for _, want := range []string{"Restore drill failed", "ERROR 1146", "Restore drill differs", "41 rows, want 42"} {
		if !strings.Contains(all, want) {
			t.Errorf("texts lack %q:\n%s", want, all)
		}
	}
}

// The drill_failure body carries the drill itself, apart from the backup's
// own status and error: when it ran, how long, its outcome, the server,
// the differences (never null) and its error, redacted.
func TestDrillFailurePayloadCarriesTheDrill(t *testing.T) {
	b := sampleBackup(backup.StatusSuccess)
	at := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	b.Drill = &backup.Drill{At: at, Seconds: 12.5, Status: backup.DrillFailure, Server: "drill-pg",
		Error: "restore: mysql -phunter2: ERROR 1146"}
	body, err := encode(b, EventDrillFailure, at)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	var drill map[string]any
	if err := json.Unmarshal(raw["drill"], &drill); err != nil {
		t.Fatalf("drill object %s: %v", raw["drill"], err)
	}
	for key, want := range map[string]any{"at": "2026-03-01T02:00:00Z", "seconds": 12.5, "status": "failure", "server": "drill-pg"} {
		if drill[key] != want {
			t.Errorf("drill.%s = %v, want %v", key, drill[key], want)
		}
	}
	if d, ok := drill["differences"].([]any); !ok || len(d) != 0 {
		t.Errorf("drill.differences = %#v, want []", drill["differences"])
	}
	if e, _ := drill["error"].(string); !strings.Contains(e, "ERROR 1146") || strings.Contains(e, "hunter2") {
		t.Errorf("drill.error = %q, want it redacted", e)
	}
}
