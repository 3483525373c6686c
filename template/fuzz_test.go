package template

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kinject/kinject/internal/fieldpaths"
)

// The security fuzz tests set one annotation (or label) of a pod to an
// arbitrary value and check that, unless validation rejects the value, the
// injected output differs from the output for a benign value only in the
// fields that key is meant to drive.

// valueKey is one annotation or label a template reads: a benign value and
// the paths (prefixes, see flatten) its value may change.
type valueKey struct {
	key, benign string
	label       bool
	allowed     []string
}

const (
	proxyPath = "spec.initContainers[istio-proxy]" // native sidecars
	initPath  = "spec.initContainers[istio-init]"
)

var sidecarKeys = []valueKey{
	{key: "sidecar.istio.io/logLevel", benign: "debug", allowed: []string{proxyPath + ".args"}},
	{key: "sidecar.istio.io/componentLogLevel", benign: "misc:error", allowed: []string{proxyPath + ".args"}},
	{key: "sidecar.istio.io/agentLogLevel", benign: "default:info", allowed: []string{proxyPath + ".args", initPath + ".args"}},
	{key: "sidecar.istio.io/proxyImage", benign: "docker.io/istio/proxyv2:1", allowed: []string{proxyPath + ".image", initPath + ".image"}},
	{key: "sidecar.istio.io/bootstrapOverride", benign: "my-bootstrap", allowed: []string{"spec.volumes[custom-bootstrap-volume].configMap.name"}},
	{key: "sidecar.istio.io/proxyCPU", benign: "100m", allowed: []string{proxyPath + ".resources", initPath + ".resources"}},
	{key: "sidecar.istio.io/proxyMemoryLimit", benign: "1Gi", allowed: []string{proxyPath + ".resources", initPath + ".resources"}},
	{key: "status.sidecar.istio.io/port", benign: "15020", allowed: []string{proxyPath, initPath + ".args", "metadata.annotations"}},
	{key: "readiness.status.sidecar.istio.io/periodSeconds", benign: "15", allowed: []string{proxyPath + ".readinessProbe"}},
	{key: "sidecar.istio.io/interceptionMode", benign: "REDIRECT", allowed: []string{"spec.initContainers", "metadata.annotations"}},
	{key: "traffic.sidecar.istio.io/includeOutboundIPRanges", benign: "10.0.0.0/8", allowed: []string{initPath + ".args", "metadata.annotations"}},
	{key: "traffic.sidecar.istio.io/excludeInboundPorts", benign: "8080", allowed: []string{initPath + ".args", "metadata.annotations"}},
	{key: "traffic.sidecar.istio.io/includeOutboundPorts", benign: "443", allowed: []string{initPath + ".args", "metadata.annotations"}},
	{key: "traffic.sidecar.istio.io/kubevirtInterfaces", benign: "net1", allowed: []string{initPath + ".args", "metadata.annotations"}},
	{key: "traffic.sidecar.istio.io/excludeInterfaces", benign: "eth1", allowed: []string{initPath + ".args", "metadata.annotations"}},
	{key: "sidecar.istio.io/userVolume", benign: `{"v":{"emptyDir":{}}}`, allowed: []string{"spec.volumes"}},
	{key: "sidecar.istio.io/userVolumeMount", benign: `{"v":{"mountPath":"/v"}}`, allowed: []string{proxyPath + ".volumeMounts"}},
	{key: "sidecar.istio.io/nativeSidecar", benign: "true", allowed: []string{"spec.initContainers", "spec.containers"}},
	{key: "sidecar.istio.io/capNetBindService", benign: "false", allowed: []string{proxyPath + ".securityContext"}},
	{key: "kubectl.kubernetes.io/default-container", benign: "hello", allowed: []string{"metadata.annotations"}},
	{key: "apm.datadoghq.com/env", benign: `{"DD_ENV":"prod"}`, allowed: []string{proxyPath + ".env"}},
	{key: "k8s.v1.cni.cncf.io/networks", benign: "default/x", allowed: []string{"metadata.annotations"}},
	{key: "proxy.istio.io/config", benign: "concurrency: 2", allowed: []string{proxyPath, initPath, "metadata", "spec.volumes"}},
	{key: "security.istio.io/tlsMode", benign: "istio", label: true, allowed: []string{"metadata.labels[security.istio.io/tlsMode]"}},
	{key: "service.istio.io/canonical-name", benign: "web", label: true, allowed: []string{"metadata.labels[service.istio.io/canonical-name]"}},
	{key: "service.istio.io/workload-name", benign: "web", label: true, allowed: []string{proxyPath + ".env"}},
	{key: "app", benign: "web", label: true, allowed: []string{"metadata.labels[service.istio.io/canonical-name]"}},
}

