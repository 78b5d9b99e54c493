package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// scalarText returns the expanded text of a scalar node. want completes
// "must ..." when the node is not a scalar.
func (d *decoder) scalarText(n *yaml.Node, path, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.ps.add(path, "must "+want)
		return "", false
	}
	s, err := expand(n.Value, d.env)
	if err != nil {
		d.ps.add(path, err.Error())
		return "", false
	}
	return s, true
}

// scalar stores a string, integer or boolean. Any scalar is a valid string;
// integers and booleans are parsed from the expanded text, so "${PORT}" works.
func (d *decoder) scalar(n *yaml.Node, path string, v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		if s, ok := d.scalarText(n, path, "be a string"); ok {
			v.SetString(s)
		}
	case reflect.Bool:
		if s, ok := d.scalarText(n, path, "be true or false"); ok {
			switch strings.ToLower(s) {
			case "true":
				v.SetBool(true)
			case "false":
				v.SetBool(false)
			default:
				d.ps.add(path, "must be true or false")
			}
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if s, ok := d.scalarText(n, path, "be an integer"); ok {
			i, err := strconv.ParseInt(s, 10, v.Type().Bits())
			if err != nil {
				d.ps.add(path, "must be an integer")
				return
			}
			v.SetInt(i)
		}
	default:
		panic(fmt.Sprintf("config: no decoder for %s at %s", v.Type(), path))
	}
}

// secretFile reads the secret for an "x_file" key into v. The file's content
// is not expanded and loses its trailing newlines; problems name the file but
// never quote its content.
func (d *decoder) secretFile(n *yaml.Node, path string, v reflect.Value) {
	name, ok := d.scalarText(n, path, "be a file path")
	if !ok {
		return
	}
	if name == "" {
		d.ps.add(path, "must not be empty")
		return
	}
	data, err := os.ReadFile(resolvePath(d.baseDir, name))
	if err != nil {
		d.ps.addf(path, "cannot read %q: %s", name, fileError(err))
		return
	}
	secret := strings.TrimRight(string(data), "\r\n")
	if secret == "" {
		d.ps.addf(path, "%q is empty", name)
		return
	}
	v.SetString(secret)
}

// resolvePath makes a relative file name relative to the config's directory.
func resolvePath(baseDir, name string) string {
	if name == "" || filepath.IsAbs(name) || baseDir == "" {
		return name
	}
	return filepath.Join(baseDir, name)
}

// fileError is the reason a file operation failed, without the resolved path.
func fileError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
