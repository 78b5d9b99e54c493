package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Settings from the environment: every key of the file can also be set by a
// variable named EnvPrefix + its path in upper case, parts joined by "_",
// list indexes as numbers and map keys (backup type names) as they are:
// GOSQLGUARD_SERVERS_0_HOST, GOSQLGUARD_BACKUP_TYPES_DAILY_SCHEDULE,
// GOSQLGUARD_STORAGES_0_RETENTION_DAILY_KEEP. Lists of scalars are
// comma-separated. The variables are turned into edits of the YAML document
// before it is decoded, so their values are read exactly as the same value in
// the file would be, and every problem with one names the variable.
const (
	// EnvPrefix starts the name of every variable that sets a key.
	EnvPrefix = "GOSQLGUARD_"
	// ConfigPathVar names the configuration file; it is not a key.
	ConfigPathVar = "GOSQLGUARD_CONFIG"
)

// envLine is the line number given to the nodes the variables create, so
// that their problems are listed after the file's, in the variables' order.
const envLine = 1 << 30

// maxEnvIndex bounds a list index in a variable name.
const maxEnvIndex = 9999

type envVar struct{ name, value string }

// settingVars returns the variables of environ ("NAME=value" entries, as
// os.Environ gives them) that set keys: those starting with EnvPrefix, except
// ConfigPathVar. For a name given twice the first entry wins, as with
// os.Getenv.
func settingVars(environ []string) []envVar {
	var vars []envVar
	seen := map[string]bool{}
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvPrefix) || name == ConfigPathVar || seen[name] {
			continue
		}
		seen[name] = true
		vars = append(vars, envVar{name, value})
	}
	slices.SortFunc(vars, func(a, b envVar) int { return strings.Compare(a.name, b.name) })
	return vars
}

// HasEnvSettings reports whether environ ("NAME=value" entries) has a
// variable that sets a key (GOSQLGUARD_*, except GOSQLGUARD_CONFIG).
func HasEnvSettings(environ []string) bool { return len(settingVars(environ)) > 0 }

// environLookup looks variables up in environ; the first entry of a name
// wins, as with os.Getenv.
func environLookup(environ []string) func(string) (string, bool) {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if name, value, ok := strings.Cut(kv, "="); ok {
			if _, dup := m[name]; !dup {
				m[name] = value
			}
		}
	}
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}

// LoadEnv loads the configuration file at path, or none when path is "",
// with the GOSQLGUARD_* variables of environ ("NAME=value" entries, as
// os.Environ gives them) set over it; ${VAR} in the file is expanded from
// environ too. Relative file paths are resolved against the file's
// directory, or the working directory without a file. Errors are as Load's;
// a problem with a variable is reported under the variable's name
// ("GOSQLGUARD_DAEMON_LEASE_TTL: must be between 3s and 1h") and never
// quotes its value.
func LoadEnv(path string, environ []string) (*Config, error) {
	c, _, err := LoadSettings(path, environ)
	return c, err
}

// LoadSettings is LoadEnv that also lists every effective value with its
// source (see Setting), in the order of the schema.
func LoadSettings(path string, environ []string) (*Config, []Setting, error) {
	var data []byte
	baseDir := ""
	if path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return nil, nil, fmt.Errorf("read config: %w", err)
		}
		baseDir = filepath.Dir(path)
	}
	c, st, err := parse(data, baseDir, environLookup(environ), newEnvSettings(settingVars(environ)))
	if err != nil {
		return nil, nil, err
	}
	return c, st.settings(c), nil
}

// nodeKind is what a type of the schema is written as.
type nodeKind int

const (
	kindScalar nodeKind = iota // string, integer, boolean, duration, size, secret
	kindList                   // a list of scalars: comma-separated in a variable
	kindStruct                 // a mapping of known keys
	kindMap                    // a mapping of chosen names (backup types)
	kindSeq                    // a list of mappings
)

var textValueType = reflect.TypeFor[textValue]()

