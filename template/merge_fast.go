package template

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/kinject/kinject/internal/codec"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
)

// A strategic merge without apimachinery's strategicpatch, for the common
// case: a patch with no $-directives. It gives what
// StrategicMergeMapPatchUsingLookupPatchMeta gives (nulls delete and are
// otherwise dropped, list order normalised the same way), in time linear in
// the lists: merge keys are looked up in maps where strategicpatch scans
// lists (its merges of a list of n items with a short patch take time
// quadratic in n). Merge keys and strategies come from corev1.Pod's plan
// (internal/codec). It copies on write: neither the original nor the patch
// is modified, unchanged subtrees are shared. Where strategicpatch would
// fail or the plan does not know a field, it declines (false) and the
// caller uses strategicpatch. TestFastMergeMatchesStrategic and
// FuzzFastMerge compare the two.

// mergeMember is what the merge knows of member k of an object of plan p:
// the plan of its value (pointers followed), its patch strategy ("merge",
// "replace" or "") and merge key. ok is false for a member p does not have
// or a strategy the fast merge does not model.
func mergeMember(p *codec.Plan, k string) (sub *codec.Plan, strategy, mergeKey string, ok bool) {
	switch p = p.Deref(); {
	case p == nil:
		return nil, "", "", false
	case p.Kind == codec.Map:
		return p.Elem.Deref(), "", "", true
	case p.Kind != codec.Struct:
		return nil, "", "", false
	}
	f := p.FieldByName(k)
	if f == nil {
		return nil, "", "", false
	}
	var strategies []string
	for _, s := range f.Strategies {
		if s != "" && s != "retainKeys" {
			strategies = append(strategies, s)
		}
	}
	switch len(strategies) {
	case 0:
	case 1:
		strategy = strategies[0]
		if strategy != "merge" && strategy != "replace" {
			return nil, "", "", false
		}
	default:
		return nil, "", "", false
	}
	return f.Plan.Deref(), strategy, f.MergeKey, true
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

// fastMerge merges patch onto original as strategicpatch does with
// corev1.Pod's metadata, without modifying either. It declines when patch
// holds a $-directive, when it cannot tell what strategicpatch would do,
// and always with the kinject_reference build tag.
func fastMerge(original, patch map[string]any) (map[string]any, bool) {
	if !codec.Fast {
		return nil, false
	}
	dollar, nulls := scanTree(patch)
	if dollar {
		return nil, false
	}
	return fastMergeMap(original, patch, podPlan, nulls, nil)
}

// fastMergeMap merges patch onto original as strategicpatch's mergeMap
// does, p being the plan of the object. nulls tells whether the patch has
// null members at all (when not, no subtree needs them dropped); fx are
// the facts of the remembered entries the patch holds (facts.go).
func fastMergeMap(original, patch map[string]any, p *codec.Plan, nulls bool, fx applyFacts) (map[string]any, bool) {
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
				pv = fx.withoutNulls(pv)
			}
			out[k] = pv
			continue
		}
		switch pv := pv.(type) {
		case map[string]any:
			sub, strategy, _, ok := mergeMember(p, k)
			if !ok {
				return nil, false
			}
			if strategy == "replace" {
				out[k] = pv
				continue
			}
			m, ok := fastMergeMap(ov.(map[string]any), pv, sub, nulls, fx)
			if !ok {
				return nil, false
			}
			out[k] = m
		case []any:
			sub, strategy, key, ok := mergeMember(p, k)
			if !ok || sub == nil || sub.Kind != codec.Slice {
				return nil, false
			}
			if strategy != "merge" {
				out[k] = pv
				continue
			}
			l, ok := fastMergeSlice(ov.([]any), pv, sub.Elem.Deref(), key, nulls, fx)
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
// strategy (elem is the plan of its items): maps merged by their merge key,
// scalars united, then the order normalised (patch items in patch order,
// the original's others in theirs, interleaved by the original's
// positions). Positions are found through maps from an item's identity
// (its merge key's value, or the scalar itself) to its first position.
func fastMergeSlice(original, patch []any, elem *codec.Plan, key string, nulls bool, fx applyFacts) ([]any, bool) {
	if len(original) == 0 && len(patch) == 0 {
		return original, true
	}
	var typ reflect.Type
	for _, l := range [][]any{original, patch} {
		for _, v := range l {
			t := reflect.TypeOf(v)
			if t == nil || (typ != nil && t != typ) || !plainTree(v) {
				return nil, false
			}
			typ = t
		}
	}
	maps := typ.Kind() == reflect.Map
	switch {
	case typ.Kind() == reflect.Slice:
		return nil, false // strategicpatch refuses lists of lists
	case maps && key == "":
		return nil, false
	case !maps:
		key = ""
	}
	// identity of an item; ok is false when a map lacks a scalar merge key.
	identity := func(v any) (any, bool) {
		if !maps {
			return v, true
		}
		kv, ok := v.(map[string]any)[key]
		return kv, ok && scalarKey(kv)
	}
	firstIn := func(l []any) (map[any]int, bool) {
		at := make(map[any]int, len(l))
		for i, v := range l {
			id, ok := identity(v)
			if !ok {
				return nil, false
			}
			if _, seen := at[id]; !seen {
				at[id] = i
			}
		}
		return at, true
	}
	inOriginal, ok := firstIn(original)
	if !ok {
		return nil, false
	}
	inPatch, ok := firstIn(patch)
	if !ok {
		return nil, false
	}

	var merged []any
	if maps {
		// Each patch item merges into the first item of its key, which may
		// be one an earlier patch item added.
		merged = append(make([]any, 0, len(original)+len(patch)), original...)
		at := make(map[any]int, len(inOriginal)+len(patch))
		for id, i := range inOriginal {
			at[id] = i
		}
		for _, v := range patch {
			id, _ := identity(v)
			j, found := at[id]
			if !found {
				at[id] = len(merged)
				merged = append(merged, v)
				continue
			}
			m, ok := fastMergeMap(merged[j].(map[string]any), v.(map[string]any), elem, nulls, fx)
			if !ok {
				return nil, false
			}
			merged[j] = m
		}
	} else {
		// Each distinct scalar once; the order is normalised below.
		merged = make([]any, 0, len(original)+len(patch))
		seen := make(map[any]bool, len(original)+len(patch))
		for _, l := range [][]any{original, patch} {
			for _, v := range l {
				if !seen[v] {
					seen[v] = true
					merged = append(merged, v)
				}
			}
		}
	}

	// Items present in the patch in patch order, the others in the
	// original's order (a stable sort by first position, done by buckets).
	patchItems := sortByPosition(merged, inPatch, inPatch, len(patch), identity, true)
	serverOnly := sortByPosition(merged, inPatch, inOriginal, len(original), identity, false)
	// Interleave as strategicpatch's mergeSortedSlice does: a server-only
	// item goes first when the original has both and holds it first.
	out := make([]any, 0, len(merged))
	i, j := 0, 0
	for i < len(serverOnly) || j < len(patchItems) {
		switch {
		case i >= len(serverOnly):
			out = append(out, patchItems[j])
			j++
		case j >= len(patchItems):
			out = append(out, serverOnly[i])
			i++
		default:
			si, _ := identity(serverOnly[i])
			pi, _ := identity(patchItems[j])
			li, lok := inOriginal[si]
			ri, rok := inOriginal[pi]
			if lok && rok && li < ri {
				out = append(out, serverOnly[i])
				i++
			} else {
				out = append(out, patchItems[j])
				j++
			}
		}
	}
	return out, true
}

// sortByPosition returns the items of merged whose identity is
// (wantInPatch) or is not among the patch's, stably sorted by their
// position in order, whose values are below n: a counting sort.
func sortByPosition(merged []any, inPatch, order map[any]int, n int, identity func(any) (any, bool), wantInPatch bool) []any {
	pos := make([]int, 0, len(merged))
	items := make([]any, 0, len(merged))
	starts := make([]int, n+1)
	for _, v := range merged {
		id, _ := identity(v)
		if _, ok := inPatch[id]; ok != wantInPatch {
			continue
		}
		p := order[id]
		pos = append(pos, p)
		items = append(items, v)
		starts[p+1]++
	}
	for i := 1; i <= n; i++ {
		starts[i] += starts[i-1]
	}
	out := make([]any, len(items))
	for i, v := range items {
		out[starts[pos[i]]] = v
		starts[pos[i]]++
	}
	return out
}

// scalarKey reports whether a merge key value compares with == safely.
func scalarKey(v any) bool {
	switch v.(type) {
	case string, float64, bool:
		return true
	}
	return false
}

// withoutNulls is v with the null members of its mappings removed
// (strategicpatch's discardNullValuesFromPatch), v itself when it has none,
// and each subtree without nulls shared (stripNulls, facts.go).
func withoutNulls(v any) any { return stripNulls(v, nil) }

// referenceMergeBound is the longest list the reference merge
// (strategicpatch) is given: its merges take time quadratic in a list's
// length (a pod of 4,000 containers takes half a second), so a longer list
// that the fast merge declines is refused rather than merged slowly.
const referenceMergeBound = 1000

// strategicMerge is the reference merge, strategicpatch with corev1.Pod's
// metadata, bounded by referenceMergeBound. It may modify its arguments.
func strategicMerge(original, patch map[string]any) (map[string]any, error) {
	for _, tree := range []map[string]any{original, patch} {
		if n, at := longestList(tree, 0, nil, nil); n > referenceMergeBound {
			return nil, fmt.Errorf("%s: a list of %d items is more than the %d a strategic merge with $-directives (or outside the fast merge) takes", pathString(at), n, referenceMergeBound)
		}
	}
	return strategicpatch.StrategicMergeMapPatchUsingLookupPatchMeta(original, patch, podMeta)
}

// longestList returns the length of the longest list in v, at least n, and
// its path (at, when n is not exceeded); path is v's own.
func longestList(v any, n int, at, path []any) (int, []any) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			n, at = longestList(x, n, at, append(path, k))
		}
	case []any:
		if len(v) > n {
			n, at = len(v), append([]any(nil), path...)
		}
		for i, x := range v {
			n, at = longestList(x, n, at, append(path, i))
		}
	}
	return n, at
}
