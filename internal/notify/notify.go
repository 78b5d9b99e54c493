// Package notify posts a JSON message to webhooks when a backup finishes.
//
// A Notifier is a runner.Observer that never blocks or fails a backup:
// BackupFinished only builds the message and queues it (dropping it with a
// warning when the queue is full); one goroutine delivers, with a timeout
// per attempt and retries with backoff. Webhook URLs are secrets: logs name
// a webhook by its index and host only.
package notify

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/clock"
	"github.com/gosqlguard/gosqlguard/internal/runner"
)

// Events a webhook can subscribe to.
const (
	EventFailure = "failure" // a backup ended failed, partial or interrupted
	EventSuccess = "success" // a backup ended success
	EventAnomaly = "anomaly" // a successful backup was far smaller than its job's recent ones
)

// Defaults, each changed by an Option.
const (
	DefaultTimeout   = 10 * time.Second // per attempt
	DefaultRetries   = 3                // after the first attempt
	DefaultBackoff   = time.Second      // before the first retry, doubling after
	DefaultQueueSize = 100              // messages waiting for the worker
	DefaultUserAgent = "gosqlguard"
)

// maxRetryAfter caps a receiver's Retry-After: one worker serves every
// webhook, so one receiver must not stall the others for long.
const maxRetryAfter = 30 * time.Second

// Webhook is one receiver: URL (a secret) gets a POST for each of Events.
// No events means failure only, as in the config's default.
type Webhook struct {
	URL    string
	Events []string
}

// Option changes a Notifier's default.
type Option func(*Notifier)

// WithTimeout bounds each attempt (connect, send, response); d <= 0 keeps the default.
func WithTimeout(d time.Duration) Option {
	return func(n *Notifier) {
		if d > 0 {
			n.timeout = d
		}
	}
}

// WithRetries sets how many times a failed delivery is retried (0: never).
// Network errors, timeouts, 429 and 5xx are retried; other statuses are not.
func WithRetries(r int) Option {
	return func(n *Notifier) {
		if r >= 0 {
			n.retries = r
		}
	}
}

// WithQueueSize sets how many messages may wait for delivery before new
// ones are dropped.
func WithQueueSize(size int) Option {
	return func(n *Notifier) {
		if size > 0 {
			n.queueSize = size
		}
	}
}

// WithClock replaces the system clock, so that tests of the backoff need
// not sleep.
func WithClock(c clock.Clock) Option { return func(n *Notifier) { n.clock = c } }

// Notifier delivers backup notifications to webhooks. Create it with New
// and stop it with Close.
type Notifier struct {
	hooks     []*hook
	log       *slog.Logger
	client    *http.Client
	timeout   time.Duration
	retries   int
	backoff   time.Duration
	queueSize int
	clock     clock.Clock
	userAgent string

	mu     sync.RWMutex // guards closed against sends on the closed queue
	closed bool
	queue  chan *message

	ctx    context.Context // ends when Close gives up: aborts delivery
	cancel context.CancelFunc
	done   chan struct{} // closed when the worker has returned
}

var _ runner.Observer = (*Notifier)(nil)

// message is one backup's notification, encoded once for all its hooks.
type message struct {
	backupID string
	event    string
	body     []byte
	hooks    []*hook
}

// New returns a Notifier for hooks and starts its worker. logger may be nil.
func New(hooks []Webhook, logger *slog.Logger, opts ...Option) *Notifier {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	n := &Notifier{
		log:       logger,
		timeout:   DefaultTimeout,
		retries:   DefaultRetries,
		backoff:   DefaultBackoff,
		queueSize: DefaultQueueSize,
		clock:     clock.System{},
		userAgent: DefaultUserAgent,
		done:      make(chan struct{}),
	}
	for _, o := range opts {
		o(n)
	}
	if n.client == nil {
		n.client = &http.Client{}
	}
	for i, w := range hooks {
		h := newHook(i, w)
		if h.invalid != "" {
			n.log.Warn("webhook URL is unusable; its deliveries will fail", "webhook", h.name, "problem", h.invalid)
		}
		n.hooks = append(n.hooks, h)
	}
	n.queue = make(chan *message, n.queueSize)
	n.ctx, n.cancel = context.WithCancel(context.Background())
	go n.run()
	return n
}

// BackupFinished queues a notification for the hooks subscribed to the
// backup's outcome, and to anomaly when it carries a size anomaly, and
// returns at once; it never blocks on the network.
func (n *Notifier) BackupFinished(b *backup.Backup) {
	if b == nil {
		return
	}
	n.notify(b, eventFor(b.Status))
	if b.Anomalous() && (b.Status == backup.StatusSuccess || b.Status == backup.StatusPartial) {
		n.notify(b, EventAnomaly)
	}
}

// notify queues b's event for the hooks subscribed to it; "" is none.
func (n *Notifier) notify(b *backup.Backup, event string) {
	if event == "" {
		return
	}
	var targets []*hook
	for _, h := range n.hooks {
		if h.events[event] {
			targets = append(targets, h)
		}
	}
	if len(targets) == 0 {
		return
	}
	body, err := encode(b, event, n.clock.Now())
	if err != nil {
		n.log.Error("cannot encode notification", "backup", b.ID, "error", err)
		return
	}
	m := &message{backupID: b.ID, event: event, body: body, hooks: targets}

	n.mu.RLock()
	defer n.mu.RUnlock()
	if n.closed {
		n.log.Warn("notification dropped: notifier is closed", "backup", b.ID, "event", event)
		return
	}
	select {
	case n.queue <- m:
	default:
		n.log.Warn("notification dropped: queue is full", "backup", b.ID, "event", event, "queue_size", n.queueSize)
	}
}

// eventFor maps a final backup status to its event, or "" for none.
func eventFor(s backup.Status) string {
	switch s {
	case backup.StatusSuccess:
		return EventSuccess
	case backup.StatusFailed, backup.StatusPartial, backup.StatusInterrupted:
		return EventFailure
	}
	return ""
}

// BackupStarted does nothing: only outcomes are notified.
func (n *Notifier) BackupStarted(*backup.Backup) {}

// VerifyFinished does nothing.
func (n *Notifier) VerifyFinished(*backup.Backup, string, error) {}

// CopyDeleted does nothing.
func (n *Notifier) CopyDeleted(*backup.Backup, string, string) {}

// StorageError does nothing: the backup's outcome carries storage failures.
func (n *Notifier) StorageError(*backup.Backup, string, string, error) {}

// Close stops accepting notifications and delivers those queued until ctx
// ends; then it aborts the delivery in flight, drops the rest and returns
// ctx's error. Close may be called more than once.
func (n *Notifier) Close(ctx context.Context) error {
	n.mu.Lock()
	if !n.closed {
		n.closed = true
		close(n.queue)
	}
	n.mu.Unlock()
	select {
	case <-n.done:
		n.cancel()
		return nil
	case <-ctx.Done():
		n.cancel()
		<-n.done // quick: every wait of the worker watches n.ctx
		return fmt.Errorf("notify: close: %w", ctx.Err())
	}
}

// run is the worker: it delivers each queued message to its hooks in turn.
func (n *Notifier) run() {
	defer close(n.done)
	dropped := 0
	for m := range n.queue {
		if n.ctx.Err() != nil {
			dropped++
			continue
		}
		for _, h := range m.hooks {
			n.deliver(n.ctx, h, m)
		}
	}
	if dropped > 0 {
		n.log.Warn("notifications dropped at shutdown", "count", dropped)
	}
}
