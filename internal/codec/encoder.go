package codec

import (
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"
)

// AppendJSON's encoders are compiled from plans: one function per plan,
// built on first use and kept beside it, that writes a value given a
// pointer to it. Members are reached by the offsets reflect reports for
// their fields and read with loads of their kind's Go type (a named string
// type is a string in memory, an int32 kind an int32, and so on), so
// nothing decides per value what a type is; maps and method calls go
// through reflect.NewAt, which gives the value at the pointer its own type.
// Only what a plan models is read: exported members, and the embedded
// structs and pointers encoding/json walks to reach them.

// encFn appends the JSON of the value p points to, a value of the plan's
// type; false declines (the caller then falls back to json.Marshal).
type encFn func(b []byte, p unsafe.Pointer) ([]byte, bool)

// encoder boxes an encFn, so a plan can publish it atomically.
type encoder struct{ fn encFn }

// encoder returns p's compiled encoder, compiling it (and those of the
// plans it reaches) on first use, one compiler at a time, as plans are
// built.
func (p *Plan) encoder() encFn {
	if e := p.enc.Load(); e != nil {
		return e.fn
	}
	compileMu.Lock()
	defer compileMu.Unlock()
	c := compiler{open: map[*Plan]bool{}}
	return c.encoder(p)
}

var compileMu sync.Mutex

// compiler compiles the encoders of a graph of plans; open are those
// being compiled.
type compiler struct{ open map[*Plan]bool }

// encoder returns p's encoder, compiling it if it has none yet. A plan is
// published once its encoder is complete; one that reaches itself (open)
// gets a function that looks its encoder up when a value is written,
// which is after compiling ends.
func (c *compiler) encoder(p *Plan) encFn {
	if e := p.enc.Load(); e != nil {
		return e.fn
	}
	if c.open[p] {
		return func(b []byte, ptr unsafe.Pointer) ([]byte, bool) { return p.encoder()(b, ptr) }
	}
	c.open[p] = true
	fn := c.compile(p)
	delete(c.open, p)
	p.enc.Store(&encoder{fn})
	return fn
}

// encodeValue writes v with the encoder of its plan p. Addressable values
// (pods' members, reached from a pointer) are written in place; a value
// that is not is copied once into memory of its own.
func encodeValue(b []byte, p *Plan, v reflect.Value) ([]byte, bool) {
	if v.CanAddr() {
		return p.encoder()(b, v.Addr().UnsafePointer())
	}
	if v.Kind() == reflect.Pointer {
		switch p.Marshal {
		case NoMethod:
			if v.IsNil() {
				return append(b, "null"...), true
			}
			return p.Elem.encoder()(b, v.UnsafePointer())
		case ValueJSON:
			if v.IsNil() {
				return append(b, "null"...), true
			}
			return appendMarshaled(b, v.Interface().(json.Marshaler))
		}
		return nil, false
	}
	c := reflect.New(v.Type())
	c.Elem().Set(v)
	return p.encoder()(b, c.UnsafePointer())
}

// decline is the encoder of what AppendJSON does not model.
func decline([]byte, unsafe.Pointer) ([]byte, bool) { return nil, false }

