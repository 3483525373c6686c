package inject

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Uninject returns the pod as it was before injection: the containers, init
// containers, volumes and image pull secrets named by its
// sidecar.istio.io/status annotation are removed, the user's own
// istio-proxy overrides (proxy.istio.io/overrides) are put back, rewritten
// probes and prometheus annotations are restored, and the annotations and
// labels injection added are dropped. A pod without the status annotation is
// returned unchanged (a copy). pod is not modified.
//
// Uninject reverses kinject's own injection exactly; a pod injected by Istio
// is reversed as far as its annotations record.
func Uninject(pod *corev1.Pod) (*corev1.Pod, error) {
	if pod == nil {
		return nil, errors.New("inject: Uninject: nil pod")
	}
	return uninjectPod(pod, true)
}

// injectedLabels and injectedAnnotationKeys are the metadata keys Istio's
// templates and post-processing write. Uninject removes them: it is exact
// for a pod whose author did not set these keys, which injection
// overwrites without recording the old value (as Istio does).
var (
	injectedLabels = []string{
		"security.istio.io/tlsMode", "service.istio.io/canonical-name",
		"service.istio.io/canonical-revision", "networking.istio.io/tunnel", labelNetwork,
	}
	injectedAnnotationKeys = []string{
		"istio.io/rev", "kubectl.kubernetes.io/default-container",
		"kubectl.kubernetes.io/default-logs-container",
	}
)

// uninjectPod strips an injection. With metadata false (before a
// re-injection) the labels and annotations the templates derive are kept:
// the templates derive them again from the same values, and a value the
// user set must not be lost.
func uninjectPod(pod *corev1.Pod, metadata bool) (*corev1.Pod, error) {
	out := pod.DeepCopy()
	v, ok := pod.Annotations[annStatus]
	if !ok {
		return out, nil
	}
	var st sidecarStatus
	if err := json.Unmarshal([]byte(v), &st); err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrInvalidAnnotation, annStatus, err)
	}
	var overrides struct {
		Containers     []corev1.Container `json:"containers"`
		InitContainers []corev1.Container `json:"initContainers"`
	}
	if v, ok := pod.Annotations[annOverrides]; ok {
		if err := json.Unmarshal([]byte(v), &overrides); err != nil {
			return nil, fmt.Errorf("%w %s: %w", ErrInvalidAnnotation, annOverrides, err)
		}
	}
	// The recorded overrides leave out the image of a container the user
	// declared with image "auto" (the template's image was kept).
	for _, cs := range [][]corev1.Container{overrides.Containers, overrides.InitContainers} {
		for k := range cs {
			if cs[k].Image == "" {
				cs[k].Image = "auto"
			}
		}
	}
	drop := func(names []string) map[string]bool {
		m := make(map[string]bool, len(names))
		for _, n := range names {
			m[n] = true
		}
		return m
	}
	injected := drop(append(append([]string(nil), st.Containers...), st.InitContainers...))
	out.Spec.Containers = keepContainers(out.Spec.Containers, injected)
	out.Spec.InitContainers = keepContainers(out.Spec.InitContainers, injected)
	// The user's own versions of injected containers come back where the
	// user had them.
	out.Spec.Containers = append(out.Spec.Containers, overridesNotPresent(out.Spec.Containers, overrides.Containers)...)
	out.Spec.InitContainers = append(out.Spec.InitContainers, overridesNotPresent(out.Spec.InitContainers, overrides.InitContainers)...)
	vols := drop(st.Volumes)
	var keptVols []corev1.Volume
	for _, v := range out.Spec.Volumes {
		if !vols[v.Name] {
			keptVols = append(keptVols, v)
		}
	}
	out.Spec.Volumes = keptVols
	secrets := drop(st.ImagePullSecrets)
	var keptSecrets []corev1.LocalObjectReference
	for _, s := range out.Spec.ImagePullSecrets {
		if !secrets[s.Name] {
			keptSecrets = append(keptSecrets, s)
		}
	}
	out.Spec.ImagePullSecrets = keptSecrets

	if proxy := findProxy(&pod.Spec); proxy != nil {
		restoreProbes(out, proxy)
		restorePrometheus(out, proxy)
	}
	if metadata {
		for _, k := range injectedLabels {
			delete(out.Labels, k)
		}
		for _, k := range injectedAnnotationKeys {
			delete(out.Annotations, k)
		}
		if len(out.Labels) == 0 {
			out.Labels = nil
		}
	}
	delete(out.Annotations, annStatus)
	delete(out.Annotations, annOverrides)
	if len(out.Annotations) == 0 {
		out.Annotations = nil
	}
	return out, nil
}

