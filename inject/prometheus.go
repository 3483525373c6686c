package inject

import (
	"encoding/json"
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
// metrics with its own.
type promScrape struct {
	Scrape  string       `json:"scrape,omitempty"`
	Path    string       `json:"path,omitempty"`
	Port    string       `json:"port,omitempty"`
	Targets []promTarget `json:"targets,omitempty"`
}

type promTarget struct {
	Port string `json:"port"`
	Path string `json:"path,omitempty"`
}

// prometheusMerge points the pod's prometheus.io annotations at the proxy's
// merged metrics endpoint, as Istio does when the mesh's
// enablePrometheusMerge is on (the default) and the pod neither opts out
// (prometheus.istio.io/merge-metrics: "false") nor disables scraping
// (prometheus.io/scrape: "false"). The application's own settings move to
// the proxy's ISTIO_PROMETHEUS_ANNOTATIONS.
func (i *Injector) prometheusMerge(pod *corev1.Pod, statusPort int32) error {
	if !i.mesh0.PrometheusMerge() {
		return nil
	}
	ann := pod.Annotations
	if v, ok := ann[annPromMerge]; ok {
		if b, err := strconv.ParseBool(v); err == nil && !b {
			return nil
		}
	}
	// Like Istio, every spelling of a key that sanitizes to the same label
	// name counts (prometheus.io/scrape, prometheus.io.scrape, ...); keys are
	// read in sorted order so the result is deterministic.
	var sc promScrape
	var variants []string
	for _, k := range sortedKeys(ann) {
		switch sanitizeLabelName(k) {
		case promScrapeLabel:
			if b, err := strconv.ParseBool(ann[k]); err == nil && !b {
				return nil
			}
			sc.Scrape = ann[k]
		case promPortLabel:
			sc.Port = ann[k]
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
	if t := ann[annPromTargets]; t != "" {
		for _, part := range strings.Split(t, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			port, path, _ := strings.Cut(part, ":")
			sc.Targets = append(sc.Targets, promTarget{Port: port, Path: path})
		}
		if len(sc.Targets) > 0 {
			if sc.Port == "" {
				sc.Port = sc.Targets[0].Port
			}
			if sc.Path == "" {
				sc.Path = sc.Targets[0].Path
			}
		}
	}
	if sc.Scrape != "" || sc.Path != "" || sc.Port != "" || len(sc.Targets) > 0 {
		if proxy := findProxy(&pod.Spec); proxy != nil {
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
	delete(ann, annPromTargets)
	ann[annPromPort] = target
	ann[annPromPath] = "/stats/prometheus"
	ann[annPromScrape] = "true"
	return nil
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