var ownKeys = []valueKey{
	{key: "mesh.example/logLevel", benign: "info", allowed: []string{"spec.containers[mesh-proxy].args", "metadata.annotations[mesh.example/log-level]"}},
	{key: "mesh.example/excludeInboundPorts", benign: "80", allowed: []string{"spec.initContainers[mesh-init].args"}},
	{key: "sidecar.istio.io/proxyImage", benign: "x/y:1", allowed: []string{"spec.containers[mesh-proxy].image"}},
	{key: "sidecar.istio.io/proxyCPU", benign: "1", allowed: []string{"spec.containers[mesh-proxy].resources"}},
	{key: "sidecar.istio.io/interceptionMode", benign: "NONE", allowed: []string{"spec.initContainers[mesh-init].args"}},
	{key: "app", benign: "web", label: true, allowed: []string{"metadata.labels[mesh.example/name]"}},
}

// hostileValues are the seeds: what issue 4 lists, and a 100 KB value.
var hostileValues = []string{
	"plain", "a\nb", "a\"b", "a'b", "}}", "{{ .Values }}", "a: b", "# c", "&anchor", "*alias", "- item",
	"x\"\n  evil: true", "x'\n- name: evil", "\"}, \"evil\": {\"", "10.0.0.0/8\"\nfoo: bar", "eth0\", hostNetwork: true, x: \"",
	`{"v":{"hostPath":{"path":"/"}},"w\": x":{}}`, strings.Repeat("A", 100*1024), "\x00\x7f\u2028", "\xff\xfe",
	// Whitespace Istio trims around list items and ports, which a
	// template then writes as it is (the fuzz failures of issue 10).
	"\v0", "0\v", "\f1", "1\r", "1\n", "\u00851", "\u00a01", "1\u2028", " 80", "80 ", "\t80", "80\t", "80, 443", "eth0 ,\teth1",
}

