package inject

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

// BenchmarkReviewDistinct is issue 17's cold figure: Review of the corpus
// hello pod with Istio's configuration through an Injector with its default
// result cache, every pod differing in a label the template reads ("app",
// which becomes service.istio.io/canonical-name), so no answer comes from the
// cache. The bodies are built before the timer starts; there are more of them
// than the cache holds.
func BenchmarkReviewDistinct(b *testing.B) {
	for _, tc := range []struct {
		name string
		env  int
	}{{"hello", 0}, {"env2000", 2000}} {
		b.Run(tc.name, func(b *testing.B) {
			cfg, raw := istioHelloConfig(b)
			inj, err := New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			n := 4096
			if tc.env > 0 {
				n = 1100
			}
			bodies := make([][]byte, n)
			for k := range bodies {
				pod := raw
				if tc.env > 0 {
					p := envPod(tc.env)
					p.Labels["app"] = fmt.Sprintf("hello-%d", k)
					pod = benchJSON(b, p)
				} else {
					pod = bytes.Replace(raw, []byte(`"app": "hello"`), []byte(fmt.Sprintf(`"app": "hello-%d"`, k)), 1)
				}
				bodies[k] = reviewBody(b, pod, "default")
			}
			out, err := inj.Review(context.Background(), bodies[0])
			if err != nil {
				b.Fatal(err)
			}
			if !bytes.Contains(out, []byte(`"patchType":"JSONPatch"`)) || !bytes.Contains(bodies[1], []byte(`hello-1`)) {
				b.Fatalf("no patch or no distinct label: %s", out)
			}
			b.ReportAllocs()
			k := 1
			for b.Loop() {
				if _, err := inj.Review(context.Background(), bodies[k]); err != nil {
					b.Fatal(err)
				}
				if k++; k == len(bodies) {
					k = 0
				}
			}
		})
	}
}
