// Package reads decides, from the parse tree of a text/template, which parts
// of the data the template may read when it is executed.
//
// The answer is a set of paths from the data's root (the dot a template is
// executed with), each naming a field of a struct or a key of a map, each
// covering everything under it. A path is in the set unless the analysis
// proves the template never reads it: the analysis follows fields, methods,
// variables (declared, re-assigned, $), with, range, if, template calls (with
// their argument, recursively, across the associated templates), pipelines,
// parenthesised pipelines with chained fields, and the builtin functions
// (and, or, not, index, len, eq, print, call, ...). What it cannot follow
// precisely it over-approximates, always towards "read":
//
//   - a value that is printed, compared, given to a function (unless the
//     function's summary says which parts of that argument it reads),
//     ranged over or indexed by a computed key is read whole;
//   - a method call reads its receiver whole (a method may read anything of
//     its receiver), and its result is then not followed;
//   - a field of a value whose static type is an interface reads that value
//     whole (the dynamic type may have a method of that name);
//   - a truth test (if, with, and, or, not) reads the value, except a struct
//     value, which text/template always finds true;
//   - variables are flow-insensitive: a variable may hold, everywhere, any
//     value assigned to it anywhere (the analysis iterates to a fixpoint);
//   - paths deeper than a limit, values with too many possible origins, and
//     templates too large to analyse within a step budget fall back to
//     reading the enclosing value, or the whole data.
//
// A function value or a method is assumed to read only what is reachable
// from its receiver and arguments (the functions of a FuncMap close over no
// template data).
package reads

import (
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
)

// Path names a part of the data: field names and map keys from the root.
// The empty path is the whole data.
type Path []string

// String prints p as a template would address it: ".ObjectMeta.Name",
// with keys that are not identifiers in brackets (.Values["a-b"]), "." for
// the root.
func (p Path) String() string {
	if len(p) == 0 {
		return "."
	}
	var b strings.Builder
	for _, e := range p {
		if isIdent(e) {
			b.WriteByte('.')
			b.WriteString(e)
			continue
		}
		b.WriteByte('[')
		b.WriteString(strconv.Quote(e))
		b.WriteByte(']')
	}
	return b.String()
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return false
	}
	return true
}

// Func says what a function of a FuncMap reads of its arguments.
type Func struct {
	// Args has one entry per argument position. A non-nil entry applies
	// when the argument's static type is Types[i] (or a pointer to it) and
	// lists the parts of the argument the function reads, each whole. An
	// argument without an entry, or of another type, is read whole.
	Args [][]Path
	// Types are the argument types Args's entries apply to, by position.
	Types []reflect.Type
}

// Result is the set of paths a template may read.
type Result struct {
	paths []Path // read whole: minimal (no path under another), sorted
	// tested are pointers the template goes through, so it depends on
	// whether they are nil (an execution error) but not, by that, on
	// anything under them; sorted, none under a path of paths.
	tested []Path
}

// All is the result that covers everything.
func All() Result { return Result{paths: []Path{{}}} }

// Paths returns the paths read whole, sorted, none under another.
func (r Result) Paths() []Path { return append([]Path(nil), r.paths...) }

// Tested returns the pointers the template goes through without reading
// them whole (it depends on whether they are nil), sorted.
func (r Result) Tested() []Path { return append([]Path(nil), r.tested...) }

// Covers reports whether p may be part of what the template depends on:
// a path read whole is p, above p or below p, or a tested pointer is p or
// below p (a change to p may change whether it is nil).
func (r Result) Covers(p ...string) bool {
	for _, q := range r.paths {
		if under(p, q) || under(q, p) {
			return true
		}
	}
	for _, q := range r.tested {
		if under(q, p) {
			return true
		}
	}
	return false
}

// Union returns the paths of r and o together.
func (r Result) Union(o Result) Result {
	whole, tested := newPathSet(), newPathSet()
	for _, x := range [2]Result{r, o} {
		for _, p := range x.paths {
			whole.add(p)
		}
		for _, p := range x.tested {
			tested.add(p)
		}
	}
	return result(whole, tested)
}

// result builds a minimal Result.
func result(whole, tested *pathSet) Result {
	r := Result{paths: whole.minimal()}
	for _, p := range tested.sorted() {
		if !r.coveredWhole(p) {
			r.tested = append(r.tested, p)
		}
	}
	return r
}

func (r Result) coveredWhole(p Path) bool {
	for _, q := range r.paths {
		if under(p, q) {
			return true
		}
	}
	return false
}

