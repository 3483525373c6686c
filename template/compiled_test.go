package template

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/kinject/kinject/template/meshconfig"
)

// BenchmarkRenderCompiled renders Istio's sidecar template for the corpus
// hello pod three ways: text/template (reference), the program compiled
// for any Data (generic) and the one specialised to the configuration.
func BenchmarkRenderCompiled(b *testing.B) {
	dir := tmplCorpusDir(b)
	c := loadCorpusCase(b, filepath.Join(dir, "cases", "hello"))
	s, err := Parse(c.config.Templates, Options{Aliases: c.config.Aliases})
	if err != nil {
		b.Fatal(err)
	}
	d := c.data(b, c.pods[0])
	ref := &Set{names: s.names, tmpls: s.tmpls, sources: s.sources, aliases: s.aliases, funcs: s.funcs}
	ref.bufs.New = s.bufs.New
	for _, m := range []struct {
		name string
		set  *Set
	}{{"reference", ref}, {"generic", s}, {"specialised", s.Specialize(d)}} {
		b.Run(m.name, func(b *testing.B) {
			if m.name == "specialised" && (m.set.spec == nil || !m.set.spec.matches(d)) {
				b.Fatal("the data does not match the specialisation")
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := m.set.render("sidecar", d, func([]byte) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// referenceRender renders with text/template alone.
func referenceRender(s *Set, name string, d *Data) (string, error) {
	var b bytes.Buffer
	err := s.tmpls[name].Execute(&b, d)
	return b.String(), err
}

// compiledRender renders with the program Set would choose for d; taken is
// false when there is none or it declines.
func compiledRender(s *Set, name string, d *Data) (string, bool) {
	p := s.program(name, d)
	if p == nil {
		return "", false
	}
	out, ok := p.Execute(nil, d)
	return string(out), ok
}

// TestCompiledMatchesReference renders every template of every corpus case
// for every pod of its input with text/template and with the compiled
// programs, generic and specialised to the case's configuration, and
// requires the same bytes, and the programs taken for every sidecar
// template (declined exactly where text/template fails: the gateway
// controller's templates).
func TestCompiledMatchesReference(t *testing.T) {
	if !compiledTemplates {
		t.Skip("built with kinject_reference: no compiled templates")
	}
	for _, c := range corpusCases(t) {
		t.Run(c.name, func(t *testing.T) {
			s, err := Parse(c.config.Templates, Options{Aliases: c.config.Aliases})
			if err != nil {
				t.Fatal(err)
			}
			if len(c.pods) == 0 {
				return
			}
			cfg := c.data(t, c.pods[0])
			cfg.ProxyConfig = c.mesh.GetDefaultConfig()
			sp := s.Specialize(cfg)
			for i, p := range c.pods {
				d := c.data(t, p)
				for _, name := range s.Names() {
					want, werr := referenceRender(s, name, d)
					for _, set := range []*Set{s, sp} {
						got, taken := compiledRender(set, name, d)
						kind := "generic"
						if set.spec != nil && set.spec.matches(d) {
							kind = "specialised"
						}
						switch {
						case werr != nil && taken:
							t.Errorf("pod %d %s (%s): taken where text/template fails: %v", i, name, kind, werr)
						case werr != nil:
						case !taken:
							t.Errorf("pod %d %s (%s): declined; the compiled path must be taken on corpus pods", i, name, kind)
						case got != want:
							t.Errorf("pod %d %s (%s): compiled output differs:\n%s", i, name, kind, firstDiff(want, got))
						}
					}
				}
			}
		})
	}
}

// firstDiff shows where two outputs first differ.
func firstDiff(want, got string) string {
	n := 0
	for n < len(want) && n < len(got) && want[n] == got[n] {
		n++
	}
	from := max(0, n-80)
	return fmt.Sprintf("at byte %d:\nwant …%q\n got …%q", n, want[from:min(len(want), n+80)], got[from:min(len(got), n+80)])
}

// TestSpecializeFallsBack checks that Data with another configuration than
// the one a Set was specialised for renders as text/template renders it
// (through the generic program), for each configuration field.
func TestSpecializeFallsBack(t *testing.T) {
	dir := tmplCorpusDir(t)
	c := loadCorpusCase(t, filepath.Join(dir, "cases", "hello"))
	s, err := Parse(c.config.Templates, Options{Aliases: c.config.Aliases})
	if err != nil {
		t.Fatal(err)
	}
	base := c.data(t, c.pods[0])
	sp := s.Specialize(base)
	otherValues := map[string]any{}
	for k, v := range c.values {
		otherValues[k] = v
	}
	otherValues["global"] = map[string]any{"proxy": map[string]any{"image": "other"}}
	mesh := *c.mesh
	pc, err := meshconfig.MergeProxyConfig(c.mesh.GetDefaultConfig(), []byte("concurrency: 3"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, reason string
		change       func(d *Data)
	}{
		{"same", "the specialised configuration itself", func(*Data) {}},
		{"values", "another values map (same keys, other content)", func(d *Data) { d.Values = otherValues }},
		{"mesh", "another MeshConfig pointer", func(d *Data) { d.MeshConfig = &mesh }},
		{"proxy config", "a pod's own proxy.istio.io/config", func(d *Data) { d.ProxyConfig = pc }},
		{"revision", "another revision", func(d *Data) { d.Revision = "canary" }},
		{"native", "native sidecars switched", func(d *Data) { d.NativeSidecars = !d.NativeSidecars }},
		{"compliance", "a compliance policy", func(d *Data) { d.CompliancePolicy = "fips-140-2" }},
		{"inbound", "another inbound traffic policy", func(d *Data) { d.InboundTrafficPolicyMode = "localhost" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := *base
			tt.change(&d)
			if sp.spec != nil {
				if got := sp.spec.matches(&d); got != (tt.name == "same") {
					t.Fatalf("matches = %v: %s", got, tt.reason)
				}
			}
			want, err := referenceRender(s, "sidecar", &d)
			if err != nil {
				t.Fatal(err)
			}
			got, err := sp.Render("sidecar", &d)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != want {
				t.Errorf("%s: differs from text/template:\n%s", tt.reason, firstDiff(want, string(got)))
			}
		})
	}
}

// FuzzCompiledTemplates sets one annotation or label the sidecar template
// reads to an arbitrary value and renders Istio's sidecar template with
// text/template and with the specialised program: the program must give
// the same bytes whenever it does not decline, and decline wherever
// text/template fails.
func FuzzCompiledTemplates(f *testing.F) {
	for i, k := range sidecarKeys {
		f.Add(uint8(i), k.benign, "web")
		for _, v := range hostileValues[:8] {
			f.Add(uint8(i), v, v)
		}
	}
	dir := tmplCorpusDir(f)
	c := loadCorpusCase(f, filepath.Join(dir, "cases", "hello"))
	s, err := Parse(c.config.Templates, Options{Aliases: c.config.Aliases})
	if err != nil {
		f.Fatal(err)
	}
	base := c.data(f, c.pods[0])
	sp := s.Specialize(base)
	f.Fuzz(func(t *testing.T, which uint8, value, label string) {
		k := sidecarKeys[int(which)%len(sidecarKeys)]
		d := *base
		d.ObjectMeta = *base.ObjectMeta.DeepCopy()
		if d.ObjectMeta.Annotations == nil {
			d.ObjectMeta.Annotations = map[string]string{}
		}
		if d.ObjectMeta.Labels == nil {
			d.ObjectMeta.Labels = map[string]string{}
		}
		if k.label {
			d.ObjectMeta.Labels[k.key] = value
		} else {
			d.ObjectMeta.Annotations[k.key] = value
		}
		d.ObjectMeta.Labels["app"] = label
		for _, name := range []string{"sidecar", "gateway", "grpc-agent"} {
			want, werr := referenceRender(s, name, &d)
			got, taken := compiledRender(sp, name, &d)
			if !taken {
				continue
			}
			if werr != nil {
				t.Fatalf("%s: taken where text/template fails: %v", name, werr)
			}
			if got != want {
				t.Fatalf("%s: %s=%q: compiled output differs:\n%s", name, k.key, value, firstDiff(want, got))
			}
		}
	})
}

// BenchmarkSpecialize is the one-time cost an injector pays at New.
func BenchmarkSpecialize(b *testing.B) {
	dir := tmplCorpusDir(b)
	c := loadCorpusCase(b, filepath.Join(dir, "cases", "hello"))
	s, err := Parse(c.config.Templates, Options{Aliases: c.config.Aliases})
	if err != nil {
		b.Fatal(err)
	}
	d := c.data(b, c.pods[0])
	b.ReportAllocs()
	for b.Loop() {
		s.Specialize(d)
	}
}

// TestCompiledConcurrent renders pods differing in a label through one
// specialised Set from several goroutines (run it with -race): each result
// is text/template's.
func TestCompiledConcurrent(t *testing.T) {
	dir := tmplCorpusDir(t)
	c := loadCorpusCase(t, filepath.Join(dir, "cases", "hello"))
	s, err := Parse(c.config.Templates, Options{Aliases: c.config.Aliases})
	if err != nil {
		t.Fatal(err)
	}
	base := c.data(t, c.pods[0])
	sp := s.Specialize(base)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				d := *base
				d.ObjectMeta = *base.ObjectMeta.DeepCopy()
				d.ObjectMeta.Labels["app"] = fmt.Sprintf("app-%d-%d", g, i)
				want, err := referenceRender(s, "sidecar", &d)
				if err != nil {
					t.Error(err)
					return
				}
				got, err := sp.Render("sidecar", &d)
				if err != nil || string(got) != want {
					t.Errorf("goroutine %d pod %d: %v\n%s", g, i, err, firstDiff(want, string(got)))
					return
				}
			}
		}()
	}
	wg.Wait()
}
