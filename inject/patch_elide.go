package inject

import (
	"reflect"

	corev1 "k8s.io/api/core/v1"

	"github.com/kinject/kinject/internal/codec"
)

// The patch is the difference between the pod's JSON before and after
// injection, and most of a big pod (the application's containers, with
// their thousands of env vars) is the same in both. A container the same in
// both gets no operation, wherever it sits: patch.DiffPod aligns containers
// by name and never replaces a keyed list or a struct object whole. So a
// container equal in both, under a name that appears once in each, can be
// written as a stub holding only its name in both JSON texts, and the patch
// is the same; encoding and diffing then cost what changed, not the pod's
// size. It is a fast path (reference: the whole pods);
// TestElidedPatchMatches holds the two equal.

// elideUnchanged returns orig and final, or shallow copies of them whose
// unchanged containers and init containers are stubs.
func elideUnchanged(orig, final *corev1.Pod) (a, b *corev1.Pod) {
	if !codec.Fast || orig == nil || final == nil {
		return orig, final
	}
	a, b = orig, final
	for _, init := range []bool{false, true} {
		oc, fc := orig.Spec.Containers, final.Spec.Containers
		if init {
			oc, fc = orig.Spec.InitContainers, final.Spec.InitContainers
		}
		at, ok := uniqueNames(fc)
		if !ok {
			continue
		}
		if _, ok := uniqueNames(oc); !ok {
			continue
		}
		var os, fs []corev1.Container
		for i := range oc {
			j, ok := at[oc[i].Name]
			if !ok || !codec.BigContainer(&oc[i]) || !sameContainer(&oc[i], &fc[j]) {
				continue
			}
			if os == nil {
				os, fs = append([]corev1.Container(nil), oc...), append([]corev1.Container(nil), fc...)
			}
			os[i], fs[j] = corev1.Container{Name: oc[i].Name}, corev1.Container{Name: oc[i].Name}
		}
		if os == nil {
			continue
		}
		if a == orig {
			ca, cb := *orig, *final
			a, b = &ca, &cb
		}
		if init {
			a.Spec.InitContainers, b.Spec.InitContainers = os, fs
		} else {
			a.Spec.Containers, b.Spec.Containers = os, fs
		}
	}
	return a, b
}

// uniqueNames indexes containers by name; ok is false when a name is empty
// or repeated (the diff then aligns them otherwise).
func uniqueNames(cs []corev1.Container) (map[string]int, bool) {
	at := make(map[string]int, len(cs))
	for i := range cs {
		if _, dup := at[cs[i].Name]; dup || cs[i].Name == "" {
			return nil, false
		}
		at[cs[i].Name] = i
	}
	return at, true
}

// sameContainer reports whether two containers are equal value for value
// (so their JSON is the same), env vars compared without reflection.
func sameContainer(x, y *corev1.Container) bool {
	if len(x.Env) != len(y.Env) {
		return false
	}
	for k := range x.Env {
		a, b := &x.Env[k], &y.Env[k]
		if a.Name != b.Name || a.Value != b.Value || (a.ValueFrom == nil) != (b.ValueFrom == nil) {
			return false
		}
		if a.ValueFrom != nil && !reflect.DeepEqual(a.ValueFrom, b.ValueFrom) {
			return false
		}
	}
	cx, cy := *x, *y
	cx.Env, cy.Env = nil, nil
	return reflect.DeepEqual(&cx, &cy)
}
