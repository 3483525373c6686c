package inject

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kinject/kinject/internal/codec"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// manyContainers is the hello pod with n containers, each with a port and
// an environment variable (what templates and merges walk per container).
func manyContainers(n int) *corev1.Pod {
	p := helloPod()
	cs := make([]corev1.Container, n)
	for i := range cs {
		cs[i] = corev1.Container{
			Name: fmt.Sprintf("app-%d", i), Image: "fake.example/app:1.0",
			Ports: []corev1.ContainerPort{{ContainerPort: int32(1024 + i%50000)}},
			Env:   []corev1.EnvVar{{Name: "INDEX", Value: fmt.Sprint(i)}},
		}
	}
	p.Spec.Containers = cs
	return p
}

// manyContainersDeployment is a Deployment whose pod template is
// manyContainers(n), as a manifest.
func manyContainersDeployment(tb testing.TB, n int) []byte {
	tb.Helper()
	p := manyContainers(n)
	d := map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "many", "namespace": "default"},
		"spec": map[string]any{
			"selector": map[string]any{"matchLabels": map[string]any{"app": "hello"}},
			"template": map[string]any{"metadata": map[string]any{"labels": p.Labels}, "spec": p.Spec},
		},
	}
	b, err := yaml.Marshal(d)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// BenchmarkScaleContainers injects pods of 1,000, 10,000 and 40,000
// containers through InjectPod, Review (Istio's template when the corpus is
// present) and the manifest stream: time per op should grow linearly with
// the count (issue 10 item 3).
func BenchmarkScaleContainers(b *testing.B) {
	for _, n := range []int{1000, 10000, 40000} {
		if !codec.Fast && n > 1000 {
			b.Logf("kinject_reference: the reference merge refuses %d containers", n)
			continue
		}
		pod := manyContainers(n)
		b.Run(fmt.Sprintf("InjectPod/%d", n), func(b *testing.B) {
			inj := newTestInjector(b, func(c *Config) { c.CacheBytes = -1 })
			b.ReportAllocs()
			for b.Loop() {
				if _, err := inj.InjectPod(context.Background(), PodRequest{Pod: pod}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("Review/%d", n), func(b *testing.B) {
			cfg := DefaultConfig()
			if benchCorpusDir() != "" {
				cfg, _ = istioHelloConfig(b)
			}
			cfg.CacheBytes = -1
			inj, err := New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			body := reviewBody(b, benchJSON(b, pod), "default")
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				out, err := inj.Review(context.Background(), body)
				if err != nil || !bytes.Contains(out, []byte(`"allowed":true`)) {
					b.Fatalf("%v: %.200s", err, out)
				}
			}
		})
		b.Run(fmt.Sprintf("InjectManifests/%d", n), func(b *testing.B) {
			inj := newTestInjector(b, func(c *Config) { c.CacheBytes = -1 })
			doc := manyContainersDeployment(b, n)
			b.ReportAllocs()
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				if _, err := inj.InjectManifests(context.Background(), doc, ManifestOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestManyContainers injects pods of many containers: every merge is
// linear and fast; the reference merge (kinject_reference builds) refuses
// lists of more than a thousand items rather than take quadratic time.
func TestManyContainers(t *testing.T) {
	inj := newTestInjector(t, func(c *Config) { c.CacheBytes = -1 })
	for _, tt := range []struct {
		name, reason string
		n            int
	}{
		{"1000", "within the reference merge's bound: both builds inject", 1000},
		{"5000", "beyond it: the fast merge injects, the reference build refuses", 5000},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := inj.InjectPod(context.Background(), PodRequest{Pod: manyContainers(tt.n)})
			if !codec.Fast && tt.n > 1000 {
				if err == nil || !strings.Contains(err.Error(), "items is more than") {
					t.Fatalf("err = %v, want the reference merge's bound: %s", err, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v: %s", err, tt.reason)
			}
			if got := len(res.Pod.Spec.Containers); got != tt.n+1 {
				t.Errorf("%d containers after injection, want %d: %s", got, tt.n+1, tt.reason)
			}
		})
	}
}
