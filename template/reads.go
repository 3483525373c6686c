package template

import (
	"reflect"
	"strings"
	"text/template"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kinject/kinject/template/internal/reads"
)

// Reads is what rendering some templates of a Set may read from its Data,
// decided from the templates' parse trees when the Set is parsed (see
// Set.Reads). Everything the analysis cannot prove unread counts as read,
// so a part of Data that Reads does not cover cannot change what those
// templates render. The zero Reads covers nothing.
type Reads struct{ r reads.Result }

// Reads returns what rendering the named templates (aliases expanded, as
// Apply does) may read from Data. A name the Set does not hold reads
// everything.
//
// It follows fields, methods, variables ($ and re-assigned ones included),
// with, range, if, {{template}} calls with their argument, pipelines,
// parenthesised pipelines, index with constant keys, and the template
// functions: a function given a value is taken to read all of it, except
// annotation, which reads only the Annotations of the ObjectMeta it is
// given. A method reads its receiver whole, and so does a field of an
// interface-typed value (its dynamic type may have such a method).
func (s *Set) Reads(names ...string) Reads {
	var out reads.Result
	for _, n := range s.Expand(names) {
		r, ok := s.reads[n]
		if !ok {
			return Reads{reads.All()}
		}
		out = out.Union(r)
	}
	return Reads{out}
}

// May reports whether the templates may read the part of Data named by
// the field path (field names, or map keys, from Data): May("ObjectMeta",
// "Name") is true when a template may print, test, pass on or otherwise
// depend on the pod's name, including by reading all of ObjectMeta, or all
// of Data. No path at all asks about Data as a whole.
func (r Reads) May(path ...string) bool { return r.r.Covers(path...) }

// Paths lists what may be read, each path covering everything under it, as
// a template addresses it (".ObjectMeta.Annotations", `.Values["a-b"]`,
// "." for all of Data), sorted.
func (r Reads) Paths() []string {
	ps := r.r.Paths()
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

// String is Paths joined by spaces.
func (r Reads) String() string { return strings.Join(r.Paths(), " ") }

// funcReads are the template functions that read less than all of an
// argument; every other function of FuncMap reads its arguments whole.
// Each entry is a claim about the function's Go code, checked by
// TestFuncReadsSummaries, which varies everything else.
var funcReads = map[string]*reads.Func{
	// annotation meta name default: only meta.Annotations.
	"annotation": {
		Args:  [][]reads.Path{{{"Annotations"}}},
		Types: []reflect.Type{reflect.TypeFor[metav1.ObjectMeta]()},
	},
}

// analyzeReads decides what the template t (executed with a *Data) may
// read; funcs is its FuncMap.
func analyzeReads(t *template.Template, funcs template.FuncMap) reads.Result {
	summaries := make(map[string]*reads.Func, len(funcs))
	for name := range funcs {
		summaries[name] = funcReads[name]
	}
	return reads.Analyze(t, reflect.TypeFor[*Data](), summaries)
}
