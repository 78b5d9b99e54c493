package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/redact"
)

// maxBody is the largest request body accepted.
const maxBody = 64 << 10

// namePattern is what server, backup type and storage names look like
// (the config enforces the same).
var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

const maxNameLen = 64

// query returns r's query parameters after checking that each is one of
// allowed and given at most once. Empty values count as not given.
func query(r *http.Request, allowed ...string) (map[string]string, error) {
	vals, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, badRequest("malformed query string: use name=value pairs joined by \"&\", percent-encoded")
	}
	out := make(map[string]string, len(vals))
	for _, k := range slices.Sorted(maps.Keys(vals)) {
		vs := vals[k]
		if !slices.Contains(allowed, k) {
			if len(allowed) == 0 {
				return nil, badRequest("unknown query parameter %q: this route takes no query parameters", clip(k))
			}
			return nil, badRequest("unknown query parameter %q (allowed: %s)", clip(k), strings.Join(allowed, ", "))
		}
		if len(vs) > 1 {
			return nil, badRequest("query parameter %q given more than once", k)
		}
		if vs[0] != "" {
			out[k] = vs[0]
		}
	}
	return out, nil
}

// checkName validates a server, backup type or storage name given in field
// (a query parameter or JSON field). The message names the field, not the
// value.
func checkName(field, v string) error {
	if len(v) > maxNameLen || !namePattern.MatchString(v) {
		return badRequest("invalid %s: a name is 1-%d characters of a-z, 0-9, \"_\" and \"-\", starting with a letter or digit",
			field, maxNameLen)
	}
	return nil
}

// checkDatabase validates a database name given in field and says what is
// wrong with it.
func checkDatabase(field, v string) error {
	if backup.CheckDatabaseName(v) == nil {
		return nil
	}
	var why string
	switch {
	case v == "":
		why = "empty"
	case v == "." || v == "..":
		why = fmt.Sprintf("%q is not a database name", v)
	case len(v) > 128:
		why = "longer than 128 bytes"
	case !utf8.ValidString(v):
		why = "not valid UTF-8"
	case strings.ContainsAny(v, `/\`):
		why = "it contains a slash"
	default:
		why = "it contains a control character"
	}
	return badRequest("invalid %s: %s (a database name is 1-128 bytes of UTF-8 without slashes or control characters)", field, why)
}

// Backup IDs in paths: a full ID, or a prefix of one (at least
// minIDPrefix characters of the ID alphabet), which the Service resolves
// to the one backup whose ID starts with it.
const (
	minIDPrefix = 4
	idExample   = "20240501T020304.000Z-0123456789ab"
)

// pathID returns the {id} path value, validated: a full backup ID or a
// possible prefix of one.
func pathID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if !backup.ValidID(id) && !idPrefix(id) {
		return "", badRequest("invalid backup ID: want a full ID like %s, or a unique prefix of one (at least %d characters)",
			idExample, minIDPrefix)
	}
	return id, nil
}

// idPrefix reports whether s can be the start of a backup ID: minIDPrefix
// to len(idExample) characters of digits, lower-case hex, 'T', 'Z', '.'
// and '-'.
func idPrefix(s string) bool {
	if len(s) < minIDPrefix || len(s) > len(idExample) {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r == 'T' || r == 'Z' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

// clip shortens and sanitises a client's parameter or field name echoed in
// an error message. Values are never echoed.
func clip(s string) string {
	s = redact.Text(s)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if len(s) > 80 {
		i := 80
		for !utf8.RuneStart(s[i]) {
			i--
		}
		s = s[:i] + "…"
	}
	return s
}

// decodeBody decodes r's JSON body into dst, a pointer to a struct, strictly:
// at most maxBody bytes (413), Content-Type application/json, exactly one
// JSON object, every key one of dst's JSON field names spelt exactly and
// given once. An empty body leaves dst as it is.
func decodeBody(w http.ResponseWriter, r *http.Request, dst any) error {
	if r.ContentLength > maxBody {
		return &http.MaxBytesError{Limit: maxBody}
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return err
		}
		return badRequest("reading the request body failed")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); ct == "" || err != nil || mt != "application/json" {
		msg := "the request body must be JSON with Content-Type: application/json"
		if ct == "" {
			msg += " (no Content-Type was given)"
		} else if err == nil {
			msg += fmt.Sprintf(" (not %s)", clip(mt))
		}
		return &httpError{http.StatusUnsupportedMediaType, "unsupported_media_type", msg}
	}
	if err := checkObject(data, jsonFields(dst)); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return badRequest("field %q must be %s, not %s", te.Field, jsonKind(te.Type), valueKind(te.Value))
		}
		return malformed(err)
	}
	return nil
}

// jsonKind names the JSON value a Go type decodes from, for messages.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// valueKind names the kind of JSON value an UnmarshalTypeError found
// ("number 5" gives "a number"): the value itself is not echoed.
func valueKind(v string) string {
	kind, _, _ := strings.Cut(v, " ")
	switch kind {
	case "string", "number":
		return "a " + kind
	case "bool":
		return "true or false"
	case "array", "object":
		return "an " + kind
	}
	return "that"
}

// malformed describes a JSON syntax error: what and at which byte, never
// the body's content beyond the one offending character.
func malformed(err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return badRequest("malformed JSON body: %s (at byte %d)", clip(se.Error()), se.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return badRequest("malformed JSON body: it ends before the object is complete")
	}
	return badRequest("malformed JSON body")
}

// checkObject checks that data is exactly one JSON object whose keys are
// each in allowed, exactly as spelt, at most once. (encoding/json alone
// matches keys case-insensitively and lets a repeated key win silently.)
func checkObject(data []byte, allowed []string) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return malformed(err)
	}
	if tok != json.Delim('{') {
		return badRequest("the request body must be a JSON object, not %s", jsonTokenKind(tok))
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return malformed(err)
		}
		key, _ := tok.(string)
		switch {
		case !slices.Contains(allowed, key):
			if len(allowed) == 0 {
				return badRequest("unknown field %q: this request takes no fields", clip(key))
			}
			return badRequest("unknown field %q (allowed: %s)", clip(key), strings.Join(allowed, ", "))
		case seen[key]:
			return badRequest("field %q given more than once", key)
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return malformed(err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return malformed(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("the request body must hold exactly one JSON object; more follows it")
	}
	return nil
}

// jsonTokenKind names the JSON value a first token starts, for messages.
func jsonTokenKind(tok json.Token) string {
	switch tok.(type) {
	case json.Delim:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "true or false"
	case float64, json.Number:
		return "a number"
	}
	return "null"
}

// jsonFields lists the JSON names of the fields of the struct dst points to.
func jsonFields(dst any) []string {
	t := reflect.TypeOf(dst).Elem()
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	return names
}
