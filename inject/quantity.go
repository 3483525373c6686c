package inject

import (
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kinject/kinject/internal/codec"
)

// Kubernetes reads a quantity with a binary suffix of 8Ei or more as
// 2^63-1 (resource.ParseQuantity clamps it; the API server stores that), so
// "memory: 16Ei" silently becomes 9223372036854775807 bytes, in Istio as in
// kubectl. kinject cannot keep the value either, but says so. A clamped
// quantity is recognisable after parsing: binary format and the value
// 2^63-1, which no multiple of 1024 equals.

// clamped reports whether q is a binary quantity Kubernetes clamped.
func clamped(q *resource.Quantity) bool {
	if q.Format != resource.BinarySI {
		return false
	}
	return q.Cmp(*resource.NewQuantity(math.MaxInt64, resource.DecimalSI)) == 0
}

func clampWarning(path string) string {
	return fmt.Sprintf("%s: a binary quantity of 8Ei or more is read by Kubernetes (and istioctl) as 9223372036854775807; the value written is lost", path)
}

// containerClampWarnings names the clamped requests and limits of pod's
// containers and init containers.
func containerClampWarnings(pod *corev1.Pod) []string {
	var w []string
	for _, list := range []struct {
		field string
		cs    []corev1.Container
	}{{"spec.initContainers", pod.Spec.InitContainers}, {"spec.containers", pod.Spec.Containers}} {
		for k := range list.cs {
			r := &list.cs[k].Resources
			for _, rl := range []struct {
				name string
				l    corev1.ResourceList
			}{{"limits", r.Limits}, {"requests", r.Requests}} {
				for _, n := range sortedResourceNames(rl.l) {
					q := rl.l[n]
					if clamped(&q) {
						w = append(w, clampWarning(fmt.Sprintf("%s[%d] (%q).resources.%s.%s", list.field, k, list.cs[k].Name, rl.name, n)))
					}
				}
			}
		}
	}
	return w
}

func sortedResourceNames(l corev1.ResourceList) []corev1.ResourceName {
	return slices.Sorted(maps.Keys(l))
}

// clampWarnings names every clamped quantity of a decoded object, by its
// JSON path (a manifest is printed whole, so every quantity counts).
func clampWarnings(obj any) []string {
	var w []string
	walkQuantities(reflect.ValueOf(obj), nil, &w)
	return w
}

// walkQuantities finds the clamped quantities under v; path holds the
// keys and "[k]" indexes to v, joined only for a warning.
func walkQuantities(v reflect.Value, path []string, w *[]string) {
	p := codec.PlanOf(v.Type())
	switch {
	case p.Special == codec.Quantity:
		if v.CanAddr() {
			if q := v.Addr().Interface().(*resource.Quantity); clamped(q) {
				*w = append(*w, clampWarning(treePath(path)))
			}
		}
	case p.Kind == codec.Pointer || p.Kind == codec.Interface:
		if !v.IsNil() {
			walkQuantities(v.Elem(), path, w)
		}
	case p.Kind == codec.Struct:
		for _, f := range p.Fields {
			if fv, err := v.FieldByIndexErr(f.Index); err == nil {
				walkQuantities(fv, append(path, f.Name), w)
			}
		}
	case p.Kind == codec.Slice:
		for k := 0; k < v.Len(); k++ {
			walkQuantities(v.Index(k), append(path, "["+strconv.Itoa(k)+"]"), w)
		}
	case p.Kind == codec.Map:
		switch v.Type().Elem().Kind() {
		case reflect.String, reflect.Bool, reflect.Int, reflect.Int32, reflect.Int64, reflect.Float64:
			return // labels, annotations, data: no quantity
		}
		keys := map[string]reflect.Value{}
		for iter := v.MapRange(); iter.Next(); {
			keys[fmt.Sprint(iter.Key().Interface())] = iter.Value()
		}
		for _, k := range slices.Sorted(maps.Keys(keys)) {
			// Map values are not addressable: walk a copy.
			c := reflect.New(keys[k].Type()).Elem()
			c.Set(keys[k])
			walkQuantities(c, append(path, k), w)
		}
	}
}

// annotationClampWarnings names the resource annotations (proxyCPU,
// proxyMemory and their limits) whose quantity Kubernetes clamps.
func annotationClampWarnings(annotations map[string]string) []string {
	var w []string
	for _, r := range []string{"cpu", "memory"} {
		req, lim := resourceAnnotations(r)
		for _, k := range []string{req, lim} {
			if v, ok := annotations[k]; ok {
				if q, err := resource.ParseQuantity(v); err == nil && clamped(&q) {
					w = append(w, clampWarning(fmt.Sprintf("annotation %s=%q", k, v)))
				}
			}
		}
	}
	return w
}
