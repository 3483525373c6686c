package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer that the server may write while the test
// reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testServer is a running webhook with a monitoring address.
type testServer struct {
	base    string // https://127.0.0.1:port
	mon     string // http://127.0.0.1:port
	client  *http.Client
	logs    *syncBuffer
	hup     chan struct{}
	cancel  context.CancelFunc
	done    chan error
	stopped bool
}

type serverSetup struct {
	certFile, keyFile string
	pool              *x509.CertPool
	args              []string
}

// startTestServer runs the webhook with the given setup (a fresh
// certificate when none) until the test ends.
func startTestServer(t *testing.T, setup serverSetup) *testServer {
	t.Helper()
	if setup.certFile == "" {
		setup.certFile, setup.keyFile, setup.pool = selfSigned(t)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{logs: &syncBuffer{}, hup: make(chan struct{}, 1), cancel: cancel, done: make(chan error, 1)}
	addrs := make(chan [2]string, 1)
	args := append([]string{"--addr", "127.0.0.1:0", "--monitoring-addr", "127.0.0.1:0",
		"--tls-cert", setup.certFile, "--tls-key", setup.keyFile}, setup.args...)
	e := env{stdout: io.Discard, stderr: ts.logs, hup: ts.hup, listening: func(w, m string) { addrs <- [2]string{w, m} }}
	go func() { ts.done <- runEnv(ctx, args, e) }()
	select {
	case a := <-addrs:
		ts.base, ts.mon = "https://"+a[0], "http://"+a[1]
	case err := <-ts.done:
		cancel()
		t.Fatalf("server did not start: %v\n%s", err, ts.logs)
	}
	t.Cleanup(func() { ts.stop(t) })
	ts.client = &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: setup.pool}},
	}
	return ts
}

// stop shuts the server down and checks that it did so cleanly.
func (ts *testServer) stop(t *testing.T) {
	t.Helper()
	if ts.stopped {
		return
	}
	ts.stopped = true
	ts.cancel()
	select {
	case err := <-ts.done:
		if err != nil {
			t.Errorf("graceful shutdown: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Error("server did not shut down within 15s")
	}
}

// get fetches a monitoring endpoint.
func (ts *testServer) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(ts.mon + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// scrape fetches /metrics and parses it, checking the format.
func (ts *testServer) scrape(t *testing.T) map[string]float64 {
	t.Helper()
	code, text := ts.get(t, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics = %d", code)
	}
	m, err := parseMetrics(text)
	if err != nil {
		t.Fatalf("/metrics is not valid Prometheus text format: %v\n%s", err, text)
	}
	return m
}

// waitFor polls cond until it holds or 10s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var (
	metricName  = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelPair   = regexp.MustCompile(`^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"$`)
	metricTypes = []string{"counter", "gauge", "histogram", "summary", "untyped"}
)

// parseMetrics reads the Prometheus text exposition format (0.0.4) as a
// scraper does, strictly: every sample belongs to a family announced by
// # HELP and # TYPE before it, names and labels are well formed, values
// are numbers, no series repeats, and a histogram's buckets grow up to
// +Inf, which equals its _count. It returns the value of each series,
// keyed as name{label="value",...} (or name when it has no labels).
func parseMetrics(text string) (map[string]float64, error) {
	out := map[string]float64{}
	types := map[string]string{}
	helps := map[string]bool{}
	lastBucket := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(text))
	line := 0
	for sc.Scan() {
		line++
		l := sc.Text()
		fail := func(format string, args ...any) error {
			return fmt.Errorf("line %d %q: %s", line, l, fmt.Sprintf(format, args...))
		}
		if l == "" {
			continue
		}
		if rest, ok := strings.CutPrefix(l, "# "); ok {
			kind, rest, _ := strings.Cut(rest, " ")
			name, val, _ := strings.Cut(rest, " ")
			switch kind {
			case "HELP":
				if helps[name] {
					return nil, fail("second HELP for %s", name)
				}
				helps[name] = true
			case "TYPE":
				if _, dup := types[name]; dup {
					return nil, fail("second TYPE for %s", name)
				}
				if !slices.Contains(metricTypes, val) {
					return nil, fail("unknown type %q", val)
				}
				types[name] = val
			}
			if !metricName.MatchString(name) {
				return nil, fail("bad metric name %q", name)
			}
			continue
		}
		series, value, ok := strings.Cut(l, " ")
		if !ok {
			return nil, fail("no value")
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return nil, fail("value: %v", err)
		}
		name, labels, hasLabels := strings.Cut(series, "{")
		if !metricName.MatchString(name) {
			return nil, fail("bad metric name %q", name)
		}
		var pairs []string
		if hasLabels {
			body, ok := strings.CutSuffix(labels, "}")
			if !ok {
				return nil, fail("unterminated labels")
			}
			for _, p := range strings.Split(body, ",") {
				if !labelPair.MatchString(p) {
					return nil, fail("bad label %q", p)
				}
				pairs = append(pairs, p)
			}
		}
		family := name
		if types[family] == "" {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if base, ok := strings.CutSuffix(name, suffix); ok && types[base] == "histogram" {
					family = base
				}
			}
		}
		if types[family] == "" || !helps[family] {
			return nil, fail("sample of %s before its # HELP and # TYPE", family)
		}
		if _, dup := out[series]; dup {
			return nil, fail("series repeated")
		}
		out[series] = v
		if types[family] == "histogram" && strings.HasSuffix(name, "_bucket") {
			if len(pairs) != 1 || !strings.HasPrefix(pairs[0], `le="`) {
				return nil, fail("a bucket has exactly the le label")
			}
			if v < lastBucket[family] {
				return nil, fail("buckets must not decrease")
			}
			lastBucket[family] = v
		}
	}
	for name, typ := range types {
		if typ != "histogram" {
			continue
		}
		inf, ok := out[name+`_bucket{le="+Inf"}`]
		if !ok || inf != out[name+"_count"] || math.IsNaN(out[name+"_sum"]) {
			return nil, fmt.Errorf("histogram %s: +Inf bucket %v, _count %v, _sum %v", name, inf, out[name+"_count"], out[name+"_sum"])
		}
	}
	return out, sc.Err()
}

func TestParseMetricsRefuses(t *testing.T) {
	// The parser is the test's judge of the format: it must refuse what a
	// scraper refuses.
	cases := []struct{ name, text, reason string }{
		{"no type", "# HELP a x\na 1\n", "a sample needs its family's TYPE"},
		{"bad value", "# HELP a x\n# TYPE a counter\na one\n", "values are numbers"},
		{"bad label", "# HELP a x\n# TYPE a counter\na{r=x} 1\n", "label values are quoted"},
		{"repeat", "# HELP a x\n# TYPE a counter\na 1\na 2\n", "a series appears once"},
		{"falling buckets", "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n", "buckets are cumulative"},
		{"count mismatch", "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n", "+Inf equals _count"},
	}
	for _, c := range cases {
		if _, err := parseMetrics(c.text); err == nil {
			t.Errorf("%s: parsed, want an error (%s)", c.name, c.reason)
		}
	}
	if m, err := parseMetrics("# HELP a x\n# TYPE a counter\na{r=\"x\"} 1\n"); err != nil || m[`a{r="x"}`] != 1 {
		t.Errorf("a valid exposition: %v, %v", m, err)
	}
}
