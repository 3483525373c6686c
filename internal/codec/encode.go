package codec

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// AppendJSON appends json.Marshal(v)'s bytes to dst: members in
// encoding/json's order, omitempty and omitzero, sorted map keys,
// HTML-safe strings, []byte in base64, the types' own MarshalJSON (compacted and
// HTML-escaped as encoding/json does). It declines (false, dst unchanged in
// content) for what it does not model: text marshalling, pointer-receiver
// MarshalJSON, ,string options, arrays, interfaces, float32,
// numbers JSON cannot carry, or a MarshalJSON that fails or writes
// something that is not JSON. With the kinject_reference build tag it
// always declines.
func AppendJSON(dst []byte, v any) ([]byte, bool) {
	if !Fast || v == nil {
		return dst, false
	}
	rv := reflect.ValueOf(v)
	out, ok := appendValue(dst, PlanOf(rv.Type()), rv)
	if !ok {
		return dst, false
	}
	return out, true
}

func appendValue(b []byte, p *Plan, v reflect.Value) ([]byte, bool) {
	switch p.Marshal {
	case OtherMethod:
		return nil, false
	case ValueJSON:
		if v.Kind() == reflect.Pointer && v.IsNil() {
			return append(b, "null"...), true
		}
		if v.Kind() != reflect.Pointer && v.CanAddr() {
			// The pointer has the value method too; boxing it copies
			// nothing.
			return appendMarshaled(b, v.Addr().Interface().(json.Marshaler))
		}
		return appendMarshaled(b, v.Interface().(json.Marshaler))
	}
	ok := true
	switch p.Kind {
	case Struct:
		b = append(b, '{')
		first := true
		for i := range p.Fields {
			f := &p.Fields[i]
			var fv reflect.Value
			if len(f.Index) == 1 {
				fv = v.Field(f.Index[0]) // fieldOf's common case, inlined
			} else if fv, ok = fieldOf(v, &f.Field); !ok {
				ok = true
				continue
			}
			if f.Quoted {
				return nil, false
			}
			if f.OmitEmpty && Empty(fv) || f.OmitZero && omitted(&f.Field, fv) {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = append(b, f.key...)
			if b, ok = appendValue(b, f.Plan, fv); !ok {
				return nil, false
			}
		}
		return append(b, '}'), true
	case Pointer:
		if v.IsNil() {
			return append(b, "null"...), true
		}
		return appendValue(b, p.Elem, v.Elem())
	case Slice:
		if v.IsNil() {
			return append(b, "null"...), true
		}
		b = append(b, '[')
		for i, n := 0, v.Len(); i < n; i++ {
			if i > 0 {
				b = append(b, ',')
			}
			if b, ok = appendValue(b, p.Elem, v.Index(i)); !ok {
				return nil, false
			}
		}
		return append(b, ']'), true
	case Map:
		if v.IsNil() {
			return append(b, "null"...), true
		}
		if p.Type.Key().Kind() != reflect.String {
			return nil, false
		}
		if m, isStrings := v.Interface().(map[string]string); isStrings {
			b = append(b, '{')
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for i, k := range keys {
				if i > 0 {
					b = append(b, ',')
				}
				b = AppendQuote(b, k, EscapeHTML)
				b = append(b, ':')
				b = AppendQuote(b, m[k], EscapeHTML)
			}
			return append(b, '}'), true
		}
		// The entries are copied out once, into one slice whose elements
		// are addressable (MapKeys and MapIndex copy each key and value
		// separately), and written in key order.
		n := v.Len()
		vals := reflect.MakeSlice(reflect.SliceOf(p.Elem.Type), n, n)
		keys := make([]mapKey, 0, n)
		key := reflect.New(p.Type.Key()).Elem()
		for it := v.MapRange(); it.Next() && len(keys) < n; {
			key.SetIterKey(it)
			vals.Index(len(keys)).SetIterValue(it)
			keys = append(keys, mapKey{key.String(), len(keys)})
		}
		slices.SortFunc(keys, func(x, y mapKey) int { return strings.Compare(x.s, y.s) })
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendQuote(b, k.s, EscapeHTML)
			b = append(b, ':')
			if b, ok = appendValue(b, p.Elem, vals.Index(k.i)); !ok {
				return nil, false
			}
		}
		return append(b, '}'), true
	case Bytes:
		if v.IsNil() {
			return append(b, "null"...), true
		}
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, v.Bytes())
		return append(b, '"'), true
	case String:
		return AppendQuote(b, v.String(), EscapeHTML), true
	case Bool:
		return strconv.AppendBool(b, v.Bool()), true
	case Int:
		return strconv.AppendInt(b, v.Int(), 10), true
	case Uint:
		return strconv.AppendUint(b, v.Uint(), 10), true
	case Float:
		if v.Kind() != reflect.Float64 {
			return nil, false
		}
		return appendFloat(b, v.Float())
	}
	return nil, false
}

