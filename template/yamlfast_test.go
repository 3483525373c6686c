package template

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kinject/kinject/internal/codec"
)

// checkFastYAML compares fastYAML with the sigs.k8s.io/yaml path on doc:
// when fastYAML accepts a document, the slow path must accept it and give
// the same tree. It returns whether fastYAML accepted it.
func checkFastYAML(t *testing.T, doc []byte) bool {
	t.Helper()
	fast, ok := fastYAML(doc)
	if !ok {
		return false
	}
	slow, err := slowYAML(doc)
	if err != nil {
		t.Errorf("fastYAML accepted what yaml.v2 rejects (%v):\n%s", err, doc)
		return true
	}
	if d := cmp.Diff(slow, fast); d != "" {
		t.Errorf("fastYAML differs from sigs.k8s.io/yaml (-slow +fast):\n%s\ndocument:\n%s", d, doc)
	}
	return true
}

var fastYAMLCases = []struct {
	name, doc string
	fast      bool // whether fastYAML is expected to handle it
	reason    string
}{
	{"empty", "", true, "no document is null"},
	{"comments only", "# a\n  # b\n", true, "still null"},
	{"mapping", "a: b\nc: 1\nd: true\ne: null\nf:\n", true, "scalars of each kind"},
	{"flags", "args:\n- -z\n- -x\n- -b\n- +d\n- -p\n", true, "a sign followed by a letter is no number (iptables flags in the default template)"},
	{"signed underscore", "a: -_1\n", false, "yaml.v2 drops underscores: -1"},
	{"inf", "a: .inf\n", false, "yaml.v2 reads .inf as a float, which JSON cannot carry"},
	{"signed inf", "a: -.Inf\n", false, "and -.Inf"},
	{"nan", "a: .NaN\n", false, "and .NaN"},
	{"yaml11 bools", "a: yes\nb: off\nc: Y\nd: n\n", true, "yaml.v2 reads YAML 1.1 booleans"},
	{"nested", "a:\n  b:\n    c: d\n  e: [1, x, \"y\"]\n", true, "block and flow nesting"},
	{"compact sequence", "a:\n- x\n- y\nb: z\n", true, "a sequence at its key's indentation"},
	{"sequence of mappings", "c:\n  - name: a\n    image: b\n  - name: c\n    args:\n    - x\n", true, "the containers shape"},
	{"empty values in items", "v:\n- emptyDir:\n  name: w\n", true, "Istio's volumes write emptyDir: with no value"},
	{"literal", "a: |\n  x\n   y\n\n  z\n\nb: |-\n  [\n      1\n  ]\n", true, "| keeps one newline, |- none"},
	{"literal empty", "a: |\nb: c\n", true, "a block scalar with no content"},
	{"flow multi-line", "annotations: {\n  a: \"1\",\n  b: '2',\n\n  c: x,\n}\n", true, "Istio's annotations block, with a trailing comma"},
	{"flow empty", "a: {}\nb: []\n", true, "empty collections"},
	{"quotes", "a: \"x\\\"y\\n\\u00e9\"\nb: 'it''s'\nc: \"\"\n", true, "escapes and doubled single quotes"},
	{"plain with colon", "a: http://x:80/y\nb: $(POD_NAMESPACE).svc\n", true, "a colon not followed by a space"},
	{"plain comment", "a: b # c\n", true, "a comment ends a plain scalar"},
	{"numbers", "a: 0\nb: -5\nc: 15020\n", true, "plain decimal integers"},
	{"odd numbers", "a: 0x1F\n", false, "left to yaml.v2"},
	{"octal", "a: 0777\n", false, "yaml.v2 reads an octal"},
	{"float", "a: 1.5\n", false, "left to yaml.v2"},
	{"anchor", "a: &x b\nc: *x\n", false, "anchors and aliases"},
	{"tag", "a: !!str 1\n", false, "tags"},
	{"folded", "a: >\n  x\n  y\n", false, "folded block scalars"},
	{"multi-line plain", "a: b\n  c\n", false, "plain continuation"},
	{"duplicate", "a: 1\na: 2\n", false, "strict decoding rejects it; the slow path says so"},
	{"bad indent", "a:\n  b: 1\n c: 2\n", false, "an error, reported by yaml.v2"},
	{"tab", "a:\tb\n", false, "tabs"},
	{"non-ascii", "a: é # – dash\n", true, "printable Unicode is content"},
	{"unicode line break", "a: b\u2028c\n", false, "YAML 1.1 line breaks"},
	{"invalid utf8", "a: \xff\n", false, "yaml.v2 rejects it"},
	{"document marker", "---\na: b\n", false, "document markers"},
	{"top-level list", "- a\n- b\n", true, "a list document"},
	{"nested list", "- - a\n", false, "a list in a list on one line"},
	{"quoted key", "\"a: b\": c\n'x': y\n", true, "quoted keys"},
	{"bool key", "true: x\n", false, "yaml.v2 makes it a bool key"},
	{"value after flow", "a: {b: c} d\n", false, "junk after a flow collection"},
	{"flow in sequence", "- {name: a, v: [1, 2]}\n- [x]\n", true, "flow items"},
	{"empty item", "-\n- a\n", true, "an empty item is null"},
	{"block under item", "-\n  a: b\n", true, "a mapping on the next line"},
	{"key with trailing comment", "a: # c\n  b: d\n", true, "comment after the colon"},
	{"literal keep", "a: |+\n  x\n\n", false, "keep chomping"},
	{"literal leading blank", "a: |\n\n  x\n", false, "leading blank lines"},
	{"cr", "a: b\r\n", false, "CRLF"},
	{"escaped slash", "a: \"\\/\"\n", false, "yaml.v2 (YAML 1.1) has no \\/ escape and refuses it (a fuzz finding)"},
	{"sign underscore", "- -_000\n- +_1\n- -\n", false, "yaml.v2 removes underscores after a sign: -_000 is the number 0 (a fuzz finding)"},
	{"dash words", "- --log-level\n- -Xmx512m\n", true, "a dash before letters is a string"},
	{"plain key 1024", strings.Repeat("k", 1024) + ": v\n", true, "yaml.v2 takes a simple key of up to 1,024 characters"},
	{"plain key 1025", strings.Repeat("k", 1025) + ": v\n", false, "yaml.v2 refuses a longer simple key (the fuzz failure of issue 10)"},
	{"quoted key 1025", "\"" + strings.Repeat("k", 1023) + "\": v\n", false, "the limit counts the quotes too"},
	{"flow key 1025", "a: {" + strings.Repeat("k", 1025) + ": b}\n", false, "the limit holds in flow mappings too"},
	{"flow key across lines", "a: {b\n  : c}\n", false, "a simple key ends on its own line"},
}

