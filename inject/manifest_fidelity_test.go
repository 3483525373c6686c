package inject

import (
	"context"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestManifestFidelity: nothing in a manifest changes silently. What the
// typed objects cannot keep is named field by field; what is not injected
// comes out as it went in (a List's other items as istioctl prints them,
// keeping what istioctl loses).
func TestManifestFidelity(t *testing.T) {
	const pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: app, image: app}]}\n"
	cases := []struct {
		name, in string
		out      []string // in the output
		notOut   []string // not in the output
		warnings []string // each in some warning
		reason   string
	}{
		{"pod item unknown fields", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p, extra: 1}\n  spec:\n    futureField: x\n    containers: [{name: app, image: app, later: true}]\n",
			[]string{"istio-proxy"}, []string{"futureField", "extra", "later"},
			[]string{`items[0] (pod "p"): metadata.extra: unknown field, dropped`, `items[0] (pod "p"): spec.futureField: unknown field, dropped`, `items[0] (pod "p"): spec.containers[0].later: unknown field, dropped`},
			"issue 10: a List item's unknown fields were dropped without a word"},
		{"document unknown fields", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, tier: x}\nspec:\n  paused2: true\n  template:\n    spec:\n      containers: [{name: app, image: app, imagePolicy: y}]\n",
			nil, []string{"paused2", "tier", "imagePolicy"},
			[]string{"metadata.tier: unknown field", "spec.paused2: unknown field", "spec.template.spec.containers[0].imagePolicy: unknown field"},
			"issue 10: a document warned about its first unknown field only"},
		{"custom resource null timestamp", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: example.com/v1\n  kind: Thing\n  metadata: {name: t, creationTimestamp: null}\n  spec: {creationTimestamp: null, when: null}\n- " + strings.ReplaceAll(pod, "\n", "\n  "),
			[]string{"  spec:\n    creationTimestamp: null\n    when: null\n", "metadata:\n    creationTimestamp: null\n    name: t\n"}, nil, nil,
			"issue 10: the creationTimestamp: null of a custom resource's spec was removed; only typed objects' zero timestamps are a format detail"},
		{"big number", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: example.com/v1\n  kind: Thing\n  metadata: {name: t}\n  spec: {size: 12345678901234567890123, pi: 3.14159265358979323846, ok: 1.5, one: 1.0}\n",
			[]string{"size: 12345678901234567890123\n", "pi: 3.14159265358979323846\n", "ok: 1.5\n", "one: 1\n"}, []string{"e+22"},
			[]string{"items[0].spec.size: the number 12345678901234567890123 is kept as written (istioctl prints 1.2345678901234568e+22)", "items[0].spec.pi: the number 3.14159265358979323846"},
			"issue 10: 12345678901234567890123 became 1.2345678901234568e+22; numbers whose value istioctl keeps print as istioctl prints them (1.0 as 1)"},
		{"big number in JSON", `{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"example.com/v1","kind":"Thing","spec":{"size":12345678901234567890123}}]}`,
			[]string{"size: 12345678901234567890123\n"}, nil, []string{"items[0].spec.size: the number 12345678901234567890123 is kept"},
			"a JSON document keeps its numbers too"},
		{"other items as istioctl prints them", "apiVersion: v1\nkind: List\nitems:\n- {kind: Service, apiVersion: v1, metadata: {name: s}, spec: {ports: [{port: 80}], type: ClusterIP}}\n",
			[]string{"apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata:\n    name: s\n  spec:\n    ports:\n    - port: 80\n    type: ClusterIP\nkind: List\nmetadata: {}\n"}, nil, nil,
			"Istio re-serialises the List: its other items come out sorted, in block style"},
		{"duplicate key", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 1\n  replicas: 3\n  template:\n    spec:\n      containers: [{name: app, image: app}]\n",
			[]string{"replicas: 3\n"}, []string{"replicas: 1\n"}, []string{`line 6: duplicate key "replicas": the later value is used`},
			"issue 10: the warning said the field was dropped while the later value won"},
		{"duplicate key in JSON", `{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","name":"p"},"spec":{"containers":[{"name":"app","image":"app"}]}}]}`,
			[]string{"name: p\n"}, nil, []string{"duplicate key items[0].metadata.name: the later value is used"},
			"a JSON document's duplicates are named by path"},
		{"case-folded field", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: app, image: app}]\n  futureField: 1\n  HostNetwork: false\n",
			nil, []string{"HostNetwork"}, []string{"spec.HostNetwork: read as spec.hostNetwork"},
			"a field named in another case is read as the field, as Istio does, and said so"},
	}
	inj := newTestInjector(t, nil)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := inj.InjectManifests(context.Background(), []byte(c.in), ManifestOptions{})
			if err != nil {
				t.Fatalf("InjectManifests: %v (%s)", err, c.reason)
			}
			out := string(res.Output)
			for _, s := range c.out {
				if !strings.Contains(out, s) {
					t.Errorf("output lacks %q (%s):\n%s", s, c.reason, out)
				}
			}
			for _, s := range c.notOut {
				if strings.Contains(out, s) {
					t.Errorf("output holds %q (%s)", s, c.reason)
				}
			}
			all := strings.Join(res.Warnings, "\n")
			for _, w := range c.warnings {
				if !strings.Contains(all, w) {
					t.Errorf("no warning %q (%s); warnings:\n%s", w, c.reason, all)
				}
			}
			if _, err := yaml.YAMLToJSON(res.Output[:len(res.Output)-4]); err != nil {
				t.Errorf("the output does not read back: %v", err)
			}
		})
	}
}

// TestManifestErrorsNoGoTypes: a document of the wrong shape is refused
// with the document's terms, never Go's type names (issue 10 saw
// inject.objectHead in one).
func TestManifestErrorsNoGoTypes(t *testing.T) {
	cases := []struct {
		name, in, want, reason string
	}{
		{"list document", "- a\n- b\n", "document 0: decoding: the document is a list, not an object", "a YAML list is no object"},
		{"scalar document", "hello\n", "the document is a string, not an object", "nor is a scalar"},
		{"metadata", "apiVersion: v1\nkind: Pod\nmetadata: 5\n", "metadata: want an object, got a number", "the head is read field by field"},
		{"kind", "kind: {a: b}\n", "kind: want a string, got an object", "istioctl reads the kind into a string"},
		{"template", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w}\nspec: {template: 3}\n", `document 0 (deployment "w"): decoding Deployment: spec.template: want an object, got a number`, "a typed field of the wrong kind"},
		{"port", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: a, ports: [{containerPort: x}]}]}\n", "spec.containers.ports.containerPort: want a whole number, got a string", "a number field"},
		{"list item", `{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod","spec":{"containers":"x"}}]}`, "items[0]: decoding Pod: spec.containers: want a list, got a string", "inside a List"},
		{"list items", "apiVersion: v1\nkind: List\nitems: {a: b}\n", "items: want a list, got an object", "a List's items"},
	}
	inj := newTestInjector(t, nil)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := inj.InjectManifests(context.Background(), []byte(c.in), ManifestOptions{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q (%s)", err, c.want, c.reason)
			}
			if err != nil && (strings.Contains(err.Error(), "Go ") || strings.Contains(err.Error(), "inject.") || strings.Contains(err.Error(), "v1.")) {
				t.Errorf("error %q names a Go type (%s)", err, c.reason)
			}
		})
	}
}
