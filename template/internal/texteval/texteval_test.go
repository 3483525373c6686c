package texteval

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"text/template"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The test data: every kind of value a template can meet.

type mode string

func (m mode) String() string { return "mode:" + string(m) }

type cfg struct {
	Name  string
	Inner *cfg
	Port  int32
}

func (c *cfg) GetName() string {
	if c == nil {
		return ""
	}
	return c.Name
}

func (c *cfg) GetInner() *cfg {
	if c == nil {
		return nil
	}
	return c.Inner
}

func (c cfg) Twice(s string) string { return s + s }

type ptrStringer struct{ s string }

func (p *ptrStringer) String() string { return "ptr:" + p.s }

type Emb struct{ EmbField string }

type EmbP struct{ PField string }

type tdata struct {
	Meta    metav1.ObjectMeta
	Spec    corev1.PodSpec
	Values  map[string]any
	Rev     string
	Flag    bool
	N       int
	I64     int64
	U       uint
	F       float64
	Mode    mode
	P       *cfg
	NilP    *cfg
	S       cfg
	PS      ptrStringer
	Any     any
	NilAny  any
	Err     error
	List    []string
	Anys    []any
	Empty   []string
	M       map[string]string
	NilM    map[string]string
	IntMap  map[int]string
	Nested  map[string]map[string]int
	Fn      func() string
	Ch      chan int
	Arr     [2]string
	private string
	Emb
	*EmbP
}

func (d *tdata) PtrMethod() string     { return "ptr-method:" + d.Rev }
func (d tdata) Method(a string) string { return "method:" + a }
func (d tdata) Fails() (string, error) { return "", errors.New("boom") }
func (d tdata) Pair(a, b int) int      { return a*10 + b }
func (d tdata) Boom(s string) string   { panic("boom: " + s) }

func sample() *tdata {
	return &tdata{
		Meta: metav1.ObjectMeta{
			Name:        "web-0",
			Labels:      map[string]string{"app": "web", "version": "v1"},
			Annotations: map[string]string{"a/b": "x", "empty": "", "json": `{"k":"v","n":1}`},
		},
		Spec: corev1.PodSpec{Containers: []corev1.Container{
			{Name: "app", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 80}}},
			{Name: "side"},
		}},
		Values: map[string]any{
			"global": map[string]any{
				"proxy":   map[string]any{"image": "proxyv2", "port": float64(15020), "on": true, "list": []any{"a", "b"}, "nil": nil},
				"hub":     "docker.io",
				"empty":   "",
				"zero":    float64(0),
				"big":     float64(1e21),
				"frac":    1.5,
				"nested":  map[string]any{"a": map[string]any{"b": "deep"}},
				"strmap":  map[string]any{"z": "1", "a": "2", "m": "3"},
				"numlist": []any{float64(1), float64(2), float64(3)},
			},
		},
		Rev:    "canary",
		Flag:   true,
		N:      3,
		I64:    -7,
		U:      9,
		F:      2.5,
		Mode:   "REDIRECT",
		P:      &cfg{Name: "p", Inner: &cfg{Name: "inner", Port: 8}},
		S:      cfg{Name: "s"},
		PS:     ptrStringer{"x"},
		Any:    map[string]any{"k": "v"},
		List:   []string{"x", "y", "z"},
		Anys:   []any{"one", float64(2), nil, true, map[string]any{"k": "v"}},
		Empty:  []string{},
		M:      map[string]string{"b": "2", "a": "1"},
		IntMap: map[int]string{2: "two", 1: "one"},
		Nested: map[string]map[string]int{"x": {"y": 1}},
		Fn:     func() string { return "fn" },
		Ch:     make(chan int),
		Arr:    [2]string{"p", "q"},
		Emb:    Emb{EmbField: "emb"},
	}
}

// variant is sample with the fields a webhook varies per pod changed.
func variant(base *tdata) *tdata {
	d := *base
	d.Meta = *base.Meta.DeepCopy()
	d.Meta.Labels["app"] = "other"
	d.Meta.Annotations["a/b"] = "y"
	d.Meta.Name = "web-1"
	d.Spec = *base.Spec.DeepCopy()
	d.Spec.Containers = append(d.Spec.Containers, corev1.Container{Name: "third"})
	d.N = 5
	d.Flag = false
	return &d
}

