package httpapi

import (
	"reflect"
	"strings"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/retention"
)

// schemaGen derives OpenAPI 3.0 schemas from the Go types the API encodes,
// following their JSON tags, so the document cannot drift from the wire
// format. Named structs become components; fields without omitempty are
// required; pointers without omitempty are nullable.
type schemaGen struct {
	defs  map[string]any
	enums map[reflect.Type][]string
}

var timeType = reflect.TypeFor[time.Time]()

func newSchemaGen() *schemaGen {
	statuses := make([]string, len(backup.Statuses))
	for i, s := range backup.Statuses {
		statuses[i] = string(s)
	}
	return &schemaGen{
		defs: map[string]any{},
		enums: map[reflect.Type][]string{
			reflect.TypeFor[backup.Status](): statuses,
			reflect.TypeFor[backup.LocationStatus](): {
				string(backup.LocationPending), string(backup.LocationSuccess),
				string(backup.LocationFailed), string(backup.LocationDeleted),
			},
			reflect.TypeFor[retention.Action](): {string(retention.Keep), string(retention.Delete)},
		},
	}
}

// ref returns a reference to the component schema of v's type.
func (g *schemaGen) ref(v any) map[string]any { return g.of(reflect.TypeOf(v)) }

func (g *schemaGen) of(t reflect.Type) map[string]any {
	if t == timeType {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	if vals, ok := g.enums[t]; ok {
		return map[string]any{"type": "string", "enum": vals}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return g.of(t.Elem())
	case reflect.Struct:
		name := schemaName(t)
		if _, done := g.defs[name]; !done {
			g.defs[name] = nil // breaks cycles
			g.defs[name] = g.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": g.of(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.of(t.Elem())}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int64, reflect.Uint64:
		return map[string]any{"type": "integer", "format": "int64"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	}
	return map[string]any{}
}

func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		omit := strings.Contains(opts, "omitempty")
		s := g.of(f.Type)
		// A nil pointer, or a nil slice in a type of another package (this
		// package's responses never hold nil slices), encodes as null.
		nullable := !omit && (f.Type.Kind() == reflect.Pointer ||
			(f.Type.Kind() == reflect.Slice && t.PkgPath() != reflect.TypeFor[Server]().PkgPath()))
		if nullable {
			if _, isRef := s["$ref"]; isRef {
				s = map[string]any{"allOf": []any{s}, "nullable": true}
			} else {
				s["nullable"] = true
			}
		}
		props[name] = s
		if !omit {
			required = append(required, name)
		}
	}
	obj := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		obj["required"] = required
	}
	return obj
}

// schemaName is the component name of a struct type: its Go name, capitalised.
func schemaName(t reflect.Type) string {
	n := t.Name()
	if n == "" {
		return "Object"
	}
	return strings.ToUpper(n[:1]) + n[1:]
}
