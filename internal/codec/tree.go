package codec

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// A tree is a JSON document as encoding/json decodes it into an any:
// map[string]any, []any, string, float64, bool and nil.

// Tree returns the tree of v: what json.Unmarshal gives, into an any, for
// json.Marshal(v). It walks v with its plan instead of writing and parsing
// JSON text. It declines (false) where it does not model what encoding/json
// does: strings that are not UTF-8 (encoding/json rewrites them), a method
// it would call that Tree does not (pointer-receiver or text marshalling),
// ,string options, arrays, interfaces, float32, numbers JSON cannot carry,
// or a MarshalJSON that fails. Trees share nothing with v. With the
// kinject_reference build tag it always declines.
func Tree(v any) (any, bool) {
	if !Fast || v == nil {
		return nil, false
	}
	rv := reflect.ValueOf(v)
	return treeOf(PlanOf(rv.Type()), rv)
}

func treeOf(p *Plan, v reflect.Value) (any, bool) {
	switch p.Marshal {
	case OtherMethod:
		return nil, false
	case ValueJSON:
		if v.Kind() == reflect.Pointer && v.IsNil() {
			return nil, true
		}
		out, err := v.Interface().(json.Marshaler).MarshalJSON()
		if err != nil {
			return nil, false
		}
		return treeOfJSON(out)
	}
	switch p.Kind {
	case Struct:
		m := make(map[string]any, min(len(p.Fields), 8))
		for i := range p.Fields {
			f := &p.Fields[i]
			fv, ok := fieldOf(v, &f.Field)
			if !ok {
				continue // behind a nil embedded pointer
			}
			if f.Quoted {
				return nil, false
			}
			if omitted(&f.Field, fv) {
				continue
			}
			x, ok := treeOf(f.Plan, fv)
			if !ok {
				return nil, false
			}
			m[f.Name] = x
		}
		return m, true
	case Pointer:
		if v.IsNil() {
			return nil, true
		}
		return treeOf(p.Elem, v.Elem())
	case Slice:
		if v.IsNil() {
			return nil, true
		}
		l := make([]any, v.Len())
		for i := range l {
			x, ok := treeOf(p.Elem, v.Index(i))
			if !ok {
				return nil, false
			}
			l[i] = x
		}
		return l, true
	case Map:
		if v.IsNil() {
			return nil, true
		}
		if p.Type.Key().Kind() != reflect.String {
			return nil, false
		}
		m := make(map[string]any, v.Len())
		if sm, ok := v.Interface().(map[string]string); ok {
			for k, x := range sm {
				if !utf8.ValidString(k) || !utf8.ValidString(x) {
					return nil, false
				}
				m[k] = x
			}
			return m, true
		}
		it := v.MapRange()
		for it.Next() {
			k := it.Key().String()
			if !utf8.ValidString(k) {
				return nil, false
			}
			x, ok := treeOf(p.Elem, it.Value())
			if !ok {
				return nil, false
			}
			m[k] = x
		}
		return m, true
	case String:
		s := v.String()
		if !utf8.ValidString(s) {
			return nil, false
		}
		return s, true
	case Bool:
		return v.Bool(), true
	case Int:
		return float64(v.Int()), true
	case Uint:
		return float64(v.Uint()), true
	case Float:
		f := v.Float()
		if v.Kind() != reflect.Float64 || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, false
		}
		return f, true
	}
	return nil, false
}

// fieldOf follows f.Index from struct value v; false when a nil embedded
// pointer is on the way (encoding/json then leaves the member out).
func fieldOf(v reflect.Value, f *Field) (reflect.Value, bool) {
	if len(f.Index) == 1 {
		return v.Field(f.Index[0]), true
	}
	for _, i := range f.Index {
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(i)
	}
	return v, true
}

// isZeroer is the method the omitzero option prefers to reflect's zero
// test.
type isZeroer interface{ IsZero() bool }

var isZeroerType = reflect.TypeFor[isZeroer]()

