package texteval

import (
	"fmt"
	"reflect"
	"slices"
)

// The builtins of text/template that compiled templates evaluate
// themselves, each with text/template's documented behaviour. An input on
// which text/template returns an error gives ok == false (the fast path
// declines and text/template reports the error).

// basic is the comparison class of an operand, as text/template's
// comparison functions classify it.
type basic uint8

const (
	bOther basic = iota // not comparable by value (also: no value)
	bBool
	bComplex
	bInt
	bFloat
	bString
	bUint
)

// operand is a value looked through its interface, classified.
type operand struct {
	b basic
	r reflect.Value // the value (invalid for no value); unused for the unboxed kinds
	s string
	i int64
	u uint64
	f float64
	c complex128
	t bool
}

func operandOf(v value) operand {
	switch v.k {
	case kInvalid, kNil:
		return operand{}
	case kString:
		return operand{b: bString, s: v.s}
	case kBool:
		return operand{b: bBool, t: v.bool()}
	case kInt:
		return operand{b: bInt, i: int64(v.n)}
	case kFloat:
		return operand{b: bFloat, f: v.flt()}
	}
	r := v.r
	if r.Kind() == reflect.Interface {
		if r.IsNil() {
			return operand{}
		}
		r = r.Elem()
	}
	o := operand{r: r}
	switch r.Kind() {
	case reflect.Bool:
		o.b, o.t = bBool, r.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		o.b, o.i = bInt, r.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		o.b, o.u = bUint, r.Uint()
	case reflect.Float32, reflect.Float64:
		o.b, o.f = bFloat, r.Float()
	case reflect.Complex64, reflect.Complex128:
		o.b, o.c = bComplex, r.Complex()
	case reflect.String:
		o.b, o.s = bString, r.String()
	}
	return o
}

// valid reports whether the operand holds a value.
func (o operand) valid() bool { return o.b != bOther || o.r.IsValid() }

func (o operand) isNil() bool {
	if !o.valid() {
		return true
	}
	if o.b != bOther {
		return false
	}
	switch o.r.Kind() {
	case reflect.Chan, reflect.Func, reflect.Interface, reflect.Map, reflect.Pointer, reflect.Slice:
		return o.r.IsNil()
	}
	return false
}

// equal is eq of two operands.
func equal(a, b operand) (bool, bool) {
	if a.b != b.b {
		switch {
		case a.b == bInt && b.b == bUint:
			return a.i >= 0 && uint64(a.i) == b.u, true
		case a.b == bUint && b.b == bInt:
			return b.i >= 0 && a.u == uint64(b.i), true
		}
		if a.valid() && b.valid() {
			return false, false // incompatible types
		}
		return false, true
	}
	switch a.b {
	case bBool:
		return a.t == b.t, true
	case bComplex:
		return a.c == b.c, true
	case bFloat:
		return a.f == b.f, true
	case bInt:
		return a.i == b.i, true
	case bString:
		return a.s == b.s, true
	case bUint:
		return a.u == b.u, true
	}
	// Neither is a basic value: same kinds, or one of them absent.
	if a.valid() && b.valid() && a.r.Kind() != b.r.Kind() {
		return false, false
	}
	if a.isNil() || b.isNil() {
		return a.isNil() == b.isNil(), true
	}
	if !b.r.Type().Comparable() {
		return false, false
	}
	if a.r.Type() != b.r.Type() && !a.r.Type().Comparable() {
		return false, true // different dynamic types: unequal, as == says
	}
	if !a.r.CanInterface() || !b.r.CanInterface() {
		return false, false
	}
	return a.r.Interface() == b.r.Interface(), true
}

// eq is the builtin eq: whether the first operand equals any other.
func eq(args []value) (value, bool) {
	if len(args) < 2 {
		return value{}, false
	}
	a := operandOf(args[0])
	for _, x := range args[1:] {
		t, ok := equal(a, operandOf(x))
		if !ok {
			return value{}, false
		}
		if t {
			return boolV(true), true
		}
	}
	return boolV(false), true
}

// less is lt of two operands.
func less(a, b operand) (bool, bool) {
	if a.b == bOther || b.b == bOther {
		return false, false
	}
	if a.b != b.b {
		switch {
		case a.b == bInt && b.b == bUint:
			return a.i < 0 || uint64(a.i) < b.u, true
		case a.b == bUint && b.b == bInt:
			return b.i >= 0 && a.u < uint64(b.i), true
		}
		return false, false
	}
	switch a.b {
	case bFloat:
		return a.f < b.f, true
	case bInt:
		return a.i < b.i, true
	case bString:
		return a.s < b.s, true
	case bUint:
		return a.u < b.u, true
	}
	return false, false // bool and complex have no order
}

