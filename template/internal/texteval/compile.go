package texteval

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"text/template"
	"text/template/parse"
)

// Options say how to compile a template.
type Options struct {
	// Funcs is the template's function map (what it was parsed with).
	Funcs map[string]any
	// Data, when not nil, is the data (a pointer to a struct) whose fields
	// named in Static every later execution is given unchanged: whatever
	// the template computes from them alone is computed once, here. The
	// caller guarantees it (Program.Execute does not check), and that
	// those values, and what methods of theirs return, never change.
	Data any
	// Static names fields of *Data (see Data).
	Static []string
	// Mutating names functions that change their arguments (sprig's set,
	// unset, merge). A template that calls one is not compiled: a value
	// computed once could not be shared by executions.
	Mutating []string
	// StringForms are functions' forms for calls whose arguments are all
	// strings: such a call of the function named runs its form instead,
	// without boxing the arguments in a slice of interfaces.
	StringForms map[string]StringForm
}

// StringForm is a function's form for one or two string arguments (nil:
// none for that count). Each must return what the function returns for
// those arguments (a string; the function must not fail on them).
type StringForm struct {
	// One runs a call with one string argument.
	One func(string) string
	// Two runs a call with two string arguments.
	Two func(string, string) string
}

// ErrUnsupported is returned (wrapped) by Compile for a template it does
// not compile; text/template executes such a template unchanged.
var ErrUnsupported = errors.New("texteval: construct not compiled")

// Program is a compiled template. It is immutable (apart from caches that
// never change a result) and safe for concurrent use.
type Program struct {
	body   []stmt
	nslots int
	states sync.Pool
}

// Execute appends the output of the template executed on data to out.
// taken is false when the program declines: text/template would report an
// error, or do something the program does not; the caller then executes
// the template with text/template, which gives the result (out is then
// returned unchanged in length).
func (p *Program) Execute(out []byte, data any) (res []byte, taken bool) {
	s, _ := p.states.Get().(*state)
	if s == nil {
		s = &state{slots: make([]value, p.nslots)}
	}
	n := len(out)
	s.out = out
	s.root = fromReflect(reflect.ValueOf(data))
	defer func() {
		if r := recover(); r != nil {
			// A function or method panicked (text/template reports an
			// error), or something unexpected: the program declines and
			// text/template decides.
			res, taken = out[:n], false
		}
		clear(s.slots)
		clear(s.stack[:cap(s.stack)])
		s.stack = s.stack[:0]
		s.root = value{}
		s.out = nil
		p.states.Put(s)
	}()
	if run(p.body, s) != cNext {
		return out[:n], false
	}
	return s.out, true
}

// state is one execution's.
type state struct {
	out   []byte
	slots []value // variables, dots
	stack []value // call arguments
	root  value
}

type (
	stmt func(s *state) ctl
	expr func(s *state) (value, bool)
	ctl  uint8
)

const (
	cNext ctl = iota
	cBreak
	cContinue
	cFail
)

func run(list []stmt, s *state) ctl {
	for _, st := range list {
		if c := st(s); c != cNext {
			return c
		}
	}
	return cNext
}

// aval is a value as the compiler knows it: a constant (static), the
// execution's data (root, whose Static fields are constants), or computed
// when the program runs.
type aval struct {
	k akind
	v value // aStatic
	e expr  // aDyn
	// nonil: e never gives a nil held in an interface (kNil), so the look
	// through it after a command (unwrap) is nothing to run.
	nonil bool
}

type akind uint8

const (
	aStatic akind = iota
	aRoot
	aDyn
)

func static(v value) aval { return aval{k: aStatic, v: boxedValue(v)} }
func dyn(e expr) aval     { return aval{k: aDyn, e: e} }

func failExpr(*state) (value, bool) { return value{}, false }

var failed = aval{k: aDyn, e: failExpr}

func rootExpr(s *state) (value, bool) { return s.root, true }

// runtime is the expression computing a when the program runs.
func (a aval) runtime() expr {
	switch a.k {
	case aStatic:
		v := a.v
		return func(*state) (value, bool) { return v, true }
	case aRoot:
		return rootExpr
	}
	return a.e
}

// cvar is a template variable as the compiler knows it.
type cvar struct {
	name   string
	slot   int
	av     aval
	stored bool // the slot holds av's value
}

type compiler struct {
	t        *template.Template
	funcs    map[string]*function
	static   map[string]bool
	fixed    value // Options.Data
	hasFixed bool
	nslots   int
	vars     []cvar
	depth    int
	fold     *state          // the state folding runs with: it holds the fixed data only
	assigned map[string]bool // the variables assigned anywhere (see dynamicVars)
	out      *block
}

// maxDepth bounds nested template calls, each compiled in place.
const maxDepth = 24

// maxUnroll bounds the elements of a constant range compiled one by one.
const maxUnroll = 64

// Compile compiles t (its associated templates are compiled where t calls
// them). A template using a construct the compiler does not handle (the
// html, js, urlquery, slice and call builtins, range assignments, a
// mutating function, nesting deeper than maxDepth) is refused with an
// error wrapping ErrUnsupported.
func Compile(t *template.Template, opts Options) (p *Program, err error) {
	if t == nil || t.Tree == nil || t.Root == nil {
		return nil, fmt.Errorf("%w: empty template", ErrUnsupported)
	}
	c := &compiler{t: t, funcs: map[string]*function{}, static: map[string]bool{}}
	for name, fn := range opts.Funcs {
		f, err := newFunction(name, fn)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnsupported, err)
		}
		if form, ok := opts.StringForms[name]; ok {
			f.call = withStringForm(f.call, form)
		}
		c.funcs[name] = f
	}
	if m := calls(t, opts.Mutating); m != "" {
		return nil, fmt.Errorf("%w: calls %s, which changes its arguments", ErrUnsupported, m)
	}
	c.assigned = assignedNames(t)
	if opts.Data != nil {
		c.fixed = fromReflect(reflect.ValueOf(opts.Data))
		c.hasFixed = c.fixed.k == kRefl
		for _, f := range opts.Static {
			c.static[f] = true
		}
	}
	c.fold = &state{root: c.fixed}
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(unsupported); ok {
				p, err = nil, e.err
				return
			}
			panic(r)
		}
	}()
	root := aval{k: aRoot}
	c.vars = []cvar{{name: "$", slot: -1, av: root, stored: true}}
	b := &block{}
	c.list(b, t.Root, root)
	return &Program{body: b.done(), nslots: c.nslots}, nil
}

