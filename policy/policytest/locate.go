package policytest

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	yamlv3 "sigs.k8s.io/yaml/goyaml.v3"
)

// positions are the lines of a case file's parts, read from its YAML node
// tree (the decoding itself is sigs.k8s.io/yaml's, which keeps no lines).
type positions struct {
	root  *yamlv3.Node // the top mapping, or nil when the file is not YAML 1.2 readable
	cases []int        // line of each entry of cases
}

func locate(data []byte) positions {
	var doc yamlv3.Node
	if err := yamlv3.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		return positions{}
	}
	root := resolve(&doc)
	if root.Kind == yamlv3.DocumentNode && len(root.Content) > 0 {
		root = resolve(root.Content[0])
	}
	p := positions{root: root}
	if cases := member(root, "cases"); cases != nil && cases.Kind == yamlv3.SequenceNode {
		for _, c := range cases.Content {
			p.cases = append(p.cases, c.Line)
		}
	}
	return p
}

// caseLine is the line case i starts on, or 0.
func (p positions) caseLine(i int) int {
	if i < len(p.cases) {
		return p.cases[i]
	}
	return 0
}

// nodeLine is n's line, or 0 for no node.
func nodeLine(n *yamlv3.Node) int {
	if n == nil {
		return 0
	}
	return n.Line
}

func resolve(n *yamlv3.Node) *yamlv3.Node {
	for n != nil && n.Kind == yamlv3.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// member returns the value of key in a mapping node, or nil.
func member(n *yamlv3.Node, key string) *yamlv3.Node {
	if n == nil || n.Kind != yamlv3.MappingNode {
		return nil
	}
	for k := 0; k+1 < len(n.Content); k += 2 {
		if n.Content[k].Value == key {
			return resolve(n.Content[k+1])
		}
	}
	return nil
}

// unknownField finds the key called name that the type t has no field for,
// as encoding/json would refuse it: it walks the node tree along t (struct
// fields by JSON name, case-insensitively as encoding/json matches them;
// slices, arrays, maps and pointers by their elements), stopping at types
// that decode themselves. It returns the key's node and its place, e.g.
// "cases[2].want".
func unknownField(n *yamlv3.Node, t reflect.Type, name, path string) (*yamlv3.Node, string, reflect.Type) {
	n = resolve(n)
	if n == nil {
		return nil, "", nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if decodesItself(t) {
		return nil, "", nil
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yamlv3.MappingNode {
			return nil, "", nil
		}
		fields, _ := jsonFields(t)
		for k := 0; k+1 < len(n.Content); k += 2 {
			key := n.Content[k].Value
			ft, ok := fields[strings.ToLower(key)]
			if !ok {
				if key == name {
					return n.Content[k], path, t
				}
				continue
			}
			if found, at, in := unknownField(n.Content[k+1], ft, name, join(path, key)); found != nil {
				return found, at, in
			}
		}
	case reflect.Slice, reflect.Array:
		if n.Kind != yamlv3.SequenceNode {
			return nil, "", nil
		}
		for k, e := range n.Content {
			if found, at, in := unknownField(e, t.Elem(), name, fmt.Sprintf("%s[%d]", path, k)); found != nil {
				return found, at, in
			}
		}
	case reflect.Map:
		if n.Kind != yamlv3.MappingNode {
			return nil, "", nil
		}
		for k := 0; k+1 < len(n.Content); k += 2 {
			if found, at, in := unknownField(n.Content[k+1], t.Elem(), name, join(path, n.Content[k].Value)); found != nil {
				return found, at, in
			}
		}
	}
	return nil, "", nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func decodesItself(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return p.Implements(reflect.TypeFor[json.Unmarshaler]()) || p.Implements(reflect.TypeFor[encoding.TextUnmarshaler]())
}

// jsonFields maps the lower-cased JSON names of t's fields (embedded
// structs without a name, and ",inline" ones, contribute theirs) to their
// types, and lists the names as written, sorted, for messages.
func jsonFields(t reflect.Type) (map[string]reflect.Type, []string) {
	byName := map[string]reflect.Type{}
	var names []string
	var add func(t reflect.Type)
	add = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if (f.Anonymous && name == "" || strings.Contains(","+opts+",", ",inline,")) && ft.Kind() == reflect.Struct {
				add(ft)
				continue
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			byName[strings.ToLower(name)] = f.Type
			names = append(names, name)
		}
	}
	add(t)
	sort.Strings(names)
	return byName, names
}
