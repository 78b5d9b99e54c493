package httpapi

import (
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/redact"
)

func TestStrictInput(t *testing.T) {
	const id = "20240101T000000.000Z-0123456789ab"
	tests := []struct {
		name        string
		method      string
		target      string
		body        string
		contentType string
		want        int
		wantCode    string
	}{
		// Bodies.
		{"unknown field", "POST", "/api/v1/backups", `{"server":"main","sever":"x"}`, "", 400, "bad_request"},
		{"field in wrong case", "POST", "/api/v1/backups", `{"Server":"main"}`, "", 400, "bad_request"},
		{"repeated field", "POST", "/api/v1/backups", `{"server":"main","server":"other"}`, "", 400, "bad_request"},
		{"two JSON values", "POST", "/api/v1/backups", `{"server":"main"} {"server":"main"}`, "", 400, "bad_request"},
		{"trailing garbage", "POST", "/api/v1/backups", `{"server":"main"} x`, "", 400, "bad_request"},
		{"not an object", "POST", "/api/v1/backups", `["main"]`, "", 400, "bad_request"},
		{"null", "POST", "/api/v1/backups", `null`, "", 400, "bad_request"},
		{"wrong type", "POST", "/api/v1/backups", `{"server":1}`, "", 400, "bad_request"},
		{"malformed JSON", "POST", "/api/v1/backups", `{"server":`, "", 400, "bad_request"},
		{"body over limit", "POST", "/api/v1/backups", `{"server":"` + strings.Repeat("a", maxBody) + `"}`, "", 413, "payload_too_large"},
		{"not JSON content type", "POST", "/api/v1/backups", `{"server":"main"}`, "text/plain", 415, "unsupported_media_type"},
		{"bad server name", "POST", "/api/v1/backups", `{"server":"Main Server"}`, "", 400, "bad_request"},
		{"bad type name", "POST", "/api/v1/backups", `{"type":"../daily"}`, "", 400, "bad_request"},
		{"bad database name", "POST", "/api/v1/backups", `{"database":"a/b"}`, "", 400, "bad_request"},
		{"bad to_database", "POST", "/api/v1/backups/" + id + "/restore", `{"to_database":".."}`, "", 400, "bad_request"},
		{"unknown restore field", "POST", "/api/v1/backups/" + id + "/restore", `{"to_database":"x","storage":"local"}`, "", 400, "bad_request"},
		{"verify takes no fields", "POST", "/api/v1/backups/" + id + "/verify", `{"deep":true}`, "", 400, "bad_request"},
		{"retention takes no fields", "POST", "/api/v1/retention/run?dry_run=true", `{"dry_run":true}`, "", 400, "bad_request"},
		{"service error for unknown names", "POST", "/api/v1/backups", `{"server":"nope"}`, "", 400, "bad_request"},
		{"job already running", "POST", "/api/v1/backups", `{"server":"busy"}`, "", 409, "conflict"},
		// IDs.
		{"bad ID", "GET", "/api/v1/backups/not-an-id", "", "", 400, "bad_request"},
		{"bad ID on delete", "DELETE", "/api/v1/backups/20240101T000000Z-xyz", "", "", 400, "bad_request"},
		{"bad ID on download", "GET", "/api/v1/backups/..%2F..%2Fetc/download", "", "", 400, "bad_request"},
		{"unknown ID", "GET", "/api/v1/backups/" + id, "", "", 404, "not_found"},
		// Query parameters.
		{"unknown filter value", "GET", "/api/v1/backups?status=great", "", "", 400, "bad_request"},
		{"unknown query parameter", "GET", "/api/v1/backups?sort=asc", "", "", 400, "bad_request"},
		{"unknown query parameter on a route without any", "GET", "/api/v1/jobs?all=1", "", "", 400, "bad_request"},
		{"unknown query parameter on get", "GET", "/api/v1/backups/" + id + "?fields=id", "", "", 400, "bad_request"},
		{"repeated query parameter", "GET", "/api/v1/backups?server=a&server=b", "", "", 400, "bad_request"},
		{"malformed query", "GET", "/api/v1/backups?server=%zz", "", "", 400, "bad_request"},
		{"bad cursor", "GET", "/api/v1/backups?cursor=nonsense", "", "", 400, "bad_request"},
		{"cursor of a bad ID", "GET", "/api/v1/backups?cursor=" + encodeCursor("x"), "", "", 400, "bad_request"},
		{"limit zero", "GET", "/api/v1/backups?limit=0", "", "", 400, "bad_request"},
		{"limit too big", "GET", "/api/v1/backups?limit=1001", "", "", 400, "bad_request"},
		{"limit not a number", "GET", "/api/v1/backups?limit=ten", "", "", 400, "bad_request"},
		{"since not RFC 3339", "GET", "/api/v1/backups?since=2024-01-01T00", "", "", 400, "bad_request"},
		{"since a date", "GET", "/api/v1/backups?since=2024-01-01&until=2024-01-01", "", "", 200, ""},
		{"since after until", "GET", "/api/v1/backups?since=2024-02-01T00:00:00Z&until=2024-01-01T00:00:00Z", "", "", 400, "bad_request"},
		{"bad server filter", "GET", "/api/v1/backups?server=UPPER", "", "", 400, "bad_request"},
		{"bad storage filter", "GET", "/api/v1/backups?storage=a.b", "", "", 400, "bad_request"},
		{"bad database filter", "GET", "/api/v1/backups?database=a%2Fb", "", "", 400, "bad_request"},
		{"q too long", "GET", "/api/v1/backups?q=" + strings.Repeat("x", maxQueryLen+1), "", "", 400, "bad_request"},
		{"bad storage on download", "GET", "/api/v1/backups/" + id + "/download?storage=../x", "", "", 400, "bad_request"},
		// Accepted.
		{"every filter", "GET", "/api/v1/backups?server=main&database=shop%20eu&type=daily&status=success&storage=local" +
			"&since=2024-01-01T00:00:00Z&until=2024-02-01T00:00:00%2B01:00&q=shop&limit=1000", "", "", 200, ""},
		{"empty filter values", "GET", "/api/v1/backups?server=&status=", "", "", 200, ""},
		{"empty body", "POST", "/api/v1/backups", "", "", 202, ""},
		{"empty object", "POST", "/api/v1/backups", `{}`, "", 202, ""},
		{"charset parameter", "POST", "/api/v1/backups", `{"type":"manual"}`, "application/json; charset=utf-8", 202, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, nil)
			w := env.do(t, req{method: tt.method, target: tt.target, token: adminToken, body: tt.body, contentType: tt.contentType})
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.want, w.Body)
			}
			if tt.wantCode != "" {
				if d := apiError(t, w); d.Code != tt.wantCode {
					t.Errorf("code %q, want %q", d.Code, tt.wantCode)
				}
			}
		})
	}
}