// testStatic are the fields the partially evaluated programs fix.
var testStatic = []string{"Values", "Rev", "P", "NilP", "S", "Mode", "Any", "NilAny", "List", "Anys", "M", "I64", "F"}

// madeInner is the one pointer the test functions return, so that a
// printed address is the same for text/template and the program.
var madeInner = &cfg{Name: "made-inner"}

func testFuncs() template.FuncMap {
	return template.FuncMap{
		"upper": strings.ToUpper,
		"join":  func(sep string, v any) string { return fmt.Sprint(v) + sep },
		"quote": func(v ...any) string { return fmt.Sprintf("%q", fmt.Sprint(v...)) },
		"default": func(d any, given ...any) any {
			if len(given) == 0 || given[0] == nil || given[0] == "" {
				return d
			}
			return given[0]
		},
		"isset": func(m map[string]string, k string) bool { _, ok := m[k]; return ok },
		"annotation": func(meta metav1.ObjectMeta, name string, def any) string {
			if v, ok := meta.Annotations[name]; ok {
				return v
			}
			return fmt.Sprint(def)
		},
		"fail":  func(s string) (string, error) { return "", errors.New(s) },
		"ident": func(v any) any { return v },
		"list":  func(v ...any) []any { return append([]any{}, v...) },
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m
		},
		"ports":   func(cs []corev1.Container) string { return fmt.Sprint(len(cs)) },
		"i64":     func(v int64) int64 { return v * 2 },
		"ptr":     func(c *cfg) string { return c.GetName() },
		"sval":    func(c cfg) string { return c.Name },
		"mode":    func(m mode) string { return string(m) },
		"str":     func(s string) string { return "<" + s + ">" },
		"boolf":   func(b bool) bool { return !b },
		"intf":    func(n int) int { return n + 1 },
		"f64":     func(f float64) float64 { return f * 2 },
		"u8":      func(n uint8) uint8 { return n + 1 },
		"panics":  func() string { panic("oops") },
		"nilmap":  func() map[string]any { return nil },
		"nilany":  func() any { return nil },
		"two":     func(a, b string) string { return a + "," + b },
		"errorf":  func() (any, error) { return "ok", nil },
		"variadS": func(ss ...string) string { return strings.Join(ss, "+") },
		"panicsOn": func(s string) string {
			if s != "" {
				panic(s)
			}
			return s
		},
		"mkcfg":  func() cfg { return cfg{Name: "made", Inner: madeInner} },
		"nilcfg": func() *cfg { return nil },
		"cfgs":   func() []cfg { return []cfg{{Name: "c0"}, {Name: "c1", Inner: madeInner}} },
		"cfgarr": func() [2]cfg { return [2]cfg{{Name: "a0"}, {Name: "a1"}} },
		"mixed": func() []any {
			return []any{cfg{Name: "v"}, madeInner, map[string]any{"Name": "m"}, map[string]any{}}
		},
	}
}

type tcase struct {
	name, reason, src string
	// declines: the program is expected to decline on the sample (an
	// error in text/template, or a construct it leaves to it).
	declines bool
}

