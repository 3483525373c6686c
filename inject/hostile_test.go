package inject

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kinject/kinject/internal/fieldpaths"
	"github.com/kinject/kinject/template"
)

// The hostile-value tests set one annotation or label of a pod to a value
// an attacker chose and inject it through the whole pipeline (InjectPod and
// Review). Either the injection fails with an error that wraps
// ErrInvalidAnnotation or ErrInvalidLabel and names the key, or the
// injected pod differs from the one injected with a benign value only in
// the fields that key is meant to drive.

// Path prefixes (see flattenPod). The proxy is a container or, with native
// sidecars, an init container; the init step is istio-init or, under CNI,
// istio-validation.
const (
	hProxy     = "spec.containers[istio-proxy]"
	hProxyInit = "spec.initContainers[istio-proxy]"
	hInit      = "spec.initContainers[istio-init]"
	hValid     = "spec.initContainers[istio-validation]"
)

// hProm are the annotations the prometheus merge rewrites.
var hProm = []string{"metadata.annotations[prometheus.io/port]", "metadata.annotations[prometheus.io/path]", "metadata.annotations[prometheus.io/scrape]"}

// hostileKey is one annotation or label the templates or the
// post-processing read, a benign value, and the path prefixes its value may
// change (the key's own entry is always allowed).
type hostileKey struct {
	key, benign string
	label       bool
	resources   bool // the value sets resources: a request above its limit is a *template.ResourceError
	allowed     []string
}

func proxyPaths(field string) []string {
	return []string{hProxy + field, hProxyInit + field}
}

func initPaths(field string) []string {
	return []string{hInit + field, hValid + field}
}

func both(field string) []string { return append(proxyPaths(field), initPaths(field)...) }

var hostileKeys = []hostileKey{
	{key: "sidecar.istio.io/logLevel", benign: "debug", allowed: proxyPaths(".args")},
	{key: "sidecar.istio.io/componentLogLevel", benign: "misc:error", allowed: proxyPaths(".args")},
	{key: "sidecar.istio.io/agentLogLevel", benign: "default:info", allowed: both(".args")},
	{key: "sidecar.istio.io/proxyImage", benign: "docker.io/istio/proxyv2:1", allowed: both(".image")},
	{key: "sidecar.istio.io/proxyCPU", benign: "100m", resources: true, allowed: both(".resources")},
	{key: "sidecar.istio.io/proxyMemoryLimit", benign: "1Gi", resources: true, allowed: both(".resources")},
	{key: "status.sidecar.istio.io/port", benign: "15020", allowed: both("")},
	{key: "readiness.status.sidecar.istio.io/periodSeconds", benign: "15", allowed: proxyPaths(".readinessProbe")},
	{key: "sidecar.istio.io/interceptionMode", benign: "REDIRECT", allowed: both("")},
	{key: "traffic.sidecar.istio.io/includeOutboundIPRanges", benign: "10.0.0.0/8", allowed: initPaths(".args")},
	{key: "traffic.sidecar.istio.io/excludeInboundPorts", benign: "8080", allowed: initPaths(".args")},
	{key: "traffic.sidecar.istio.io/includeOutboundPorts", benign: "443", allowed: initPaths(".args")},
	{key: "traffic.sidecar.istio.io/kubevirtInterfaces", benign: "net1", allowed: initPaths(".args")},
	{key: "traffic.sidecar.istio.io/excludeInterfaces", benign: "eth1", allowed: initPaths(".args")},
	{key: "sidecar.istio.io/userVolume", benign: `{"v":{"emptyDir":{}}}`, allowed: []string{"spec.volumes"}},
	{key: "sidecar.istio.io/userVolumeMount", benign: `{"v":{"mountPath":"/v"}}`, allowed: proxyPaths(".volumeMounts")},
	{key: "sidecar.istio.io/bootstrapOverride", benign: "my-bootstrap", allowed: append(proxyPaths(".volumeMounts"), "spec.volumes")},
	{key: "apm.datadoghq.com/env", benign: `{"DD_ENV":"prod"}`, allowed: proxyPaths(".env")},
	{key: "k8s.v1.cni.cncf.io/networks", benign: "default/x", allowed: nil},
	{key: "proxy.istio.io/config", benign: "concurrency: 2", allowed: append(both(""), "metadata", "spec.volumes")},
	{key: "prometheus.io/port", benign: "9090", allowed: append(proxyPaths(".env"), hProm...)},
	{key: "prometheus.io/path", benign: "/metrics", allowed: append(proxyPaths(".env"), hProm...)},
	{key: "kubectl.kubernetes.io/default-container", benign: "app", allowed: nil},
	{key: "security.istio.io/tlsMode", benign: "istio", label: true, allowed: nil},
	{key: "service.istio.io/canonical-name", benign: "web", label: true, allowed: append(proxyPaths(".env"), "metadata.labels[service.istio.io/canonical-name]")},
	{key: "service.istio.io/workload-name", benign: "web", label: true, allowed: proxyPaths(".env")},
	{key: "app", benign: "web", label: true, allowed: append(proxyPaths(".env"), "metadata.labels[service.istio.io/canonical-name]")},
	{key: "version", benign: "v1", label: true, allowed: append(proxyPaths(".env"), "metadata.labels[service.istio.io/canonical-revision]")},
	{key: "topology.istio.io/network", benign: "n1", label: true, allowed: proxyPaths(".env")},
}

