package inject

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
)

// Encoding pods is a hot path of every cold injection: the patch is the
// difference of the original and the injected pod's JSON. encodePod writes
// exactly the bytes encoding/json writes for a *corev1.Pod (field order,
// omitempty, sorted map keys, HTML-safe string escaping, the types' own
// MarshalJSON), from a plan computed once from the struct tags, without
// encoding/json's per-value reflection dispatch. Anything the plan does not
// model makes it hand over to encoding/json (errEncodeFallback), so the
// output never differs; TestEncodePodMatchesJSON and FuzzEncodePod hold it
// to that.

// errEncodeFallback reports a value encodePod leaves to encoding/json.
var errEncodeFallback = errors.New("pod encoder: use encoding/json")

// jsonMarshal encodes v as encoding/json does, pods the fast way.
func jsonMarshal(v any) ([]byte, error) {
	if p, ok := v.(*corev1.Pod); ok && p != nil {
		if b, err := encodePod(make([]byte, 0, 4096), p); err == nil {
			return b, nil
		}
	}
	return json.Marshal(v)
}

// appendPodJSON appends p's JSON as encoding/json writes it.
func appendPodJSON(b []byte, p *corev1.Pod) ([]byte, error) {
	if out, err := encodePod(b, p); err == nil {
		return out, nil
	}
	js, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	return append(b, js...), nil
}

type encKind uint8

const (
	encUnsupported encKind = iota
	encStruct
	encPointer
	encSlice
	encMap
	encString
	encBool
	encInt
	encUint
	encFloat64
	encMarshaler // a value-receiver json.Marshaler
)

// encPlan is the encoding recipe of one Go type; built once, only read.
type encPlan struct {
	kind   encKind
	typ    reflect.Type
	elem   *encPlan
	fields []encField
}

// encField is one JSON member of a struct, in encoding/json's order.
type encField struct {
	key       string // `"name":`
	index     []int
	omitEmpty bool
	plan      *encPlan
}

var podEncPlan = buildEncPlan(reflect.TypeOf(corev1.Pod{}), map[reflect.Type]*encPlan{})

var (
	jsonMarshalerType = reflect.TypeOf((*json.Marshaler)(nil)).Elem()
	textMarshalerType = reflect.TypeOf((*encoding.TextMarshaler)(nil)).Elem()
)

func buildEncPlan(t reflect.Type, seen map[reflect.Type]*encPlan) *encPlan {
	if p, ok := seen[t]; ok {
		return p
	}
	p := &encPlan{typ: t}
	seen[t] = p
	if t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface {
		switch {
		case t.Implements(jsonMarshalerType):
			p.kind = encMarshaler
			return p
		case reflect.PointerTo(t).Implements(jsonMarshalerType),
			t.Implements(textMarshalerType), reflect.PointerTo(t).Implements(textMarshalerType):
			return p // addressability and text rules: encoding/json's job
		}
	}
	switch t.Kind() {
	case reflect.Pointer:
		p.kind = encPointer
		p.elem = buildEncPlan(t.Elem(), seen)
	case reflect.Struct:
		p.kind = encStruct
		names := map[string]bool{}
		if !addEncFields(p, t, nil, names, seen) {
			p.kind, p.fields = encUnsupported, nil
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return p // base64
		}
		p.kind = encSlice
		p.elem = buildEncPlan(t.Elem(), seen)
	case reflect.Map:
		if t.Key().Kind() != reflect.String || t.Key().Implements(textMarshalerType) {
			return p
		}
		p.kind = encMap
		p.elem = buildEncPlan(t.Elem(), seen)
	case reflect.String:
		p.kind = encString
	case reflect.Bool:
		p.kind = encBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		p.kind = encInt
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		p.kind = encUint
	case reflect.Float64:
		p.kind = encFloat64
	}
	return p
}