var cases = []tcase{
	{"text", "plain text is copied", "hello\nworld", false},
	{"field", "a field of the data", "{{ .Rev }}", false},
	{"nested field", "fields through structs and maps", "{{ .Meta.Labels.app }} {{ .Values.global.proxy.image }}", false},
	{"missing key", "a missing map key prints <no value>", "{{ .Values.nope }}|{{ .Values.nope.deeper }}", false},
	{"nil in map", "a nil map value prints <no value>", "{{ .Values.global.proxy.nil }}", false},
	{"nil in map walked", "walking a field through a nil interface is an error", "{{ .Values.global.proxy.nil.x }}", true},
	{"numbers", "ints, int64, uint, floats print as fmt does", "{{ .N }} {{ .I64 }} {{ .U }} {{ .F }} {{ .Values.global.proxy.port }} {{ .Values.global.big }} {{ .Values.global.frac }}", false},
	{"bools", "bools print", "{{ .Flag }} {{ true }} {{ false }}", false},
	{"constants", "number syntax decides the type", "{{ 1 }} {{ 1.5 }} {{ 0x10 }} {{ 'a' }} {{ 1e3 }} {{ \"s\" }} {{ `raw` }}", false},
	{"stringer", "a named type with String prints through it", "{{ .Mode }}", false},
	{"ptr stringer", "an addressable value whose pointer is a Stringer", "{{ .PS }}", false},
	{"pointer", "a pointer prints what it points to", "{{ .P }}", false},
	{"nil pointer", "a nil pointer prints <nil>", "{{ .NilP }}", false},
	{"map print", "a map prints as fmt prints it", "{{ .M }} {{ .Values.global.strmap }}", false},
	{"slice print", "a slice prints as fmt prints it", "{{ .List }} {{ .Anys }} {{ .Arr }}", false},
	{"struct print", "a struct prints as fmt prints it", "{{ .S }}", false},
	{"func field print", "a func cannot be printed", "{{ .Fn }}", true},
	{"chan print", "a chan cannot be printed", "{{ .Ch }}", true},
	{"unexported", "an unexported field is an error", "{{ .private }}", true},
	{"no such field", "an unknown field is an error", "{{ .Nope }}", true},
	{"embedded", "a promoted field", "{{ .EmbField }}", false},
	{"embedded nil pointer", "a promoted field through a nil pointer is an error", "{{ .PField }}", true},
	{"method", "a method with an argument", "{{ .Method \"a\" }} {{ .PtrMethod }}", false},
	{"method pipeline", "a method given the pipeline value", "{{ \"z\" | .Method }}", false},
	{"method int args", "constants converted to the parameter type", "{{ .Pair 1 2 }}", false},
	{"method bad arg", "a string for an int parameter is an error", "{{ .Pair \"x\" 2 }}", true},
	{"method error", "a method's error", "{{ .Fails }}", true},
	{"nil-safe getters", "methods on a nil pointer run", "{{ .NilP.GetName }}|{{ .NilP.GetInner.GetName }}|{{ .P.GetInner.GetName }}", false},
	{"value method via ptr", "a value method through a pointer", "{{ .P.Twice \"ab\" }}", false},
	{"field on nil pointer", "a field through a nil pointer is an error", "{{ .NilP.Name }}", true},
	{"field args", "a field given arguments is an error", "{{ .Rev \"x\" }}", true},
	{"map args", "a map key given arguments is an error", "{{ .M.a \"x\" }}", true},
	{"function", "a function with constant and field arguments", "{{ upper .Rev }} {{ str \"x\" }} {{ two \"a\" .Rev }}", false},
	{"pipeline", "the previous value is the last argument", "{{ .Rev | upper | str }}", false},
	{"variadic", "variadic any", "{{ quote .Rev 1 .Flag }} {{ quote }}", false},
	{"variadic strings", "variadic string parameters", "{{ variadS \"a\" \"b\" .Rev }}", false},
	{"default", "missing values take the default", "{{ .Values.nope | default \"d\" }} {{ index .Meta.Labels \"nope\" | default \"d2\" }} {{ default \"d3\" .Rev }}", false},
	{"typed params", "parameters of struct, map, slice and named types", "{{ isset .Meta.Annotations \"a/b\" }} {{ annotation .Meta \"a/b\" \"def\" }} {{ annotation .Meta \"zz\" .Values.global.proxy.port }} {{ ports .Spec.Containers }} {{ ptr .P }} {{ sval .S }} {{ mode .Mode }}", false},
	{"int64 param", "an int64 field for an int64 parameter", "{{ i64 .I64 }}", false},
	{"int param from int64", "an int64 for an int parameter is an error", "{{ intf .I64 }}", true},
	{"int const params", "constants for bool, int, float64 and uint8 parameters", "{{ boolf true }} {{ intf 4 }} {{ f64 1.5 }} {{ u8 7 }}", false},
	{"wrong const", "a string for a bool parameter is an error", "{{ boolf \"x\" }}", true},
	{"nil for map", "missing value for a map parameter is a nil map", "{{ isset .Values.nope \"x\" }}", false},
	{"nil interface for map", "a nil interface for a map parameter is an error", "{{ isset .Values.global.proxy.nil \"x\" }}", true},
	{"missing for string", "a missing value for a string parameter is an error", "{{ upper .Values.nope }}", true},
	{"interface for string", "a string in an interface for a string parameter", "{{ upper .Values.global.hub }}", false},
	{"float for string", "a float for a string parameter is an error", "{{ upper .Values.global.proxy.port }}", true},
	{"stringer for string", "a named string type for a string parameter is an error", "{{ upper .Mode }}", true},
	{"pointer deref", "a pointer for a struct parameter is followed", "{{ sval .P }}", false},
	{"address", "an addressable struct for a pointer parameter", "{{ ptr .S }}", false},
	{"function error", "a function's error", "{{ fail \"no\" }}", true},
	{"function panic", "a panicking function is an error", "{{ panics }}", true},
	{"wrong arity", "too many arguments", "{{ upper \"a\" \"b\" }}", true},
	{"nil function result", "a nil interface result prints <no value>", "{{ nilany }}|{{ nilmap }}", false},
	{"if", "if with else", "{{ if .Flag }}yes{{ else }}no{{ end }}|{{ if .Values.nope }}yes{{ else }}no{{ end }}", false},
	{"if else if", "chained else if", "{{ if eq .N 1 }}one{{ else if eq .N 3 }}three{{ else }}other{{ end }}", false},
	{"if truth", "truth of every kind", "{{ if .List }}l{{ end }}{{ if .Empty }}e{{ end }}{{ if .NilM }}n{{ end }}{{ if .S }}s{{ end }}{{ if .NilP }}p{{ end }}{{ if 0 }}z{{ end }}{{ if .F }}f{{ end }}{{ if .Values.global.zero }}0{{ end }}{{ if .U }}u{{ end }}", false},
	{"if chan", "a chan is true when not nil", "{{ if .Ch }}c{{ end }}", false},
	{"with", "with sets dot", "{{ with .Meta.Labels }}{{ .app }}{{ end }}{{ with .Values.nope }}x{{ else }}none{{ end }}", false},
	{"with else with", "with chains", "{{ with .Values.nope }}a{{ else with .Rev }}{{ . }}{{ end }}", false},
	{"range slice", "range over a slice with index", "{{ range $i, $c := .Spec.Containers }}{{ $i }}={{ $c.Name }};{{ end }}", false},
	{"range dot", "range sets dot", "{{ range .List }}[{{ . }}]{{ end }}", false},
	{"range map", "range over a map in key order", "{{ range $k, $v := .M }}{{ $k }}:{{ $v }} {{ end }}{{ range $k, $v := .Values.global.strmap }}{{ $k }}={{ $v }} {{ end }}", false},
	{"range int map", "range over a map with int keys", "{{ range $k, $v := .IntMap }}{{ $k }}:{{ $v }} {{ end }}", true},
	{"range any", "range over []any elements of every kind", "{{ range .Anys }}<{{ . }}>{{ end }}", false},
	{"range else", "the else of an empty range", "{{ range .Empty }}x{{ else }}empty{{ end }}{{ range .Values.nope }}x{{ else }}nothing{{ end }}", false},
	{"range int", "range over an integer", "{{ range .N }}{{ . }}{{ end }}{{ range $i := 3 }}{{ $i }}{{ end }}", false},
	{"range string", "a string cannot be ranged over", "{{ range .Rev }}{{ . }}{{ end }}", true},
	{"range nil pointer", "a nil pointer cannot be ranged over", "{{ range .NilP }}{{ . }}{{ end }}", true},
	{"range nil interface", "a pipeline looks through a nil interface: nothing to range over", "{{ range .Values.global.proxy.nil }}{{ . }}{{ else }}none{{ end }}", false},
	{"range array", "range over an array", "{{ range .Arr }}{{ . }}{{ end }}", false},
	{"break continue", "break and continue", "{{ range $i, $x := .List }}{{ if eq $i 1 }}{{ continue }}{{ end }}{{ if eq $x \"z\" }}{{ break }}{{ end }}{{ $x }}{{ end }}", false},
	{"break constant range", "break in a range over a constant collection", "{{ range .Values.global.numlist }}{{ if eq . 2.0 }}{{ break }}{{ end }}{{ . }}{{ end }}", false},
	{"variables", "declare and assign", "{{ $x := .Rev }}{{ $x }}{{ $x = \"y\" }}{{ $x }}{{ $ := . }}", false},
	{"variable scope", "a variable declared in a block ends with it", "{{ $x := 1 }}{{ if true }}{{ $x := 2 }}{{ $x }}{{ end }}{{ $x }}", false},
	{"assign in branch", "an assignment in a run-time branch", "{{ $x := \"a\" }}{{ if .Flag }}{{ $x = \"b\" }}{{ end }}{{ $x }}{{ if not .Flag }}{{ $x = \"c\" }}{{ end }}{{ $x }}", false},
	{"assign in loop", "an assignment in a run-time loop carries over", "{{ $acc := \"\" }}{{ range .Spec.Containers }}{{ $acc = printf \"%s/%s\" $acc .Name }}{{ end }}{{ $acc }}", false},
	{"assign in constant loop", "an assignment in an unrolled loop", "{{ $n := 0 }}{{ range .List }}{{ $n = len . }}{{ end }}{{ $n }}", false},
	{"dollar", "$ is the data", "{{ range .List }}{{ $.Rev }}{{ end }}", false},
	{"eq", "comparisons of every kind", "{{ eq .Rev \"canary\" }} {{ eq .N 3 }} {{ eq .Flag true }} {{ eq .Values.global.proxy.port 15020.0 }} {{ eq .Rev \"a\" \"canary\" }} {{ eq .U 9 }} {{ eq .I64 -7 }}", false},
	{"eq incompatible", "an int and a float are incomparable", "{{ eq .N 3.0 }}", true},
	{"eq missing", "a missing value equals nothing", "{{ eq .Values.nope \"x\" }}", false},
	{"eq nil", "nil compares equal to a nil map", "{{ eq .NilM nil }} {{ eq .M nil }}", false},
	{"eq maps", "maps are not comparable", "{{ eq .M .M }}", true},
	{"eq pointers", "pointers compare by address", "{{ eq .P .P }} {{ eq .P .NilP }}", false},
	{"ne lt le gt ge", "ordering", "{{ ne .N 2 }} {{ lt .N 4 }} {{ le .N 3 }} {{ gt .Rev \"b\" }} {{ ge 2.5 .F }} {{ lt .U 10 }} {{ lt .I64 .U }}", false},
	{"lt bool", "bools have no order", "{{ lt true false }}", true},
	{"and or", "and and or return an operand", "{{ and .Flag .Rev }} {{ or .Values.nope .Rev }} {{ and .Values.nope (fail \"not run\") }} {{ or .Rev (fail \"not run\") }} {{ and 1 0 2 }} {{ or 0 \"\" }}", false},
	{"and pipeline", "the pipeline value is and's last operand", "{{ .Rev | and .Flag }} {{ .Values.nope | or .N }}", false},
	{"not", "not of every kind", "{{ not .Flag }} {{ not .Values.nope }} {{ not .Empty }} {{ not .Fn }}", false},
	{"index", "index maps, slices, strings, nested", "{{ index .M \"a\" }} {{ index .M \"zz\" }} {{ index .List 1 }} {{ index .Rev 0 }} {{ index .Nested \"x\" \"y\" }} {{ index .Values \"global\" \"hub\" }} {{ index .Values \"nope\" }} {{ index .Anys 2 }}", false},
	{"index out of range", "index past the end is an error", "{{ index .List 3 }}", true},
	{"index nil", "index of a missing value is an error", "{{ index .Values.nope \"x\" }}", true},
	{"index int map", "index a map by an int key", "{{ index .IntMap 1 }}", false},
	{"len", "len of every kind", "{{ len .List }} {{ len .M }} {{ len .Rev }} {{ len .Values.global }} {{ len .Arr }}", false},
	{"len bad", "len of a number is an error", "{{ len .N }}", true},
	{"len nil", "len of a missing value is an error", "{{ len .Values.nope }}", true},
	{"printf", "printf, print and println", "{{ printf \"%s-%d-%v-%t\" .Rev .N .Values.global.proxy.port .Flag }} {{ print .Rev 1 .Values.nope }} {{ println .Rev }}", false},
	{"printf format var", "printf with a variable format", "{{ $f := \"<%s>\" }}{{ printf $f .Rev }}", false},
	{"parenthesized", "nested pipelines and chains", "{{ (ident .P).Name }} {{ (index .Values \"global\").hub }} {{ (ident .Values.nope).x }}", false},
	{"chain on nil interface", "a chain through a nil interface is an error", "{{ (nilany).x }}", false},
	{"template", "define and template", "{{ define \"t\" }}[{{ .Name }}|{{ $.Name }}]{{ end }}{{ template \"t\" .P }}{{ range .Spec.Containers }}{{ template \"t\" . }}{{ end }}", false},
	{"template no dot", "a template without a pipeline has no dot", "{{ define \"u\" }}<{{ . }}>{{ end }}{{ template \"u\" }}", false},
	{"template missing", "an undefined template is an error", "{{ template \"nope\" . }}", true},
	{"block", "block defines and runs", "{{ block \"b\" .Rev }}[{{ . }}]{{ end }}", false},
	{"trim markers", "trim markers are the parser's", "a  {{- .Rev -}}  b", false},
	{"comment", "comments print nothing", "a{{/* c */}}b", false},
	{"var in template", "a template has its own variables", "{{ define \"v\" }}{{ $x := 1 }}{{ $x }}{{ end }}{{ $x := 2 }}{{ template \"v\" }}{{ $x }}", false},
	{"html builtin", "builtins the compiler leaves to text/template", "{{ html .Rev }}", true},
	{"range over ptr struct", "a struct cannot be ranged over", "{{ range .P }}x{{ end }}", true},
	{"nil command", "nil is not a command", "{{ nil }}", true},
	{"args to var", "arguments to a variable are an error", "{{ $x := 1 }}{{ $x 2 }}", true},
	{"func field", "a func field is a value, not a call", "{{ if .Fn }}has{{ end }}", false},
	{"deep values", "fields deep in the values", "{{ .Values.global.nested.a.b }} {{ index .Values.global.proxy.list 1 }}", false},
	{"errorf", "a function with an error result that succeeds", "{{ errorf }}", false},
	// Chains of names walked by one plan (chainOp), and what ends a plan.
	{"chain pointers", "a chain through pointer fields", "{{ .P.Inner.Name }} {{ .P.Inner.Port }} {{ .Meta.Name }} {{ .Spec.Containers }}", false},
	{"chain nil pointer", "a field through a nil pointer in a chain is an error", "{{ .P.Inner.Inner.Name }}", true},
	{"chain nil root pointer", "a chain starting at a nil pointer field is an error", "{{ .NilP.Inner.Name }}", true},
	{"chain ends in method", "a method at the end of a chain, on an addressable struct", "{{ .P.Inner.GetName }} {{ .Meta.GetName }} {{ .S.GetName }}", false},
	{"chain method then field", "a method in the middle of a chain", "{{ .P.GetInner.Name }} {{ .NilP.GetInner.GetName }}", false},
	{"chain map in middle", "map keys after struct fields, one by one", "{{ .Meta.Labels.app }} {{ .Meta.Labels.nope }} {{ .Nested.x.y }} {{ .Nested.nope.y }}", false},
	{"chain nil map", "a key of a nil map is no value", "{{ .NilM.x }} {{ isset .NilM \"x\" }} {{ index .NilM \"x\" }}|", false},
	{"chain interface field", "a field of an interface type ends the plan", "{{ .Any.k }} {{ .NilAny }}", false},
	{"chain nil interface field", "walking through a nil interface field is an error", "{{ .NilAny.k }}", true},
	{"chain nil error field", "a method of a nil error field is an error", "{{ .Err.Error }}", true},
	{"chain embedded", "embedded structs, named or promoted", "{{ .Emb.EmbField }} {{ .EmbField }}", false},
	{"chain unexported", "an unexported field in a chain is an error", "{{ .P.Inner.private }}", true},
	{"chain missing field", "an unknown field in a chain is an error", "{{ .P.Inner.Nope }}", true},
	{"chain on a string", "a field of a string is an error", "{{ .Meta.Name.x }}", true},
	{"chain not addressable", "fields of a struct a function returns", "{{ (mkcfg).Name }} {{ (mkcfg).Inner.Name }} {{ (mkcfg).Twice \"x\" }}", false},
	{"chain pointer method not addressable", "a pointer method of a struct that is not addressable is an error", "{{ (mkcfg).GetName }}", true},
	{"chain typed nil", "a method of a typed nil pointer runs; its field is an error", "{{ (nilcfg).GetName }}|{{ (nilcfg).GetInner.GetName }}", false},
	{"chain typed nil field", "a field of a typed nil pointer is an error", "{{ (nilcfg).Name }}", true},
	{"chain slice elements", "elements of a slice are addressable", "{{ range (cfgs) }}{{ .GetName }}{{ .Inner.GetName }};{{ end }}", false},
	{"chain array elements", "elements of an array a function returns are not addressable", "{{ range (cfgarr) }}{{ .GetName }}{{ end }}", true},
	{"chain array fields", "fields of elements of an array a function returns", "{{ range (cfgarr) }}{{ .Name }}{{ end }}", false},
	{"chain changing types", "one chain meets a struct, a pointer and maps (a missing key)", "{{ range (mixed) }}[{{ .Name }}]{{ end }}", false},
	{"chain range containers", "a chain on the range's element", "{{ range $c := .Spec.Containers }}{{ $c.Name }}:{{ range $c.Ports }}{{ .ContainerPort }}{{ end }};{{ end }}", false},
	// Failures when the program runs.
	{"run-time panic", "a function panicking on a run-time argument is an error", "a{{ panicsOn .Meta.Name }}", true},
	{"run-time no panic", "the same function, not panicking", "{{ panicsOn .Meta.Namespace }}|", false},
	{"run-time method panic", "a method panicking on a run-time argument is an error", "a{{ .Boom .Meta.Name }}", true},
	{"run-time panic not run", "a panicking call in a branch not taken", "{{ if eq .Meta.Name \"none\" }}{{ panicsOn .Meta.Name }}{{ end }}ok", false},
	{"run-time error", "a function's error on a run-time argument", "{{ fail .Meta.Name }}", true},
	// Operands of typed and interface parameters.
	{"string operands", "strings for string parameters, constant and run-time", "{{ two \"a\" .Meta.Name }} {{ two .Meta.Name .Rev }} {{ upper .Meta.Labels.app }}", false},
	{"named string operand", "a named string type for a string parameter is an error", "{{ two \"a\" .Mode }}", true},
	{"same-typed operands", "values of exactly the parameter's type", "{{ isset .Meta.Labels \"app\" }} {{ ptr .P }} {{ ports .Spec.Containers }} {{ sval .S }}", false},
	{"constant struct for any", "a constant struct given to an interface parameter", "{{ annotation .Meta \"zz\" .S }} {{ annotation .Meta \"zz\" .PS }} {{ annotation .Meta \"zz\" .P }}", false},
	{"nil results", "a function's nil interface result after a command", "{{ nilany | ident }}|{{ ident .NilAny }}|{{ index .Anys 2 }}|{{ ident (index .Meta.Labels \"nope\") }}", false},
}

