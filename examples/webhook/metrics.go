package main

import (
	"bufio"
	"io"
	"math"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/kinject/kinject/policy"
)

// The metrics, in the Prometheus text exposition format (version 0.0.4),
// written with the standard library. Istio's injector names are kept where
// they mean the same thing:
//
//	sidecar_injection_requests_total            every POST /inject
//	sidecar_injection_success_total             answered with a patch (injected)
//	sidecar_injection_skip_total{reason}        allowed without a patch
//	sidecar_injection_failure_total{reason}     denied (allowed: false)
//	sidecar_injection_time_seconds              histogram of the time to answer
//
// and the rest are kinject's own:
//
//	kinject_webhook_errors_total{type}          requests answered with no AdmissionReview
//	kinject_webhook_cache_hits_total            pod CREATEs answered from the Reviewer's cache
//	kinject_webhook_cache_misses_total          pod CREATEs the cache did not know
//	kinject_webhook_cache_entries               answers held
//	kinject_webhook_cache_bytes                 memory they take
//	kinject_webhook_config_reloads_total{result} configuration reloads, success or failure
//	kinject_webhook_config_last_reload_success  1 when the last reload (or the start) loaded the files
//	kinject_webhook_config_loaded_timestamp_seconds when the configuration being served was loaded
//	kinject_webhook_certificate_expiry_timestamp_seconds NotAfter of the certificate being served
//	kinject_webhook_ready                       1 when /readyz answers 200
//
// Every label takes its values from a fixed list below, so the number of
// series is fixed; free text (a policy's reason, a denial's message) goes
// to the log line only. requests = success + skip + failure + errors.

// Skip reasons: two the handler sees itself, then one per rule of the
// injector's (policy.Revision.Required) that refuses a pod, named after its
// policy.Rule (see skipReason).
const (
	skipNotPodCreate        = iota // another resource, a subresource, UPDATE, DELETE, CONNECT
	skipNoChange                   // to be injected, but nothing to change (injected before, identically)
	skipHostNetwork                // policy.RuleHostNetwork
	skipIgnoredNamespace           // policy.RuleIgnoredNamespace
	skipLabelOptOut                // policy.RuleLabelOptOut
	skipAnnotationOptOut           // policy.RuleAnnotationOptOut
	skipNeverInjectSelector        // policy.RuleNeverInjectSelector
	skipPolicyDisabled             // policy.RulePolicyDisabled
	skipPolicyInvalid              // policy.RulePolicyInvalid
	skipOther                      // a refusal by a rule this list does not name (none today)
	numSkip
)

var skipNames = [numSkip]string{"not_pod_create", "no_change", "host_network", "ignored_namespace", "label_opt_out",
	"annotation_opt_out", "never_inject_selector", "policy_disabled", "policy_invalid", "other"}

// skipReason is the skip reason of a pod the injector refused by rule r.
func skipReason(r policy.Rule) int {
	switch r {
	case policy.RuleHostNetwork:
		return skipHostNetwork
	case policy.RuleIgnoredNamespace:
		return skipIgnoredNamespace
	case policy.RuleLabelOptOut:
		return skipLabelOptOut
	case policy.RuleAnnotationOptOut:
		return skipAnnotationOptOut
	case policy.RuleNeverInjectSelector:
		return skipNeverInjectSelector
	case policy.RulePolicyDisabled:
		return skipPolicyDisabled
	case policy.RulePolicyInvalid:
		return skipPolicyInvalid
	}
	return skipOther
}

// Denial reasons, from the HTTP code of the denial's status.
const (
	denyInvalidPod = iota // 400: the pod's own data (an invalid annotation, label, name, resource)
	denyInternal          // 500: the injection failed (a template or configuration problem)
	denyOther             // any other code
	numDeny
)

var denyNames = [numDeny]string{"invalid_pod", "internal", "other"}

// Error types: requests answered without an AdmissionReview.
const (
	errBadReview   = iota // 400: not an AdmissionReview Review can answer
	errContentType        // 415: not application/json
	errTooLarge           // 413: over --max-request-bytes
	errRead               // 400: the body could not be read
	errBadTimeout         // 400: a timeout query parameter that is not a duration
	errTimeout            // 504: the deadline (the API server's timeout, or --write-timeout) passed
	errCanceled           // the client went away
	errInternal           // 500: anything else
	numErr
)

var errNames = [numErr]string{"bad_review", "content_type", "too_large", "read", "bad_timeout", "timeout", "canceled", "internal"}

// latencyBuckets are the histogram's upper bounds in seconds: a cached
// answer takes tens of microseconds, a pod never seen about a millisecond,
// a huge one seconds.
var latencyBuckets = [...]float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// histogram counts durations per bucket without a lock. Counts are kept
// per bucket, not cumulated, and summed when written, so a scrape always
// sees buckets that add up to the count.
type histogram struct {
	counts [len(latencyBuckets) + 1]atomic.Uint64 // the last one is +Inf
	sumNs  atomic.Uint64
}

func (h *histogram) observe(d time.Duration) {
	s := d.Seconds()
	i := 0
	for i < len(latencyBuckets) && s > latencyBuckets[i] {
		i++
	}
	h.counts[i].Add(1)
	if d > 0 {
		h.sumNs.Add(uint64(d))
	}
}