// mapKey is a map entry's key and its index in the copied values.
type mapKey struct {
	s string
	i int
}

// appendMarshaled appends what m.MarshalJSON writes, compacted and
// HTML-escaped as encoding/json does; most write neither space nor <, >,
// &, U+2028 or U+2029, and are only validated.
func appendMarshaled(b []byte, m json.Marshaler) ([]byte, bool) {
	out, err := m.MarshalJSON()
	if err != nil {
		return nil, false
	}
	if bytes.ContainsAny(out, " \t\r\n<>&\u2028\u2029") {
		var c bytes.Buffer
		if json.Compact(&c, out) != nil {
			return nil, false
		}
		var h bytes.Buffer
		json.HTMLEscape(&h, c.Bytes())
		return append(b, h.Bytes()...), true
	}
	if !json.Valid(out) {
		return nil, false
	}
	return append(b, out...), true
}

// appendFloat writes f as encoding/json writes a float64.
func appendFloat(b []byte, f float64) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, false
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// 1e-07 is written 1e-7.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, true
}

// DropNullCreationTimestamps removes every "creationTimestamp":null member
// of compact JSON written by encoding/json, giving what k8s.io/apimachinery
// v0.34 and later write for a zero ObjectMeta.CreationTimestamp (omitzero)
// whatever release kinject is built with. Inside a JSON string every quote
// is escaped, so the pattern only ever matches an object member.
func DropNullCreationTimestamps(j []byte) []byte {
	const member = `"creationTimestamp":null`
	if !bytes.Contains(j, []byte(member)) {
		return j
	}
	j = bytes.ReplaceAll(j, []byte(member+","), nil)
	j = bytes.ReplaceAll(j, []byte(","+member+"}"), []byte("}"))
	return bytes.ReplaceAll(j, []byte("{"+member+"}"), []byte("{}"))
}

// AppendValue is AppendJSON for a value already reflected, with its plan
// (p must be PlanOf(v.Type())): json.Marshal's bytes of v appended to dst,
// or false where AppendJSON declines. Package patch encodes the members a
// typed diff finds changed with it.
func AppendValue(dst []byte, p *Plan, v reflect.Value) ([]byte, bool) {
	if !Fast || !v.IsValid() {
		return dst, false
	}
	out, ok := appendValue(dst, p, v)
	if !ok {
		return dst, false
	}
	return out, true
}

// Member returns member f of struct value v as encoding/json writes it:
// its value, and whether it is written at all (false when an embedded
// pointer on the way is nil or omitempty/omitzero leave it out). ok is
// false for a member AppendJSON does not model (the string option).
func Member(v reflect.Value, f *Field) (fv reflect.Value, written, ok bool) {
	fv, present := fieldOf(v, f)
	if !present {
		return fv, false, true
	}
	if f.Quoted {
		return fv, false, false
	}
	return fv, !omitted(f, fv), true
}