// unsupported is how the compiler gives up from deep inside (recovered by
// Compile).
type unsupported struct{ err error }

func (c *compiler) refuse(format string, args ...any) {
	panic(unsupported{fmt.Errorf("%w: %s", ErrUnsupported, fmt.Sprintf(format, args...))})
}

// calls returns the first of names that t or a template associated with
// it calls, or "".
func calls(t *template.Template, names []string) string {
	found := ""
	for _, at := range t.Templates() {
		if at.Tree != nil {
			walk(at.Root, func(n parse.Node) {
				if id, ok := n.(*parse.IdentifierNode); ok && found == "" && slices.Contains(names, id.Ident) {
					found = id.Ident
				}
			})
		}
	}
	return found
}

// assignedNames returns the variables that t and its associated templates
// assign anywhere ($x = ...).
func assignedNames(t *template.Template) map[string]bool {
	out := map[string]bool{}
	for _, at := range t.Templates() {
		if at.Tree != nil {
			walk(at.Root, func(n parse.Node) {
				if p, ok := n.(*parse.PipeNode); ok && p.IsAssign {
					for _, d := range p.Decl {
						out[d.Ident[0]] = true
					}
				}
			})
		}
	}
	return out
}

// walk calls fn on every node under n.
func walk(n parse.Node, fn func(parse.Node)) {
	if n == nil || reflect.ValueOf(n).IsNil() {
		return
	}
	fn(n)
	switch n := n.(type) {
	case *parse.ListNode:
		for _, x := range n.Nodes {
			walk(x, fn)
		}
	case *parse.ActionNode:
		walk(n.Pipe, fn)
	case *parse.IfNode:
		walk(n.Pipe, fn)
		walk(n.List, fn)
		walk(n.ElseList, fn)
	case *parse.WithNode:
		walk(n.Pipe, fn)
		walk(n.List, fn)
		walk(n.ElseList, fn)
	case *parse.RangeNode:
		walk(n.Pipe, fn)
		walk(n.List, fn)
		walk(n.ElseList, fn)
	case *parse.TemplateNode:
		walk(n.Pipe, fn)
	case *parse.PipeNode:
		for _, d := range n.Decl {
			walk(d, fn)
		}
		for _, x := range n.Cmds {
			walk(x, fn)
		}
	case *parse.CommandNode:
		for _, x := range n.Args {
			walk(x, fn)
		}
	case *parse.ChainNode:
		walk(n.Node, fn)
	}
}

// block collects the statements of a list, constant text merged.
type block struct {
	stmts []stmt
	text  []byte
}

func (b *block) write(t []byte) { b.text = append(b.text, t...) }

func (b *block) add(s stmt) {
	b.flush()
	b.stmts = append(b.stmts, s)
}

func (b *block) flush() {
	if len(b.text) == 0 {
		return
	}
	t := b.text
	b.text = nil
	b.stmts = append(b.stmts, func(s *state) ctl {
		s.out = append(s.out, t...)
		return cNext
	})
}

func (b *block) done() []stmt {
	b.flush()
	return b.stmts
}

func failStmt(*state) ctl { return cFail }

// ---- statements ----

func (c *compiler) list(b *block, l *parse.ListNode, dot aval) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		c.node(b, n, dot)
	}
}

func (c *compiler) node(b *block, n parse.Node, dot aval) {
	switch n := n.(type) {
	case *parse.TextNode:
		b.write(n.Text)
	case *parse.CommentNode:
	case *parse.ActionNode:
		c.action(b, n, dot)
	case *parse.IfNode:
		c.branch(b, false, n.Pipe, n.List, n.ElseList, dot)
	case *parse.WithNode:
		c.branch(b, true, n.Pipe, n.List, n.ElseList, dot)
	case *parse.RangeNode:
		c.rangeNode(b, n, dot)
	case *parse.TemplateNode:
		c.templateNode(b, n, dot)
	case *parse.BreakNode:
		b.add(func(*state) ctl { return cBreak })
	case *parse.ContinueNode:
		b.add(func(*state) ctl { return cContinue })
	default:
		c.refuse("node %s", n)
	}
}

func (c *compiler) action(b *block, n *parse.ActionNode, dot aval) {
	av := c.pipe(b, n.Pipe, dot)
	if len(n.Pipe.Decl) > 0 {
		if av.k == aDyn {
			e := av.e
			b.add(func(s *state) ctl {
				if _, ok := e(s); !ok {
					return cFail
				}
				return cNext
			})
		}
		return
	}
	switch av.k {
	case aStatic:
		out, ok := appendPrint(nil, av.v)
		if !ok {
			b.add(failStmt)
			return
		}
		b.write(out)
		return
	}
	e := av.runtime()
	b.add(func(s *state) ctl {
		v, ok := e(s)
		if !ok {
			return cFail
		}
		if s.out, ok = appendPrint(s.out, v); !ok {
			return cFail
		}
		return cNext
	})
}