// runBoth executes src with text/template and with the program compiled
// from it; it returns both outputs and whether each succeeded.
func runBoth(t *testing.T, tmpl *template.Template, p *Program, data any) (want, got string, wantOK, taken bool) {
	t.Helper()
	var buf bytes.Buffer
	err := tmpl.Execute(&buf, data)
	out, taken := p.Execute([]byte("prefix:"), data)
	if !bytes.HasPrefix(out, []byte("prefix:")) {
		t.Fatalf("output lost its prefix: %q", out)
	}
	return buf.String(), string(out[len("prefix:"):]), err == nil, taken
}

func TestMatchesTextTemplate(t *testing.T) {
	base := sample()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, err := template.New(tc.name).Funcs(testFuncs()).Parse(tc.src)
			if err != nil {
				t.Fatal(err)
			}
			for _, mode := range []struct {
				name string
				opts Options
			}{
				{"generic", Options{Funcs: testFuncs()}},
				{"specialised", Options{Funcs: testFuncs(), Data: base, Static: testStatic}},
				{"string forms", Options{Funcs: testFuncs(), StringForms: testStringForms}},
			} {
				p, err := Compile(tmpl, mode.opts)
				if err != nil {
					if !errors.Is(err, ErrUnsupported) {
						t.Fatalf("%s: %v", mode.name, err)
					}
					if !tc.declines {
						t.Fatalf("%s: not compiled (%v): %s", mode.name, err, tc.reason)
					}
					continue
				}
				for i, d := range []*tdata{base, variant(base)} {
					want, got, wantOK, taken := runBoth(t, tmpl, p, d)
					switch {
					case taken && !wantOK:
						t.Errorf("%s data %d: taken where text/template fails (got %q): %s", mode.name, i, got, tc.reason)
					case taken && got != want:
						t.Errorf("%s data %d:\n got %q\nwant %q\n(%s)", mode.name, i, got, want, tc.reason)
					case !taken && !tc.declines:
						t.Errorf("%s data %d: declined (text/template gives %q, ok %v): %s", mode.name, i, want, wantOK, tc.reason)
					case i == 0 && taken && tc.declines:
						t.Errorf("%s: taken, but the case says it declines (%q): %s", mode.name, got, tc.reason)
					}
				}
			}
		})
	}
}

