package inject

import (
	"bytes"
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestDefaultConfigFilesAreCopies(t *testing.T) {
	a, v, m := DefaultConfigFiles()
	a[0], v[0], m[0] = 'X', 'X', 'X'
	a2, v2, m2 := DefaultConfigFiles()
	if bytes.Equal(a, a2) || bytes.Equal(v, v2) || bytes.Equal(m, m2) {
		t.Fatal("DefaultConfigFiles returned the embedded bytes themselves; a caller could change the defaults")
	}
	if _, err := LoadConfig(a2, v2, m2); err != nil {
		t.Fatalf("the embedded files do not load: %v", err)
	}
}

func TestDefaultConfigIsFresh(t *testing.T) {
	a := DefaultConfig()
	a.Revision = "changed"
	a.Templates["sidecar"] = "broken {{"
	if b := DefaultConfig(); b.Revision != "" || b.Templates["sidecar"] == "broken {{" {
		t.Fatal("DefaultConfig shares state between calls")
	}
}

// TestDefaultConfigShape injects small pods with the embedded configuration
// and checks the familiar shape.
func TestDefaultConfigShape(t *testing.T) {
	type want struct {
		init       []string // init container names, in order
		containers []string // container names, in order
		cpu, mem   string   // istio-proxy requests
		cpuLimit   string
		memLimit   string
	}
	std := want{
		init: []string{"istio-init"}, containers: []string{"app", "istio-proxy"},
		cpu: "100m", mem: "128Mi", cpuLimit: "2", memLimit: "1Gi",
	}
	cases := []struct {
		name        string
		reason      string
		cfg         func(*Config)
		annotations map[string]string
		proxy       *corev1.Container // a gateway pod's own istio-proxy
		want        want
	}{
		{name: "plain", reason: "istio-init then the app and istio-proxy last", want: std},
		{name: "cni", reason: "with istio-cni the init container only validates",
			cfg: func(c *Config) {
				c.Values["pilot"] = map[string]any{"cni": map[string]any{"enabled": true}}
			},
			want: want{init: []string{"istio-validation"}, containers: std.containers, cpu: "100m", mem: "128Mi", cpuLimit: "2", memLimit: "1Gi"}},
		{name: "native", reason: "native sidecars run istio-proxy as a restartable init container",
			cfg:  func(c *Config) { c.NativeSidecars = true },
			want: want{init: []string{"istio-init", "istio-proxy"}, containers: []string{"app"}, cpu: "100m", mem: "128Mi", cpuLimit: "2", memLimit: "1Gi"}},
		{name: "native opt-out", reason: "the pod's nativeSidecar annotation wins over the injector",
			cfg:         func(c *Config) { c.NativeSidecars = true },
			annotations: map[string]string{"sidecar.istio.io/nativeSidecar": "false"},
			want:        std},
		{name: "resource annotations", reason: "each of the four resource annotations overrides one field",
			annotations: map[string]string{
				"sidecar.istio.io/proxyCPU": "250m", "sidecar.istio.io/proxyMemory": "64Mi",
				"sidecar.istio.io/proxyCPULimit": "1", "sidecar.istio.io/proxyMemoryLimit": "256Mi",
			},
			want: want{init: std.init, containers: std.containers, cpu: "250m", mem: "64Mi", cpuLimit: "1", memLimit: "256Mi"}},
		{name: "hold", reason: "holdApplicationUntilProxyStarts puts istio-proxy first",
			annotations: map[string]string{"proxy.istio.io/config": `{"holdApplicationUntilProxyStarts": true}`},
			want:        want{init: std.init, containers: []string{"istio-proxy", "app"}, cpu: "100m", mem: "128Mi", cpuLimit: "2", memLimit: "1Gi"}},
		{name: "gateway", reason: "the gateway template fills in the pod's own istio-proxy; no init container",
			annotations: map[string]string{"inject.istio.io/templates": "gateway"},
			proxy:       &corev1.Container{Name: "istio-proxy", Image: "auto"},
			want:        want{containers: []string{"istio-proxy"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inj := newTestInjector(t, c.cfg)
			pod := &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", Labels: map[string]string{"app": "p"}, Annotations: c.annotations},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "fake.example/app:1"}}},
			}
			if c.proxy != nil {
				pod.Spec.Containers = []corev1.Container{*c.proxy}
			}
			res, err := inj.InjectPod(context.Background(), PodRequest{Pod: pod, TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}})
			if err != nil {
				t.Fatalf("InjectPod: %v", err)
			}
			if !res.Decision.Inject {
				t.Fatalf("not injected: %s", res.Decision.Reason)
			}
			p := res.Pod
			if got := names(p.Spec.InitContainers); !equal(got, c.want.init) {
				t.Errorf("init containers %v, want %v (%s)", got, c.want.init, c.reason)
			}
			if got := names(p.Spec.Containers); !equal(got, c.want.containers) {
				t.Errorf("containers %v, want %v (%s)", got, c.want.containers, c.reason)
			}
			proxy := findProxy(&p.Spec)
			if proxy == nil {
				t.Fatal("no istio-proxy")
			}
			if proxy.Image != "docker.io/istio/proxyv2:1.27.1" {
				t.Errorf("proxy image %q", proxy.Image)
			}
			for _, v := range []string{"istio-envoy", "istio-data", "istio-podinfo", "istio-token", "istiod-ca-cert", "workload-socket"} {
				if !hasVolume(p.Spec.Volumes, v) {
					t.Errorf("volume %s missing", v)
				}
			}
			if c.want.cpu == "" {
				return
			}
			r := proxy.Resources
			for _, q := range []struct {
				got  resource.Quantity
				want string
				what string
			}{
				{r.Requests[corev1.ResourceCPU], c.want.cpu, "cpu request"},
				{r.Requests[corev1.ResourceMemory], c.want.mem, "memory request"},
				{r.Limits[corev1.ResourceCPU], c.want.cpuLimit, "cpu limit"},
				{r.Limits[corev1.ResourceMemory], c.want.memLimit, "memory limit"},
			} {
				if q.got.Cmp(resource.MustParse(q.want)) != 0 {
					t.Errorf("%s %s, want %s (%s)", q.what, q.got.String(), q.want, c.reason)
				}
			}
		})
	}
}