// branch compiles if (with false) and with.
func (c *compiler) branch(b *block, with bool, pipe *parse.PipeNode, list, elseList *parse.ListNode, dot aval) {
	mark := len(c.vars)
	defer c.popVars(mark)
	av := c.pipe(b, pipe, dot)
	if av.k != aDyn {
		v := av.v
		if av.k == aRoot {
			if !c.hasFixed {
				goto dynamic
			}
			v = c.fixed
		}
		t, ok := truth(v)
		switch {
		case !ok:
			b.add(failStmt)
		case t && with:
			c.list(b, list, av)
		case t:
			c.list(b, list, dot)
		default:
			c.list(b, elseList, dot)
		}
		return
	}
dynamic:
	c.dynamicVars(b, list, elseList)
	cond := av.runtime()
	inner := dot
	slot := -1
	if with {
		slot = c.newSlot()
		inner = c.slotAval(slot)
	}
	saved, m := c.saveVars(), len(c.vars)
	tb := &block{}
	c.list(tb, list, inner)
	c.popVars(m)
	c.restoreVars(saved)
	eb := &block{}
	c.list(eb, elseList, dot)
	c.popVars(m)
	c.restoreVars(saved)
	then, els := tb.done(), eb.done()
	b.add(func(s *state) ctl {
		v, ok := cond(s)
		if !ok {
			return cFail
		}
		t, ok := truth(v)
		if !ok {
			return cFail
		}
		if t {
			if slot >= 0 {
				s.slots[slot] = v
			}
			return run(then, s)
		}
		return run(els, s)
	})
}

func (c *compiler) templateNode(b *block, n *parse.TemplateNode, dot aval) {
	t := c.t.Lookup(n.Name)
	if t == nil || t.Tree == nil || t.Root == nil {
		b.add(failStmt)
		return
	}
	if c.depth >= maxDepth {
		c.refuse("template calls nested deeper than %d", maxDepth)
	}
	var av aval // no pipeline: the dot is no value
	if n.Pipe != nil {
		av = c.pipe(b, n.Pipe, dot)
	} else {
		av = static(value{})
	}
	if av.k == aDyn {
		slot := c.newSlot()
		e := av.e
		b.add(func(s *state) ctl {
			v, ok := e(s)
			if !ok {
				return cFail
			}
			s.slots[slot] = v
			return cNext
		})
		av = c.slotAval(slot)
	}
	saved := c.vars
	c.vars = []cvar{{name: "$", slot: -1, av: av, stored: true}}
	c.depth++
	c.list(b, t.Root, av)
	c.depth--
	c.vars = saved
}

func (c *compiler) rangeNode(b *block, r *parse.RangeNode, dot aval) {
	if r.Pipe.IsAssign {
		c.refuse("range with assignment")
	}
	mark := len(c.vars)
	defer c.popVars(mark)
	av := c.cmds(b, r.Pipe, dot)
	if av.k == aStatic && !hasBranch(r.List) {
		var elems [][2]value
		n, ok := iterate(av.v, len(r.Pipe.Decl), func(k, e value) bool {
			elems = append(elems, [2]value{k, e})
			return len(elems) <= maxUnroll
		})
		if ok && n <= maxUnroll {
			c.unroll(b, r, elems, dot)
			return
		}
	}
	// Run the loop when the program runs.
	coll := av.runtime()
	keySlot, elemSlot := -1, c.newSlot()
	switch len(r.Pipe.Decl) {
	case 0:
	case 1:
		c.vars = append(c.vars, cvar{name: r.Pipe.Decl[0].Ident[0], slot: elemSlot, av: c.slotAval(elemSlot), stored: true})
	default:
		keySlot = c.newSlot()
		c.vars = append(c.vars,
			cvar{name: r.Pipe.Decl[0].Ident[0], slot: keySlot, av: c.slotAval(keySlot), stored: true},
			cvar{name: r.Pipe.Decl[1].Ident[0], slot: elemSlot, av: c.slotAval(elemSlot), stored: true})
	}
	c.dynamicVars(b, r.List, nil)
	saved, m := c.saveVars(), len(c.vars)
	lb := &block{}
	c.list(lb, r.List, c.slotAval(elemSlot))
	c.popVars(m)
	c.restoreVars(saved)
	eb := &block{}
	c.list(eb, r.ElseList, dot)
	c.popVars(m)
	c.restoreVars(saved)
	body, els := lb.done(), eb.done()
	decls := len(r.Pipe.Decl)
	b.add(func(s *state) ctl {
		v, ok := coll(s)
		if !ok {
			return cFail
		}
		result := cNext
		n, ok := iterate(v, decls, func(k, e value) bool {
			if keySlot >= 0 {
				s.slots[keySlot] = k
			}
			s.slots[elemSlot] = e
			switch run(body, s) {
			case cBreak:
				return false
			case cFail:
				result = cFail
				return false
			}
			return true
		})
		if !ok {
			return cFail
		}
		if result != cNext {
			return result
		}
		if n == 0 {
			return run(els, s)
		}
		return cNext
	})
}

// unroll compiles a range over a constant collection element by element.
func (c *compiler) unroll(b *block, r *parse.RangeNode, elems [][2]value, dot aval) {
	if len(elems) == 0 {
		c.list(b, r.ElseList, dot)
		return
	}
	for _, ke := range elems {
		mark := len(c.vars)
		k, e := static(ke[0]), static(ke[1])
		switch len(r.Pipe.Decl) {
		case 0:
		case 1:
			c.vars = append(c.vars, cvar{name: r.Pipe.Decl[0].Ident[0], slot: c.newSlot(), av: e})
		default:
			c.vars = append(c.vars,
				cvar{name: r.Pipe.Decl[0].Ident[0], slot: c.newSlot(), av: k},
				cvar{name: r.Pipe.Decl[1].Ident[0], slot: c.newSlot(), av: e})
		}
		c.list(b, r.List, e)
		c.popVars(mark)
	}
}

