package web

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestLoginRedirectsAndSetsASafeCookie(t *testing.T) {
	for _, secure := range []bool{false, true} {
		e := newEnv(t, envOptions{secure: secure})
		c := e.client(t)
		r := c.get("/backups?status=failed")
		if r.status != http.StatusSeeOther {
			t.Fatalf("GET /backups without a session: status %d, want 303", r.status)
		}
		if got, want := r.header.Get("Location"), "/login?next="+url.QueryEscape("/backups?status=failed"); got != want {
			t.Fatalf("redirect to %q, want %q", got, want)
		}
		if r := c.get("/login"); r.status != http.StatusOK || !strings.Contains(r.body, `name="token"`) {
			t.Fatalf("GET /login: status %d, no token field", r.status)
		}
		r = c.post("/login", url.Values{"token": {adminToken}, "next": {"/backups?status=failed"}})
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/backups?status=failed" {
			t.Fatalf("login: status %d to %q, want 303 to the page asked for", r.status, r.header.Get("Location"))
		}
		cookies := (&http.Response{Header: r.header}).Cookies()
		if len(cookies) != 1 || cookies[0].Name != "gsg_session" {
			t.Fatalf("login set cookies %v, want one gsg_session", cookies)
		}
		ck := cookies[0]
		if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" || ck.Secure != secure {
			t.Errorf("cookie flags: HttpOnly=%v SameSite=%v Path=%q Secure=%v; want HttpOnly, Strict, /, Secure=%v",
				ck.HttpOnly, ck.SameSite, ck.Path, ck.Secure, secure)
		}
		if len(ck.Value) < 43 {
			t.Errorf("session ID %q is shorter than 32 random bytes", ck.Value)
		}
		if strings.Contains(r.header.Get("Set-Cookie"), adminToken) {
			t.Error("the cookie carries the token")
		}
		if r := c.get("/"); r.status != http.StatusOK || !strings.Contains(r.body, "alice") {
			t.Fatalf("dashboard after login: status %d, or the user's name is missing", r.status)
		}
	}
}

func TestLoginRejectsBadTokensAndIsRateLimitedLikeTheAPI(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client(t)
	r := c.post("/login", url.Values{"token": {"not-a-token"}})
	if r.status != http.StatusUnauthorized || !strings.Contains(r.body, "not valid") {
		t.Fatalf("bad token: status %d, want 401 with a message", r.status)
	}
	if strings.Contains(r.body, "not-a-token") {
		t.Error("the login page echoes the token it was given")
	}
	if len((&http.Response{Header: r.header}).Cookies()) != 0 {
		t.Error("a failed login set a cookie")
	}
	if r := c.post("/login", url.Values{"token": {""}}); r.status != http.StatusUnauthorized || !strings.Contains(r.body, "Enter your API token") {
		t.Fatalf("empty token: status %d", r.status)
	}
	// The API allows 10 failures a minute per client; the UI shares them.
	for i := 2; i < 10; i++ {
		c.post("/login", url.Values{"token": {"wrong"}})
	}
	r = c.post("/login", url.Values{"token": {"wrong-again"}})
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Fatalf("after 10 failures a bad token gets status %d (Retry-After %q), want 429",
			r.status, r.header.Get("Retry-After"))
	}
	if !strings.Contains(r.body, "Too many failed logins") || !strings.Contains(r.body, "a valid token is accepted at any time") {
		t.Errorf("the 429 page does not say why:\n%s", r.body)
	}
	// The same limiter guards the API (see the app's test of the two side
	// by side), but a valid token is let in at once at the login.
	r = c.post("/login", url.Values{"token": {adminToken}})
	if r.status != http.StatusSeeOther || len((&http.Response{Header: r.header}).Cookies()) != 1 {
		t.Fatalf("a correct login from the limited address: status %d, want 303 with a session cookie", r.status)
	}
	if r := c.get("/"); r.status != http.StatusOK {
		t.Errorf("dashboard after the correct login: status %d", r.status)
	}
}

