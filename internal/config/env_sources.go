package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Setting is one effective value of a loaded configuration.
type Setting struct {
	// Path is the value's YAML path: "servers[0].host", "daemon.lease_ttl".
	// A secret is listed under its own key even when it came from its
	// "x_file" form ("servers[0].password").
	Path string
	// Value is written as in the file: lists as "[a, b]", durations and
	// sizes in their units; secrets and token hashes as "<secret>".
	Value string
	// Source is "file", "env GOSQLGUARD_..." (the variable that set it) or
	// "default".
	Source string
}

// loadState is what a load knows beyond the Config: the paths the document
// wrote and the variables that set them.
type loadState struct {
	ps   *problems
	vars *envSettings
}

// redactedKeys are keys shown as "<secret>" besides the Secret fields.
var redactedKeys = map[string]bool{"token_sha256": true}

// settings lists the values of c: each one written in the file or set by a
// variable, and each default that is not a zero value.
func (st *loadState) settings(c *Config) []Setting {
	var out []Setting
	st.walk(reflect.ValueOf(c).Elem(), "", &out)
	return out
}

func (st *loadState) walk(v reflect.Value, path string, out *[]Setting) {
	k, _ := kindOf(v.Type())
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	switch k {
	case kindStruct:
		t := v.Type()
		for i := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			if name == "" || name == "-" {
				continue
			}
			st.walk(v.Field(i), joinPath(path, name), out)
		}
	case kindMap:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, key := range keys {
			elem := reflect.New(v.Type().Elem()).Elem()
			elem.Set(v.MapIndex(key))
			st.walk(elem, joinPath(path, key.String()), out)
		}
	case kindSeq:
		for i := range v.Len() {
			st.walk(v.Index(i), indexPath(path, i), out)
		}
	default:
		source := st.source(path, v.Type() == secretType)
		if source == "" && v.IsZero() {
			return
		}
		if source == "" {
			source = "default"
		}
		*out = append(*out, Setting{Path: path, Value: settingValue(v, path), Source: source})
	}
}

// source is where the value at path came from: a variable, the file, or ""
// when neither wrote it.
func (st *loadState) source(path string, secret bool) string {
	paths := []string{path}
	if secret {
		paths = append(paths, path+"_file")
	}
	if st.vars != nil {
		for _, p := range paths {
			if name, ok := st.vars.byPath[p]; ok {
				return "env " + name
			}
		}
	}
	for _, p := range paths {
		if st.ps.has(p) {
			return "file"
		}
	}
	return ""
}

// settingValue writes the scalar or list v as the file would.
func settingValue(v reflect.Value, path string) string {
	if v.Type() == secretType || redactedKeys[path[strings.LastIndex(path, ".")+1:]] {
		if v.IsZero() {
			return `""`
		}
		return redacted
	}
	if v.Kind() == reflect.Slice {
		items := make([]string, v.Len())
		for i := range items {
			items[i] = settingValue(v.Index(i), path)
		}
		return "[" + strings.Join(items, ", ") + "]"
	}
	if s, ok := v.Interface().(fmt.Stringer); ok {
		return s.String()
	}
	if v.Kind() == reflect.String && v.String() == "" {
		return `""`
	}
	return fmt.Sprint(v.Interface())
}
