package cluster

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitYAMLList(t *testing.T) {
	for _, tc := range []struct {
		name, why, in string
		want          []string // nil with ok false
		ok            bool
	}{
		{"kubectl", "kubectl's shape: items at column 0, List kind after them",
			"apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: a\n- kind: Pod\n  metadata:\n    name: b\nkind: List\nmetadata:\n  resourceVersion: \"\"\n",
			[]string{"apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n", "kind: Pod\nmetadata:\n  name: b\n"}, true},
		{"indented items", "a sequence indented under items: is split the same way",
			"kind: List\nitems:\n  - kind: Pod\n    metadata:\n      name: a\n  - kind: Pod\n",
			[]string{"kind: Pod\nmetadata:\n  name: a\n", "kind: Pod\n"}, true},
		{"empty", "items: [] is an empty List", "kind: List\nitems: []\n", []string{}, true},
		{"block scalar", "a literal block keeps its indentation and blank lines",
			"kind: List\nitems:\n- kind: ConfigMap\n  data:\n    config: |\n      a\n\n      b\n",
			[]string{"kind: ConfigMap\ndata:\n  config: |\n    a\n\n    b\n"}, true},
		{"dash alone", "an item may start with a dash on its own line",
			"kind: List\nitems:\n-\n  kind: Pod\n", []string{"kind: Pod\n"}, true},
		{"not a list", "a document whose kind is not a List is converted whole", "kind: Pod\nitems:\n- a\n", nil, false},
		{"flow items", "items in flow style are converted whole", "kind: List\nitems: [{kind: Pod}]\n", nil, false},
		{"odd indentation", "a line the splitter cannot place makes it give up, not guess",
			"kind: List\nitems:\n- kind: Pod\n metadata: {}\n", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := splitYAMLList([]byte(tc.in))
			if ok != tc.ok {
				t.Fatalf("%s: ok = %v", tc.why, ok)
			}
			var gs []string
			if got != nil {
				gs = []string{}
			}
			for _, g := range got {
				gs = append(gs, string(g.text))
			}
			if d := cmp.Diff(tc.want, gs); d != "" {
				t.Errorf("%s (-want +got):\n%s", tc.why, d)
			}
		})
	}
}

func TestGuessIdentity(t *testing.T) {
	for _, tc := range []struct {
		name, why, in        string
		kind, namespace, nam string
	}{
		{"block", "kubectl's block style is read line by line", "kind: Pod\nmetadata:\n  name: web\n  namespace: shop\nspec: [\n", "Pod", "shop", "web"},
		{"quoted", "quoted values lose their quotes", "kind: \"Pod\"\nmetadata:\n  name: 'web'\n", "Pod", "", "web"},
		{"nested name", "a name deeper than metadata is not the object's", "kind: Pod\nspec:\n  name: x\nmetadata:\n  labels:\n    name: y\n", "Pod", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, ns, n := guessIdentity([]byte(tc.in))
			if k != tc.kind || ns != tc.namespace || n != tc.nam {
				t.Errorf("%s: got %q %q %q", tc.why, k, ns, n)
			}
		})
	}
}

func TestSplitDocuments(t *testing.T) {
	type doc struct {
		Text string
		Line int
	}
	for _, tc := range []struct {
		name, why, in string
		want          []doc
	}{
		{"two", "documents keep their first line", "a: 1\n---\nb: 2\n", []doc{{"a: 1\n", 1}, {"b: 2\n", 3}}},
		{"leading separator", "a stream may start with ---", "---\na: 1\n", []doc{{"", 1}, {"a: 1\n", 2}}},
		{"comment", "a separator may carry a comment", "a: 1\n--- # next\nb: 2\n", []doc{{"a: 1\n", 1}, {"b: 2\n", 3}}},
		{"crlf", "Windows line ends separate too", "a: 1\r\n---\r\nb: 2\r\n", []doc{{"a: 1\r\n", 1}, {"b: 2\r\n", 3}}},
		{"not a separator", "--- followed by content stays in the document (YAML reads it there)", "--- a: 1\n", []doc{{"--- a: 1\n", 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []doc
			for _, d := range splitDocuments([]byte(tc.in)) {
				got = append(got, doc{string(d.text), d.line})
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("%s (-want +got):\n%s", tc.why, d)
			}
		})
	}
}
