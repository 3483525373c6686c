package template

import (
	"fmt"
	"math"

	"sigs.k8s.io/yaml"

	"github.com/kinject/kinject/internal/cache"
	"github.com/kinject/kinject/internal/codec"
)

// toYaml and the per-FuncMap memo of its output.

// toYaml prints v as sigs.k8s.io/yaml.Marshal does (JSON, then yaml.v2).
// Templates print the same parts of .Values on every render, so the
// FuncMap's toYaml is yamlMemo's, which remembers the output.
func toYaml(v any) (string, error) {
	b, err := yaml.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("toYaml: %w", err)
	}
	return string(b), nil
}

// yamlMemo remembers toYaml's output for JSON-like trees (the parts of
// .Values that templates print, the same on every render) by content, not
// by identity: a hit needs a tree deeply equal to the remembered copy, so
// a map changed in place or a fresh map at a reused address can never get
// a stale answer (two trees with one hash share a slot; the later one
// wins). Each FuncMap (so each parsed Set) owns one, an internal/cache
// bounded by yamlMemoBytes: the values printed are the config's, a few
// small ones, but a template may print per-pod data too, which must not
// grow it. An output with its tree above a sixteenth of that is not kept.
type yamlMemo struct {
	c *cache.Cache[uint64, yamlMemoEntry]
}

type yamlMemoEntry struct {
	tree any // a private deep copy of the input
	out  string
}

// yamlMemoBytes bounds each Set's memo: 256 KiB, room for dozens of the
// few-hundred-byte blocks Istio's templates print (resources, lifecycle,
// security contexts).
const yamlMemoBytes = 256 << 10

func newYAMLMemo() *yamlMemo { return &yamlMemo{c: cache.New[uint64, yamlMemoEntry](yamlMemoBytes)} }

func (m *yamlMemo) toYaml(v any) (string, error) {
	h, ok := hashTree(v, 14695981039346656037)
	if !ok {
		return toYaml(v)
	}
	if e, ok := m.c.Get(h); ok && equalTree(e.tree, v) {
		return e.out, nil
	}
	out, err := toYaml(v)
	if err != nil || int64(len(out)) > m.c.MaxEntry() {
		return out, err
	}
	tree := codec.CopyTree(v)
	m.c.Put(h, yamlMemoEntry{tree: tree, out: out}, cache.SizeOf(tree)+int64(len(out)))
	return out, nil
}

// hashTree hashes a JSON-like tree (nil, string, bool, finite float64,
// map[string]any, []any), map members in any order giving the same hash;
// it reports false for anything else.
func hashTree(v any, h uint64) (uint64, bool) {
	const prime = 1099511628211
	mix := func(h, x uint64) uint64 { return (h ^ x) * prime }
	switch v := v.(type) {
	case nil:
		return mix(h, 1), true
	case bool:
		if v {
			return mix(h, 2), true
		}
		return mix(h, 3), true
	case string:
		return hashString(mix(h, 4), v), true
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return 0, false
		}
		return mix(mix(h, 5), math.Float64bits(v)), true
	case map[string]any:
		var sum uint64
		for k, x := range v {
			xh, ok := hashTree(x, hashString(14695981039346656037, k))
			if !ok {
				return 0, false
			}
			sum += xh
		}
		return mix(mix(mix(h, 6), sum), uint64(len(v))), true
	case []any:
		h = mix(h, 7)
		for _, x := range v {
			var ok bool
			if h, ok = hashTree(x, h); !ok {
				return 0, false
			}
		}
		return mix(h, uint64(len(v))), true
	}
	return 0, false
}

func hashString(h uint64, s string) uint64 {
	const prime = 1099511628211
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * prime
	}
	return (h ^ uint64(len(s))) * prime
}

// equalTree compares two JSON-like trees; a is a copy made by copyTree.
func equalTree(a, b any) bool {
	switch a := a.(type) {
	case nil:
		return b == nil
	case bool:
		x, ok := b.(bool)
		return ok && x == a
	case string:
		x, ok := b.(string)
		return ok && x == a
	case float64:
		x, ok := b.(float64)
		return ok && x == a
	case map[string]any:
		x, ok := b.(map[string]any)
		if !ok || (x == nil) != (a == nil) || len(x) != len(a) {
			return false
		}
		for k, av := range a {
			bv, ok := x[k]
			if !ok || !equalTree(av, bv) {
				return false
			}
		}
		return true
	case []any:
		x, ok := b.([]any)
		if !ok || (x == nil) != (a == nil) || len(x) != len(a) {
			return false
		}
		for i := range a {
			if !equalTree(a[i], x[i]) {
				return false
			}
		}
		return true
	}
	return false
}
