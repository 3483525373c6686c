package template

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

func mustPod(t testing.TB, y string) *corev1.Pod {
	t.Helper()
	p := &corev1.Pod{}
	if err := yaml.UnmarshalStrict([]byte(y), p); err != nil {
		t.Fatalf("pod: %v", err)
	}
	return p
}

func podYAML(t testing.TB, p *corev1.Pod) string {
	t.Helper()
	b, err := yaml.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestApply(t *testing.T) {
	base := `
metadata:
  name: web
  labels: {app: web}
spec:
  initContainers:
  - name: init-db
    image: busybox
  containers:
  - name: app
    image: app:1
    env:
    - {name: A, value: "1"}
  volumes:
  - name: data
    emptyDir: {}
`
	cases := []struct {
		name       string
		templates  map[string]string
		aliases    map[string][]string
		use        []string
		pod        string
		wantMerged string
		wantInject string
		wantErr    string
		reason     string
	}{
		{
			name: "containers appended, by merge key name",
			templates: map[string]string{"s": `
spec:
  containers:
  - name: sidecar
    image: proxy
  - name: app
    env:
    - {name: B, value: "2"}
`},
			use: []string{"s"}, pod: base,
			wantMerged: `
metadata:
  name: web
  labels: {app: web}
spec:
  initContainers:
  - {name: init-db, image: busybox, resources: {}}
  containers:
  - {name: sidecar, image: proxy, resources: {}}
  - name: app
    image: app:1
    env:
    - {name: B, value: "2"}
    - {name: A, value: "1"}
    resources: {}
  volumes:
  - {name: data, emptyDir: {}}
`,
			wantInject: `
spec:
  containers:
  - {name: sidecar, image: proxy, resources: {}}
  - name: app
    env:
    - {name: B, value: "2"}
    resources: {}
`,
			reason: "as strategicpatch (and so Istio) does: the patch's items first in its order, then the original's others; same-named items and their env merged by name",
		},
		{
			name: "$patch replace on a list",
			templates: map[string]string{"s": `
spec:
  volumes:
  - $patch: replace
  - name: only
    emptyDir: {}
`},
			use: []string{"s"}, pod: base,
			wantMerged: `
metadata:
  name: web
  labels: {app: web}
spec:
  initContainers:
  - {name: init-db, image: busybox, resources: {}}
  containers:
  - name: app
    image: app:1
    env:
    - {name: A, value: "1"}
    resources: {}
  volumes:
  - {name: only, emptyDir: {}}
`,
			reason: "directives are honoured",
		},
		{
			name: "$patch delete of an element",
			templates: map[string]string{"s": `
spec:
  initContainers:
  - name: init-db
    $patch: delete
`},
			use: []string{"s"}, pod: base,
			wantMerged: `
metadata:
  name: web
  labels: {app: web}
spec:
  containers:
  - name: app
    image: app:1
    env:
    - {name: A, value: "1"}
    resources: {}
  volumes:
  - {name: data, emptyDir: {}}
`,
			reason: "a template can remove the user's container",
		},
		{
			name:      "templates in order, alias expanded",
			templates: map[string]string{"a": "metadata: {labels: {x: a, y: a}}", "b": "metadata: {labels: {y: b}}"},
			aliases:   map[string][]string{"both": {"a", "b"}},
			use:       []string{" both "}, pod: `metadata: {name: p}`,
			wantMerged: `metadata: {name: p, labels: {x: a, y: b}}
spec: {containers: null}`,
			wantInject: `metadata: {labels: {x: a, y: b}}
spec: {containers: null}`,
			reason: "later templates win; aliases expand one level",
		},
		{
			name:      "empty template output",
			templates: map[string]string{"e": "{{/* nothing */}}\n"},
			use:       []string{"e"}, pod: `metadata: {name: p}`,
			wantMerged: `metadata: {name: p}
spec: {containers: null}`,
			wantInject: `spec: {containers: null}`,
			reason:     "nothing rendered is no change",
		},
		{
			name:      "null deletes",
			templates: map[string]string{"s": "metadata: {labels: {app: null}}"},
			use:       []string{"s"}, pod: base,
			wantErr: "",
			reason:  "null in a template deletes the field, as in a merge patch",
		},
		{
			name:      "unknown template",
			templates: map[string]string{"a": "", "b": ""},
			use:       []string{"a", "c"}, pod: base,
			wantErr: `unknown template "c"; have a, b`,
			reason:  "names the missing template and the known ones",
		},
		{
			name:      "unknown field",
			templates: map[string]string{"s": "spec:\n  containers:\n  - name: x\n    imagee: y\n"},
			use:       []string{"s"}, pod: base,
			wantErr: `template "s": template output is not a valid pod fragment: spec.containers[0].imagee: unknown field (rendered line 4, template line 4)`,
			reason:  "a typo is an error with the field path and line, not a dropped field",
		},
		{
			name:      "wrong type",
			templates: map[string]string{"s": "spec:\n  containers: {name: x}\n"},
			use:       []string{"s"}, pod: base,
			wantErr: `spec.containers: want a list, got a mapping (rendered line 2, template line 2)`,
			reason:  "a mapping where a list belongs",
		},
		{
			name:      "bad quantity",
			templates: map[string]string{"s": "spec:\n  containers:\n  - name: x\n    resources: {limits: {cpu: lots}}\n"},
			use:       []string{"s"}, pod: base,
			wantErr: `spec.containers[0].resources.limits.cpu: not a quantity: "lots"`,
			reason:  "quantities are checked where the template writes them",
		},
		{
			name:      "bad YAML",
			templates: map[string]string{"s": "spec:\n  containers:\n  - name: x\n   image: y\n"},
			use:       []string{"s"}, pod: base,
			wantErr: `template "s": template output is not a valid pod fragment: yaml: line 3: did not find expected key`,
			reason:  "YAML errors name the template and rendered line",
		},
		{
			name:      "duplicate key",
			templates: map[string]string{"s": "metadata:\n  labels: {a: b}\n  labels: {c: d}\n"},
			use:       []string{"s"}, pod: base,
			wantErr: `already set in map`,
			reason:  "a repeated key is a template bug, not a silent override",
		},
		{
			name:      "not a mapping",
			templates: map[string]string{"s": "- a\n"},
			use:       []string{"s"}, pod: base,
			wantErr: `the document is a list, not a mapping`,
			reason:  "the output must be a pod fragment",
		},
		{
			name:      "render error",
			templates: map[string]string{"s": "{{ fail `no` }}"},
			use:       []string{"s"}, pod: base,
			wantErr: "render template \"s\": template: s:1:3: executing \"s\" at <fail `no`>: error calling fail: fail: no",
			reason:  "execution errors name template and line",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(tc.templates, Options{Aliases: tc.aliases})
			if err != nil {
				t.Fatal(err)
			}
			pod := mustPod(t, tc.pod)
			before := podYAML(t, pod)
			res, err := s.Apply(pod, tc.use, &Data{ObjectMeta: pod.ObjectMeta, Spec: pod.Spec}, ApplyOptions{SkipOverrides: true})
			if after := podYAML(t, pod); after != before {
				t.Errorf("input pod modified (%s)", tc.reason)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q (%s)", err, tc.wantErr, tc.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply: %v (%s)", err, tc.reason)
			}
			merged, injected := res.Pod, res.Injected
			if tc.wantMerged != "" {
				if d := cmp.Diff(podYAML(t, mustPod(t, tc.wantMerged)), podYAML(t, merged)); d != "" {
					t.Errorf("merged (-want +got) (%s):\n%s", tc.reason, d)
				}
			}
			if tc.wantInject != "" {
				if d := cmp.Diff(podYAML(t, mustPod(t, tc.wantInject)), podYAML(t, injected)); d != "" {
					t.Errorf("injected (-want +got) (%s):\n%s", tc.reason, d)
				}
			}
			if tc.name == "null deletes" {
				if _, ok := merged.Labels["app"]; ok {
					t.Errorf("label app kept (%s)", tc.reason)
				}
			}
		})
	}
}

