package texteval

import (
	"reflect"
	"sync/atomic"
)

// chainOp is a chain of names without arguments (.ObjectMeta.Annotations,
// $c.Ports) on a value known when the program runs. Where the receiver's
// type makes the names plain struct fields, the chain is walked by a plan
// made once for that type: the fields by index, pointers followed,
// without the values in between. Whatever the plan does not cover (a
// method, a map key, a field of an interface type, a nil pointer on the
// way) is done name by name, as fieldOp does it.
type chainOp struct {
	recv  expr       // nil: the data (the commonest receiver, read without a call)
	steps []*fieldOp // one per name
	plan  atomic.Pointer[chainPlan]
}

// chainPlan is how a chain walks a receiver of one type.
type chainPlan struct {
	t    reflect.Type
	ptr  bool // t is a pointer: whether the receiver is addressable does not matter
	addr bool // the receiver is addressable (when t is not a pointer)
	path []chainStep
	// refl: the last field's type is one fromReflect holds as it is (not
	// an interface, nor string, bool, int or float64).
	refl bool
}

// chainStep is one name of a chain the plan covers: the pointers followed
// to a struct, then its field.
type chainStep struct {
	derefs int
	field  int
}

func newChainOp(recv expr, names []string) *chainOp {
	op := &chainOp{recv: recv}
	for _, name := range names {
		op.steps = append(op.steps, &fieldOp{name: name})
	}
	return op
}

func (op *chainOp) eval(s *state) (value, bool) {
	v := s.root
	if op.recv != nil {
		var ok bool
		if v, ok = op.recv(s); !ok {
			return value{}, false
		}
	}
	if v.k != kRefl {
		return op.walk(s, v, 0)
	}
	r := v.r
	plan := op.plan.Load()
	if plan == nil || plan.t != r.Type() || !plan.ptr && plan.addr != r.CanAddr() {
		plan = op.newPlan(r)
		op.plan.Store(plan)
	}
	if len(plan.path) == 0 {
		return op.walk(s, v, 0)
	}
	f := r
	for _, st := range plan.path {
		for range st.derefs {
			if f.IsNil() {
				return op.walk(s, v, 0) // the error is fieldOp's to find
			}
			f = f.Elem()
		}
		f = f.Field(st.field)
	}
	if len(plan.path) == len(op.steps) {
		if plan.refl {
			return value{k: kRefl, r: f}, true
		}
		return fromReflect(f), true
	}
	return op.walk(s, fromReflect(f), len(plan.path))
}

// walk evaluates the names from the i-th on v, one by one.
func (op *chainOp) walk(s *state, v value, i int) (value, bool) {
	for _, f := range op.steps[i:] {
		var ok bool
		if v, ok = f.evalOn(s, v, value{}); !ok {
			return value{}, false
		}
	}
	return v, true
}

// newPlan is the plan for receivers like r: the longest run of names,
// from the first, that are exported fields of a struct (reached through
// pointers) and not methods, which fieldOp would find first. A field of
// an embedded struct ends the run (its path may pass a nil pointer), and
// so does any type but a struct or a pointer to one.
func (op *chainOp) newPlan(r reflect.Value) *chainPlan {
	t := r.Type()
	p := &chainPlan{t: t, ptr: t.Kind() == reflect.Pointer, addr: r.CanAddr()}
	addr := p.addr
	for _, f := range op.steps {
		st := chainStep{}
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
			st.derefs++
			addr = true // what a pointer points to is addressable
		}
		if t.Kind() != reflect.Struct {
			break
		}
		mt := t
		if addr {
			mt = reflect.PointerTo(t)
		}
		if _, ok := mt.MethodByName(f.name); ok {
			break
		}
		sf, ok := t.FieldByName(f.name)
		if !ok || !sf.IsExported() || len(sf.Index) != 1 {
			break
		}
		st.field = sf.Index[0]
		p.path = append(p.path, st)
		t = sf.Type
		p.refl = heldAsIs(t)
	}
	return p
}