// hasBranch reports whether a range body breaks or continues its loop.
func hasBranch(l *parse.ListNode) bool {
	found := false
	var visit func(n parse.Node)
	visit = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.BreakNode, *parse.ContinueNode:
			found = true
		case *parse.ListNode:
			if n != nil {
				for _, x := range n.Nodes {
					visit(x)
				}
			}
		case *parse.IfNode:
			visit(n.List)
			visit(n.ElseList)
		case *parse.WithNode:
			visit(n.List)
			visit(n.ElseList)
		case *parse.RangeNode:
			visit(n.ElseList) // its own body's break is its own
		}
	}
	visit(l)
	return found
}

// iterate calls fn with (index or key, element) for each element of v, in
// text/template's order, until fn returns false; n is the number of
// elements. ok is false where text/template's range fails or that this
// package does not run (channels, iterator functions, maps with keys that
// are not strings).
func iterate(v value, decls int, fn func(k, e value) bool) (n int, ok bool) {
	switch v.k {
	case kInvalid:
		return 0, true
	case kInt:
		if decls > 1 {
			return 0, false
		}
		for i := range v.int() {
			n++
			if !fn(value{}, intV(i)) {
				break
			}
		}
		return n, true
	case kRefl:
	default:
		return 0, false
	}
	r, isNil := indirect(v.r)
	if isNil {
		return 0, false
	}
	switch r.Kind() {
	case reflect.Array, reflect.Slice:
		switch xs := r; xs.Type() {
		case anySliceType:
			for i, x := range mapOf[[]any](xs) {
				n++
				if !fn(intV(i), fromAny(x)) {
					break
				}
			}
			return n, true
		}
		for i := range r.Len() {
			n++
			if !fn(intV(i), fromReflect(r.Index(i))) {
				break
			}
		}
		return n, true
	case reflect.Map:
		if r.Type().Key().Kind() != reflect.String {
			return 0, false
		}
		if r.Type() == mapStringAny {
			m := mapOf[map[string]any](r)
			for _, k := range sortedKeys(r) {
				n++
				if !fn(fromReflect(k), fromAny(m[k.String()])) {
					break
				}
			}
			return n, true
		}
		for _, k := range sortedKeys(r) {
			n++
			if !fn(fromReflect(k), fromReflect(r.MapIndex(k))) {
				break
			}
		}
		return n, true
	}
	return 0, false
}

var anySliceType = reflect.TypeFor[[]any]()

// ---- variables ----

func (c *compiler) newSlot() int {
	c.nslots++
	return c.nslots - 1
}

func (c *compiler) slotAval(slot int) aval {
	return dyn(func(s *state) (value, bool) { return s.slots[slot], true })
}

func (c *compiler) popVars(mark int) { c.vars = c.vars[:mark] }

func (c *compiler) lookupVar(name string) int {
	for i := len(c.vars) - 1; i >= 0; i-- {
		if c.vars[i].name == name {
			return i
		}
	}
	c.refuse("undefined variable %s", name)
	return -1
}

func (c *compiler) saveVars() []aval {
	out := make([]aval, len(c.vars))
	for i := range c.vars {
		out[i] = c.vars[i].av
	}
	return out
}

func (c *compiler) restoreVars(saved []aval) {
	for i := range saved {
		c.vars[i].av = saved[i]
	}
}

// dynamicVars makes every variable the lists may assign a run-time one
// (its slot filled with its value now), since after them the compiler no
// longer knows which value it holds.
func (c *compiler) dynamicVars(b *block, lists ...*parse.ListNode) {
	candidates := false
	for i := range c.vars {
		candidates = candidates || c.assigned[c.vars[i].name]
	}
	if !candidates {
		return
	}
	names := map[string]bool{}
	for _, l := range lists {
		if l == nil {
			continue
		}
		walk(l, func(n parse.Node) {
			if p, ok := n.(*parse.PipeNode); ok && p.IsAssign {
				for _, d := range p.Decl {
					names[d.Ident[0]] = true
				}
			}
		})
	}
	for i := range c.vars {
		v := &c.vars[i]
		if !names[v.name] {
			continue
		}
		if v.slot < 0 {
			v.slot = c.newSlot()
			v.stored = false
		}
		if !v.stored || v.av.k != aDyn {
			slot, e := v.slot, v.av.runtime()
			b.add(func(s *state) ctl {
				x, ok := e(s)
				if !ok {
					return cFail
				}
				s.slots[slot] = x
				return cNext
			})
		}
		v.av, v.stored = c.slotAval(v.slot), true
	}
}

// ---- pipelines ----

// pipe compiles a pipeline and its declaration or assignment.
func (c *compiler) pipe(b *block, p *parse.PipeNode, dot aval) aval {
	av := c.cmds(b, p, dot)
	if len(p.Decl) == 0 {
		return av
	}
	if len(p.Decl) > 1 {
		c.refuse("pipeline declares %d variables", len(p.Decl))
	}
	name := p.Decl[0].Ident[0]
	var v *cvar
	if p.IsAssign {
		v = &c.vars[c.lookupVar(name)]
		if v.slot < 0 {
			v.slot = c.newSlot()
		}
	} else {
		c.vars = append(c.vars, cvar{name: name, slot: c.newSlot()})
		v = &c.vars[len(c.vars)-1]
	}
	if !p.IsAssign && av.k != aDyn {
		// A declaration of a constant needs no slot until a variable it
		// shares a name with is assigned at run time (dynamicVars).
		v.av, v.stored = av, false
		return av
	}
	slot, e := v.slot, av.runtime()
	store := func(s *state) (value, bool) {
		x, ok := e(s)
		if ok {
			s.slots[slot] = x
		}
		return x, ok
	}
	if av.k == aDyn {
		v.av, v.stored = c.slotAval(slot), true
		return dyn(store)
	}
	// An assignment of a constant: stored when the program runs (it may be
	// read from its slot after a branch), known to the compiler until then.
	b.add(func(s *state) ctl {
		if _, ok := store(s); !ok {
			return cFail
		}
		return cNext
	})
	v.av, v.stored = av, true
	return av
}

