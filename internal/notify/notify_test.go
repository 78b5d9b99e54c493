package notify

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

func TestFailureIsPostedOnceRedacted(t *testing.T) {
	rcv := newReceiver(t)
	logger, logs := newLogger(t)
	n := New([]Webhook{{URL: rcv.URL("ops"), Events: []string{EventFailure}}}, logger, WithClock(&fakeClock{}))

	b := sampleBackup(backup.StatusFailed)
	b.Error = "connect postgres://u:hunter2@db/x: password=hunter2 rejected; retried with -phunter2"
	b.Locations[1].Error = "PGPASSWORD=hunter2 leaked into a message"
	n.BackupFinished(b)
	closeNotifier(t, n)

	reqs := rcv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.ContentType != "application/json" || r.UserAgent != "gosqlguard" {
		t.Errorf("got method %q, Content-Type %q, User-Agent %q; want POST, application/json, gosqlguard", r.Method, r.ContentType, r.UserAgent)
	}
	if !strings.Contains(string(r.Body), "password=<redacted>") {
		t.Errorf("body is not readable JSON text (HTML-escaped?): %s", r.Body)
	}
	if strings.Contains(string(r.Body), "hunter2") {
		t.Errorf("body contains the password: %s", r.Body)
	}

	var fields map[string]any
	if err := json.Unmarshal(r.Body, &fields); err != nil {
		t.Fatalf("body does not parse: %v\n%s", err, r.Body)
	}
	for _, k := range []string{"event", "id", "server", "database", "type", "status", "started_at", "finished_at",
		"duration_seconds", "raw_bytes", "stored_bytes", "error", "locations", "text"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("body lacks field %q", k)
		}
	}

	var p Payload
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Event != "failure" || p.Status != "failed" || p.ID != b.ID || p.Server != "main-mysql" || p.Database != "shop" || p.Type != "daily" {
		t.Errorf("got event %q status %q id %q %s/%s (%s)", p.Event, p.Status, p.ID, p.Server, p.Database, p.Type)
	}
	if p.DurationSeconds != 12.3 {
		t.Errorf("duration_seconds = %v, want 12.3", p.DurationSeconds)
	}
	if p.RawBytes != b.RawBytes || p.StoredBytes != b.StoredBytes {
		t.Errorf("sizes = %d/%d, want %d/%d", p.RawBytes, p.StoredBytes, b.RawBytes, b.StoredBytes)
	}
	if !p.StartedAt.Equal(b.StartedAt) || p.FinishedAt == nil || !p.FinishedAt.Equal(*b.FinishedAt) {
		t.Errorf("times = %v..%v, want %v..%v", p.StartedAt, p.FinishedAt, b.StartedAt, *b.FinishedAt)
	}
	wantErr := "connect postgres://u:<redacted>@db/x: password=<redacted> rejected; retried with -p<redacted>"
	if p.Error != wantErr {
		t.Errorf("error = %q, want %q", p.Error, wantErr)
	}
	wantLocs := []Location{
		{Storage: "local", Status: "failed"},
		{Storage: "offsite", Status: "failed", Error: "PGPASSWORD=<redacted> leaked into a message"},
	}
	if !reflect.DeepEqual(p.Locations, wantLocs) {
		t.Errorf("locations = %+v, want %+v", p.Locations, wantLocs)
	}
	wantText := ":x: Backup failed: main-mysql/shop (daily) after 12 s: " + wantErr
	if p.Text != wantText {
		t.Errorf("text = %q, want %q", p.Text, wantText)
	}
	assertNoURLSecrets(t, logs.String())
}

