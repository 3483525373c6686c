package template

import (
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/kinject/kinject/internal/codec"
	corev1 "k8s.io/api/core/v1"
)

// Section facts: what Apply derives from a remembered section's value
// (the section memo, yamlfast.go) is derived once per entry instead of per
// pod. A remembered value is shared and never modified, so its schema check,
// its scan for $-directives and nulls, its copy without nulls (what a merge
// puts in place of a member the target lacks) and the typed containers and
// volumes of a spec are the same every time it comes back. Each is looked up
// by the identity of the value or of a node inside it, which the facts keep
// alive (no other node can have the address while the facts exist), and
// each gives exactly what its reference computes on the node:
//
//	fact              reference
//	checked           walkTree of the entry against corev1.Pod's member
//	dollar, null      scanTree of the value
//	stripped          withoutNulls of each map and list node (itself for
//	                  one without nulls)
//	containers,       codec.DecodeTree of the element map into a zero
//	volumes           corev1.Container or corev1.Volume (copied out with
//	                  DeepCopyInto, which gives an equal value)
//
// It is a fast path (internal/codec's doc lists it): the reference is
// Apply without facts (applyPaths.facts false), TestSectionFactsMatch holds
// the two to the same pods on every corpus case and FuzzSectionFacts on
// fuzzed templates; TestFastPathsTaken requires the facts be taken. With
// the kinject_reference tag there is no memo, so no facts.

// sectionFacts are one remembered entry's facts, computed on first use.
type sectionFacts struct {
	key   string
	value any

	once       sync.Once
	checked    bool
	dollar     bool
	null       bool
	stripped   map[nodeKey]any
	containers map[nodeKey]*corev1.Container
	volumes    map[nodeKey]*corev1.Volume
}

// nodeKey is the identity of a map or a non-empty list of a tree.
type nodeKey struct {
	p unsafe.Pointer
	n int
}

// keyOf returns v's identity; ok is false for a scalar, a nil map and an
// empty list (which have none, and need no facts).
func keyOf(v any) (nodeKey, bool) {
	switch v := v.(type) {
	case map[string]any:
		if v == nil {
			return nodeKey{}, false
		}
		return nodeKey{p: reflect.ValueOf(v).UnsafePointer(), n: -1}, true
	case []any:
		if len(v) == 0 {
			return nodeKey{}, false
		}
		return nodeKey{p: unsafe.Pointer(unsafe.SliceData(v)), n: len(v)}, true
	}
	return nodeKey{}, false
}

// get computes the facts on first use.
func (f *sectionFacts) get() *sectionFacts {
	f.once.Do(f.compute)
	return f
}

func (f *sectionFacts) compute() {
	f.dollar, f.null = scanTree(f.value)
	if strings.HasPrefix(f.key, "$") {
		f.checked = true // walkTree skips it; scan and merge see it
	} else if m := podPlan.Deref().FieldByName(f.key); m != nil {
		f.checked = walkTree(m.Plan, f.value, nil, false) == ""
	}
	if !f.checked || f.dollar {
		return // Apply checks and merges this one the long way
	}
	f.stripped = map[nodeKey]any{}
	stripped := f.strip(f.value)
	if f.key != "spec" {
		return
	}
	f.containers = map[nodeKey]*corev1.Container{}
	f.volumes = map[nodeKey]*corev1.Volume{}
	for _, spec := range []any{f.value, stripped} {
		s, _ := spec.(map[string]any)
		for _, list := range []string{"containers", "initContainers"} {
			l, _ := s[list].([]any)
			for _, e := range l {
				k, ok := keyOf(e)
				if _, done := f.containers[k]; !ok || done {
					continue
				}
				c := &corev1.Container{}
				if codec.DecodeTree(e, c) {
					f.containers[k] = c
				}
			}
		}
		l, _ := s["volumes"].([]any)
		for _, e := range l {
			k, ok := keyOf(e)
			if _, done := f.volumes[k]; !ok || done {
				continue
			}
			v := &corev1.Volume{}
			if codec.DecodeTree(e, v) {
				f.volumes[k] = v
			}
		}
	}
}

// strip is withoutNulls remembering each node it changes.
func (f *sectionFacts) strip(v any) any { return stripNulls(v, f.stripped) }