// cmds compiles a pipeline's commands, each given the previous one's value
// as its last argument.
func (c *compiler) cmds(b *block, p *parse.PipeNode, dot aval) aval {
	if p == nil {
		return static(value{})
	}
	var final *aval
	var av aval
	for _, cmd := range p.Cmds {
		av = c.unwrap(c.command(b, cmd, dot, final))
		f := av
		final = &f
	}
	return av
}

// unwrap is text/template's look through an empty interface after each
// command: a nil one becomes no value.
func (c *compiler) unwrap(a aval) aval {
	switch a.k {
	case aStatic:
		return static(a.v.unwrapped())
	case aDyn:
		if a.nonil {
			return a
		}
		e := a.e
		return dyn(func(s *state) (value, bool) {
			v, ok := e(s)
			return v.unwrapped(), ok
		})
	}
	return a
}

// nonNil is a marked as never giving kNil (see aval.nonil).
func nonNil(a aval) aval {
	a.nonil = a.k == aDyn
	return a
}

func (c *compiler) command(b *block, cmd *parse.CommandNode, dot aval, final *aval) aval {
	args := cmd.Args[1:]
	switch n := cmd.Args[0].(type) {
	case *parse.FieldNode:
		return c.fieldChain(b, dot, dot, n.Ident, args, final)
	case *parse.ChainNode:
		return c.chain(b, n, dot, args, final)
	case *parse.IdentifierNode:
		return c.function(b, n.Ident, dot, args, final)
	case *parse.VariableNode:
		return c.variable(b, n, dot, args, final)
	}
	if len(args) > 0 || final != nil {
		return failed // arguments to a non-function
	}
	switch n := cmd.Args[0].(type) {
	case *parse.PipeNode:
		return c.nested(b, n, dot)
	case *parse.BoolNode:
		return static(boolV(n.True))
	case *parse.DotNode:
		return dot
	case *parse.StringNode:
		return static(strV(n.Text))
	case *parse.NumberNode:
		v, ok := idealConstant(n)
		if !ok {
			return failed
		}
		return static(v)
	}
	return failed // nil is not a command
}

func (c *compiler) chain(b *block, n *parse.ChainNode, dot aval, args []parse.Node, final *aval) aval {
	p, ok := n.Node.(*parse.PipeNode)
	if !ok {
		c.refuse("chain on %s", n.Node)
	}
	return c.fieldChain(b, dot, c.nested(b, p, dot), n.Field, args, final)
}

// nested compiles a parenthesized pipeline. One that declares a variable
// is refused: text/template may skip it (and, or), which the compiler
// could not follow.
func (c *compiler) nested(b *block, p *parse.PipeNode, dot aval) aval {
	if len(p.Decl) > 0 {
		c.refuse("declaration in a parenthesized pipeline")
	}
	return c.cmds(b, p, dot)
}

func (c *compiler) variable(b *block, n *parse.VariableNode, dot aval, args []parse.Node, final *aval) aval {
	v := c.vars[c.lookupVar(n.Ident[0])].av
	if len(n.Ident) == 1 {
		if len(args) > 0 || final != nil {
			return failed
		}
		return v
	}
	return c.fieldChain(b, dot, v, n.Ident[1:], args, final)
}

// idealConstant is a number written in the template, typed by its syntax.
func idealConstant(n *parse.NumberNode) (value, bool) {
	switch {
	case n.IsComplex:
		return value{k: kRefl, r: reflect.ValueOf(n.Complex128)}, true
	case n.IsFloat && !isHexInt(n.Text) && !isRuneInt(n.Text) && containsAny(n.Text, ".eEpP"):
		return floatV(n.Float64), true
	case n.IsInt:
		return intV(int(n.Int64)), true
	}
	return value{}, false
}

func isRuneInt(s string) bool { return len(s) > 0 && s[0] == '\'' }

func isHexInt(s string) bool {
	return len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && !containsAny(s, "pP")
}

func containsAny(s, chars string) bool {
	for i := 0; i < len(s); i++ {
		for j := 0; j < len(chars); j++ {
			if s[i] == chars[j] {
				return true
			}
		}
	}
	return false
}

// constArg is a constant written as the argument of a parameter of type
// t, converted as text/template converts it; ok is false where it fails.
func constArg(n parse.Node, t reflect.Type) (value, bool) {
	if _, ok := n.(*parse.NilNode); ok {
		if canBeNil(t) {
			return value{}, true
		}
		return value{}, false
	}
	if t == reflectValT || (t.Kind() == reflect.Interface && t.NumMethod() == 0) {
		switch n := n.(type) {
		case *parse.BoolNode:
			return boolV(n.True), true
		case *parse.NumberNode:
			return idealConstant(n)
		case *parse.StringNode:
			return strV(n.Text), true
		}
		return value{}, false
	}
	nv := reflect.New(t).Elem()
	switch t.Kind() {
	case reflect.Bool:
		n, ok := n.(*parse.BoolNode)
		if !ok {
			return value{}, false
		}
		nv.SetBool(n.True)
	case reflect.String:
		n, ok := n.(*parse.StringNode)
		if !ok {
			return value{}, false
		}
		nv.SetString(n.Text)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := n.(*parse.NumberNode)
		if !ok || !n.IsInt {
			return value{}, false
		}
		nv.SetInt(n.Int64)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n, ok := n.(*parse.NumberNode)
		if !ok || !n.IsUint {
			return value{}, false
		}
		nv.SetUint(n.Uint64)
	case reflect.Float32, reflect.Float64:
		n, ok := n.(*parse.NumberNode)
		if !ok || !n.IsFloat {
			return value{}, false
		}
		nv.SetFloat(n.Float64)
	case reflect.Complex64, reflect.Complex128:
		n, ok := n.(*parse.NumberNode)
		if !ok || !n.IsComplex {
			return value{}, false
		}
		nv.SetComplex(n.Complex128)
	default:
		return value{}, false
	}
	return fromReflectKeep(nv), true
}

