package inject

import (
	"bytes"
	"reflect"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// marshalWithNullTimestamps is json.Marshal of obj with
// "creationTimestamp":null in every object metadata whose creation time is
// zero, as apimachinery before v0.34 encodes it (istioctl up to 1.27
// prints it), whichever apimachinery kinject is built with: v0.34 and later
// leave the zero time out (omitzero), v0.33 writes null.
//
// It finds every metav1.ObjectMeta of obj by reflection (the object's, its
// pod template's, a CronJob's job template's, claim templates'), gives each
// zero one, for the encoding only, a time no metadata of obj holds, and
// replaces that time's member with null in the JSON. encoding/json escapes
// every quote inside a string, so the member text can only match a real
// creationTimestamp member. obj is restored before it returns.
func marshalWithNullTimestamps(obj any) ([]byte, error) {
	var zero []*metav1.ObjectMeta
	used := map[string]bool{}
	forEachObjectMeta(reflect.ValueOf(obj), func(m *metav1.ObjectMeta) {
		if m.CreationTimestamp.IsZero() {
			zero = append(zero, m)
		} else if b, err := m.CreationTimestamp.MarshalJSON(); err == nil {
			used[string(b)] = true
		}
	})
	if len(zero) == 0 {
		return jsonMarshal(obj)
	}
	// A stand-in time of the first day of year 1, to the second: metav1.Time
	// encodes whole seconds, so one not in use is found within len(used)+1
	// tries.
	var stand metav1.Time
	var text []byte
	for s := 1; ; s++ {
		stand = metav1.NewTime(time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(s) * time.Second))
		b, err := stand.MarshalJSON()
		if err != nil {
			return nil, err
		}
		if !used[string(b)] {
			text = b
			break
		}
	}
	for _, m := range zero {
		m.CreationTimestamp = stand
	}
	j, err := jsonMarshal(obj)
	for _, m := range zero {
		m.CreationTimestamp = metav1.Time{}
	}
	if err != nil {
		return nil, err
	}
	member := append([]byte(`"creationTimestamp":`), text...)
	return bytes.ReplaceAll(j, member, []byte(`"creationTimestamp":null`)), nil
}

var objectMetaType = reflect.TypeFor[metav1.ObjectMeta]()

// forEachObjectMeta calls f with every addressable metav1.ObjectMeta
// reachable from v through exported struct fields, pointers, interfaces
// (a List item's decoded object), slices and arrays. Map values are not
// addressable and hold no object metadata in the kinds manual injection
// decodes.
func forEachObjectMeta(v reflect.Value, f func(*metav1.ObjectMeta)) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			forEachObjectMeta(v.Elem(), f)
		}
	case reflect.Struct:
		if v.Type() == objectMetaType {
			if v.CanAddr() {
				f(v.Addr().Interface().(*metav1.ObjectMeta))
			}
			return
		}
		t := v.Type()
		for k := range t.NumField() {
			if t.Field(k).IsExported() {
				forEachObjectMeta(v.Field(k), f)
			}
		}
	case reflect.Slice, reflect.Array:
		for k := range v.Len() {
			forEachObjectMeta(v.Index(k), f)
		}
	}
}
