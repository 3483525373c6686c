package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kinject/kinject/inject"
	"github.com/kinject/kinject/policy"

	jsonpatch "github.com/evanphx/json-patch/v5"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// withUID gives a review another request uid.
func withUID(review, uid string) string {
	return strings.Replace(review, "705ab4f5-6393-11e8-b7cc-42010a800002", uid, 1)
}

// withAnnotations gives the review's pod annotations (a JSON object).
func withAnnotations(review, annotations string) string {
	return strings.Replace(review, `"labels": {"app": "web"},`, `"labels": {"app": "web"}, "annotations": `+annotations+`,`, 1)
}

// injectedReview is podReview's pod after its own patch: a pod injected
// before, sent again.
func injectedReview(t *testing.T, patch []byte) string {
	t.Helper()
	var req admissionv1.AdmissionReview
	if err := json.Unmarshal([]byte(podReview), &req); err != nil {
		t.Fatal(err)
	}
	p, err := jsonpatch.DecodePatch(patch)
	if err != nil {
		t.Fatal(err)
	}
	pod, err := p.Apply(req.Request.Object.Raw)
	if err != nil {
		t.Fatal(err)
	}
	req.Request.Object.Raw = pod
	req.Request.UID = "reinject"
	b, err := json.Marshal(&req)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestMetricsAndLog sends one request of each kind and reads back both the
// metrics (through the format's parser) and the one log line per request.
func TestMetricsAndLog(t *testing.T) {
	ts := startTestServer(t, serverSetup{args: []string{"--log-format", "json"}})
	first := post(t, ts.client, ts.base+"/inject", podReview, http.StatusOK)
	requests := []struct {
		name, uid, body, contentType string
		status                       int
		decision, reason             string
		why                          string
	}{
		{"replica", "replica", withUID(podReview, "replica"), "", 200, "injected", "", "the next replica: answered from the cache"},
		{"service", "service", strings.Replace(withUID(podReview, "service"), `"kind": "Pod"}`, `"kind": "Service"}`, 1), "", 200, "skipped", "not_pod_create", "only pod CREATEs are injected"},
		{"opt out", "opt-out", withUID(withAnnotations(podReview, `{"sidecar.istio.io/inject": "false"}`), "opt-out"), "", 200, "skipped", "annotation_opt_out", "the deprecated annotation opts out inside the injector"},
		{"injected before", "reinject", injectedReview(t, first.Response.Patch), "", 200, "skipped", "no_change", "re-injecting an injected pod changes nothing"},
		{"bad annotation", "bad-cpu", withUID(withAnnotations(podReview, `{"sidecar.istio.io/proxyCPU": "lots"}`), "bad-cpu"), "", 200, "denied", "invalid_pod", "the pod's own annotation is invalid: a 400 denial"},
		{"truncated", "", `{"apiVersion":`, "", 400, "error", "bad_review", "not an AdmissionReview"},
		{"content type", "", podReview, "text/plain", 415, "error", "content_type", "AdmissionReviews are JSON"},
	}
	for _, r := range requests {
		ct := r.contentType
		if ct == "" {
			ct = "application/json"
		}
		resp, err := ts.client.Post(ts.base+"/inject", ct, strings.NewReader(r.body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != r.status {
			t.Fatalf("%s: status %d, want %d: %s", r.name, resp.StatusCode, r.status, b)
		}
	}

	m := ts.scrape(t)
	want := map[string]float64{
		"sidecar_injection_requests_total":                          8,
		"sidecar_injection_success_total":                           2,
		`sidecar_injection_skip_total{reason="not_pod_create"}`:     1,
		`sidecar_injection_skip_total{reason="annotation_opt_out"}`: 1,
		`sidecar_injection_skip_total{reason="no_change"}`:          1,
		`sidecar_injection_skip_total{reason="host_network"}`:       0,
		`sidecar_injection_failure_total{reason="invalid_pod"}`:     1,
		`sidecar_injection_failure_total{reason="internal"}`:        0,
		`kinject_webhook_errors_total{type="bad_review"}`:           1,
		`kinject_webhook_errors_total{type="content_type"}`:         1,
		`kinject_webhook_errors_total{type="timeout"}`:              0,
		"sidecar_injection_time_seconds_count":                      8,
		"kinject_webhook_cache_hits_total":                          1,
		"kinject_webhook_cache_misses_total":                        4, // first, opt out, injected before, bad annotation
		// The Reviewer keeps allowed answers, with or without a patch
		// (first, opt out, injected before), never denials.
		"kinject_webhook_cache_entries":              3,
		"kinject_webhook_ready":                      1,
		"kinject_webhook_config_last_reload_success": 1,
	}
	for k, v := range want {
		if got, ok := m[k]; !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	if m["kinject_webhook_cache_bytes"] <= 0 {
		t.Errorf("kinject_webhook_cache_bytes = %v, want the size of 3 answers", m["kinject_webhook_cache_bytes"])
	}
	sum := m["sidecar_injection_success_total"]
	for k, v := range m {
		for _, p := range []string{"sidecar_injection_skip_total{", "sidecar_injection_failure_total{", "kinject_webhook_errors_total{"} {
			if strings.HasPrefix(k, p) {
				sum += v
			}
		}
	}
	if sum != m["sidecar_injection_requests_total"] {
		t.Errorf("success + skip + failure + errors = %v, want requests_total %v", sum, m["sidecar_injection_requests_total"])
	}

	// One JSON line per request, in order.
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(ts.logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, l)
		}
		if rec["msg"] == "admission review" {
			lines = append(lines, rec)
		}
	}
	if len(lines) != 8 {
		t.Fatalf("%d request log lines, want 8:\n%s", len(lines), ts.logs)
	}
	l := lines[0]
	patch, _ := jsonpatch.DecodePatch(first.Response.Patch)
	for k, v := range map[string]any{
		"uid": "705ab4f5-6393-11e8-b7cc-42010a800002", "namespace": "shop", "pod": "web-7d4f8-*",
		"decision": "injected", "revision": "default", "patchBytes": float64(len(first.Response.Patch)), "status": float64(200),
	} {
		if l[k] != v {
			t.Errorf("first request's log %s = %v, want %v", k, l[k], v)
		}
	}
	if d, _ := l["duration"].(float64); d <= 0 || patch == nil {
		t.Errorf("first request's log duration = %v, want a positive number of nanoseconds", l["duration"])
	}
	for i, r := range requests {
		l := lines[i+1]
		if l["decision"] != r.decision || (r.reason != "" && l["reason"] != r.reason) || (r.uid != "" && l["uid"] != r.uid) {
			t.Errorf("%s: log decision %v reason %v uid %v, want %s %s %s (%s)", r.name, l["decision"], l["reason"], l["uid"], r.decision, r.reason, r.uid, r.why)
		}
	}
	if msg, _ := lines[3]["message"].(string); !strings.Contains(msg, `sidecar.istio.io/inject="false" opts out`) {
		t.Errorf("opt-out log message %q, want the policy's reason", msg)
	}
	if msg, _ := lines[5]["message"].(string); !strings.Contains(msg, "proxyCPU") {
		t.Errorf("denial log message %q, want the denial's message naming the annotation", msg)
	}
}

// TestTextLog: the default log format is slog's text, one line per request.
func TestTextLog(t *testing.T) {
	ts := startTestServer(t, serverSetup{})
	post(t, ts.client, ts.base+"/inject", podReview, http.StatusOK)
	ts.stop(t)
	var got []string
	for _, l := range strings.Split(ts.logs.String(), "\n") {
		if strings.Contains(l, `msg="admission review"`) {
			got = append(got, l)
		}
	}
	if len(got) != 1 {
		t.Fatalf("%d request lines, want 1:\n%s", len(got), ts.logs)
	}
	for _, part := range []string{"level=INFO", "uid=705ab4f5-6393-11e8-b7cc-42010a800002", "namespace=shop", "pod=web-7d4f8-*", "decision=injected", "revision=default", "duration=", "patchBytes=", "status=200"} {
		if !strings.Contains(got[0], part) {
			t.Errorf("log line lacks %q: %s", part, got[0])
		}
	}
}

// TestScanAnswer holds scanAnswer equal to decoding the answer, on every
// golden review of the inject package and on answers built to mislead it.
func TestScanAnswer(t *testing.T) {
	inj, err := inject.New(inject.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	var answers [][]byte
	files, _ := filepath.Glob("../../testdata/inject/review/*.json")
	for _, f := range files {
		if strings.Contains(f, ".pod.") || strings.Contains(f, ".response.") {
			continue
		}
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if out, err := inj.Review(context.Background(), body); err == nil {
			answers = append(answers, out)
		}
	}
	if len(answers) < 5 {
		t.Fatalf("only %d golden reviews answered", len(answers))
	}
	answers = append(answers,
		[]byte(`{"response":{"uid":"\"allowed\":false","allowed":true,"warnings":["\"patch\":\"x\""]}}`),
		[]byte(`{"kind":"AdmissionReview","response":{"uid":"u","allowed":false,"status":{"code":400,"message":"\"allowed\":true"}}}`),
		[]byte(`{"response":{"uid":"u","allowed":true,"patch":"W10=","patchType":"JSONPatch"}}`),
		[]byte(`{"response":{"uid":"u", "allowed": true}}`),
	)
	for i, out := range answers {
		var a answerHead
		if err := json.Unmarshal(out, &a); err != nil {
			t.Fatal(err)
		}
		allowed, patch, ok := scanAnswer(out)
		if ok && (allowed != a.Response.Allowed || string(patch) != a.Response.Patch) {
			t.Errorf("answer %d: scanned allowed %v patch %q, decoded %v %q:\n%s", i, allowed, patch, a.Response.Allowed, a.Response.Patch, out)
		}
		if !ok && i < len(answers)-1 {
			t.Errorf("answer %d: the scan declined a compact answer:\n%s", i, out)
		}
	}
}

// TestSkipReasons: a pod the injector refuses is counted under the rule
// that refused it (policy.Decision.Rule), one label value per rule, never
// read from the reason's text. Each review goes through a real Injector
// configured for the rule, then through the handler's classify.
func TestSkipReasons(t *testing.T) {
	pod := func(edit string) string {
		return strings.Replace(podReview, `"labels": {"app": "web"},`, edit, 1)
	}
	batch := []metav1.LabelSelector{{MatchLabels: map[string]string{"app": "batch"}}}
	for _, tc := range []struct {
		name, why string
		cfg       func(*inject.Config)
		review    string
		want      string
	}{
		{"host network", "hostNetwork pods are never injected", nil,
			strings.Replace(podReview, `"spec": {`, `"spec": {"hostNetwork": true, `, 1), "host_network"},
		{"ignored namespace", "the injector never injects its ignored namespaces",
			func(c *inject.Config) { c.IgnoredNamespaces = []string{"shop"} }, podReview, "ignored_namespace"},
		{"label opt-out", "a pod labelled false that reaches the injector (a selector edited away from Istio's)", nil,
			pod(`"labels": {"app": "web", "sidecar.istio.io/inject": "false"},`), "label_opt_out"},
		{"annotation opt-out", "the deprecated annotation", nil,
			withAnnotations(podReview, `{"sidecar.istio.io/inject": "false"}`), "annotation_opt_out"},
		{"never selector", "neverInjectSelector matches the pod", func(c *inject.Config) {
			c.NeverInjectSelector = batch
		}, pod(`"labels": {"app": "batch"},`), "never_inject_selector"},
		{"policy disabled", "nothing opts the pod in", func(c *inject.Config) { c.Policy = "disabled" }, podReview, "policy_disabled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := inject.DefaultConfig()
			if tc.cfg != nil {
				tc.cfg(cfg)
			}
			inj, err := inject.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			out, err := inj.Review(context.Background(), []byte(tc.review))
			if err != nil {
				t.Fatal(err)
			}
			var head requestHead
			if err := json.Unmarshal([]byte(tc.review), &head); err != nil {
				t.Fatal(err)
			}
			o := classify(out, &head, inj.Revision(), []byte(tc.review))
			if o.decision != "skipped" || o.reasonName() != tc.want {
				t.Errorf("%s: %s/%s (%s), want skipped/%s", tc.why, o.decision, o.reasonName(), o.message, tc.want)
			}
		})
	}
	t.Run("invalid policy", func(t *testing.T) {
		// inject.New refuses such a policy; an injector built otherwise
		// would still be counted by its rule.
		review := []byte(podReview)
		var head requestHead
		json.Unmarshal(review, &head)
		o := classify([]byte(`{"response":{"uid":"u","allowed":true}}`), &head, policy.Revision{Policy: "sometimes"}, review)
		if o.reasonName() != "policy_invalid" {
			t.Errorf("a policy neither enabled nor disabled: %s, want policy_invalid", o.reasonName())
		}
	})
	t.Run("fixed set", func(t *testing.T) {
		// Every refusing rule of the injector has its own label value;
		// the values are distinct.
		seen := map[string]bool{}
		for _, n := range skipNames {
			if seen[n] {
				t.Errorf("skip reason %q listed twice", n)
			}
			seen[n] = true
		}
		for _, r := range []policy.Rule{policy.RuleHostNetwork, policy.RuleIgnoredNamespace, policy.RuleLabelOptOut,
			policy.RuleAnnotationOptOut, policy.RuleNeverInjectSelector, policy.RulePolicyDisabled, policy.RulePolicyInvalid} {
			if skipReason(r) == skipOther {
				t.Errorf("the injector's rule %s has no skip reason of its own", r)
			}
		}
	})
}
