package texteval

import (
	"fmt"
	"reflect"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// caller calls a function with arguments already converted for its
// parameters (see assign). An error is the function's own.
type caller func(args []value) (value, error)

// function is a function of the template's FuncMap, with what a call
// needs to know about it.
type function struct {
	name string
	v    reflect.Value
	t    reflect.Type
	call caller
}

func newFunction(name string, fn any) (*function, error) {
	v := reflect.ValueOf(fn)
	if v.Kind() != reflect.Func {
		return nil, fmt.Errorf("function %s is a %s", name, v.Kind())
	}
	t := v.Type()
	switch {
	case t.NumOut() == 1:
	case t.NumOut() == 2 && t.Out(1) == errorType:
	default:
		return nil, fmt.Errorf("function %s has an unusable signature %s", name, t)
	}
	f := &function{name: name, v: v, t: t, call: typedCaller(fn)}
	if f.call == nil {
		f.call = reflectCaller(v)
	}
	return f, nil
}

// param is the type of the i-th argument of a call with n arguments.
func (f *function) param(i int) reflect.Type {
	if f.t.IsVariadic() && i >= f.t.NumIn()-1 {
		return f.t.In(f.t.NumIn() - 1).Elem()
	}
	return f.t.In(i)
}

// arity reports whether the function takes n arguments.
func (f *function) arity(n int) bool {
	if f.t.IsVariadic() {
		return n >= f.t.NumIn()-1
	}
	return n == f.t.NumIn()
}

// reflectCaller calls any function through reflect, as text/template does.
func reflectCaller(fn reflect.Value) caller {
	t := fn.Type()
	return func(args []value) (value, error) {
		in := make([]reflect.Value, len(args))
		for i, a := range args {
			pt := t.In(min(i, t.NumIn()-1))
			if t.IsVariadic() && i >= t.NumIn()-1 {
				pt = pt.Elem()
			}
			in[i] = reflectArg(a, pt)
		}
		out := fn.Call(in) // a panic: see compiler.call

		if len(out) == 2 && !out[1].IsNil() {
			return value{}, out[1].Interface().(error)
		}
		r := out[0]
		if r.Type() == reflectValT {
			r = r.Interface().(reflect.Value)
		}
		return fromReflect(r), nil
	}
}

// typedCaller calls the functions whose signature it knows without
// reflection (the signatures of kinject's FuncMap); nil for others.
func typedCaller(fn any) caller {
	switch f := fn.(type) {
	case func(string) string:
		return func(a []value) (value, error) { return strV(f(a[0].s)), nil }
	case func(string, string) string:
		return func(a []value) (value, error) { return strV(f(a[0].s, a[1].s)), nil }
	case func(string, string, string) string:
		return func(a []value) (value, error) { return strV(f(a[0].s, a[1].s, a[2].s)), nil }
	case func(string) bool:
		return func(a []value) (value, error) { return boolV(f(a[0].s)), nil }
	case func(string, string) bool:
		return func(a []value) (value, error) { return boolV(f(a[0].s, a[1].s)), nil }
	case func(int, string) string:
		return func(a []value) (value, error) { return strV(f(a[0].int(), a[1].s)), nil }
	case func(string) any:
		return func(a []value) (value, error) { return fromAny(f(a[0].s)), nil }
	case func(string) (string, error):
		return func(a []value) (value, error) { return retS(f(a[0].s)) }
	case func(string) (any, error):
		return func(a []value) (value, error) { return retA(f(a[0].s)) }
	case func(any) string:
		return func(a []value) (value, error) { return strV(f(a[0].toAny())), nil }
	case func(any) bool:
		return func(a []value) (value, error) { return boolV(f(a[0].toAny())), nil }
	case func(any) (string, error):
		return func(a []value) (value, error) { return retS(f(a[0].toAny())) }
	case func(any) (any, error):
		return func(a []value) (value, error) { return retA(f(a[0].toAny())) }
	case func(any, string) string:
		return func(a []value) (value, error) { return strV(f(a[0].toAny(), a[1].s)), nil }
	case func(string, any) string:
		return func(a []value) (value, error) { return strV(f(a[0].s, a[1].toAny())), nil }
	case func(any, any) any:
		return func(a []value) (value, error) { return fromAny(f(a[0].toAny(), a[1].toAny())), nil }
	case func(any, any, bool) any:
		return func(a []value) (value, error) {
			return fromAny(f(a[0].toAny(), a[1].toAny(), a[2].bool())), nil
		}
	case func(any, ...any) any:
		return func(a []value) (value, error) { return fromAny(f(a[0].toAny(), anys(a[1:])...)), nil }
	case func(...any) any:
		return func(a []value) (value, error) { return fromAny(f(anys(a)...)), nil }
	case func(...any) string:
		return func(a []value) (value, error) { return strV(f(anys(a)...)), nil }
	case func(...any) (any, error):
		return func(a []value) (value, error) { return retA(f(anys(a)...)) }
	case func(map[string]string, string) bool:
		return func(a []value) (value, error) { return boolV(f(argRef[map[string]string](a[0]), a[1].s)), nil }
	case func(map[string]string) string:
		return func(a []value) (value, error) { return strV(f(argRef[map[string]string](a[0]))), nil }
	case func(...map[string]string) string:
		return func(a []value) (value, error) {
			ms := make([]map[string]string, len(a))
			for i := range a {
				ms[i] = argRef[map[string]string](a[i])
			}
			return strV(f(ms...)), nil
		}
	case func(...string) map[string]string:
		return func(a []value) (value, error) {
			ss := make([]string, len(a))
			for i := range a {
				ss[i] = a[i].s
			}
			return value{k: kRefl, r: reflect.ValueOf(f(ss...))}, nil
		}
	case func(any, ...string) (any, error):
		return func(a []value) (value, error) {
			ss := make([]string, len(a)-1)
			for i := range ss {
				ss[i] = a[i+1].s
			}
			return retA(f(a[0].toAny(), ss...))
		}
	case func(map[string]any) map[string]any:
		return func(a []value) (value, error) {
			return value{k: kRefl, r: reflect.ValueOf(f(argRef[map[string]any](a[0])))}, nil
		}
	case func(metav1.ObjectMeta, string, any) string:
		return func(a []value) (value, error) {
			return strV(f(argOf[metav1.ObjectMeta](a[0]), a[1].s, a[2].toAny())), nil
		}
	case func([]corev1.Container) string:
		return func(a []value) (value, error) { return strV(f(argOf[[]corev1.Container](a[0]))), nil }
	case func(any, map[string]string, map[string]string, string, []corev1.Container) string:
		return func(a []value) (value, error) {
			return strV(f(a[0].toAny(), argRef[map[string]string](a[1]), argRef[map[string]string](a[2]),
				a[3].s, argOf[[]corev1.Container](a[4]))), nil
		}
	}
	return nil
}

// withStringForm calls form for string arguments it takes and call
// otherwise (Options.StringForms).
func withStringForm(call caller, form StringForm) caller {
	return func(a []value) (value, error) {
		switch {
		case len(a) == 1 && form.One != nil && a[0].k == kString:
			return strV(form.One(a[0].s)), nil
		case len(a) == 2 && form.Two != nil && a[0].k == kString && a[1].k == kString:
			return strV(form.Two(a[0].s, a[1].s)), nil
		}
		return call(a)
	}
}

// retS and retA are the value of a (result, error) pair.
func retS(r string, err error) (value, error) {
	if err != nil {
		return value{}, err
	}
	return strV(r), nil
}

func retA(r any, err error) (value, error) {
	if err != nil {
		return value{}, err
	}
	return fromAny(r), nil
}

// anys is the arguments of a variadic ...any call. It is a new slice: the
// function may keep it.
func anys(a []value) []any {
	xs := make([]any, len(a))
	for i := range a {
		xs[i] = a[i].toAny()
	}
	return xs
}

// argRef is argOf for a T held as a pointer (a map): its interface form is
// not a copy, and it needs no address.
func argRef[T any](v value) T {
	var z T
	if v.k != kRefl {
		return z
	}
	r := v.r
	if t := reflect.TypeFor[T](); r.Type() != t {
		r = r.Convert(t)
	}
	return r.Interface().(T)
}

// argOf is an assigned argument as the Go type T it was assigned to: a
// kRefl of a type assignable to T, or no value for T's zero (nil).
func argOf[T any](v value) T {
	var z T
	if v.k != kRefl {
		return z
	}
	r := v.r
	if t := reflect.TypeFor[T](); r.Type() != t {
		r = r.Convert(t)
	}
	if r.CanAddr() {
		return *r.Addr().Interface().(*T)
	}
	return r.Interface().(T)
}