// compile builds p's encoder, its members' and elements' through c.
func (c *compiler) compile(p *Plan) encFn {
	t := p.Type
	switch p.Marshal {
	case OtherMethod:
		return decline
	case ValueJSON:
		if p.Kind == Pointer {
			// The pointer's method set holds its element's MarshalJSON
			// (or it is the element's pointer-receiver one).
			et := t.Elem()
			return func(b []byte, ptr unsafe.Pointer) ([]byte, bool) {
				q := *(*unsafe.Pointer)(ptr)
				if q == nil {
					return append(b, "null"...), true
				}
				return appendMarshaled(b, reflect.NewAt(et, q).Interface().(json.Marshaler))
			}
		}
		// A value method: *T has it too, so the value is not copied to
		// call it.
		return func(b []byte, ptr unsafe.Pointer) ([]byte, bool) {
			return appendMarshaled(b, reflect.NewAt(t, ptr).Interface().(json.Marshaler))
		}
	}
	switch p.Kind {
	case Struct:
		return c.compileStruct(p)
	case Pointer:
		elem := c.encoder(p.Elem)
		return func(b []byte, ptr unsafe.Pointer) ([]byte, bool) {
			q := *(*unsafe.Pointer)(ptr)
			if q == nil {
				return append(b, "null"...), true
			}
			return elem(b, q)
		}
	case Slice:
		enc, size := c.encoder(p.Elem), t.Elem().Size()
		return func(b []byte, ptr unsafe.Pointer) ([]byte, bool) {
			s := (*sliceHeader)(ptr)
			if s.data == nil {
				return append(b, "null"...), true
			}
			b = append(b, '[')
			var ok bool
			for i := range s.len {
				if i > 0 {
					b = append(b, ',')
				}
				if b, ok = enc(b, unsafe.Add(s.data, uintptr(i)*size)); !ok {
					return nil, false
				}
			}
			return append(b, ']'), true
		}
	case Map:
		if t.Key().Kind() != reflect.String {
			return decline
		}
		if t == mapOfStrings {
			return encodeStringMap
		}
		return compileMap(p, c.encoder(p.Elem))
	case Bytes:
		return func(b []byte, ptr unsafe.Pointer) ([]byte, bool) {
			s := *(*[]byte)(ptr) // []T for a uint8 kind T
			if s == nil {
				return append(b, "null"...), true
			}
			b = append(b, '"')
			b = appendBase64(b, s)
			return append(b, '"'), true
		}
	case String:
		return func(b []byte, ptr unsafe.Pointer) ([]byte, bool) {
			return AppendQuote(b, *(*string)(ptr), EscapeHTML), true
		}
	case Bool:
		return func(b []byte, ptr unsafe.Pointer) ([]byte, bool) {
			return strconv.AppendBool(b, *(*bool)(ptr)), true
		}
	case Int:
		switch t.Size() {
		case 1:
			return intEncoder[int8]
		case 2:
			return intEncoder[int16]
		case 4:
			return intEncoder[int32]
		case 8:
			return intEncoder[int64]
		}
	case Uint:
		switch t.Size() {
		case 1:
			return uintEncoder[uint8]
		case 2:
			return uintEncoder[uint16]
		case 4:
			return uintEncoder[uint32]
		case 8:
			return uintEncoder[uint64]
		}
	case Float:
		if t.Kind() == reflect.Float64 {
			return func(b []byte, ptr unsafe.Pointer) ([]byte, bool) { return appendFloat(b, *(*float64)(ptr)) }
		}
	}
	return decline // interfaces, float32, arrays and what encoding/json refuses
}

// intEncoder and uintEncoder write an integer of T's size (an int kind of
// that size is a T in memory, whatever its name).
func intEncoder[T int8 | int16 | int32 | int64](b []byte, ptr unsafe.Pointer) ([]byte, bool) {
	return strconv.AppendInt(b, int64(*(*T)(ptr)), 10), true
}

func uintEncoder[T uint8 | uint16 | uint32 | uint64](b []byte, ptr unsafe.Pointer) ([]byte, bool) {
	return strconv.AppendUint(b, uint64(*(*T)(ptr)), 10), true
}

// sliceHeader is how every slice is laid out (reflect's unsafeheader.Slice):
// a slice of any element type is read through it.
type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

var mapOfStrings = reflect.TypeFor[map[string]string]()

