package template

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kinject/kinject/internal/codec"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
)

// checkFastMerge asserts that fastMergeMap, when it answers, gives what
// strategicpatch gives, and modifies neither argument. It reports whether
// fastMergeMap answered.
func checkFastMerge(t testing.TB, original, patch map[string]any) bool {
	t.Helper()
	origBefore, patchBefore := codec.CopyMap(original), codec.CopyMap(patch)
	got, ok := fastMerge(original, patch)
	if d := cmp.Diff(origBefore, original); d != "" {
		t.Fatalf("fastMergeMap modified the original:\n%s", d)
	}
	if d := cmp.Diff(patchBefore, patch); d != "" {
		t.Fatalf("fastMergeMap modified the patch:\n%s", d)
	}
	if !ok {
		return false
	}
	want, err := strategicMergeOrPanic(codec.CopyMap(original), codec.CopyMap(patch))
	if err != nil {
		t.Fatalf("fastMergeMap answered where strategicpatch fails (%v)\noriginal %v\npatch %v", err, original, patch)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("fastMergeMap differs from strategicpatch (-strategicpatch +fast):\n%s\noriginal %v\npatch %v", d, original, patch)
	}
	return true
}

// strategicMergeOrPanic is the reference; a panic in it counts as an error.
func strategicMergeOrPanic(original, patch map[string]any) (m map[string]any, err error) {
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, errPanic{r}
		}
	}()
	return strategicpatch.StrategicMergeMapPatchUsingLookupPatchMeta(original, patch, podMeta)
}

type errPanic struct{ v any }

func (e errPanic) Error() string { return "panic" }

func TestFastMergeMatchesStrategic(t *testing.T) {
	for _, tt := range []struct {
		name, reason    string
		original, patch string
		fast            bool // fastMergeMap answers
	}{
		{"add sidecar", "a new container is appended by its merge key", `{"spec":{"containers":[{"name":"app","image":"a"}]}}`, `{"spec":{"containers":[{"name":"istio-proxy","image":"p"}]}}`, true},
		{"merge by name", "a container of the same name merges field by field", `{"spec":{"containers":[{"name":"app","image":"a","args":["x"]},{"name":"b"}]}}`, `{"spec":{"containers":[{"name":"b","image":"bb"},{"name":"app","env":[{"name":"E","value":"1"}]}]}}`, true},
		{"order", "patch items in patch order, interleaved by the original's positions", `{"spec":{"volumes":[{"name":"a"},{"name":"b"},{"name":"c"},{"name":"d"}]}}`, `{"spec":{"volumes":[{"name":"z"},{"name":"c","emptyDir":{}},{"name":"a","emptyDir":{}}]}}`, true},
		{"ports by number", "ports merge on containerPort, a number", `{"spec":{"containers":[{"name":"c","ports":[{"containerPort":80},{"containerPort":81,"name":"x"}]}]}}`, `{"spec":{"containers":[{"name":"c","ports":[{"containerPort":81,"protocol":"TCP"},{"containerPort":15090}]}]}}`, true},
		{"null deletes", "a null in the patch deletes the field", `{"metadata":{"labels":{"a":"1","b":"2"}},"spec":{"hostNetwork":true}}`, `{"metadata":{"labels":{"a":null,"c":"3"}},"spec":{"hostNetwork":null}}`, true},
		{"nulls dropped", "nulls inside a new subtree are dropped", `{"metadata":{}}`, `{"metadata":{"annotations":{"a":null,"b":"x"}},"spec":{"securityContext":{"runAsUser":null,"fsGroup":1}}}`, true},
		{"nulls kept in appended items", "strategicpatch appends list items as they are", `{"spec":{"containers":[{"name":"app"}]}}`, `{"spec":{"containers":[{"name":"p","image":null}]}}`, true},
		{"replace list", "args has no merge strategy: replaced", `{"spec":{"containers":[{"name":"c","args":["a","b"]}]}}`, `{"spec":{"containers":[{"name":"c","args":["c"]}]}}`, true},
		{"scalar union", "finalizers merge as a set", `{"metadata":{"finalizers":["a","b","c"]}}`, `{"metadata":{"finalizers":["c","d","a"]}}`, true},
		{"type change", "a value of another type replaces", `{"spec":{"containers":"x"}}`, `{"spec":{"containers":[{"name":"c"}]}}`, true},
		{"empty original", "merging onto the empty pod", `{}`, `{"spec":{"initContainers":[{"name":"istio-init"}],"volumes":[{"name":"v","emptyDir":{"medium":"Memory"}}]}}`, true},
		{"directive", "$patch is left to strategicpatch", `{"spec":{"containers":[{"name":"c"}]}}`, `{"spec":{"containers":[{"name":"c","$patch":"delete"}]}}`, false},
		{"no merge key", "strategicpatch fails on a list item without its merge key", `{"spec":{"containers":[{"name":"c"}]}}`, `{"spec":{"containers":[{"image":"x"}]}}`, false},
		{"original without key", "strategicpatch fails on it too", `{"spec":{"containers":[{"image":"x"}]}}`, `{"spec":{"containers":[{"name":"c"}]}}`, false},
		{"duplicate keys", "strategicpatch merges a duplicate into its own patch", `{"spec":{}}`, `{"spec":{"volumes":[{"name":"v"},{"name":"v","emptyDir":{}}]}}`, true},
		{"duplicate keys merged", "a duplicate merges into the item its first copy added, as in strategicpatch", `{"spec":{"volumes":[{"name":"a"}]}}`, `{"spec":{"volumes":[{"name":"v"},{"name":"a","emptyDir":{}},{"name":"v","emptyDir":{}}]}}`, true},
		{"duplicates in original", "the first of two items of one key merges; both sort by that key's first place", `{"spec":{"containers":[{"name":"a"},{"name":"b"},{"name":"a","image":"2"}]}}`, `{"spec":{"containers":[{"name":"c"},{"name":"a","image":"p"}]}}`, true},
		{"scalar duplicates", "each distinct scalar once, in patch order then the original's", `{"metadata":{"finalizers":["a","b","a","d"]}}`, `{"metadata":{"finalizers":["b","c","b"]}}`, true},
		{"resource map", "a map of quantities merges key by key", `{"spec":{"overhead":{"cpu":"1","memory":"1Gi"}}}`, `{"spec":{"overhead":{"cpu":"2"}}}`, true},
		{"unknown field", "a field the table does not know", `{"spec":{"bogus":{"a":1}}}`, `{"spec":{"bogus":{"b":2}}}`, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var o, p map[string]any
			if err := json.Unmarshal([]byte(tt.original), &o); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(tt.patch), &p); err != nil {
				t.Fatal(err)
			}
			if got := checkFastMerge(t, o, p); got != (tt.fast && codec.Fast) {
				t.Errorf("fastMerge answered = %v, want %v: %s", got, tt.fast && codec.Fast, tt.reason)
			}
		})
	}
}