// kindOf returns what t is written as, and t without pointers.
func kindOf(t reflect.Type) (nodeKind, reflect.Type) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(textValueType) {
		return kindScalar, t
	}
	switch t.Kind() {
	case reflect.Struct:
		return kindStruct, t
	case reflect.Map:
		return kindMap, t
	case reflect.Slice:
		if k, _ := kindOf(t.Elem()); k == kindScalar {
			return kindList, t
		}
		return kindSeq, t
	}
	return kindScalar, t
}

// keyType is the type a key of struct type t sets: a string path for the
// "x_file" form of a secret.
func keyType(t reflect.Type, f field) reflect.Type {
	if f.fromFile {
		return reflect.TypeFor[string]()
	}
	return t.Field(f.index).Type
}

// byLength returns the keys of fields, longest first (then by name), the
// order in which a variable's parts are matched against them.
func byLength(fields map[string]field) []string {
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	return names
}

// step is one element of a path: a mapping key or a list index.
type step struct {
	key     string
	index   int
	isIndex bool
	mapKey  bool // key is a chosen name (a backup type), not a key of the schema
}

// target is what a variable sets.
type target struct {
	steps []step
	kind  nodeKind // kindScalar or kindList
	// section is, for a name that stops at a section, the section's type.
	section reflect.Type
	// sibling is, for a secret, the key of its other form ("password_file"
	// for "password" and back).
	sibling string
}

type resolution int

const (
	noMatch   resolution = iota
	isSection            // the name stops at a section, not at a setting
	isSetting
)

// resolve matches the lower-cased parts of a variable name (what follows
// EnvPrefix, split at "_") against the schema under t. A struct's keys are
// tried longest first; a map key is the shortest run of parts, a valid name,
// after which the rest matches a key of the entry.
func resolve(t reflect.Type, parts []string) (target, resolution) {
	k, t := kindOf(t)
	if k == kindScalar || k == kindList {
		if len(parts) == 0 {
			return target{kind: k}, isSetting
		}
		return target{}, noMatch
	}
	if len(parts) == 0 {
		return target{section: t}, isSection
	}
	best, section := noMatch, target{}
	try := func(first step, sub reflect.Type, rest []string) (target, bool) {
		r, res := resolve(sub, rest)
		if res == isSection && best == noMatch {
			best, section = isSection, r
		}
		if res != isSetting {
			return target{}, false
		}
		r.steps = append([]step{first}, r.steps...)
		return r, true
	}
	switch k {
	case kindStruct:
		fields := fieldsOf(t)
		for _, name := range byLength(fields) {
			np := strings.Split(name, "_")
			if len(np) > len(parts) || !slices.Equal(np, parts[:len(np)]) {
				continue
			}
			f := fields[name]
			if r, ok := try(step{key: name}, keyType(t, f), parts[len(np):]); ok {
				if t.Field(f.index).Type == secretType {
					r.sibling = name + "_file"
					if f.fromFile {
						r.sibling = strings.TrimSuffix(name, "_file")
					}
				}
				return r, isSetting
			}
		}
	case kindSeq:
		if i, ok := envIndex(parts[0]); ok {
			if r, ok := try(step{index: i, isIndex: true}, t.Elem(), parts[1:]); ok {
				return r, isSetting
			}
		}
	case kindMap:
		for j := 1; j <= len(parts); j++ {
			key := strings.Join(parts[:j], "_")
			if !namePattern.MatchString(key) {
				continue
			}
			if r, ok := try(step{key: key, mapKey: true}, t.Elem(), parts[j:]); ok {
				return r, isSetting
			}
		}
	}
	return section, best
}

// envIndex parses a list index written canonically: "0", "1", "12", not "01".
func envIndex(s string) (int, bool) {
	if s == "" || len(s) > 1 && s[0] == '0' {
		return 0, false
	}
	i, err := strconv.Atoi(s)
	if err != nil || i < 0 || i > maxEnvIndex || strconv.Itoa(i) != s {
		return 0, false
	}
	return i, true
}

// suggestion is a valid setting name (as lower-case parts) and its distance
// from a name that is not one.
type suggestion struct {
	parts []string
	cost  int
}

// suggester finds the valid setting nearest to an unknown one.
type suggester struct {
	memo map[suggestKey]suggestion
}

type suggestKey struct {
	t    reflect.Type
	rest string
}

const noSuggestion = 1 << 20

