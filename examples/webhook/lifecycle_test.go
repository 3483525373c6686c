package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kinject/kinject/inject"
	"github.com/kinject/kinject/policy"
)

// stubReviewer stands in for the Reviewer: it waits for the request's
// context (or for delay, ignoring it, when late is set) and records how
// the context ended.
type stubReviewer struct {
	delay time.Duration
	late  bool // answer after delay whatever the context says
	mu    sync.Mutex
	ended []error
}

func (f *stubReviewer) Review(ctx context.Context, body []byte) ([]byte, error) {
	if f.late {
		time.Sleep(f.delay)
		return []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"x","allowed":true}}`), nil
	}
	select {
	case <-ctx.Done():
	case <-time.After(f.delay):
	}
	f.mu.Lock()
	f.ended = append(f.ended, ctx.Err())
	f.mu.Unlock()
	return nil, ctx.Err()
}

func (f *stubReviewer) Stats() inject.ReviewerStats { return inject.ReviewerStats{} }

func (f *stubReviewer) endings() []error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]error(nil), f.ended...)
}

// stubServer serves the webhook's routes over plain HTTP with rv.
func stubServer(t *testing.T, rv reviewer, writeTimeout time.Duration) (*server, *httptest.Server) {
	t.Helper()
	s := &server{metrics: &metrics{}, log: slog.New(slog.NewJSONHandler(io.Discard, nil)), now: time.Now, maxBytes: 1 << 20, writeTimeout: writeTimeout}
	s.cur.Store(&loaded{reviewer: rv, rev: policy.Revision{}})
	hs := httptest.NewServer(s.routes(true))
	t.Cleanup(hs.Close)
	return s, hs
}

// TestTimeoutCancelsReview: the review's context ends at the API server's
// ?timeout=, at --write-timeout, or when the client goes away, and no
// answer is sent after the deadline.
func TestTimeoutCancelsReview(t *testing.T) {
	cases := []struct {
		name         string
		query        string
		writeTimeout time.Duration
		clientWait   time.Duration // 0: wait for the answer
		late         bool
		status       int    // 0: the client gives up first
		want         error  // how the review's context ended
		errType      string // kinject_webhook_errors_total type
		reason       string
	}{
		{"api server timeout", "?timeout=50ms", 10 * time.Second, 0, false, http.StatusGatewayTimeout, context.DeadlineExceeded, "timeout",
			"the API server appends ?timeout=; past it nobody waits for the answer"},
		{"write timeout", "", 100 * time.Millisecond, 0, false, http.StatusGatewayTimeout, context.DeadlineExceeded, "timeout",
			"without the parameter, --write-timeout bounds the work"},
		{"earlier of both", "?timeout=30s", 100 * time.Millisecond, 0, false, http.StatusGatewayTimeout, context.DeadlineExceeded, "timeout",
			"a parameter longer than --write-timeout does not extend it"},
		{"client gone", "?timeout=30s", 30 * time.Second, 100 * time.Millisecond, false, 0, context.Canceled, "canceled",
			"a client that disconnects cancels the work"},
		{"late answer", "?timeout=20ms", 10 * time.Second, 0, true, http.StatusGatewayTimeout, nil, "timeout",
			"an answer ready after the deadline is not sent"},
		{"bad parameter", "?timeout=soon", 10 * time.Second, 0, false, http.StatusBadRequest, nil, "bad_timeout",
			"the API server sends a Go duration; anything else is refused"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stub := &stubReviewer{delay: 10 * time.Second, late: c.late}
			if c.late {
				stub.delay = 200 * time.Millisecond
			}
			s, hs := stubServer(t, stub, c.writeTimeout)
			client := &http.Client{Timeout: c.clientWait}
			start := time.Now()
			resp, err := client.Post(hs.URL+"/inject"+c.query, "application/json", strings.NewReader(podReview))
			if c.status == 0 {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("the client got %d, want it to give up first", resp.StatusCode)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != c.status {
					t.Fatalf("status %d %s, want %d (%s)", resp.StatusCode, b, c.status, c.reason)
				}
				if strings.Contains(string(b), "AdmissionReview") {
					t.Errorf("body %s: no review is answered after the deadline (%s)", b, c.reason)
				}
			}
			if c.want != nil {
				waitFor(t, "the review to end", func() bool { return len(stub.endings()) == 1 })
				if got := stub.endings()[0]; !errors.Is(got, c.want) {
					t.Errorf("the review's context ended with %v, want %v (%s)", got, c.want, c.reason)
				}
				if d := time.Since(start); d > 5*time.Second {
					t.Errorf("the review ran %s: it was not cancelled (%s)", d, c.reason)
				}
			}
			name := `kinject_webhook_errors_total{type="` + c.errType + `"}`
			waitFor(t, name+" counted", func() bool {
				var b strings.Builder
				s.metrics.write(&b, gauges{})
				m, err := parseMetrics(b.String())
				return err == nil && m[name] == 1 && m["sidecar_injection_requests_total"] == 1
			})
		})
	}
}

// bigPodReview is podReview with n containers: seconds of work cold.
func bigPodReview(n int) string {
	var cs []string
	for i := range n {
		cs = append(cs, fmt.Sprintf(`{"name": "c%d", "image": "nginx:1.27", "env": [{"name": "A", "value": "%d"}]}`, i, i))
	}
	return strings.Replace(podReview, `"containers": [{"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 8080}]}]`,
		`"containers": [`+strings.Join(cs, ",")+`]`, 1)
}

