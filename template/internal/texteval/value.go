package texteval

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
)

// kind says how a value is held. The common Go types a template sees
// (exactly string, bool, int and float64) are held unboxed, so that
// evaluating and printing them allocates nothing; every other value is a
// reflect.Value.
type kind uint8

const (
	kInvalid kind = iota // no value: a missing map key, an unset result ("<no value>")
	kNil                 // a nil held in an empty interface (an element of []any, a map[string]any value)
	kString
	kBool
	kInt
	kFloat
	kRefl
)

// value is what text/template holds as a reflect.Value. An empty interface
// is always looked through (text/template does the same wherever it
// matters), except that a nil one is kNil, not kInvalid: text/template
// refuses to walk a field or range through it, where a missing value gives
// nothing.
//
// It is seven words, so that a (value, bool) result travels in registers.
type value struct {
	k kind
	n uint64 // kBool (0 or 1), kInt (int64 bits), kFloat (float64 bits)
	s string // kString
	// r is the value for kRefl. For the unboxed kinds it is, when valid,
	// the value as a reflect.Value: constants and folded values keep it
	// (boxedValue) so that passing them to an `any` parameter does not
	// allocate on every execution.
	r reflect.Value
}

var (
	stringType  = reflect.TypeFor[string]()
	boolType    = reflect.TypeFor[bool]()
	intType     = reflect.TypeFor[int]()
	float64Type = reflect.TypeFor[float64]()
	anyType     = reflect.TypeFor[any]()
	errorType   = reflect.TypeFor[error]()
	stringerT   = reflect.TypeFor[fmt.Stringer]()
	reflectValT = reflect.TypeFor[reflect.Value]()
)

func strV(s string) value    { return value{k: kString, s: s} }
func intV(i int) value       { return value{k: kInt, n: uint64(int64(i))} }
func floatV(f float64) value { return value{k: kFloat, n: math.Float64bits(f)} }

func boolV(b bool) value {
	if b {
		return value{k: kBool, n: 1}
	}
	return value{k: kBool}
}

func (v value) bool() bool   { return v.n != 0 }
func (v value) int() int     { return int(int64(v.n)) }
func (v value) flt() float64 { return math.Float64frombits(v.n) }

// fromAny is the value of x read from an empty interface.
func fromAny(x any) value {
	switch x := x.(type) {
	case nil:
		return value{k: kNil}
	case string:
		return strV(x)
	case bool:
		return boolV(x)
	case int:
		return intV(x)
	case float64:
		return floatV(x)
	}
	return value{k: kRefl, r: reflect.ValueOf(x)}
}

// fromReflect is the value r holds, an empty interface looked through.
// It switches on the kind first: a type comparison is a call, and most
// values (structs, maps, slices, pointers) need none.
func fromReflect(r reflect.Value) value {
	k := r.Kind()
	switch k {
	case reflect.Invalid:
		return value{}
	case reflect.Interface:
		if r.NumMethod() != 0 {
			return value{k: kRefl, r: r}
		}
		if r.IsNil() {
			return value{k: kNil}
		}
		r = r.Elem()
		k = r.Kind()
	}
	return fromKind(r, k)
}

// heldAsIs reports whether fromReflect holds every value of type t as it
// is (kRefl, r unchanged).
func heldAsIs(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Interface:
		return false
	case reflect.String:
		return t != stringType
	case reflect.Bool:
		return t != boolType
	case reflect.Int:
		return t != intType
	case reflect.Float64:
		return t != float64Type
	}
	return true
}

// fromKind is fromReflect of r (of kind k), not an empty interface.
func fromKind(r reflect.Value, k reflect.Kind) value {
	switch k {
	case reflect.String:
		if r.Type() == stringType {
			return strV(r.String())
		}
	case reflect.Bool:
		if r.Type() == boolType {
			return boolV(r.Bool())
		}
	case reflect.Int:
		if r.Type() == intType {
			return intV(int(r.Int()))
		}
	case reflect.Float64:
		if r.Type() == float64Type {
			return floatV(r.Float())
		}
	}
	return value{k: kRefl, r: r}
}

// toAny is v as an interface (nil for no value).
func (v value) toAny() any {
	if v.k != kRefl && v.r.IsValid() {
		return v.r.Interface() // not addressable: no copy
	}
	switch v.k {
	case kString:
		return v.s
	case kBool:
		return v.bool()
	case kInt:
		return v.int()
	case kFloat:
		return v.flt()
	case kRefl:
		if v.r.CanInterface() {
			return v.r.Interface()
		}
	}
	return nil
}

// toReflect is v as text/template would hold it. A kNil is an interface
// value holding nil.
func (v value) toReflect() reflect.Value {
	if v.r.IsValid() {
		return v.r // kRefl, or a kept reflect.Value (see boxedValue)
	}
	switch v.k {
	case kNil:
		return reflect.Zero(anyType)
	case kString:
		return reflect.ValueOf(v.s)
	case kBool:
		return reflect.ValueOf(v.bool())
	case kInt:
		return reflect.ValueOf(v.int())
	case kFloat:
		return reflect.ValueOf(v.flt())
	case kRefl:
		return v.r
	}
	return reflect.Value{}
}

// boxedValue returns v with its interface form kept, for values used many
// times (constants and folded results).
func boxedValue(v value) value {
	switch v.k {
	case kString, kBool, kInt, kFloat:
		if !v.r.IsValid() {
			v.r = reflect.ValueOf(v.toAny())
		}
	}
	return v
}

// unwrapped is v as a pipeline leaves it: text/template looks through an
// empty interface after each command, so a nil one becomes no value.
func (v value) unwrapped() value {
	if v.k == kNil {
		return value{}
	}
	return v
}

