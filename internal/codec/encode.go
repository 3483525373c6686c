package codec

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
)

// AppendJSON appends json.Marshal(v)'s bytes to dst: members in
// encoding/json's order, omitempty and omitzero, sorted map keys,
// HTML-safe strings, []byte in base64, the types' own MarshalJSON (compacted and
// HTML-escaped as encoding/json does). It declines (false, dst unchanged in
// content) for what it does not model: text marshalling, pointer-receiver
// MarshalJSON, ,string options, arrays, interfaces, float32,
// numbers JSON cannot carry, or a MarshalJSON that fails or writes
// something that is not JSON. With the kinject_reference build tag it
// always declines. It writes with the encoder compiled once for v's type
// (encoder.go); a value that is not a pointer is copied once to be
// addressed.
func AppendJSON(dst []byte, v any) ([]byte, bool) {
	if !Fast || v == nil {
		return dst, false
	}
	rv := reflect.ValueOf(v)
	out, ok := encodeValue(dst, PlanOf(rv.Type()), rv)
	if !ok {
		return dst, false
	}
	return out, true
}

// appendMarshaled appends what m.MarshalJSON writes, compacted and
// HTML-escaped as encoding/json does. Most write a plain string, number or
// null (simpleJSON), which is copied as it is; others that write neither
// space nor <, >, &, U+2028 or U+2029 are only validated.
func appendMarshaled(b []byte, m json.Marshaler) ([]byte, bool) {
	out, err := m.MarshalJSON()
	if err != nil {
		return nil, false
	}
	if simpleJSON(out) {
		return append(b, out...), true
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
	out, ok := encodeValue(dst, p, v)
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
