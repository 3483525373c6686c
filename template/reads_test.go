package template

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kinject/kinject/template/meshconfig"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// readsCases are templates and whether they read the pod's name
// (.ObjectMeta.Name). Each spelling of reading it that text/template
// allows must be found; templates that only read near it must not be.
var readsCases = []struct {
	name, src string
	want      bool
	reason    string
}{
	{"field", `{{ .ObjectMeta.Name }}`, true, "the plain field"},
	{"root-var", `{{ $.ObjectMeta.Name }}`, true, "through $, the template's data"},
	{"with", `{{ with .ObjectMeta }}{{ .Name }}{{ end }}`, true, "with rebinds dot"},
	{"with-else-dot", `{{ with .Values.x }}{{ else }}{{ .ObjectMeta.Name }}{{ end }}`, true, "else keeps the outer dot"},
	{"var", `{{ $m := .ObjectMeta }}{{ $m.Name }}`, true, "a variable holding ObjectMeta"},
	{"var-reassigned", `{{ $m := .Spec }}{{ $m = .ObjectMeta }}{{ $m.Name }}`, true, "a variable re-bound to ObjectMeta"},
	{"var-assigned-later", `{{ $m := .Spec }}{{ range .Spec.Containers }}{{ $m.Name }}{{ $m = $.ObjectMeta }}{{ end }}`, true, "assigned after its use, seen on the next iteration"},
	{"var-in-if", `{{ $m := .Spec }}{{ if .Values.x }}{{ $m = .ObjectMeta }}{{ end }}{{ $m.Name }}`, true, "assigned in a branch"},
	{"var-shadowed-else", `{{ $m := .ObjectMeta }}{{ if .Values.x }}{{ $m := .Spec }}{{ $m.Hostname }}{{ else }}{{ $m.Name }}{{ end }}`, true, "else sees the outer variable, not the branch's"},
	{"var-chain", `{{ $a := . }}{{ $b := $a.ObjectMeta }}{{ $b.Name }}`, true, "variables through variables"},
	{"range-kv", `{{ range $k, $v := list .ObjectMeta }}{{ $v.Name }}{{ end }}`, true, "ranging a list made of ObjectMeta"},
	{"range-owner-name", `{{ range $k, $v := .ObjectMeta.OwnerReferences }}{{ $v.Name }}{{ end }}`, false, "an owner's name is not the pod's"},
	{"range-managed", `{{ range .ObjectMeta.ManagedFields }}x{{ end }}`, false, "managedFields is not the name (checked below as its own path)"},
	{"template-arg", `{{ define "x" }}{{ .Name }}{{ end }}{{ template "x" .ObjectMeta }}`, true, "a defined template given ObjectMeta"},
	{"template-dot", `{{ define "x" }}{{ .ObjectMeta.Name }}{{ end }}{{ template "x" . }}`, true, "a defined template given the root"},
	{"template-dollar", `{{ define "x" }}{{ $.Name }}{{ end }}{{ template "x" .ObjectMeta }}`, true, "$ in a defined template is its argument"},
	{"template-nested", `{{ define "y" }}{{ .Name }}{{ end }}{{ define "x" }}{{ template "y" .ObjectMeta }}{{ end }}{{ template "x" . }}`, true, "a template calling a template"},
	{"template-recursive", `{{ define "r" }}{{ if .Values.more }}{{ template "r" . }}{{ end }}{{ .ObjectMeta.Name }}{{ end }}{{ template "r" . }}`, true, "a recursive template"},
	{"template-uncalled", `{{ define "x" }}{{ .ObjectMeta.Name }}{{ end }}{{ .Spec.Hostname }}`, false, "a define never called is never executed"},
	{"block", `{{ block "x" .ObjectMeta }}{{ .Name }}{{ end }}`, true, "block is define plus template"},
	{"toYaml", `{{ toYaml .ObjectMeta }}`, true, "a function given ObjectMeta reads all of it"},
	{"toJson-pipe", `{{ .ObjectMeta | toJson }}`, true, "a piped argument"},
	{"structToJSON", `{{ structToJSON .ObjectMeta }}`, true, "Istio's struct encoder"},
	{"toYaml-root", `{{ toYaml . }}`, true, "all of Data"},
	{"printf-root", `{{ printf "%v" . }}`, true, "printf of all of Data"},
	{"print-objectmeta", `{{ .ObjectMeta }}`, true, "printing a struct prints its fields"},
	{"index-root", `{{ (index . "ObjectMeta").Name }}`, true, "index on a struct (an execution error, still read)"},
	{"index-root-pipe", `{{ index . "ObjectMeta" "Name" }}`, true, "index with two keys"},
	{"paren-chain", `{{ (.ObjectMeta).Name }}`, true, "a parenthesised pipeline with a chained field"},
	{"paren-func-chain", `{{ (default .ObjectMeta .Values.x).Name }}`, true, "a chained field on a function's result"},
	{"method", `{{ .ObjectMeta.GetName }}`, true, "a method reads its receiver"},
	{"method-other", `{{ .ObjectMeta.GetLabels }}`, true, "any method of ObjectMeta may read the name"},
	{"method-root-chain", `{{ .ObjectMeta.GetObjectMeta.GetName }}`, true, "methods in a chain"},
	{"and", `{{ (and .Values.x .ObjectMeta).Name }}`, true, "and returns one of its arguments"},
	{"or", `{{ (or .Values.x .ObjectMeta.Name) }}`, true, "or returns one of its arguments"},
	{"if-name", `{{ if .ObjectMeta.Name }}x{{ end }}`, true, "a truth test of the name"},
	{"if-objectmeta", `{{ if .ObjectMeta }}x{{ end }}`, false, "a struct is always true: its fields are not read"},
	{"eq", `{{ if eq .ObjectMeta.Name "web-0" }}x{{ end }}`, true, "a comparison"},
	{"len", `{{ len .ObjectMeta.Name }}`, true, "a length"},
	{"call-args", `{{ hasPrefix "web" .ObjectMeta.Name }}`, true, "a function argument"},
	{"nested-func", `{{ quote (lower (trim .ObjectMeta.Name)) }}`, true, "nested function calls"},
	{"printf-var", `{{ $n := .ObjectMeta.Name }}{{ printf "%s" $n }}`, true, "a variable given to a function"},
	{"assign-unused", `{{ $n := .ObjectMeta.Name }}`, false, "bound and never used: nothing rendered depends on it"},
	{"pointer-through", `{{ $x := .ObjectMeta.DeletionTimestamp.Time }}`, false, "going through a pointer tests it, nothing else"},
	{"annotation", `{{ annotation .ObjectMeta "a" "b" }}`, false, "annotation reads only the annotations"},
	{"annotation-root", `{{ annotation . "a" "b" }}`, true, "annotation given the wrong type (an execution error, still read)"},
	{"labels", `{{ index .ObjectMeta.Labels "app" }}`, false, "a label"},
	{"namespace", `{{ .ObjectMeta.Namespace }}`, false, "the namespace"},
	{"deployment", `{{ .DeploymentMeta.Name }}`, false, "the workload's name is its own path"},
	{"values", `{{ toYaml .Values.global }}`, false, "values"},
	{"spec-method", `{{ .Spec.Containers }}`, false, "spec"},
	{"range-objectmeta", `{{ range .ObjectMeta }}{{ end }}`, true, "ranging a struct (an execution error, still read)"},
	{"with-var-decl", `{{ with $m := .ObjectMeta }}{{ $m.Name }}{{ end }}`, true, "with declaring a variable"},
	{"else-with", `{{ with .Values.x }}{{ else with .ObjectMeta }}{{ .Name }}{{ end }}`, true, "else with"},
	{"template-var-persists", `{{ define "x" }}{{ end }}{{ template "x" $m := .ObjectMeta }}{{ $m.Name }}`, true, "a variable declared in a template call's pipeline"},
	{"method-with-arg", `{{ .Values.x | .ObjectMeta.GetAnnotations }}`, true, "a piped value to a method (an execution error)"},
}

