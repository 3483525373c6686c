package inject

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

const (
	annPromScrape  = "prometheus.io/scrape"
	annPromPort    = "prometheus.io/port"
	annPromPath    = "prometheus.io/path"
	annPromTargets = "prometheus.istio.io/scrape-targets"
	annPromMerge   = "prometheus.istio.io/merge-metrics"
	envPromAnn     = "ISTIO_PROMETHEUS_ANNOTATIONS"
)

// promScrape is the application's own scrape configuration, handed to the
// proxy in ISTIO_PROMETHEUS_ANNOTATIONS so it can merge the application's
// metrics with its own. Every Istio release writes scrape, path and port,
// empty or not; the proxy reads an empty path as /metrics.
type promScrape struct {
	Scrape  string       `json:"scrape"`
	Path    string       `json:"path"`
	Port    string       `json:"port"`
	Targets []promTarget `json:"targets,omitempty"`
}

// promTarget is one endpoint of prometheus.istio.io/scrape-targets.
type promTarget struct {
	Port string `json:"port"`
	Path string `json:"path,omitempty"`
}

const (
	annPromSecurePort = "prometheus.istio.io/secure-port"
	envSecureMerged   = "ENVOY_SECURE_MERGED_METRICS_PORT"
	defaultPromPath   = "/metrics"
)

// prometheusMerge points the pod's prometheus.io annotations at the proxy's
// merged metrics endpoint, as Istio does when merging is on (the pod's
// prometheus.istio.io/merge-metrics, else the mesh's enablePrometheusMerge,
// default true) and the pod does not disable scraping
// (prometheus.io/scrape: "false"). The application's own settings move to
// the proxy's ISTIO_PROMETHEUS_ANNOTATIONS.
//
// From Istio 1.31 (prometheusTargets) prometheus.istio.io/scrape-targets
// ("PORT[:PATH],...", the path defaulting to /metrics) lists several
// application endpoints, which move there too; a prometheus.io/port or a
// target port that is not a port number is an error; and a proxy with
// ENVOY_SECURE_MERGED_METRICS_PORT gets prometheus.istio.io/secure-port.
func (i *Injector) prometheusMerge(pod *corev1.Pod, statusPort int32) error {
	ann := pod.Annotations
	if !prometheusMergeEnabled(i.mesh0.PrometheusMerge(), ann) {
		return nil
	}
	newest := prometheusTargets(i.cfg.Release)
	proxy := findProxy(&pod.Spec)
	if newest && proxy != nil {
		if port := envValue(proxy, envSecureMerged); port != "" && port != "0" {
			ann[annPromSecurePort] = port
		}
	}
	// Like Istio, every spelling of a key that sanitizes to the same label
	// name counts (prometheus.io/scrape, prometheus.io.scrape, ...); keys are
	// read in sorted order so the result is deterministic.
	var sc promScrape
	var variants []string
	portKey := ""
	for _, k := range sortedKeys(ann) {
		switch sanitizeLabelName(k) {
		case promScrapeLabel:
			if b, err := strconv.ParseBool(ann[k]); err == nil && !b {
				return nil
			}
			sc.Scrape = ann[k]
		case promPortLabel:
			sc.Port, portKey = ann[k], k
		case promPathLabel:
			sc.Path = ann[k]
		default:
			continue
		}
		variants = append(variants, k)
	}
	target := strconv.Itoa(int(statusPort))
	if sc.Port == target {
		// Already pointing at the proxy (a re-injection).
		return nil
	}
	if newest {
		if sc.Port != "" && !isPortNumber(sc.Port) {
			return fmt.Errorf("%w %s=%s: not a port number from 1 to 65535 (the proxy scrapes the application on it)", ErrInvalidAnnotation, portKey, strconv.Quote(sc.Port))
		}
		targets, err := parseScrapeTargets(ann[annPromTargets])
		if err != nil {
			return fmt.Errorf("%w %s=%s: %w", ErrInvalidAnnotation, annPromTargets, strconv.Quote(ann[annPromTargets]), err)
		}
		if len(targets) > 0 {
			sc.Targets = targets
			if sc.Port == "" {
				sc.Port = targets[0].Port
			}
			if sc.Path == "" {
				sc.Path = targets[0].Path
			}
		}
		delete(ann, annPromTargets)
	}
	if len(variants) > 0 || len(sc.Targets) > 0 {
		if proxy != nil {
			b, err := json.Marshal(sc)
			if err != nil {
				return err
			}
			proxy.Env = append(proxy.Env, corev1.EnvVar{Name: envPromAnn, Value: string(b)})
		}
	}
	for _, k := range variants {
		delete(ann, k)
	}
	ann[annPromPort] = target
	ann[annPromPath] = "/stats/prometheus"
	ann[annPromScrape] = "true"
	return nil
}

// prometheusMergeEnabled is Istio's rule: the pod's
// prometheus.istio.io/merge-metrics when it is a boolean, else the mesh's
// setting.
func prometheusMergeEnabled(mesh bool, ann map[string]string) bool {
	if v, ok := ann[annPromMerge]; ok {
		if b, err := strconv.ParseBool(v); err == nil {
			return b
		}
	}
	return mesh
}

// parseScrapeTargets reads prometheus.istio.io/scrape-targets:
// comma-separated PORT[:PATH] entries, blanks around them ignored, an empty
// path meaning /metrics. A port that is not a number from 1 to 65535 (for
// example "8080/metrics", a path without its colon) is an error.
func parseScrapeTargets(s string) ([]promTarget, error) {
	var out []promTarget
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		port, path, _ := strings.Cut(part, ":")
		if !isPortNumber(port) {
			return nil, fmt.Errorf("target %s: port %s is not a port number from 1 to 65535 (write PORT[:PATH], comma-separated)", strconv.Quote(part), strconv.Quote(port))
		}
		if path == "" {
			path = defaultPromPath
		}
		out = append(out, promTarget{Port: port, Path: path})
	}
	return out, nil
}

// isPortNumber reports whether s is a decimal port from 1 to 65535.
func isPortNumber(s string) bool {
	n, err := strconv.ParseUint(s, 10, 16)
	return err == nil && n > 0
}

// envValue returns the value of c's environment variable name ("" when
// absent or set from a source).
func envValue(c *corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

// The label names Prometheus derives from the scrape annotations.
const (
	promScrapeLabel = "prometheus_io_scrape"
	promPortLabel   = "prometheus_io_port"
	promPathLabel   = "prometheus_io_path"
)

// sanitizeLabelName turns an annotation key into the Prometheus label name
// it becomes: every character other than a letter, digit or underscore
// is an underscore.
func sanitizeLabelName(k string) string {
	b := []byte(k)
	for i, c := range b {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	return string(b)
}
