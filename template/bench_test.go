package template

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/kinject/kinject/internal/codec"
	corev1 "k8s.io/api/core/v1"
)

// helloSetup loads the corpus hello case: its default inject config, values,
// mesh and pod.
func helloSetup(b *testing.B) (*Set, corpusCase) {
	b.Helper()
	dir := tmplCorpusDir(b)
	c := loadCorpusCase(b, filepath.Join(dir, "cases", "hello"))
	s, err := Parse(c.config.Templates, Options{Aliases: c.config.Aliases})
	if err != nil {
		b.Fatal(err)
	}
	return s, c
}

// BenchmarkApplySidecar renders Istio's shipped sidecar template for the
// corpus hello pod, merges it and re-applies the pod's overrides (Apply):
// the per-pod template work of an injection.
func BenchmarkApplySidecar(b *testing.B) {
	s, c := helloSetup(b)
	p := c.pods[0]
	d := c.data(b, p)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Apply(p.pod, []string{"sidecar"}, d, ApplyOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderSidecar is the text/template part alone.
func BenchmarkRenderSidecar(b *testing.B) {
	s, c := helloSetup(b)
	d := c.data(b, c.pods[0])
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Render("sidecar", d); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApplyOwn applies kinject's own test template (testdata) to a
// two-container pod.
func BenchmarkApplyOwn(b *testing.B) {
	s, _ := ownSet(b)
	raw, err := os.ReadFile(filepath.Join(testdataDir, "pods", "overrides.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	pod := mustPod(b, string(raw))
	d := ownData(pod)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Apply(pod, []string{"full"}, d, ApplyOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseCorpusConfig parses the whole default inject config once.
func BenchmarkParseCorpusConfig(b *testing.B) {
	_, c := helloSetup(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Parse(c.config.Templates, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateAnnotations checks a typical annotated pod.
func BenchmarkValidateAnnotations(b *testing.B) {
	ann := map[string]string{
		"sidecar.istio.io/interceptionMode":                "REDIRECT",
		"traffic.sidecar.istio.io/includeOutboundIPRanges": "10.0.0.0/8,172.16.0.0/12",
		"traffic.sidecar.istio.io/excludeInboundPorts":     "8080,9090",
		"sidecar.istio.io/proxyCPU":                        "200m",
		"kubectl.kubernetes.io/default-container":          "app",
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := ValidateAnnotations(ann); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeOutput compares decoding the hello pod's rendered sidecar
// with fastYAML and with sigs.k8s.io/yaml (the fallback).
func BenchmarkDecodeOutput(b *testing.B) {
	s, c := helloSetup(b)
	out, err := s.Render("sidecar", c.data(b, c.pods[0]))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, ok := fastYAML(out); !ok {
				b.Fatal("slow path")
			}
		}
	})
	b.Run("sigs", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := slowYAML(out); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// helloTrees renders the hello pod's sidecar and returns the pod's tree,
// the rendered patch, and the merged tree.
func helloTrees(b *testing.B) (pod, patch, merged map[string]any) {
	s, c := helloSetup(b)
	p := c.pods[0]
	out, err := s.Render("sidecar", c.data(b, p))
	if err != nil {
		b.Fatal(err)
	}
	if patch, _, err = s.decodeOutput("sidecar", out); err != nil {
		b.Fatal(err)
	}
	if pod, err = toMap(p.pod); err != nil {
		b.Fatal(err)
	}
	merged, err = strategicMerge(codec.CopyMap(pod), codec.CopyMap(patch))
	if err != nil {
		b.Fatal(err)
	}
	return pod, patch, merged
}

// BenchmarkMergeSidecar merges the hello pod's rendered sidecar onto the
// pod: fastMerge and apimachinery's strategicpatch (on copies, which it
// modifies; the copy is timed in both).
func BenchmarkMergeSidecar(b *testing.B) {
	pod, patch, _ := helloTrees(b)
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			o, p := codec.CopyMap(pod), codec.CopyMap(patch)
			if _, ok := fastMerge(o, p); !ok && codec.Fast {
				b.Fatal("declined")
			}
		}
	})
	b.Run("strategicpatch", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			o, p := codec.CopyMap(pod), codec.CopyMap(patch)
			if _, err := strategicMerge(o, p); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPodFromTree decodes the merged hello pod tree into a
// corev1.Pod: codec.DecodeTree, and encoding/json through JSON text.
func BenchmarkPodFromTree(b *testing.B) {
	_, _, merged := helloTrees(b)
	b.Run("plan", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !codec.DecodeTree(merged, &corev1.Pod{}) && codec.Fast {
				b.Fatal("declined")
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			js, err := json.Marshal(merged)
			if err != nil {
				b.Fatal(err)
			}
			if err := json.Unmarshal(js, &corev1.Pod{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPodTree builds the hello pod's tree: codec.Tree and the JSON
// round trip.
func BenchmarkPodTree(b *testing.B) {
	_, _, merged := helloTrees(b)
	pod, err := fromMap(merged)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("plan", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := codec.Tree(pod); !ok && codec.Fast {
				b.Fatal("declined")
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := jsonTree(pod); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkApplyDistinct is the template half of inject's
// BenchmarkReviewDistinct: Apply of the corpus hello pod through a Set
// specialised to the pod's configuration (native sidecars, as the inject
// benchmark runs), every pod differing in the "app" label the sidecar
// template reads, so the section memo holds the spec but not the metadata.
func BenchmarkApplyDistinct(b *testing.B) {
	s, c := helloSetup(b)
	c.native = true
	p := c.pods[0]
	d0 := c.data(b, p)
	sp := s.Specialize(d0)
	const n = 4096
	pods := make([]*corev1.Pod, n)
	data := make([]*Data, n)
	for k := range pods {
		pod := p.pod.DeepCopy()
		if pod.Labels == nil {
			pod.Labels = map[string]string{}
		}
		pod.Labels["app"] = "hello-" + strconv.Itoa(k)
		d := *d0
		d.ObjectMeta, d.Spec = pod.ObjectMeta, pod.Spec
		pods[k], data[k] = pod, &d
	}
	b.ReportAllocs()
	k := 0
	for b.Loop() {
		if _, err := sp.Apply(pods[k], []string{"sidecar"}, data[k], ApplyOptions{}); err != nil {
			b.Fatal(err)
		}
		if k++; k == n {
			k = 0
		}
	}
}
