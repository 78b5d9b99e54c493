package config

import (
	"encoding"
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decoder copies a YAML node tree into the config structs, strictly: every
// unknown key, wrong type and unset variable becomes a problem at its path,
// and decoding goes on so that all of them are reported.
type decoder struct {
	env     func(string) (string, bool)
	baseDir string
	ps      *problems
}

// textValue is a scalar type with its own syntax (Duration, ByteSize).
type textValue interface {
	encoding.TextUnmarshaler
	expected() string
}

var secretType = reflect.TypeFor[Secret]()

// decode stores n into v, which must be addressable. A null leaves v as it is.
func (d *decoder) decode(n *yaml.Node, path string, v reflect.Value) {
	n = resolveAlias(n)
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return
	}
	if tv, ok := v.Addr().Interface().(textValue); ok {
		if s, ok := d.scalarText(n, path, "be "+tv.expected()); ok {
			if err := tv.UnmarshalText([]byte(s)); err != nil {
				d.ps.add(path, err.Error())
			}
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, path, v.Elem())
	case reflect.Struct:
		d.structure(n, path, v)
	case reflect.Map:
		d.mapping(n, path, v)
	case reflect.Slice:
		d.sequence(n, path, v)
	default:
		d.scalar(n, path, v)
	}
}

// field is a struct field reachable from a key; fromFile marks the "x_file"
// key of a Secret field x.
type field struct {
	index    int
	fromFile bool
}

func fieldsOf(t reflect.Type) map[string]field {
	fields := map[string]field{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		fields[name] = field{index: i}
		if f.Type == secretType {
			fields[name+"_file"] = field{index: i, fromFile: true}
		}
	}
	return fields
}

func (d *decoder) structure(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.ps.add(path, "must be a mapping")
		return
	}
	fields := fieldsOf(v.Type())
	given := map[int]string{} // field index -> key that set it
	for _, p := range d.pairs(n, path) {
		key, keyPath := p.key.Value, joinPath(path, p.key.Value)
		f, ok := fields[key]
		if !ok {
			d.ps.add(keyPath, unknownField(key, fields))
			continue
		}
		if other, dup := given[f.index]; dup {
			d.ps.addf(keyPath, "cannot be used together with %s", other)
			continue
		}
		given[f.index] = key
		if f.fromFile {
			d.secretFile(p.value, keyPath, v.Field(f.index))
		} else {
			d.decode(p.value, keyPath, v.Field(f.index))
		}
	}
}

func (d *decoder) mapping(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.ps.add(path, "must be a mapping")
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	for _, p := range d.pairs(n, path) {
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(p.value, joinPath(path, p.key.Value), elem)
		v.SetMapIndex(reflect.ValueOf(p.key.Value).Convert(v.Type().Key()), elem)
	}
}

func (d *decoder) sequence(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.SequenceNode {
		d.ps.add(path, "must be a list")
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		itemPath := indexPath(path, i)
		d.ps.mark(itemPath, item)
		d.decode(item, itemPath, s.Index(i))
	}
	v.Set(s)
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// unknownField names the closest known key when there is one.
func unknownField(key string, fields map[string]field) string {
	best, bestDist := "", 3
	for name := range fields {
		if dist := editDistance(key, name); dist < bestDist || (dist == bestDist && name < best) {
			best, bestDist = name, dist
		}
	}
	if best == "" {
		return "unknown field"
	}
	return fmt.Sprintf("unknown field (did you mean %s?)", best)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