func TestEventsGoToSubscribedHooks(t *testing.T) {
	tests := []struct {
		status backup.Status
		// requests wanted by the hooks subscribed to failure, success, both and none (default: failure)
		want [4]int
	}{
		{backup.StatusSuccess, [4]int{0, 1, 1, 0}},
		{backup.StatusFailed, [4]int{1, 0, 1, 1}},
		{backup.StatusPartial, [4]int{1, 0, 1, 1}},
		{backup.StatusInterrupted, [4]int{1, 0, 1, 1}},
		{backup.StatusRunning, [4]int{0, 0, 0, 0}},
		{backup.StatusDeleted, [4]int{0, 0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(string(tt.status), func(t *testing.T) {
			rcvs := [4]*receiver{newReceiver(t), newReceiver(t), newReceiver(t), newReceiver(t)}
			logger, logs := newLogger(t)
			n := New([]Webhook{
				{URL: rcvs[0].URL("failure"), Events: []string{"failure"}},
				{URL: rcvs[1].URL("success"), Events: []string{"success"}},
				{URL: rcvs[2].URL("both"), Events: []string{"failure", "success"}},
				{URL: rcvs[3].URL("default")},
			}, logger, WithClock(&fakeClock{}))
			n.BackupFinished(sampleBackup(tt.status))
			closeNotifier(t, n)

			for i, r := range rcvs {
				reqs := r.Requests()
				if len(reqs) != tt.want[i] {
					t.Errorf("hook #%d got %d requests, want %d", i+1, len(reqs), tt.want[i])
				}
				for _, req := range reqs {
					var p Payload
					if err := json.Unmarshal(req.Body, &p); err != nil {
						t.Fatal(err)
					}
					if want := eventFor(tt.status); p.Event != want {
						t.Errorf("hook #%d got event %q, want %q", i+1, p.Event, want)
					}
				}
			}
			assertNoURLSecrets(t, logs.String())
		})
	}
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name       string
		statuses   []int
		retryAfter string
		wantReqs   int
		wantWaits  []time.Duration
		wantLogged string // in the logs when the delivery failed for good
	}{
		{"500 then success", []int{500, 200}, "", 2, []time.Duration{time.Second}, ""},
		{"503 until retries run out", []int{503}, "", 4, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}, "HTTP 503"},
		{"429 honours Retry-After", []int{429, 204}, "7", 2, []time.Duration{7 * time.Second}, ""},
		{"Retry-After is capped", []int{429, 200}, "3600", 2, []time.Duration{maxRetryAfter}, ""},
		{"400 is not retried", []int{400}, "", 1, nil, "HTTP 400"},
		{"404 is not retried", []int{404}, "", 1, nil, "HTTP 404"},
		{"401 is not retried", []int{401}, "", 1, nil, "HTTP 401"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcv := newReceiver(t, tt.statuses...)
			if tt.retryAfter != "" {
				rcv.header.Set("Retry-After", tt.retryAfter)
			}
			clock := &fakeClock{}
			logger, logs := newLogger(t)
			n := New([]Webhook{{URL: rcv.URL("ops")}}, logger, WithClock(clock))
			n.BackupFinished(sampleBackup(backup.StatusFailed))
			closeNotifier(t, n)

			if got := len(rcv.Requests()); got != tt.wantReqs {
				t.Errorf("got %d requests, want %d", got, tt.wantReqs)
			}
			if got := clock.Waits(); !reflect.DeepEqual(got, tt.wantWaits) {
				t.Errorf("waits = %v, want %v", got, tt.wantWaits)
			}
			out := logs.String()
			delivered := strings.Contains(out, "notification delivered")
			if tt.wantLogged == "" && !delivered {
				t.Errorf("no delivery logged:\n%s", out)
			}
			if tt.wantLogged != "" && (delivered || !strings.Contains(out, "notification not delivered") || !strings.Contains(out, tt.wantLogged)) {
				t.Errorf("logs lack the failure %q:\n%s", tt.wantLogged, out)
			}
			assertNoURLSecrets(t, out)
		})
	}
}

func TestNetworkErrorIsRetriedAndURLStaysSecret(t *testing.T) {
	rcv := newReceiver(t)
	url := rcv.URL("gone")
	rcv.srv.Close() // connection refused from now on
	clock := &fakeClock{}
	logger, logs := newLogger(t)
	n := New([]Webhook{{URL: url, Events: []string{"failure"}}}, logger, WithClock(clock), WithRetries(2))
	n.BackupFinished(sampleBackup(backup.StatusFailed))
	closeNotifier(t, n)

	if got, want := clock.Waits(), []time.Duration{time.Second, 2 * time.Second}; !reflect.DeepEqual(got, want) {
		t.Errorf("waits = %v, want %v", got, want)
	}
	out := logs.String()
	if !strings.Contains(out, "notification not delivered") || !strings.Contains(out, "webhook #1 (127.0.0.1)") {
		t.Errorf("logs lack the failure of webhook #1 (127.0.0.1):\n%s", out)
	}
	assertNoURLSecrets(t, out)
}

func TestHangingReceiverNeverBlocksBackups(t *testing.T) {
	srv := hangingServer(t)
	logger, logs := newLogger(t)
	n := New([]Webhook{{URL: srv.URL + "/hook/" + pathSecret + "?token=" + querySecret}}, logger,
		WithTimeout(100*time.Millisecond), WithRetries(0), WithQueueSize(2), WithClock(&fakeClock{}))

	// The worker takes one message and hangs on it; two fill the queue; the
	// rest must be dropped without waiting.
	const calls = 20
	for i := range calls {
		start := time.Now()
		n.BackupFinished(sampleBackup(backup.StatusFailed))
		if d := time.Since(start); d > 50*time.Millisecond {
			t.Errorf("BackupFinished call %d took %v, want < 50ms", i+1, d)
		}
	}
	closeNotifier(t, n) // at most 3 deliveries, each cut by the 100ms timeout

	out := logs.String()
	if !strings.Contains(out, "notification dropped: queue is full") {
		t.Errorf("no drop warning logged:\n%s", out)
	}
	if !strings.Contains(out, "no response within 100ms") {
		t.Errorf("no timeout logged:\n%s", out)
	}
	assertNoURLSecrets(t, out)
}

