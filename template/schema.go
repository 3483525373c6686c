package template

import (
	"bytes"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/kinject/kinject/internal/codec"
	corev1 "k8s.io/api/core/v1"
	yamlv3 "sigs.k8s.io/yaml/goyaml.v3"
)

// podPlan is corev1.Pod's JSON shape (internal/codec), against which
// every rendered document is checked: a template's typo (an unknown field,
// a list where a mapping belongs) is rejected with its path rather than
// dropped silently.
var podPlan = codec.PlanFor[corev1.Pod]()

// checkTree walks v against p and returns the path of the first problem
// and a message, or "" when v fits. null is accepted anywhere (it deletes
// in a strategic merge), as are strategic-merge directives ($patch,
// $retainKeys, $setElementOrder/..., $deleteFromPrimitiveList/...). Types
// with their own JSON decoding accept anything, except resource.Quantity,
// which must be a number or a string that parses.
func checkTree(p *codec.Plan, v any) ([]any, string) {
	if walkTree(p, v, nil, false) == "" {
		return nil, ""
	}
	// Walk again in key order, so the problem reported is the same on
	// every run when there are several.
	var path []any
	msg := walkTree(p, v, &path, true)
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

// walkTree checks v; path, when not nil, collects where the problem is,
// and sorted walks maps in key order.
func walkTree(p *codec.Plan, v any, path *[]any, sorted bool) string {
	p = p.Deref()
	if v == nil {
		return ""
	}
	if p.Special == codec.Quantity {
		switch q := v.(type) {
		case float64:
		case string:
			if err := quantityOK(q); err != nil {
				return "not a quantity: " + shortQuote(q)
			}
		default:
			return "want a quantity, got a " + jsonKind(v)
		}
		return ""
	}
	if p.Unmarshal != codec.NoMethod {
		return ""
	}
	switch p.Kind {
	case codec.Struct, codec.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return "want a mapping, got a " + jsonKind(v)
		}
		member := func(k string) (*codec.Plan, bool) {
			if p.Kind == codec.Map {
				return p.Elem, true
			}
			if f := p.FieldByName(k); f != nil {
				return f.Plan, true
			}
			return nil, false
		}
		if !sorted {
			for k, x := range m {
				if strings.HasPrefix(k, "$") {
					continue
				}
				e, ok := member(k)
				if !ok {
					return "unknown field"
				}
				if msg := walkTree(e, x, nil, false); msg != "" {
					return msg
				}
			}
			return ""
		}
		for _, k := range sortedKeys(m) {
			if strings.HasPrefix(k, "$") {
				continue
			}
			e, ok := member(k)
			push(path, k)
			if !ok {
				return "unknown field"
			}
			if msg := walkTree(e, m[k], path, true); msg != "" {
				return msg
			}
			pop(path)
		}
	case codec.Slice:
		l, ok := v.([]any)
		if !ok {
			return "want a list, got a " + jsonKind(v)
		}
		for i, x := range l {
			push(path, i)
			if msg := walkTree(p.Elem, x, path, sorted); msg != "" {
				return msg
			}
			pop(path)
		}
	case codec.String, codec.Bytes:
		if _, ok := v.(string); !ok {
			return "want a string, got a " + jsonKind(v)
		}
	case codec.Int, codec.Uint, codec.Float:
		f, ok := v.(float64)
		if !ok {
			return "want a number, got a " + jsonKind(v)
		}
		if p.Kind != codec.Float {
			if f != math.Trunc(f) {
				return "want a whole number, got " + strconv.FormatFloat(f, 'g', -1, 64)
			}
			if f < p.Min || f >= p.Max {
				return "number " + strconv.FormatFloat(f, 'g', -1, 64) + " is out of range"
			}
		}
	case codec.Bool:
		if _, ok := v.(bool); !ok {
			return "want a boolean, got a " + jsonKind(v)
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
