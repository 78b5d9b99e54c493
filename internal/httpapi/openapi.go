package httpapi

import (
	"net/http"
	"reflect"
	"strings"

	"github.com/gosqlguard/gosqlguard/internal/auth"
	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

// openAPIVersion is the version of the OpenAPI specification the document follows.
const openAPIVersion = "3.0.3"

// operation describes one route for the OpenAPI document.
type operation struct {
	method, path string
	id, summary  string
	description  string
	open         bool      // no authentication
	role         auth.Role // needed role, for x-required-role
	params       []any     // parameters (path and query)
	body         any       // request body schema, nil: none
	responses    []any     // status, response object pairs
	errors       []string  // component response names
}

func (s *Server) buildOpenAPI() map[string]any {
	g := newSchemaGen()
	jsonResp := func(desc string, schema any) map[string]any {
		return map[string]any{"description": desc, "content": map[string]any{"application/json": map[string]any{"schema": schema}}}
	}
	text := func(desc string) map[string]any {
		return map[string]any{"description": desc, "content": map[string]any{"text/plain": map[string]any{"schema": map[string]any{"type": "string"}}}}
	}
	idParam := map[string]any{"$ref": "#/components/parameters/id"}
	nameSchema := map[string]any{"type": "string", "pattern": namePattern.String(), "maxLength": maxNameLen}
	dbSchema := map[string]any{"type": "string", "minLength": 1, "maxLength": 128}
	// A time filter: an RFC 3339 date-time or a full-date (see timeRange).
	timeSchema := map[string]any{"type": "string", "anyOf": []any{map[string]any{"format": "date-time"}, map[string]any{"format": "date"}}}
	qp := func(name, desc string, schema map[string]any) map[string]any {
		return map[string]any{"name": name, "in": "query", "required": false, "description": desc, "schema": schema}
	}
	deprecated := func(p map[string]any) map[string]any { p["deprecated"] = true; return p }
	authErrors := []string{"Unauthorized", "Forbidden", "TooManyRequests"}

	ops := []operation{
		{method: "GET", path: "/healthz", id: "healthz", open: true, summary: "Liveness: the process is up",
			responses: []any{"200", text("ok")}},
		{method: "GET", path: "/readyz", id: "readyz", open: true, summary: "Readiness: the daemon can serve (catalog reachable)",
			responses: []any{"200", text("ok")}, errors: []string{"Unavailable"}},
		{method: "GET", path: Prefix + "/backups", id: "listBackups", role: auth.RoleViewer,
			summary:     "Search backups, newest first, paginated",
			description: "Pages hold at most `limit` backups. Pass `next_cursor` back as `cursor` for the next (older) page; pages neither overlap nor skip while new backups arrive. An empty `next_cursor` marks the last page.",
			params: []any{
				qp("server", "Server name.", nameSchema),
				qp("database", "Database name.", dbSchema),
				qp("type", "Backup type.", nameSchema),
				qp("status", "Backup status.", g.of(reflect.TypeFor[backup.Status]())),
				qp("storage", "Only backups with a copy (in any state) in this storage.", nameSchema),
				qp("since", "Started at or after: an RFC 3339 time, or a date (UTC).", timeSchema),
				qp("until", "Started before: an RFC 3339 time, or a date (UTC; its day included).", timeSchema),
				qp("q", "Free text: case-insensitive substring of ID, server, database, type or error.", map[string]any{"type": "string", "maxLength": maxQueryLen}),
				qp("limit", "Page size.", map[string]any{"type": "integer", "minimum": 1, "maximum": maxLimit, "default": defaultLimit}),
				qp("cursor", "Opaque cursor from a previous page's next_cursor.", map[string]any{"type": "string"}),
			},
			responses: []any{"200", jsonResp("A page of backups.", g.ref(backupList{}))},
			errors:    []string{"BadRequest"}},
		{method: "POST", path: Prefix + "/backups", id: "startBackups", role: auth.RoleOperator,
			summary:     "Start backups now",
			description: "Starts every configured job matching the (optional) server, database and type; type defaults to `manual`. An empty body backs up everything.",
			body:        g.ref(startRequest{}),
			responses:   []any{"202", jsonResp("The IDs of the backups started.", g.ref(startResponse{}))},
			errors:      []string{"BadRequest", "Conflict", "PayloadTooLarge", "UnsupportedMediaType"}},
		{method: "GET", path: Prefix + "/backups/{id}", id: "getBackup", role: auth.RoleViewer,
			summary: "One backup with its locations and manifest", params: []any{idParam},
			responses: []any{"200", jsonResp("The backup.", g.ref(backup.Backup{}))},
			errors:    []string{"BadRequest", "NotFound"}},
		{method: "DELETE", path: Prefix + "/backups/{id}", id: "deleteBackup", role: auth.RoleAdmin,
			summary: "Delete a backup from every storage, then mark it deleted", params: []any{idParam},
			responses: []any{"204", map[string]any{"description": "Deleted."}},
			errors:    []string{"BadRequest", "NotFound", "Conflict"}},
		{method: "GET", path: Prefix + "/backups/{id}/download", id: "downloadBackup", role: auth.RoleOperator,
			summary:     "Stream the stored object",
			description: "The object exactly as stored (compressed, and encrypted when encryption is configured). A broken connection before Content-Length bytes (or the final chunk) means the download failed.",
			params:      []any{idParam, qp("storage", "Storage to read from; default: any complete copy.", nameSchema)},
			responses: []any{"200", map[string]any{
				"description": "The stored object.",
				"headers": map[string]any{
					"Content-Disposition": map[string]any{"schema": map[string]any{"type": "string"}, "description": "attachment with a filename"},
					"Content-Length":      map[string]any{"schema": map[string]any{"type": "integer"}, "description": "when known"},
					"X-Backup-Storage":    map[string]any{"schema": map[string]any{"type": "string"}, "description": "the storage read from"},
				},
				"content": map[string]any{"application/octet-stream": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}},
			}},
			errors: []string{"BadRequest", "NotFound", "Conflict"}},
		{method: "POST", path: Prefix + "/backups/{id}/verify", id: "verifyBackup", role: auth.RoleOperator,
			summary:     "Verify every copy now",
			description: "Reads every complete copy back and checks size and SHA-256 (and, where possible, decrypts and decompresses in full). A bad copy gives 200 with ok=false. The body, if any, must be `{}`.",
			params:      []any{idParam}, body: map[string]any{"type": "object", "additionalProperties": false},
			responses: []any{"200", jsonResp("The outcome per storage.", g.ref(verifyResponse{}))},
			errors:    []string{"BadRequest", "NotFound", "Conflict", "PayloadTooLarge", "UnsupportedMediaType"}},
		{method: "POST", path: Prefix + "/backups/{id}/restore", id: "restoreBackup", role: auth.RoleOperator,
			summary:     "Restore a backup",
			description: "Verifies, then restores into `to_database` (default: the backup's own database), which is created if missing. Returns when the restore is done.",
			params:      []any{idParam}, body: g.ref(restoreRequest{}),
			responses: []any{"200", jsonResp("Restored.", g.ref(restoreResponse{}))},
			errors:    []string{"BadRequest", "NotFound", "Conflict", "PayloadTooLarge", "UnsupportedMediaType"}},
		{method: "POST", path: Prefix + "/backups/{id}/drill", id: "drillBackup", role: auth.RoleOperator,
			summary:     "Run a restore drill now",
			description: "Restores the backup into a scratch database (on drills.target_server when set, else the backup's own server), counts it, compares the counts with the backup's fingerprint, drops the scratch database and returns the drill. A drill that failed or differed gives 200 with status=failure. The body, if any, must be `{}`.",
			params:      []any{idParam}, body: map[string]any{"type": "object", "additionalProperties": false},
			responses: []any{"200", jsonResp("The drill.", g.ref(backup.Drill{}))},
			errors:    []string{"BadRequest", "NotFound", "Conflict", "PayloadTooLarge", "UnsupportedMediaType"}},
		{method: "GET", path: Prefix + "/backups/{id}/drills", id: "listBackupDrills", role: auth.RoleViewer,
			summary:     "The restore drills of one backup, newest first",
			description: "Every drill of the backup, a running one included (status=running, seconds 0).",
			params:      []any{idParam},
			responses:   []any{"200", jsonResp("The drills.", g.ref(drillList{}))},
			errors:      []string{"BadRequest", "NotFound"}},
		{method: "GET", path: Prefix + "/jobs", id: "listJobs", role: auth.RoleViewer,
			summary:   "Every server × database × type: last success, last failure, last (successful) restore drill, next run, running",
			responses: []any{"200", jsonResp("The jobs.", g.ref(jobList{}))}},
		{method: "POST", path: Prefix + "/retention/run", id: "runRetention", role: auth.RoleViewer,
			summary:     "Plan retention, or apply it",
			description: "With dry_run=true (viewer role) only the plan is returned. Without it (or dry_run=false) the plan is applied, which needs the operator role.",
			params:      []any{qp("dry_run", "Only plan; delete nothing.", map[string]any{"type": "boolean", "default": false})},
			body:        map[string]any{"type": "object", "additionalProperties": false},
			responses:   []any{"200", jsonResp("The plan per storage, with what goes, what stays and why.", g.ref(retentionResponse{}))},
			errors:      []string{"BadRequest", "Conflict"}},
		{method: "GET", path: Prefix + "/status", id: "getStatus", role: auth.RoleViewer,
			summary:   "Version, uptime, running backups, storage usage",
			responses: []any{"200", jsonResp("The daemon's status.", g.ref(service.Status{}))}},
		{method: "GET", path: Prefix + "/audit", id: "listAudit", role: auth.RoleAdmin,
			summary:     "The audit trail, newest first, paginated",
			description: "Who started, verified, drilled, restored, downloaded or deleted what, and who applied retention, with the outcome. Pages hold at most `limit` entries; pass `next_cursor` back as `cursor` for the next (older) page (`before`, its older name, is still accepted; both at once is a 400). An empty `next_cursor` marks the last page.",
			params: []any{
				qp("action", "Action.", map[string]any{"type": "string", "enum": catalog.AuditActions}),
				qp("actor", "Actor: token name, web user, cli:<user> for the command line, daemon, or anonymous (no tokens configured).", map[string]any{"type": "string", "maxLength": catalog.MaxAuditName}),
				qp("target", "Target, exactly: a backup ID, a job server/database/type (* for a part not given), or a storage.", map[string]any{"type": "string", "maxLength": catalog.MaxAuditName}),
				qp("since", "Recorded at or after: an RFC 3339 time, or a date (UTC).", timeSchema),
				qp("until", "Recorded before: an RFC 3339 time, or a date (UTC; its day included).", timeSchema),
				qp("limit", "Page size.", map[string]any{"type": "integer", "minimum": 1, "maximum": maxLimit, "default": defaultLimit}),
				qp("cursor", "Opaque cursor from a previous page's next_cursor.", map[string]any{"type": "string"}),
				deprecated(qp("before", "The older name of cursor, still accepted; not together with cursor.", map[string]any{"type": "string"})),
			},
			responses: []any{"200", jsonResp("A page of audit entries.", g.ref(auditList{}))},
			errors:    []string{"BadRequest"}},
		{method: "GET", path: Prefix + "/openapi.json", id: "getOpenAPI", role: auth.RoleViewer,
			summary:   "This document",
			responses: []any{"200", jsonResp("OpenAPI 3.0 document.", map[string]any{"type": "object"})}},
	}
	if s.metrics != nil {
		ops = append(ops, operation{method: "GET", path: "/metrics", id: "metrics", role: auth.RoleViewer, open: s.public,
			summary:   "Prometheus metrics",
			responses: []any{"200", text("Prometheus text exposition format.")}})
	}

	paths := map[string]any{}
	for _, op := range ops {
		o := map[string]any{"operationId": op.id, "summary": op.summary}
		if op.description != "" {
			o["description"] = op.description
		}
		if len(op.params) > 0 {
			o["parameters"] = op.params
		}
		if op.body != nil {
			o["requestBody"] = map[string]any{"required": false,
				"content": map[string]any{"application/json": map[string]any{"schema": op.body}}}
		}
		resp := map[string]any{}
		for i := 0; i+1 < len(op.responses); i += 2 {
			resp[op.responses[i].(string)] = op.responses[i+1]
		}
		errs := op.errors
		if op.open {
			o["security"] = []any{}
		} else {
			o["x-required-role"] = op.role.String()
			errs = append(errs, authErrors...)
		}
		if op.path != "/healthz" {
			errs = append(errs, "Internal")
		}
		for _, name := range errs {
			resp[errorStatus[name]] = map[string]any{"$ref": "#/components/responses/" + name}
		}
		o["responses"] = resp
		item, _ := paths[op.path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[op.path] = item
		}
		item[strings.ToLower(op.method)] = o
	}

	responses := map[string]any{}
	for name, status := range errorStatus {
		responses[name] = jsonResp(errorDescriptions[name], map[string]any{"$ref": "#/components/schemas/Error"})
		if status == "401" {
			responses[name].(map[string]any)["headers"] = map[string]any{
				"WWW-Authenticate": map[string]any{"schema": map[string]any{"type": "string"}}}
		}
		if status == "429" {
			responses[name].(map[string]any)["headers"] = map[string]any{
				"Retry-After": map[string]any{"schema": map[string]any{"type": "integer"}, "description": "seconds"}}
		}
	}
	schemas := g.defs
	schemas["Error"] = map[string]any{
		"type": "object", "required": []string{"error"},
		"properties": map[string]any{"error": map[string]any{
			"type": "object", "required": []string{"code", "message"},
			"properties": map[string]any{
				"code": map[string]any{"type": "string", "enum": []string{"bad_request", "unauthorized", "forbidden", "not_found",
					"method_not_allowed", "conflict", "payload_too_large", "unsupported_media_type", "too_many_requests",
					"internal", "unavailable"}},
				"message":    map[string]any{"type": "string", "description": "For people; never holds secrets, DSNs or file paths."},
				"request_id": map[string]any{"type": "string", "description": "Also in the X-Request-ID header; the server log has the details under it."},
			},
		}},
	}
	return map[string]any{
		"openapi": openAPIVersion,
		"info": map[string]any{
			"title":       "GoSQLGuard API",
			"version":     "1",
			"description": "Backups of MySQL/MariaDB and PostgreSQL databases. Every route needs `Authorization: Bearer <token>` except /healthz, /readyz (and /metrics when public). Roles: viewer reads; operator also starts backups, downloads, verifies, restores and applies retention; admin also deletes. Every response carries X-Request-ID.",
		},
		"servers":  []any{map[string]any{"url": "/"}},
		"security": []any{map[string]any{"bearerAuth": []any{}}},
		"paths":    paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearerAuth": map[string]any{"type": "http", "scheme": "bearer"}},
			"parameters": map[string]any{"id": map[string]any{
				"name": "id", "in": "path", "required": true,
				"description": "Backup ID (like " + idExample + "), or a prefix of it that no other backup's ID starts with.",
				"schema":      map[string]any{"type": "string", "pattern": `^[0-9a-fTZ.-]{4,33}$`},
			}},
			"responses": responses,
			"schemas":   schemas,
		},
	}
}

