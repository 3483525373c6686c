package patch

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func sidecarPair(b *testing.B) ([]byte, []byte) {
	dir := filepath.Join("..", "testdata", "patch", "sidecar")
	return typed(b, readFile(b, filepath.Join(dir, "original.json"))),
		typed(b, readFile(b, filepath.Join(dir, "modified.json")))
}

// BenchmarkDiffPodSidecar is the webhook's case: a pod against the same pod
// with a sidecar, an init container, volumes, labels and annotations added.
// It reports the patch's operation count and encoded size.
func BenchmarkDiffPodSidecar(b *testing.B) {
	original, modified := sidecarPair(b)
	var p Patch
	b.ReportAllocs()
	b.SetBytes(int64(len(original) + len(modified)))
	for b.Loop() {
		var err error
		if p, err = DiffPod(original, modified); err != nil {
			b.Fatal(err)
		}
	}
	body, _ := p.MarshalJSON()
	b.ReportMetric(float64(len(p)), "ops")
	b.ReportMetric(float64(len(body)), "patch-bytes")
}

// BenchmarkDiffPodSidecarMarshal adds encoding the patch for the admission
// response.
func BenchmarkDiffPodSidecarMarshal(b *testing.B) {
	original, modified := sidecarPair(b)
	b.ReportAllocs()
	for b.Loop() {
		p, err := DiffPod(original, modified)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDiffSidecarNoSchema is the same pair without merge keys.
func BenchmarkDiffSidecarNoSchema(b *testing.B) {
	original, modified := sidecarPair(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Diff(original, modified); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkApplySidecar(b *testing.B) {
	original, modified := sidecarPair(b)
	p, err := DiffPod(original, modified)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Apply(original); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDiffPodEnv2000 is a pod whose container has 2,000 env vars, one
// of them changed.
func BenchmarkDiffPodEnv2000(b *testing.B) {
	env := make([]string, 2000)
	for i := range env {
		env[i] = fmt.Sprintf(`{"name":"VAR_%04d","value":"value-%d"}`, i, i)
	}
	pod := func() []byte {
		return []byte(`{"metadata":{"name":"big"},"spec":{"containers":[{"name":"app","image":"app:1","env":[` +
			strings.Join(env, ",") + `]}]}}`)
	}
	original := pod()
	env[1234] = `{"name":"VAR_1234","value":"changed"}`
	modified := pod()
	var p Patch
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if p, err = DiffPod(original, modified); err != nil {
			b.Fatal(err)
		}
	}
	if len(p) != 1 {
		b.Fatalf("want one operation, got %s", p)
	}
}

// BenchmarkDiffArray10000 diffs 10,000-element arrays of strings.
func BenchmarkDiffArray10000(b *testing.B) {
	cases := []struct {
		name string
		edit func([]string) []string
	}{
		{"insert-middle", func(s []string) []string {
			return append(s[:5000:5000], append([]string{`"new"`}, s[5000:]...)...)
		}},
		{"10-scattered-edits", func(s []string) []string {
			for i := 500; i < len(s); i += 1000 {
				s[i] = `"changed"`
			}
			return s
		}},
		{"100-scattered-inserts", func(s []string) []string {
			out := make([]string, 0, len(s)+100)
			for i, e := range s {
				if i%100 == 50 {
					out = append(out, `"inserted"`)
				}
				out = append(out, e)
			}
			return out
		}},
		{"reversed-fallback", func(s []string) []string {
			for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
				s[i], s[j] = s[j], s[i]
			}
			return s
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			original, modified := bigArray(10000, c.edit)
			var p Patch
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if p, err = Diff(original, modified); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(p)), "ops")
		})
	}
}

// BenchmarkMarshalSidecar encodes the sidecar patch.
func BenchmarkMarshalSidecar(b *testing.B) {
	original, modified := sidecarPair(b)
	p, err := DiffPod(original, modified)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMarshalSidecarJSON is BenchmarkMarshalSidecar through
// json.Marshal, which validates and compacts what MarshalJSON wrote.
func BenchmarkMarshalSidecarJSON(b *testing.B) {
	original, modified := sidecarPair(b)
	p, err := DiffPod(original, modified)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(p); err != nil {
			b.Fatal(err)
		}
	}
}
