package template

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"text/template"

	"github.com/kinject/kinject/template/internal/reads"
)

// ErrUnknownTemplate is returned (wrapped, with the known names) when Render
// or Apply is asked for a template the Set does not hold.
var ErrUnknownTemplate = errors.New("unknown template")

// Options are the parse-time settings of a Set.
type Options struct {
	// Aliases maps a name to the templates it stands for, expanded one level
	// (an alias naming another alias is not expanded again), as Istio's
	// injection config "aliases" key does.
	Aliases map[string][]string
	// Env is what the env template function reads. Nothing reads the
	// process environment.
	Env map[string]string
}

// Set is a parsed collection of named templates. It is immutable and safe
// for concurrent use.
type Set struct {
	names   []string
	tmpls   map[string]*template.Template
	sources map[string]string
	aliases map[string][]string
	reads   map[string]reads.Result // what each template may read of Data
	bufs    sync.Pool
	// progs are the templates compiled for any Data (see compiled.go);
	// spec, set by Specialize, those compiled for one configuration.
	funcs template.FuncMap
	progs map[string]*lazyProgram
	spec  *specialization
	// sections remembers the parsed top-level entries of rendered
	// output (yamlfast.go); nil parses every time.
	sections *sectionMemo
}

// Parse parses each template of templates under its name, with the
// functions of FuncMap(opts.Env). An error names the template and the line.
// The templates map and opts are copied; later changes to them do not affect
// the Set.
func Parse(templates map[string]string, opts Options) (*Set, error) {
	s := &Set{
		tmpls:   make(map[string]*template.Template, len(templates)),
		sources: make(map[string]string, len(templates)),
		aliases: make(map[string][]string, len(opts.Aliases)),
		reads:   make(map[string]reads.Result, len(templates)),
	}
	s.bufs.New = func() any { return new(bytes.Buffer) }
	s.sections = newSectionMemo()
	funcs := FuncMap(opts.Env)
	for name := range templates {
		s.names = append(s.names, name)
	}
	sort.Strings(s.names)
	var errs []error
	for _, name := range s.names {
		t, err := template.New(name).Funcs(funcs).Parse(templates[name])
		if err != nil {
			errs = append(errs, fmt.Errorf("parse template %q: %w", name, err))
			continue
		}
		s.tmpls[name] = t
		s.sources[name] = templates[name]
		s.reads[name] = analyzeReads(t, funcs)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for k, v := range opts.Aliases {
		s.aliases[k] = append([]string(nil), v...)
	}
	s.funcs = funcs
	s.progs = compileAll(s.tmpls, funcs, nil)
	return s, nil
}

// Names returns the template names, sorted.
func (s *Set) Names() []string { return append([]string(nil), s.names...) }

// Expand replaces each alias in names by the templates it stands for (one
// level) and trims spaces, the way Istio resolves inject.istio.io/templates
// and defaultTemplates. It does not check that the names exist.
func (s *Set) Expand(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		n = strings.TrimSpace(n)
		if a, ok := s.aliases[n]; ok {
			out = append(out, a...)
			continue
		}
		out = append(out, n)
	}
	return out
}

func (s *Set) lookup(name string) (*template.Template, error) {
	t, ok := s.tmpls[name]
	if !ok {
		return nil, fmt.Errorf("%w %q; have %s", ErrUnknownTemplate, name, strings.Join(s.names, ", "))
	}
	return t, nil
}

// Render executes the named template (aliases are not expanded) with d as
// its dot and returns the output. An error names the template and line.
func (s *Set) Render(name string, d *Data) ([]byte, error) {
	var out []byte
	err := s.render(name, d, func(b []byte) error {
		out = bytes.Clone(b)
		return nil
	})
	return out, err
}

// render executes the named template into a pooled buffer and passes the
// output to use, which must not keep it.
func (s *Set) render(name string, d *Data, use func([]byte) error) error {
	t, err := s.lookup(name)
	if err != nil {
		return err
	}
	buf := s.bufs.Get().(*bytes.Buffer)
	defer s.bufs.Put(buf)
	buf.Reset()
	if out, ok := s.execute(name, buf, d); ok {
		return use(out)
	}
	if err := t.Execute(buf, d); err != nil {
		return fmt.Errorf("render template %q: %w", name, err)
	}
	return use(buf.Bytes())
}