// Limits of the analysis; beyond them it answers conservatively.
const (
	maxPathLen  = 24      // a longer path is read whole at this depth
	maxOrigins  = 32      // a value that may come from more places is read whole
	maxSteps    = 2000000 // node visits over all passes; beyond, everything is read
	maxPasses   = 64      // fixpoint iterations; beyond, everything is read
	maxCallKeys = 4096    // distinct (template, argument) pairs analysed per pass
)

// Analyze returns what executing t (its own tree, with its associated
// templates reachable through {{template}}) may read of data of type root.
// funcs holds every name of t's FuncMap, with a summary or nil (a nil
// summary reads every argument whole); a name not in funcs is taken as
// text/template's builtin of that name.
func Analyze(t *template.Template, root reflect.Type, funcs map[string]*Func) Result {
	if t == nil || t.Tree == nil || t.Tree.Root == nil {
		return Result{}
	}
	a := &analyzer{tmpl: t, funcs: funcs, reads: newPathSet(), tested: newPathSet(), slots: map[*parse.VariableNode]*slot{}}
	for pass := 0; ; pass++ {
		if pass == maxPasses {
			return All()
		}
		a.changed = false
		a.calls = map[string]bool{}
		a.walkTemplate(t.Tree.Root, value{{path: nil, typ: root}})
		if a.over {
			return All()
		}
		if !a.changed {
			break
		}
	}
	return result(a.reads, a.tested)
}

// origin is one place a value may come from: a path of the data and its
// static type (nil when unknown: an interface's dynamic value).
type origin struct {
	path Path
	typ  reflect.Type
}

// value is the set of places an evaluated value may come from. An empty
// value is not followed: a constant, a function's result, or a part of
// something already read whole.
type value []origin

// slot holds what a variable may be bound to.
type slot struct {
	val       value
	collapsed bool // too many origins: everything assigned is read whole
}

type binding struct {
	name string
	s    *slot
}

type analyzer struct {
	tmpl    *template.Template
	funcs   map[string]*Func
	reads   *pathSet
	tested  *pathSet
	slots   map[*parse.VariableNode]*slot
	vars    []binding
	calls   map[string]bool // (template, argument) pairs seen this pass
	changed bool
	steps   int
	over    bool // the step budget is spent
}

// read records that p is read whole.
func (a *analyzer) read(p Path) {
	if a.reads.add(p) {
		a.changed = true
	}
}

// test records that the pointer at p is gone through.
func (a *analyzer) test(p Path) {
	if a.tested.add(p) {
		a.changed = true
	}
}

// consume reads every origin of v whole.
func (a *analyzer) consume(v value) {
	for _, o := range v {
		a.read(o.path)
	}
}

// truth reads what a truth test of v depends on: nothing for a struct
// (always true), whether it is nil for a pointer, the value itself
// otherwise.
func (a *analyzer) truth(v value) {
	for _, o := range v {
		switch {
		case o.typ != nil && o.typ.Kind() == reflect.Struct:
		case o.typ != nil && o.typ.Kind() == reflect.Pointer:
			a.test(o.path)
		default:
			a.read(o.path)
		}
	}
}

// union merges values, reading everything when there are too many origins.
func (a *analyzer) union(vs ...value) value {
	out, _ := a.merge(vs...)
	return out
}

// merge is union that also reports whether it gave up (read everything
// whole because there were too many origins).
func (a *analyzer) merge(vs ...value) (value, bool) {
	var out value
	for _, v := range vs {
		for _, o := range v {
			if !hasOrigin(out, o) {
				out = append(out, o)
			}
		}
	}
	if len(out) > maxOrigins {
		a.consume(out)
		return nil, true
	}
	return out, false
}

func hasOrigin(v value, o origin) bool {
	for _, x := range v {
		if x.typ == o.typ && slices.Equal(x.path, o.path) {
			return true
		}
	}
	return false
}

func originKey(o origin) string {
	var b strings.Builder
	b.WriteString(pathKey(o.path))
	b.WriteByte('|')
	if o.typ != nil {
		b.WriteString(o.typ.String())
		b.WriteString(o.typ.PkgPath())
	}
	return b.String()
}

func valueKey(v value) string {
	ks := make([]string, len(v))
	for i, o := range v {
		ks[i] = originKey(o)
	}
	sort.Strings(ks)
	return strings.Join(ks, "\x00")
}

func (a *analyzer) step() bool {
	a.steps++
	if a.steps > maxSteps {
		a.over = true
	}
	return !a.over
}

// walkTemplate analyses a template body executed with dot as its dot and $.
func (a *analyzer) walkTemplate(root *parse.ListNode, dot value) {
	saved := a.vars
	a.vars = []binding{{name: "$", s: &slot{val: dot}}}
	a.walk(dot, root)
	a.vars = saved
}