// TestDefaultTemplateValuesStayData checks that annotation values cannot
// add fields through the default template: every value the template prints
// is quoted, so the rendered pod has exactly the arguments and environment
// it has for a harmless value.
func TestDefaultTemplateValuesStayData(t *testing.T) {
	inj := newTestInjector(t, nil)
	render := func(ann map[string]string) *corev1.Pod {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "p", Labels: map[string]string{"app": "p"}, Annotations: ann},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "a"}}},
		}
		res, err := inj.InjectPod(context.Background(), PodRequest{Pod: pod, TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}})
		if err != nil {
			t.Fatalf("InjectPod(%v): %v", ann, err)
		}
		return res.Pod
	}
	for _, key := range []string{"sidecar.istio.io/logLevel", "sidecar.istio.io/componentLogLevel", "sidecar.istio.io/agentLogLevel"} {
		plain := render(map[string]string{key: "info"})
		evil := render(map[string]string{key: "info\"\n        - --evil\n      env: [{name: X, value: y}]\n{{ .Values }}'"})
		pp, ep := findProxy(&plain.Spec), findProxy(&evil.Spec)
		if len(pp.Args) != len(ep.Args) || len(pp.Env) != len(ep.Env) || len(plain.Spec.Containers) != len(evil.Spec.Containers) {
			t.Errorf("%s: a hostile value changed the shape: args %d→%d env %d→%d", key, len(pp.Args), len(ep.Args), len(pp.Env), len(ep.Env))
		}
	}
}

func names(cs []corev1.Container) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func hasVolume(vs []corev1.Volume, name string) bool {
	for _, v := range vs {
		if v.Name == name {
			return true
		}
	}
	return false
}