// hostileSeeds are what issue 4 lists (newlines, quotes, template and YAML
// syntax, 100 KB), plus values shaped to close a quoted scalar and open a
// field.
var hostileSeeds = []string{
	"a\nb", "a\"b", "a'b", "}}", "{{", "{{ .Values }}", "a: b", "# c", "a #c", "&anchor", "*alias", "- item",
	"x\"\n  evil: true", "x'\n- name: evil", `"}, "evil": {"`, "10.0.0.0/8\"\nfoo: bar",
	`eth0", evil: "x`, `eth0', evil: 'x`, "eth0\", hostNetwork: true, x: \"",
	`{"v":{"hostPath":{"path":"/"}},"w\": x":{}}`, `{"DD_ENV":"a\"\n- name: EVIL"}`,
	"concurrency: 2\nproxyMetadata: {\"A\": \"x\\\"\\n- name: EVIL\"}",
	"eth0\"\n  stdin: true\n  x: \"", "eth0\"\n    stdin: true\n    x: \"", "eth0\"\nhostNetwork: true\nx: \"",
	"a'\n  stdin: true\n  x: 'b", "1\n  stdin: true",
	strings.Repeat("A", 100*1024), "\x00\x7f\u2028", "\xff\xfe",
	// Blanks Istio trims around ports and interface names (issue 10's
	// fuzz failures): refused or written harmlessly, never a render error.
	"\v0", "0\v", "\f1", "1\r", "1\n", "\u00851", "\u00a01", "1\u2028", " 80", "80 ", "\t80", "80\t", "eth0 ,\teth1",
}

// hostileTarget is an injector and the pod it injects.
type hostileTarget struct {
	inj *Injector
	pod *corev1.Pod
}

func embeddedTarget(t testing.TB) hostileTarget {
	pod := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{
		Name: "app", Image: "app", Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
	}}}}
	pod.Name, pod.Namespace = "web-abc", "shop"
	return hostileTarget{inj: newTestInjector(t, nil), pod: pod}
}

func corpusTarget(t testing.TB) hostileTarget {
	inj, pod := corpusInjector(t, "hello", 0)
	return hostileTarget{inj: inj, pod: pod}
}

// with returns a copy of the target's pod with key set to value.
func (ht hostileTarget) with(k hostileKey, value string) *corev1.Pod {
	pod := ht.pod.DeepCopy()
	m := &pod.Annotations
	if k.label {
		m = &pod.Labels
	}
	if *m == nil {
		*m = map[string]string{}
	}
	(*m)[k.key] = value
	return pod
}