func isConstant(n parse.Node) bool {
	switch n.(type) {
	case *parse.BoolNode, *parse.NumberNode, *parse.StringNode, *parse.NilNode:
		return true
	}
	return false
}

// arg compiles an argument for a parameter of type t.
func (c *compiler) arg(b *block, n parse.Node, t reflect.Type, dot aval) aval {
	if isConstant(n) {
		v, ok := constArg(n, t)
		if !ok {
			return failed
		}
		return static(v)
	}
	return c.assign(c.operand(b, n, dot), t)
}

// operand compiles an argument that is not a constant, unconverted.
func (c *compiler) operand(b *block, n parse.Node, dot aval) aval {
	switch n := n.(type) {
	case *parse.DotNode:
		return dot
	case *parse.FieldNode:
		return c.fieldChain(b, dot, dot, n.Ident, nil, nil)
	case *parse.VariableNode:
		return c.variable(b, n, dot, nil, nil)
	case *parse.PipeNode:
		return c.nested(b, n, dot)
	case *parse.IdentifierNode:
		return c.function(b, n.Ident, dot, nil, nil)
	case *parse.ChainNode:
		return c.chain(b, n, dot, nil, nil)
	}
	c.refuse("argument %s", n)
	return failed
}

// assign converts a compiled value for a parameter of type t.
func (c *compiler) assign(a aval, t reflect.Type) aval {
	if t == reflectValT {
		return a // assign leaves every value as it is
	}
	if t.Kind() == reflect.Interface && t.NumMethod() == 0 {
		// assign leaves every value as it is. A constant is only ever
		// made an interface now: made one, it need not be copied on each
		// call (an addressable struct would be).
		if a.k == aStatic && a.v.k == kRefl && a.v.r.Kind() != reflect.Interface && a.v.r.CanInterface() {
			return static(value{k: kRefl, r: reflect.ValueOf(a.v.r.Interface())})
		}
		return a
	}
	if a.k == aStatic {
		v, ok := assign(a.v, t)
		if !ok {
			return failed
		}
		return static(v)
	}
	e := a.runtime()
	if t == stringType {
		return dyn(func(s *state) (value, bool) {
			v, ok := e(s)
			if !ok {
				return value{}, false
			}
			if v.k == kString {
				return v, true
			}
			return assign(v, t)
		})
	}
	return dyn(func(s *state) (value, bool) {
		v, ok := e(s)
		if !ok {
			return value{}, false
		}
		if v.k == kRefl && v.r.Type() == t {
			return v, true // what assign does, without its checks
		}
		return assign(v, t)
	})
}

// ---- fields and methods ----

func (c *compiler) fieldChain(b *block, dot, recv aval, idents []string, args []parse.Node, final *aval) aval {
	for i := 0; i < len(idents); i++ {
		last := i == len(idents)-1
		plain := !last || len(args) == 0 && final == nil // a field, or a method without arguments
		if plain && recv.k != aStatic && !c.staticField(recv, idents[i]) {
			// Run time from here on: the names up to the one given
			// arguments are walked by one chain.
			n := len(idents) - i
			if len(args) > 0 || final != nil {
				n--
			}
			var e expr
			if recv.k != aRoot {
				e = recv.runtime()
			}
			recv = dyn(newChainOp(e, idents[i:i+n]).eval)
			i += n - 1
			continue
		}
		if last {
			recv = c.field(b, dot, recv, idents[i], args, final)
		} else {
			recv = c.field(b, dot, recv, idents[i], nil, nil)
		}
	}
	return recv
}

// staticField reports whether .name on recv, the data, is one of its
// fixed fields (a constant).
func (c *compiler) staticField(recv aval, name string) bool {
	return recv.k == aRoot && c.hasFixed && c.static[name] && !hasMethod(c.fixed.r, name)
}

// field compiles .name on recv, a call when it is a method (with args and
// final as its arguments).
func (c *compiler) field(b *block, dot, recv aval, name string, args []parse.Node, final *aval) aval {
	if len(args) == 0 && final == nil && c.staticField(recv, name) {
		recv = static(c.fixed)
	}
	op := &fieldOp{name: name}
	for _, a := range args {
		if isConstant(a) {
			op.args = append(op.args, argc{node: a})
			continue
		}
		op.args = append(op.args, argc{e: c.operand(b, a, dot).runtime()})
	}
	allStatic := recv.k == aStatic && (final == nil || final.k == aStatic)
	for _, a := range args {
		if !isConstant(a) {
			allStatic = false
		}
	}
	op.recv = recv.runtime()
	if final != nil {
		op.final = final.runtime()
	}
	if allStatic {
		if v, ok := c.foldExpr(op.eval); ok {
			return static(v)
		}
		return failed
	}
	return dyn(op.eval)
}

// hasMethod reports whether the data r points to has a method name.
func hasMethod(r reflect.Value, name string) bool {
	_, ok := r.Type().MethodByName(name)
	if !ok && r.Kind() == reflect.Pointer {
		_, ok = r.Type().Elem().MethodByName(name)
	}
	return ok
}

// argc is an argument of a method call, converted when the method's
// parameter types are known (when it runs).
type argc struct {
	node parse.Node // a constant
	e    expr       // otherwise
}

func (a argc) eval(s *state, t reflect.Type) (value, bool) {
	if a.e == nil {
		return constArg(a.node, t)
	}
	v, ok := a.e(s)
	if !ok {
		return value{}, false
	}
	return assign(v, t)
}