func (a *analyzer) walk(dot value, n parse.Node) {
	if n == nil || !a.step() {
		return
	}
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return // an absent else
		}
		for _, c := range n.Nodes {
			a.walk(dot, c)
		}
	case *parse.ActionNode:
		v := a.pipeline(dot, n.Pipe)
		if len(n.Pipe.Decl) == 0 {
			a.consume(v) // printed
		}
	case *parse.IfNode:
		a.branch(dot, &n.BranchNode)
	case *parse.WithNode:
		a.branch(dot, &n.BranchNode)
	case *parse.RangeNode:
		a.branch(dot, &n.BranchNode)
	case *parse.TemplateNode:
		var arg value
		if n.Pipe != nil {
			arg = a.pipeline(dot, n.Pipe) // its variables persist
		}
		a.call(n.Name, arg)
	case *parse.TextNode, *parse.CommentNode, *parse.BreakNode, *parse.ContinueNode:
	default:
		// A node this analysis does not know: assume it reads
		// everything.
		a.read(nil)
	}
}

// branch analyses if, with and range. The pipeline's variables are seen
// by both branches; a branch's own end with it. with runs its body with the
// value as dot. range reads the value whole (its length or keys, its
// elements), so the element (the body's dot) and the variables bound to
// elements and keys need not be followed; the pipeline binds them to the
// ranged value itself, which is read whole too.
func (a *analyzer) branch(dot value, b *parse.BranchNode) {
	mark := len(a.vars)
	v := a.pipeline(dot, b.Pipe)
	body := dot
	switch b.NodeType {
	case parse.NodeWith:
		a.truth(v)
		body = v
	case parse.NodeRange:
		a.consume(v)
		body = nil
	default:
		a.truth(v)
	}
	inner := len(a.vars)
	a.walk(body, b.List)
	a.vars = a.vars[:inner]
	a.walk(dot, b.ElseList)
	a.vars = a.vars[:mark]
}

// call analyses {{template name arg}}.
func (a *analyzer) call(name string, arg value) {
	t := a.tmpl.Lookup(name)
	if t == nil || t.Tree == nil || t.Tree.Root == nil {
		return // an execution error: nothing is rendered
	}
	k := name + "\x01" + valueKey(arg)
	if a.calls[k] {
		return // analysed this pass, or in progress (recursion)
	}
	if len(a.calls) >= maxCallKeys {
		a.consume(arg)
		arg = nil
		k = name + "\x01"
		if a.calls[k] {
			return
		}
	}
	a.calls[k] = true
	a.walkTemplate(t.Tree.Root, arg)
}

// assign binds a declared or assigned variable to v.
func (a *analyzer) assign(d *parse.VariableNode, v value, isAssign bool) {
	name := d.Ident[0]
	var s *slot
	if isAssign {
		s = a.lookup(name)
		if s == nil {
			a.consume(v) // undeclared: a parse error in practice
			return
		}
	} else {
		s = a.slots[d]
		if s == nil {
			s = &slot{}
			a.slots[d] = s
		}
		a.vars = append(a.vars, binding{name: name, s: s})
	}
	a.bind(s, v)
}

func (a *analyzer) bind(s *slot, v value) {
	if s.collapsed {
		a.consume(v)
		return
	}
	before := len(s.val)
	u, over := a.merge(s.val, v)
	if over {
		s.collapsed = true
		s.val = nil
		a.changed = true
		return
	}
	s.val = u
	if len(u) != before {
		a.changed = true
	}
}

func (a *analyzer) lookup(name string) *slot {
	for i := len(a.vars) - 1; i >= 0; i-- {
		if a.vars[i].name == name {
			return a.vars[i].s
		}
	}
	return nil
}

// pipeline evaluates a pipeline: each command's result is the next one's
// final argument; declared variables are bound to the result.
func (a *analyzer) pipeline(dot value, p *parse.PipeNode) value {
	if p == nil {
		return nil
	}
	var v value
	final := false
	for _, c := range p.Cmds {
		v = a.command(dot, c, v, final)
		final = true
	}
	for _, d := range p.Decl {
		a.assign(d, v, p.IsAssign)
	}
	return v
}

