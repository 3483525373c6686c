package inject

import (
	"math"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kinject/kinject/internal/codec"
	"github.com/kinject/kinject/template"
)

// yamlDocument is decodeDocument's fast path for a YAML document: the
// document read straight into a tree (template.DecodeYAMLTree, which gives
// json.Unmarshal of sigs.k8s.io/yaml.YAMLToJSONStrict's JSON) and the
// object decoded from the tree (codec.DecodeTree, which gives
// json.Unmarshal of the tree's json.Marshal), instead of the JSON text
// and codec.DecodeJSON. It gives what decodeYAMLDocument (the reference)
// gives, or declines (ok false, doc untouched) where the two could
// differ:
//
//   - the reader declines, or the document is not a mapping (an empty
//     document, a scalar, a sequence);
//   - apiVersion, kind, metadata.name or metadata.namespace is there and
//     not a string, or metadata is not a mapping (the head's conversions
//     and errors are the reference's);
//   - the kind is a List (injectList reads the YAML itself);
//   - a number is not an integer below 2^53 in magnitude, or is -0: the
//     tree holds numbers as float64, whose JSON is the YAML's number
//     text only for those;
//   - the strict decoding declines (an unknown or case-folded key, a type
//     mismatch: the lenient path's warnings are the reference's).
//
// It declines with the kinject_reference build tag.
func yamlDocument(raw []byte, doc *DocumentResult) (_ runtime.Object, _ *manifestKind, ok bool) {
	if !codec.Fast {
		return nil, nil, false
	}
	tree, ok := template.DecodeYAMLTree(raw)
	if !ok {
		return nil, nil, false
	}
	m, ok := tree.(map[string]any)
	if !ok || !stringOrAbsent(m, "apiVersion") || !stringOrAbsent(m, "kind") {
		return nil, nil, false
	}
	if md, there := m["metadata"]; there && md != nil {
		md, ok := md.(map[string]any)
		if !ok || !stringOrAbsent(md, "name") || !stringOrAbsent(md, "namespace") {
			return nil, nil, false
		}
	}
	head, err := treeHead(m)
	if err != nil {
		return nil, nil, false
	}
	kind, injectable := lookupKind(head.APIVersion, head.Kind)
	if !injectable {
		setHead(doc, &head)
		if w := unservedWarning(head.APIVersion, head.Kind); w != "" {
			doc.Warnings = append(doc.Warnings, w)
		}
		return nil, nil, true
	}
	if kind.list || !exactNumbers(tree) {
		return nil, nil, false
	}
	obj := kind.new()
	if !codec.DecodeTree(tree, obj) {
		return nil, nil, false
	}
	setHead(doc, &head)
	doc.Warnings = append(doc.Warnings, clampWarnings(obj)...)
	return obj, &kind, true
}

// stringOrAbsent reports whether m's key is absent, null or a string.
func stringOrAbsent(m map[string]any, key string) bool {
	switch m[key].(type) {
	case nil, string:
		return true
	}
	return false
}

// exactNumbers reports whether every number of a tree is an integer that
// float64 holds exactly (below 2^53 in magnitude) and not -0, so that its
// JSON (encoding/json's) is the text of the integer.
func exactNumbers(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			if !exactNumbers(e) {
				return false
			}
		}
	case []any:
		for _, e := range x {
			if !exactNumbers(e) {
				return false
			}
		}
	case float64:
		return x == math.Trunc(x) && math.Abs(x) < 1<<53 && !(x == 0 && math.Signbit(x))
	}
	return true
}
