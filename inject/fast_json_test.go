package inject

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/kinject/kinject/internal/codec"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// checkEncodePod asserts that jsonMarshal writes json.Marshal's bytes, and
// that the fast encoder (codec.AppendJSON) was taken, except in the
// kinject_reference build, where it must decline.
func checkEncodePod(t testing.TB, p *corev1.Pod) {
	t.Helper()
	want, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := codec.AppendJSON(nil, p); ok != codec.Fast {
		t.Fatalf("codec.AppendJSON taken = %v, want %v", ok, codec.Fast)
	}
	got, err := jsonMarshal(p)
	if err != nil || string(got) != string(want) {
		t.Fatalf("jsonMarshal = %q, %v; want encoding/json's bytes", got, err)
	}
}

// TestEncodePodGoldenPods encodes every pod input under testdata and what
// the default configuration injects into it.
func TestEncodePodGoldenPods(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(podDir, "*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no pods under %s: %v", podDir, err)
	}
	inj := newTestInjector(t, nil)
	n := 0
	for _, path := range paths {
		var pod corev1.Pod
		if err := yaml.Unmarshal(readFile(t, path), &pod); err != nil || pod.Kind != "Pod" && pod.Name == "" {
			continue // goldens hold results, not pods
		}
		checkEncodePod(t, &pod)
		n++
		if res, err := inj.InjectPod(context.Background(), PodRequest{Pod: &pod}); err == nil {
			checkEncodePod(t, res.Pod)
			n++
		}
	}
	if n == 0 {
		t.Fatal("no pod encoded")
	}
	t.Logf("%d pods encoded, each equal to encoding/json's bytes", n)
}

// BenchmarkEncodePod encodes the hello pod as injected with the default
// configuration, the fast way and with encoding/json.
func BenchmarkEncodePod(b *testing.B) {
	inj := newTestInjector(b, nil)
	res, err := inj.InjectPod(context.Background(), PodRequest{Pod: helloPod()})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := codec.AppendJSON(make([]byte, 0, 4096), res.Pod); !ok {
				b.Fatal("declined")
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(res.Pod); err != nil {
				b.Fatal(err)
			}
		}
	})
}
