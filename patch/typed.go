package patch

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"

	"github.com/kinject/kinject/internal/codec"
)

// DiffPodValues returns DiffPod of the two pods' json.Marshal encodings and
// that patch's MarshalJSON bytes, computed from the typed pods where it can:
// struct members are compared as Go values, one that is the same in both is
// never encoded, one only in the modified pod is encoded once, straight into
// its operation, and only a member that differs in both is encoded and
// diffed as JSON. The result is byte for byte the one of
//
//	a, _ := json.Marshal(original)
//	b, _ := json.Marshal(modified)
//	p, _ := patch.DiffPod(a, b)
//	body, _ := p.MarshalJSON()
//
// which is also what it does where the typed walk declines (a member it does
// not model, the kinject_reference build). The pods are not modified.
func DiffPodValues(original, modified *corev1.Pod) (Patch, []byte, error) {
	if original == nil || modified == nil {
		return nil, nil, errors.New("patch: DiffPodValues of a nil pod")
	}
	if p, body, ok := diffPodValues(original, modified); ok {
		return p, body, nil
	}
	a, err := json.Marshal(original)
	if err != nil {
		return nil, nil, fmt.Errorf("patch: encoding the original pod: %w", err)
	}
	b, err := json.Marshal(modified)
	if err != nil {
		return nil, nil, fmt.Errorf("patch: encoding the modified pod: %w", err)
	}
	p, err := DiffPod(a, b)
	if err != nil {
		return nil, nil, err
	}
	body, err := p.MarshalJSON()
	if err != nil {
		return nil, nil, err
	}
	return p, body, nil
}

// diffPodValues is DiffPodValues' fast path; ok is false when it declines
// (always under kinject_reference).
func diffPodValues(original, modified *corev1.Pod) (Patch, []byte, bool) {
	if !codec.Fast {
		return nil, nil, false
	}
	t := &typedDiffer{differ: differ{
		path:  make([]byte, 0, 256),
		ints:  make([]int32, 0, 64),
		ops:   make([]rawOp, 0, 16),
		paths: make([]byte, 0, 512),
		vals:  make([]byte, 0, 8192),
	}, buf: make([]byte, 0, 2048)}
	av, bv := reflect.ValueOf(original).Elem(), reflect.ValueOf(modified).Elem()
	if !t.diffStruct(PodSchema().root.plan, av, bv, PodSchema().root, inRoot) {
		return nil, nil, false
	}
	return t.result(), t.encode(), true
}

// typedDiffer walks two values of one struct type member by member and
// hands what differs to the JSON differ, whose operations it shares.
type typedDiffer struct {
	differ
	buf        []byte // encodings of the member being diffed as JSON
	docA, docB document
	parser     parser
}

// sortedMembers holds, per struct plan, its member indices in the byte
// order of their names: the order Diff walks an object's keys in.
var sortedMembers sync.Map // *codec.Plan → []int

func membersInOrder(p *codec.Plan) []int {
	if v, ok := sortedMembers.Load(p); ok {
		return v.([]int)
	}
	order := make([]int, len(p.Fields))
	for k := range order {
		order[k] = k
	}
	slices.SortFunc(order, func(x, y int) int { return strings.Compare(p.Fields[x].Name, p.Fields[y].Name) })
	v, _ := sortedMembers.LoadOrStore(p, order)
	return v.([]int)
}

// structPlan reports whether Diff edits values of plan p, as a schema
// node s, member by member the way diffStruct does: a struct that
// encoding/json walks field by field, which s knows as a struct.
func structPlan(p *codec.Plan, s schemaNode) bool {
	return p != nil && p.Kind == codec.Struct && p.Marshal == codec.NoMethod && s.plan == p
}

// diffStruct diffs the struct values av and bv of plan p at d.path as
// diffObject diffs their encodings (both are JSON objects); false declines.
func (t *typedDiffer) diffStruct(p *codec.Plan, av, bv reflect.Value, s schemaNode, where parent) bool {
	if !structPlan(p, s) {
		return false
	}
	order := membersInOrder(p)
	// Each member is read once, for the count and for the walk (a pod
	// spec has about 40).
	var buf [48]memberPair
	ms := buf[:0]
	if len(p.Fields) > len(buf) {
		ms = make([]memberPair, 0, len(p.Fields))
	}
	na, nb := 0, 0
	for k := range p.Fields {
		f := &p.Fields[k].Field
		fa, wa, ok := codec.Member(av, f)
		if !ok {
			return false
		}
		fb, wb, ok := codec.Member(bv, f)
		if !ok {
			return false
		}
		if wa {
			na++
		}
		if wb {
			nb++
		}
		ms = append(ms, memberPair{fa, fb, wa, wb})
	}
	if na == 0 && nb == 0 {
		return true
	}
	if na == 0 && where == inObject {
		// a is {}: an "add" of the whole object, as diffObject does.
		return t.emitValue(opAdd, p, bv)
	}
	for _, k := range order {
		f := &p.Fields[k]
		fa, fb, wa, wb := ms[k].a, ms[k].b, ms[k].wa, ms[k].wb
		if !wa && !wb {
			continue
		}
		n := t.pushKey([]byte(f.Name))
		ok := true
		switch {
		case !wb:
			t.emit(opRemove, nil, -1)
		case !wa:
			ok = t.emitValue(opAdd, f.Plan, fb)
		default:
			ok = t.diffMember(f.Plan, fa, fb, s.field([]byte(f.Name)))
		}
		t.pop(n)
		if !ok {
			return false
		}
	}
	return true
}