// restoreProbes puts back the probes and lifecycle hooks recorded in the
// proxy's ISTIO_KUBE_APP_PROBERS.
func restoreProbes(pod *corev1.Pod, proxy *corev1.Container) {
	var raw string
	for _, e := range proxy.Env {
		if e.Name == envAppProbers {
			raw = e.Value
		}
	}
	if raw == "" {
		return
	}
	var probers map[string]appProber
	if json.Unmarshal([]byte(raw), &probers) != nil {
		return
	}
	var targets []*corev1.Container
	for k := range pod.Spec.InitContainers {
		targets = append(targets, &pod.Spec.InitContainers[k])
	}
	for k := range pod.Spec.Containers {
		targets = append(targets, &pod.Spec.Containers[k])
	}
	for _, c := range targets {
		for _, p := range appProbes(c) {
			if ap, ok := probers[p.path]; ok && p.probe != nil {
				p.probe.ProbeHandler = corev1.ProbeHandler{HTTPGet: ap.HTTPGet, TCPSocket: ap.TCPSocket, GRPC: ap.GRPC}
			}
		}
		for _, h := range appHooks(c) {
			if ap, ok := probers[h.path]; ok && h.handler != nil {
				h.handler.HTTPGet, h.handler.TCPSocket = ap.HTTPGet, ap.TCPSocket
			}
		}
	}
}

// restorePrometheus puts back the application's prometheus.io annotations
// recorded in ISTIO_PROMETHEUS_ANNOTATIONS, or removes the merged ones when
// the application had none, and removes the prometheus.istio.io/secure-port
// the injection copied from the proxy. A scrape target written without its
// path comes back with /metrics, the path it stood for.
func restorePrometheus(pod *corev1.Pod, proxy *corev1.Container) {
	// The secure port was copied from the proxy's environment.
	if v, ok := pod.Annotations[annPromSecurePort]; ok && v == envValue(proxy, envSecureMerged) {
		delete(pod.Annotations, annPromSecurePort)
	}
	if pod.Annotations[annPromPath] != "/stats/prometheus" {
		return
	}
	var sc *promScrape
	for _, e := range proxy.Env {
		if e.Name == envPromAnn {
			sc = &promScrape{}
			if json.Unmarshal([]byte(e.Value), sc) != nil {
				return
			}
		}
	}
	set := func(k, v string) {
		if v == "" {
			delete(pod.Annotations, k)
		} else {
			pod.Annotations[k] = v
		}
	}
	if sc == nil {
		sc = &promScrape{}
	}
	set(annPromScrape, sc.Scrape)
	if len(sc.Targets) > 0 {
		parts := make([]string, len(sc.Targets))
		for k, t := range sc.Targets {
			parts[k] = t.Port
			if t.Path != "" {
				parts[k] += ":" + t.Path
			}
		}
		pod.Annotations[annPromTargets] = strings.Join(parts, ",")
		// port and path were derived from the targets, not written.
		first := sc.Targets[0]
		if sc.Port == first.Port {
			sc.Port = ""
		}
		if sc.Path == first.Path {
			sc.Path = ""
		}
	}
	set(annPromPort, sc.Port)
	set(annPromPath, sc.Path)
}

func keepContainers(cs []corev1.Container, drop map[string]bool) []corev1.Container {
	var out []corev1.Container
	for _, c := range cs {
		if !drop[c.Name] {
			out = append(out, c)
		}
	}
	return out
}

func overridesNotPresent(cs, overrides []corev1.Container) []corev1.Container {
	var out []corev1.Container
	present := make(map[string]bool, len(cs))
	for _, c := range cs {
		present[c.Name] = true
	}
	for _, o := range overrides {
		if !present[o.Name] && !strings.HasPrefix(o.Name, "\x00") {
			out = append(out, o)
		}
	}
	return out
}