func FuzzFastMerge(f *testing.F) {
	for _, s := range [][2]string{
		{`{"spec":{"containers":[{"name":"app"}]}}`, `{"spec":{"containers":[{"name":"istio-proxy","image":"p"}]}}`},
		{`{"spec":{"volumes":[{"name":"a"},{"name":"b"}]}}`, `{"spec":{"volumes":[{"name":"c"},{"name":"a","emptyDir":{}}]}}`},
		{`{"metadata":{"finalizers":["a","b"],"labels":{"x":"1"}}}`, `{"metadata":{"finalizers":["b","c"],"labels":{"x":null}}}`},
	} {
		f.Add([]byte(s[0]), []byte(s[1]))
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		var o, p map[string]any
		if json.Unmarshal(a, &o) != nil || json.Unmarshal(b, &p) != nil || o == nil || p == nil {
			return
		}
		checkFastMerge(t, o, p)
	})
}

// TestReferenceMergeBound: the reference merge (strategicpatch, quadratic
// in a list's length) refuses lists over referenceMergeBound items; the
// fast merge takes them.
func TestReferenceMergeBound(t *testing.T) {
	containers := func(n int) []any {
		cs := make([]any, n)
		for i := range cs {
			cs[i] = map[string]any{"name": fmt.Sprintf("c%d", i)}
		}
		return cs
	}
	for _, tt := range []struct {
		name, reason string
		n            int
		patch        map[string]any
		wantErr      string
	}{
		{"at the bound", "a list of referenceMergeBound items is merged by either", referenceMergeBound,
			map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "c1", "$patch": "delete"}}}}, ""},
		{"over the bound", "a directive leaves the merge to strategicpatch, which refuses the long list and names it", referenceMergeBound + 1,
			map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "c1", "$patch": "delete"}}}}, "spec.containers: a list of 1001 items"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			target := map[string]any{"spec": map[string]any{"containers": containers(tt.n)}}
			_, err := strategicMerge(target, tt.patch)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("err = %v, want %q: %s", err, tt.wantErr, tt.reason)
			}
		})
	}
	big := map[string]any{"spec": map[string]any{"containers": containers(40000)}}
	m, ok := fastMerge(big, map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "istio-proxy"}}}})
	if ok != codec.Fast || ok && len(m["spec"].(map[string]any)["containers"].([]any)) != 40001 {
		t.Errorf("fastMerge of 40,000 containers: taken %v", ok)
	}
}