func TestApplyUnknownTemplateIs(t *testing.T) {
	s, err := Parse(map[string]string{"a": ""}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(&corev1.Pod{}, []string{"b"}, &Data{}, ApplyOptions{}); !errors.Is(err, ErrUnknownTemplate) {
		t.Errorf("err = %v, want ErrUnknownTemplate", err)
	}
	if _, err := s.Render("b", &Data{}); !errors.Is(err, ErrUnknownTemplate) {
		t.Errorf("Render err = %v, want ErrUnknownTemplate", err)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, src, want, reason string
	}{
		{"unknown function", "a\n{{ nope }}", `parse template "bad": template: bad:2: function "nope" not defined`, "names template and line"},
		{"unclosed", "{{ if true }}", `parse template "bad": template: bad:1: unexpected EOF`, "syntax errors too"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(map[string]string{"bad": tc.src, "good": "x"}, Options{})
			if err == nil || err.Error() != tc.want {
				t.Errorf("err = %v, want %q (%s)", err, tc.want, tc.reason)
			}
		})
	}
}

func TestNamesAndExpand(t *testing.T) {
	s, err := Parse(map[string]string{"b": "", "a": "", "c": ""}, Options{Aliases: map[string][]string{"x": {"a", "y"}, "y": {"c"}}})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"a", "b", "c"}, s.Names()); d != "" {
		t.Errorf("Names (-want +got):\n%s", d)
	}
	// y inside x's expansion is not expanded again: one level, as Istio.
	if d := cmp.Diff([]string{"a", "y", "b"}, s.Expand([]string{"x", " b"})); d != "" {
		t.Errorf("Expand (-want +got):\n%s", d)
	}
}

