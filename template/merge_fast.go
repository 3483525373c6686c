package template

import (
	"reflect"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// A strategic merge without apimachinery's strategicpatch, for the common
// case: a patch with no $-directives. It follows strategicpatch's
// algorithm step by step (with StrategicMergeMapPatchUsingLookupPatchMeta's
// options: nulls delete and are otherwise dropped, element order
// normalised the same way) but reads merge keys and strategies from a
// table built once from corev1.Pod's tags, and copies on write: neither the
// original nor the patch is modified, unchanged subtrees are shared. Where
// strategicpatch would fail or the table does not know a field, it reports
// false and the caller uses strategicpatch. TestFastMergeMatchesStrategic
// and FuzzFastMerge compare the two.

// mergeMeta is the strategic-merge metadata of one struct type.
type mergeMeta struct {
	fields map[string]*mergeField
}

// mergeField is one field's patch strategy ("merge", "replace" or ""), its
// merge key, and the metadata of its struct (or element struct).
type mergeField struct {
	strategy string
	mergeKey string
	sub      *mergeMeta
	ok       bool // the strategy is one fastMerge models
}

// podMergeMeta is corev1.Pod's merge metadata. Computed once, only read.
var podMergeMeta = buildMergeMeta(reflect.TypeOf(corev1.Pod{}), map[reflect.Type]*mergeMeta{})

func buildMergeMeta(t reflect.Type, seen map[reflect.Type]*mergeMeta) *mergeMeta {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	if m, ok := seen[t]; ok {
		return m
	}
	m := &mergeMeta{fields: map[string]*mergeField{}}
	seen[t] = m
	addMergeFields(m, t, seen)
	return m
}

func addMergeFields(m *mergeMeta, t reflect.Type, seen map[reflect.Type]*mergeMeta) {
	forEachJSONField(t, func(name string, f reflect.StructField) {
		mf := &mergeField{mergeKey: f.Tag.Get("patchMergeKey"), sub: buildMergeMeta(f.Type, seen), ok: true}
		var strategies []string
		for _, s := range strings.Split(f.Tag.Get("patchStrategy"), ",") {
			if s != "" && s != "retainKeys" {
				strategies = append(strategies, s)
			}
		}
		switch len(strategies) {
		case 0:
		case 1:
			mf.strategy = strategies[0]
			mf.ok = mf.strategy == "merge" || mf.strategy == "replace"
		default:
			mf.ok = false
		}
		if _, dup := m.fields[name]; !dup {
			m.fields[name] = mf
		}
	})
}

// scanTree reports whether v has a key starting with "$" and whether it
// has a null member in a mapping, in one walk.
func scanTree(v any) (dollar, null bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if strings.HasPrefix(k, "$") {
				return true, null
			}
			if x == nil {
				null = true
				continue
			}
			d, n := scanTree(x)
			if d {
				return true, null
			}
			null = null || n
		}
	case []any:
		for _, x := range v {
			d, n := scanTree(x)
			if d {
				return true, null
			}
			null = null || n
		}
	}
	return false, null
}

// fastMergeMap merges patch onto original as strategicpatch's mergeMap
// does, without modifying either. nulls tells whether the patch has null
// members at all (when not, no subtree needs them dropped). ok is false
// when it cannot tell.
func fastMergeMap(original, patch map[string]any, meta *mergeMeta, nulls bool) (map[string]any, bool) {
	out := make(map[string]any, len(original)+len(patch))
	for k, v := range original {
		out[k] = v
	}
	for k, pv := range patch {
		if strings.HasPrefix(k, "$") || !plainTree(pv) {
			return nil, false
		}
		if pv == nil {
			delete(out, k)
			continue
		}
		ov, ok := out[k]
		if !ok || reflect.TypeOf(ov) != reflect.TypeOf(pv) {
			if nulls {
				pv = withoutNulls(pv)
			}
			out[k] = pv
			continue
		}
		switch pv := pv.(type) {
		case map[string]any:
			f := meta.field(k)
			if f == nil {
				return nil, false
			}
			if f.strategy == "replace" {
				out[k] = pv
				continue
			}
			m, ok := fastMergeMap(ov.(map[string]any), pv, f.sub, nulls)
			if !ok {
				return nil, false
			}
			out[k] = m
		case []any:
			f := meta.field(k)
			if f == nil {
				return nil, false
			}
			if f.strategy != "merge" {
				out[k] = pv
				continue
			}
			l, ok := fastMergeSlice(ov.([]any), pv, f, nulls)
			if !ok {
				return nil, false
			}
			out[k] = l
		default:
			out[k] = pv
		}
	}
	return out, true
}

func (m *mergeMeta) field(k string) *mergeField {
	if m == nil {
		return nil
	}
	f := m.fields[k]
	if f == nil || !f.ok {
		return nil
	}
	return f
}

// plainTree reports whether v is a JSON-compatible tree value (the types
// strategicpatch compares by reflect.Type).
func plainTree(v any) bool {
	switch v.(type) {
	case nil, map[string]any, []any, string, float64, bool:
		return true
	}
	return false
}

