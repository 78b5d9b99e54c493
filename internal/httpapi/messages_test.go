package httpapi

import (
	"cmp"
	"strings"
	"testing"
	"time"
)

// Every 4xx error says what is wrong and with which field, in one JSON
// shape, and never just "invalid request".
func TestErrorMessagesSayWhatIsWrong(t *testing.T) {
	const id = "20240101T000000.000Z-0123456789ab"
	names := `a name is 1-64 characters of a-z, 0-9, "_" and "-", starting with a letter or digit`
	dbNames := "(a database name is 1-128 bytes of UTF-8 without slashes or control characters)"
	tests := []struct {
		name, method, target, body, contentType string
		token                                   string // default admin
		status                                  int
		message                                 string
	}{
		// POST /backups: names the configuration lacks, as the app words them.
		{name: "unknown server", method: "POST", target: "/api/v1/backups", body: `{"server":"nope"}`,
			status: 400, message: `server "nope" is not configured`},
		{name: "unknown type", method: "POST", target: "/api/v1/backups", body: `{"type":"nope"}`,
			status: 400, message: `backup type "nope" is not configured`},
		{name: "job already running", method: "POST", target: "/api/v1/backups", body: `{"server":"busy","database":"shop"}`,
			status: 409, message: `the backup job busy/shop/manual is already running`},
		// An empty value is not "every": a caller's empty variable must not back up everything.
		{name: "empty database", method: "POST", target: "/api/v1/backups", body: `{"database":""}`,
			status: 400, message: `field "database" is empty: leave it out for every database`},
		{name: "empty server", method: "POST", target: "/api/v1/backups", body: `{"server":"","database":"shop"}`,
			status: 400, message: `field "server" is empty: leave it out for every server`},
		{name: "empty type", method: "POST", target: "/api/v1/backups", body: `{"type":""}`,
			status: 400, message: `field "type" is empty: leave it out for manual`},
		// Bodies.
		{name: "unknown field", method: "POST", target: "/api/v1/backups", body: `{"server":"main","sever":"x"}`,
			status: 400, message: `unknown field "sever" (allowed: server, database, type)`},
		{name: "field in wrong case", method: "POST", target: "/api/v1/backups", body: `{"Server":"main"}`,
			status: 400, message: `unknown field "Server" (allowed: server, database, type)`},
		{name: "repeated field", method: "POST", target: "/api/v1/backups", body: `{"server":"main","server":"other"}`,
			status: 400, message: `field "server" given more than once`},
		{name: "two objects", method: "POST", target: "/api/v1/backups", body: `{"server":"main"} {}`,
			status: 400, message: `the request body must hold exactly one JSON object; more follows it`},
		{name: "not an object", method: "POST", target: "/api/v1/backups", body: `["main"]`,
			status: 400, message: `the request body must be a JSON object, not an array`},
		{name: "null", method: "POST", target: "/api/v1/backups", body: `null`,
			status: 400, message: `the request body must be a JSON object, not null`},
		{name: "string for a name", method: "POST", target: "/api/v1/backups", body: `{"server":1}`,
			status: 400, message: `field "server" must be a string, not a number`},
		{name: "string for a flag", method: "POST", target: "/api/v1/backups/" + id + "/restore", body: `{"force":"yes"}`,
			status: 400, message: `field "force" must be true or false, not a string`},
		{name: "cut short", method: "POST", target: "/api/v1/backups", body: `{"server":`,
			status: 400, message: `malformed JSON body: it ends before the object is complete`},
		{name: "syntax error", method: "POST", target: "/api/v1/backups", body: `{"server" "main"}`,
			status: 400, message: `malformed JSON body: expected colon after object key (at byte 10)`},
		{name: "not JSON", method: "POST", target: "/api/v1/backups", body: `{"server":"main"}`, contentType: "text/plain",
			status: 415, message: `the request body must be JSON with Content-Type: application/json (not text/plain)`},
		{name: "too large", method: "POST", target: "/api/v1/backups", body: `{"server":"` + strings.Repeat("a", maxBody) + `"}`,
			status: 413, message: `request body larger than 65536 bytes`},
		{name: "bad server name", method: "POST", target: "/api/v1/backups", body: `{"server":"Main Server"}`,
			status: 400, message: `invalid server: ` + names},
		{name: "bad type name", method: "POST", target: "/api/v1/backups", body: `{"type":"../daily"}`,
			status: 400, message: `invalid type: ` + names},
		{name: "database with a slash", method: "POST", target: "/api/v1/backups", body: `{"database":"a/b"}`,
			status: 400, message: `invalid database: it contains a slash ` + dbNames},
		{name: "database with a newline", method: "POST", target: "/api/v1/backups", body: `{"database":"a\nb"}`,
			status: 400, message: `invalid database: it contains a control character ` + dbNames},
		{name: "dot-dot target", method: "POST", target: "/api/v1/backups/" + id + "/restore", body: `{"to_database":".."}`,
			status: 400, message: `invalid to_database: ".." is not a database name ` + dbNames},
		{name: "verify takes no fields", method: "POST", target: "/api/v1/backups/" + id + "/verify", body: `{"deep":true}`,
			status: 400, message: `unknown field "deep": this request takes no fields`},
		// Restore conflicts.
		{name: "restore into a non-empty database", method: "POST", target: "/api/v1/backups/" + id + "/restore", body: `{"to_database":"busy"}`,
			status: 409, message: `database "busy" exists and is not empty: it holds 3 tables (send "force": true to replace it)`},
		// IDs.
		{name: "bad ID", method: "GET", target: "/api/v1/backups/not-an-id",
			status: 400, message: `invalid backup ID: want a full ID like 20240501T020304.000Z-0123456789ab, or a unique prefix of one (at least 4 characters)`},
		{name: "unknown ID", method: "GET", target: "/api/v1/backups/" + id,
			status: 404, message: `backup ` + id + ` not found`},
		{name: "unknown ID on delete", method: "DELETE", target: "/api/v1/backups/" + id,
			status: 404, message: `backup ` + id + ` not found`},
		{name: "unknown ID on verify", method: "POST", target: "/api/v1/backups/" + id + "/verify",
			status: 404, message: `backup ` + id + ` not found`},
		{name: "unknown prefix", method: "GET", target: "/api/v1/backups/2023",
			status: 404, message: `no backup has an ID starting with "2023"`},
		{name: "ambiguous prefix", method: "GET", target: "/api/v1/backups/2024",
			status: 400, message: `"2024" matches 2 backups: give more of the ID`},
		// Query parameters.
		{name: "unknown status", method: "GET", target: "/api/v1/backups?status=great",
			status: 400, message: `invalid status: want one of running, success, partial, failed, interrupted, deleted`},
		{name: "unknown query parameter", method: "GET", target: "/api/v1/backups?sort=asc",
			status: 400, message: `unknown query parameter "sort" (allowed: server, database, type, status, storage, since, until, q, limit, cursor)`},
		{name: "query parameter on a route without any", method: "GET", target: "/api/v1/jobs?all=1",
			status: 400, message: `unknown query parameter "all": this route takes no query parameters`},
		{name: "repeated query parameter", method: "GET", target: "/api/v1/backups?server=a&server=b",
			status: 400, message: `query parameter "server" given more than once`},
		{name: "malformed query", method: "GET", target: "/api/v1/backups?server=%zz",
			status: 400, message: `malformed query string: use name=value pairs joined by "&", percent-encoded`},
		{name: "bad cursor", method: "GET", target: "/api/v1/backups?cursor=nonsense",
			status: 400, message: `invalid cursor: pass back the next_cursor of a previous page unchanged`},
		{name: "bad limit", method: "GET", target: "/api/v1/backups?limit=ten",
			status: 400, message: `invalid limit: want an integer from 1 to 1000`},
		{name: "bad since", method: "GET", target: "/api/v1/backups?since=2024-01-01T00:00",
			status: 400, message: `invalid since: want an RFC 3339 time like 2024-05-01T00:00:00Z or a date like 2024-05-01`},
		{name: "zero until", method: "GET", target: "/api/v1/backups?until=0001-01-01T00:00:00Z",
			status: 400, message: `invalid until: 0001-01-01T00:00:00Z is before 1970`},
		{name: "since after until", method: "GET", target: "/api/v1/backups?since=2024-02-01T00:00:00Z&until=2024-01-01T00:00:00Z",
			status: 400, message: `invalid since and until: since must be before until`},
		{name: "q too long", method: "GET", target: "/api/v1/backups?q=" + strings.Repeat("x", maxQueryLen+1),
			status: 400, message: `invalid q: longer than 256 bytes`},
		{name: "bad storage on download", method: "GET", target: "/api/v1/backups/" + id + "/download?storage=../x",
			status: 400, message: `invalid storage: ` + names},
		{name: "bad dry_run", method: "POST", target: "/api/v1/retention/run?dry_run=maybe",
			status: 400, message: `invalid dry_run: want true or false`},
		// Routes, methods and roles.
		{name: "unknown route", method: "GET", target: "/api/v1/nothing",
			status: 404, message: `no such API route`},
		{name: "wrong method", method: "PUT", target: "/api/v1/jobs",
			status: 405, message: `method PUT not allowed here (allowed: GET, HEAD)`},
		{name: "role too low", method: "DELETE", target: "/api/v1/backups/" + id, token: viewerToken,
			status: 403, message: `this needs the admin role; the token has the viewer role`},
		{name: "no token", method: "GET", target: "/api/v1/jobs", token: "-",
			status: 401, message: `missing bearer token`},
		{name: "bad token", method: "GET", target: "/api/v1/jobs", token: wrongToken,
			status: 401, message: `invalid bearer token`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, nil)
			t0 := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
			env.add(t0, "main", "shop", "daily")
			env.add(t0.Add(time.Hour), "main", "shop", "daily")
			tok := cmp.Or(tt.token, adminToken)
			if tok == "-" {
				tok = ""
			}
			w := env.do(t, req{method: tt.method, target: tt.target, token: tok, body: tt.body, contentType: tt.contentType})
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if d := apiError(t, w); d.Message != tt.message {
				t.Errorf("message\n %s\nwant\n %s", d.Message, tt.message)
			}
		})
	}
}