// viaInjectPod injects the pod; err is the injection error.
func (ht hostileTarget) viaInjectPod(t testing.TB, pod *corev1.Pod) (map[string]string, error) {
	res, err := ht.inj.InjectPod(context.Background(), PodRequest{Pod: pod})
	if err != nil {
		return nil, err
	}
	return flattenPod(t, []byte(podJSON(t, res.Pod))), nil
}

// viaReview sends the pod in an AdmissionReview and applies the answer's
// patch to it; a denial comes back as an error carrying its message.
func (ht hostileTarget) viaReview(t testing.TB, pod *corev1.Pod) (map[string]string, error) {
	raw := []byte(podJSON(t, pod))
	body, err := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID: types.UID("u"), Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
			Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "pods"},
			Namespace: pod.Namespace, Operation: admissionv1.Create,
			Object: runtime.RawExtension{Raw: raw},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := ht.inj.Review(context.Background(), body)
	if err != nil {
		t.Fatalf("Review: %v", err)
	}
	var resp admissionv1.AdmissionReview
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	r := resp.Response
	if !r.Allowed {
		if r.Result == nil {
			t.Fatalf("denied without a status: %s", out)
		}
		return nil, errors.New(r.Result.Message)
	}
	if len(r.Patch) > 0 {
		p, err := jsonpatch.DecodePatch(r.Patch)
		if err != nil {
			t.Fatalf("patch: %v", err)
		}
		if raw, err = p.Apply(raw); err != nil {
			t.Fatalf("applying the patch: %v", err)
		}
	}
	return flattenPod(t, raw), nil
}

// check injects the benign and the hostile value through one path and
// reports what the hostile value did wrong.
func (ht hostileTarget) check(t testing.TB, k hostileKey, value, path string) {
	t.Helper()
	run := ht.viaInjectPod
	if path == "review" {
		run = ht.viaReview
	}
	base, err := run(t, ht.with(k, k.benign))
	if err != nil {
		t.Fatalf("%s: benign %s=%q refused: %v", path, k.key, k.benign, err)
	}
	got, err := run(t, ht.with(k, value))
	if err != nil {
		// A valid quantity can still put a request above its limit: the
		// resource error names the container and the resource instead.
		var re *template.ResourceError
		if k.resources && (errors.As(err, &re) || path == "review" && strings.Contains(err.Error(), "exceeds limit")) {
			return
		}
		want := ErrInvalidAnnotation
		if k.label {
			want = ErrInvalidLabel
		}
		// Review denials carry only the message, which names the sentinel.
		if (path == "pod" && !errors.Is(err, want)) || !strings.Contains(err.Error(), want.Error()+" "+k.key) {
			t.Errorf("%s: %s=%q: error %q does not wrap %q naming the key", path, k.key, shortValue(value), err, want)
		}
		return
	}
	own := "metadata.annotations[" + k.key + "]"
	if k.label {
		own = "metadata.labels[" + k.key + "]"
	}
	if bad := fieldpaths.ChangedOutside(base, got, append([]string{own}, k.allowed...)); len(bad) > 0 {
		t.Errorf("%s: %s=%q changed fields it does not drive: %v", path, k.key, shortValue(value), bad)
	}
}

func shortValue(s string) string {
	if len(s) > 60 {
		return fmt.Sprintf("%s... (%d bytes)", s[:60], len(s))
	}
	return s
}

// TestHostileValues sends every seed through every key, both paths, with
// the embedded configuration and the corpus's default one.
func TestHostileValues(t *testing.T) {
	targets := []struct {
		name, reason string
		get          func(testing.TB) hostileTarget
	}{
		{"embedded", "DefaultConfig, what most users run", embeddedTarget},
		{"corpus", "Istio's shipped sidecar template as the corpus renders it (skipped without the corpus)", corpusTarget},
	}
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			ht := tg.get(t)
			seeds := hostileSeeds
			if testing.Short() {
				seeds = seeds[:12] // the short values; the crafted ones and 100 KB run without -short
			}
			for _, k := range hostileKeys {
				for _, path := range []string{"pod", "review"} {
					for _, v := range seeds {
						ht.check(t, k, v, path)
					}
				}
			}
		})
	}
}

