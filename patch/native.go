package patch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"
)

// needsNative reports whether a pointer has an empty reference token (a
// member named ""). evanphx/json-patch resolves such a token to the parent
// when it reads a value, so Apply carries out patches with one itself.
func needsNative(pointer string) bool {
	return strings.Contains(pointer, "//") || strings.HasSuffix(pointer, "/")
}

// applyNative applies ops to doc on a decoded tree with RFC 6902 semantics.
// Numbers keep their text; object members come out sorted by key.
func applyNative(doc []byte, ops Patch) ([]byte, error) {
	root, err := decodeNumbers(doc)
	if err != nil {
		return nil, err
	}
	for k, o := range ops {
		if root, err = applyNativeOp(root, o); err != nil {
			return nil, fmt.Errorf("patch: operation %d (%s %s): %w", k, o.Op, o.Path, err)
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func decodeNumbers(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

func tokens(pointer string) []string {
	if pointer == "" {
		return nil
	}
	toks := strings.Split(pointer[1:], "/")
	for i, t := range toks {
		toks[i] = pointerUnescape(t)
	}
	return toks
}

func applyNativeOp(root any, o Operation) (any, error) {
	var value any
	if o.Value != nil {
		v, err := decodeNumbers(o.Value)
		if err != nil {
			return nil, fmt.Errorf("%w: value: %w", ErrInvalidPatch, err)
		}
		value = v
	}
	path := tokens(o.Path)
	switch o.Op {
	case "add":
		return nativeAdd(root, path, value)
	case "remove":
		_, r, err := nativeRemove(root, path)
		return r, err
	case "replace":
		if _, err := nativeGet(root, path); err != nil {
			return nil, err
		}
		if len(path) == 0 {
			return value, nil
		}
		return nativeUpdate(root, path, func(parent any, last string) (any, error) {
			if m, ok := parent.(map[string]any); ok {
				m[last] = value
				return m, nil
			}
			s := parent.([]any) // nativeGet found it
			i, _ := arrayIndex(last)
			s[i] = value
			return s, nil
		})
	case "test":
		got, err := nativeGet(root, path)
		if err != nil {
			return nil, err
		}
		if !reflect.DeepEqual(got, value) {
			return nil, fmt.Errorf("value differs: %w", jsonpatch.ErrTestFailed)
		}
		return root, nil
	case "copy":
		v, err := nativeGet(root, tokens(o.From))
		if err != nil {
			return nil, err
		}
		b, _ := json.Marshal(v)
		cp, _ := decodeNumbers(b)
		return nativeAdd(root, path, cp)
	case "move":
		v, r, err := nativeRemove(root, tokens(o.From))
		if err != nil {
			return nil, err
		}
		return nativeAdd(r, path, v)
	}
	return nil, fmt.Errorf("%w: unknown op %q", ErrInvalidPatch, o.Op)
}

func missing(tok string) error {
	return fmt.Errorf("member or element %q not found: %w", tok, jsonpatch.ErrMissing)
}

func nativeGet(node any, path []string) (any, error) {
	for _, t := range path {
		switch n := node.(type) {
		case map[string]any:
			v, ok := n[t]
			if !ok {
				return nil, missing(t)
			}
			node = v
		case []any:
			i, ok := arrayIndex(t)
			if !ok || i >= len(n) {
				return nil, missing(t)
			}
			node = n[i]
		default:
			return nil, missing(t)
		}
	}
	return node, nil
}

// nativeUpdate calls f with the parent of path's last token and stores
// what f returns in its place. path is not empty.
func nativeUpdate(node any, path []string, f func(parent any, last string) (any, error)) (any, error) {
	if len(path) == 1 {
		return f(node, path[0])
	}
	switch n := node.(type) {
	case map[string]any:
		child, ok := n[path[0]]
		if !ok {
			return nil, missing(path[0])
		}
		c, err := nativeUpdate(child, path[1:], f)
		if err != nil {
			return nil, err
		}
		n[path[0]] = c
		return n, nil
	case []any:
		i, ok := arrayIndex(path[0])
		if !ok || i >= len(n) {
			return nil, missing(path[0])
		}
		c, err := nativeUpdate(n[i], path[1:], f)
		if err != nil {
			return nil, err
		}
		n[i] = c
		return n, nil
	}
	return nil, missing(path[0])
}

func nativeAdd(root any, path []string, value any) (any, error) {
	if len(path) == 0 {
		return value, nil
	}
	return nativeUpdate(root, path, func(parent any, last string) (any, error) {
		switch p := parent.(type) {
		case map[string]any:
			p[last] = value
			return p, nil
		case []any:
			if last == "-" {
				return append(p, value), nil
			}
			i, ok := arrayIndex(last)
			if !ok || i > len(p) {
				return nil, fmt.Errorf("index %q out of range: %w", last, jsonpatch.ErrInvalidIndex)
			}
			return slices.Insert(p, i, value), nil
		}
		return nil, missing(last)
	})
}

func nativeRemove(root any, path []string) (any, any, error) {
	if len(path) == 0 {
		return nil, nil, fmt.Errorf("%w: cannot remove the whole document", ErrInvalidPatch)
	}
	var removed any
	r, err := nativeUpdate(root, path, func(parent any, last string) (any, error) {
		switch p := parent.(type) {
		case map[string]any:
			v, ok := p[last]
			if !ok {
				return nil, missing(last)
			}
			removed = v
			delete(p, last)
			return p, nil
		case []any:
			i, ok := arrayIndex(last)
			if !ok || i >= len(p) {
				return nil, missing(last)
			}
			removed = p[i]
			return slices.Delete(p, i, i+1), nil
		}
		return nil, missing(last)
	})
	return removed, r, err
}
