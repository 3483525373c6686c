package inject

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	goyaml "sigs.k8s.io/yaml/goyaml.v2"
)

// A List document is handled as a tree: decoded once, walked once, printed
// once, so time and memory grow linearly with its size and nesting (typed
// decoding of each level's items, as istioctl does, made nested Lists
// quadratic). The tree is what sigs.k8s.io/yaml.YAMLToJSON gives decoded
// with json.Decoder.UseNumber: map[string]any, []any, string, bool, nil and
// json.Number, except for keptNumber.

// keptNumber is a number whose text YAMLToJSON would change in value
// (12345678901234567890123 becomes 1.2345678901234568e+22): it is printed
// as written, and decodes into a typed object as YAMLToJSON writes it.
type keptNumber struct {
	text string // as written in the document
	json string // as YAMLToJSON writes it
}

// MarshalJSON gives the number as YAMLToJSON writes it, which is what a
// typed item decodes (as in Istio).
func (n keptNumber) MarshalJSON() ([]byte, error) { return []byte(n.json), nil }

// treeNode decodes one YAML node with yaml.v2 (what sigs.k8s.io/yaml uses)
// into the tree form. Each node is decoded once: a mapping or sequence
// decodes its children as treeNodes.
type treeNode struct{ v any }

// UnmarshalYAML implements yaml.v2's Unmarshaler.
func (n *treeNode) UnmarshalYAML(unmarshal func(any) error) error {
	var m map[any]*treeNode
	if err := unmarshal(&m); err == nil {
		if m == nil { // null
			return nil
		}
		// Keys of different YAML types can make the same string (1 and
		// 1.0 are both "1"); YAMLToJSON then keeps whichever its map
		// iteration meets last. The tree keeps the last in a fixed order.
		type entry struct {
			key  string
			rank int
			v    any
		}
		entries := make([]entry, 0, len(m))
		for k, c := range m {
			ks, err := treeKey(k)
			if err != nil {
				return err
			}
			e := entry{key: ks, rank: keyRank(k)}
			if c != nil {
				e.v = c.v
			}
			entries = append(entries, e)
		}
		slices.SortFunc(entries, func(a, b entry) int {
			return cmp.Or(strings.Compare(a.key, b.key), a.rank-b.rank)
		})
		out := make(map[string]any, len(entries))
		for _, e := range entries {
			out[e.key] = e.v
		}
		n.v = out
		return nil
	}
	var l []*treeNode
	if err := unmarshal(&l); err == nil {
		out := make([]any, len(l))
		for k, c := range l {
			if c != nil {
				out[k] = c.v
			}
		}
		n.v = out
		return nil
	}
	var x any
	if err := unmarshal(&x); err != nil {
		return err
	}
	switch x := x.(type) {
	case int:
		n.v = json.Number(strconv.Itoa(x))
	case int64:
		n.v = json.Number(strconv.FormatInt(x, 10))
	case uint64:
		n.v = json.Number(strconv.FormatUint(x, 10))
	case float64:
		j, err := json.Marshal(x)
		if err != nil {
			return err // Inf and NaN, as YAMLToJSON fails
		}
		var text string
		if unmarshal(&text) == nil && !sameDecimal(text, string(j)) {
			n.v = keptNumber{text: text, json: string(j)}
			return nil
		}
		n.v = json.Number(j)
	default:
		n.v = x
	}
	return nil
}

// keyRank orders keys of different YAML types that make the same string.
func keyRank(k any) int {
	switch k.(type) {
	case string:
		return 0
	case int, int64:
		return 1
	case float64:
		return 2
	}
	return 3
}

// treeKey turns a YAML mapping key into the string YAMLToJSON uses.
func treeKey(k any) (string, error) {
	switch k := k.(type) {
	case string:
		return k, nil
	case int:
		return strconv.Itoa(k), nil
	case int64:
		return strconv.FormatInt(k, 10), nil
	case float64:
		s := strconv.FormatFloat(k, 'g', -1, 32)
		switch s {
		case "+Inf":
			s = ".inf"
		case "-Inf":
			s = "-.inf"
		case "NaN":
			s = ".nan"
		}
		return s, nil
	case bool:
		return strconv.FormatBool(k), nil
	}
	return "", fmt.Errorf("a mapping key that is not a string, number or boolean (%v)", k)
}

// yamlTree decodes a YAML document into the tree form, as YAMLToJSON would
// (duplicate keys: the later value wins).
func yamlTree(doc []byte) (any, error) {
	var n treeNode
	if err := goyaml.Unmarshal(doc, &n); err != nil {
		return nil, err
	}
	return n.v, nil
}