func (a *analyzer) command(dot value, c *parse.CommandNode, final value, hasFinal bool) value {
	if !a.step() || len(c.Args) == 0 {
		return nil
	}
	switch n := c.Args[0].(type) {
	case *parse.FieldNode:
		return a.chain(dot, dot, n.Ident, c.Args, final, hasFinal)
	case *parse.ChainNode:
		return a.chain(dot, a.arg(dot, n.Node), n.Field, c.Args, final, hasFinal)
	case *parse.VariableNode:
		return a.variable(dot, n, c.Args, final, hasFinal)
	case *parse.IdentifierNode:
		return a.function(dot, n.Ident, c.Args[1:], final, hasFinal)
	}
	// A value that is not a function: arguments are an execution error;
	// read them anyway.
	a.extra(dot, c.Args, final, hasFinal)
	switch n := c.Args[0].(type) {
	case *parse.PipeNode:
		return a.pipeline(dot, n)
	case *parse.DotNode:
		return dot
	}
	return nil
}

// extra reads the arguments after a command's first word, and the final
// value, whole.
func (a *analyzer) extra(dot value, args []parse.Node, final value, hasFinal bool) {
	for _, n := range args[1:] {
		a.consume(a.arg(dot, n))
	}
	if hasFinal {
		a.consume(final)
	}
}

func (a *analyzer) variable(dot value, n *parse.VariableNode, args []parse.Node, final value, hasFinal bool) value {
	s := a.lookup(n.Ident[0])
	var v value
	if s != nil {
		v = s.val
	}
	if len(n.Ident) == 1 {
		a.extra(dot, args, final, hasFinal)
		return v
	}
	return a.chain(dot, v, n.Ident[1:], args, final, hasFinal)
}

// arg evaluates an argument of a function, a method or a chain.
func (a *analyzer) arg(dot value, n parse.Node) value {
	if !a.step() {
		return nil
	}
	switch n := n.(type) {
	case *parse.DotNode:
		return dot
	case *parse.FieldNode:
		return a.chain(dot, dot, n.Ident, []parse.Node{n}, nil, false)
	case *parse.VariableNode:
		return a.variable(dot, n, []parse.Node{n}, nil, false)
	case *parse.PipeNode:
		return a.pipeline(dot, n)
	case *parse.IdentifierNode:
		return a.function(dot, n.Ident, nil, nil, false)
	case *parse.ChainNode:
		return a.chain(dot, a.arg(dot, n.Node), n.Field, []parse.Node{n}, nil, false)
	case *parse.BoolNode, *parse.NumberNode, *parse.StringNode, *parse.NilNode:
		return nil
	}
	a.read(nil)
	return nil
}

// chain walks .A.B.C from recv; the last name gets the arguments (args[1:])
// and the final value when it is a method.
func (a *analyzer) chain(dot, recv value, names []string, args []parse.Node, final value, hasFinal bool) value {
	if len(args) > 1 || hasFinal {
		// Only a method takes arguments; they are read whole whatever
		// the last name turns out to be.
		a.extra(dot, args, final, hasFinal)
	}
	v := recv
	for _, name := range names {
		v = a.field(v, name)
	}
	return v
}

// field evaluates .name on each origin of v.
func (a *analyzer) field(v value, name string) value {
	var out value
	for _, o := range v {
		next, ok := a.step1(o, name)
		if !ok {
			a.read(o.path)
			continue
		}
		out = append(out, next)
	}
	return a.union(out)
}

