package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load reads, decodes, defaults and validates the configuration file at path.
// Relative "_file" paths are resolved against the file's directory. env looks
// up environment variables (os.LookupEnv in production); nil means none is set.
//
// A file that cannot be read is an ordinary error; anything wrong with its
// content is an *Error listing every problem.
func Load(path string, env func(string) (string, bool)) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(data, filepath.Dir(path), env)
}

// Parse decodes, defaults and validates a configuration document. baseDir is
// the directory relative file paths in it are resolved against. On any
// problem it returns a nil Config and an *Error. Warnings (things likely
// wrong that do not make the config invalid) are in Config.Warnings, or in
// Error.Warnings beside the problems.
func Parse(data []byte, baseDir string, env func(string) (string, bool)) (*Config, error) {
	c, _, err := parse(data, baseDir, env, nil)
	return c, err
}

// parse is Parse with the GOSQLGUARD_* settings of vars (nil for none)
// applied to the document before it is decoded. It also returns what
// Settings needs: the paths written and which variable set each.
func parse(data []byte, baseDir string, env func(string) (string, bool), vars *envSettings) (*Config, *loadState, error) {
	if env == nil {
		env = noEnv
	}
	ps := newProblems()
	root, err := parseDocument(data)
	if err != nil {
		ps.add("", err.Error())
		return nil, nil, ps.err()
	}
	vars.apply(root, ps)
	var c Config
	d := &decoder{env: env, baseDir: baseDir, ps: ps}
	d.decode(root, "", reflect.ValueOf(&c).Elem())
	applyDefaults(&c, ps)
	check := &checker{cfg: &c, ps: ps, baseDir: baseDir}
	check.all()
	if err := ps.err(); err != nil {
		return nil, nil, vars.rename(err)
	}
	c.Warnings = vars.renameAll(ps.warningList())
	return &c, &loadState{ps: ps, vars: vars}, nil
}

// parseDocument returns the root node of a single-document YAML stream; an
// empty stream is an empty mapping.
func parseDocument(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &yaml.Node{Kind: yaml.MappingNode}, nil
		}
		return nil, yamlError(err)
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, yamlError(err)
		}
		return nil, fmt.Errorf("line %d: only one YAML document is allowed", next.Line)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind == yaml.DocumentNode || (root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null") {
		return &yaml.Node{Kind: yaml.MappingNode}, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: the configuration must be a mapping", root.Line)
	}
	return root, nil
}

// yamlError drops the library's "yaml: " prefix; the rest names the line.
func yamlError(err error) error {
	return errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
}