func TestFastYAML(t *testing.T) {
	for _, tc := range fastYAMLCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := checkFastYAML(t, []byte(tc.doc)); got != (tc.fast && codec.Fast) {
				t.Errorf("fastYAML handled = %v, want %v (%s)", got, tc.fast && codec.Fast, tc.reason)
			}
		})
	}
}

// FuzzFastYAML checks that whatever fastYAML accepts, yaml.v2 reads the
// same way.
func FuzzFastYAML(f *testing.F) {
	for _, tc := range fastYAMLCases {
		f.Add([]byte(tc.doc))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		checkFastYAML(t, doc)
	})
}

// checkSectionMemo parses each document fresh and through one memo, in
// order, so that later documents meet sections remembered from earlier
// ones in other places (the middle, the end, with or without what
// followed them); every parse must equal the fresh one, taken or not.
func checkSectionMemo(t *testing.T, docs ...[]byte) (hits int) {
	t.Helper()
	memo := newSectionMemo()
	for _, doc := range docs {
		fresh, ok := fastYAML(doc)
		got, shared, memoOK := fastYAMLMemo(doc, memo)
		if memoOK != ok {
			t.Fatalf("with the memo taken = %v, fresh %v:\n%q", memoOK, ok, doc)
		}
		if d := cmp.Diff(fresh, got); d != "" {
			t.Fatalf("with the memo the tree differs (-fresh +memo):\n%s\ndocument:\n%q", d, doc)
		}
		if shared {
			hits++
		}
	}
	return hits
}

func TestSectionMemo(t *testing.T) {
	for _, tt := range []struct {
		name, reason string
		docs         []string
	}{
		{"same twice", "every section of the second is remembered", []string{"a: 1\nb:\n  c: d\n", "a: 1\nb:\n  c: d\n"}},
		{"one section changes", "the pod's metadata differs, the spec not", []string{"metadata:\n  labels:\n    app: x\nspec:\n  containers:\n  - name: p\n", "metadata:\n  labels:\n    app: y\nspec:\n  containers:\n  - name: p\n"}},
		{"moved to the end", "a remembered section last, with and without the final line break", []string{"a: |\n  x\nb: 1\n", "b: 1\na: |\n  x\n", "b: 1\na: |\n  x"}},
		{"literal at the end without a line break", "clipping depends on the document's end", []string{"a: |\n  x", "a: |\n  x\nb: 1\n", "a: |\n  x"}},
		{"blank lines and comments", "lines between sections belong to the one before", []string{"a:\n  b: 1\n\n# note\n  c: 2\n\nd: e\n", "d: e\na:\n  b: 1\n\n# note\n  c: 2\n\n"}},
		{"sequence under the key", "items at indentation 0 are in the key's section", []string{"a:\n- x\n- y\nb: z\n", "b: z\na:\n- x\n- y\n"}},
		{"duplicate across sections", "a remembered key met again in one document: declined, as fresh", []string{"a: 1\n", "a: 1\na: 1\n"}},
		{"flow over lines", "a flow collection across lines at indentation 0", []string{"a: [1,\n2]\nb: c\n", "b: c\na: [1,\n2]\n"}},
		{"not a mapping", "a top-level sequence has no sections", []string{"- a\n- b\n", "- a\n- b\n"}},
		{"tab after a remembered section", "only the sections parsed are checked for plain text: a tab in one declines, as fresh", []string{"a: 1\nb: x\n", "a: 1\nb: x\n", "a: 1\nb: \"\t\"\n"}},
		{"tab before the first section", "the lines before the first key are checked too", []string{"a: 1\n", "a: 1\n", "#\t\na: 1\n"}},
		{"tab in a sequence document", "a document that is not a mapping is checked whole", []string{"- a\n", "- \"\t\"\n"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			docs := make([][]byte, len(tt.docs))
			for i, d := range tt.docs {
				docs[i] = []byte(d)
			}
			checkSectionMemo(t, docs...)
		})
	}
}

// FuzzSectionMemo: documents a and b, then each glued to the other,
// through one memo, equal their fresh parses.
func FuzzSectionMemo(f *testing.F) {
	for i, tc := range fastYAMLCases {
		f.Add([]byte(tc.doc), []byte(fastYAMLCases[(i+1)%len(fastYAMLCases)].doc))
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		ab := append(append([]byte{}, a...), b...)
		ba := append(append([]byte{}, b...), a...)
		checkSectionMemo(t, a, b, ab, ba, a, b)
	})
}
