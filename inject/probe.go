package inject

import (
	"encoding/json"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

const envAppProbers = "ISTIO_KUBE_APP_PROBERS"

// appProber is one original probe or lifecycle hook of an application
// container, as the proxy's status server replays it.
type appProber struct {
	HTTPGet        *corev1.HTTPGetAction   `json:"httpGet,omitempty"`
	TCPSocket      *corev1.TCPSocketAction `json:"tcpSocket,omitempty"`
	GRPC           *corev1.GRPCAction      `json:"grpc,omitempty"`
	TimeoutSeconds int32                   `json:"timeoutSeconds,omitempty"`
}

// rewriteProbes sends the application's HTTP, TCP and gRPC probes (and,
// from Istio 1.25, HTTP and TCP lifecycle hooks) through the proxy's status
// port, since mTLS would otherwise make the kubelet's probes fail: each
// becomes an HTTP GET of /app-health/<container>/livez|readyz|startupz (or
// /app-lifecycle/<container>/poststartz|prestopz) on the status port, and
// the originals, with named ports resolved, are recorded as JSON in the
// proxy's ISTIO_KUBE_APP_PROBERS. It runs unless the pod's
// sidecar.istio.io/rewriteAppHTTPProbers annotation or
// values.sidecarInjectorWebhook.rewriteAppHTTPProbe says otherwise.
func (i *Injector) rewriteProbes(pod *corev1.Pod, statusPort int32) error {
	proxy := findProxy(&pod.Spec)
	if proxy == nil {
		return nil
	}
	rewrite := valueBool(i.cfg.Values, "sidecarInjectorWebhook", "rewriteAppHTTPProbe")
	if v, ok := pod.Annotations[annRewriteProbes]; ok {
		if b, err := strconv.ParseBool(v); err == nil {
			rewrite = b
		}
	}
	if !rewrite {
		return nil
	}
	port := int(statusPort)
	if v, ok := pod.Annotations[annStatusPort]; ok {
		if p, err := strconv.Atoi(v); err == nil {
			port = p
		}
	}
	if port == 0 {
		return nil
	}
	hooks := rewritesLifecycleHooks(i.cfg.Release)
	probers := map[string]appProber{}
	var targets []*corev1.Container
	for k := range pod.Spec.InitContainers {
		// Native sidecars of the application (restartable init containers)
		// are probed by the kubelet like containers.
		c := &pod.Spec.InitContainers[k]
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			targets = append(targets, c)
		}
	}
	for k := range pod.Spec.Containers {
		targets = append(targets, &pod.Spec.Containers[k])
	}
	for _, c := range targets {
		if c.Name == proxyContainer {
			continue
		}
		for _, p := range appProbes(c) {
			if p.probe == nil {
				continue
			}
			if ap, ok := recordHandler(c, &p.probe.ProbeHandler, port); ok {
				ap.TimeoutSeconds = p.probe.TimeoutSeconds
				probers[p.path] = ap
				rewriteHandler(&p.probe.ProbeHandler, p.path, port)
			}
		}
		if !hooks {
			continue
		}
		for _, h := range appHooks(c) {
			if h.handler == nil || (h.handler.HTTPGet == nil && h.handler.TCPSocket == nil) {
				continue
			}
			ph := corev1.ProbeHandler{HTTPGet: h.handler.HTTPGet, TCPSocket: h.handler.TCPSocket}
			if ap, ok := recordHandler(c, &ph, port); ok {
				probers[h.path] = ap
				rewriteHandler(&ph, h.path, port)
				h.handler.HTTPGet, h.handler.TCPSocket = ph.HTTPGet, ph.TCPSocket
			}
		}
	}
	if len(probers) == 0 {
		return nil
	}
	b, err := json.Marshal(probers)
	if err != nil {
		return err
	}
	setEnv(proxy, envAppProbers, string(b))
	return nil
}

// probeSlot is a container's probe (nil when unset) and the path under
// which the proxy serves it: Istio's /app-health/<container>/livez naming,
// recorded in ISTIO_KUBE_APP_PROBERS.
type probeSlot struct {
	probe *corev1.Probe
	path  string
}

// appProbes returns c's liveness, readiness and startup probes with their
// paths. Injection and uninjection both name probes through it.
func appProbes(c *corev1.Container) [3]probeSlot {
	return [3]probeSlot{
		{c.LivenessProbe, "/app-health/" + c.Name + "/livez"},
		{c.ReadinessProbe, "/app-health/" + c.Name + "/readyz"},
		{c.StartupProbe, "/app-health/" + c.Name + "/startupz"},
	}
}

// hookSlot is a container's lifecycle hook (nil when unset) and its path
// (/app-lifecycle/<container>/poststartz, prestopz).
type hookSlot struct {
	handler *corev1.LifecycleHandler
	path    string
}

// appHooks returns c's postStart and preStop hooks with their paths; both
// handlers are nil when c has no lifecycle.
func appHooks(c *corev1.Container) [2]hookSlot {
	h := [2]hookSlot{{path: "/app-lifecycle/" + c.Name + "/poststartz"}, {path: "/app-lifecycle/" + c.Name + "/prestopz"}}
	if c.Lifecycle != nil {
		h[0].handler, h[1].handler = c.Lifecycle.PostStart, c.Lifecycle.PreStop
	}
	return h
}

// recordHandler returns the original handler with its named port resolved,
// or false when the handler is not rewritten (exec, or already pointing at
// the status port).
func recordHandler(c *corev1.Container, h *corev1.ProbeHandler, statusPort int) (appProber, bool) {
	switch {
	case h.HTTPGet != nil:
		g := h.HTTPGet.DeepCopy()
		g.Port = resolvePort(c, g.Port)
		if g.Port.IntValue() == statusPort {
			return appProber{}, false
		}
		return appProber{HTTPGet: g}, true
	case h.TCPSocket != nil:
		t := h.TCPSocket.DeepCopy()
		t.Port = resolvePort(c, t.Port)
		if t.Port.IntValue() == statusPort {
			return appProber{}, false
		}
		return appProber{TCPSocket: t}, true
	case h.GRPC != nil:
		if int(h.GRPC.Port) == statusPort {
			return appProber{}, false
		}
		return appProber{GRPC: h.GRPC.DeepCopy()}, true
	}
	return appProber{}, false
}

func rewriteHandler(h *corev1.ProbeHandler, path string, port int) {
	if h.HTTPGet != nil {
		h.HTTPGet.Path = path
		h.HTTPGet.Port = intstr.FromInt32(int32(port))
		if h.HTTPGet.Scheme == corev1.URISchemeHTTPS {
			h.HTTPGet.Scheme = corev1.URISchemeHTTP
		}
		return
	}
	h.TCPSocket = nil
	h.GRPC = nil
	h.HTTPGet = &corev1.HTTPGetAction{Path: path, Port: intstr.FromInt32(int32(port))}
}

// resolvePort turns a named port into the container's port number.
func resolvePort(c *corev1.Container, p intstr.IntOrString) intstr.IntOrString {
	if p.Type != intstr.String {
		return p
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return intstr.FromInt32(cp.ContainerPort)
		}
	}
	if n, err := strconv.Atoi(p.StrVal); err == nil {
		return intstr.FromInt(n)
	}
	return p
}
