package template

import (
	"bytes"
	"reflect"
	"sync"
	"text/template"

	"github.com/kinject/kinject/internal/codec"
	"github.com/kinject/kinject/template/internal/texteval"
)

// compiledTemplates says whether templates run compiled: not in a build
// with the kinject_reference tag, which turns every fast path off.
const compiledTemplates = codec.Fast

// Templates run compiled (package texteval): each template is compiled
// once at Parse into a program that evaluates without text/template's
// reflection where it can, and, by Specialize, once more for one
// injector's configuration, with everything that depends on the
// configuration alone computed in advance. text/template stays the
// reference: a program declines whatever it does not do exactly as
// text/template does (errors included, which text/template then reports),
// and the build tag kinject_reference makes every program decline.
// Equivalence: TestCompiledMatchesReference (every corpus case, template
// and pod), the goldens (which run the programs), FuzzCompiledTemplates,
// and texteval's own table and fuzz tests against text/template.

// mutatingFuncs change their arguments: a template calling one is left to
// text/template, since a compiled program shares values between runs.
var mutatingFuncs = []string{"set", "unset", "merge"}

// stringForms are the functions' forms for string arguments
// (texteval.Options.StringForms): Istio's sidecar template writes most of
// what it reads of a pod through quote and chains of default.
var stringForms = map[string]texteval.StringForm{
	"quote":   {One: quoteString},
	"default": {Two: defaultString},
}

// configFields are the fields of Data that come from the injector's
// configuration, the same for every pod: a specialised program computes
// what depends on them alone once.
var configFields = []string{"Values", "Revision", "NativeSidecars", "InboundTrafficPolicyMode", "CompliancePolicy", "MeshConfig", "ProxyConfig"}

// compileAll prepares each template's program (nil config: for any Data),
// compiled when the template is first rendered: a configuration holds
// templates an injector never renders (the gateway controller's), and
// compiling takes about as long as parsing.
func compileAll(tmpls map[string]*template.Template, funcs template.FuncMap, config *Data) map[string]*lazyProgram {
	if !compiledTemplates {
		return nil
	}
	opts := texteval.Options{Funcs: funcs, Mutating: mutatingFuncs, StringForms: stringForms}
	if config != nil {
		opts.Data, opts.Static = config, configFields
	}
	out := make(map[string]*lazyProgram, len(tmpls))
	for name, t := range tmpls {
		out[name] = &lazyProgram{t: t, opts: opts}
	}
	return out
}

// lazyProgram is a template's program, compiled once on first use. A
// template the compiler refuses has none and runs on text/template.
type lazyProgram struct {
	once sync.Once
	t    *template.Template
	opts texteval.Options
	p    *texteval.Program
}

func (l *lazyProgram) get() *texteval.Program {
	if l == nil {
		return nil
	}
	l.once.Do(func() {
		if p, err := texteval.Compile(l.t, l.opts); err == nil {
			l.p = p
		}
	})
	return l.p
}

// specialization is a Set's templates compiled for one configuration.
type specialization struct {
	config *Data
	values reflect.Value
	progs  map[string]*lazyProgram
}

// Specialize returns a Set with s's templates that renders every Data
// exactly as s does, and Data whose configuration fields (Values,
// MeshConfig, ProxyConfig, Revision, NativeSidecars,
// InboundTrafficPolicyMode, CompliancePolicy) are config's (the same maps
// and pointers) several times faster: what the templates compute from the
// configuration alone is computed here, once. An injector calls it once,
// with the configuration every pod shares.
//
// config's fields are read now; neither they nor what they point to may
// change afterwards (Data is only read by rendering, and the maps and
// pointers are the injector's own).
func (s *Set) Specialize(config *Data) *Set {
	out := &Set{names: s.names, tmpls: s.tmpls, sources: s.sources, aliases: s.aliases, funcs: s.funcs, progs: s.progs, reads: s.reads, sections: s.sections}
	out.bufs.New = func() any { return new(bytes.Buffer) }
	if config == nil || !compiledTemplates {
		return out
	}
	c := &Data{
		Values:                   config.Values,
		Revision:                 config.Revision,
		NativeSidecars:           config.NativeSidecars,
		InboundTrafficPolicyMode: config.InboundTrafficPolicyMode,
		CompliancePolicy:         config.CompliancePolicy,
		MeshConfig:               config.MeshConfig,
		ProxyConfig:              config.ProxyConfig,
	}
	out.spec = &specialization{config: c, values: reflect.ValueOf(c.Values), progs: compileAll(s.tmpls, s.funcs, c)}
	return out
}

// matches reports whether d has the configuration the programs were
// specialised for.
func (sp *specialization) matches(d *Data) bool {
	c := sp.config
	return d.MeshConfig == c.MeshConfig && d.ProxyConfig == c.ProxyConfig && d.Revision == c.Revision &&
		d.NativeSidecars == c.NativeSidecars && d.InboundTrafficPolicyMode == c.InboundTrafficPolicyMode &&
		d.CompliancePolicy == c.CompliancePolicy && sameMap(d.Values, sp.values)
}

func sameMap(m map[string]any, v reflect.Value) bool {
	if m == nil || !v.IsValid() || v.IsNil() {
		return m == nil && (!v.IsValid() || v.IsNil())
	}
	return reflect.ValueOf(m).UnsafePointer() == v.UnsafePointer()
}

// program is the compiled program that renders name for d, or nil.
func (s *Set) program(name string, d *Data) *texteval.Program {
	if s.spec != nil && d != nil && s.spec.matches(d) {
		if p := s.spec.progs[name].get(); p != nil {
			return p
		}
	}
	return s.progs[name].get()
}

// execute renders name for d with its compiled program into buf's spare
// capacity; ok is false when there is none or it declines.
func (s *Set) execute(name string, buf *bytes.Buffer, d *Data) ([]byte, bool) {
	p := s.program(name, d)
	if p == nil {
		return nil, false
	}
	out, ok := p.Execute(buf.AvailableBuffer(), d)
	if ok && cap(out) > buf.Cap() {
		// Keep the grown buffer for the next render.
		*buf = *bytes.NewBuffer(out[:0])
	}
	return out, ok
}
