package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"github.com/gosqlguard/gosqlguard/internal/redact"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gosqlguard/gosqlguard/internal/backup"
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
		return nil, badRequest("malformed query string")
	}
	out := make(map[string]string, len(vals))
	for k, vs := range vals {
		if !slices.Contains(allowed, k) {
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

// checkName validates a server, backup type or storage name.
func checkName(field, v string) error {
	if len(v) > maxNameLen || !namePattern.MatchString(v) {
		return badRequest("invalid %s: must match %s and be at most %d characters", field, namePattern, maxNameLen)
	}
	return nil
}

// checkDatabase validates a database name.
func checkDatabase(field, v string) error {
	if backup.CheckDatabaseName(v) != nil {
		return badRequest("invalid %s: must be 1-128 bytes of UTF-8 without slashes or control characters", field)
	}
	return nil
}

// pathID returns the {id} path value, validated.
func pathID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if !backup.ValidID(id) {
		return "", badRequest("invalid backup ID: want the form 20240501T020304.000Z-0123456789ab")
	}
	return id, nil
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
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return &httpError{http.StatusUnsupportedMediaType, "unsupported_media_type", "the request body must be application/json"}
		}
	} else {
		return &httpError{http.StatusUnsupportedMediaType, "unsupported_media_type", "the request body must be application/json"}
	}
	if err := checkObject(data, jsonFields(dst)); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return badRequest("field %q must be a JSON %s", te.Field, te.Type.Kind())
		}
		return badRequest("malformed JSON body")
	}
	return nil
}

// checkObject checks that data is exactly one JSON object whose keys are
// each in allowed, exactly as spelt, at most once. (encoding/json alone
// matches keys case-insensitively and lets a repeated key win silently.)
func checkObject(data []byte, allowed []string) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return badRequest("the request body must be one JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return badRequest("malformed JSON body")
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
			return badRequest("malformed JSON body")
		}
	}
	if _, err := dec.Token(); err != nil {
		return badRequest("malformed JSON body")
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("the request body must hold exactly one JSON value")
	}
	return nil
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
