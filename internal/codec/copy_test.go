package codec

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCopyTree(t *testing.T) {
	for _, tc := range []struct {
		name, why string
		in        any
	}{
		{"scalar", "scalars are immutable and come back as they are", "x"},
		{"nil map", "a nil map stays nil: a copy must not invent an empty object", map[string]any(nil)},
		{"nil list", "a nil list stays nil", []any(nil)},
		{"nested", "maps in lists in maps are all new", map[string]any{
			"a": []any{map[string]any{"b": 1.0}, "c", nil},
			"d": map[string]any{"e": []any{true}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := CopyTree(tc.in)
			if diff := cmp.Diff(tc.in, got); diff != "" {
				t.Fatalf("%s: copy differs (-in +copy):\n%s", tc.why, diff)
			}
			// Writing through the copy must leave the original alone.
			before := CopyTree(tc.in)
			scribble(got)
			if diff := cmp.Diff(before, tc.in); diff != "" {
				t.Fatalf("%s: writing to the copy changed the original:\n%s", tc.why, diff)
			}
		})
	}
}

func TestCopyMapNil(t *testing.T) {
	m := CopyMap(nil)
	if m == nil {
		t.Fatal("CopyMap(nil) is nil; callers write to the copy, so it must be an empty map")
	}
	m["k"] = "v" // must not panic
}

// scribble overwrites every map member and list element of a tree.
func scribble(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			scribble(x)
			v[k] = "scribbled"
		}
		if v != nil {
			v["added"] = true
		}
	case []any:
		for i, x := range v {
			scribble(x)
			v[i] = "scribbled"
		}
	}
}