// stripNulls is withoutNulls in one walk; changed, when not nil, records
// the result for each node it meets (itself when it has no nulls) and is
// consulted first.
func stripNulls(v any, changed map[nodeKey]any) any {
	k, ok := keyOf(v)
	if !ok {
		return v
	}
	if s, ok := changed[k]; ok {
		return s
	}
	var out any = v
	switch v := v.(type) {
	case map[string]any:
		var m map[string]any
		for key, x := range v {
			nx := x
			if x != nil {
				nx = stripNulls(x, changed)
				if sameNode(nx, x) {
					continue
				}
			}
			if m == nil {
				m = maps.Clone(v)
			}
			if x == nil {
				delete(m, key)
			} else {
				m[key] = nx
			}
		}
		if m != nil {
			out = m
		}
	case []any:
		var l []any
		for i, x := range v {
			nx := stripNulls(x, changed)
			if sameNode(nx, x) {
				continue
			}
			if l == nil {
				l = slices.Clone(v)
			}
			l[i] = nx
		}
		if l != nil {
			out = l
		}
	}
	if changed != nil {
		// Every node, changed or not, and the new ones (which have no
		// nulls), so that a later lookup of any of them walks nothing.
		changed[k] = out
		if ko, ok := keyOf(out); ok {
			changed[ko] = out
		}
	}
	return out
}

// sameNode reports whether a and b are the same node (the same map or
// non-empty list), both nil maps, both empty lists or equal scalars.
func sameNode(a, b any) bool {
	ka, oka := keyOf(a)
	kb, okb := keyOf(b)
	if oka || okb {
		return oka && okb && ka == kb
	}
	switch a.(type) {
	case []any:
		_, ok := b.([]any)
		return ok
	case map[string]any:
		_, ok := b.(map[string]any)
		return ok
	case nil, string, float64, bool:
		return plainTree(b) && a == b
	}
	return false
}

// applyFacts are the facts of the remembered entries one Apply's patches
// hold; nil when there are none or facts are off.
type applyFacts []*sectionFacts

// entry returns the facts of the top-level member k whose value is v.
func (fx applyFacts) entry(k string, v any) *sectionFacts {
	for _, f := range fx {
		if f.key == k && sameNode(f.value, v) {
			return f.get()
		}
	}
	return nil
}

// check is checkTree(podPlan, m) taking the remembered entries' verdicts.
func (fx applyFacts) check(m map[string]any) ([]any, string) {
	if len(fx) > 0 && fx.quickCheck(m) {
		return nil, ""
	}
	return checkTree(podPlan, m)
}

// quickCheck is the first, unsorted, walk of checkTree on a document.
func (fx applyFacts) quickCheck(m map[string]any) bool {
	p := podPlan.Deref()
	for k, x := range m {
		if strings.HasPrefix(k, "$") {
			continue
		}
		if f := fx.entry(k, x); f != nil && f.checked {
			continue
		}
		member := p.FieldByName(k)
		if member == nil || walkTree(member.Plan, x, nil, false) != "" {
			return false
		}
	}
	return true
}

// scan is scanTree of a document taking the remembered entries' results.
func (fx applyFacts) scan(m map[string]any) (dollar, null bool) {
	if len(fx) == 0 {
		return scanTree(m)
	}
	for k, x := range m {
		if strings.HasPrefix(k, "$") {
			return true, null
		}
		if x == nil {
			null = true
			continue
		}
		d, n := false, false
		if f := fx.entry(k, x); f != nil {
			d, n = f.dollar, f.null
		} else {
			d, n = scanTree(x)
		}
		if d {
			return true, null
		}
		null = null || n
	}
	return false, null
}

// withoutNulls is withoutNulls(v), remembered for a remembered node.
func (fx applyFacts) withoutNulls(v any) any {
	if k, ok := keyOf(v); ok {
		for _, f := range fx {
			if s, ok := f.get().stripped[k]; ok {
				return s
			}
		}
	}
	return withoutNulls(v)
}

// remembered returns, for each entry of a list, the typed element the
// facts remember for it (of picks the facts' containers or volumes), nil
// where there is none, in buf when it fits; hit says whether there is any.
func remembered[T any](fx applyFacts, l []any, buf []*T, of func(*sectionFacts) map[nodeKey]*T) (_ []*T, hit bool) {
	out := buf[:0]
	if len(l) > cap(buf) {
		out = make([]*T, 0, len(l))
	}
	for _, e := range l {
		var x *T
		if k, ok := keyOf(e); ok {
			for _, f := range fx {
				if x = of(f.get())[k]; x != nil {
					break
				}
			}
		}
		out = append(out, x)
		hit = hit || x != nil
	}
	return out, hit
}