// fieldOp is .name evaluated on a value known when the program runs.
type fieldOp struct {
	name  string
	recv  expr
	args  []argc
	final expr
	plan  atomic.Pointer[fieldPlan] // for the receiver type last seen
}

// fieldPlan is how .name resolves on one type (of the receiver after
// following pointers, addressed when it is addressable).
type fieldPlan struct {
	t        reflect.Type
	method   int   // index in t's method set, or -1
	field    []int // struct field index, when not a method
	exported bool
}

func (op *fieldOp) eval(s *state) (value, bool) {
	recv, ok := op.recv(s)
	if !ok {
		return value{}, false
	}
	var final value
	if op.final != nil {
		if final, ok = op.final(s); !ok {
			return value{}, false
		}
	}
	return op.evalOn(s, recv, final)
}

// evalOn is .name on recv, given the pipeline's value final when op has
// one.
func (op *fieldOp) evalOn(s *state, recv, final value) (value, bool) {
	hasArgs := len(op.args) > 0 || op.final != nil
	switch recv.k {
	case kInvalid:
		return value{}, true
	case kRefl:
	default:
		return value{}, false // no methods or fields on nil, string, bool, int, float64
	}
	r := recv.r
	if !hasArgs && r.Kind() == reflect.Map {
		switch r.Type() {
		case mapStringAny:
			x, ok := mapOf[map[string]any](r)[op.name]
			if !ok {
				return value{}, true
			}
			return fromAny(x), true
		case mapStringString:
			x, ok := mapOf[map[string]string](r)[op.name]
			if !ok {
				return value{}, true
			}
			return strV(x), true
		}
	}
	r, isNil := indirect(r)
	if r.Kind() == reflect.Interface && isNil {
		return value{}, false
	}
	ptr := r
	if k := ptr.Kind(); k != reflect.Interface && k != reflect.Pointer && ptr.CanAddr() {
		ptr = ptr.Addr()
	}
	plan := op.plan.Load()
	if plan == nil || plan.t != ptr.Type() {
		plan = newFieldPlan(ptr.Type(), r, op.name)
		op.plan.Store(plan)
	}
	if plan.method >= 0 {
		return callReflect(s, ptr.Method(plan.method), op.args, final, op.final != nil)
	}
	switch r.Kind() {
	case reflect.Struct:
		if plan.field == nil || !plan.exported || hasArgs {
			return value{}, false
		}
		var f reflect.Value
		if len(plan.field) == 1 {
			f = r.Field(plan.field[0])
		} else {
			var err error
			if f, err = r.FieldByIndexErr(plan.field); err != nil {
				return value{}, false
			}
		}
		return fromReflect(f), true
	case reflect.Map:
		kt := r.Type().Key()
		if !stringType.AssignableTo(kt) || hasArgs {
			return value{}, false
		}
		e := r.MapIndex(reflect.ValueOf(op.name))
		if !e.IsValid() {
			return value{}, true
		}
		return fromReflect(e), true
	}
	return value{}, false
}

func newFieldPlan(t reflect.Type, r reflect.Value, name string) *fieldPlan {
	p := &fieldPlan{t: t, method: -1}
	if m, ok := t.MethodByName(name); ok {
		p.method = m.Index
		return p
	}
	if r.Kind() == reflect.Struct {
		if f, ok := r.Type().FieldByName(name); ok {
			p.field, p.exported = f.Index, f.IsExported()
		}
	}
	return p
}

// callReflect calls a method with arguments converted for its parameters,
// as text/template does.
func callReflect(s *state, fn reflect.Value, args []argc, final value, hasFinal bool) (v value, ok bool) {
	t := fn.Type()
	numIn := len(args)
	if hasFinal {
		numIn++
	}
	numFixed := len(args)
	if t.IsVariadic() {
		numFixed = t.NumIn() - 1
		if numIn < numFixed {
			return value{}, false
		}
	} else if numIn != t.NumIn() {
		return value{}, false
	}
	if !(t.NumOut() == 1 || t.NumOut() == 2 && t.Out(1) == errorType) {
		return value{}, false
	}
	in := make([]reflect.Value, numIn)
	i := 0
	for ; i < numFixed && i < len(args); i++ {
		a, ok := args[i].eval(s, t.In(i))
		if !ok {
			return value{}, false
		}
		in[i] = reflectArg(a, t.In(i))
	}
	if t.IsVariadic() {
		et := t.In(t.NumIn() - 1).Elem()
		for ; i < len(args); i++ {
			a, ok := args[i].eval(s, et)
			if !ok {
				return value{}, false
			}
			in[i] = reflectArg(a, et)
		}
	}
	if hasFinal {
		ft := t.In(t.NumIn() - 1)
		if t.IsVariadic() {
			if numIn-1 < numFixed {
				ft = t.In(numIn - 1)
			} else {
				ft = ft.Elem()
			}
		}
		a, ok := assign(final, ft)
		if !ok {
			return value{}, false
		}
		in[i] = reflectArg(a, ft)
	}
	// A panic is recovered by Execute or, at Compile, by foldExpr.
	out := fn.Call(in)
	if len(out) == 2 && !out[1].IsNil() {
		return value{}, false
	}
	r := out[0]
	if r.Type() == reflectValT {
		r = r.Interface().(reflect.Value)
	}
	return fromReflect(r), true
}

// ---- functions ----

