package template

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kinject/kinject/internal/codec"
	corev1 "k8s.io/api/core/v1"
)

// TestFastPathsTaken runs every corpus pod and every output of every
// sidecar template through the package's fast paths (internal/codec's doc
// lists them) and their references: each must be taken and give the
// reference's result. A k8s.io upgrade that makes one decline (a new tag
// option, say) fails here instead of only getting slower. With the
// kinject_reference tag each must decline.
func TestFastPathsTaken(t *testing.T) {
	taken := map[string]int{}
	n := 0
	check := func(path string, ok bool, what string) {
		t.Helper()
		if ok != codec.Fast {
			t.Errorf("%s: %s taken = %v, want %v", what, path, ok, codec.Fast)
		}
		if ok {
			taken[path]++
		}
	}
	for _, c := range corpusCases(t) {
		if c.wantErr != "" {
			continue
		}
		s, err := Parse(c.config.Templates, Options{Aliases: c.config.Aliases})
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range c.pods {
			what := c.name + "/pod " + string(rune('0'+i))
			pod := checkTreeOf(t, p.pod, check, what)
			d := c.data(t, p)
			if declined, err := validateNames(d); err == nil {
				check("name rules", declined == 0, what)
			}
			if ValidateLabels(d.ObjectMeta.Labels) == nil {
				check("label rules", labelsFast(d.ObjectMeta.Labels), what)
			}
			for _, name := range s.Names() {
				if gatewayControllerTemplates[name] {
					continue
				}
				out, err := s.Render(name, d)
				if err != nil {
					t.Fatalf("%s: %s: %v", what, name, err)
				}
				n++
				check("fastYAML", checkFastYAML(t, out), what+"/"+name)
				// The Set's section memo, as Apply uses it: the second
				// parse is remembered (the first only marks sections seen).
				for range 3 {
					fresh, ok := fastYAML(out)
					got, remembered, memoOK := fastYAMLMemo(out, s.sections)
					if memoOK != ok || !cmp.Equal(fresh, got) {
						t.Fatalf("%s: %s: the section memo changes the tree (taken %v, fresh %v):\n%s", what, name, memoOK, ok, cmp.Diff(fresh, got))
					}
					if remembered {
						taken["section memo"]++
					}
				}
				patch, _, err := s.decodeOutput(name, out)
				if err != nil || patch == nil {
					continue
				}
				for _, target := range []map[string]any{pod, {}} {
					check("fastMerge", checkFastMerge(t, target, patch), what+"/"+name)
					merged, err := strategicMerge(codec.CopyMap(target), codec.CopyMap(patch))
					if err != nil {
						t.Fatal(err)
					}
					check("codec.DecodeTree", checkDecodeTree(t, merged), what+"/"+name)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no template output")
	}
	if codec.Fast && taken["section memo"] == 0 {
		t.Error("the section memo was never taken")
	}
	t.Logf("%d template outputs; fast paths taken: %v", n, taken)
}

// checkTreeOf builds pod's tree with codec.Tree and with the reference,
// compares them and returns the reference's.
func checkTreeOf(t *testing.T, pod *corev1.Pod, check func(string, bool, string), what string) map[string]any {
	t.Helper()
	want, err := jsonTree(pod)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := codec.Tree(pod)
	check("codec.Tree", ok, what)
	if ok {
		if d := cmp.Diff(any(want), got); d != "" {
			t.Fatalf("%s: codec.Tree differs from the JSON round trip (-json +tree):\n%s", what, d)
		}
	}
	return want
}

// checkDecodeTree decodes tree with codec.DecodeTree and, when it does,
// compares the pod with encoding/json's; it reports whether it decoded.
func checkDecodeTree(t *testing.T, tree map[string]any) bool {
	t.Helper()
	got := &corev1.Pod{}
	if !codec.DecodeTree(tree, got) {
		return false
	}
	b, err := json.Marshal(tree)
	if err != nil {
		t.Fatal(err)
	}
	want := &corev1.Pod{}
	if err := json.Unmarshal(b, want); err != nil {
		t.Fatalf("codec.DecodeTree decoded what encoding/json refuses: %v", err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("codec.DecodeTree differs from encoding/json (-json +tree):\n%s", d)
	}
	return true
}
