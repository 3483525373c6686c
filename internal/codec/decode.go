package codec

import (
	"encoding/json"
	"reflect"
	"strconv"
	"unicode/utf8"
)

// DecodeJSON fills dst, which must point to a zero value, from the JSON
// text data, giving exactly what json.Unmarshal(data, dst) gives when it
// succeeds. It reads the text once, walking dst's plan instead of
// reflecting per value, and hands a method's value its raw bytes as
// encoding/json does. It declines (false) where it is not sure to give the
// same: text that is not one JSON value, a key that matches no member
// exactly (encoding/json also matches case-insensitively, or skips it), a
// key given twice in one object (encoding/json merges), a value of the
// wrong type or a number the field cannot hold (encoding/json reports
// them after decoding the rest), a value a method refuses, interfaces,
// []byte, text unmarshalers, embedded pointers, the ,string option. dst
// may then be partly filled: decode again into a fresh value. With the
// kinject_reference build tag it always declines.
func DecodeJSON(data []byte, dst any) bool {
	if !Fast {
		return false
	}
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return false
	}
	d := jsonDecoder{data: data}
	d.ws()
	if !d.value(PlanOf(rv.Type().Elem()), rv.Elem(), 0) {
		return false
	}
	d.ws()
	return d.pos == len(d.data)
}

// maxDecodeDepth bounds nesting: deeper text is left to encoding/json
// (which refuses it beyond 10,000 levels).
const maxDecodeDepth = 1000

type jsonDecoder struct {
	data []byte
	pos  int
	buf  []byte // unescaped keys
}

func (d *jsonDecoder) ws() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// next skips whitespace and reports whether the next byte is c, consuming
// it if so.
func (d *jsonDecoder) next(c byte) bool {
	d.ws()
	if d.pos < len(d.data) && d.data[d.pos] == c {
		d.pos++
		return true
	}
	return false
}

func (d *jsonDecoder) literal(word string) bool {
	if len(d.data)-d.pos >= len(word) && string(d.data[d.pos:d.pos+len(word)]) == word {
		d.pos += len(word)
		return true
	}
	return false
}

// value decodes the value at d.pos (whitespace skipped) into dst.
func (d *jsonDecoder) value(p *Plan, dst reflect.Value, depth int) bool {
	if d.pos >= len(d.data) || depth > maxDecodeDepth {
		return false
	}
	null := d.data[d.pos] == 'n'
	if p.Kind == Pointer {
		if null {
			return d.literal("null") // dst stays nil
		}
		nv := reflect.New(p.Elem.Type)
		if !d.value(p.Elem, nv.Elem(), depth) {
			return false
		}
		dst.Set(nv)
		return true
	}
	switch p.Unmarshal {
	case OtherMethod:
		return false
	case ValueJSON:
		start := d.pos
		if !d.skip(depth) {
			return false
		}
		u, ok := dst.Addr().Interface().(json.Unmarshaler)
		return ok && u.UnmarshalJSON(d.data[start:d.pos]) == nil
	}
	if null {
		return d.literal("null") // a zero value stays zero
	}
	switch p.Kind {
	case Struct:
		return d.object(p, dst, depth)
	case Slice:
		return d.array(p, dst, depth)
	case Map:
		return d.mapping(p, dst, depth)
	case String:
		s, ok := d.str()
		if !ok {
			return false
		}
		dst.SetString(s)
		return true
	case Bool:
		switch {
		case d.literal("true"):
			dst.SetBool(true)
		case d.literal("false"):
		default:
			return false
		}
		return true
	case Int:
		n, err := strconv.ParseInt(d.number(), 10, 64)
		if err != nil || dst.OverflowInt(n) {
			return false
		}
		dst.SetInt(n)
		return true
	case Uint:
		n, err := strconv.ParseUint(d.number(), 10, 64)
		if err != nil || dst.OverflowUint(n) {
			return false
		}
		dst.SetUint(n)
		return true
	case Float:
		f, err := strconv.ParseFloat(d.number(), dst.Type().Bits())
		if err != nil || dst.OverflowFloat(f) {
			return false
		}
		dst.SetFloat(f)
		return true
	}
	return false
}

// object decodes a JSON object into a struct.
func (d *jsonDecoder) object(p *Plan, dst reflect.Value, depth int) bool {
	if !d.next('{') {
		return false
	}
	if d.next('}') {
		return true
	}
	var seen [4]uint64
	if len(p.Fields) > len(seen)*64 {
		return false
	}
	for {
		d.ws()
		key, ok := d.key()
		if !ok {
			return false
		}
		i, ok := p.byName[string(key)]
		if !ok {
			return false
		}
		f := &p.Fields[i]
		if f.ViaPointer || f.Quoted || seen[i/64]&(1<<(i%64)) != 0 {
			return false
		}
		seen[i/64] |= 1 << (i % 64)
		if !d.next(':') {
			return false
		}
		d.ws()
		fv := dst.Field(f.Index[0])
		for _, j := range f.Index[1:] {
			fv = fv.Field(j)
		}
		if !d.value(f.Plan, fv, depth+1) {
			return false
		}
		if d.next('}') {
			return true
		}
		if !d.next(',') {
			return false
		}
	}
}

