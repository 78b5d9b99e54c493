package httpapi

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	configs := map[string]func(*envOptions){
		"no metrics":      func(o *envOptions) { o.Metrics = nil },
		"private metrics": nil,
		"public metrics":  func(o *envOptions) { o.MetricsPublic = true },
	}
	for name, edit := range configs {
		t.Run(name, func(t *testing.T) {
			env := newEnv(t, edit)
			w := env.do(t, req{method: "GET", target: "/api/v1/openapi.json", token: viewerToken})
			if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("status %d, Content-Type %q", w.Code, w.Header().Get("Content-Type"))
			}
			var doc struct {
				OpenAPI string `json:"openapi"`
				Paths   map[string]map[string]struct {
					Security   *[]any `json:"security"`
					Parameters []struct {
						Ref  string `json:"$ref"`
						Name string `json:"name"`
						In   string `json:"in"`
					} `json:"parameters"`
					Responses map[string]any `json:"responses"`
				} `json:"paths"`
				Components struct {
					SecuritySchemes map[string]struct {
						Type   string `json:"type"`
						Scheme string `json:"scheme"`
					} `json:"securitySchemes"`
				} `json:"components"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
				t.Fatalf("document is not JSON: %v", err)
			}
			if !strings.HasPrefix(doc.OpenAPI, "3.0.") {
				t.Errorf("openapi = %q, want 3.0.x", doc.OpenAPI)
			}
			if s := doc.Components.SecuritySchemes["bearerAuth"]; s.Type != "http" || s.Scheme != "bearer" {
				t.Errorf("bearerAuth scheme = %+v", s)
			}

			var documented, registered []string
			for path, item := range doc.Paths {
				for method := range item {
					documented = append(documented, strings.ToUpper(method)+" "+path)
				}
			}
			for _, rt := range env.srv.routes {
				key := rt.method + " " + rt.path
				registered = append(registered, key)
				op, ok := doc.Paths[rt.path][strings.ToLower(rt.method)]
				if !ok {
					continue
				}
				if open := op.Security != nil && len(*op.Security) == 0; open != (rt.role == 0) {
					t.Errorf("%s: documented as open=%v, registered with role %s", key, open, rt.role)
				}
				var query []string
				for _, p := range op.Parameters {
					if p.In == "query" {
						query = append(query, p.Name)
					}
				}
				if !slices.Equal(query, rt.params) {
					t.Errorf("%s: documented query parameters %v, accepted %v", key, query, rt.params)
				}
				if _, ok := op.Responses["500"]; !ok && rt.path != "/healthz" {
					t.Errorf("%s: no 500 response documented", key)
				}
				if rt.role != 0 {
					for _, status := range []string{"401", "403", "429"} {
						if _, ok := op.Responses[status]; !ok {
							t.Errorf("%s: no %s response documented", key, status)
						}
					}
				}
			}
			slices.Sort(documented)
			slices.Sort(registered)
			for _, k := range registered {
				if !slices.Contains(documented, k) {
					t.Errorf("route %s is registered but not documented", k)
				}
			}
			for _, k := range documented {
				if !slices.Contains(registered, k) {
					t.Errorf("route %s is documented but not registered", k)
				}
			}
			checkRefs(t, w.Body.Bytes())
		})
	}
}

// checkRefs fails for any "$ref" that does not resolve within the document.
func checkRefs(t *testing.T, raw []byte) {
	t.Helper()
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				var at any = doc
				for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
					m, _ := at.(map[string]any)
					at = m[part]
				}
				if at == nil {
					t.Errorf("$ref %s does not resolve", ref)
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
}

func TestOpenAPIBackupSchemaFollowsJSONTags(t *testing.T) {
	env := newEnv(t, nil)
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Required   []string                   `json:"required"`
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	w := env.do(t, req{method: "GET", target: "/api/v1/openapi.json", token: viewerToken})
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	b := doc.Components.Schemas["Backup"]
	for _, f := range []string{"id", "server", "database", "type", "status", "started_at", "finished_at",
		"raw_bytes", "stored_bytes", "sha256", "locations", "error"} {
		if !slices.Contains(b.Required, f) {
			t.Errorf("Backup schema: %q not required (required %v)", f, b.Required)
		}
	}
	if !strings.Contains(string(b.Properties["status"]), `"deleted"`) {
		t.Errorf("Backup.status schema %s lacks the status enum", b.Properties["status"])
	}
	for _, name := range []string{"Location", "Manifest", "Job", "Status", "StorageStatus", "VerifyResponse", "RetentionResponse", "Error"} {
		if _, ok := doc.Components.Schemas[name]; !ok {
			t.Errorf("no %s schema", name)
		}
	}
}

func TestMethodNotAllowedAndUnknownRoutes(t *testing.T) {
	env := newEnv(t, nil)
	tests := []struct {
		method, target string
		want           int
		allow          string
	}{
		{"PUT", "/api/v1/backups", 405, "GET, HEAD, POST"},
		{"PATCH", "/api/v1/backups/20240101T000000.000Z-0123456789ab", 405, "GET, HEAD, DELETE"},
		{"GET", "/api/v1/backups/20240101T000000.000Z-0123456789ab/verify", 405, "POST"},
		{"POST", "/healthz", 405, "GET, HEAD"},
		{"GET", "/api/v1/nothing", 404, ""},
		{"GET", "/api/v1/backups/x/y/z", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			w := env.do(t, req{method: tt.method, target: tt.target, token: adminToken})
			if w.Code != tt.want || w.Header().Get("Allow") != tt.allow {
				t.Fatalf("status %d Allow %q, want %d %q", w.Code, w.Header().Get("Allow"), tt.want, tt.allow)
			}
			apiError(t, w)
		})
	}
	// HEAD works wherever GET does.
	if w := env.do(t, req{method: http.MethodHead, target: "/api/v1/jobs", token: viewerToken}); w.Code != 200 {
		t.Errorf("HEAD /api/v1/jobs: %d", w.Code)
	}
}
