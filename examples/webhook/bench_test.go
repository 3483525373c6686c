package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kinject/kinject/inject"
)

// BenchmarkInjectHandler is one POST /inject of a replica (answered from
// the Reviewer's cache): the Reviewer called alone, the bare handler (read,
// review, write), and the server's handler with its timeout, metrics and
// JSON log line (to io.Discard); handler minus bare is what observing a
// request costs. handler-skip is an opted-out pod, whose reason costs a
// second decode and a policy evaluation.
func BenchmarkInjectHandler(b *testing.B) {
	inj, err := inject.New(inject.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(podReview)
	b.Run("reviewer", func(b *testing.B) {
		rv := inject.NewReviewer(inj, inject.ReviewerOptions{})
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			if _, err := rv.Review(context.Background(), body); err != nil {
				b.Fatal(err)
			}
		}
	})
	// bare is the handler as it was before metrics and logs: read the
	// body, review, write the answer.
	b.Run("bare", func(b *testing.B) {
		rv := inject.NewReviewer(inj, inject.ReviewerOptions{})
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var body bytes.Buffer
			if _, err := body.ReadFrom(http.MaxBytesReader(w, r.Body, 1<<20)); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			out, err := rv.Review(r.Context(), body.Bytes())
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write(out)
		})
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			r := httptest.NewRequest(http.MethodPost, "/inject?timeout=10s", strings.NewReader(podReview))
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatal(w.Code, w.Body)
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
			defer reportCPU(b)()
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
	defer reportCPU(b)()
	for b.Loop() {
		m.write(io.Discard, gauges{ready: true, loadedAt: time.Now()})
	}
}

// reportCPU reports the process's CPU time per operation (user and
// system, all goroutines) beside the wall time, which on a shared machine
// mostly measures the other tenants.
func reportCPU(b *testing.B) func() {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := cpu()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(cpu()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}