// encodeStringMap writes a map[string]string (labels, annotations,
// selectors), the one map type read without reflect.
func encodeStringMap(b []byte, ptr unsafe.Pointer) ([]byte, bool) {
	m := *(*map[string]string)(ptr)
	if m == nil {
		return append(b, "null"...), true
	}
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

// mapKey is a map entry's key and its index in the copied values.
type mapKey struct {
	s string
	i int
}

// compileMap writes a map whose keys are of a string kind: its entries
// are copied out once, the keys straight into strings (a string kind is a
// string in memory) and the values into one slice whose elements the
// value encoder reads in place, then written in key order.
func compileMap(p *Plan, enc encFn) encFn {
	t := p.Type
	keyType, valsType, size := t.Key(), reflect.SliceOf(t.Elem()), t.Elem().Size()
	return func(b []byte, ptr unsafe.Pointer) ([]byte, bool) {
		v := reflect.NewAt(t, ptr).Elem()
		if v.IsNil() {
			return append(b, "null"...), true
		}
		n := v.Len()
		if n == 0 {
			return append(b, "{}"...), true
		}
		vals := reflect.MakeSlice(valsType, n, n)
		keys := make([]mapKey, n)
		j := 0
		for it := v.MapRange(); it.Next() && j < n; j++ {
			keys[j].i = j
			reflect.NewAt(keyType, unsafe.Pointer(&keys[j].s)).Elem().SetIterKey(it)
			vals.Index(j).SetIterValue(it)
		}
		keys = keys[:j]
		slices.SortFunc(keys, func(x, y mapKey) int { return strings.Compare(x.s, y.s) })
		base := vals.UnsafePointer()
		var ok bool
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendQuote(b, k.s, EscapeHTML)
			b = append(b, ':')
			if b, ok = enc(b, unsafe.Add(base, uintptr(k.i)*size)); !ok {
				return nil, false
			}
		}
		return append(b, '}'), true
	}
}

// memberEnc is a struct member compiled: where it lies, its key, the
// test that leaves it out and how it is written.
type memberEnc struct {
	// off is the member's offset from the struct, or, for a member
	// reached through embedded pointers, the first pointer's offset; via
	// are the offsets past each pointer (the last is the member's).
	off uintptr
	via []uintptr
	// key is `,"name":`; the first member written drops the comma.
	key []byte
	// test and omit leave the member out (omit for omitFunc); write and
	// enc write it (enc for writeFunc). The common kinds are tested and
	// written in the struct's loop, saving a call per member.
	test  omitTest
	write writeOp
	omit  func(unsafe.Pointer) bool
	enc   encFn
}

// omitTest is how a member's omitempty and omitzero options are applied.
type omitTest uint8

const (
	omitNever   omitTest = iota // always written
	omitDecline                 // the string option: AppendJSON declines
	omitLen                     // omitempty on a string or slice: length 0
	omitWord1                   // omitempty on a bool or integer of 1,
	omitWord2                   // 2,
	omitWord4                   // 4
	omitWord8                   // or 8 bytes: every byte 0
	omitWordPtr                 // omitempty on a pointer: nil
	omitFunc                    // omit decides
)

// writeOp is how a member's value is written.
type writeOp uint8

const (
	writeFunc   writeOp = iota // enc writes it
	writeString                // a string kind without methods
	writeInt32                 // an int32 kind without methods
	writeInt64                 // an int64 kind without methods
	writeBool                  // a bool kind without methods
)