// omitted applies the omitempty and omitzero options as encoding/json
// does.
func omitted(f *Field, v reflect.Value) bool {
	if f.OmitEmpty && Empty(v) {
		return true
	}
	if !f.OmitZero {
		return false
	}
	t := v.Type()
	switch {
	case t.Kind() == reflect.Interface && t.Implements(isZeroerType):
		return v.IsNil() || (v.Elem().Kind() == reflect.Pointer && v.Elem().IsNil()) || v.Interface().(isZeroer).IsZero()
	case t.Kind() == reflect.Pointer && t.Implements(isZeroerType):
		return v.IsNil() || v.Interface().(isZeroer).IsZero()
	case t.Implements(isZeroerType):
		return v.Interface().(isZeroer).IsZero()
	case reflect.PointerTo(t).Implements(isZeroerType):
		if !v.CanAddr() {
			c := reflect.New(t).Elem()
			c.Set(v)
			v = c
		}
		return v.Addr().Interface().(isZeroer).IsZero()
	}
	return v.IsZero()
}

// Empty is encoding/json's omitempty test: false, 0, a nil pointer or
// interface, an empty string, slice or map. Structs are never empty.
func Empty(v reflect.Value) bool {
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

// treeOfJSON decodes what a MarshalJSON wrote: null and plain quoted
// strings directly, anything else with encoding/json (which also refuses
// what is not JSON, as json.Marshal would).
func treeOfJSON(b []byte) (any, bool) {
	if string(b) == "null" {
		return nil, true
	}
	if n := len(b); n >= 2 && b[0] == '"' && b[n-1] == '"' && !NeedsQuoting(b[1:n-1], 0) {
		return string(b[1 : n-1]), true
	}
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		return nil, false
	}
	return x, true
}

// DecodeTree fills dst, which must point to a zero value, from tree,
// giving exactly what json.Unmarshal gives for json.Marshal(tree). It
// declines (false) where it is not sure to: a key that matches no member
// exactly (encoding/json also matches case-insensitively, or ignores it),
// a value of the wrong type, a number the field cannot hold, a value a
// method refuses, an embedded pointer, the ,string option. dst may then be
// partly filled: decode again into a fresh value. With the
// kinject_reference build tag it always declines.
func DecodeTree(tree any, dst any) bool {
	if !Fast {
		return false
	}
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return false
	}
	return decodeInto(PlanOf(rv.Type().Elem()), tree, rv.Elem())
}

