package patch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/kinject/kinject/internal/codec"
)

// ErrInvalidPatch reports an operation that is not valid RFC 6902: an
// unknown op, a malformed path or from, or a missing or invalid value.
var ErrInvalidPatch = errors.New("invalid patch")

// Operation is one RFC 6902 operation: "add", "remove", "replace", "move",
// "copy" or "test". Path and From are RFC 6901 JSON pointers; Value is the
// raw JSON value, where a JSON null is the four bytes null and a nil Value
// means no value.
type Operation struct {
	// Op is the operation's name, such as "add" or "replace".
	Op string `json:"op"`
	// Path is the JSON pointer the operation acts on ("" is the whole
	// document).
	Path string `json:"path"`
	// From is the JSON pointer "move" and "copy" read ("" is the whole
	// document); applying another operation ignores it.
	From string `json:"from,omitempty"`
	// Value is the raw JSON value "add", "replace" and "test" require;
	// applying another operation ignores it.
	Value json.RawMessage `json:"value,omitempty"`
}

// Patch is an RFC 6902 JSON patch: operations applied in order.
type Patch []Operation

// MarshalJSON encodes the operation with its members in the order op, path,
// from, value. From is written for "move" and "copy" even when it is ""
// (the whole document). Value is written compact, and must be valid JSON.
func (o Operation) MarshalJSON() ([]byte, error) {
	return o.appendJSON(nil)
}

func (o Operation) appendJSON(dst []byte) ([]byte, error) {
	dst = append(dst, `{"op":`...)
	dst = codec.AppendQuote(dst, o.Op, 0)
	dst = append(dst, `,"path":`...)
	dst = codec.AppendQuote(dst, o.Path, 0)
	if o.From != "" || o.Op == "move" || o.Op == "copy" {
		dst = append(dst, `,"from":`...)
		dst = codec.AppendQuote(dst, o.From, 0)
	}
	if o.Value != nil {
		if !valid(o.Value) {
			return nil, fmt.Errorf("patch: %s %s: %w: value is not valid JSON", o.Op, o.Path, ErrInvalidPatch)
		}
		dst = append(dst, `,"value":`...)
		dst = appendCompact(dst, bytes.TrimSpace(o.Value))
	}
	return append(dst, '}'), nil
}

// MarshalJSON encodes the patch as a JSON array; an empty or nil patch is
// [], never null, so it can be sent as an admission response patch as is.
func (p Patch) MarshalJSON() ([]byte, error) {
	n := 2
	for _, o := range p {
		n += len(o.Op) + len(o.Path) + len(o.From) + len(o.Value) + 40
	}
	dst := make([]byte, 0, n)
	dst = append(dst, '[')
	for k, o := range p {
		if k > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = o.appendJSON(dst); err != nil {
			return nil, fmt.Errorf("operation %d: %w", k, err)
		}
	}
	return append(dst, ']'), nil
}

// String returns the patch as JSON, or the error that prevents it.
func (p Patch) String() string {
	b, err := p.MarshalJSON()
	if err != nil {
		return "invalid patch: " + err.Error()
	}
	return string(b)
}