func (c *compiler) compileStruct(p *Plan) encFn {
	ms := make([]memberEnc, len(p.Fields))
	for i := range p.Fields {
		f := &p.Fields[i]
		m := &ms[i]
		m.key = append([]byte{','}, f.key...)
		m.test, m.omit = omitter(&f.Field)
		m.write = writeOf(f.Plan)
		if m.write == writeFunc {
			m.enc = c.encoder(f.Plan)
		}
		t := p.Type
		for k, x := range f.Index {
			if k > 0 && t.Kind() == reflect.Pointer {
				t = t.Elem()
				m.via = append(m.via, 0)
			}
			sf := t.Field(x)
			if m.via == nil {
				m.off += sf.Offset
			} else {
				m.via[len(m.via)-1] += sf.Offset
			}
			t = sf.Type
		}
	}
	return func(b []byte, ptr unsafe.Pointer) ([]byte, bool) {
		b = append(b, '{')
		start := len(b)
		var ok bool
		for i := range ms {
			m := &ms[i]
			fp := unsafe.Add(ptr, m.off)
			if m.via != nil {
				if fp = follow(fp, m.via); fp == nil {
					continue // a nil embedded pointer: its members are not written
				}
			}
			switch m.test {
			case omitNever:
			case omitLen:
				if *(*int)(unsafe.Add(fp, unsafe.Sizeof(uintptr(0)))) == 0 {
					continue
				}
			case omitWordPtr:
				if *(*unsafe.Pointer)(fp) == nil {
					continue
				}
			case omitWord1:
				if *(*uint8)(fp) == 0 {
					continue
				}
			case omitWord2:
				if *(*uint16)(fp) == 0 {
					continue
				}
			case omitWord4:
				if *(*uint32)(fp) == 0 {
					continue
				}
			case omitWord8:
				if *(*uint64)(fp) == 0 {
					continue
				}
			case omitFunc:
				if m.omit(fp) {
					continue
				}
			case omitDecline:
				return nil, false
			}
			if len(b) == start {
				b = append(b, m.key[1:]...)
			} else {
				b = append(b, m.key...)
			}
			switch m.write {
			case writeString:
				b = AppendQuote(b, *(*string)(fp), EscapeHTML)
			case writeInt32:
				b = strconv.AppendInt(b, int64(*(*int32)(fp)), 10)
			case writeInt64:
				b = strconv.AppendInt(b, *(*int64)(fp), 10)
			case writeBool:
				b = strconv.AppendBool(b, *(*bool)(fp))
			default:
				if b, ok = m.enc(b, fp); !ok {
					return nil, false
				}
			}
		}
		return append(b, '}'), true
	}
}

// writeOf is how a member of plan p is written.
func writeOf(p *Plan) writeOp {
	if p.Marshal != NoMethod {
		return writeFunc
	}
	switch k := p.Type.Kind(); {
	case p.Kind == String:
		return writeString
	case k == reflect.Int32:
		return writeInt32
	case k == reflect.Int64:
		return writeInt64
	case k == reflect.Bool:
		return writeBool
	}
	return writeFunc
}

// follow goes from an embedded pointer's address through the pointers
// and offsets of via to a member; nil when a pointer on the way is nil.
func follow(p unsafe.Pointer, via []uintptr) unsafe.Pointer {
	for _, off := range via {
		q := *(*unsafe.Pointer)(p)
		if q == nil {
			return nil
		}
		p = unsafe.Add(q, off)
	}
	return p
}

// omitter compiles the omitempty and omitzero options of f (see omitted)
// into a test.
func omitter(f *Field) (omitTest, func(unsafe.Pointer) bool) {
	switch {
	case f.Quoted:
		return omitDecline, nil
	case f.OmitEmpty && !f.OmitZero:
		switch t := f.Type; t.Kind() {
		case reflect.String, reflect.Slice:
			return omitLen, nil
		case reflect.Pointer:
			return omitWordPtr, nil
		case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			// Zero whatever the sign; a bool is one byte, 0 or 1.
			switch t.Size() {
			case 1:
				return omitWord1, nil
			case 2:
				return omitWord2, nil
			case 4:
				return omitWord4, nil
			case 8:
				return omitWord8, nil
			}
		}
		return omitFunc, emptyTest(f.Type)
	case f.OmitEmpty:
		empty, zero := emptyTest(f.Type), zeroTest(f.Type)
		return omitFunc, func(p unsafe.Pointer) bool { return empty(p) || zero(p) }
	case f.OmitZero:
		return omitFunc, zeroTest(f.Type)
	}
	return omitNever, nil
}

