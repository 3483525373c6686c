package patch

import (
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/kinject/kinject/internal/codec"
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
	root schemaNode
}

// schemaNode is one location of a document: the JSON shape of its Go type
// (internal/codec's plan, pointers followed) and, for a list, the merge key
// of the field holding it. A zero schemaNode is a scalar, an opaque value
// (a type with its own JSON encoding) or a field the type does not know:
// Diff treats it without schema.
type schemaNode struct {
	plan     *codec.Plan
	mergeKey string
}

func nodeOf(p *codec.Plan, mergeKey string) schemaNode {
	p = p.Deref()
	if p == nil || p.Marshal != codec.NoMethod {
		return schemaNode{} // metav1.Time, resource.Quantity, intstr.IntOrString...
	}
	switch p.Kind {
	case codec.Struct, codec.Map:
		return schemaNode{plan: p}
	case codec.Slice:
		return schemaNode{plan: p, mergeKey: mergeKey}
	}
	return schemaNode{}
}

func (s schemaNode) is(k codec.Kind) bool { return s.plan != nil && s.plan.Kind == k }

// field returns the schema of member key of an object at s.
func (s schemaNode) field(key []byte) schemaNode {
	switch {
	case s.is(codec.Struct):
		if f := s.plan.FieldByName(string(key)); f != nil {
			return nodeOf(f.Plan, f.MergeKey)
		}
	case s.is(codec.Map):
		return nodeOf(s.plan.Elem, "")
	}
	return schemaNode{}
}

// item returns the schema of an element of a list at s.
func (s schemaNode) item() schemaNode {
	if !s.is(codec.Slice) {
		return schemaNode{}
	}
	return nodeOf(s.plan.Elem, "")
}

// SchemaOf derives a Schema from the type of v (a value or pointer, such as
// corev1.Pod{} or &appsv1.Deployment{}).
func SchemaOf(v any) *Schema {
	if v == nil {
		return &Schema{}
	}
	return &Schema{root: nodeOf(codec.PlanOf(reflect.TypeOf(v)), "")}
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
		if n.plan == nil {
			return ""
		}
		if n.is(codec.Slice) {
			if _, err := strconv.Atoi(tok); err != nil && tok != "-" {
				return ""
			}
			n = n.item()
			continue
		}
		n = n.field([]byte(pointerUnescape(tok)))
	}
	return n.mergeKey
}

func pointerUnescape(tok string) string {
	if !strings.Contains(tok, "~") {
		return tok
	}
	return strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
}
