package codec

import (
	"encoding"
	"encoding/json"
	"math"
	"reflect"
	"sync"
	"sync/atomic"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Kind is the shape of a Go type in JSON, as encoding/json treats it when
// no method of the type takes over (see Plan.Marshal and Plan.Unmarshal).
type Kind uint8

// The kinds. Unsupported covers what encoding/json refuses or writes in a
// way none of kinject's paths model (channels, functions, complex numbers,
// arrays).
const (
	Unsupported Kind = iota
	Struct
	Pointer
	Slice
	Bytes // []byte: a base64 string
	Map
	Interface
	String
	Bool
	Int
	Uint
	Float
)

// Method says which of its own methods encoding/json calls for a type.
type Method uint8

const (
	// NoMethod: encoding/json walks the type by its Kind.
	NoMethod Method = iota
	// ValueJSON: the type's value method MarshalJSON (or, for decoding,
	// its pointer's UnmarshalJSON) writes (reads) its JSON.
	ValueJSON
	// OtherMethod: a pointer-receiver MarshalJSON (called only on
	// addressable values) or a MarshalText / UnmarshalText, whose rules
	// the fast paths do not model.
	OtherMethod
)

// Special marks Kubernetes types the fast paths read without calling
// their methods, with the same result.
type Special uint8

const (
	NotSpecial  Special = iota // any other type
	Quantity                   // resource.Quantity
	IntOrString                // intstr.IntOrString
)

// Plan is the JSON shape of one Go type: what every encoder, decoder,
// checker and merger in kinject walks instead of reflecting over struct
// tags itself. Plans are built once per type, on first use, and only read
// afterwards; they are safe for concurrent use.
type Plan struct {
	// Type is the Go type the plan describes.
	Type reflect.Type
	// Kind is the type's JSON shape, which decides the fields that apply.
	Kind Kind
	// Elem is the plan of the element (Slice), the pointee (Pointer) or
	// the value (Map).
	Elem *Plan
	// Fields are a Struct's JSON members in encoding/json's order.
	Fields []FieldPlan
	byName map[string]int

	// Marshal and Unmarshal are the methods encoding/json calls for a
	// value of this type (a Pointer's are its element's).
	Marshal, Unmarshal Method
	// Special is set for Kubernetes types the fast paths know.
	Special Special
	// TextKey reports that a Map's keys are not plain strings for
	// encoding/json (a key type that is not a string kind, or whose
	// pointer has UnmarshalText).
	TextKey bool
	// Min and Max bound an Int or Uint: Min <= x < Max for the values the
	// type holds, as float64 (Max is exclusive: 2^63 is not an int64).
	Min, Max float64

	// enc is AppendJSON's compiled encoder for the type, set on first
	// use (see Plan.encoder).
	enc atomic.Pointer[encoder]
}

// FieldPlan is a struct member with the plan of its type.
type FieldPlan struct {
	Field
	// Plan is the plan of the member's type.
	Plan *Plan
	// key is the member's name as AppendJSON writes it, quoted with
	// EscapeHTML and followed by ':'.
	key []byte
}

// FieldByName returns the member named exactly name, or nil.
func (p *Plan) FieldByName(name string) *FieldPlan {
	if i, ok := p.byName[name]; ok {
		return &p.Fields[i]
	}
	return nil
}

// Deref is p with pointers followed: the plan of the value a pointer
// eventually points to.
func (p *Plan) Deref() *Plan {
	for p != nil && p.Kind == Pointer {
		p = p.Elem
	}
	return p
}

var (
	plans   sync.Map   // reflect.Type → *Plan, complete plans only
	buildMu sync.Mutex // one builder at a time, so a plan is built once
)

// PlanOf returns the plan of t, building it (and the plans of the types it
// reaches) on first use.
func PlanOf(t reflect.Type) *Plan {
	if p, ok := plans.Load(t); ok {
		return p.(*Plan)
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := plans.Load(t); ok {
		return p.(*Plan)
	}
	b := builder{building: map[reflect.Type]*Plan{}}
	p := b.plan(t)
	// Publish only whole graphs: a plan is visible once every plan it
	// reaches is complete.
	for t, q := range b.building {
		plans.Store(t, q)
	}
	return p
}

// PlanFor is PlanOf for the type parameter.
func PlanFor[T any]() *Plan { return PlanOf(reflect.TypeFor[T]()) }

type builder struct {
	building map[reflect.Type]*Plan
}

var (
	jsonMarshaler   = reflect.TypeFor[json.Marshaler]()
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textMarshaler   = reflect.TypeFor[encoding.TextMarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	quantityType    = reflect.TypeFor[resource.Quantity]()
	intOrStringType = reflect.TypeFor[intstr.IntOrString]()
)

func (b *builder) plan(t reflect.Type) *Plan {
	if p, ok := plans.Load(t); ok {
		return p.(*Plan)
	}
	if p, ok := b.building[t]; ok {
		return p // a type that reaches itself
	}
	p := &Plan{Type: t}
	b.building[t] = p
	switch t {
	case quantityType:
		p.Special = Quantity
	case intOrStringType:
		p.Special = IntOrString
	}
	if t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface {
		pt := reflect.PointerTo(t)
		switch {
		case t.Implements(jsonMarshaler):
			p.Marshal = ValueJSON
		case pt.Implements(jsonMarshaler), t.Implements(textMarshaler), pt.Implements(textMarshaler):
			p.Marshal = OtherMethod
		}
		switch {
		case pt.Implements(jsonUnmarshaler):
			p.Unmarshal = ValueJSON
		case pt.Implements(textUnmarshaler):
			p.Unmarshal = OtherMethod
		}
	}
	switch t.Kind() {
	case reflect.Pointer:
		p.Kind = Pointer
		p.Elem = b.plan(t.Elem())
		// A pointer's own method set holds its element's methods: the
		// pointer is a Marshaler whatever the receiver (nil writes null),
		// and decoding allocates the element, then calls its methods.
		switch {
		case t.Implements(jsonMarshaler):
			p.Marshal = ValueJSON
		case t.Implements(textMarshaler):
			p.Marshal = OtherMethod
		}
		p.Unmarshal = p.Elem.Unmarshal
	case reflect.Struct:
		p.Kind = Struct
		fs := structFields(t)
		p.Fields = make([]FieldPlan, len(fs))
		p.byName = make(map[string]int, len(fs))
		for i, f := range fs {
			p.Fields[i] = FieldPlan{Field: f, Plan: b.plan(f.Type), key: append(AppendQuote(nil, f.Name, EscapeHTML), ':')}
			p.byName[f.Name] = i
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && !reflect.PointerTo(t.Elem()).Implements(jsonMarshaler) &&
			!reflect.PointerTo(t.Elem()).Implements(textMarshaler) {
			p.Kind = Bytes
			break
		}
		p.Kind = Slice
		p.Elem = b.plan(t.Elem())
	case reflect.Map:
		p.Kind = Map
		p.Elem = b.plan(t.Elem())
		p.TextKey = t.Key().Kind() != reflect.String || reflect.PointerTo(t.Key()).Implements(textUnmarshaler)
	case reflect.Interface:
		p.Kind = Interface
	case reflect.String:
		p.Kind = String
	case reflect.Bool:
		p.Kind = Bool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		p.Kind = Int
		p.Min, p.Max = -math.Ldexp(1, t.Bits()-1), math.Ldexp(1, t.Bits()-1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		p.Kind = Uint
		p.Min, p.Max = 0, math.Ldexp(1, t.Bits())
	case reflect.Float32, reflect.Float64:
		p.Kind = Float
	}
	return p
}
