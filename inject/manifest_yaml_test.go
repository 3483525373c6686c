package inject

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kinject/kinject/internal/codec"
	"github.com/kinject/kinject/template"
)

// yamlDocumentInputs are every document of the manifest goldens' inputs
// and of the corpus's kube-inject inputs (when the corpus is there).
func yamlDocumentInputs(t testing.TB) (docs [][]byte, corpus int) {
	t.Helper()
	inputs, _ := filepath.Glob(filepath.Join(manifestDir, "*.yaml"))
	dir := os.Getenv("KINJECT_ISTIO_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "istio-corpus")
	}
	more, _ := filepath.Glob(filepath.Join(dir, "cases", "*", "input.yaml"))
	inputs = append(inputs, more...)
	for _, in := range inputs {
		r := newDocReader(bytes.NewReader(readFile(t, in)))
		for {
			raw, badSep, err := r.next()
			if err != nil || badSep != nil {
				break
			}
			docs = append(docs, bytes.Clone(raw))
		}
	}
	return docs, len(more)
}

// checkYAMLDocument holds yamlDocument to its reference on one document:
// taken, it gives decodeYAMLDocument's object, kind, head and warnings;
// declined, it leaves the document's result untouched.
func checkYAMLDocument(t testing.TB, raw []byte) bool {
	t.Helper()
	var fast, ref DocumentResult
	obj, kind, ok := yamlDocument(raw, &fast)
	if !ok {
		if !reflect.DeepEqual(fast, DocumentResult{}) {
			t.Fatalf("%q: yamlDocument declined and left %+v", raw, fast)
		}
		return false
	}
	wantObj, wantKind, tree, err := decodeYAMLDocument(raw, &ref)
	if err != nil {
		t.Fatalf("%q: yamlDocument took a document its reference refuses: %v", raw, err)
	}
	if tree != nil || (kind == nil) != (wantKind == nil) || kind != nil && (kind.name != wantKind.name || kind.list != wantKind.list) {
		t.Fatalf("%q: yamlDocument kind %+v, reference %+v (tree %v)", raw, kind, wantKind, tree)
	}
	if !reflect.DeepEqual(obj, wantObj) {
		t.Fatalf("%q: yamlDocument object differs from the reference:\n%s", raw, cmp.Diff(wantObj, obj))
	}
	if !reflect.DeepEqual(fast, ref) {
		t.Fatalf("%q: yamlDocument result %+v, reference %+v", raw, fast, ref)
	}
	return true
}