func TestReads(t *testing.T) {
	for _, tt := range readsCases {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(map[string]string{"t": tt.src}, Options{})
			if err != nil {
				t.Skipf("%s: does not parse: %v", tt.reason, err)
			}
			r := s.Reads("t")
			if got := r.May("ObjectMeta", "Name"); got != tt.want {
				t.Errorf("%s: May(.ObjectMeta.Name) = %v, want %v (reads %s)", tt.reason, got, tt.want, r)
			}
		})
	}
}

// TestReadsParse checks that every case parses: a case that does not
// would be skipped above and prove nothing.
func TestReadsParse(t *testing.T) {
	for _, tt := range readsCases {
		if _, err := Parse(map[string]string{"t": tt.src}, Options{}); err != nil {
			t.Errorf("%s (%s): %v", tt.name, tt.reason, err)
		}
	}
}

func TestReadsPaths(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
		reason    string
	}{
		{"empty", `text only`, nil, "nothing is read"},
		{"fields", `{{ .ObjectMeta.Namespace }}{{ .Spec.Hostname }}`, []string{".ObjectMeta.Namespace", ".Spec.Hostname"}, "two fields"},
		{"covered", `{{ .ObjectMeta.Labels.app }}{{ toJson .ObjectMeta.Labels }}`, []string{".ObjectMeta.Labels"}, "a path under another is dropped"},
		{"key", `{{ index .ObjectMeta.Labels "app.kubernetes.io/name" }}`, []string{`.ObjectMeta.Labels["app.kubernetes.io/name"]`}, "a map key that is not an identifier"},
		{"interface", `{{ .Values.global.proxy.image }}`, []string{".Values.global"}, "a field of an interface value reads it whole"},
		{"method", `{{ .ProxyConfig.GetConcurrency }}`, []string{".ProxyConfig"}, "a method reads its receiver"},
		{"root", `{{ . }}`, []string{"."}, "all of Data"},
		{"unknown-field", `{{ .Nope }}`, []string{"."}, "an execution error reads the receiver"},
		{"annotation", `{{ annotation .ObjectMeta "x" .Values.d }}`, []string{".ObjectMeta.Annotations", ".Values.d"}, "annotation's summary"},
		{"struct-truth", `{{ if .ObjectMeta.CreationTimestamp }}{{ end }}{{ with .TypeMeta }}{{ .Kind }}{{ end }}`, []string{".TypeMeta.Kind"}, "a struct's truth reads nothing"},
		{"pointer-truth", `{{ if .MeshConfig }}{{ end }}`, nil, "a pointer's truth only tests it (see TestReadsTested)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(map[string]string{"t": tt.src}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := s.Reads("t").Paths()
			if d := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b []string) bool { return strings.Join(a, " ") == strings.Join(b, " ") })); d != "" {
				t.Errorf("%s (-want +got):\n%s", tt.reason, d)
			}
		})
	}
}