// limitWriter fails once it has taken more than n bytes, which stops
// text/template.
type limitWriter struct {
	bytes.Buffer
	n int
}

var errTooLong = errors.New("output too long")

func (w *limitWriter) Write(p []byte) (int, error) {
	if w.Len()+len(p) > w.n {
		return 0, errTooLong
	}
	return w.Buffer.Write(p)
}

// FuzzMatchesTextTemplate compiles any template text that parses and checks
// that the program, whenever it does not decline, prints exactly what
// text/template prints, on the sample data and a variant of it, generic
// and specialised.
func FuzzMatchesTextTemplate(f *testing.F) {
	for _, tc := range cases {
		f.Add(tc.src)
	}
	base := sample()
	vari := variant(base)
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 2000 || hasBigNumber(src) {
			return // loops that long are not what this tests
		}
		tmpl, err := template.New("f").Funcs(testFuncs()).Parse(src)
		if err != nil {
			return
		}
		for _, opts := range []Options{
			{Funcs: testFuncs()},
			{Funcs: testFuncs(), Data: base, Static: testStatic},
		} {
			p, err := Compile(tmpl, opts)
			if err != nil {
				if !errors.Is(err, ErrUnsupported) {
					t.Fatal(err)
				}
				continue
			}
			for _, d := range []*tdata{base, vari} {
				w := &limitWriter{n: 1 << 16}
				werr := tmpl.Execute(w, d)
				if errors.Is(werr, errTooLong) {
					continue
				}
				got, taken := p.Execute(nil, d)
				if !taken {
					continue
				}
				if werr != nil {
					t.Fatalf("taken where text/template fails (%v): %q", werr, got)
				}
				if string(got) != w.String() {
					t.Fatalf("src %q:\n got %q\nwant %q", src, got, w.String())
				}
			}
		}
	})
}

