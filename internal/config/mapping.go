package config

import "go.yaml.in/yaml/v3"

type pair struct{ key, value *yaml.Node }

// pairs returns the entries of a mapping node with YAML merge keys ("<<:
// *anchor") expanded; keys written in the mapping override merged ones. Keys
// that are not strings and keys given twice are problems. Each key's
// position is recorded for ordering problems.
func (d *decoder) pairs(n *yaml.Node, path string) []pair {
	var own, merged []pair
	seen := map[string]int{} // key -> line
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolveAlias(n.Content[i]), n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merged = append(merged, d.mergeSources(v, path)...)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.ps.mark(path, n)
			d.ps.addf(path, "line %d: keys must be strings", k.Line)
			continue
		}
		keyPath := joinPath(path, k.Value)
		if line, dup := seen[k.Value]; dup {
			d.ps.addf(keyPath, "duplicate key (first given on line %d)", line)
			continue
		}
		seen[k.Value] = k.Line
		d.ps.mark(keyPath, k)
		own = append(own, pair{k, v})
	}
	for _, p := range merged {
		if _, ok := seen[p.key.Value]; !ok {
			seen[p.key.Value] = p.key.Line
			own = append(own, p)
		}
	}
	return own
}

// mergeSources returns the entries merged in by "<<": one mapping, or a list
// of mappings where earlier ones win.
func (d *decoder) mergeSources(v *yaml.Node, path string) []pair {
	v = resolveAlias(v)
	switch v.Kind {
	case yaml.MappingNode:
		return d.pairs(v, path)
	case yaml.SequenceNode:
		var all []pair
		for _, item := range v.Content {
			if item = resolveAlias(item); item.Kind != yaml.MappingNode {
				d.ps.add(joinPath(path, "<<"), "must be a mapping or a list of mappings")
				return nil
			}
			all = append(all, d.pairs(item, path)...)
		}
		return all
	}
	d.ps.add(joinPath(path, "<<"), "must be a mapping or a list of mappings")
	return nil
}