func TestLogoutEndsTheSession(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.loggedIn(t, adminToken)
	token := c.csrf()
	u, _ := url.Parse(e.srv.URL)
	old := c.http.Jar.Cookies(u)
	r := c.post("/logout", url.Values{"csrf": {token}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/login" {
		t.Fatalf("logout: status %d to %q", r.status, r.header.Get("Location"))
	}
	if sc := r.header.Get("Set-Cookie"); !strings.Contains(sc, "gsg_session=;") || !strings.Contains(sc, "Max-Age=0") {
		t.Errorf("logout does not clear the cookie: %q", sc)
	}
	// Replaying the old cookie must not work.
	c2 := e.client(t)
	c2.http.Jar.SetCookies(u, old)
	if r := c2.get("/"); r.status != http.StatusSeeOther {
		t.Errorf("old session after logout: GET / status %d, want 303 to the login", r.status)
	}
	if r := c2.post("/backups", url.Values{"csrf": {token}}); r.status != http.StatusForbidden {
		t.Errorf("old session after logout: POST status %d, want 403", r.status)
	}
	if n := e.count("start"); n != 0 {
		t.Errorf("StartBackups called %d times", n)
	}
}

func TestFormsNeedTheSessionsCSRFToken(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.loggedIn(t, adminToken)
	id := e.backupID(t, func(_, _, _, st string) bool { return st == "success" })
	posts := []struct {
		path string
		form url.Values
		call string
	}{
		{"/backups", url.Values{"server": {"main-mysql"}, "database": {"shop"}}, "start"},
		{"/backups/" + id + "/verify", url.Values{}, "verify"},
		{"/backups/" + id + "/restore", url.Values{"to_database": {"copy"}, "confirm": {"copy"}}, "restore"},
		{"/backups/" + id + "/delete", url.Values{"confirm": {"yes"}}, "delete"},
		{"/retention", url.Values{}, "retention"},
	}
	for _, p := range posts {
		for name, tok := range map[string][]string{"missing": nil, "wrong": {"AAAA" + strings.Repeat("x", 39)}, "empty": {""}} {
			form := url.Values{}
			for k, v := range p.form {
				form[k] = v
			}
			if tok != nil {
				form["csrf"] = tok
			}
			r := c.post(p.path, form)
			if r.status != http.StatusForbidden {
				t.Errorf("POST %s with a %s CSRF token: status %d, want 403", p.path, name, r.status)
			}
			if !strings.Contains(r.body, "Form refused") {
				t.Errorf("POST %s with a %s CSRF token: no readable 403 page", p.path, name)
			}
		}
		if n := e.count(p.call); n != 0 {
			t.Errorf("%s ran %d times without a valid CSRF token", p.call, n)
		}
	}
	// Another session's token does not work either.
	other := e.loggedIn(t, adminToken).csrf()
	if r := c.post("/backups", url.Values{"csrf": {other}}); r.status != http.StatusForbidden {
		t.Errorf("another session's CSRF token: status %d, want 403", r.status)
	}
	// With the right token the same form works.
	if r := c.post("/backups", url.Values{"csrf": {c.csrf()}, "server": {"main-mysql"}, "database": {"shop"}}); r.status != http.StatusSeeOther {
		t.Errorf("with the right CSRF token: status %d, want 303", r.status)
	}
	e.svc.WaitIdle(t)
}

func TestPostsWithoutASessionAreRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client(t)
	for _, p := range []string{"/backups", "/retention", "/logout"} {
		if r := c.post(p, url.Values{"csrf": {"x"}}); r.status != http.StatusForbidden {
			t.Errorf("POST %s without a session: status %d, want 403", p, r.status)
		}
	}
	if r := c.get("/ui/live?view=dashboard"); r.status != http.StatusUnauthorized || !strings.Contains(r.body, "session") {
		t.Errorf("GET /ui/live without a session: status %d %q, want 401 JSON", r.status, r.body)
	}
}

func TestCrossOriginPostsAreRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.loggedIn(t, adminToken)
	form := url.Values{"csrf": {c.csrf()}}
	req, _ := http.NewRequest("POST", e.srv.URL+"/retention", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: status %d, want 403", resp.StatusCode)
	}
	if n := e.count("retention"); n != 0 {
		t.Errorf("retention applied %d times by a cross-site post", n)
	}
}