// closest returns the setting under t whose name is nearest to parts:
// the sum of the edit distances of its keys to the parts they replace.
func (s *suggester) closest(t reflect.Type, parts []string) suggestion {
	key := suggestKey{t, strings.Join(parts, "\x00")}
	if got, ok := s.memo[key]; ok {
		return got
	}
	k, t := kindOf(t)
	best := suggestion{cost: noSuggestion}
	consider := func(prefix []string, cost int, sub suggestion) {
		if c := cost + sub.cost; c < best.cost {
			best = suggestion{append(slices.Clone(prefix), sub.parts...), c}
		}
	}
	switch k {
	case kindScalar, kindList:
		best = suggestion{cost: 0}
		if rest := strings.Join(parts, "_"); rest != "" {
			best.cost = len(rest) + 1
		}
	case kindStruct:
		fields := fieldsOf(t)
		names := byLength(fields)
		slices.Sort(names)
		for _, name := range names {
			sub := keyType(t, fields[name])
			for j := 0; j <= len(parts); j++ {
				consider([]string{name}, editDistance(strings.Join(parts[:j], "_"), name), s.closest(sub, parts[j:]))
			}
		}
	case kindSeq:
		if len(parts) > 0 && parts[0] != "" && strings.Trim(parts[0], "0123456789") == "" && len(parts[0]) <= 5 {
			i, _ := strconv.Atoi(parts[0])
			canon := strconv.Itoa(min(i, maxEnvIndex))
			consider([]string{canon}, editDistance(parts[0], canon), s.closest(t.Elem(), parts[1:]))
		}
		consider([]string{"0"}, 2, s.closest(t.Elem(), parts))
	case kindMap:
		for j := 1; j <= len(parts); j++ {
			if key := strings.Join(parts[:j], "_"); namePattern.MatchString(key) {
				consider([]string{key}, 0, s.closest(t.Elem(), parts[j:]))
			}
		}
		consider([]string{"name"}, 5, s.closest(t.Elem(), parts))
	}
	s.memo[key] = best
	return best
}

// unknownSetting explains why the variable name (rest: what follows
// EnvPrefix) sets nothing, naming the nearest valid variable when one is
// close enough.
// A name that stops at a section (GOSQLGUARD_DAEMON) gets an example of
// its keys instead, unless a setting is nearer than any of them.
func unknownSetting(rest string, t target, res resolution) string {
	parts := strings.Split(strings.ToLower(rest), "_")
	s := &suggester{memo: map[suggestKey]suggestion{}}
	best := s.closest(reflect.TypeFor[Config](), parts)
	near := best.cost < noSuggestion && (best.cost <= 2 || 3*best.cost <= len(rest))
	extends := len(best.parts) > len(parts) && slices.Equal(best.parts[:len(parts)], parts)
	switch {
	case near && !extends:
		return fmt.Sprintf("unknown setting; did you mean %s?", EnvPrefix+strings.ToUpper(strings.Join(best.parts, "_")))
	case res == isSection && rest == strings.ToUpper(rest):
		example := s.closest(t.section, nil).parts
		return fmt.Sprintf("names a section, not a setting: set each of its keys, e.g. %s_%s", EnvPrefix+rest, strings.ToUpper(strings.Join(example, "_")))
	case near:
		return fmt.Sprintf("unknown setting; did you mean %s?", EnvPrefix+strings.ToUpper(strings.Join(best.parts, "_")))
	}
	return "unknown setting"
}

// envSetting is one variable that sets a key.
type envSetting struct {
	envVar
	target
}

// envProblem is a variable that sets nothing.
type envProblem struct{ name, message string }

// envSettings are the variables of a load and, once applied, which path
// each of them set.
type envSettings struct {
	list []envSetting
	bad  []envProblem
	// byPath maps the YAML path of each value a variable set to its name.
	byPath map[string]string
	// created holds the paths of the mappings and list items that only the
	// variables made (a server added by GOSQLGUARD_SERVERS_1_*).
	created map[string]bool
}

