package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kinject/kinject/inject"
)

// BenchmarkInjectHandler is one POST /inject of a replica (answered from
// the Reviewer's cache) through the handler, with its log line and
// metrics, against the Reviewer called alone: the difference is what
// observing a request costs.
func BenchmarkInjectHandler(b *testing.B) {
	inj, err := inject.New(inject.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(podReview)
	b.Run("reviewer", func(b *testing.B) {
		rv := inject.NewReviewer(inj, inject.ReviewerOptions{})
		b.ReportAllocs()
		for b.Loop() {
			if _, err := rv.Review(context.Background(), body); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, c := range []struct {
		name string
		body string
	}{{"handler", podReview}, {"handler-skip", withAnnotations(podReview, `{"sidecar.istio.io/inject": "false"}`)}} {
		b.Run(c.name, func(b *testing.B) {
			s := &server{metrics: &metrics{}, log: slog.New(slog.NewJSONHandler(io.Discard, nil)), now: time.Now, maxBytes: 1 << 20, writeTimeout: 10 * time.Second}
			s.cur.Store(&loaded{reviewer: inject.NewReviewer(inj, inject.ReviewerOptions{}), rev: inj.Revision()})
			h := s.routes(true)
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest(http.MethodPost, "/inject?timeout=10s", strings.NewReader(c.body))
				r.Header.Set("Content-Type", "application/json")
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatal(w.Code, w.Body)
				}
			}
		})
	}
}

// BenchmarkMetricsWrite is one scrape of /metrics.
func BenchmarkMetricsWrite(b *testing.B) {
	m := &metrics{}
	for i := range 1000 {
		m.latency.observe(time.Duration(i) * time.Microsecond)
	}
	b.ReportAllocs()
	for b.Loop() {
		m.write(io.Discard, gauges{ready: true, loadedAt: time.Now()})
	}
}