// TestHostileValueErrors pins the error for values that must be refused:
// each names the key (the cases of issue 4's security gap).
func TestHostileValueErrors(t *testing.T) {
	tests := []struct {
		name, reason string
		key, value   string
		label        bool
		is           error
	}{
		{"exclude interfaces", "the gap issue 4 found: a quote in an unquoted interface list", "traffic.sidecar.istio.io/excludeInterfaces", `eth0", evil: "x`, false, ErrInvalidAnnotation},
		{"kubevirt newline", "a line break would start a new YAML key", "traffic.sidecar.istio.io/kubevirtInterfaces", "net1\nevil: x", false, ErrInvalidAnnotation},
		{"user volume", "user volumes name their volumes by key; a hostile key is refused", "sidecar.istio.io/userVolume", `{"a\": b":{"emptyDir":{}}}`, false, ErrInvalidAnnotation},
		{"datadog env", "the Datadog env values are written unquoted", "apm.datadoghq.com/env", `{"DD_ENV":"a\"\n- name: EVIL"}`, false, ErrInvalidAnnotation},
		{"multus", "the networks list is written in single quotes", "k8s.v1.cni.cncf.io/networks", "a', evil: 'b", false, ErrInvalidAnnotation},
		{"proxy metadata", "proxyMetadata values become env entries", "proxy.istio.io/config", "proxyMetadata: {A: \"x\\\"\\n- name: EVIL\"}", false, ErrInvalidAnnotation},
		{"cpu quantity", "quantities are checked as Istio does", "sidecar.istio.io/proxyCPU", "1\"\nevil: x", false, ErrInvalidAnnotation},
		{"kubevirt vertical tab", "issue 10's fuzz failure: Istio trims \\v, the template writes it", "traffic.sidecar.istio.io/kubevirtInterfaces", "\v0", false, ErrInvalidAnnotation},
		{"status port form feed", "the same trim in the status port", "status.sidecar.istio.io/port", "\f15020", false, ErrInvalidAnnotation},
		{"outbound ports NEL", "U+0085 is a YAML line break", "traffic.sidecar.istio.io/includeOutboundPorts", "443\u0085", false, ErrInvalidAnnotation},
		{"exclude interfaces line break", "a trailing line break folds into the next value", "traffic.sidecar.istio.io/excludeInterfaces", "eth1\n", false, ErrInvalidAnnotation},
		{"label newline", "a label value with a line break is one the API server refuses", "app", "web\nevil: x", true, ErrInvalidLabel},
		{"label quote", "a quote in a label value", "service.istio.io/workload-name", `web"`, true, ErrInvalidLabel},
	}
	inj := newTestInjector(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app"}}}}
			pod.Name, pod.Namespace = "p", "shop"
			if tt.label {
				pod.Labels = map[string]string{tt.key: tt.value}
			} else {
				pod.Annotations = map[string]string{tt.key: tt.value}
			}
			_, err := inj.InjectPod(context.Background(), PodRequest{Pod: pod})
			if err == nil || !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.key) || !strings.Contains(err.Error(), `pod "shop/p"`) {
				t.Fatalf("error = %v, want %v naming %s and the pod (%s)", err, tt.is, tt.key, tt.reason)
			}
		})
	}
}

// flattenPod lists the leaves of a pod's JSON by path (see fieldpaths).
func flattenPod(t testing.TB, b []byte) map[string]string {
	t.Helper()
	m, err := fieldpaths.Flatten(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// hostileKeyFor returns the hostile-test entry of an annotation key.
func hostileKeyFor(key string) (hostileKey, bool) {
	for _, k := range hostileKeys {
		if k.key == key && !k.label {
			return k, true
		}
	}
	return hostileKey{}, false
}