func factContainers(f *sectionFacts) map[nodeKey]*corev1.Container { return f.containers }
func factVolumes(f *sectionFacts) map[nodeKey]*corev1.Volume       { return f.volumes }

// podFromTree is fromMap(m), with the remembered containers and volumes
// copied instead of decoded: the rest of the tree is decoded by
// codec.DecodeTree, each list from its elements, as DecodeTree decodes a
// struct (member by member) and a list (element by element into zero
// values). Where any part declines, fromMap decides. With share, the
// remembered containers and volumes are copied shallowly (their fields
// then point to the facts' own: ApplyOptions.ShareInjected).
func (fx applyFacts) podFromTree(m map[string]any, share bool) (*corev1.Pod, error) {
	if pod, ok := fx.decodePod(m, share); ok {
		return pod, nil
	}
	return fromMap(m)
}

// specLists are the lists of a pod spec podFromTree copies, in the order
// of decodePod's lists.
var specLists = []string{"containers", "initContainers", "volumes"}

func (fx applyFacts) decodePod(m map[string]any, share bool) (*corev1.Pod, bool) {
	if len(fx) == 0 {
		return nil, false
	}
	spec, _ := m["spec"].(map[string]any)
	// The remembered element of each list's entries (nil where there is
	// none), looked up once; a list without any is decoded with the rest.
	var lists [3][]any
	var containers [2][]*corev1.Container
	var volumes []*corev1.Volume
	var cbuf [2][8]*corev1.Container // most pods: no allocation
	var vbuf [16]*corev1.Volume
	found := false
	for i, name := range specLists {
		l, _ := spec[name].([]any)
		var hit bool
		if i < 2 {
			containers[i], hit = remembered(fx, l, cbuf[i][:], factContainers)
		} else {
			volumes, hit = remembered(fx, l, vbuf[:], factVolumes)
		}
		if hit {
			lists[i], found = l, true
		}
	}
	if !found {
		return nil, false
	}
	rest := maps.Clone(spec)
	for i, name := range specLists {
		if lists[i] != nil {
			delete(rest, name)
		}
	}
	top := maps.Clone(m)
	top["spec"] = rest
	pod := &corev1.Pod{}
	if !codec.DecodeTree(top, pod) {
		return nil, false
	}
	if l := lists[2]; l != nil {
		out := make([]corev1.Volume, len(l))
		for j, e := range l {
			if volumes[j] == nil && !codec.DecodeTree(e, &out[j]) {
				return nil, false
			}
		}
		if share {
			for j, v := range volumes {
				if v != nil {
					out[j] = *v
				}
			}
		} else {
			copyVolumes(out, volumes)
		}
		pod.Spec.Volumes = out
	}
	for i := range 2 {
		l := lists[i]
		if l == nil {
			continue
		}
		out := make([]corev1.Container, len(l))
		for j, e := range l {
			if c := containers[i][j]; c != nil && share {
				out[j] = *c
			} else if c != nil {
				copyContainer(&out[j], c)
			} else if !codec.DecodeTree(e, &out[j]) {
				return nil, false
			}
		}
		if i == 0 {
			pod.Spec.Containers = out
		} else {
			pod.Spec.InitContainers = out
		}
	}
	return pod, true
}

// copyContainer is src.DeepCopyInto(dst) with fewer allocations: the env
// vars' sources and field selectors, and the security context's booleans
// and integers, are each taken from one array instead of allocated one by
// one. Every pointer still points to memory of its own (nothing is shared
// with src or between fields), and whatever else a Container holds, a
// field of a later k8s.io release included, is copied by DeepCopyInto.
func copyContainer(dst, src *corev1.Container) {
	tmp := *src
	tmp.Env, tmp.SecurityContext = nil, nil
	tmp.DeepCopyInto(dst)
	dst.Env = copyEnv(src.Env)
	dst.SecurityContext = copySecurityContext(src.SecurityContext)
}