// memberPair is one member of both structs diffStruct diffs, as
// codec.Member returns it: the values and whether each is written.
type memberPair struct {
	a, b   reflect.Value
	wa, wb bool
}

// diffMember diffs two values of plan p that are members of an object at
// d.path, as diff does their encodings.
func (t *typedDiffer) diffMember(p *codec.Plan, av, bv reflect.Value, s schemaNode) bool {
	for p.Kind == codec.Pointer && p.Marshal == codec.NoMethod && !av.IsNil() && !bv.IsNil() {
		// A pointer is written as what it points to.
		p, av, bv = p.Elem, av.Elem(), bv.Elem()
	}
	if structPlan(p, s) {
		return t.diffStruct(p, av, bv, s, inObject)
	}
	if equalValues(av, bv) {
		return true // the same value, so the same JSON: no operation
	}
	// Both encodings go into one buffer: a's stays valid if b's append
	// moves it (the documents only read).
	buf, ok := codec.AppendValue(t.buf[:0], p, av)
	if !ok {
		return false
	}
	na := len(buf)
	if buf, ok = codec.AppendValue(buf, p, bv); !ok {
		return false
	}
	t.buf = buf
	if parseInto(&t.docA, &t.parser, "original", buf[:na:na]) != nil ||
		parseInto(&t.docB, &t.parser, "modified", buf[na:]) != nil {
		return false
	}
	t.a, t.b = &t.docA, &t.docB
	t.diff(0, 0, s, inObject)
	t.a, t.b = nil, nil
	return true
}

// equalValues reports whether two values of one type are deeply equal (and
// so encode alike), comparing the common kinds without reflect.DeepEqual.
func equalValues(a, b reflect.Value) bool {
	switch a.Kind() {
	case reflect.String:
		return a.String() == b.String()
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return a.Uint() == b.Uint()
	case reflect.Slice, reflect.Map, reflect.Pointer:
		if a.IsNil() != b.IsNil() {
			return false
		}
		if a.Kind() != reflect.Map && a.UnsafePointer() == b.UnsafePointer() && (a.Kind() == reflect.Pointer || a.Len() == b.Len()) {
			return true // the same memory
		}
	}
	if a.CanAddr() && b.CanAddr() {
		return reflect.DeepEqual(a.Addr().Interface(), b.Addr().Interface())
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}

// emitValue emits op at d.path with v's encoding as its value.
func (t *typedDiffer) emitValue(op opKind, p *codec.Plan, v reflect.Value) bool {
	off := len(t.vals)
	vals, ok := codec.AppendValue(t.vals, p, v)
	if !ok {
		return false
	}
	t.vals = vals
	t.ops = append(t.ops, rawOp{
		op:      op,
		pathOff: int32(len(t.paths)), pathLen: int32(len(t.path)),
		fromLen: -1,
		valOff:  int32(off), valLen: int32(len(vals) - off),
	})
	t.paths = append(t.paths, t.path...)
	t.size += opSize(op, codec.QuotedLen(t.path, 0), -1, len(vals)-off)
	return true
}

// encode writes the operations as Patch.MarshalJSON does: values are
// compact and valid already, so they are copied as they are.
func (d *differ) encode() []byte {
	out := make([]byte, 0, d.size+2)
	out = append(out, '[')
	for k, o := range d.ops {
		if k > 0 {
			out = append(out, ',')
		}
		out = append(out, `{"op":"`...)
		out = append(out, opNames[o.op]...)
		out = append(out, `","path":`...)
		out = codec.AppendQuote(out, d.paths[o.pathOff:o.pathOff+o.pathLen], 0)
		if o.fromLen >= 0 || o.op == opMove {
			out = append(out, `,"from":`...)
			out = codec.AppendQuote(out, d.paths[o.fromOff:o.fromOff+max(o.fromLen, 0)], 0)
		}
		if o.valLen >= 0 {
			out = append(out, `,"value":`...)
			out = append(out, d.vals[o.valOff:o.valOff+o.valLen]...)
		}
		out = append(out, '}')
	}
	return append(out, ']')
}