// addEncFields appends t's members in declaration order, flattening
// untagged embedded structs in place. A name seen twice (where encoding/json
// applies its dominance rules), an embedded pointer or the ",string" option
// make the struct unsupported.
func addEncFields(p *encPlan, t reflect.Type, prefix []int, names map[string]bool, seen map[reflect.Type]*encPlan) bool {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		opt := func(o string) bool { return strings.Contains(","+opts+",", ","+o+",") }
		if opt("string") || opt("omitzero") {
			return false
		}
		idx := append(append([]int(nil), prefix...), i)
		if f.Anonymous && name == "" {
			switch f.Type.Kind() {
			case reflect.Pointer:
				return false
			case reflect.Struct:
				if !addEncFields(p, f.Type, idx, names, seen) {
					return false
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if names[name] {
			return false
		}
		names[name] = true
		p.fields = append(p.fields, encField{
			key:       string(appendEscapedString(nil, name)) + ":",
			index:     idx,
			omitEmpty: opt("omitempty"),
			plan:      buildEncPlan(f.Type, seen),
		})
	}
	return true
}

// encodePod appends the JSON of p to b, or reports errEncodeFallback.
func encodePod(b []byte, p *corev1.Pod) ([]byte, error) {
	return encodeValue(b, podEncPlan, reflect.ValueOf(p).Elem())
}

func encodeValue(b []byte, p *encPlan, v reflect.Value) ([]byte, error) {
	var err error
	switch p.kind {
	case encStruct:
		b = append(b, '{')
		first := true
		for k := range p.fields {
			f := &p.fields[k]
			var fv reflect.Value
			if len(f.index) == 1 {
				fv = v.Field(f.index[0])
			} else {
				fv = v.FieldByIndex(f.index)
			}
			if f.omitEmpty && isEmpty(fv) {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = append(b, f.key...)
			if b, err = encodeValue(b, f.plan, fv); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case encPointer:
		if v.IsNil() {
			return append(b, "null"...), nil
		}
		return encodeValue(b, p.elem, v.Elem())
	case encSlice:
		if v.IsNil() {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, n := 0, v.Len(); i < n; i++ {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = encodeValue(b, p.elem, v.Index(i)); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case encMap:
		if v.IsNil() {
			return append(b, "null"...), nil
		}
		if m, ok := v.Interface().(map[string]string); ok {
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			b = append(b, '{')
			for i, k := range keys {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendEscapedString(b, k)
				b = append(b, ':')
				b = appendEscapedString(b, m[k])
			}
			return append(b, '}'), nil
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendEscapedString(b, k.String())
			b = append(b, ':')
			if b, err = encodeValue(b, p.elem, v.MapIndex(k)); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case encString:
		return appendEscapedString(b, v.String()), nil
	case encBool:
		return strconv.AppendBool(b, v.Bool()), nil
	case encInt:
		return strconv.AppendInt(b, v.Int(), 10), nil
	case encUint:
		return strconv.AppendUint(b, v.Uint(), 10), nil
	case encFloat64:
		return appendFloat64(b, v.Float())
	case encMarshaler:
		out, err := v.Interface().(json.Marshaler).MarshalJSON()
		if err != nil {
			return nil, errEncodeFallback
		}
		// encoding/json compacts and HTML-escapes what a Marshaler
		// writes; most write neither space nor <, >, &, U+2028/9.
		if bytes.ContainsAny(out, " \t\r\n<>&\u2028\u2029") {
			var c bytes.Buffer
			if json.Compact(&c, out) != nil {
				return nil, errEncodeFallback
			}
			var h bytes.Buffer
			json.HTMLEscape(&h, c.Bytes())
			return append(b, h.Bytes()...), nil
		}
		if !json.Valid(out) {
			return nil, errEncodeFallback
		}
		return append(b, out...), nil
	}
	return nil, errEncodeFallback
}

// isEmpty is encoding/json's omitempty test. Structs are never empty.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}

// appendFloat64 formats f as encoding/json formats a float64.
func appendFloat64(b []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, errEncodeFallback
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

// htmlSafe marks the ASCII bytes a JSON string carries unescaped with
// encoding/json's HTML escaping: printable, not ", \, <, > or &.
var htmlSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendEscapedString quotes s as encoding/json does by default: HTML-safe
// (<, >, & escaped), invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped.
func appendEscapedString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if htmlSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
