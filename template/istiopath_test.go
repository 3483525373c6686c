package template

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"sigs.k8s.io/yaml"
)

// This file replays, step by step, the way Istio's injector merges template
// output (typed pod -> JSON -> map, YAML -> map, strategicpatch, JSON ->
// typed pod, for every template and for both pods), to check that Apply
// (with and without the overrides) gives the same pods, and to measure both
// on the same machine.

func istioOverlayYAML(t testing.TB, target *corev1.Pod, patchYAML []byte) *corev1.Pod {
	t.Helper()
	cur, err := json.Marshal(target)
	if err != nil {
		t.Fatal(err)
	}
	var orig, patch map[string]any
	if err := json.Unmarshal(cur, &orig); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(patchYAML, &patch); err != nil {
		t.Fatal(err)
	}
	res, err := strategicpatch.StrategicMergeMapPatchUsingLookupPatchMeta(orig, patch, podMeta)
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	pod := &corev1.Pod{}
	if err := json.Unmarshal(out, pod); err != nil {
		t.Fatal(err)
	}
	return pod
}

func istioRunTemplates(t testing.TB, s *Set, pod *corev1.Pod, names []string, d *Data) (merged, injected *corev1.Pod) {
	t.Helper()
	merged, injected = pod, &corev1.Pod{}
	for _, n := range s.Expand(names) {
		out, err := s.Render(n, d)
		if err != nil {
			t.Fatal(err)
		}
		injected = istioOverlayYAML(t, injected, out)
		if findContainer("istio-proxy", injected.Spec.InitContainers) != nil && findContainer("istio-proxy", merged.Spec.Containers) != nil {
			merged = merged.DeepCopy()
			var moved *corev1.Container
			for i, c := range merged.Spec.Containers {
				if c.Name == "istio-proxy" {
					c := c
					moved = &c
					merged.Spec.Containers = append(merged.Spec.Containers[:i:i], merged.Spec.Containers[i+1:]...)
					break
				}
			}
			merged.Spec.InitContainers = append(merged.Spec.InitContainers, *moved)
		}
		merged = istioOverlayYAML(t, merged, out)
	}
	return merged, injected
}

func istioApplyContainer(t testing.TB, target *corev1.Pod, c corev1.Container, init bool) *corev1.Pod {
	t.Helper()
	// Only the one list: a marshalled corev1.Pod would carry
	// "containers": null (the field has no omitempty), which deletes the
	// containers; Istio's goldens keep them (proxy-override-args-native).
	field := "containers"
	if init {
		field = "initContainers"
	}
	overlay := map[string]any{"spec": map[string]any{field: []corev1.Container{c}}}
	cur, _ := json.Marshal(target)
	ov, _ := json.Marshal(overlay)
	patched, err := strategicpatch.StrategicMergePatch(cur, ov, corev1.Pod{})
	if err != nil {
		t.Fatal(err)
	}
	pod := &corev1.Pod{}
	if err := json.Unmarshal(patched, pod); err != nil {
		t.Fatal(err)
	}
	return pod
}

func istioReapply(t testing.TB, final, original, injected *corev1.Pod) *corev1.Pod {
	t.Helper()
	var existing Overrides
	if v, ok := original.Annotations[AnnotationOverrides]; ok {
		if err := json.Unmarshal([]byte(v), &existing); err != nil {
			t.Fatal(err)
		}
	}
	var status struct{ Containers, InitContainers []string }
	if v, ok := original.Annotations[AnnotationStatus]; ok {
		_ = json.Unmarshal([]byte(v), &status)
	}
	pass := func(cs, recorded []corev1.Container, skip []string, init bool) {
		for _, c := range cs {
			if contains1(skip, c.Name) {
				continue
			}
			m := findContainer(c.Name, recorded)
			if m == nil {
				m = findInPod(c.Name, original)
			}
			if m == nil {
				continue
			}
			o := *m.DeepCopy()
			if o.Image == AutoImage {
				o.Image = ""
			}
			final = istioApplyContainer(t, final, o, init)
		}
	}
	pass(injected.Spec.Containers, existing.Containers, status.Containers, false)
	pass(injected.Spec.InitContainers, existing.InitContainers, status.InitContainers, true)
	return final
}

// templatesFor is what a pod asks for: its inject.istio.io/templates
// annotation, else the config's defaultTemplates.
func templatesFor(c corpusCase, p corpusPod) []string {
	if a, ok := p.pod.Annotations["inject.istio.io/templates"]; ok {
		return strings.Split(a, ",")
	}
	return c.config.DefaultTemplates
}

// TestApplyMatchesIstioPath runs every corpus pod through Apply (with and
// without the overrides) and through Istio's sequence of conversions, and
// compares the pods.
func TestApplyMatchesIstioPath(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: replays Istio's conversions for every corpus pod")
	}
	n := 0
	for _, c := range corpusCases(t) {
		if c.wantErr != "" {
			continue
		}
		s, err := Parse(c.config.Templates, Options{Aliases: c.config.Aliases})
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range c.pods {
			d := c.data(t, p)
			sets := [][]string{templatesFor(c, p)}
			for _, name := range s.Names() {
				if !gatewayControllerTemplates[name] {
					sets = append(sets, []string{name})
				}
			}
			for _, names := range sets {
				res, err := s.Apply(p.pod, names, d, ApplyOptions{SkipOverrides: true})
				if err != nil {
					t.Errorf("%s pod %d %v: %v", c.name, i, names, err)
					continue
				}
				merged, injected := res.Pod, res.Injected
				full, err := s.Apply(p.pod, names, d, ApplyOptions{})
				if err != nil {
					t.Fatal(err)
				}
				final := full.Pod
				wm, wi := istioRunTemplates(t, s, p.pod, names, d)
				wf := istioReapply(t, wm, p.pod, wi)
				for _, cmpCase := range []struct {
					what      string
					want, got *corev1.Pod
				}{{"merged", wm, merged}, {"injected", wi, injected}, {"final", wf, final}} {
					if d := cmp.Diff(podYAML(t, cmpCase.want), podYAML(t, cmpCase.got)); d != "" {
						t.Errorf("%s pod %d %v: %s pod differs from Istio's path (-istio +kinject):\n%s", c.name, i, names, cmpCase.what, d)
					}
				}
				n++
			}
		}
	}
	t.Logf("%d corpus applications compared", n)
}

// BenchmarkApplySidecarIstioPath is BenchmarkApplySidecar done Istio's way,
// on the same machine, for comparison.
func BenchmarkApplySidecarIstioPath(b *testing.B) {
	s, c := helloSetup(b)
	p := c.pods[0]
	d := c.data(b, p)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m, in := istioRunTemplates(b, s, p.pod, []string{"sidecar"}, d)
		istioReapply(b, m, p.pod, in)
	}
}