// newEnvSettings resolves vars; nil for none.
func newEnvSettings(vars []envVar) *envSettings {
	if len(vars) == 0 {
		return nil
	}
	e := &envSettings{byPath: map[string]string{}, created: map[string]bool{}}
	root := reflect.TypeFor[Config]()
	for _, v := range vars {
		rest := strings.TrimPrefix(v.name, EnvPrefix)
		t, res := resolve(root, strings.Split(strings.ToLower(rest), "_"))
		if res != isSetting || rest != strings.ToUpper(rest) {
			e.bad = append(e.bad, envProblem{v.name, unknownSetting(rest, t, res)})
			continue
		}
		e.list = append(e.list, envSetting{v, t})
	}
	// Paths in order, list indexes by number, so that items are appended
	// one after the other.
	slices.SortStableFunc(e.list, func(a, b envSetting) int {
		for i := 0; i < len(a.steps) && i < len(b.steps); i++ {
			x, y := a.steps[i], b.steps[i]
			if x.isIndex && y.isIndex && x.index != y.index {
				return x.index - y.index
			}
			if c := strings.Compare(x.key, y.key); c != 0 {
				return c
			}
		}
		return len(a.steps) - len(b.steps)
	})
	return e
}

// apply writes the settings into the document root (a mapping), and records
// the variables that set nothing as problems.
func (e *envSettings) apply(root *yaml.Node, ps *problems) {
	if e == nil {
		return
	}
	line := envLine
	for _, s := range e.list {
		line++
		if msg := e.set(root, s, line); msg != "" {
			ps.pos[s.name] = position{line, 0}
			ps.add(s.name, msg)
		}
	}
	for _, b := range e.bad {
		line++
		ps.pos[b.name] = position{line, 0}
		ps.add(b.name, b.message)
	}
}

// set writes one setting into the document, creating the mappings and list
// items on its way; it returns why it could not.
func (e *envSettings) set(root *yaml.Node, s envSetting, line int) string {
	n, path := root, ""
	for i, st := range s.steps {
		last := i == len(s.steps)-1
		var slot **yaml.Node
		if st.isIndex {
			if n.Kind != yaml.SequenceNode {
				return fmt.Sprintf("cannot be applied: %s is not a list in the file", path)
			}
			path = indexPath(path, st.index)
			switch {
			case st.index < len(n.Content):
			case st.index == len(n.Content):
				n.Content = append(n.Content, &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: line})
				e.created[path] = true
			default:
				return fmt.Sprintf("index %d skips index %d: the list has %d item(s), so set %s_%d_* first",
					st.index, len(n.Content), len(n.Content), envName(parentPath(path)), len(n.Content))
			}
			slot = &n.Content[st.index]
		} else {
			if n.Kind != yaml.MappingNode {
				return fmt.Sprintf("cannot be applied: %s is not a mapping in the file", path)
			}
			parent := path
			path = joinPath(path, st.key)
			if last && s.sibling != "" {
				e.dropFileKey(n, parent, s.sibling)
			}
			slot = e.key(n, st, path, line, last)
		}
		if last {
			*slot = leafNode(s, line)
			e.byPath[path] = s.name
			return ""
		}
		if (*slot).Kind == yaml.AliasNode {
			*slot = deepCopy(resolveAlias(*slot)) // edit this use only
		}
		if c := *slot; c.Kind == yaml.ScalarNode && c.ShortTag() == "!!null" {
			kind, tag := yaml.MappingNode, "!!map"
			if s.steps[i+1].isIndex {
				kind, tag = yaml.SequenceNode, "!!seq"
			}
			*slot = &yaml.Node{Kind: kind, Tag: tag, Line: c.Line, Column: c.Column}
		}
		n = *slot
	}
	return ""
}

// key returns the slot of st's value in mapping n, adding the key when n
// does not have it: with a copy of the value a merge key ("<<") gives it,
// else with an empty value. The key of a value a variable sets (last) takes
// the variable's line, so that its problems are listed with the variables'.
func (e *envSettings) key(n *yaml.Node, st step, path string, line int, last bool) **yaml.Node {
	keyNode := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: st.key, Line: line}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.ShortTag() != "!!merge" && k.Value == st.key {
			if last {
				n.Content[i] = keyNode
			}
			return &n.Content[i+1]
		}
	}
	value := merged(n, st.key)
	if value != nil {
		value = deepCopy(value)
	} else {
		value = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: line}
		if st.mapKey {
			e.created[path] = true
		}
	}
	n.Content = append(n.Content, keyNode, value)
	return &n.Content[len(n.Content)-1]
}

