package template

import (
	"bytes"
	"encoding"
	"encoding/json"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	yamlv3 "sigs.k8s.io/yaml/goyaml.v3"
)

// schemaKind is the JSON shape a Go type accepts.
type schemaKind uint8

const (
	kindAny    schemaKind = iota // custom unmarshaller or interface: anything
	kindObject                   // struct: known fields only
	kindMap                      // map: any key, values of elem
	kindList                     // slice: items of elem
	kindString
	kindNumber
	kindBool
	kindQuantity // resource.Quantity: a string or number that parses
)

// schema describes what corev1.Pod accepts in JSON, built once from the
// struct tags, to reject a template's typo (an unknown field, a list where
// a mapping belongs) with its path rather than drop it silently.
type schema struct {
	kind   schemaKind
	fields map[string]*schema // kindObject
	elem   *schema            // kindMap, kindList

	// kindNumber: whether the Go type is an integer, and its range.
	integer  bool
	min, max float64
}

var podSchema = buildSchema(reflect.TypeOf(corev1.Pod{}), map[reflect.Type]*schema{})

var (
	jsonUnmarshaler = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()
	textUnmarshaler = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()
)

func buildSchema(t reflect.Type, seen map[reflect.Type]*schema) *schema {
	if s, ok := seen[t]; ok {
		return s
	}
	if t == reflect.TypeOf(resource.Quantity{}) {
		return &schema{kind: kindQuantity}
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler) {
		return &schema{kind: kindAny}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return buildSchema(t.Elem(), seen)
	case reflect.Struct:
		s := &schema{kind: kindObject, fields: map[string]*schema{}}
		seen[t] = s
		addFields(s, t, seen)
		return s
	case reflect.Map:
		s := &schema{kind: kindMap}
		seen[t] = s
		s.elem = buildSchema(t.Elem(), seen)
		return s
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return &schema{kind: kindString} // []byte is base64 text
		}
		s := &schema{kind: kindList}
		seen[t] = s
		s.elem = buildSchema(t.Elem(), seen)
		return s
	case reflect.String:
		return &schema{kind: kindString}
	case reflect.Bool:
		return &schema{kind: kindBool}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		bits := t.Bits()
		return &schema{kind: kindNumber, integer: true, min: -math.Pow(2, float64(bits-1)), max: math.Pow(2, float64(bits-1)) - 1}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return &schema{kind: kindNumber, integer: true, min: 0, max: math.Pow(2, float64(t.Bits())) - 1}
	case reflect.Float32, reflect.Float64:
		return &schema{kind: kindNumber, min: -math.MaxFloat64, max: math.MaxFloat64}
	}
	return &schema{kind: kindAny}
}

func addFields(s *schema, t reflect.Type, seen map[reflect.Type]*schema) {
	forEachJSONField(t, func(name string, f reflect.StructField) {
		s.fields[name] = buildSchema(f.Type, seen)
	})
}

// forEachJSONField calls fn with the JSON name of every field of struct type
// t that encoding/json reads, descending into embedded and inline structs in
// place. The schema and the merge metadata both walk corev1's types this way.
func forEachJSONField(t reflect.Type, fn func(name string, f reflect.StructField)) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && (name == "" || strings.Contains(opts, "inline")) {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				forEachJSONField(ft, fn)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fn(name, f)
	}
}

// check walks v against s and returns the path of the first problem and a
// message, or "" when v fits. null is accepted anywhere (it deletes in a
// strategic merge), as are strategic-merge directives ($patch, $retainKeys,
// $setElementOrder/..., $deleteFromPrimitiveList/...).
func (s *schema) check(v any) ([]any, string) {
	if s.walk(v, nil, false) == "" {
		return nil, ""
	}
	// Walk again in key order, so the problem reported is the same on
	// every run when there are several.
	var path []any
	msg := s.walk(v, &path, true)
	return path, msg
}

func push(path *[]any, e any) {
	if path != nil {
		*path = append(*path, e)
	}
}

