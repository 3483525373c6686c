package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kinject/kinject/inject"
)

// largePodReview is a pod CREATE review whose proxy.istio.io/config holds
// n proxyMetadata entries, which the sidecar template turns into as many
// environment variables of istio-proxy: a large patch, distinct for each k.
func largePodReview(k, n int) string {
	var md strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			md.WriteByte(',')
		}
		fmt.Fprintf(&md, `"META_%04d":"value-%d-%d-padding-to-make-it-longer"`, i, k, i)
	}
	cfg := strings.ReplaceAll(fmt.Sprintf(`{"proxyMetadata":{%s}}`, md.String()), `"`, `\"`)
	return fmt.Sprintf(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-%d",`+
		`"kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},`+
		`"namespace":"shop","operation":"CREATE","object":{"apiVersion":"v1","kind":"Pod","metadata":{"generateName":"app-%d-",`+
		`"labels":{"app":"app-%d"},"annotations":{"proxy.istio.io/config":"%s"}},`+
		`"spec":{"containers":[{"name":"app","image":"nginx:1.27"}]}}}}`, k, k, k, cfg)
}

func heapAfterGC() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestWebhookMemoryBound sends the webhook's handler 1,000 distinct large
// pods (500 proxyMetadata entries each, so each answer is a patch of
// about 70 KB and together they are far more than the caches hold) and
// measures the heap after GC. The bound: what the server held before,
// plus the two cache budgets (the library's defaults, 32 MiB for the
// Injector's results and 16 MiB for the Reviewer's answers, or what
// --cache-bytes says), plus an eighth for what the byte counts do not see
// (map growth, allocator rounding beyond SizeOf's model). Before the
// caches were bounded by bytes (1,024 entries each, the injected pod kept
// too) the same 1,000 pods kept 299 MiB.
func TestWebhookMemoryBound(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 injections")
	}
	for _, tt := range []struct {
		name       string
		cacheBytes int64
		pods       int
		budget     int64
		reason     string
	}{
		{"defaults", 0, 1000, inject.DefaultCacheBytes + inject.DefaultReviewerCacheBytes, "the library's budgets"},
		{"flag", 6 << 20, 300, 6 << 20, "--cache-bytes bounds both caches together"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var src source
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			src.register(fs)
			if err := fs.Parse(nil); err != nil {
				t.Fatal(err)
			}
			src.cacheBytes = tt.cacheBytes
			cur, err := src.load(time.Now())
			if err != nil {
				t.Fatal(err)
			}
			s := &server{metrics: &metrics{}, log: slog.New(slog.NewJSONHandler(io.Discard, nil)), now: time.Now, maxBytes: 8 << 20, writeTimeout: time.Minute}
			s.cur.Store(cur)
			h := s.routes(true)
			post := func(body string) {
				req := httptest.NewRequest(http.MethodPost, "/inject", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"patchType":"JSONPatch"`) {
					t.Fatalf("status %d: %.300s", rec.Code, rec.Body.String())
				}
			}
			post(largePodReview(-1, 500)) // warm up the code paths before the baseline
			before := heapAfterGC()
			for k := 0; k < tt.pods; k++ {
				post(largePodReview(k, 500))
			}
			after := heapAfterGC()
			grew := int64(after) - int64(before)
			st := cur.reviewer.Stats()
			limit := tt.budget + tt.budget/8
			t.Logf("%s: heap %d MiB before, %d MiB after (+%.1f MiB; bound +%.1f MiB); Reviewer holds %d answers, %.1f MiB",
				tt.name, before>>20, after>>20, float64(grew)/(1<<20), float64(limit)/(1<<20), st.Entries, float64(st.Bytes)/(1<<20))
			if grew > limit {
				t.Errorf("%s: the heap grew by %d bytes, over the bound of %d (%s)", tt.name, grew, limit, tt.reason)
			}
			if st.Entries == 0 || st.Entries >= tt.pods {
				t.Errorf("%s: the Reviewer holds %d answers: the test did not fill and overflow the cache", tt.name, st.Entries)
			}
			runtime.KeepAlive(cur)
		})
	}
}
