package inject

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// injectList injects every pod template of a List document, at any depth,
// and returns the document as istioctl prints it (tree is the document's,
// when decodeDocument has it): the List re-serialised,
// the injectable items (and the List itself) as their typed objects
// encode, every other item as it was read. Istio loses data in the other
// items (numbers beyond float64 become floats); kinject keeps their text
// and warns. The document is decoded once and printed once.
func injectList(ctx context.Context, i injecter, raw []byte, tree any, doc *DocumentResult, opts *ManifestOptions, nullTimestamps bool) ([]byte, error) {
	if tree == nil {
		var err error
		if tree, err = yamlTree(raw); err != nil {
			return nil, fmt.Errorf("decoding: %w", cleanYAMLError(err))
		}
	}
	m, ok := tree.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("decoding: a List is an object, not %s", jsonKindOf(tree))
	}
	l := listInjector{ctx: ctx, i: i, doc: doc, opts: opts, nullTimestamps: nullTimestamps}
	list, err := l.list(m, nil)
	if err != nil {
		return nil, err
	}
	if out, ok := listYAML(list); ok {
		return out, nil
	}
	out, warnings, err := emitYAML(list, raw)
	if err != nil {
		return nil, fmt.Errorf("encoding List: %w", err)
	}
	doc.Warnings = append(doc.Warnings, warnings...)
	return out, nil
}

type listInjector struct {
	ctx            context.Context
	i              injecter
	doc            *DocumentResult
	opts           *ManifestOptions
	nullTimestamps bool
}

// list handles one List (where locates it; nil for the document).
func (l *listInjector) list(m map[string]any, where *location) (map[string]any, error) {
	items, hasItems := m["items"]
	delete(m, "items")
	// The List itself is typed in Istio (corev1.List): what it does not
	// know of the envelope is dropped.
	t, err := l.typed(m, listKind, where)
	if err != nil {
		return nil, err
	}
	env, ok := t.(map[string]any)
	if !ok {
		return nil, itemError(where, fmt.Errorf("encoding: a List encodes as %s", jsonKindOf(t)))
	}
	if !hasItems {
		return env, nil
	}
	list, isList := items.([]any)
	if !isList {
		if items == nil {
			return env, nil
		}
		return nil, itemError(where, fmt.Errorf("items: want a list, got %s", jsonKindOf(items)))
	}
	for n, item := range list {
		if n%256 == 0 {
			if err := l.ctx.Err(); err != nil {
				return nil, err
			}
		}
		at := &location{parent: where, index: n}
		im, ok := item.(map[string]any)
		if !ok {
			if item == nil {
				continue // null stays null, as in Istio
			}
			return nil, itemError(at, fmt.Errorf("want an object, got %s", jsonKindOf(item)))
		}
		head, err := treeHead(im)
		if err != nil {
			return nil, itemError(at, err)
		}
		kind, ok := lookupKind(head.APIVersion, head.Kind)
		if !ok {
			if w := unservedWarning(head.APIVersion, head.Kind); w != "" {
				l.doc.Warnings = append(l.doc.Warnings, at.prefix()+w)
			}
			continue // printed as it was read, like Istio
		}
		if head.Metadata.Name != "" {
			at.label = fmt.Sprintf(" (%s %q)", strings.ToLower(head.Kind), head.Metadata.Name)
		}
		if kind.list {
			if list[n], err = l.list(im, at); err != nil {
				return nil, err
			}
			continue
		}
		if list[n], err = l.typed(im, kind, at); err != nil {
			return nil, err
		}
	}
	env["items"] = list
	return env, nil
}

// typed decodes an item (or a List's envelope) as its typed object, as
// Istio does, injects it, and returns the tree of its encoding.
func (l *listInjector) typed(m map[string]any, kind manifestKind, where *location) (any, error) {
	j, err := json.Marshal(m)
	if err != nil {
		return nil, itemError(where, err)
	}
	obj, warnings, err := decodeTyped(j, j, kind)
	if err != nil {
		return nil, itemError(where, err)
	}
	for _, w := range warnings {
		l.doc.Warnings = append(l.doc.Warnings, where.prefix()+w)
	}
	if !kind.list {
		if err := injectObject(l.ctx, l.i, obj, l.doc, l.opts, where); err != nil {
			return nil, err
		}
	}
	out, err := typedJSON(obj, l.nullTimestamps)
	if err != nil {
		return nil, itemError(where, fmt.Errorf("encoding: %w", err))
	}

	return jsonTree(out)
}

// treeHead reads an item's head as istioctl does (sigs.k8s.io/yaml into a
// TypeMeta: a number or boolean becomes its text; an object or list is an
// error).
func treeHead(m map[string]any) (objectHead, error) {
	var h objectHead
	var err error
	if h.APIVersion, err = headString(m, "apiVersion"); err != nil {
		return h, err
	}
	if h.Kind, err = headString(m, "kind"); err != nil {
		return h, err
	}
	if md, ok := m["metadata"].(map[string]any); ok {
		if h.Metadata.Name, err = headString(md, "name"); err != nil {
			return h, fmt.Errorf("metadata.%w", err)
		}
		if h.Metadata.Namespace, err = headString(md, "namespace"); err != nil {
			return h, fmt.Errorf("metadata.%w", err)
		}
	}
	return h, nil
}

func headString(m map[string]any, key string) (string, error) {
	switch v := m[key].(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case bool:
		return strconv.FormatBool(v), nil
	case json.Number:
		if f, err := v.Float64(); err == nil && !strings.ContainsAny(string(v), ".eE") {
			return string(v), nil
		} else if err == nil {
			return strconv.FormatFloat(f, 'g', -1, 32), nil // as sigs.k8s.io/yaml turns a float into a string
		}
		return string(v), nil
	case keptNumber:
		return v.text, nil
	default:
		return "", fmt.Errorf("%s: want a string, got %s", key, jsonKindOf(v))
	}
}

// jsonKindOf names the JSON kind of a tree value for messages.
func jsonKindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, keptNumber:
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}

// location is a List item's place in its document. It becomes text only
// for a message: building the text at every level would make deep nesting
// quadratic.
type location struct {
	parent *location
	index  int
	label  string // ` (pod "p")`, or ""
}

// prefix is the location as messages start with it, `items[0]: items[3]
// (pod "p"): `, or "" for the document itself.
func (l *location) prefix() string {
	if l == nil {
		return ""
	}
	var parts []string
	for x := l; x != nil; x = x.parent {
		parts = append(parts, "items["+strconv.Itoa(x.index)+"]"+x.label)
	}
	slices.Reverse(parts)
	return strings.Join(parts, ": ") + ": "
}