// metrics are the server's counters. The zero value is ready; every
// method is safe for concurrent use.
type metrics struct {
	requests, injected atomic.Uint64
	skipped            [numSkip]atomic.Uint64
	denied             [numDeny]atomic.Uint64
	errors             [numErr]atomic.Uint64
	latency            histogram

	reloadOK, reloadFailed atomic.Uint64
	lastReloadFailed       atomic.Bool

	// Cache hits and misses of Reviewers replaced by a reload, so that the
	// totals never go down.
	retiredHits, retiredMisses atomic.Uint64
}

// gauges are the values read at scrape time.
type gauges struct {
	cacheHits, cacheMisses   uint64
	cacheEntries, cacheBytes int64
	loadedAt                 time.Time
	certExpiry               time.Time // zero: no certificate
	ready                    bool
}

// writeMetrics writes every metric in the text format.
func (m *metrics) write(w io.Writer, g gauges) error {
	bw := bufio.NewWriter(w)
	counter := func(name, help string, v uint64) {
		header(bw, name, "counter", help)
		sample(bw, name, "", "", strconv.FormatUint(v, 10))
	}
	labelled := func(name, typ, help, label string, names []string, v func(int) uint64) {
		header(bw, name, typ, help)
		for i, n := range names {
			sample(bw, name, label, n, strconv.FormatUint(v(i), 10))
		}
	}
	gauge := func(name, help, v string) {
		header(bw, name, "gauge", help)
		sample(bw, name, "", "", v)
	}

	counter("sidecar_injection_requests_total", "Admission requests received on /inject.", m.requests.Load())
	counter("sidecar_injection_success_total", "Pods injected: requests answered with a patch.", m.injected.Load())
	labelled("sidecar_injection_skip_total", "counter", "Requests allowed without a patch, by reason.", "reason", skipNames[:],
		func(i int) uint64 { return m.skipped[i].Load() })
	labelled("sidecar_injection_failure_total", "counter", "Requests denied (allowed: false), by reason.", "reason", denyNames[:],
		func(i int) uint64 { return m.denied[i].Load() })

	const hist = "sidecar_injection_time_seconds"
	header(bw, hist, "histogram", "Time to answer a request on /inject, from its headers to the end of the answer.")
	var cum uint64
	for i := range m.latency.counts {
		cum += m.latency.counts[i].Load()
		le := "+Inf"
		if i < len(latencyBuckets) {
			le = strconv.FormatFloat(latencyBuckets[i], 'f', -1, 64)
		}
		sample(bw, hist+"_bucket", "le", le, strconv.FormatUint(cum, 10))
	}
	sample(bw, hist+"_sum", "", "", formatFloat(float64(m.latency.sumNs.Load())/1e9))
	sample(bw, hist+"_count", "", "", strconv.FormatUint(cum, 10))

	labelled("kinject_webhook_errors_total", "counter", "Requests answered without an AdmissionReview, by type.", "type", errNames[:],
		func(i int) uint64 { return m.errors[i].Load() })
	counter("kinject_webhook_cache_hits_total", "Pod CREATE reviews answered from the Reviewer's cache.", m.retiredHits.Load()+g.cacheHits)
	counter("kinject_webhook_cache_misses_total", "Pod CREATE reviews not in the Reviewer's cache, answered by injecting.", m.retiredMisses.Load()+g.cacheMisses)
	gauge("kinject_webhook_cache_entries", "Answers held in the Reviewer's cache.", strconv.FormatInt(g.cacheEntries, 10))
	gauge("kinject_webhook_cache_bytes", "Memory taken by the answers held in the Reviewer's cache.", strconv.FormatInt(g.cacheBytes, 10))
	labelled("kinject_webhook_config_reloads_total", "counter", "Configuration reloads (SIGHUP or a file change), by result.", "result", []string{"success", "failure"},
		func(i int) uint64 {
			if i == 0 {
				return m.reloadOK.Load()
			}
			return m.reloadFailed.Load()
		})
	gauge("kinject_webhook_config_last_reload_success", "1 when the last configuration reload succeeded (or none was tried), 0 when the previous configuration is still served.", boolValue(!m.lastReloadFailed.Load()))
	gauge("kinject_webhook_config_loaded_timestamp_seconds", "When the configuration being served was loaded, in seconds since the Unix epoch.", unixSeconds(g.loadedAt))
	if !g.certExpiry.IsZero() {
		gauge("kinject_webhook_certificate_expiry_timestamp_seconds", "NotAfter of the TLS certificate being served, in seconds since the Unix epoch.", unixSeconds(g.certExpiry))
	}
	gauge("kinject_webhook_ready", "1 when the server is ready (/readyz answers 200).", boolValue(g.ready))
	return bw.Flush()
}

func header(w *bufio.Writer, name, typ, help string) {
	w.WriteString("# HELP ")
	w.WriteString(name)
	w.WriteByte(' ')
	w.WriteString(help) // the help texts are constants without backslashes or newlines
	w.WriteString("\n# TYPE ")
	w.WriteString(name)
	w.WriteByte(' ')
	w.WriteString(typ)
	w.WriteByte('\n')
}

// sample writes one line; label values come from the fixed lists above and
// need no escaping.
func sample(w *bufio.Writer, name, label, value, v string) {
	w.WriteString(name)
	if label != "" {
		w.WriteByte('{')
		w.WriteString(label)
		w.WriteString(`="`)
		w.WriteString(value)
		w.WriteString(`"}`)
	}
	w.WriteByte(' ')
	w.WriteString(v)
	w.WriteByte('\n')
}

func formatFloat(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return "NaN"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func unixSeconds(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return strconv.FormatFloat(float64(t.UnixNano())/1e9, 'f', -1, 64)
}

func boolValue(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
