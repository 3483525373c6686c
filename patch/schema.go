package patch

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
)

// Schema describes the shape of the documents being diffed, derived from a
// Go type the way encoding/json sees it: which objects are structs, which
// are maps, and by which field each list is keyed (its patchMergeKey struct
// tag, the key Kubernetes' strategic merge patch uses).
//
// Diff uses a Schema in two ways. A list with a merge key is aligned by the
// key's value, so that an element keeps its identity however the list is
// reordered, grown or shrunk; and an object the schema knows as a struct is
// always edited field by field, never replaced as a whole, so fields of the
// raw document that the Go type does not know survive. A Schema is
// immutable and safe for concurrent use; build it once.
type Schema struct {
	root *schemaNode
}

type schemaKind uint8

const (
	schemaStruct schemaKind = iota + 1
	schemaMap
	schemaList
)

// schemaNode describes one location. A nil *schemaNode is a scalar, an
// opaque value (a type with its own JSON encoding) or a field the type does
// not know: Diff treats it without schema.
type schemaNode struct {
	kind     schemaKind
	fields   map[string]*schemaNode // schemaStruct: JSON field name → schema
	elem     *schemaNode            // schemaMap and schemaList: element schema
	mergeKey string                 // schemaList: JSON name of the merge key, or ""
}

// field returns the schema of member key of an object at s.
func (s *schemaNode) field(key []byte) *schemaNode {
	if s == nil {
		return nil
	}
	switch s.kind {
	case schemaStruct:
		return s.fields[string(key)]
	case schemaMap:
		return s.elem
	}
	return nil
}

// item returns the schema of an element of a list at s.
func (s *schemaNode) item() *schemaNode {
	if s == nil || s.kind != schemaList {
		return nil
	}
	return s.elem
}

// SchemaOf derives a Schema from the type of v (a value or pointer, such as
// corev1.Pod{} or &appsv1.Deployment{}).
func SchemaOf(v any) *Schema {
	b := schemaBuilder{structs: map[reflect.Type]*schemaNode{}, maps: map[reflect.Type]*schemaNode{}}
	return &Schema{root: b.build(reflect.TypeOf(v))}
}

var podSchema = sync.OnceValue(func() *Schema { return SchemaOf(corev1.Pod{}) })

// PodSchema returns the Schema of corev1.Pod, computed once. It keys
// containers, initContainers, ephemeralContainers, volumes, env,
// imagePullSecrets and others by name, volumeMounts by mountPath, ports by
// containerPort, hostAliases by ip, and so on, as the Kubernetes API types
// declare.
func PodSchema() *Schema { return podSchema() }

// MergeKey returns the merge key of the list at pointer, an RFC 6901 JSON
// pointer into a document of the schema's type, or "" if the location is not
// a keyed list. Array indices in pointer may be any number or "-":
//
//	patch.PodSchema().MergeKey("/spec/containers/0/ports") // "containerPort"
func (s *Schema) MergeKey(pointer string) string {
	if s == nil || pointer == "" || pointer[0] != '/' {
		return ""
	}
	n := s.root
	for _, tok := range strings.Split(pointer[1:], "/") {
		if n == nil {
			return ""
		}
		switch n.kind {
		case schemaList:
			if _, err := strconv.Atoi(tok); err != nil && tok != "-" {
				return ""
			}
			n = n.elem
		default:
			n = n.field([]byte(pointerUnescape(tok)))
		}
	}
	if n == nil || n.kind != schemaList {
		return ""
	}
	return n.mergeKey
}

func pointerUnescape(tok string) string {
	if !strings.Contains(tok, "~") {
		return tok
	}
	return strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
}

type schemaBuilder struct {
	structs map[reflect.Type]*schemaNode
	maps    map[reflect.Type]*schemaNode
}

var (
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// opaque reports whether t encodes itself (metav1.Time, resource.Quantity,
// intstr.IntOrString): its JSON shape is not its Go shape.
func opaque(t reflect.Type) bool {
	return t.Implements(jsonMarshalerType) || reflect.PointerTo(t).Implements(jsonMarshalerType) ||
		t.Implements(textMarshalerType) || reflect.PointerTo(t).Implements(textMarshalerType)
}

func (b *schemaBuilder) build(t reflect.Type) *schemaNode {
	if t == nil {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if opaque(t) {
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		if n, ok := b.structs[t]; ok {
			return n
		}
		n := &schemaNode{kind: schemaStruct, fields: map[string]*schemaNode{}}
		b.structs[t] = n // before the fields: types may refer to themselves
		b.addFields(n, t)
		return n
	case reflect.Map:
		if n, ok := b.maps[t]; ok {
			return n
		}
		n := &schemaNode{kind: schemaMap}
		b.maps[t] = n
		n.elem = b.build(t.Elem())
		return n
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return nil // []byte encodes as a base64 string
		}
		return &schemaNode{kind: schemaList, elem: b.build(t.Elem())}
	}
	return nil
}

// addFields adds the JSON fields of struct t to n, flattening embedded
// structs the way encoding/json does (Kubernetes' `json:",inline"`).
// Direct fields are added before embedded ones, so that they win a name
// clash as they do in encoding/json.
func (b *schemaBuilder) addFields(n *schemaNode, t reflect.Type) {
	var inline []reflect.Type
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && !opaque(ft) {
				inline = append(inline, ft)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, dup := n.fields[name]; dup {
			continue // the shallower field wins, as in encoding/json
		}
		s := b.build(f.Type)
		if s != nil && s.kind == schemaList {
			if key := f.Tag.Get("patchMergeKey"); key != "" {
				s = &schemaNode{kind: schemaList, elem: s.elem, mergeKey: key}
			}
		}
		n.fields[name] = s
	}
	for _, ft := range inline {
		b.addFields(n, ft)
	}
}