// array decodes a JSON array into a slice: [] is an empty slice, not nil.
func (d *jsonDecoder) array(p *Plan, dst reflect.Value, depth int) bool {
	if !d.next('[') {
		return false
	}
	dst.Set(reflect.MakeSlice(p.Type, 0, 0))
	if d.next(']') {
		return true
	}
	for n := 0; ; n++ {
		if n == dst.Cap() {
			dst.Grow(1)
		}
		dst.SetLen(n + 1)
		d.ws()
		if !d.value(p.Elem, dst.Index(n), depth+1) {
			return false
		}
		if d.next(']') {
			return true
		}
		if !d.next(',') {
			return false
		}
	}
}

var stringMapType = reflect.TypeFor[map[string]string]()

// mapping decodes a JSON object into a map with string keys: {} is an
// empty map, not nil.
func (d *jsonDecoder) mapping(p *Plan, dst reflect.Value, depth int) bool {
	if p.TextKey || !d.next('{') {
		return false
	}
	if p.Type == stringMapType {
		m := map[string]string{}
		dst.Set(reflect.ValueOf(m))
		if d.next('}') {
			return true
		}
		for {
			d.ws()
			k, ok := d.str()
			if !ok || !d.next(':') {
				return false
			}
			if _, dup := m[k]; dup {
				return false
			}
			d.ws()
			if d.literal("null") {
				m[k] = ""
			} else if m[k], ok = d.str(); !ok {
				return false
			}
			if d.next('}') {
				return true
			}
			if !d.next(',') {
				return false
			}
		}
	}
	m := reflect.MakeMap(p.Type)
	dst.Set(m)
	if d.next('}') {
		return true
	}
	kt := p.Type.Key()
	for {
		d.ws()
		k, ok := d.str()
		if !ok || !d.next(':') {
			return false
		}
		kv := reflect.New(kt).Elem()
		kv.SetString(k)
		if m.MapIndex(kv).IsValid() {
			return false
		}
		d.ws()
		ev := reflect.New(p.Elem.Type).Elem()
		if !d.value(p.Elem, ev, depth+1) {
			return false
		}
		m.SetMapIndex(kv, ev)
		if d.next('}') {
			return true
		}
		if !d.next(',') {
			return false
		}
	}
}

// strBody scans the string at d.pos and returns its body (between the
// quotes) and whether it needs decoding (escapes or bytes that are not
// ASCII); ok is false where the text is not a JSON string.
func (d *jsonDecoder) strBody() (body []byte, plain, ok bool) {
	if d.pos >= len(d.data) || d.data[d.pos] != '"' {
		return nil, false, false
	}
	plain = true
	for i := d.pos + 1; i < len(d.data); i++ {
		switch c := d.data[i]; {
		case c == '"':
			body = d.data[d.pos+1 : i]
			d.pos = i + 1
			return body, plain, true
		case c == '\\':
			plain = false
			i++
		case c < 0x20:
			return nil, false, false
		case c >= utf8.RuneSelf:
			plain = false
		}
	}
	return nil, false, false
}

// str decodes the string at d.pos as encoding/json does.
func (d *jsonDecoder) str() (string, bool) {
	body, plain, ok := d.strBody()
	if !ok {
		return "", false
	}
	if plain || utf8.Valid(body) && !containsByte(body, '\\') {
		return string(body), true
	}
	out, ok := AppendUnquote(nil, body)
	return string(out), ok
}

// key decodes a member key; the result is valid until the next key.
func (d *jsonDecoder) key() ([]byte, bool) {
	body, plain, ok := d.strBody()
	if !ok {
		return nil, false
	}
	if plain {
		return body, true
	}
	d.buf, ok = AppendUnquote(d.buf[:0], body)
	return d.buf, ok
}

func containsByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

// number scans a JSON number at d.pos and returns its text, or "" (which
// every strconv parser refuses) where there is none.
func (d *jsonDecoder) number() string {
	b, i := d.data, d.pos
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return ""
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return ""
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return ""
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	s := string(b[d.pos:i])
	d.pos = i
	return s
}

// skip checks the JSON value at d.pos and moves past it.
func (d *jsonDecoder) skip(depth int) bool {
	if d.pos >= len(d.data) || depth > maxDecodeDepth {
		return false
	}
	switch c := d.data[d.pos]; {
	case c == '{' || c == '[':
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		d.pos++
		if d.next(end) {
			return true
		}
		for {
			d.ws()
			if c == '{' {
				body, plain, ok := d.strBody()
				if !ok || !plain && !validBody(body) || !d.next(':') {
					return false
				}
				d.ws()
			}
			if !d.skip(depth + 1) {
				return false
			}
			if d.next(end) {
				return true
			}
			if !d.next(',') {
				return false
			}
		}
	case c == '"':
		body, plain, ok := d.strBody()
		return ok && (plain || validBody(body))
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	}
	return d.number() != ""
}

// validBody reports whether a string body's escapes are JSON's.
func validBody(body []byte) bool {
	if !containsByte(body, '\\') {
		return true
	}
	_, ok := AppendUnquote(nil, body)
	return ok
}