// yamlDocumentCases are documents at the edges of what yamlDocument takes.
var yamlDocumentCases = []struct {
	name, doc string
	taken     bool // with codec.Fast
	reason    string
}{
	{"deployment", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n      - name: app\n        image: app:1\n", true, "the common case"},
	{"configmap", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n", true, "a kind copied as it is: only the head is read"},
	{"unserved", "apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata:\n  name: old\n", true, "the unserved-version warning is the reference's"},
	{"no head", "a: 1\n", true, "a mapping without apiVersion and kind is copied"},
	{"quantities", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    resources:\n      limits:\n        cpu: 2\n        memory: 1024\n", true, "numbers a Quantity reads as their text"},
	{"big integer", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  activeDeadlineSeconds: 9007199254740993\n  containers:\n  - name: a\n", false, "2^53+1 is not a float64, its JSON would not be the YAML's text (the reader declines it; exactNumbers would)"},
	{"minus zero", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    resources:\n      limits:\n        cpu: -0\n", false, "-0 is encoded -0 from a float64, 0 from YAML's integer (the reader declines it; exactNumbers would)"},
	{"numeric name", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: 12\nspec:\n  containers:\n  - name: a\n", false, "the head's conversion of a number is the reference's"},
	{"numeric kind", "apiVersion: v1\nkind: 3\n", false, "the head's conversion of a number is the reference's"},
	{"metadata scalar", "apiVersion: v1\nkind: Pod\nmetadata: x\n", false, "the reference's error"},
	{"unknown field", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    colour: red\n", false, "the lenient path warns about the unknown field"},
	{"case-folded key", "apiVersion: v1\nkind: Pod\nmetadata:\n  Name: p\nspec:\n  containers:\n  - name: a\n", false, "encoding/json matches case-insensitively"},
	{"type mismatch", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers: 3\n", false, "the reference's error"},
	{"list", "apiVersion: v1\nkind: List\nitems: []\n", false, "injectList reads a List's YAML itself"},
	{"scalar", "hello\n", false, "not a mapping: the reference says what it is"},
	{"empty", "# nothing\n", false, "an empty document is the reference's (copied)"},
	{"duplicate key", "apiVersion: v1\nkind: Pod\nkind: Pod\n", false, "the lenient conversion warns about duplicates"},
	{"anchor", "apiVersion: v1\nkind: Pod\nmetadata: &m\n  name: p\n", false, "the YAML reader declines anchors"},
}

func TestYAMLDocumentMatches(t *testing.T) {
	for _, c := range yamlDocumentCases {
		t.Run(c.name, func(t *testing.T) {
			if got := checkYAMLDocument(t, []byte(c.doc)); got != (c.taken && codec.Fast) {
				t.Errorf("taken = %v, want %v (%s)", got, c.taken && codec.Fast, c.reason)
			}
		})
	}
	docs, _ := yamlDocumentInputs(t)
	for _, raw := range docs {
		checkYAMLDocument(t, raw)
	}
}

// TestYAMLDocumentTaken fails where yamlDocument declines a golden or
// corpus document that its reader takes and that decodes strictly (the
// reference's decodeStrictJSON takes it): there it must be taken.
func TestYAMLDocumentTaken(t *testing.T) {
	docs, corpus := yamlDocumentInputs(t)
	taken := 0
	for _, raw := range docs {
		if checkYAMLDocument(t, raw) {
			taken++
			continue
		}
		if !codec.Fast {
			continue
		}
		tree, ok := template.DecodeYAMLTree(raw)
		if _, isMap := tree.(map[string]any); !ok || !isMap {
			continue // the reader's declines, and documents not mappings
		}
		var d DocumentResult
		obj, kind, _, err := decodeYAMLDocument(raw, &d)
		if err != nil || kind == nil || kind.list || !exactNumbers(tree) {
			continue
		}
		strict := kind.new()
		if !codec.DecodeTree(tree, strict) || !reflect.DeepEqual(strict, obj) {
			continue // unknown fields and the like: the lenient path's job
		}
		t.Errorf("yamlDocument declined a document that decodes strictly:\n%s", raw)
	}
	if codec.Fast && (taken == 0 || corpus > 0 && taken < 100) {
		t.Fatalf("yamlDocument taken on %d of %d documents", taken, len(docs))
	}
	t.Logf("yamlDocument taken on %d of %d documents", taken, len(docs))
}

func FuzzYAMLDocument(f *testing.F) {
	for _, c := range yamlDocumentCases {
		f.Add([]byte(c.doc))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkYAMLDocument(t, raw)
	})
}

func TestExactNumbers(t *testing.T) {
	for _, c := range []struct {
		v      any
		want   bool
		reason string
	}{
		{map[string]any{"a": []any{float64(3), "x", nil, true}}, true, "small integers, and no numbers"},
		{float64(1<<53 - 1), true, "the largest integer float64 holds with all below it"},
		{float64(1 << 53), false, "2^53: 2^53+1 reads as it too"},
		{float64(-(1 << 53)), false, "the same below zero"},
		{1.5, false, "not an integer"},
		{math.Copysign(0, -1), false, "-0 is encoded -0"},
		{[]any{map[string]any{"deep": 1e300}}, false, "found deep down"},
	} {
		if got := exactNumbers(c.v); got != c.want {
			t.Errorf("exactNumbers(%v) = %v, want %v (%s)", c.v, got, c.want, c.reason)
		}
	}
}
