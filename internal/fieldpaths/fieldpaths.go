package fieldpaths

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Flatten decodes the JSON document doc and returns its leaves (strings,
// numbers, booleans and nulls; an empty object or list has none) as
// path -> JSON text.
func Flatten(doc []byte) (map[string]string, error) {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return nil, fmt.Errorf("fieldpaths: %w", err)
	}
	out := map[string]string{}
	walk("", v, out)
	return out, nil
}

func walk(path string, v any, out map[string]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			p := path + "." + k
			if strings.ContainsAny(k, "./") {
				p = path + "[" + k + "]"
			}
			walk(strings.TrimPrefix(p, "."), x, out)
		}
	case []any:
		for i, x := range v {
			id := fmt.Sprint(i)
			if m, ok := x.(map[string]any); ok {
				if n, ok := m["name"].(string); ok {
					id = n
				}
			}
			walk(fmt.Sprintf("%s[%s]", path, id), x, out)
		}
	default:
		js, _ := json.Marshal(v)
		out[path] = string(js)
	}
}

// ChangedOutside returns, sorted, the paths whose leaf differs between a
// and b (changed, added or removed) and that lie under none of the allowed
// prefixes.
func ChangedOutside(a, b map[string]string, allowed []string) []string {
	var bad []string
	check := func(p string) {
		for _, pre := range allowed {
			if p == pre || strings.HasPrefix(p, pre+".") || strings.HasPrefix(p, pre+"[") {
				return
			}
		}
		bad = append(bad, p)
	}
	for p, v := range a {
		if w, ok := b[p]; !ok || w != v {
			check(p)
		}
	}
	for p := range b {
		if _, ok := a[p]; !ok {
			check(p)
		}
	}
	sort.Strings(bad)
	return bad
}
