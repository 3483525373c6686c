package inject

import (
	"context"
	"testing"
)

// BenchmarkReviewMutate measures a Reviewer with a hook that adds a label,
// on the hello pod with Istio's template: "replica" is the next replica
// (the injection comes from the Injector's cache, the hook and the diff run
// per request), "cold" injects every time. Compare with
// BenchmarkReview/hello/istio-template/{replica,cold}.
func BenchmarkReviewMutate(b *testing.B) {
	cfg, pod := istioHelloConfig(b)
	body := reviewBody(b, pod, "default")
	hook := func(_ context.Context, a *PodAdmission) error {
		if a.Pod.Labels == nil {
			a.Pod.Labels = map[string]string{}
		}
		a.Pod.Labels["platform.example/team"] = "shop"
		return nil
	}
	for _, mode := range []struct {
		name  string
		cache int64
	}{{"cold", -1}, {"replica", 0}} {
		b.Run(mode.name, func(b *testing.B) {
			c := *cfg
			c.CacheBytes = mode.cache
			inj, err := New(&c)
			if err != nil {
				b.Fatal(err)
			}
			rv := NewReviewer(inj, ReviewerOptions{Mutate: hook})
			if _, err := rv.Review(context.Background(), body); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := rv.Review(context.Background(), body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