// never is the empty test of a type whose values are never empty.
func never(unsafe.Pointer) bool { return false }

// emptyTest is Empty for a value of type t at a pointer.
func emptyTest(t reflect.Type) func(unsafe.Pointer) bool {
	switch t.Kind() {
	case reflect.Array:
		if t.Len() == 0 {
			return func(unsafe.Pointer) bool { return true }
		}
		return never
	case reflect.Map, reflect.Interface:
		return func(p unsafe.Pointer) bool { return Empty(reflect.NewAt(t, p).Elem()) }
	case reflect.Slice:
		return func(p unsafe.Pointer) bool { return (*sliceHeader)(p).len == 0 }
	case reflect.String:
		return func(p unsafe.Pointer) bool { return len(*(*string)(p)) == 0 }
	case reflect.Pointer:
		return func(p unsafe.Pointer) bool { return *(*unsafe.Pointer)(p) == nil }
	case reflect.Bool:
		return func(p unsafe.Pointer) bool { return !*(*bool)(p) }
	case reflect.Float32:
		return func(p unsafe.Pointer) bool { return *(*float32)(p) == 0 }
	case reflect.Float64:
		return func(p unsafe.Pointer) bool { return *(*float64)(p) == 0 }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		switch t.Size() { // zero whatever the sign
		case 1:
			return func(p unsafe.Pointer) bool { return *(*uint8)(p) == 0 }
		case 2:
			return func(p unsafe.Pointer) bool { return *(*uint16)(p) == 0 }
		case 4:
			return func(p unsafe.Pointer) bool { return *(*uint32)(p) == 0 }
		case 8:
			return func(p unsafe.Pointer) bool { return *(*uint64)(p) == 0 }
		}
	}
	return func(p unsafe.Pointer) bool { return Empty(reflect.NewAt(t, p).Elem()) }
}

// zeroTest is omitzero's test for a value of type t at a pointer, as
// omitted applies it: the type's IsZero method where it has one (a value
// method is called through the pointer, which has it too), reflect's zero
// test otherwise.
func zeroTest(t reflect.Type) func(unsafe.Pointer) bool {
	switch {
	case t.Kind() == reflect.Interface:
		return func(p unsafe.Pointer) bool { return omitted(&Field{OmitZero: true}, reflect.NewAt(t, p).Elem()) }
	case t.Kind() == reflect.Pointer && t.Implements(isZeroerType):
		et := t.Elem()
		return func(p unsafe.Pointer) bool {
			q := *(*unsafe.Pointer)(p)
			return q == nil || reflect.NewAt(et, q).Interface().(isZeroer).IsZero()
		}
	case t.Implements(isZeroerType) || reflect.PointerTo(t).Implements(isZeroerType):
		return func(p unsafe.Pointer) bool { return reflect.NewAt(t, p).Interface().(isZeroer).IsZero() }
	}
	return func(p unsafe.Pointer) bool { return reflect.NewAt(t, p).Elem().IsZero() }
}

// simpleJSON reports whether a MarshalJSON's output is a JSON value that
// needs neither compacting nor HTML escaping, read from its bytes alone: a
// string of printable ASCII without quote, backslash, <, > or &; an
// integer; true, false or null (what Quantity, Time and IntOrString
// write). encoding/json would copy it as it is.
func simpleJSON(out []byte) bool {
	n := len(out)
	if n >= 2 && out[0] == '"' && out[n-1] == '"' {
		safe := &plain[EscapeHTML]
		for _, c := range out[1 : n-1] {
			if c >= utf8.RuneSelf || !safe[c] {
				return false
			}
		}
		return true
	}
	switch string(out) {
	case "null", "true", "false", "0", "-0":
		return true
	}
	if n > 0 && out[0] == '-' {
		out = out[1:]
	}
	if len(out) == 0 || out[0] < '1' || out[0] > '9' {
		return false
	}
	for _, c := range out {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
