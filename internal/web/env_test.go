package web

import (
	"crypto/sha256"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/audit"
	"github.com/gosqlguard/gosqlguard/internal/auth"
	"github.com/gosqlguard/gosqlguard/internal/httpserve"
	"github.com/gosqlguard/gosqlguard/internal/service"
	"github.com/gosqlguard/gosqlguard/internal/service/servicetest"
)

// leakedSecret must never appear in any page: the fake puts it into backup
// errors, job failures and verify results, as a careless dump tool might.
const leakedSecret = servicetest.LeakedSecret

// count is how many times the UI made the state-changing call named (start,
// delete, download, verify, restore, retention applied, drill).
func (e *env) count(call string) int {
	method := map[string]string{"start": "StartBackups", "delete": "DeleteBackup", "download": "Download",
		"verify": "VerifyBackup", "restore": "RestoreBackup", "retention": "Retention(false)", "drill": "DrillBackup"}[call]
	if method == "" {
		panic("unknown call " + call)
	}
	return e.svc.Count(method)
}

// restores lists the restores the UI asked for, as "id->to_database".
func (e *env) restores() []string {
	var out []string
	for _, r := range e.svc.Restores() {
		out = append(out, r.ID+"->"+r.Options.ToDatabase)
	}
	return out
}

// Tokens of the test environment, one per role.
const (
	adminToken    = "admin-token-7f3a9c1e5b"
	operatorToken = "operator-token-2d8e4f6a"
	viewerToken   = "viewer-token-9b1c3e5d7"
)

// token is the authenticator's entry of a test token.
func token(name string, role auth.Role, secret string) auth.Token {
	return auth.Token{Name: name, Role: role, SHA256: sha256.Sum256([]byte(secret))}
}

// env is the UI on one httptest server, over a fake Service, behind the
// request middleware as the app serves it.
type env struct {
	srv *httptest.Server
	svc *servicetest.Fake
	ui  *UI
}

type envOptions struct {
	open    bool // no tokens: unauthenticated mode
	secure  bool
	audited bool // the Service wrapped by audit.Wrap, as the app serves it
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	svc := servicetest.New(t, nil)
	svc.Seed()
	var tokens []auth.Token
	if !o.open {
		tokens = []auth.Token{
			token("alice", auth.RoleAdmin, adminToken),
			token("oscar", auth.RoleOperator, operatorToken),
			token("vera", auth.RoleViewer, viewerToken),
		}
	}
	logger := slog.New(slog.DiscardHandler)
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	var s service.Service = svc
	if o.audited {
		s = audit.Wrap(svc, nil, logger)
	}
	ui, err := New(Options{Service: s, Auth: auth.New(tokens, logger, nil), Logger: logger, SecureCookies: o.secure})
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	return &env{srv: serve(t, ui, logger), svc: svc, ui: ui}
}

// serve starts a test server of ui's routes on their own mux, behind the
// request middleware.
func serve(t testing.TB, ui *UI, logger *slog.Logger) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	ui.Register(mux)
	srv := httptest.NewServer(httpserve.Middleware(mux, httpserve.Options{Logger: logger}))
	t.Cleanup(srv.Close)
	return srv
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// client is a browser-like HTTP client: a cookie jar, no automatic redirects.
type client struct {
	t    testing.TB
	e    *env
	http *http.Client
}

func (e *env) client(t testing.TB) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, e: e, http: &http.Client{
		Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

// response is a finished request.
type response struct {
	status int
	header http.Header
	body   string
}

func (c *client) do(method, path string, form url.Values) response {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.e.srv.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (c *client) get(path string) response { c.t.Helper(); return c.do("GET", path, nil) }

func (c *client) post(path string, form url.Values) response {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	return c.do("POST", path, form)
}

// login logs in with token and fails the test unless it works.
func (c *client) login(token string) {
	c.t.Helper()
	r := c.post("/login", url.Values{"token": {token}, "next": {"/"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
		c.t.Fatalf("login: status %d, Location %q, want 303 to /", r.status, r.header.Get("Location"))
	}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the CSRF token of the session, read from a page's forms.
func (c *client) csrf() string {
	c.t.Helper()
	r := c.get("/")
	m := csrfField.FindStringSubmatch(r.body)
	if m == nil {
		c.t.Fatalf("no CSRF field on the dashboard (status %d)", r.status)
	}
	return m[1]
}

// loggedIn returns a client logged in with token.
func (e *env) loggedIn(t testing.TB, token string) *client {
	c := e.client(t)
	c.login(token)
	return c
}

// anyBackup returns the ID of a backup the fake holds that matches pred.
func (e *env) backupID(t testing.TB, pred func(server, db, typ, status string) bool) string {
	t.Helper()
	best := ""
	for id, b := range e.svc.Backups() {
		if pred(b.Server, b.Database, b.Type, string(b.Status)) && id > best {
			best = id
		}
	}
	if best == "" {
		t.Fatal("no matching backup in the fake")
	}
	return best
}