func copyEnv(src []corev1.EnvVar) []corev1.EnvVar {
	if src == nil {
		return nil
	}
	out := make([]corev1.EnvVar, len(src))
	n, nf, nr := 0, 0, 0
	for i := range src {
		if vf := src[i].ValueFrom; vf != nil {
			n++
			if vf.FieldRef != nil {
				nf++
			}
			if vf.ResourceFieldRef != nil {
				nr++
			}
		}
	}
	sources := make([]corev1.EnvVarSource, n)
	var fields []corev1.ObjectFieldSelector
	var resources []corev1.ResourceFieldSelector
	if nf > 0 {
		fields = make([]corev1.ObjectFieldSelector, nf)
	}
	if nr > 0 {
		resources = make([]corev1.ResourceFieldSelector, nr)
	}
	for i := range src {
		e := src[i]
		vf := e.ValueFrom
		e.ValueFrom = nil
		e.DeepCopyInto(&out[i])
		if vf == nil {
			continue
		}
		s := &sources[0]
		sources = sources[1:]
		v := *vf
		v.FieldRef, v.ResourceFieldRef = nil, nil
		v.DeepCopyInto(s)
		if vf.FieldRef != nil {
			vf.FieldRef.DeepCopyInto(&fields[0])
			s.FieldRef, fields = &fields[0], fields[1:]
		}
		if vf.ResourceFieldRef != nil {
			vf.ResourceFieldRef.DeepCopyInto(&resources[0])
			s.ResourceFieldRef, resources = &resources[0], resources[1:]
		}
		out[i].ValueFrom = s
	}
	return out
}

func copySecurityContext(src *corev1.SecurityContext) *corev1.SecurityContext {
	if src == nil {
		return nil
	}
	v := *src
	bools := []**bool{&v.Privileged, &v.RunAsNonRoot, &v.ReadOnlyRootFilesystem, &v.AllowPrivilegeEscalation}
	ints := []**int64{&v.RunAsUser, &v.RunAsGroup}
	var bs [4]*bool
	var is [2]*int64
	nb, ni := 0, 0
	for i, p := range bools {
		if bs[i] = *p; bs[i] != nil {
			nb++
		}
		*p = nil
	}
	for i, p := range ints {
		if is[i] = *p; is[i] != nil {
			ni++
		}
		*p = nil
	}
	out := new(corev1.SecurityContext)
	v.DeepCopyInto(out)
	if nb > 0 {
		slab := make([]bool, nb)
		for i, p := range []**bool{&out.Privileged, &out.RunAsNonRoot, &out.ReadOnlyRootFilesystem, &out.AllowPrivilegeEscalation} {
			if bs[i] != nil {
				slab[0] = *bs[i]
				*p, slab = &slab[0], slab[1:]
			}
		}
	}
	if ni > 0 {
		slab := make([]int64, ni)
		for i, p := range []**int64{&out.RunAsUser, &out.RunAsGroup} {
			if is[i] != nil {
				slab[0] = *is[i]
				*p, slab = &slab[0], slab[1:]
			}
		}
	}
	return out
}

// copyVolumes copies each non-nil src[i] into dst[i] as DeepCopyInto does,
// the emptyDir and configMap sources taken from one array each (as
// copyContainer does).
func copyVolumes(dst []corev1.Volume, src []*corev1.Volume) {
	ne, nc := 0, 0
	for _, v := range src {
		if v != nil && v.EmptyDir != nil {
			ne++
		}
		if v != nil && v.ConfigMap != nil {
			nc++
		}
	}
	var empties []corev1.EmptyDirVolumeSource
	var configMaps []corev1.ConfigMapVolumeSource
	if ne > 0 {
		empties = make([]corev1.EmptyDirVolumeSource, ne)
	}
	if nc > 0 {
		configMaps = make([]corev1.ConfigMapVolumeSource, nc)
	}
	for i, v := range src {
		if v == nil {
			continue
		}
		tmp := *v
		tmp.EmptyDir, tmp.ConfigMap = nil, nil
		tmp.DeepCopyInto(&dst[i])
		if v.EmptyDir != nil {
			v.EmptyDir.DeepCopyInto(&empties[0])
			dst[i].EmptyDir, empties = &empties[0], empties[1:]
		}
		if v.ConfigMap != nil {
			v.ConfigMap.DeepCopyInto(&configMaps[0])
			dst[i].ConfigMap, configMaps = &configMaps[0], configMaps[1:]
		}
	}
}