// step1 resolves .name on o as text/template does: a method first (on the
// pointer, so both receiver kinds), then a struct field, then a map key.
// It reports false when the name reads o whole (a method, an interface, a
// path too long) or cannot be evaluated (an execution error).
func (a *analyzer) step1(o origin, name string) (origin, bool) {
	t := o.typ
	if t == nil || len(o.path) >= maxPathLen {
		return origin{}, false
	}
	if t.Kind() == reflect.Pointer {
		a.test(o.path) // nil is an execution error
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Interface {
		return origin{}, false
	}
	if _, ok := reflect.PointerTo(t).MethodByName(name); ok {
		return origin{}, false
	}
	switch t.Kind() {
	case reflect.Struct:
		f, ok := t.FieldByName(name)
		if !ok || !f.IsExported() {
			return origin{}, false
		}
		return origin{path: appendPath(o.path, fieldNames(t, f.Index)...), typ: f.Type}, true
	case reflect.Map:
		if reflect.TypeOf("").AssignableTo(t.Key()) {
			return origin{path: appendPath(o.path, name), typ: t.Elem()}, true
		}
	}
	return origin{}, false
}

// fieldNames names the fields along index (a promoted field's embedding
// chain).
func fieldNames(t reflect.Type, index []int) []string {
	names := make([]string, 0, len(index))
	for _, i := range index {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		f := t.Field(i)
		names = append(names, f.Name)
		t = f.Type
	}
	return names
}

func appendPath(p Path, e ...string) Path {
	out := make(Path, 0, len(p)+len(e))
	return append(append(out, p...), e...)
}

// function evaluates a call of name with args (and the final value last).
func (a *analyzer) function(dot value, name string, args []parse.Node, final value, hasFinal bool) value {
	vals := make([]value, 0, len(args)+1)
	for _, n := range args {
		vals = append(vals, a.arg(dot, n))
	}
	if hasFinal {
		vals = append(vals, final)
	}
	if f, ok := a.funcs[name]; ok {
		for i, v := range vals {
			a.summary(f, i, v)
		}
		return nil
	}
	switch name {
	case "and", "or":
		// The result is one of the arguments, each tested for truth.
		for _, v := range vals {
			a.truth(v)
		}
		return a.union(vals...)
	case "not":
		for _, v := range vals {
			a.truth(v)
		}
		return nil
	case "index":
		if len(vals) == 0 {
			return nil
		}
		return a.index(vals[0], args, vals[1:], hasFinal)
	}
	// len, slice, eq, ne, lt, le, gt, ge, print, printf, println, html,
	// js, urlquery, call, and anything unknown: every argument whole.
	for _, v := range vals {
		a.consume(v)
	}
	return nil
}

// summary reads argument i of a FuncMap function as its summary says.
func (a *analyzer) summary(f *Func, i int, v value) {
	if f == nil || i >= len(f.Args) || f.Args[i] == nil || i >= len(f.Types) {
		a.consume(v)
		return
	}
	want := deref(f.Types[i])
	for _, o := range v {
		if o.typ == nil || deref(o.typ) != want {
			a.read(o.path)
			continue
		}
		for _, p := range f.Args[i] {
			a.read(appendPath(o.path, p...))
		}
	}
}

func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// index follows index X k1 k2... when every key is a constant string and
// each step is a map (or an interface, which may hold one); otherwise X is
// read whole.
func (a *analyzer) index(x value, args []parse.Node, keys []value, hasFinal bool) value {
	var consts []string
	ok := !hasFinal && len(args) == len(keys)+1
	if ok {
		for _, n := range args[1:] {
			s, isStr := n.(*parse.StringNode)
			if !isStr {
				ok = false
				break
			}
			consts = append(consts, s.Text)
		}
	}
	for _, k := range keys {
		a.consume(k)
	}
	if !ok {
		a.consume(x)
		return nil
	}
	var out value
	for _, o := range x {
		cur, good := o, true
		for _, k := range consts {
			if cur, good = indexStep(cur, k); !good {
				break
			}
		}
		if !good {
			a.read(o.path)
			continue
		}
		out = append(out, cur)
	}
	return a.union(out)
}

func indexStep(o origin, key string) (origin, bool) {
	if len(o.path) >= maxPathLen {
		return origin{}, false
	}
	t := deref(o.typ)
	if t == nil || t.Kind() == reflect.Interface {
		// A map inside an interface: the key's value, of unknown type.
		return origin{path: appendPath(o.path, key)}, true
	}
	if t.Kind() == reflect.Map && reflect.TypeOf("").AssignableTo(t.Key()) {
		return origin{path: appendPath(o.path, key), typ: t.Elem()}, true
	}
	return origin{}, false
}

// pathSet is a set of paths.
type pathSet struct{ m map[string]Path }

func newPathSet() *pathSet { return &pathSet{m: map[string]Path{}} }

func (s *pathSet) add(p Path) bool {
	k := pathKey(p)
	if _, ok := s.m[k]; ok {
		return false
	}
	s.m[k] = append(Path(nil), p...)
	return true
}

// pathKey is p as a map key: each element with its length first, so no
// two paths share one.
func pathKey(p Path) string {
	var b strings.Builder
	for _, e := range p {
		b.WriteString(strconv.Itoa(len(e)))
		b.WriteByte(':')
		b.WriteString(e)
	}
	return b.String()
}

// sorted returns the paths, sorted.
func (s *pathSet) sorted() []Path {
	all := make([]Path, 0, len(s.m))
	for _, p := range s.m {
		all = append(all, p)
	}
	sort.Slice(all, func(i, j int) bool { return less(all[i], all[j]) })
	return all
}

// minimal returns the paths not under another, sorted.
func (s *pathSet) minimal() []Path {
	var out []Path
	for _, p := range s.sorted() {
		if len(out) > 0 && under(p, out[len(out)-1]) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// less orders paths element by element, a prefix first.
func less(a, b Path) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}

// under reports whether p is q or below q.
func under(p, q Path) bool {
	if len(p) < len(q) {
		return false
	}
	for i := range q {
		if p[i] != q[i] {
			return false
		}
	}
	return true
}