// Apply applies the patch to the JSON document doc and returns the result,
// using github.com/evanphx/json-patch/v5, the library the Kubernetes API
// server uses, with RFC 6902 semantics: negative array indices are refused.
// Operations on the whole document (path ""), which that library does not
// support for every value, are carried out here, and so is a patch with a
// path through a member named "" (an empty reference token, as in /a//b),
// which that library resolves to the parent; such a patch gives its result
// with object members sorted by key. doc is not modified.
//
// An error names the operation (its index, op and path) and wraps
// ErrInvalidPatch for a malformed operation, ErrInvalidJSON for a
// malformed document, or the library's error (jsonpatch.ErrMissing,
// jsonpatch.ErrTestFailed, ...) for an operation that does not apply.
func (p Patch) Apply(doc []byte) ([]byte, error) {
	if _, err := parse("target", doc); err != nil {
		return nil, err
	}
	for k, o := range p {
		if err := o.validate(); err != nil {
			return nil, fmt.Errorf("patch: operation %d (%s %s): %w", k, o.Op, o.Path, err)
		}
	}
	for _, o := range p {
		if needsNative(o.Path) || needsNative(o.From) {
			return applyNative(doc, p)
		}
	}
	cur := trimWS(doc)
	for start := 0; start < len(p); {
		if o := p[start]; o.whole() {
			next, err := applyWhole(cur, o)
			if err != nil {
				return nil, fmt.Errorf("patch: operation %d (%s %s): %w", start, o.Op, o.Path, err)
			}
			if next != nil {
				cur = next
				start++
				continue
			}
		}
		end := start + 1
		for end < len(p) && !p[end].whole() {
			end++
		}
		next, err := applyBatch(cur, p[start:end], start)
		if err != nil {
			return nil, err
		}
		cur = next
		start = end
	}
	if len(p) == 0 {
		return bytes.Clone(cur), nil
	}
	return cur, nil
}

// whole reports whether o reads or writes the whole document.
func (o Operation) whole() bool {
	return o.Path == "" || (o.Op == "move" || o.Op == "copy") && o.From == ""
}

func (o Operation) validate() error {
	switch o.Op {
	case "add", "replace", "test":
		if o.Value == nil {
			return fmt.Errorf("%w: missing value", ErrInvalidPatch)
		}
		if !valid(o.Value) {
			return fmt.Errorf("%w: value is not valid JSON", ErrInvalidPatch)
		}
	case "move", "copy":
		if err := validPointer(o.From); err != nil {
			return fmt.Errorf("%w: from: %w", ErrInvalidPatch, err)
		}
		if o.Op == "move" && o.From != o.Path && strings.HasPrefix(o.Path, o.From+"/") {
			return fmt.Errorf("%w: cannot move %q into its own child", ErrInvalidPatch, o.From)
		}
	case "remove":
	default:
		return fmt.Errorf("%w: unknown op %q", ErrInvalidPatch, o.Op)
	}
	if err := validPointer(o.Path); err != nil {
		return fmt.Errorf("%w: path: %w", ErrInvalidPatch, err)
	}
	return nil
}