// jsonTree decodes JSON into the tree form.
func jsonTree(j []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// sameDecimal reports whether two decimal numbers (YAML's, with
// underscores, and JSON's) have the same value. Exponents are compared as
// numbers without computing powers, so a hostile exponent costs nothing.
func sameDecimal(a, b string) bool {
	da, ok1 := parseDecimal(strings.ReplaceAll(a, "_", ""))
	db, ok2 := parseDecimal(b)
	return ok1 && ok2 && da == db
}

// decimal is a number as sign, significant digits (no leading or trailing
// zeros) and the exponent of the last digit.
type decimal struct {
	neg    bool
	digits string
	exp    int64
}

func parseDecimal(s string) (decimal, bool) {
	var d decimal
	if s != "" && (s[0] == '-' || s[0] == '+') {
		d.neg = s[0] == '-'
		s = s[1:]
	}
	mant, exp, hasExp := strings.Cut(s, "e")
	if !hasExp {
		mant, exp, hasExp = strings.Cut(s, "E")
	}
	if hasExp {
		e, err := strconv.ParseInt(exp, 10, 32)
		if err != nil {
			return d, false
		}
		d.exp = e
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := intPart + frac
	if digits == "" {
		return d, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return d, false
		}
	}
	d.exp -= int64(len(frac))
	trimmed := strings.TrimRight(digits, "0")
	d.exp += int64(len(digits) - len(trimmed))
	d.digits = strings.TrimLeft(trimmed, "0")
	if d.digits == "" {
		return decimal{}, true // zero, whatever its sign and exponent
	}
	return d, true
}

// maxBlockDepth is how deep the tree is printed in YAML's block style, as
// istioctl prints it; deeper nodes are printed in flow style (JSON), so
// that indentation, which grows with depth, does not make the output
// quadratic in the nesting (3,000 nested Lists printed 37 MB). No
// Kubernetes object comes near it: a Pod in a Deployment in a List sits
// at depth 10.
const maxBlockDepth = 64

// emitter prints a tree as YAML, the way istioctl does (yaml.v2's block
// style, sorted keys, numbers as the YAML parser resolves their JSON
// text), except that kept numbers keep their text and nodes deeper than
// maxBlockDepth are printed in flow style. yaml.v2 cannot print either,
// so each is given to it as a placeholder string, replaced afterwards.
type emitter struct {
	prefix   string   // of every placeholder
	texts    []string // what placeholder k stands for
	warnings []string
}

// emitYAML prints tree, read from doc; warnings name each kept number.
// The placeholders carry a digest of doc, which no text of the document
// (nor of what is injected into it) holds in practice; should one, the
// next digest is tried, so the output stays deterministic.
func emitYAML(tree any, doc []byte) ([]byte, []string, error) {
	sum := sha256.Sum256(doc)
	for try := 0; ; try++ {
		e := &emitter{prefix: fmt.Sprintf("kinject-placeholder-%x-%d-", sum[:8], try)}
		out, err := goyaml.Marshal(e.block(tree, 0, nil))
		if err != nil {
			return nil, nil, err
		}
		// Each placeholder is printed once, plain; if the tree's own text
		// holds the prefix, try another.
		if bytes.Count(out, []byte(e.prefix)) != len(e.texts) {
			continue
		}
		if len(e.texts) == 0 {
			return out, e.warnings, nil
		}
		var b bytes.Buffer
		b.Grow(len(out))
		for {
			i := bytes.Index(out, []byte(e.prefix))
			if i < 0 {
				b.Write(out)
				break
			}
			b.Write(out[:i])
			out = out[i+len(e.prefix):]
			j := 0
			for j < len(out) && out[j] >= '0' && out[j] <= '9' {
				j++
			}
			k, err := strconv.Atoi(string(out[:j]))
			if err != nil || k >= len(e.texts) {
				return nil, nil, errors.New("inject: placeholder lost in YAML output")
			}
			b.WriteString(e.texts[k])
			out = out[j:]
		}
		return b.Bytes(), e.warnings, nil
	}
}

func (e *emitter) placeholder(text string) string {
	e.texts = append(e.texts, text)
	return e.prefix + strconv.Itoa(len(e.texts)-1)
}

// block converts a tree node for yaml.v2; path locates it for warnings
// (keys, and list indexes as "[k]").
func (e *emitter) block(v any, depth int, path []string) any {
	switch x := v.(type) {
	case map[string]any:
		if depth >= maxBlockDepth {
			return e.placeholder(string(e.flow(nil, x, path)))
		}
		out := make(map[string]any, len(x))
		for k, c := range x {
			out[k] = e.block(c, depth+1, append(path, k))
		}
		return out
	case []any:
		if depth >= maxBlockDepth {
			return e.placeholder(string(e.flow(nil, x, path)))
		}
		out := make([]any, len(x))
		for k, c := range x {
			out[k] = e.block(c, depth+1, append(path, "["+strconv.Itoa(k)+"]"))
		}
		return out
	case json.Number:
		y := yamlNumbers(x)
		if f, ok := y.(float64); ok {
			if printed := strconv.FormatFloat(f, 'g', -1, 64); !sameDecimal(string(x), printed) {
				// A JSON document's number yaml.v2 would round.
				e.keep(keptNumber{text: string(x), json: printed}, path)
				return e.placeholder(string(x))
			}
		}
		return y
	case keptNumber:
		e.keep(x, path)
		return e.placeholder(x.text)
	}
	return v
}

func (e *emitter) keep(n keptNumber, path []string) {
	e.warnings = append(e.warnings, fmt.Sprintf("%s: the number %s is kept as written (istioctl prints %s)",
		treePath(path), shortText(n.text), shortText(n.json)))
}

// treePath joins a node's path: keys, and list indexes as "[k]".
func treePath(path []string) string {
	s := ""
	for _, p := range path {
		if strings.HasPrefix(p, "[") {
			s += p
		} else {
			s = joinPath(s, p)
		}
	}
	return s
}

// flow appends v as JSON text, which is YAML flow style: keys sorted,
// numbers as written.
func (e *emitter) flow(b []byte, v any, path []string) []byte {
	switch x := v.(type) {
	case map[string]any:
		b = append(b, '{')
		for k, key := range slices.Sorted(maps.Keys(x)) {
			if k > 0 {
				b = append(b, ',')
			}
			b = appendJSONText(b, key)
			b = append(b, ':')
			b = e.flow(b, x[key], append(path, key))
		}
		return append(b, '}')
	case []any:
		b = append(b, '[')
		for k, c := range x {
			if k > 0 {
				b = append(b, ',')
			}
			b = e.flow(b, c, append(path, "["+strconv.Itoa(k)+"]"))
		}
		return append(b, ']')
	case json.Number:
		if f, ok := yamlNumbers(x).(float64); ok {
			if printed := strconv.FormatFloat(f, 'g', -1, 64); !sameDecimal(string(x), printed) {
				e.keep(keptNumber{text: string(x), json: printed}, path)
			}
		}
		return append(b, x...)
	case keptNumber:
		e.keep(x, path)
		return append(b, x.text...)
	case string:
		return appendJSONText(b, x)
	case bool:
		return strconv.AppendBool(b, x)
	case nil:
		return append(b, "null"...)
	}
	j, _ := json.Marshal(v)
	return append(b, j...)
}

// appendJSONText appends s as a JSON string (a YAML double-quoted scalar).
func appendJSONText(b []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

// shortText cuts a number's text for a message.
func shortText(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// jsonDocument decodes a document that is JSON (the form kubectl -o json
// prints and generated manifests use) into the tree form with
// encoding/json, in time linear in its size whatever its nesting (yaml.v2
// keeps a simple-key slot per open flow collection and scans them all at
// every token, which is quadratic in the depth). JSON is YAML, and yaml.v2
// reads it the same way but for the forms of numbers, which the tree keeps
// as written and the printing resolves as yaml.v2 would. ok is false when
// doc is not JSON; duplicates names each duplicate key (the later value is
// kept, as yaml.v2 keeps it).
func jsonDocument(doc []byte) (tree any, duplicates []string, ok bool) {
	t := bytes.TrimLeft(doc, " \t\r\n")
	if len(t) == 0 || t[0] != '{' {
		return nil, nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(t))
	dec.UseNumber()
	var path []string
	var value func() (any, bool)
	value = func() (any, bool) {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		switch x := tok.(type) {
		case json.Delim:
			switch x {
			case '{':
				m := map[string]any{}
				for dec.More() {
					kt, err := dec.Token()
					if err != nil {
						return nil, false
					}
					k, _ := kt.(string)
					path = append(path, k)
					v, ok := value()
					if !ok {
						return nil, false
					}
					if _, dup := m[k]; dup {
						duplicates = append(duplicates, "duplicate key "+treePath(path)+": the later value is used")
					}
					path = path[:len(path)-1]
					m[k] = v
				}
				if _, err := dec.Token(); err != nil { // '}'
					return nil, false
				}
				return m, true
			case '[':
				l := []any{}
				for dec.More() {
					path = append(path, "["+strconv.Itoa(len(l))+"]")
					v, ok := value()
					path = path[:len(path)-1]
					if !ok {
						return nil, false
					}
					l = append(l, v)
				}
				if _, err := dec.Token(); err != nil { // ']'
					return nil, false
				}
				return l, true
			}
			return nil, false
		}
		return tok, true
	}
	v, ok := value()
	if !ok {
		return nil, nil, false
	}
	if _, err := dec.Token(); err != io.EOF { // nothing but blanks may follow
		return nil, nil, false
	}
	return v, duplicates, true
}