func TestRolesHideAndRefuseActions(t *testing.T) {
	e := newEnv(t, envOptions{})
	id := e.backupID(t, func(_, _, _, st string) bool { return st == "success" })
	type attempt struct {
		method, path string
		form         url.Values
	}
	operatorOnly := []attempt{
		{"POST", "/backups", url.Values{"server": {"main-mysql"}}},
		{"POST", "/backups/" + id + "/verify", nil},
		{"GET", "/backups/" + id + "/restore", nil},
		{"GET", "/backups/" + id + "/restore?step=confirm&to_database=copy", nil},
		{"POST", "/backups/" + id + "/restore", url.Values{"to_database": {"copy"}, "confirm": {"copy"}}},
		{"GET", "/backups/" + id + "/download", nil},
		{"GET", "/backups/" + id + "/download?storage=local", nil},
		{"POST", "/retention", nil},
	}
	adminOnly := []attempt{
		{"GET", "/backups/" + id + "/delete", nil},
		{"POST", "/backups/" + id + "/delete", url.Values{"confirm": {"yes"}}},
	}
	try := func(c *client, a attempt) response {
		if a.method == "GET" {
			return c.get(a.path)
		}
		form := url.Values{"csrf": {c.csrf()}}
		for k, v := range a.form {
			form[k] = v
		}
		return c.post(a.path, form)
	}

	viewer := e.loggedIn(t, viewerToken)
	for _, a := range append(append([]attempt{}, operatorOnly...), adminOnly...) {
		if r := try(viewer, a); r.status != http.StatusForbidden || !strings.Contains(r.body, "needs the") {
			t.Errorf("viewer %s %s: status %d, want a 403 page", a.method, a.path, r.status)
		}
	}
	operator := e.loggedIn(t, operatorToken)
	for _, a := range adminOnly {
		if r := try(operator, a); r.status != http.StatusForbidden {
			t.Errorf("operator %s %s: status %d, want 403", a.method, a.path, r.status)
		}
	}
	for _, call := range []string{"start", "verify", "restore", "download", "delete", "retention"} {
		if n := e.count(call); n != 0 {
			t.Errorf("%s ran %d times for a role that may not", call, n)
		}
	}

	// What each role sees.
	pages := []string{"/", "/backups/" + id, "/retention"}
	controls := map[string]string{
		"trigger":  `action="/backups"`,
		"verify":   `/verify"`,
		"restore":  `/restore"`,
		"download": `/download?`,
		"delete":   `/delete"`,
		"apply":    `action="/retention"`,
	}
	visible := func(c *client) map[string]bool {
		seen := map[string]bool{}
		for _, p := range pages {
			body := c.get(p).body
			for name, marker := range controls {
				if strings.Contains(body, marker) {
					seen[name] = true
				}
			}
		}
		return seen
	}
	admin := e.loggedIn(t, adminToken)
	for _, tc := range []struct {
		name string
		c    *client
		want map[string]bool
	}{
		{"viewer", viewer, map[string]bool{}},
		{"operator", operator, map[string]bool{"trigger": true, "verify": true, "restore": true, "download": true, "apply": true}},
		{"admin", admin, map[string]bool{"trigger": true, "verify": true, "restore": true, "download": true, "apply": true, "delete": true}},
	} {
		got := visible(tc.c)
		for name := range controls {
			if got[name] != tc.want[name] {
				t.Errorf("%s: control %q shown = %v, want %v", tc.name, name, got[name], tc.want[name])
			}
		}
	}
	// An operator may verify; an admin may delete.
	if r := try(operator, attempt{"POST", "/backups/" + id + "/verify", nil}); r.status != http.StatusSeeOther {
		t.Errorf("operator verify: status %d, want 303", r.status)
	}
	if r := try(admin, attempt{"POST", "/backups/" + id + "/delete", url.Values{"confirm": {"yes"}}}); r.status != http.StatusSeeOther {
		t.Errorf("admin delete: status %d, want 303", r.status)
	}
	if e.count("verify") != 1 || e.count("delete") != 1 {
		t.Errorf("verify ran %d times, delete %d times; want 1 and 1", e.count("verify"), e.count("delete"))
	}
}

func TestUnauthenticatedModeWorksWithoutLoginButWarns(t *testing.T) {
	e := newEnv(t, envOptions{open: true})
	c := e.client(t)
	r := c.get("/")
	if r.status != http.StatusOK {
		t.Fatalf("GET / with no tokens configured: status %d, want 200", r.status)
	}
	if !strings.Contains(r.body, "No login required") {
		t.Error("no warning banner in unauthenticated mode")
	}
	if strings.Contains(r.body, `action="/logout"`) {
		t.Error("a logout button in unauthenticated mode")
	}
	if r := c.get("/login"); r.status != http.StatusSeeOther {
		t.Errorf("GET /login in unauthenticated mode: status %d, want a redirect", r.status)
	}
	// Forms still need the CSRF token.
	if r := c.post("/retention", url.Values{}); r.status != http.StatusForbidden {
		t.Errorf("POST without CSRF token: status %d, want 403", r.status)
	}
	if r := c.post("/retention", url.Values{"csrf": {c.csrf()}, "confirm": {"yes"}}); r.status != http.StatusSeeOther {
		t.Errorf("POST with CSRF token: status %d, want 303", r.status)
	}
	if n := e.count("retention"); n != 1 {
		t.Errorf("retention applied %d times, want 1", n)
	}
	if r := e.client(t).post("/retention", url.Values{"csrf": {"x"}}); r.status != http.StatusForbidden {
		t.Errorf("POST without a session: status %d, want 403", r.status)
	}
	// Only requests addressed to localhost are served (DNS rebinding).
	req, _ := http.NewRequest("GET", e.srv.URL+"/", nil)
	req.Host = "evil.example"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("Host evil.example: status %d, want 403", resp.StatusCode)
	}
}

func TestLinksFromOtherSitesReloadToCarryTheStrictCookie(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client(t)
	req, _ := http.NewRequest("GET", e.srv.URL+"/backups?status=failed", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = io.Copy(&b, resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(b.String(), `http-equiv="refresh" content="0; url=/backups?status=failed"`) {
		t.Errorf("cross-site navigation: status %d, body %q; want a same-origin reload of the page", resp.StatusCode, b.String())
	}
}
