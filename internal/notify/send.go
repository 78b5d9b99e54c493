package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/redact"
)

// hook is a Webhook ready for delivery. Its URL never appears in a log or
// an error: name ("webhook #1 (hooks.example)") stands for it.
type hook struct {
	name    string
	url     string
	events  map[string]bool
	secrets []string // the URL and its parts, scrubbed from error texts
	invalid string   // why the URL cannot be used, or ""
}

func newHook(i int, w Webhook) *hook {
	h := &hook{url: w.URL, events: map[string]bool{}}
	for _, e := range w.Events {
		h.events[strings.ToLower(strings.TrimSpace(e))] = true
	}
	if len(w.Events) == 0 {
		h.events[EventFailure] = true
	}
	host := "invalid URL"
	u, err := url.Parse(w.URL)
	switch {
	case err != nil:
		h.invalid = "cannot be parsed"
	case u.Scheme != "http" && u.Scheme != "https":
		h.invalid = "scheme must be http or https"
	case u.Hostname() == "":
		h.invalid = "no host"
	default:
		host = u.Hostname()
	}
	h.name = fmt.Sprintf("webhook #%d (%s)", i+1, host)
	h.secrets = []string{w.URL}
	if err == nil {
		// Longest first, so that the URL goes whole before its parts.
		for _, s := range []string{u.EscapedPath() + "?" + u.RawQuery, u.EscapedPath(), u.Path, u.RawQuery, u.User.String()} {
			if len(s) > 1 && s != "/" {
				h.secrets = append(h.secrets, s)
			}
		}
	}
	return h
}

// scrub returns text with the hook's URL and its path, query and user info
// removed, then redacted.
func (h *hook) scrub(text string) string {
	for _, s := range h.secrets {
		if s != "" {
			text = strings.ReplaceAll(text, s, redact.Marker)
		}
	}
	return redact.Secrets(text)
}

// scrubErr makes err safe to log: net/http puts the whole request URL into
// its *url.Error, so only the underlying cause is kept.
func (h *hook) scrubErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return errors.New(h.scrub(err.Error()))
}

// deliver posts m to h, retrying what may succeed later. Failures are
// logged, never returned: a notification must not fail anything.
func (n *Notifier) deliver(ctx context.Context, h *hook, m *message) {
	attempts := 0
	for {
		attempts++
		retryAfter, retry, err := n.post(ctx, h, m.body)
		if err == nil {
			n.log.Debug("notification delivered", "webhook", h.name, "backup", m.backupID, "event", m.event, "attempts", attempts)
			return
		}
		if !retry || attempts > n.retries || ctx.Err() != nil {
			n.log.Warn("notification not delivered", "webhook", h.name, "backup", m.backupID, "event", m.event,
				"attempts", attempts, "error", err)
			return
		}
		wait := n.backoff << (attempts - 1)
		if retryAfter > wait {
			wait = min(retryAfter, maxRetryAfter)
		}
		n.log.Info("notification attempt failed; retrying", "webhook", h.name, "backup", m.backupID, "event", m.event,
			"attempt", attempts, "retry_in", wait, "error", err)
		timer := n.clock.NewTimer(wait)
		select {
		case <-timer.C():
		case <-ctx.Done():
			timer.Stop()
			n.log.Warn("notification not delivered", "webhook", h.name, "backup", m.backupID, "event", m.event,
				"attempts", attempts, "error", err)
			return
		}
	}
}

// post makes one attempt. It reports whether a failure is worth retrying
// (network error, timeout, 429, 5xx) and the receiver's Retry-After, if any.
func (n *Notifier) post(ctx context.Context, h *hook, body []byte) (retryAfter time.Duration, retry bool, err error) {
	if h.invalid != "" {
		return 0, false, fmt.Errorf("URL %s", h.invalid)
	}
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return 0, false, h.scrubErr(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", n.userAgent)
	resp, err := n.client.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return 0, true, fmt.Errorf("no response within %s", n.timeout)
		}
		return 0, true, h.scrubErr(err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused

	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return 0, false, nil
	}
	err = fmt.Errorf("HTTP %d", resp.StatusCode)
	if s := oneLine(h.scrub(string(snippet)), 200); s != "" {
		err = fmt.Errorf("HTTP %d: %s", resp.StatusCode, s)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode >= 500:
		return parseRetryAfter(resp.Header.Get("Retry-After")), true, err
	default:
		return 0, false, err
	}
}

// parseRetryAfter reads a Retry-After given in seconds; a date or garbage is
// ignored (the normal backoff applies).
func parseRetryAfter(v string) time.Duration {
	secs, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || secs <= 0 {
		return 0
	}
	return time.Duration(min(secs, int(maxRetryAfter/time.Second))) * time.Second
}
