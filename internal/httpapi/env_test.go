package httpapi

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/auth"
	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/clock"
	"github.com/gosqlguard/gosqlguard/internal/httpserve"
	"github.com/gosqlguard/gosqlguard/internal/logtest"
	"github.com/gosqlguard/gosqlguard/internal/retention"
	"github.com/gosqlguard/gosqlguard/internal/service/servicetest"
)

// Tokens of the test servers, one per role.
const (
	viewerToken   = "viewer-token-4f1c0a"
	operatorToken = "operator-token-9b2d7e"
	adminToken    = "admin-token-c3e85f"
	wrongToken    = "wrong-token-77aa01"
)

func tokenHash(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

func testTokens() []auth.Token {
	return []auth.Token{
		{Name: "ci-viewer", Role: auth.RoleViewer, SHA256: sha256.Sum256([]byte(viewerToken))},
		{Name: "ops", Role: auth.RoleOperator, SHA256: sha256.Sum256([]byte(operatorToken))},
		{Name: "root", Role: auth.RoleAdmin, SHA256: sha256.Sum256([]byte(adminToken))},
	}
}

type testEnv struct {
	srv     *Server
	handler http.Handler // srv behind the request middleware, as the app serves it
	svc     *servicetest.Fake
	logs    *logtest.Buffer
	clock   *clock.Fake
}

// envOptions are a Server's options and the tokens of its authenticator.
type envOptions struct {
	Options
	Tokens []auth.Token // nil: unauthenticated
}

// newEnv builds a Server with the test tokens, a fake service, a fake clock
// and a debug-level log, behind the request middleware; edit adjusts the
// options first.
func newEnv(t *testing.T, edit func(*envOptions)) *testEnv {
	t.Helper()
	env := &testEnv{logs: &logtest.Buffer{}, clock: clock.NewFake(time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC))}
	env.svc = newFakeService(t, env.clock)
	o := envOptions{Options: Options{
		Service: env.svc, Clock: env.clock,
		Logger:  slog.New(slog.NewJSONHandler(env.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "# metrics") }),
	}, Tokens: testTokens()}
	if edit != nil {
		edit(&o)
	}
	env.srv, env.handler = newServer(t, o)
	return env
}

// newFakeService is the shared fake daemon as these tests know it: server
// main with database shop, a daily type without schedule, one storage
// "local" that is unhealthy, retention keeping one daily backup, backups
// that succeed at once, and drills that fail with a secret and a path in
// their error.
func newFakeService(t *testing.T, clk clock.Clock) *servicetest.Fake {
	f := servicetest.New(t, clk)
	keep := 1
	f.Servers = map[string][]string{"main": {"shop"}}
	f.Types = map[string][]string{"daily": nil}
	f.NextRun = nil
	f.Storages = []string{"local"}
	f.StorageErrors = map[string]string{"local": "stat /srv/backups: permission denied"}
	f.Policy = retention.Policy{"daily": {Keep: &keep}}
	f.RunFor = 0
	f.Started = time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	f.Content = "stored object bytes"
	f.DrillOutcome = func(b *backup.Backup, at time.Time) backup.Drill {
		return backup.Drill{At: b.StartedAt, Seconds: 1.5, Status: backup.DrillFailure, Server: b.Server,
			Error: "pg_restore: error: could not read /var/lib/postgresql/x: password=hunter2"}
	}
	return f
}

// add stores a successful backup of server/db/typ started at t.
func (e *testEnv) add(t time.Time, server, db, typ string) *backup.Backup {
	return e.svc.Add(server, db, typ, t, backup.StatusSuccess, "")
}

// newServer builds a Server with an authenticator of o.Tokens and puts it
// behind the request middleware.
func newServer(t *testing.T, o envOptions) (*Server, http.Handler) {
	t.Helper()
	o.Auth = auth.New(o.Tokens, o.Logger, o.Clock)
	srv, err := New(o.Options)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return srv, httpserve.Middleware(srv, httpserve.Options{Logger: o.Logger, Clock: o.Clock, Fail: srv.WriteError})
}

// req describes one test request.
type req struct {
	method, target string
	token          string // "" sends no Authorization header
	body           string
	contentType    string // default application/json when body is set
	remote         string // client address, default 192.0.2.1:1234
	host           string
}

func (e *testEnv) do(t *testing.T, r req) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader = http.NoBody
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr := httptest.NewRequest(r.method, r.target, body)
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	if r.body != "" {
		hr.Header.Set("Content-Type", cmp.Or(r.contentType, "application/json"))
	}
	hr.RemoteAddr = cmp.Or(r.remote, "192.0.2.1:1234")
	if r.host != "" {
		hr.Host = r.host
	}
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, hr)
	return w
}

// apiError decodes an error body, failing the test when it is not one.
func apiError(t *testing.T, w *httptest.ResponseRecorder) errorDetail {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("error Content-Type = %q, want application/json (body %q)", ct, w.Body.String())
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("error body %q: %v", w.Body.String(), err)
	}
	var d errorDetail
	dec := json.NewDecoder(bytes.NewReader(body["error"]))
	dec.DisallowUnknownFields()
	if len(body) != 1 || dec.Decode(&d) != nil || d.Code == "" || d.Message == "" {
		t.Fatalf("error body %q is not {\"error\":{\"code\",\"message\"}}", w.Body.String())
	}
	return d
}

func decodeJSON[T any](t *testing.T, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %q: %v", w.Body.String(), err)
	}
	return v
}

var errSecret = errors.New("open catalog: password=secret /var/lib/x dsn=postgres://u:p@h/db")

func newRequest(method, target string) *http.Request {
	r := httptest.NewRequest(method, target, http.NoBody)
	r.RemoteAddr = "192.0.2.1:1234"
	return r
}

func serve(e *testEnv, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, r)
	return w
}
