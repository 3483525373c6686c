package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BenchmarkPodCreate measures what the webhook adds to a pod create as the
// API server's client sees it: one create at a time, through the webhook
// (a namespace with istio-injection=enabled) and without it (a namespace
// no webhook selects), against the same API server. Besides ns/op it
// reports the 50th and 99th percentile latencies; run it with
// -benchtime=200x for percentiles over 200 pods.
func BenchmarkPodCreate(b *testing.B) {
	w := startWebhook(b, webhookConfig{})
	w.install(b, admissionregistrationv1.Fail)
	for _, bc := range []struct {
		name     string
		labels   map[string]string
		injected bool
	}{
		{"webhook", map[string]string{"istio-injection": "enabled"}, true},
		{"no-webhook", nil, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ns := namespace(b, bc.labels)
			pods := the.client.CoreV1().Pods(ns)
			lat := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				pod := podFor("bench")
				pod.GenerateName = ""
				pod.Name = fmt.Sprintf("bench-%d-%d", b.N, i)
				t0 := time.Now()
				got, err := pods.Create(context.Background(), pod, metav1.CreateOptions{})
				lat = append(lat, time.Since(t0))
				if err != nil {
					b.Fatal(err)
				}
				if hasContainer(got, "istio-proxy") != bc.injected {
					b.Fatalf("pod %s: injected=%v, want %v", got.Name, !bc.injected, bc.injected)
				}
			}
			b.StopTimer()
			p50, p99 := percentiles(lat)
			b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
		})
	}
}