func validPointer(s string) error {
	if s == "" {
		return nil
	}
	if s[0] != '/' {
		return fmt.Errorf("pointer %q does not start with /", s)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("pointer %q is not valid UTF-8", s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '~' && (i+1 == len(s) || s[i+1] != '0' && s[i+1] != '1') {
			return fmt.Errorf("pointer %q has ~ not followed by 0 or 1", s)
		}
	}
	return nil
}

// applyWhole carries out an operation on the whole document. It returns
// nil, nil for a copy from the whole document into a member, which
// applyBatch does.
func applyWhole(doc []byte, o Operation) ([]byte, error) {
	switch o.Op {
	case "add", "replace":
		return appendCompact(nil, trimWS(o.Value)), nil
	case "remove":
		return nil, fmt.Errorf("%w: cannot remove the whole document", ErrInvalidPatch)
	case "test":
		a, err := parse("target", doc)
		if err != nil {
			return nil, err
		}
		b, err := parse("test value", o.Value)
		if err != nil {
			return nil, err
		}
		if !equalNodes(a, 0, b, 0) {
			return nil, fmt.Errorf("document is not equal to the value: %w", jsonpatch.ErrTestFailed)
		}
		return doc, nil
	}
	// move or copy
	if o.Path != "" {
		return nil, nil // copy of the whole document into a member
	}
	d, err := parse("target", doc)
	if err != nil {
		return nil, err
	}
	i, err := resolve(d, o.From)
	if err != nil {
		return nil, err
	}
	return appendCompact(nil, d.raw(i)), nil
}

// resolve returns the node at an RFC 6901 pointer.
func resolve(d *document, pointer string) (int32, error) {
	i := int32(0)
	if pointer == "" {
		return 0, nil
	}
	for _, tok := range strings.Split(pointer[1:], "/") {
		n := &d.nodes[i]
		found := int32(-1)
		switch n.kind {
		case kObject:
			key := []byte(pointerUnescape(tok))
			for c := i + 1; c < n.next; c = d.nodes[c].next {
				if bytes.Equal(d.key(c), key) {
					found = c
					break
				}
			}
		case kArray:
			k, ok := arrayIndex(tok)
			if ok && k < int(n.count) {
				c := i + 1
				for range k {
					c = d.nodes[c].next
				}
				found = c
			}
		}
		if found < 0 {
			return 0, fmt.Errorf("%q not found: %w", pointer, jsonpatch.ErrMissing)
		}
		i = found
	}
	return i, nil
}

// arrayIndex parses an RFC 6901 array index: digits without leading zeros.
func arrayIndex(tok string) (int, bool) {
	if tok == "" || len(tok) > 9 || len(tok) > 1 && tok[0] == '0' {
		return 0, false
	}
	n := 0
	for i := 0; i < len(tok); i++ {
		if tok[i] < '0' || tok[i] > '9' {
			return 0, false
		}
		n = n*10 + int(tok[i]-'0')
	}
	return n, true
}

func applyOptions() *jsonpatch.ApplyOptions {
	opts := jsonpatch.NewApplyOptions()
	opts.SupportNegativeIndices = false
	opts.EscapeHTML = false
	return opts
}

// applyBatch applies operations that address members of the document with
// evanphx/json-patch. first is the index of ops[0] in the whole patch.
func applyBatch(doc []byte, ops Patch, first int) ([]byte, error) {
	if len(doc) == 0 || doc[0] != '{' && doc[0] != '[' {
		o := ops[0]
		return nil, fmt.Errorf("patch: operation %d (%s %s): the document is a %s, not an object or array: %w",
			first, o.Op, o.Path, scalarName(doc), jsonpatch.ErrMissing)
	}
	ep := make(jsonpatch.Patch, len(ops))
	for k, o := range ops {
		ep[k] = o.evanphx(doc)
	}
	opts := applyOptions()
	out, err := ep.ApplyWithOptions(doc, opts)
	if err == nil {
		return out, nil
	}
	// Find the operation that failed, for the error message.
	cur := doc
	for k := range ep {
		next, err1 := ep[k:k+1].ApplyWithOptions(cur, opts)
		if err1 != nil {
			o := ops[k]
			return nil, fmt.Errorf("patch: operation %d (%s %s): %w", first+k, o.Op, o.Path, err1)
		}
		cur = next
	}
	return nil, fmt.Errorf("patch: operations %d to %d: %w", first, first+len(ops)-1, err)
}

func scalarName(doc []byte) string {
	switch {
	case len(doc) == 0:
		return "nothing"
	case doc[0] == '"':
		return "string"
	case doc[0] == 't' || doc[0] == 'f':
		return "boolean"
	case doc[0] == 'n':
		return "null"
	}
	return "number"
}

// evanphx converts o for evanphx/json-patch. A copy from the whole
// document becomes an add of doc.
func (o Operation) evanphx(doc []byte) jsonpatch.Operation {
	raw := func(b []byte) *json.RawMessage {
		r := json.RawMessage(b)
		return &r
	}
	op := jsonpatch.Operation{
		"op":   raw(codec.AppendQuote(nil, o.Op, 0)),
		"path": raw(codec.AppendQuote(nil, o.Path, 0)),
	}
	switch o.Op {
	case "move", "copy":
		if o.From == "" {
			op["op"] = raw([]byte(`"add"`))
			op["value"] = raw(doc)
			break
		}
		op["from"] = raw(codec.AppendQuote(nil, o.From, 0))
	case "add", "replace", "test":
		op["value"] = raw(o.Value)
	}
	return op
}

func trimWS(b []byte) []byte {
	return bytes.Trim(b, " \t\r\n")
}