func TestListFilterReachesService(t *testing.T) {
	env := newEnv(t, nil)
	var seen []string
	for i := range 3 {
		b := env.add(time.Date(2024, 1, 10+i, 0, 0, 0, 0, time.UTC), "main", "shop", "daily")
		seen = append(seen, b.ID)
	}
	env.add(time.Date(2024, 1, 11, 0, 0, 0, 0, time.UTC), "other", "shop", "daily")
	w := env.do(t, req{method: "GET", token: viewerToken,
		target: "/api/v1/backups?server=main&since=2024-01-11T00:00:00Z&until=2024-01-12T00:00:01Z"})
	got := decodeJSON[backupList](t, w)
	if len(got.Backups) != 2 || got.Backups[0].ID != seen[2] || got.Backups[1].ID != seen[1] || got.NextCursor != "" {
		t.Errorf("got %d backups, cursor %q; want %s, %s", len(got.Backups), got.NextCursor, seen[2], seen[1])
	}
	// An empty result is an empty array, never null.
	w = env.do(t, req{method: "GET", token: viewerToken, target: "/api/v1/backups?server=none"})
	if !strings.Contains(w.Body.String(), `"backups":[]`) {
		t.Errorf("empty list body %s", w.Body)
	}
}

func TestStartBackupsDefaultsToManual(t *testing.T) {
	env := newEnv(t, nil)
	w := env.do(t, req{method: "POST", target: "/api/v1/backups", token: operatorToken, body: `{"server":"main"}`})
	got := decodeJSON[startResponse](t, w)
	if w.Code != 202 || len(got.IDs) != 1 {
		t.Fatalf("status %d, %s", w.Code, w.Body)
	}
	if b := env.svc.Backups()[got.IDs[0]]; b.Type != "manual" {
		t.Errorf("type %q, want manual", b.Type)
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"open /var/lib/gosqlguard/catalog.db: permission denied", "open <path>: permission denied"},
		{"dial postgres://u:p@h:5432/db failed", "dial <url> failed"},
		{"password=secret host=db", "password=<redacted> host=db"},
		{`token: "abc def"`, `token: <redacted>`},
		{"backup:pw@tcp(db:3306)/shop refused", "<dsn> refused"},
		{`stat "C:\data\x": no`, `stat "<path>": no`},
		{"job main/shop/daily is already running", "job main/shop/daily is already running"},
		{"unknown server \"x\"", "unknown server \"x\""},
		{"size 10 bytes, want 12.", "size 10 bytes, want 12."},
	}
	for _, tt := range tests {
		if got := redact.Text(tt.in); got != tt.want {
			t.Errorf("redact.Text(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