func decodeInto(p *Plan, v any, dst reflect.Value) bool {
	switch {
	case p.Special == Quantity:
		return decodeQuantity(v, dst)
	case p.Special == IntOrString:
		if s, ok := v.(string); ok && utf8.ValidString(s) {
			dst.Set(reflect.ValueOf(intstr.FromString(s)))
			return true
		}
		return decodeWithMethod(v, dst)
	case p.Unmarshal == ValueJSON:
		if p.Kind == Pointer {
			if v == nil {
				return true // null leaves a pointer nil
			}
			nv := reflect.New(p.Elem.Type)
			if !decodeInto(p.Elem, v, nv.Elem()) {
				return false
			}
			dst.Set(nv)
			return true
		}
		return decodeWithMethod(v, dst)
	case p.Unmarshal == OtherMethod:
		return false
	}
	if v == nil {
		return true // null leaves a zero value zero
	}
	switch p.Kind {
	case Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		for k, x := range m {
			f := p.FieldByName(k)
			if f == nil || f.ViaPointer || f.Quoted {
				return false
			}
			if x == nil && f.Plan.Unmarshal == NoMethod && f.Plan.Special == NotSpecial {
				continue
			}
			fv := dst.Field(f.Index[0])
			for _, i := range f.Index[1:] {
				fv = fv.Field(i)
			}
			if !decodeInto(f.Plan, x, fv) {
				return false
			}
		}
		return true
	case Pointer:
		nv := reflect.New(p.Elem.Type)
		if !decodeInto(p.Elem, v, nv.Elem()) {
			return false
		}
		dst.Set(nv)
		return true
	case Slice:
		l, ok := v.([]any)
		if !ok {
			return false
		}
		s := reflect.MakeSlice(p.Type, len(l), len(l))
		for i, x := range l {
			if !decodeInto(p.Elem, x, s.Index(i)) {
				return false
			}
		}
		dst.Set(s)
		return true
	case Map:
		m, ok := v.(map[string]any)
		if !ok || p.TextKey {
			return false
		}
		if p.Type == reflect.TypeFor[map[string]string]() {
			out := make(map[string]string, len(m))
			for k, x := range m {
				if !utf8.ValidString(k) {
					return false
				}
				switch x := x.(type) {
				case string:
					if !utf8.ValidString(x) {
						return false
					}
					out[k] = x
				case nil:
					out[k] = ""
				default:
					return false
				}
			}
			dst.Set(reflect.ValueOf(out))
			return true
		}
		out := reflect.MakeMapWithSize(p.Type, len(m))
		for k, x := range m {
			if !utf8.ValidString(k) {
				return false
			}
			ev := reflect.New(p.Elem.Type).Elem()
			if !decodeInto(p.Elem, x, ev) {
				return false
			}
			out.SetMapIndex(reflect.ValueOf(k).Convert(p.Type.Key()), ev)
		}
		dst.Set(out)
		return true
	case String:
		s, ok := v.(string)
		if !ok || !utf8.ValidString(s) {
			return false
		}
		dst.SetString(s)
		return true
	case Bool:
		b, ok := v.(bool)
		if !ok {
			return false
		}
		dst.SetBool(b)
		return true
	case Int:
		f, ok := v.(float64)
		if !ok || !exactInteger(f) || f < p.Min || f >= p.Max {
			return false
		}
		dst.SetInt(int64(f))
		return true
	case Uint:
		f, ok := v.(float64)
		if !ok || !exactInteger(f) || f < p.Min || f >= p.Max || math.Signbit(f) {
			return false // json.Marshal writes -0, which ParseUint refuses
		}
		dst.SetUint(uint64(f))
		return true
	case Float:
		f, ok := v.(float64)
		if !ok || dst.Kind() != reflect.Float64 {
			return false
		}
		dst.SetFloat(f)
		return true
	}
	return false
}

// exactInteger reports whether f is a whole number that json.Marshal
// writes digit for digit: beyond 2^53 it may write a shorter decimal that
// only rounds to f, which then decodes as another integer.
func exactInteger(f float64) bool {
	return f == math.Trunc(f) && math.Abs(f) <= 1<<53
}

// decodeQuantity parses a quantity string as Quantity.UnmarshalJSON would
// see it in the tree's JSON text: only when that text is the string itself
// between quotes, since UnmarshalJSON reads the quoted bytes unescaped.
func decodeQuantity(v any, dst reflect.Value) bool {
	s, ok := v.(string)
	if !ok || NeedsQuoting(s, EscapeHTML) {
		return decodeWithMethod(v, dst)
	}
	q, err := resource.ParseQuantity(strings.TrimSpace(s))
	if err != nil {
		return false
	}
	dst.Set(reflect.ValueOf(q))
	return true
}

// decodeWithMethod hands the JSON text of v, as json.Marshal writes it, to
// dst's own UnmarshalJSON, as json.Unmarshal would (null included).
func decodeWithMethod(v any, dst reflect.Value) bool {
	var b []byte
	if s, ok := v.(string); ok && !NeedsQuoting(s, EscapeHTML) {
		b = make([]byte, 0, len(s)+2)
		b = append(append(append(b, '"'), s...), '"')
	} else {
		var err error
		if b, err = json.Marshal(v); err != nil {
			return false
		}
	}
	u, ok := dst.Addr().Interface().(json.Unmarshaler)
	if !ok {
		return false
	}
	return u.UnmarshalJSON(b) == nil
}

// CopyTree deep-copies a tree: every map and list is new, scalars are shared
// (they are immutable). A nil map or list stays nil.
func CopyTree(v any) any {
	switch v := v.(type) {
	case map[string]any:
		if v == nil {
			return v
		}
		return CopyMap(v)
	case []any:
		if v == nil {
			return v
		}
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = CopyTree(x)
		}
		return out
	}
	return v
}

// CopyMap is CopyTree for an object; a nil map gives an empty one, so the
// copy can always be written to.
func CopyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, x := range m {
		out[k] = CopyTree(x)
	}
	return out
}