// truth is text/template's truth of v; ok is false where text/template
// refuses to test v (an error, so the fast path declines).
func truth(v value) (t, ok bool) {
	switch v.k {
	case kInvalid, kNil:
		return false, true
	case kString:
		return v.s != "", true
	case kBool:
		return v.bool(), true
	case kInt:
		return v.n != 0, true
	case kFloat:
		return v.flt() != 0, true
	}
	r := v.r
	if r.Kind() == reflect.Interface {
		if r.IsNil() {
			return false, true
		}
		r = r.Elem()
	}
	switch r.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return r.Len() > 0, true
	case reflect.Bool:
		return r.Bool(), true
	case reflect.Complex64, reflect.Complex128:
		return r.Complex() != 0, true
	case reflect.Chan, reflect.Func, reflect.Pointer, reflect.UnsafePointer, reflect.Interface:
		return !r.IsNil(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return r.Int() != 0, true
	case reflect.Float32, reflect.Float64:
		return r.Float() != 0, true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return r.Uint() != 0, true
	case reflect.Struct:
		return true, true
	}
	return false, false
}

// appendPrint appends what text/template prints for v (the value of an
// action, after its pipeline). ok is false where text/template fails.
func appendPrint(out []byte, v value) ([]byte, bool) {
	switch v.k {
	case kInvalid, kNil:
		return append(out, "<no value>"...), true
	case kString:
		return append(out, v.s...), true
	case kBool:
		return strconv.AppendBool(out, v.bool()), true
	case kInt:
		return strconv.AppendInt(out, int64(v.n), 10), true
	case kFloat:
		// fmt's %v of a float64 is strconv's shortest 'g' form, "+Inf"
		// and "NaN" included.
		return strconv.AppendFloat(out, v.flt(), 'g', -1, 64), true
	}
	x, ok := printable(v.r)
	if !ok {
		return out, false
	}
	return fmt.Append(out, x), true
}

// printable is the value fmt prints for r, as text/template chooses it: a
// pointer is followed (fmt prints nil), and a value whose pointer is a
// Stringer or error is printed through its address when it has one.
func printable(r reflect.Value) (any, bool) {
	if r.Kind() == reflect.Pointer {
		for r.Kind() == reflect.Pointer || r.Kind() == reflect.Interface {
			if r.IsNil() {
				break
			}
			r = r.Elem()
		}
	}
	if !r.IsValid() {
		return "<no value>", true
	}
	t := r.Type()
	if !t.Implements(errorType) && !t.Implements(stringerT) {
		pt := reflect.PointerTo(t)
		if r.CanAddr() && (pt.Implements(errorType) || pt.Implements(stringerT)) {
			r = r.Addr()
		} else if k := r.Kind(); k == reflect.Chan || k == reflect.Func {
			return nil, false
		}
	}
	if !r.CanInterface() {
		return nil, false
	}
	return r.Interface(), true
}

// indirect follows pointers and interfaces to the value at their end;
// isNil reports a nil on the way (r is then that pointer or interface).
func indirect(r reflect.Value) (_ reflect.Value, isNil bool) {
	for ; r.Kind() == reflect.Pointer || r.Kind() == reflect.Interface; r = r.Elem() {
		if r.IsNil() {
			return r, true
		}
	}
	return r, false
}

// canBeNil reports whether a nil may stand for a value of type t.
func canBeNil(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Chan, reflect.Func, reflect.Interface, reflect.Map, reflect.Pointer, reflect.Slice:
		return true
	case reflect.Struct:
		return t == reflectValT
	}
	return false
}

// assign converts v for a parameter (or builtin operand) of type t, as
// text/template's validateType does; ok is false where it fails. The
// result is of a representation the call adapters read directly: kString
// for a string parameter, any kind for an empty interface, kRefl of an
// assignable type otherwise (or kInvalid for a nil of a nillable type).
func assign(v value, t reflect.Type) (value, bool) {
	if t == reflectValT {
		// Builtins taking reflect.Value see the value as it is.
		return v, true
	}
	empty := t.Kind() == reflect.Interface && t.NumMethod() == 0
	switch v.k {
	case kInvalid:
		if canBeNil(t) {
			return value{}, true
		}
		return value{}, false
	case kNil:
		return v, empty
	case kString:
		return v, t == stringType || empty
	case kBool:
		return v, t == boolType || empty
	case kInt:
		return v, t == intType || empty
	case kFloat:
		return v, t == float64Type || empty
	}
	r := v.r
	rt := r.Type()
	if rt.AssignableTo(t) {
		return v, true
	}
	if r.Kind() == reflect.Interface && !r.IsNil() {
		if e := r.Elem(); e.Type().AssignableTo(t) {
			return fromReflectKeep(e), true
		}
	}
	switch {
	case r.Kind() == reflect.Pointer && rt.Elem().AssignableTo(t):
		if r.IsNil() {
			return value{}, false
		}
		return fromReflectKeep(r.Elem()), true
	case r.CanAddr() && reflect.PointerTo(rt).AssignableTo(t):
		return value{k: kRefl, r: r.Addr()}, true
	}
	return value{}, false
}

// fromReflectKeep is fromReflect for a value already checked assignable to
// a parameter type: basic types are unboxed, nothing else changes.
func fromReflectKeep(r reflect.Value) value {
	if k := r.Kind(); k != reflect.Interface {
		return fromKind(r, k)
	}
	return value{k: kRefl, r: r}
}

// reflectArg is an assigned value as a reflect.Value of type t, for
// reflect.Call.
func reflectArg(v value, t reflect.Type) reflect.Value {
	if t == reflectValT {
		return reflect.ValueOf(v.toReflect())
	}
	switch v.k {
	case kInvalid, kNil:
		return reflect.Zero(t)
	case kRefl:
		return v.r
	}
	return v.toReflect()
}