// compare is the builtin named op (ne, lt, le, gt, ge) on two operands.
func compare(op string, x, y value) (value, bool) {
	a, b := operandOf(x), operandOf(y)
	switch op {
	case "ne":
		t, ok := equal(a, b)
		return boolV(!t), ok
	case "lt":
		t, ok := less(a, b)
		return boolV(t), ok
	case "ge":
		t, ok := less(a, b)
		return boolV(!t), ok
	case "le", "gt":
		t, ok := less(a, b)
		if !ok {
			return value{}, false
		}
		if !t {
			if t, ok = equal(a, b); !ok {
				return value{}, false
			}
		}
		return boolV(t == (op == "le")), true
	}
	return value{}, false
}

// index is the builtin index: item[i0][i1]...
func index(item value, idx []value) (value, bool) {
	if item.k == kInvalid || item.k == kNil {
		return value{}, false
	}
	if len(idx) == 1 && item.k == kRefl && idx[0].k == kString {
		// The common cases, without reflection on the key.
		switch m := item.r; m.Type() {
		case mapStringString:
			return strV(mapOf[map[string]string](m)[idx[0].s]), true
		case mapStringAny:
			x, ok := mapOf[map[string]any](m)[idx[0].s]
			if !ok {
				return value{k: kNil}, true // the element type's zero: a nil interface
			}
			return fromAny(x), true
		}
	}
	r := item.toReflect()
	if r.Kind() == reflect.Interface {
		if r.IsNil() {
			return value{}, false
		}
		r = r.Elem()
	}
	for _, x := range idx {
		k := x.toReflect()
		if k.Kind() == reflect.Interface {
			if k.IsNil() {
				k = reflect.Value{}
			} else {
				k = k.Elem()
			}
		}
		var isNil bool
		if r, isNil = indirect(r); isNil {
			return value{}, false
		}
		switch r.Kind() {
		case reflect.Array, reflect.Slice, reflect.String:
			n, ok := indexArg(k, r.Len())
			if !ok {
				return value{}, false
			}
			r = r.Index(n)
		case reflect.Map:
			k, ok := mapKey(k, r.Type().Key())
			if !ok {
				return value{}, false
			}
			if e := r.MapIndex(k); e.IsValid() {
				r = e
			} else {
				r = reflect.Zero(r.Type().Elem())
			}
		default:
			return value{}, false
		}
	}
	return fromReflect(r), true
}

var (
	mapStringString = reflect.TypeFor[map[string]string]()
	mapStringAny    = reflect.TypeFor[map[string]any]()
)

// mapOf is the map r holds (r's type is exactly M).
func mapOf[M any](r reflect.Value) M {
	if r.CanAddr() {
		return *r.Addr().Interface().(*M)
	}
	return r.Interface().(M)
}

// indexArg is an index into a sequence of length n.
func indexArg(k reflect.Value, n int) (int, bool) {
	var x int64
	switch k.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		x = k.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := k.Uint()
		if u > uint64(n) {
			return 0, false
		}
		x = int64(u)
	default:
		return 0, false
	}
	if x < 0 || x >= int64(n) {
		return 0, false
	}
	return int(x), true
}

// mapKey converts k for a map whose key type is t: assignable, or an
// integer of another integer type.
func mapKey(k reflect.Value, t reflect.Type) (reflect.Value, bool) {
	if !k.IsValid() {
		if !canBeNil(t) {
			return reflect.Value{}, false
		}
		return reflect.Zero(t), true
	}
	if k.Type().AssignableTo(t) {
		return k, true
	}
	if intLike(k.Kind()) && intLike(t.Kind()) && k.Type().ConvertibleTo(t) {
		return k.Convert(t), true
	}
	return reflect.Value{}, false
}

func intLike(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	}
	return false
}

// length is the builtin len.
func length(v value) (value, bool) {
	switch v.k {
	case kString:
		return intV(len(v.s)), true
	case kRefl:
	default:
		return value{}, false
	}
	r, isNil := indirect(v.r)
	if isNil {
		return value{}, false
	}
	switch r.Kind() {
	case reflect.Array, reflect.Chan, reflect.Map, reflect.Slice, reflect.String:
		return intV(r.Len()), true
	}
	return value{}, false
}

// printArgs is the builtins print, printf and println, through fmt.
func printArgs(name string, args []value) (value, bool) {
	xs := make([]any, 0, len(args))
	for _, a := range args {
		xs = append(xs, a.toAny())
	}
	switch name {
	case "print":
		return strV(fmt.Sprint(xs...)), true
	case "println":
		return strV(fmt.Sprintln(xs...)), true
	}
	if len(xs) == 0 || args[0].k != kString {
		return value{}, false
	}
	return strV(fmt.Sprintf(args[0].s, xs[1:]...)), true
}

// sortedKeys returns the keys of a map with string keys in text/template's
// range order (ascending).
func sortedKeys(m reflect.Value) []reflect.Value {
	ks := m.MapKeys()
	slices.SortFunc(ks, func(a, b reflect.Value) int {
		switch x, y := a.String(), b.String(); {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	return ks
}