// hasBigNumber reports a run of four or more digits (a range or repeat that
// long only makes the fuzzer slow).
func hasBigNumber(s string) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			if run++; run >= 4 {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// testStringForms are testFuncs' forms for one string argument.
var testStringForms = map[string]StringForm{
	"quote": {One: func(s string) string { return fmt.Sprintf("%q", s) }},
	"default": {Two: func(d, g string) string {
		if g == "" {
			return d
		}
		return g
	}},
}

// TestStringForms: a call of a function with one string argument runs its
// form (Options.StringForms), any other call the function, and the output
// is text/template's.
func TestStringForms(t *testing.T) {
	for _, tt := range []struct {
		name, reason, src string
		forms             int
	}{
		{"argument", "one string argument", `{{ quote "a" }}`, 1},
		{"piped", "the piped value is the one argument", `{{ "a\"b" | quote }}`, 1},
		{"two", "two arguments: the function", `{{ quote "a" "b" }}`, 0},
		{"not a string", "a number: the function", `{{ quote 1 }}`, 0},
		{"none", "no argument: the function", `{{ quote }}`, 0},
		{"two strings", "default with two strings: its two-argument form", `{{ "" | default "d" }} {{ "g" | default "d" }}`, 2},
		{"default of a number", "a number: the function", `{{ 1 | default "d" }}`, 0},
		{"chained", "each call of a chain by its form", `{{ "" | default "" | default "x" | quote }}`, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			forms := map[string]StringForm{
				"quote": {One: func(s string) string { n++; return fmt.Sprintf("%q", s) }},
				"default": {Two: func(d, g string) string {
					n++
					return testStringForms["default"].Two(d, g)
				}},
			}
			tmpl, err := template.New(tt.name).Funcs(testFuncs()).Parse(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			p, err := Compile(tmpl, Options{Funcs: testFuncs(), StringForms: forms})
			if err != nil {
				t.Fatal(err)
			}
			want, got, _, taken := runBoth(t, tmpl, p, sample())
			if !taken || got != want {
				t.Fatalf("got %q (taken %v), want %q: %s", got, taken, want, tt.reason)
			}
			if n != tt.forms {
				t.Errorf("the form ran %d times, want %d: %s", n, tt.forms, tt.reason)
			}
		})
	}
}
