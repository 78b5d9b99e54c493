package web

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/auth"
	"github.com/gosqlguard/gosqlguard/internal/logtest"
	"github.com/gosqlguard/gosqlguard/internal/service/servicetest"
)

// A page request of a logged-in user names that user to the request
// middleware: its access log line (and the audit trail, which reads the same
// record) carries the session's principal.
func TestPageRequestNamesItsPrincipal(t *testing.T) {
	var logs logtest.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	svc := servicetest.New(t, nil)
	svc.Seed()
	ui, err := New(Options{Service: svc, Auth: auth.New([]auth.Token{token("oscar", auth.RoleOperator, operatorToken)}, logger, nil), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{srv: serve(t, ui, logger), svc: svc, ui: ui}
	c := e.client(t)
	c.login(operatorToken)
	if r := c.do("GET", "/backups", nil); r.status != 200 {
		t.Fatalf("GET /backups: %d", r.status)
	}
	// The access log line is written once the response is out.
	var line string
	for deadline := time.Now().Add(5 * time.Second); line == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, "path=/backups") {
				line = l
			}
		}
	}
	if !strings.Contains(line, "principal=oscar") {
		t.Errorf("access log line of the page names no principal: %q\n%s", line, logs.String())
	}
}