// errorStatus is the status of each error response component.
var errorStatus = map[string]string{
	"BadRequest": "400", "Unauthorized": "401", "Forbidden": "403", "NotFound": "404", "Conflict": "409",
	"PayloadTooLarge": "413", "UnsupportedMediaType": "415", "TooManyRequests": "429", "Internal": "500", "Unavailable": "503",
}

var errorDescriptions = map[string]string{
	"BadRequest":           "Malformed request: bad or ambiguous ID, name, filter, query parameter or body, or a name the configuration lacks. The message says what and which field.",
	"Unauthorized":         "No valid bearer token.",
	"Forbidden":            "The token's role may not do this; the message names the role needed.",
	"NotFound":             "No such backup (or no backup whose ID starts with the prefix given), or no readable copy of it.",
	"Conflict":             "Clashes with work in progress (the job or backup is running).",
	"PayloadTooLarge":      "Request body over 64 KiB.",
	"UnsupportedMediaType": "Request body not application/json.",
	"TooManyRequests":      "An invalid token from an address with too many failed authentications; see Retry-After. A valid token is never refused this way.",
	"Internal":             "Unexpected error; the message names the request ID to look up in the log.",
	"Unavailable":          "A dependency is unavailable, or the daemon is not ready.",
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(s.openapi)
}