// fastMergeSlice is strategicpatch's mergeSlice for a list with the merge
// strategy: maps merged by their merge key, scalars united, then the order
// normalised (patch items in patch order, the original's others in theirs,
// interleaved by the original's positions).
func fastMergeSlice(original, patch []any, f *mergeField, nulls bool) ([]any, bool) {
	if len(original) == 0 && len(patch) == 0 {
		return original, true
	}
	var elem reflect.Type
	for _, l := range [][]any{original, patch} {
		for _, v := range l {
			t := reflect.TypeOf(v)
			if t == nil || (elem != nil && t != elem) {
				return nil, false
			}
			elem = t
			if !plainTree(v) {
				return nil, false
			}
		}
	}
	kind := elem.Kind()
	var merged []any
	key := f.mergeKey
	switch kind {
	case reflect.Slice:
		return nil, false // strategicpatch refuses lists of lists
	case reflect.Map:
		if key == "" {
			return nil, false
		}
		merged = append(make([]any, 0, len(original)+len(patch)), original...)
		for i, v := range patch {
			pm := v.(map[string]any)
			kv, ok := pm[key]
			if !ok || !scalarKey(kv) {
				return nil, false
			}
			for _, w := range patch[:i] {
				if w.(map[string]any)[key] == kv {
					return nil, false // duplicate keys: strategicpatch merges into its own patch
				}
			}
			found := -1
			for j, o := range merged {
				if ov, ok := o.(map[string]any)[key]; ok && ov == kv {
					found = j
					break
				}
			}
			if found < 0 {
				merged = append(merged, v)
				continue
			}
			m, ok := fastMergeMap(merged[found].(map[string]any), pm, f.sub, nulls)
			if !ok {
				return nil, false
			}
			merged[found] = m
		}
		for _, o := range merged {
			if kv, ok := o.(map[string]any)[key]; !ok || !scalarKey(kv) {
				return nil, false
			}
		}
		key = f.mergeKey
	default:
		both := append(append(make([]any, 0, len(original)+len(patch)), original...), patch...)
		merged = dedupScalars(both)
		key = ""
	}

	// Partition: the merged items present in the patch, and the others.
	var patchItems, serverOnly []any
	for _, v := range merged {
		if indexIn(patch, v, key, kind) >= 0 {
			patchItems = append(patchItems, v)
		} else {
			serverOnly = append(serverOnly, v)
		}
	}
	sortByOrder(patchItems, patch, key, kind)
	sortByOrder(serverOnly, original, key, kind)

	// Interleave, exactly as strategicpatch's mergeSortedSlice.
	out := make([]any, len(serverOnly)+len(patchItems))
	i, j := 0, 0
	for k := range out {
		switch {
		case i >= len(serverOnly) && j < len(patchItems):
			out[k] = patchItems[j]
			j++
		case j >= len(patchItems) && i < len(serverOnly):
			out[k] = serverOnly[i]
			i++
		default:
			li := indexIn(original, serverOnly[i], key, kind)
			ri := indexIn(original, patchItems[j], key, kind)
			if li >= 0 && ri >= 0 && li < ri {
				out[k] = serverOnly[i]
				i++
			} else {
				out[k] = patchItems[j]
				j++
			}
		}
	}
	return out, true
}

// scalarKey reports whether a merge key value compares with == safely.
func scalarKey(v any) bool {
	switch v.(type) {
	case string, float64, bool:
		return true
	}
	return false
}

// sortByOrder is strategicpatch's normalizeSliceOrder without deletions:
// a stable sort by position in order, with its comparator as written
// (items not in order compare as less).
func sortByOrder(l, order []any, key string, kind reflect.Kind) {
	sort.SliceStable(l, func(i, j int) bool {
		if ii := indexIn(order, l[i], key, kind); ii >= 0 {
			if ij := indexIn(order, l[j], key, kind); ij >= 0 {
				return ii < ij
			}
		}
		return true
	})
}

// indexIn is strategicpatch's index: the position in l of the item with
// v's merge key value (maps) or of v itself (scalars), or -1.
func indexIn(l []any, v any, key string, kind reflect.Kind) int {
	get := func(x any) any {
		if kind != reflect.Map {
			return x
		}
		m, ok := x.(map[string]any)
		if !ok {
			return nil
		}
		return m[key]
	}
	want := get(v)
	for i, x := range l {
		if get(x) == want {
			return i
		}
	}
	return -1
}

// dedupScalars is strategicpatch's deduplicateScalars: each duplicate is
// replaced by the last item.
func dedupScalars(s []any) []any {
	n := len(s) - 1
	for i := 0; i < n; i++ {
		for j := i + 1; j <= n; j++ {
			if s[i] == s[j] {
				s[j] = s[n]
				s = s[:n]
				n--
				j--
			}
		}
	}
	return s
}

// withoutNulls is v with the null members of its mappings removed
// (strategicpatch's discardNullValuesFromPatch), v itself when it has none.
func withoutNulls(v any) any {
	if !hasNullMember(v) {
		return v
	}
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			if x != nil {
				out[k] = withoutNulls(x)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = withoutNulls(x)
		}
		return out
	}
	return v
}

func hasNullMember(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		for _, x := range v {
			if x == nil || hasNullMember(x) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if hasNullMember(x) {
				return true
			}
		}
	}
	return false
}
