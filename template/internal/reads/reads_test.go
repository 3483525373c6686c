package reads

import (
	"reflect"
	"strings"
	"testing"
	"text/template"
)

type inner struct {
	Name string
	Tags map[string]string
	Any  any
}

func (inner) Method() string { return "" }

type root struct {
	In   inner
	Ptr  *inner
	Next *root
	embedded
}

type embedded struct{ Promoted string }

func analyze(t *testing.T, src string, funcs template.FuncMap, summaries map[string]*Func) Result {
	t.Helper()
	tm, err := template.New("t").Funcs(funcs).Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	return Analyze(tm, reflect.TypeFor[*root](), summaries)
}

func TestAnalyze(t *testing.T) {
	fn := template.FuncMap{"f": func(v any) string { return "" }, "g": func(i inner) string { return i.Name }}
	sums := map[string]*Func{"f": nil, "g": {Args: [][]Path{{{"Name"}}}, Types: []reflect.Type{reflect.TypeFor[inner]()}}}
	tests := []struct {
		name, src string
		paths     string
		tested    string
		reason    string
	}{
		{"field", `{{ .In.Name }}`, ".In.Name", ".", "a field; the root pointer is tested"},
		{"promoted", `{{ .Promoted }}`, ".embedded.Promoted", ".", "a promoted field is named by its embedding"},
		{"method", `{{ .In.Method }}`, ".In", ".", "a method reads its receiver"},
		{"pointer", `{{ .Ptr.Name }}`, ".Ptr.Name", ". .Ptr", "going through a pointer tests it"},
		{"interface", `{{ .In.Any.x }}`, ".In.Any", ".", "a field of an interface value reads it whole"},
		{"map", `{{ .In.Tags.a }}{{ index .In.Tags "b" }}`, ".In.Tags.a .In.Tags.b", ".", "map keys, by field syntax and by index"},
		{"index-var", `{{ $k := "a" }}{{ index .In.Tags $k }}`, ".In.Tags", ".", "a computed key reads the map whole"},
		{"func-whole", `{{ f .In }}`, ".In", ".", "a function without a summary reads its argument whole"},
		{"func-summary", `{{ g .In }}`, ".In.Name", ".", "a summary narrows what is read"},
		{"func-summary-type", `{{ g .Ptr }}`, ".Ptr.Name", ".", "a pointer to the summary's type is accepted (the read covers the pointer)"},
		{"builtin-shadowed", `{{ f .In.Name }}`, ".In.Name", ".", "the FuncMap's f, not a builtin"},
		{"range", `{{ range .In.Tags }}{{ .x }}{{ end }}`, ".In.Tags", ".", "a ranged value is read whole; its elements are within"},
		{"fixpoint", `{{ $a := .In }}{{ $b := $a }}{{ range .In.Tags }}{{ $a = $.Ptr }}{{ end }}{{ $b.Name }}`, ".In.Name .In.Tags .Ptr.Name", ". .Ptr", "$b may hold what $a held when bound (flow-insensitive: both)"},
		{"recursion-wrong-field", `{{ define "r" }}{{ template "r" .Ptr }}{{ end }}{{ template "r" . }}`, ".Ptr", ".", "inner has no field Ptr: an execution error, read conservatively"},
		{"and", `{{ (and .In.Name .Ptr).Name }}`, ".In.Name .Ptr.Name", ". .Ptr", "and's result is any argument"},
		{"nil-dot", `{{ define "x" }}{{ .Name }}{{ end }}{{ template "x" }}`, "", "", "a template called without an argument has no data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := analyze(t, tt.src, fn, sums)
			if got := join(r.Paths()); got != tt.paths {
				t.Errorf("%s: paths %q, want %q", tt.reason, got, tt.paths)
			}
			if got := join(r.Tested()); got != tt.tested {
				t.Errorf("%s: tested %q, want %q", tt.reason, got, tt.tested)
			}
		})
	}
}

func join(ps []Path) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.String())
	}
	return strings.Join(s, " ")
}

func TestCovers(t *testing.T) {
	r := Result{paths: []Path{{"A", "B"}}, tested: []Path{{"P"}}}
	tests := []struct {
		path   []string
		want   bool
		reason string
	}{
		{[]string{"A", "B"}, true, "the path itself"},
		{[]string{"A", "B", "C"}, true, "below a path read whole"},
		{[]string{"A"}, true, "above it: a part of A is read"},
		{nil, true, "the whole data"},
		{[]string{"A", "C"}, false, "a sibling"},
		{[]string{"P"}, true, "a tested pointer"},
		{[]string{"P", "X"}, false, "below a tested pointer: not read"},
	}
	for _, tt := range tests {
		if got := r.Covers(tt.path...); got != tt.want {
			t.Errorf("Covers(%v) = %v: %s", tt.path, got, tt.reason)
		}
	}
}

func TestPathString(t *testing.T) {
	for _, c := range []struct {
		p    Path
		want string
	}{
		{nil, "."},
		{Path{"A", "b"}, ".A.b"},
		{Path{"Labels", "app.kubernetes.io/name"}, `.Labels["app.kubernetes.io/name"]`},
		{Path{"x", ""}, `.x[""]`},
	} {
		if got := c.p.String(); got != c.want {
			t.Errorf("%#v: %q, want %q", c.p, got, c.want)
		}
	}
}

// TestLimits: templates beyond the analysis' limits are answered
// conservatively, never with a panic or a hang.
func TestLimits(t *testing.T) {
	tests := []struct {
		name, src string
		covers    []string
		reason    string
	}{
		{"recursion", `{{ define "r" }}{{ .In.Name }}{{ template "r" .Next }}{{ end }}{{ template "r" . }}`, []string{"In", "Name"},
			"a recursion down a growing path stops at the depth limit"},
		{"branching", `{{ define "r" }}{{ .In.Name }}{{ template "r" .Next }}{{ template "r" .Next.Next }}{{ end }}{{ template "r" . }}`, []string{"In", "Name"},
			"a branching recursion, beyond the call budget, still covers what it reads"},
		{"deep", `{{ define "r" }}{{ template "r" .Next }}{{ end }}{{ template "r" . }}`, []string{"Next", "Next", "Next", "Next", "Next", "Next", "Next", "Next", "Next", "Next", "Next", "Next", "Next", "Next", "Next", "Next", "Next", "Next", "Next", "Next", "Next", "Next", "Next", "Next", "Next", "Next", "In"},
			"the depth limit reads the deepest path whole"},
	}
	for _, tt := range tests {
		r := analyze(t, tt.src, nil, nil)
		if !r.Covers(tt.covers...) {
			t.Errorf("%s: reads %v, tested %v; want %v covered (%s)", tt.name, r.Paths(), len(r.Tested()), tt.covers, tt.reason)
		}
	}
}