// TestReadsTested checks what going through a pointer depends on: whether
// it is nil (an execution error), not what is under it.
func TestReadsTested(t *testing.T) {
	tests := []struct {
		src    string
		path   []string
		want   bool
		reason string
	}{
		{`{{ if .MeshConfig }}{{ end }}`, []string{"MeshConfig"}, true, "the pointer itself"},
		{`{{ if .MeshConfig }}{{ end }}`, []string{"MeshConfig", "TrustDomain"}, false, "not what it points to"},
		{`{{ $x := .ObjectMeta.DeletionTimestamp.Time }}`, []string{"ObjectMeta", "DeletionTimestamp"}, true, "a pointer on the way"},
		{`{{ $x := .ObjectMeta.DeletionTimestamp.Time }}`, []string{"ObjectMeta"}, true, "what holds the pointer"},
		{`{{ $x := .ObjectMeta.DeletionTimestamp.Time }}`, []string{"ObjectMeta", "Name"}, false, "a sibling"},
		{`{{ .Revision }}`, nil, true, "the root is a *Data"},
	}
	for _, tt := range tests {
		s, err := Parse(map[string]string{"t": tt.src}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Reads("t").May(tt.path...); got != tt.want {
			t.Errorf("%s: May(%v) = %v: %s", tt.src, tt.path, got, tt.reason)
		}
	}
}

func TestReadsNames(t *testing.T) {
	s, err := Parse(map[string]string{
		"a": `{{ .ObjectMeta.Name }}`,
		"b": `{{ .Spec.Hostname }}`,
	}, Options{Aliases: map[string][]string{"both": {"a", "b"}}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		names  []string
		want   bool
		reason string
	}{
		{[]string{"a"}, true, "a reads the name"},
		{[]string{"b"}, false, "b does not"},
		{[]string{"b", "a"}, true, "the union"},
		{[]string{"both"}, true, "an alias is expanded"},
		{[]string{" b "}, false, "names are trimmed, as Apply does"},
		{[]string{"nope"}, true, "an unknown template reads everything"},
		{nil, false, "no templates read nothing"},
	}
	for _, tt := range tests {
		if got := s.Reads(tt.names...).May("ObjectMeta", "Name"); got != tt.want {
			t.Errorf("%v: %s: got %v", tt.names, tt.reason, got)
		}
	}
}

// TestReadsIdentityPaths checks each identity field separately with the
// spellings that name it.
func TestReadsIdentityPaths(t *testing.T) {
	fields := []string{"Name", "GenerateName", "UID", "ResourceVersion", "CreationTimestamp", "ManagedFields"}
	for _, f := range fields {
		for _, src := range []string{
			`{{ .ObjectMeta.` + f + ` }}`,
			`{{ with .ObjectMeta }}{{ .` + f + ` }}{{ end }}`,
			`{{ $m := .ObjectMeta }}{{ $m.` + f + ` }}`,
			`{{ toYaml .ObjectMeta }}`,
		} {
			s, err := Parse(map[string]string{"t": src}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			r := s.Reads("t")
			if !r.May("ObjectMeta", f) {
				t.Errorf("%s: May(%s) = false (reads %s)", src, f, r)
			}
			for _, g := range fields {
				if g != f && r.May("ObjectMeta", g) && !strings.Contains(src, "toYaml") {
					t.Errorf("%s: May(%s) = true, reads only %s", src, g, f)
				}
			}
		}
	}
}

// TestFuncReadsSummaries checks each function summary against the
// function itself: whatever it does not claim to read is varied, and the
// result must not change.
func TestFuncReadsSummaries(t *testing.T) {
	fm := FuncMap(nil)
	for name := range funcReads {
		if _, ok := fm[name]; !ok {
			t.Errorf("summary for %q, which FuncMap does not have", name)
		}
	}
	// annotation: only meta.Annotations.
	base := metav1.ObjectMeta{Annotations: map[string]string{"a": "x"}}
	varied := []metav1.ObjectMeta{
		{Name: "web-1", Annotations: map[string]string{"a": "x"}},
		{GenerateName: "web-", UID: types.UID("u"), ResourceVersion: "7", Annotations: map[string]string{"a": "x"}},
		{CreationTimestamp: metav1.NewTime(time.Unix(1, 0)), ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "m"}}, Annotations: map[string]string{"a": "x"}},
		{Labels: map[string]string{"a": "y"}, Namespace: "ns", Annotations: map[string]string{"a": "x"}},
	}
	f := reflect.ValueOf(fm["annotation"])
	call := func(m metav1.ObjectMeta, key string) string {
		out := f.Call([]reflect.Value{reflect.ValueOf(m), reflect.ValueOf(key), reflect.ValueOf("def")})
		return out[0].String()
	}
	for _, key := range []string{"a", "b"} {
		want := call(base, key)
		for _, m := range varied {
			if got := call(m, key); got != want {
				t.Errorf("annotation(%+v, %q) = %q, want %q: it reads more than Annotations", m, key, got, want)
			}
		}
	}
}

// TestReadsRenderIndependence renders each case with two Data that differ
// only in the pod's identity fields: when the analysis says the name (or
// any identity field) is not read, the outputs must be equal.
func TestReadsRenderIndependence(t *testing.T) {
	mk := func(name string, n int64) *Data {
		return &Data{
			ObjectMeta: metav1.ObjectMeta{
				Name: name, GenerateName: name + "-", UID: types.UID("uid-" + name), ResourceVersion: name,
				CreationTimestamp: metav1.NewTime(time.Unix(n, 0)),
				ManagedFields:     []metav1.ManagedFieldsEntry{{Manager: name}},
				Namespace:         "ns", Labels: map[string]string{"app": "web"},
				Annotations:     map[string]string{"a": "b"},
				OwnerReferences: []metav1.OwnerReference{{Name: "rs"}},
			},
			Spec:        corev1.PodSpec{Hostname: "h", Containers: []corev1.Container{{Name: "c"}}},
			Values:      map[string]any{"x": "", "more": false},
			MeshConfig:  meshconfig.DefaultMeshConfig(),
			ProxyConfig: meshconfig.DefaultMeshConfig().GetDefaultConfig(),
		}
	}
	a, b := mk("web-0", 1), mk("web-1", 2)
	identity := []string{"Name", "GenerateName", "UID", "ResourceVersion", "CreationTimestamp", "ManagedFields"}
	for _, tt := range readsCases {
		s, err := Parse(map[string]string{"t": tt.src}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		r := s.Reads("t")
		mayRead := false
		for _, f := range identity {
			mayRead = mayRead || r.May("ObjectMeta", f)
		}
		if mayRead {
			continue
		}
		oa, ea := s.Render("t", a)
		ob, eb := s.Render("t", b)
		if (ea == nil) != (eb == nil) || string(oa) != string(ob) {
			t.Errorf("%s: reads no identity field (%s) but renders %q (%v) and %q (%v)", tt.name, r, oa, ea, ob, eb)
		}
	}
}

// FuzzReads parses arbitrary template text and renders it with Data that
// differ in one identity field at a time: where the output (or the error)
// differs, the analysis must have said the field may be read. Templates
// with loops or template calls are skipped (their run time is not bounded
// by their size); FuzzCacheSound in inject covers those on generated
// templates.
func FuzzReads(f *testing.F) {
	for _, tt := range readsCases {
		if !strings.Contains(tt.src, "range") && !strings.Contains(tt.src, "template") && !strings.Contains(tt.src, "block") {
			f.Add(tt.src)
		}
	}
	mesh := meshconfig.DefaultMeshConfig()
	base := func() *Data {
		return &Data{
			ObjectMeta: metav1.ObjectMeta{
				Name: "web-0", GenerateName: "web-", UID: "u0", ResourceVersion: "1",
				CreationTimestamp: metav1.NewTime(time.Unix(1, 0).UTC()),
				ManagedFields:     []metav1.ManagedFieldsEntry{{Manager: "m"}},
				Namespace:         "ns", Labels: map[string]string{"app": "web"}, Annotations: map[string]string{"a": "b"},
			},
			Spec:        corev1.PodSpec{Containers: []corev1.Container{{Name: "c"}}},
			Values:      map[string]any{"global": map[string]any{"x": "y"}},
			MeshConfig:  mesh,
			ProxyConfig: mesh.GetDefaultConfig(),
		}
	}
	variants := []struct {
		field string
		set   func(*metav1.ObjectMeta)
	}{
		{"Name", func(m *metav1.ObjectMeta) { m.Name = "web-1" }},
		{"GenerateName", func(m *metav1.ObjectMeta) { m.GenerateName = "" }},
		{"UID", func(m *metav1.ObjectMeta) { m.UID = "u1" }},
		{"ResourceVersion", func(m *metav1.ObjectMeta) { m.ResourceVersion = "" }},
		{"CreationTimestamp", func(m *metav1.ObjectMeta) { m.CreationTimestamp = metav1.NewTime(time.Unix(2, 0).UTC()) }},
		{"ManagedFields", func(m *metav1.ObjectMeta) { m.ManagedFields = nil }},
	}
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 4096 || strings.Contains(src, "range") || strings.Contains(src, "template") || strings.Contains(src, "block") {
			return
		}
		s, err := Parse(map[string]string{"t": src}, Options{})
		if err != nil {
			return
		}
		r := s.Reads("t")
		a := base()
		outA, errA := s.Render("t", a)
		for _, v := range variants {
			if r.May("ObjectMeta", v.field) {
				continue
			}
			b := base()
			v.set(&b.ObjectMeta)
			outB, errB := s.Render("t", b)
			if string(outA) != string(outB) || (errA == nil) != (errB == nil) || errA != nil && errA.Error() != errB.Error() {
				t.Fatalf("%q reads %s (says the analysis: %s), yet renders %q (%v) and %q (%v)", src, v.field, r, outA, errA, outB, errB)
			}
		}
	})
}

// TestReadsSpecialized: a specialised Set reads what its source does (the
// Injector asks the Set it renders with).
func TestReadsSpecialized(t *testing.T) {
	s, err := Parse(map[string]string{"a": `{{ .ObjectMeta.Namespace }}`, "b": `{{ .ObjectMeta.Name }}`}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sp := s.Specialize(&Data{MeshConfig: meshconfig.DefaultMeshConfig()})
	for _, n := range []string{"a", "b"} {
		if got, want := sp.Reads(n).String(), s.Reads(n).String(); got != want {
			t.Errorf("%s: specialised reads %q, want %q", n, got, want)
		}
	}
}