// TestTimeoutStopsInjection: with the real Reviewer, a pod too big to
// inject within the API server's timeout is answered with a 504, not a
// review, and the injection stops.
func TestTimeoutStopsInjection(t *testing.T) {
	ts := startTestServer(t, serverSetup{})
	body := bigPodReview(500)
	resp, err := ts.client.Post(ts.base+"/inject?timeout=1ms", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusGatewayTimeout {
		t.Fatalf("status %d %.200s, want 504", resp.StatusCode, b)
	}
	m := ts.scrape(t)
	if m[`kinject_webhook_errors_total{type="timeout"}`] != 1 || m["sidecar_injection_success_total"] != 0 {
		t.Errorf("timeout not counted as such: %v", m)
	}
	// The same pod with time to spare is injected: the 504 was the
	// deadline, not the pod.
	post(t, ts.client, ts.base+"/inject?timeout=30s", body, http.StatusOK)
}

// TestReadiness: ready only with a valid certificate and a loaded
// configuration, and not while shutting down.
func TestReadiness(t *testing.T) {
	t.Run("not loaded", func(t *testing.T) {
		s := &server{now: time.Now}
		got := strings.Join(s.readiness(), "; ")
		if !strings.Contains(got, "configuration not loaded") || !strings.Contains(got, "TLS key pair not loaded") {
			t.Errorf("readiness of a server that loaded nothing: %q", got)
		}
	})

	t.Run("expired certificate", func(t *testing.T) {
		dir := t.TempDir()
		certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
		writeCert(t, certFile, keyFile, "old", time.Now().Add(-2*time.Hour), time.Now().Add(-time.Hour))
		ts := startTestServer(t, serverSetup{certFile: certFile, keyFile: keyFile})
		code, body := ts.get(t, "/readyz")
		if code != http.StatusServiceUnavailable || !strings.Contains(body, "TLS certificate expired at") {
			t.Errorf("GET /readyz with an expired certificate = %d %q, want 503 naming it", code, body)
		}
		if code, _ := ts.get(t, "/healthz"); code != http.StatusOK {
			t.Errorf("GET /healthz = %d: an unready server is still alive", code)
		}
		if m := ts.scrape(t); m["kinject_webhook_ready"] != 0 {
			t.Errorf("kinject_webhook_ready = %v, want 0", m["kinject_webhook_ready"])
		}
		time.Sleep(10 * time.Millisecond) // a visible modification time step
		writeSelfSigned(t, certFile, keyFile, "new")
		waitFor(t, "ready after rotation", func() bool { code, _ := ts.get(t, "/readyz"); return code == http.StatusOK })
	})

	t.Run("shutting down", func(t *testing.T) {
		ts := startTestServer(t, serverSetup{args: []string{"--shutdown-delay", "2s"}})
		if code, body := ts.get(t, "/readyz"); code != http.StatusOK {
			t.Fatalf("GET /readyz = %d %q, want 200", code, body)
		}
		ts.cancel()
		waitFor(t, "unready on SIGTERM", func() bool {
			code, body := ts.get(t, "/readyz")
			return code == http.StatusServiceUnavailable && strings.Contains(body, "shutting down")
		})
		// During the delay requests are still answered.
		post(t, ts.client, ts.base+"/inject", podReview, http.StatusOK)
	})
}

// writeValues writes the embedded values with the given tag and revision.
func writeValues(t *testing.T, path, tag, revision string) {
	t.Helper()
	_, values, _ := inject.DefaultConfigFiles()
	var v map[string]any
	if err := json.Unmarshal(values, &v); err != nil {
		t.Fatal(err)
	}
	v["global"].(map[string]any)["tag"] = tag
	v["revision"] = revision
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	writeAtomically(t, path, b)
}

// writeAtomically replaces path's contents in one step, as the kubelet
// updates a ConfigMap volume.
func writeAtomically(t *testing.T, path string, b []byte) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// TestReload: a changed configuration is served without a restart; a
// broken one is refused, logged and counted, and the previous one goes on.
func TestReload(t *testing.T) {
	values := filepath.Join(t.TempDir(), "values.json")
	writeValues(t, values, "1.27.1", "")
	ts := startTestServer(t, serverSetup{args: []string{"--valuesFile", values, "--reload-interval", "20ms", "--log-format", "json"}})
	image := func() string {
		t.Helper()
		r := post(t, ts.client, ts.base+"/inject", podReview, http.StatusOK)
		for _, tag := range []string{"1.27.1", "1.99.0"} {
			if strings.Contains(string(r.Response.Patch), "proxyv2:"+tag) {
				return tag
			}
		}
		t.Fatalf("no proxyv2 image of a known tag in the patch: %s", r.Response.Patch)
		return ""
	}
	if got := image(); got != "1.27.1" {
		t.Fatalf("tag %s at start", got)
	}

	writeAtomically(t, values, []byte("{"))
	waitFor(t, "the bad reload", func() bool { return ts.scrape(t)[`kinject_webhook_config_reloads_total{result="failure"}`] == 1 })
	m := ts.scrape(t)
	if m["kinject_webhook_config_last_reload_success"] != 0 || m["kinject_webhook_ready"] != 1 {
		t.Errorf("after a bad reload: last_reload_success %v (want 0), ready %v (want 1: the old configuration serves)",
			m["kinject_webhook_config_last_reload_success"], m["kinject_webhook_ready"])
	}
	if got := image(); got != "1.27.1" {
		t.Errorf("tag %s after a bad reload, want the previous configuration's 1.27.1", got)
	}
	if logs := ts.logs.String(); !strings.Contains(logs, `"msg":"configuration reload failed; serving the previous configuration"`) ||
		!strings.Contains(logs, "did not find expected node content") || !strings.Contains(logs, values) {
		t.Errorf("the log does not say why the reload failed:\n%s", logs)
	}

	time.Sleep(10 * time.Millisecond)
	writeValues(t, values, "1.99.0", "canary")
	waitFor(t, "the good reload", func() bool { return ts.scrape(t)[`kinject_webhook_config_reloads_total{result="success"}`] == 1 })
	if got := image(); got != "1.99.0" {
		t.Errorf("tag %s after the reload, want 1.99.0", got)
	}
	m = ts.scrape(t)
	if m["kinject_webhook_config_last_reload_success"] != 1 || m["kinject_webhook_cache_hits_total"] != 1 || m["kinject_webhook_cache_misses_total"] != 2 {
		t.Errorf("after the good reload: last_reload_success %v (want 1), cache hits %v misses %v (want 1 and 2: the old Reviewer's counts kept)",
			m["kinject_webhook_config_last_reload_success"], m["kinject_webhook_cache_hits_total"], m["kinject_webhook_cache_misses_total"])
	}
	if !strings.Contains(ts.logs.String(), "regenerate the MutatingWebhookConfiguration") {
		t.Errorf("a revision change is not flagged in the log:\n%s", ts.logs)
	}

	ts.hup <- struct{}{}
	waitFor(t, "the SIGHUP reload", func() bool { return ts.scrape(t)[`kinject_webhook_config_reloads_total{result="success"}`] == 2 })
}