// flatten lists the leaves of a pod by path (see fieldpaths).
func flatten(t testing.TB, pod *corev1.Pod) map[string]string {
	t.Helper()
	b, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	m, err := fieldpaths.Flatten(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

type fuzzTarget struct {
	set   *Set
	names []string
	keys  []valueKey
	pod   *corev1.Pod
	data  func(t testing.TB, pod *corev1.Pod) *Data
}

// injectWith sets key to value on the pod and returns the templates' output,
// or ok=false when validation rejects the value.
func (ft fuzzTarget) injectWith(t testing.TB, k valueKey, value string) (map[string]string, bool) {
	pod := ft.pod.DeepCopy()
	if k.label {
		if pod.Labels == nil {
			pod.Labels = map[string]string{}
		}
		pod.Labels[k.key] = value
		if ValidateLabels(pod.Labels) != nil {
			return nil, false
		}
	} else {
		if pod.Annotations == nil {
			pod.Annotations = map[string]string{}
		}
		pod.Annotations[k.key] = value
		if ValidateAnnotations(pod.Annotations) != nil {
			return nil, false
		}
	}
	res, err := ft.set.Apply(pod, ft.names, ft.data(t, pod), ApplyOptions{SkipOverrides: true})
	if err != nil {
		t.Fatalf("%s=%q passed validation but Apply failed: %v", k.key, short(value), err)
	}
	return flatten(t, res.Injected), true
}

func short(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

func (ft fuzzTarget) check(t testing.TB, which uint8, value string) {
	k := ft.keys[int(which)%len(ft.keys)]
	base, ok := ft.injectWith(t, k, k.benign)
	if !ok {
		t.Fatalf("benign value %q of %s rejected", k.benign, k.key)
	}
	got, ok := ft.injectWith(t, k, value)
	if !ok {
		return
	}
	if bad := fieldpaths.ChangedOutside(base, got, k.allowed); len(bad) > 0 {
		t.Errorf("%s=%q changed fields it does not drive: %v", k.key, short(value), bad)
	}
}

func corpusSidecarTarget(t testing.TB) fuzzTarget {
	dir := tmplCorpusDir(t)
	c := loadCorpusCase(t, filepath.Join(dir, "cases", "hello"))
	s, err := Parse(c.config.Templates, Options{Aliases: c.config.Aliases})
	if err != nil {
		t.Fatal(err)
	}
	p := c.pods[0]
	return fuzzTarget{set: s, names: []string{"sidecar"}, keys: sidecarKeys, pod: p.pod,
		data: func(t testing.TB, pod *corev1.Pod) *Data {
			return c.data(t, corpusPod{pod: pod, typeMeta: p.typeMeta, owner: p.owner})
		}}
}

func ownTarget(t testing.TB) fuzzTarget {
	s, _ := ownSet(t)
	pod := mustPod(t, "metadata: {name: web-abc}\nspec: {containers: [{name: web, image: web}]}")
	return fuzzTarget{set: s, names: []string{"sidecar"}, keys: ownKeys, pod: pod,
		data: func(_ testing.TB, pod *corev1.Pod) *Data { return ownData(pod) }}
}

// TestHostileValues runs every seed value through every key of both
// targets (the fuzz tests below explore further).
func TestHostileValues(t *testing.T) {
	for _, target := range []struct {
		name string
		get  func(testing.TB) fuzzTarget
	}{{"corpus-sidecar", corpusSidecarTarget}, {"own", ownTarget}} {
		t.Run(target.name, func(t *testing.T) {
			ft := target.get(t)
			for i, k := range ft.keys {
				for _, v := range append([]string{k.benign}, hostileValues...) {
					ft.check(t, uint8(i), v)
				}
			}
		})
	}
}

func FuzzSidecarAnnotation(f *testing.F) {
	for i := range sidecarKeys {
		for _, v := range hostileValues[:10] {
			f.Add(uint8(i), v)
		}
	}
	ft := corpusSidecarTarget(f)
	f.Fuzz(func(t *testing.T, which uint8, value string) { ft.check(t, which, value) })
}

func FuzzOwnTemplateAnnotation(f *testing.F) {
	for i := range ownKeys {
		for _, v := range hostileValues[:10] {
			f.Add(uint8(i), v)
		}
	}
	ft := ownTarget(f)
	f.Fuzz(func(t *testing.T, which uint8, value string) { ft.check(t, which, value) })
}

// TestFuzzHarnessDetectsInjection makes sure the check above can fail: a
// template that writes an annotation unquoted lets a value add a field.
func TestFuzzHarnessDetectsInjection(t *testing.T) {
	s, err := Parse(map[string]string{"unsafe": "metadata:\n  labels:\n    x: {{ index .ObjectMeta.Annotations `x` }}\n"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ft := fuzzTarget{set: s, names: []string{"unsafe"}, pod: &corev1.Pod{},
		keys: []valueKey{{key: "x", benign: "a", allowed: []string{"metadata.labels.x"}}},
		data: func(_ testing.TB, pod *corev1.Pod) *Data { return &Data{ObjectMeta: pod.ObjectMeta} }}
	rec := &recorder{TB: t}
	ft.check(rec, 0, "a\n    evil: b")
	if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "metadata.labels.evil") {
		t.Errorf("harness reported %q, want the added label", rec.errors)
	}
}

// recorder collects Errorf calls instead of failing.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