func pop(path *[]any) {
	if path != nil {
		*path = (*path)[:len(*path)-1]
	}
}

// walk checks v; path, when not nil, collects where the problem is, and
// sorted walks maps in key order.
func (s *schema) walk(v any, path *[]any, sorted bool) string {
	if v == nil {
		return ""
	}
	switch s.kind {
	case kindAny:
		return ""
	case kindObject:
		m, ok := v.(map[string]any)
		if !ok {
			return "want a mapping, got a " + jsonKind(v)
		}
		if !sorted {
			for k, x := range m {
				if strings.HasPrefix(k, "$") {
					continue
				}
				f, ok := s.fields[k]
				if !ok {
					return "unknown field"
				}
				if msg := f.walk(x, nil, false); msg != "" {
					return msg
				}
			}
			return ""
		}
		for _, k := range sortedKeys(m) {
			if strings.HasPrefix(k, "$") {
				continue
			}
			f, ok := s.fields[k]
			push(path, k)
			if !ok {
				return "unknown field"
			}
			if msg := f.walk(m[k], path, true); msg != "" {
				return msg
			}
			pop(path)
		}
	case kindMap:
		m, ok := v.(map[string]any)
		if !ok {
			return "want a mapping, got a " + jsonKind(v)
		}
		if !sorted {
			for k, x := range m {
				if strings.HasPrefix(k, "$") {
					continue
				}
				if msg := s.elem.walk(x, nil, false); msg != "" {
					return msg
				}
			}
			return ""
		}
		for _, k := range sortedKeys(m) {
			if strings.HasPrefix(k, "$") {
				continue
			}
			push(path, k)
			if msg := s.elem.walk(m[k], path, true); msg != "" {
				return msg
			}
			pop(path)
		}
	case kindList:
		l, ok := v.([]any)
		if !ok {
			return "want a list, got a " + jsonKind(v)
		}
		for i, x := range l {
			push(path, i)
			if msg := s.elem.walk(x, path, sorted); msg != "" {
				return msg
			}
			pop(path)
		}
	case kindString:
		if _, ok := v.(string); !ok {
			return "want a string, got a " + jsonKind(v)
		}
	case kindNumber:
		f, ok := v.(float64)
		if !ok {
			return "want a number, got a " + jsonKind(v)
		}
		if s.integer && f != math.Trunc(f) {
			return "want a whole number, got " + strconv.FormatFloat(f, 'g', -1, 64)
		}
		if f < s.min || f > s.max {
			return "number " + strconv.FormatFloat(f, 'g', -1, 64) + " is out of range"
		}
	case kindBool:
		if _, ok := v.(bool); !ok {
			return "want a boolean, got a " + jsonKind(v)
		}
	case kindQuantity:
		switch q := v.(type) {
		case float64:
		case string:
			if err := quantityOK(q); err != nil {
				return "not a quantity: " + shortQuote(q)
			}
		default:
			return "want a quantity, got a " + jsonKind(v)
		}
	}
	return ""
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// lineOf returns the 1-based line of the node at path p in the YAML doc, or
// 0 when it cannot be found. It is only used to report errors.
func lineOf(doc []byte, p []any) int {
	var root yamlv3.Node
	if err := yamlv3.NewDecoder(bytes.NewReader(doc)).Decode(&root); err != nil {
		return 0
	}
	n := &root
	if n.Kind == yamlv3.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, e := range p {
		for n.Kind == yamlv3.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		switch e := e.(type) {
		case string:
			if n.Kind != yamlv3.MappingNode {
				return line
			}
			var next *yamlv3.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == e {
					line = n.Content[i].Line
					next = n.Content[i+1]
				}
			}
			if next == nil {
				return line
			}
			n = next
		case int:
			if n.Kind != yamlv3.SequenceNode || e >= len(n.Content) {
				return line
			}
			n = n.Content[e]
			line = n.Line
		}
	}
	return line
}
