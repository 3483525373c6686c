package inject

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"
)

// stream1000 is a 1,000-document stream: Deployments with distinct names
// (so no two pod templates are the same), every tenth document a Service.
func stream1000() []byte {
	var b bytes.Buffer
	for i := range 1000 {
		if i%10 == 9 {
			fmt.Fprintf(&b, "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-%d\nspec:\n  ports:\n  - port: 80\n---\n", i)
			continue
		}
		fmt.Fprintf(&b, `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-%d
  namespace: bench
spec:
  replicas: 2
  selector:
    matchLabels:
      app: app-%d
  template:
    metadata:
      labels:
        app: app-%d
        version: v1
    spec:
      containers:
      - name: app
        image: fake.example/app:%d
        ports:
        - containerPort: 8080
---
`, i, i, i, i)
	}
	return b.Bytes()
}

// BenchmarkInjectManifests injects a 1,000-document stream (Istio's
// kube-inject: about 3.3 ms per document). ns/doc is the figure to compare.
func BenchmarkInjectManifests(b *testing.B) {
	in := stream1000()
	for _, mode := range []struct {
		name  string
		cache int64
	}{{"cold", -1}, {"warm", 0}} {
		b.Run("1000docs/"+mode.name, func(b *testing.B) {
			inj := newTestInjector(b, func(c *Config) { c.CacheBytes = mode.cache })
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				res, err := inj.InjectManifestStream(context.Background(), bytes.NewReader(in), io.Discard, ManifestOptions{})
				if err != nil {
					b.Fatal(err)
				}
				if res.Documents != 1000 {
					b.Fatalf("%d documents", res.Documents)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/doc")
		})
	}
}
