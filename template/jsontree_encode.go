package template

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
)

// treeFromValue builds the JSON-compatible tree of v, the tree
// json.Unmarshal gives for json.Marshal(v) into an any, walking v with its
// plan (the one podFromTree decodes with) instead of writing and parsing
// JSON text. It reports errTreeFallback for what the plan does not model:
// invalid UTF-8 (encoding/json would change it), a method encoding/json
// would call that it does not, a number JSON cannot carry.
func treeFromValue(p *decodePlan, v reflect.Value) (any, error) {
	if p.noTree {
		return nil, errTreeFallback
	}
	if p.marshal {
		if v.Kind() == reflect.Pointer && v.IsNil() {
			return nil, nil
		}
		out, err := v.Interface().(json.Marshaler).MarshalJSON()
		if err != nil {
			return nil, errTreeFallback
		}
		return treeFromJSON(out)
	}
	switch p.kind {
	case planStruct, planQuantity, planIntOrString, planUnmarshaler:
		if p.kind != planStruct {
			return nil, errTreeFallback // an Unmarshaler without a value Marshaler
		}
		m := make(map[string]any, min(len(p.fields), 8))
		for name, f := range p.fields {
			var fv reflect.Value
			if len(f.index) == 1 {
				fv = v.Field(f.index[0])
			} else {
				fv = v.FieldByIndex(f.index)
			}
			if f.omitEmpty && jsonEmpty(fv) {
				continue
			}
			x, err := treeFromValue(f.plan, fv)
			if err != nil {
				return nil, err
			}
			m[name] = x
		}
		return m, nil
	case planPointer:
		if v.IsNil() {
			return nil, nil
		}
		return treeFromValue(p.elem, v.Elem())
	case planSlice:
		if v.IsNil() {
			return nil, nil
		}
		l := make([]any, v.Len())
		for i := range l {
			x, err := treeFromValue(p.elem, v.Index(i))
			if err != nil {
				return nil, err
			}
			l[i] = x
		}
		return l, nil
	case planMap:
		if v.IsNil() {
			return nil, nil
		}
		m := make(map[string]any, v.Len())
		if sm, ok := v.Interface().(map[string]string); ok {
			for k, x := range sm {
				if !utf8.ValidString(k) || !utf8.ValidString(x) {
					return nil, errTreeFallback
				}
				m[k] = x
			}
			return m, nil
		}
		it := v.MapRange()
		for it.Next() {
			k := it.Key().String()
			if !utf8.ValidString(k) {
				return nil, errTreeFallback
			}
			x, err := treeFromValue(p.elem, it.Value())
			if err != nil {
				return nil, err
			}
			m[k] = x
		}
		return m, nil
	case planString:
		s := v.String()
		if !utf8.ValidString(s) {
			return nil, errTreeFallback
		}
		return s, nil
	case planBool:
		return v.Bool(), nil
	case planInt:
		return float64(v.Int()), nil
	case planUint:
		return float64(v.Uint()), nil
	case planFloat:
		f := v.Float()
		if math.IsInf(f, 0) || math.IsNaN(f) || v.Kind() != reflect.Float64 {
			return nil, errTreeFallback
		}
		return f, nil
	}
	return nil, errTreeFallback
}

// treeFromJSON decodes what a MarshalJSON wrote: null and plain quoted
// strings directly, anything else with encoding/json.
func treeFromJSON(b []byte) (any, error) {
	if string(b) == "null" {
		return nil, nil
	}
	if n := len(b); n >= 2 && b[0] == '"' && b[n-1] == '"' && bytes.IndexByte(b[1:n-1], '\\') < 0 && bytes.IndexByte(b[1:n-1], '"') < 0 && utf8.Valid(b[1:n-1]) {
		for _, c := range b[1 : n-1] {
			if c < 0x20 {
				return nil, errTreeFallback
			}
		}
		return string(b[1 : n-1]), nil
	}
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		return nil, errTreeFallback
	}
	return x, nil
}

// jsonEmpty is encoding/json's omitempty test; structs are never empty.
func jsonEmpty(v reflect.Value) bool {
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

// podTree is the tree of a pod, without JSON text when treeFromValue can.
func podTree(pod *corev1.Pod) (map[string]any, error) {
	if x, err := treeFromValue(podPlan, reflect.ValueOf(pod).Elem()); err == nil {
		if m, ok := x.(map[string]any); ok {
			return m, nil
		}
	}
	return jsonTree(pod)
}