func TestApplyNativeSidecarMove(t *testing.T) {
	tmpl := `
spec:
  initContainers:
  - name: istio-proxy
    image: proxy
    restartPolicy: Always
`
	s, err := Parse(map[string]string{"sidecar": tmpl}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	pod := mustPod(t, `
spec:
  initContainers:
  - {name: init, image: busybox}
  containers:
  - {name: app, image: app}
  - name: istio-proxy
    image: auto
    resources: {limits: {cpu: "3"}}
`)
	res, err := s.Apply(pod, []string{"sidecar"}, &Data{}, ApplyOptions{SkipOverrides: true})
	if err != nil {
		t.Fatal(err)
	}
	merged := res.Pod
	names := func(cs []corev1.Container) (out []string) {
		for _, c := range cs {
			out = append(out, c.Name)
		}
		return out
	}
	if d := cmp.Diff([]string{"app"}, names(merged.Spec.Containers)); d != "" {
		t.Errorf("containers (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"init", "istio-proxy"}, names(merged.Spec.InitContainers)); d != "" {
		t.Errorf("initContainers (-want +got):\n%s", d)
	}
	res, err = s.Apply(pod, []string{"sidecar"}, &Data{}, ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	final, ov := res.Pod, res.Overrides
	p := final.Spec.InitContainers[1]
	if p.Image != "proxy" || p.Resources.Limits.Cpu().String() != "3" || p.RestartPolicy == nil {
		t.Errorf("istio-proxy = %+v; want template image, user's cpu limit, restartPolicy kept", p)
	}
	if ov == nil || len(ov.InitContainers) != 1 || ov.InitContainers[0].Image != "" {
		t.Errorf("overrides = %+v; want the user's istio-proxy with image auto cleared", ov)
	}
}

// TestApplyConcurrent applies one Set from several goroutines; with -race
// it checks that a Set, its Data and the input pod are only read.
func TestApplyConcurrent(t *testing.T) {
	s, _ := ownSet(t)
	pod := mustPod(t, "metadata: {name: web-abc, annotations: {sidecar.istio.io/proxyCPU: 200m}}\nspec: {containers: [{name: web, image: web}, {name: mesh-proxy, image: auto}]}")
	d := ownData(pod)
	want := func() string {
		res, err := s.Apply(pod, []string{"full"}, d, ApplyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return podYAML(t, res.Pod)
	}()
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		go func() {
			for i := 0; i < 10; i++ {
				res, err := s.Apply(pod, []string{"full"}, d, ApplyOptions{})
				if err != nil {
					errs <- err.Error()
					return
				}
				if b, _ := yaml.Marshal(res.Pod); string(b) != want {
					errs <- "different result"
					return
				}
			}
			errs <- ""
		}()
	}
	for g := 0; g < 8; g++ {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
}

func TestApplyNumbers(t *testing.T) {
	cases := []struct {
		name, out, wantErr, reason string
	}{
		{"whole", "spec: {containers: [{name: a, ports: [{containerPort: 8080}]}]}", "", "an int32 in range"},
		{"overflow", "spec: {containers: [{name: a, ports: [{containerPort: 10000000000}]}]}", "spec.containers[0].ports[0].containerPort: number 1e+10 is out of range", "too big for int32: an error, never a wrapped value"},
		{"fraction", "spec: {containers: [{name: a, ports: [{containerPort: 1.5}]}]}", "want a whole number, got 1.5", "ports are integers"},
		{"negative uint", "spec: {securityContext: {fsGroupChangePolicy: Always, runAsUser: -1}}", "", "int64 fields take negative numbers; the API server judges the value"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(map[string]string{"t": tc.out}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Apply(&corev1.Pod{}, []string{"t"}, &Data{}, ApplyOptions{})
			if tc.wantErr == "" {
				if err != nil {
					t.Errorf("err = %v (%s)", err, tc.reason)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want %q (%s)", err, tc.wantErr, tc.reason)
			}
		})
	}
}