// dropFileKey removes key from mapping n unless a variable set it: the
// other form of a secret a variable sets ("password" for
// GOSQLGUARD_SERVERS_0_PASSWORD_FILE).
func (e *envSettings) dropFileKey(n *yaml.Node, path, key string) {
	if _, byEnv := e.byPath[joinPath(path, key)]; byEnv {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.ShortTag() != "!!merge" && k.Value == key {
			n.Content = slices.Delete(n.Content, i, i+2)
			return
		}
	}
}

// merged returns the value the merge keys of mapping n give key, or nil.
func merged(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := resolveAlias(n.Content[i]); k.Kind != yaml.ScalarNode || k.ShortTag() != "!!merge" {
			continue
		}
		sources := []*yaml.Node{resolveAlias(n.Content[i+1])}
		if sources[0].Kind == yaml.SequenceNode {
			sources = sources[0].Content
		}
		for _, src := range sources {
			if src = resolveAlias(src); src.Kind != yaml.MappingNode {
				continue
			}
			for j := 0; j+1 < len(src.Content); j += 2 {
				if k := src.Content[j]; k.Kind == yaml.ScalarNode && k.ShortTag() != "!!merge" && k.Value == key {
					return src.Content[j+1]
				}
			}
			if v := merged(src, key); v != nil {
				return v
			}
		}
	}
	return nil
}

// deepCopy copies n and everything under it (aliases are kept as aliases).
func deepCopy(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, child := range n.Content {
		c.Content[i] = deepCopy(child)
	}
	return &c
}

// leafNode is the YAML node of a variable's value: a string scalar, or a
// list of the comma-separated items (trimmed; an empty value is an empty
// list). "$" is escaped: a variable's value is never expanded.
func leafNode(s envSetting, line int) *yaml.Node {
	scalar := func(v string) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: strings.ReplaceAll(v, "$", "$$"), Line: line, Column: 1}
	}
	if s.kind != kindList {
		return scalar(s.value)
	}
	list := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: line, Column: 1}
	if strings.TrimSpace(s.value) != "" {
		for _, item := range strings.Split(s.value, ",") {
			list.Content = append(list.Content, scalar(strings.TrimSpace(item)))
		}
	}
	return list
}

// envName is the variable that sets the YAML path p:
// "servers[0].password_file" -> "GOSQLGUARD_SERVERS_0_PASSWORD_FILE".
func envName(p string) string {
	p = strings.NewReplacer("[", ".", "]", "").Replace(p)
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(p, ".", "_"))
}

// rename reports the problems of err (an *Error) about values the variables
// set, or about entries only they made, under the variables' names.
func (e *envSettings) rename(err error) error {
	ce, ok := err.(*Error)
	if e == nil || !ok {
		return err
	}
	ce.Problems = e.renameAll(ce.Problems)
	ce.Warnings = e.renameAll(ce.Warnings)
	return ce
}

func (e *envSettings) renameAll(list []Problem) []Problem {
	if e == nil {
		return list
	}
	for i, p := range list {
		list[i] = e.renameOne(p)
	}
	return list
}

// renameOne: a problem at (or in an item of) a value a variable set is
// reported under that variable ("item 2: ..." for the second item of a
// comma-separated list); one inside an entry only the variables made is
// reported under the variable that would set its path.
func (e *envSettings) renameOne(p Problem) Problem {
	if p.Path == "" {
		return p
	}
	for a := p.Path; a != ""; a = parentPath(a) {
		if name, ok := e.byPath[a]; ok {
			msg := p.Message
			if rest := p.Path[len(a):]; strings.HasPrefix(rest, "[") && strings.HasSuffix(rest, "]") {
				if i, err := strconv.Atoi(rest[1 : len(rest)-1]); err == nil {
					msg = fmt.Sprintf("item %d: %s", i+1, msg)
				}
			}
			return Problem{Path: name, Message: msg}
		}
		if e.created[a] {
			return Problem{Path: envName(p.Path), Message: p.Message}
		}
	}
	return p
}
