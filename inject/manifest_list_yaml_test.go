package inject

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/kinject/kinject/internal/codec"
)

// checkListYAML holds listYAML to emitYAML on one tree: taken, it gives
// emitYAML's bytes, and emitYAML has no warning to give.
func checkListYAML(t testing.TB, tree any) bool {
	t.Helper()
	got, ok := listYAML(tree)
	if !ok {
		return false
	}
	want, warnings, err := emitYAML(tree, []byte("doc"))
	if err != nil {
		t.Fatalf("listYAML took a tree emitYAML refuses: %v", err)
	}
	if len(warnings) > 0 {
		t.Fatalf("listYAML took a tree emitYAML warns about: %q", warnings)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("listYAML differs from emitYAML:\n%s\nwant:\n%s", got, want)
	}
	return true
}

func TestListYAMLMatches(t *testing.T) {
	deep := strings.Repeat("- ", 70) + "x\n"
	for _, c := range []struct {
		name, doc string
		taken     bool // with codec.Fast
		reason    string
	}{
		{"list", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata:\n    name: s\n  spec:\n    ports:\n    - port: 80\n", true, "the common case"},
		{"scalars", "a: 'yes'\nb: '1.0'\nc: \"x\\ny\"\nd: 1.5\ne: 1e3\nf: -7\ng: null\nh: true\ni: ''\n", true, "strings that need quotes, numbers of every kind yaml.v2 resolves"},
		{"key order", "a12: 1\na2: 2\nA: 3\n_b: 4\n", true, "yaml.v2's order of keys"},
		{"long text", "a: " + strings.Repeat("word ", 40) + "\n", true, "folded past column 80"},
		{"kept number", "a: 12345678901234567890123\n", false, "a number yaml.v2 would round is kept as written, with a warning"},
		{"deep", deep, false, "nodes past maxBlockDepth are printed in flow style"},
		{"invalid UTF-8", "a: \"\\xff\"\n", true, "yaml.v2 reads the escape as U+00FF, valid UTF-8"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tree, err := yamlTree([]byte(c.doc))
			if err != nil {
				t.Fatal(err)
			}
			if got := checkListYAML(t, tree); got != (c.taken && codec.Fast) {
				t.Errorf("taken = %v, want %v (%s)", got, c.taken && codec.Fast, c.reason)
			}
		})
	}
	// A string that is not UTF-8 (only a tree built in Go holds one).
	if checkListYAML(t, map[string]any{"a": "\xff"}) {
		t.Error("listYAML took a string that is not UTF-8")
	}
}

// TestListYAMLTaken injects every List of the goldens and the corpus and
// holds listYAML to emitYAML on the injected tree; it must be taken on
// every one that emitYAML prints without a warning.
func TestListYAMLTaken(t *testing.T) {
	docs, _ := yamlDocumentInputs(t)
	inj := newTestInjector(t, nil)
	taken := 0
	for _, raw := range docs {
		tree, err := yamlTree(raw)
		m, ok := tree.(map[string]any)
		if err != nil || !ok || m["kind"] != "List" {
			continue
		}
		l := listInjector{ctx: context.Background(), i: inj, doc: &DocumentResult{}, opts: &ManifestOptions{}}
		list, err := l.list(m, nil)
		if err != nil {
			continue
		}
		if checkListYAML(t, list) {
			taken++
			continue
		}
		if _, warnings, err := emitYAML(list, raw); codec.Fast && err == nil && len(warnings) == 0 {
			t.Errorf("listYAML declined a List emitYAML prints without warnings:\n%.300s", raw)
		}
	}
	if codec.Fast && taken == 0 {
		t.Fatal("listYAML never taken")
	}
	t.Logf("listYAML taken on %d Lists", taken)
}

func FuzzListYAML(f *testing.F) {
	f.Add("apiVersion: v1\nkind: List\nitems:\n- a: 1\n  b: [x, 'y', 1.5]\n")
	f.Add("a: 12345678901234567890123\nb: {c: d}\n")
	f.Add("a: \"line\\nbreak\"\nb: '#'\n")
	f.Fuzz(func(t *testing.T, doc string) {
		tree, err := yamlTree([]byte(doc))
		if err != nil {
			return
		}
		checkListYAML(t, tree)
	})
}