func (c *compiler) function(b *block, name string, dot aval, args []parse.Node, final *aval) aval {
	if f, ok := c.funcs[name]; ok {
		return c.call(b, f, dot, args, final)
	}
	switch name {
	case "and", "or":
		return c.andOr(b, name == "or", dot, args, final)
	case "not", "len":
		if len(args)+btoi(final != nil) != 1 {
			return failed
		}
	case "eq", "index", "printf":
		if len(args)+btoi(final != nil) < 1 {
			return failed
		}
	case "ne", "lt", "le", "gt", "ge":
		if len(args)+btoi(final != nil) != 2 {
			return failed
		}
	case "print", "println":
	default:
		c.refuse("function %s", name)
	}
	// The builtins see their operands as they are; print's take any and
	// printf's format is a string.
	pt := func(i int) reflect.Type {
		switch {
		case name == "printf" && i == 0:
			return stringType
		case name == "print" || name == "println" || name == "printf":
			return anyType
		}
		return reflectValT
	}
	ops := make([]aval, 0, len(args)+1)
	for i, a := range args {
		ops = append(ops, c.arg(b, a, pt(i), dot))
	}
	if final != nil {
		ops = append(ops, c.assign(*final, pt(len(args))))
	}
	a := c.apply(ops, func(a []value) (value, bool) {
		switch name {
		case "not":
			t, _ := truth(a[0])
			return boolV(!t), true
		case "len":
			return length(a[0])
		case "eq":
			return eq(a)
		case "index":
			return index(a[0], a[1:])
		case "print", "println", "printf":
			return printArgs(name, a)
		}
		return compare(name, a[0], a[1])
	})
	if name != "index" {
		a = nonNil(a) // a bool, an int or a string
	}
	return a
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// call compiles a call of a FuncMap function.
func (c *compiler) call(b *block, f *function, dot aval, args []parse.Node, final *aval) aval {
	n := len(args) + btoi(final != nil)
	if !f.arity(n) {
		return failed
	}
	ops := make([]aval, 0, n)
	for i, a := range args {
		ops = append(ops, c.arg(b, a, f.param(i), dot))
	}
	if final != nil {
		ops = append(ops, c.assign(*final, f.param(n-1)))
	}
	call := f.call
	a := c.apply(ops, func(a []value) (value, bool) {
		// A panic is recovered by Execute, which declines (text/template
		// reports it as an error), or by foldCall at Compile.
		v, err := call(a)
		return v, err == nil
	})
	if out := f.t.Out(0); out.Kind() != reflect.Interface && out != reflectValT {
		// fromReflect gives kNil only for an interface.
		a = nonNil(a)
	}
	return a
}

// apply compiles fn applied to operands: folded when all are constants.
func (c *compiler) apply(ops []aval, fn func([]value) (value, bool)) aval {
	allStatic := true
	for _, o := range ops {
		if o.k != aStatic {
			allStatic = false
		}
	}
	if allStatic {
		vs := make([]value, len(ops))
		for i, o := range ops {
			vs[i] = o.v
		}
		v, ok := foldCall(fn, vs)
		if !ok {
			return failed
		}
		return static(v)
	}
	es := make([]expr, len(ops))
	for i, o := range ops {
		es[i] = o.runtime()
	}
	return dyn(func(s *state) (value, bool) {
		base := len(s.stack)
		for _, e := range es {
			v, ok := e(s)
			if !ok {
				s.stack = s.stack[:base]
				return value{}, false
			}
			s.stack = append(s.stack, v)
		}
		v, ok := fn(s.stack[base:])
		// Not cleared: Execute clears the whole stack once, at the end.
		s.stack = s.stack[:base]
		return v, ok
	})
}

// foldCall is fn(a) at Compile, where a panic of a function (which
// text/template reports as an error) compiles to a failure. When the
// program runs, Execute recovers it instead: the program declines.
func foldCall(fn func([]value) (value, bool), a []value) (v value, ok bool) {
	defer func() {
		if recover() != nil {
			v, ok = value{}, false
		}
	}()
	return fn(a)
}

// foldExpr is e run by the compiler on the fixed data (see foldCall).
func (c *compiler) foldExpr(e expr) (v value, ok bool) {
	defer func() {
		if recover() != nil {
			v, ok = value{}, false
		}
	}()
	return e(c.fold)
}

// andOr compiles and (or), which stop at the first false (true) operand
// and return it, or else the last. The pipeline's value, when there is
// one, is the last operand, and computed first (it is the previous
// command).
func (c *compiler) andOr(b *block, or bool, dot aval, args []parse.Node, final *aval) aval {
	if len(args)+btoi(final != nil) < 1 {
		return failed
	}
	var fin expr
	if final != nil && final.k == aDyn {
		fin = final.e
	}
	ops := make([]aval, 0, len(args)+1)
	prefix := true // every operand so far is a constant
	for _, a := range args {
		o := c.arg(b, a, reflectValT, dot)
		if prefix && o.k == aStatic {
			if t, _ := truth(o.v); t == or {
				if fin == nil {
					return o // decided before anything run-time
				}
				v := o.v
				return dyn(func(s *state) (value, bool) {
					if _, ok := fin(s); !ok {
						return value{}, false
					}
					return v, true
				})
			}
		} else {
			prefix = false
		}
		ops = append(ops, o)
	}
	allStatic := final == nil || final.k == aStatic
	for _, o := range ops {
		if o.k != aStatic {
			allStatic = false
		}
	}
	es := make([]expr, len(ops))
	for i, o := range ops {
		es[i] = o.runtime()
	}
	var last expr
	if final != nil {
		last = final.runtime()
	}
	eval := func(s *state) (value, bool) {
		var fv value
		if last != nil {
			var ok bool
			if fv, ok = last(s); !ok {
				return value{}, false
			}
		}
		var v value
		for _, e := range es {
			x, ok := e(s)
			if !ok {
				return value{}, false
			}
			if t, _ := truth(x); t == or {
				return x, true
			}
			v = x
		}
		if last != nil {
			return fv, true
		}
		return v, true
	}
	if allStatic {
		v, _ := eval(c.fold)
		return static(v)
	}
	return dyn(eval)
}
