package inject

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
	goyaml "sigs.k8s.io/yaml/goyaml.v2"
)

// nestedList is a List nested depth levels deep, in JSON (flow) style as
// issue 10 built it (3,000 levels, 132 KB), with a Pod in the innermost
// List when withPod is set.
func nestedList(depth int, withPod bool) []byte {
	var b strings.Builder
	for range depth {
		b.WriteString(`{"apiVersion":"v1","kind":"List","items":[`)
	}
	if withPod {
		b.WriteString(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"app","image":"app"}]}}`)
	}
	for range depth {
		b.WriteString(`]}`)
	}
	b.WriteString("\n")
	return []byte(b.String())
}

// BenchmarkNestedList injects Lists nested 1,000 and 3,000 levels deep:
// time, memory and output grow linearly with the depth (issue 10: 3,000
// levels took 73 s and 541 MB and printed 37 MB).
func BenchmarkNestedList(b *testing.B) {
	inj := newTestInjector(b, nil)
	for _, depth := range []int{1000, 3000} {
		in := nestedList(depth, true)
		b.Run(fmt.Sprintf("%dlevels", depth), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			var out int
			for b.Loop() {
				res, err := inj.InjectManifests(context.Background(), in, ManifestOptions{})
				if err != nil {
					b.Fatal(err)
				}
				out = len(res.Output)
			}
			b.ReportMetric(float64(out), "out-B")
		})
	}
}

// TestNestedListLinear: work and output grow linearly with the nesting of
// Lists (issue 10: 3,000 levels printed 37 MB, 9 times what 1,000 levels
// print). Allocation counts and output sizes are compared for 500 and
// 1,500 levels: linear growth gives a ratio near 3, quadratic near 9.
func TestNestedListLinear(t *testing.T) {
	inj := newTestInjector(t, nil)
	measure := func(depth int) (allocs float64, out int) {
		in := nestedList(depth, true)
		allocs = testing.AllocsPerRun(2, func() {
			res, err := inj.InjectManifests(context.Background(), in, ManifestOptions{})
			if err != nil {
				t.Fatal(err)
			}
			out = len(res.Output)
		})
		return allocs, out
	}
	a1, o1 := measure(500)
	a3, o3 := measure(1500)
	t.Logf("500 levels: %.0f allocations, %d bytes out; 1,500 levels: %.0f, %d", a1, o1, a3, o3)
	if r := a3 / a1; r > 4 {
		t.Errorf("allocations grow %.1f times for 3 times the depth", r)
	}
	if r := float64(o3) / float64(o1); r > 4 {
		t.Errorf("output grows %.1f times for 3 times the depth", r)
	}
}

// TestNestedListOutput: the deep part of a nested List is printed in flow
// style; the output reads back as the same data (the Pod injected), and
// injecting it again changes nothing.
func TestNestedListOutput(t *testing.T) {
	inj := newTestInjector(t, nil)
	for _, depth := range []int{3, maxBlockDepth, 200} {
		t.Run(fmt.Sprint(depth), func(t *testing.T) {
			res, err := inj.InjectManifests(context.Background(), nestedList(depth, true), ManifestOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Injected != 1 {
				t.Fatalf("%d pods injected, want the innermost one", res.Injected)
			}
			out := strings.TrimSuffix(string(res.Output), "---\n")
			j, err := yaml.YAMLToJSON([]byte(out))
			if err != nil {
				t.Fatalf("the output is not YAML: %v", err)
			}
			// Walk down to the pod: every level is a List with one item.
			var v any
			if err := json.Unmarshal(j, &v); err != nil {
				t.Fatal(err)
			}
			for range depth {
				m, _ := v.(map[string]any)
				if m["kind"] != "List" {
					t.Fatalf("a level is not a List: %v", m["kind"])
				}
				items, _ := m["items"].([]any)
				if len(items) != 1 {
					t.Fatalf("a level has %d items", len(items))
				}
				v = items[0]
			}
			if !strings.Contains(fmt.Sprint(v), "istio-proxy") {
				t.Errorf("the innermost pod is not injected in the output: %v", v)
			}
			again, err := inj.InjectManifests(context.Background(), []byte(out), ManifestOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if string(again.Output) != string(res.Output) {
				t.Errorf("injecting the output again changed it")
			}
		})
	}
}

// TestEmitYAMLPlaceholder: a text of the tree that holds the placeholder
// prefix makes the emitter pick another one rather than splice into it.
func TestEmitYAMLPlaceholder(t *testing.T) {
	doc := []byte("any document")
	sum := sha256.Sum256(doc)
	taken := fmt.Sprintf("kinject-placeholder-%x-0-0", sum[:8])
	tree := map[string]any{"s": taken, "size": keptNumber{text: "12345678901234567890123", json: "1.2345678901234568e+22"}}
	out, warnings, err := emitYAML(tree, doc)
	if err != nil {
		t.Fatal(err)
	}
	if want := "s: " + taken + "\nsize: 12345678901234567890123\n"; string(out) != want {
		t.Errorf("output %q, want %q", out, want)
	}
	if len(warnings) != 1 || !strings.HasPrefix(warnings[0], "size: the number 12345678901234567890123 is kept") {
		t.Errorf("warnings %q", warnings)
	}
}

// treeDepth is the nesting of a tree.
func treeDepth(v any) int {
	d := 0
	switch x := v.(type) {
	case map[string]any:
		for _, c := range x {
			d = max(d, treeDepth(c))
		}
		return d + 1
	case []any:
		for _, c := range x {
			d = max(d, treeDepth(c))
		}
		return d + 1
	}
	return 0
}

// FuzzTreeMatchesSigs checks the List path's reading and printing against
// what istioctl does for an item it does not inject (sigs.k8s.io/yaml's
// YAMLToJSON, then JSONToYAML): the same bytes, unless a number is kept
// (with a warning) or the tree is deeper than maxBlockDepth; and a JSON
// document read with encoding/json prints as the YAML reading does.
func FuzzTreeMatchesSigs(f *testing.F) {
	for _, s := range []string{
		"a: 1\nb: [x, {c: d}]\n", `{"a":1.0,"b":[true,null,"x"],"c":{"d":1e3}}`, "n: 12345678901234567890123\n",
		"a: 0x1F\nb: 1_000\nc: .5\nd: yes\n", "x: \"\\u2028\"\n", "1: a\ntrue: b\n1.5: c\n", "- a\n- b\n", "plain\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		j, err := yaml.YAMLToJSON(in)
		if err != nil {
			return
		}
		tree, err := yamlTree(in)
		if err != nil {
			t.Fatalf("sigs.k8s.io/yaml reads %q, yamlTree fails: %v", in, err)
		}
		out, warnings, err := emitYAML(tree, in)
		if err != nil {
			t.Fatalf("emitYAML(%q): %v", in, err)
		}
		if len(warnings) == 0 && treeDepth(tree) < maxBlockDepth && !keyCollision(in) {
			want, err := yaml.JSONToYAML(j)
			if err != nil {
				return
			}
			if string(out) != string(want) {
				t.Fatalf("%q prints\n%s\nistioctl prints\n%s", in, out, want)
			}
		}
		if jt, dups, ok := jsonDocument(in); ok && len(dups) == 0 {
			jout, _, err := emitYAML(jt, in)
			if err != nil {
				t.Fatalf("emitYAML of the JSON reading of %q: %v", in, err)
			}
			if string(jout) != string(out) {
				t.Fatalf("%q read as JSON prints\n%s\nread as YAML\n%s", in, jout, out)
			}
		}
	})
}

// keyCollision reports whether two keys of a mapping in doc make the same
// string (1 and 1.0), where YAMLToJSON's choice depends on map order.
func keyCollision(doc []byte) bool {
	var v any
	if goyaml.Unmarshal(doc, &v) != nil {
		return false
	}
	var walk func(v any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case map[any]any:
			seen := map[string]bool{}
			for k, c := range x {
				ks, err := treeKey(k)
				if err != nil || seen[ks] || walk(c) {
					return true
				}
				seen[ks] = true
			}
		case []any:
			for _, c := range x {
				if walk(c) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}