func TestCloseDrainsTheQueue(t *testing.T) {
	rcv := newReceiver(t)
	logger, logs := newLogger(t)
	n := New([]Webhook{{URL: rcv.URL("ops")}}, logger, WithClock(&fakeClock{}))
	const sent = 25
	for range sent {
		n.BackupFinished(sampleBackup(backup.StatusFailed))
	}
	closeNotifier(t, n)
	if got := len(rcv.Requests()); got != sent {
		t.Errorf("got %d requests after Close, want %d", got, sent)
	}

	// Closed: later notifications are dropped, not sent, and do not panic.
	n.BackupFinished(sampleBackup(backup.StatusFailed))
	closeNotifier(t, n) // a second Close is harmless
	if got := len(rcv.Requests()); got != sent {
		t.Errorf("got %d requests after a notification past Close, want %d", got, sent)
	}
	if !strings.Contains(logs.String(), "notifier is closed") {
		t.Errorf("no warning for the notification past Close:\n%s", logs.String())
	}
}

func TestCloseGivesUpWhenItsContextEnds(t *testing.T) {
	srv := hangingServer(t)
	logger, logs := newLogger(t)
	n := New([]Webhook{{URL: srv.URL + "/hook/" + pathSecret}}, logger,
		WithTimeout(time.Minute), WithClock(&fakeClock{}))
	for range 3 {
		n.BackupFinished(sampleBackup(backup.StatusFailed))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := n.Close(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %v after its context ended", d)
	}
	out := logs.String()
	if !strings.Contains(out, "notifications dropped at shutdown") {
		t.Errorf("no shutdown drop logged:\n%s", out)
	}
	assertNoURLSecrets(t, out)
}

func TestUnusableURLIsNeverLogged(t *testing.T) {
	tests := []struct{ name, url string }{
		{"no scheme", "hooks.example/" + pathSecret},
		{"bad scheme", "ftp://hooks.example/" + pathSecret},
		{"unparsable", "http://hooks.example/%zz" + pathSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger, logs := newLogger(t)
			n := New([]Webhook{{URL: tt.url}}, logger, WithClock(&fakeClock{}))
			n.BackupFinished(sampleBackup(backup.StatusFailed))
			closeNotifier(t, n)
			out := logs.String()
			if !strings.Contains(out, "webhook #1 (invalid URL)") || !strings.Contains(out, "notification not delivered") {
				t.Errorf("logs lack the unusable webhook:\n%s", out)
			}
			assertNoURLSecrets(t, out)
		})
	}
}

func TestNoHooksIsANoOp(t *testing.T) {
	n := New(nil, nil)
	n.BackupFinished(sampleBackup(backup.StatusFailed))
	n.BackupFinished(nil)
	n.BackupStarted(nil)
	n.VerifyFinished(nil, "local", nil)
	n.CopyDeleted(nil, "local", "retention")
	n.StorageError(nil, "local", "put", errors.New("x"))
	closeNotifier(t, n)
}

// A successful backup with a size anomaly goes to anomaly subscribers as an
// anomaly event with its warning, and to success subscribers as usual.
func TestAnomalyEvent(t *testing.T) {
	anomaly, success := newReceiver(t), newReceiver(t)
	logger, _ := newLogger(t)
	n := New([]Webhook{
		{URL: anomaly.URL("anomaly"), Events: []string{EventAnomaly}},
		{URL: success.URL("success"), Events: []string{EventSuccess}},
	}, logger, WithClock(&fakeClock{}))
	b := sampleBackup(backup.StatusSuccess)
	b.Manifest = &backup.Manifest{SizeAnomaly: &backup.SizeAnomaly{RawBytes: 10, MedianRawBytes: 1000}}
	b.Warnings = []string{"size anomaly: 10 B raw, 1% of the median 1000 B"}
	n.BackupFinished(b)
	n.BackupFinished(sampleBackup(backup.StatusSuccess)) // no anomaly: no anomaly event
	closeNotifier(t, n)

	reqs := anomaly.Requests()
	if len(reqs) != 1 {
		t.Fatalf("anomaly hook got %d requests, want 1", len(reqs))
	}
	var p Payload
	if err := json.Unmarshal(reqs[0].Body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Event != EventAnomaly || len(p.Warnings) != 1 || !strings.Contains(p.Text, "size anomaly") {
		t.Errorf("payload = %+v", p)
	}
	if got := len(success.Requests()); got != 2 {
		t.Errorf("success hook got %d requests, want 2", got)
	}
}
