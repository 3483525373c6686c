package template

import (
	"encoding"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// errTreeFallback reports that decodeTree met something its plan does not
// cover exactly as encoding/json would (an unknown or differently cased key,
// a value of the wrong type, a number a field cannot hold); the caller then
// decodes the slow, reference way, which also writes the error message.
var errTreeFallback = errors.New("tree decode: use the reference decoder")

// planKind is how decodeTree fills a Go value from a JSON-compatible tree.
type planKind uint8

const (
	planUnsupported planKind = iota // decodeTree gives up (errTreeFallback)
	planStruct
	planPointer
	planSlice
	planMap
	planString
	planBool
	planInt
	planUint
	planFloat
	planQuantity
	planIntOrString
	planUnmarshaler // any other json.Unmarshaler: its own UnmarshalJSON
)

// decodePlan is the decoding recipe of one Go type, built once from its
// struct tags with encoding/json's field naming, and only read afterwards.
type decodePlan struct {
	kind   planKind
	typ    reflect.Type
	elem   *decodePlan          // planPointer, planSlice, planMap
	fields map[string]fieldPlan // planStruct
	min    float64              // planInt, planUint: the range of the type
	max    float64

	// For treeFromValue: the type's value-receiver MarshalJSON writes its
	// JSON (marshal), or encoding/json would use a method treeFromValue
	// does not model (noTree).
	marshal, noTree bool
}

// fieldPlan locates a struct field by its json name: its index path (through
// embedded structs), its plan and its omitempty option.
type fieldPlan struct {
	index     []int
	plan      *decodePlan
	omitEmpty bool
}

// podPlan decodes pod trees into corev1.Pod. It is computed once and only read.
var podPlan = buildPlan(reflect.TypeOf(corev1.Pod{}), map[reflect.Type]*decodePlan{})

var (
	jsonMarshalerType = reflect.TypeOf((*json.Marshaler)(nil)).Elem()
	textMarshalerType = reflect.TypeOf((*encoding.TextMarshaler)(nil)).Elem()
	quantityType      = reflect.TypeOf(resource.Quantity{})
	intOrStringType   = reflect.TypeOf(intstr.IntOrString{})
)

func buildPlan(t reflect.Type, seen map[reflect.Type]*decodePlan) *decodePlan {
	if p, ok := seen[t]; ok {
		return p
	}
	p := &decodePlan{typ: t}
	seen[t] = p
	if t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface {
		p.marshal = t.Implements(jsonMarshalerType)
		p.noTree = !p.marshal && (reflect.PointerTo(t).Implements(jsonMarshalerType) ||
			t.Implements(textMarshalerType) || reflect.PointerTo(t).Implements(textMarshalerType))
	}
	switch {
	case t == quantityType:
		p.kind = planQuantity
		return p
	case t == intOrStringType:
		p.kind = planIntOrString
		return p
	case t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(jsonUnmarshaler):
		p.kind = planUnmarshaler
		return p
	case t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(textUnmarshaler):
		return p // unsupported: encoding/json's text rules apply
	}
	switch t.Kind() {
	case reflect.Pointer:
		p.kind = planPointer
		p.elem = buildPlan(t.Elem(), seen)
	case reflect.Struct:
		p.kind = planStruct
		p.fields = map[string]fieldPlan{}
		if !addPlanFields(p, t, nil, seen) {
			p.kind = planUnsupported
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return p // []byte is base64 text: unsupported
		}
		p.kind = planSlice
		p.elem = buildPlan(t.Elem(), seen)
	case reflect.Map:
		if t.Key().Kind() != reflect.String || reflect.PointerTo(t.Key()).Implements(textUnmarshaler) {
			return p
		}
		p.kind = planMap
		p.elem = buildPlan(t.Elem(), seen)
	case reflect.String:
		p.kind = planString
	case reflect.Bool:
		p.kind = planBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		p.kind = planInt
		bits := t.Bits()
		p.min, p.max = -math.Pow(2, float64(bits-1)), math.Pow(2, float64(bits-1))-1
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		p.kind = planUint
		p.min, p.max = 0, math.Pow(2, float64(t.Bits()))-1
	case reflect.Float32, reflect.Float64:
		p.kind = planFloat
	}
	return p
}

// addPlanFields adds t's fields under their json names, the fields of
// embedded structs after the struct's own so that a shallower field wins, as
// in encoding/json. It reports false for what it does not model (an
// embedded pointer, the ",string" option).
func addPlanFields(p *decodePlan, t reflect.Type, prefix []int, seen map[reflect.Type]*decodePlan) bool {
	var embedded []reflect.StructField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(","+opts+",", ",string,") {
			return false
		}
		if f.Anonymous && name == "" {
			if f.Type.Kind() == reflect.Pointer {
				return false
			}
			if f.Type.Kind() == reflect.Struct {
				embedded = append(embedded, f)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, dup := p.fields[name]; dup {
			return false
		}
		idx := append(append([]int(nil), prefix...), i)
		p.fields[name] = fieldPlan{index: idx, plan: buildPlan(f.Type, seen), omitEmpty: strings.Contains(","+opts+",", ",omitempty,")}
	}
	for _, f := range embedded {
		sub := &decodePlan{fields: map[string]fieldPlan{}}
		if !addPlanFields(sub, f.Type, append(append([]int(nil), prefix...), f.Index...), seen) {
			return false
		}
		for k, v := range sub.fields {
			if _, ok := p.fields[k]; !ok {
				p.fields[k] = v
			}
		}
	}
	return true
}

// decodeTree fills the zero value dst from the JSON-compatible tree v
// (map[string]any, []any, string, float64, bool, nil), giving what
// encoding/json gives for the tree's JSON text, or errTreeFallback.
func decodeTree(p *decodePlan, v any, dst reflect.Value) error {
	if v == nil {
		return nil // null leaves a zero value zero
	}
	switch p.kind {
	case planStruct:
		m, ok := v.(map[string]any)
		if !ok {
			return errTreeFallback
		}
		for k, x := range m {
			f, ok := p.fields[k]
			if !ok {
				return errTreeFallback
			}
			if x == nil {
				continue
			}
			var fv reflect.Value
			if len(f.index) == 1 {
				fv = dst.Field(f.index[0])
			} else {
				fv = dst.FieldByIndex(f.index)
			}
			if err := decodeTree(f.plan, x, fv); err != nil {
				return err
			}
		}
	case planPointer:
		nv := reflect.New(p.elem.typ)
		if err := decodeTree(p.elem, v, nv.Elem()); err != nil {
			return err
		}
		dst.Set(nv)
	case planSlice:
		l, ok := v.([]any)
		if !ok {
			return errTreeFallback
		}
		s := reflect.MakeSlice(p.typ, len(l), len(l))
		for i, x := range l {
			if err := decodeTree(p.elem, x, s.Index(i)); err != nil {
				return err
			}
		}
		dst.Set(s)
	case planMap:
		m, ok := v.(map[string]any)
		if !ok {
			return errTreeFallback
		}
		if p.elem.kind == planString && p.typ.Elem().Kind() == reflect.String && p.typ == reflect.TypeOf(map[string]string(nil)) {
			out := make(map[string]string, len(m))
			for k, x := range m {
				switch x := x.(type) {
				case string:
					out[k] = x
				case nil:
					out[k] = ""
				default:
					return errTreeFallback
				}
			}
			dst.Set(reflect.ValueOf(out))
			return nil
		}
		out := reflect.MakeMapWithSize(p.typ, len(m))
		for k, x := range m {
			ev := reflect.New(p.elem.typ).Elem()
			if err := decodeTree(p.elem, x, ev); err != nil {
				return err
			}
			out.SetMapIndex(reflect.ValueOf(k).Convert(p.typ.Key()), ev)
		}
		dst.Set(out)
	case planString:
		s, ok := v.(string)
		if !ok {
			return errTreeFallback
		}
		dst.SetString(s)
	case planBool:
		b, ok := v.(bool)
		if !ok {
			return errTreeFallback
		}
		dst.SetBool(b)
	case planInt:
		f, ok := v.(float64)
		if !ok || f != math.Trunc(f) || f < p.min || f > p.max {
			return errTreeFallback
		}
		dst.SetInt(int64(f))
	case planUint:
		f, ok := v.(float64)
		if !ok || f != math.Trunc(f) || f < p.min || f > p.max {
			return errTreeFallback
		}
		dst.SetUint(uint64(f))
	case planFloat:
		f, ok := v.(float64)
		if !ok {
			return errTreeFallback
		}
		dst.SetFloat(f)
	case planQuantity:
		s, ok := v.(string)
		if !ok {
			return decodeUnmarshaler(v, dst)
		}
		q, err := resource.ParseQuantity(strings.TrimSpace(s))
		if err != nil {
			return errTreeFallback
		}
		dst.Set(reflect.ValueOf(q))
	case planIntOrString:
		s, ok := v.(string)
		if !ok {
			return decodeUnmarshaler(v, dst)
		}
		dst.Set(reflect.ValueOf(intstr.IntOrString{Type: intstr.String, StrVal: s}))
	case planUnmarshaler:
		return decodeUnmarshaler(v, dst)
	default:
		return errTreeFallback
	}
	return nil
}

// decodeUnmarshaler hands v's JSON text to dst's own UnmarshalJSON.
func decodeUnmarshaler(v any, dst reflect.Value) error {
	b, err := appendJSON(nil, v)
	if err != nil {
		return errTreeFallback
	}
	u, ok := dst.Addr().Interface().(json.Unmarshaler)
	if !ok {
		return errTreeFallback
	}
	if err := u.UnmarshalJSON(b); err != nil {
		return errTreeFallback
	}
	return nil
}

// podFromTree decodes a pod tree with podPlan, or reports errTreeFallback.
func podFromTree(m map[string]any) (*corev1.Pod, error) {
	pod := &corev1.Pod{}
	if err := decodeTree(podPlan, m, reflect.ValueOf(pod).Elem()); err != nil {
		return nil, err
	}
	return pod, nil
}
