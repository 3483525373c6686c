package inject

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

const podDir = "../testdata/inject/pod"

// podGoldenCases are the pods under testdata/inject/pod, each injected
// with the default configuration (plus the listed tweak). The outputs are
// <name>.golden.yaml (the injected pod, the decision and warnings, or the
// error) and <name>.patch.json.
var podGoldenCases = []struct {
	name, reason string
	tweak        func(*Config)
}{
	{name: "hello", reason: "the plain injection"},
	{name: "probes", reason: "probe and lifecycle rewrite"},
	{name: "prometheus", reason: "prometheus merge"},
	{name: "prometheus-off", reason: "scrape false opts out of the merge"},
	{name: "hold-application", reason: "istio-proxy first with holdApplicationUntilProxyStarts"},
	{name: "overrides", reason: "the user's istio-proxy fields win"},
	{name: "replicaset-owner", reason: "DeploymentMeta from owner references"},
	{name: "bad-ports", reason: "annotation validation"},
	{name: "bad-proxy-config", reason: "strict proxy.istio.io/config with the field named"},
	{name: "skipped", reason: "policy skip: no patch"},
	{name: "native", reason: "native sidecar ordering", tweak: func(c *Config) { c.NativeSidecars = true }},
	{name: "openshift", reason: "OpenShift UID/GID ranges", tweak: func(c *Config) {
		c.Platform = "openshift"
		c.Namespaces = map[string]NamespaceMeta{"team-a": {Annotations: map[string]string{
			annUIDRange: "1000700000/10000", annSupplementalGID: "1000700000/10000",
		}}}
	}},
}

type podGolden struct {
	Inject   bool        `json:"inject"`
	Reason   string      `json:"reason,omitempty"`
	Warnings []string    `json:"warnings,omitempty"`
	Error    string      `json:"error,omitempty"`
	Pod      *corev1.Pod `json:"pod,omitempty"`
}

func loadPod(t *testing.T, path string) *corev1.Pod {
	t.Helper()
	var pod corev1.Pod
	if err := yaml.UnmarshalStrict(readFile(t, path), &pod); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &pod
}

func podInjector(t *testing.T, tweak func(*Config)) *Injector {
	t.Helper()
	cfg := DefaultConfig()
	if tweak != nil {
		tweak(cfg)
	}
	inj, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return inj
}

// TestInjectPodGolden injects each pod, compares result and patch with the
// golden files, and checks that the patch applied to the input (evanphx)
// gives the golden pod, that re-injecting the result changes nothing and
// that Uninject gives the input back.
func TestInjectPodGolden(t *testing.T) {
	for _, tc := range podGoldenCases {
		t.Run(tc.name, func(t *testing.T) {
			inj := podInjector(t, tc.tweak)
			pod := loadPod(t, filepath.Join(podDir, tc.name+".yaml"))
			res, err := inj.InjectPod(context.Background(), PodRequest{Pod: pod})
			g := podGolden{}
			if err != nil {
				g.Error = err.Error()
			} else {
				g.Inject, g.Reason, g.Warnings = res.Decision.Inject, res.Decision.Reason, res.Warnings
				if res.Decision.Inject {
					g.Pod = res.Pod
				}
			}
			// Printed as manual injection prints for the newest release:
			// the same on every supported k8s.io release.
			out, merr := marshalObject(g, false)
			if merr != nil {
				t.Fatal(merr)
			}
			golden(t, filepath.Join(podDir, tc.name+".golden.yaml"), out)
			if err != nil {
				return
			}
			p, merr := json.MarshalIndent(res.Patch, "", "  ")
			if merr != nil {
				t.Fatal(merr)
			}
			golden(t, filepath.Join(podDir, tc.name+".patch.json"), append(p, '\n'))

			// The patch turns the input into the result.
			in, _ := json.Marshal(pod)
			want, _ := json.Marshal(res.Pod)
			jp, err := jsonpatch.DecodePatch(p)
			if err != nil {
				t.Fatal(err)
			}
			applied, err := jp.Apply(in)
			if err != nil {
				t.Fatalf("%s: applying the patch: %v", tc.reason, err)
			}
			if !jsonpatch.Equal(applied, want) {
				t.Errorf("%s: patch applied to the input differs from the result:\n%s", tc.reason, cmp.Diff(string(want), string(applied)))
			}
			if !res.Decision.Inject {
				if len(res.Patch) != 0 {
					t.Errorf("%s: skipped pod has a patch", tc.reason)
				}
				return
			}
			// Re-injection is a no-op.
			again, err := inj.InjectPod(context.Background(), PodRequest{Pod: res.Pod})
			if err != nil {
				t.Fatal(err)
			}
			if len(again.Patch) != 0 {
				t.Errorf("%s: re-injection is not a no-op: %s", tc.reason, podJSON(t, again.Patch))
			}
			// Uninject restores the input.
			back, err := Uninject(res.Pod)
			if err != nil {
				t.Fatal(err)
			}
			if limit, ok := uninjectLimits[tc.name]; ok {
				t.Logf("uninject not exact: %s", limit)
				return
			}
			if d := cmp.Diff(podJSON(t, pod), podJSON(t, back)); d != "" {
				t.Errorf("%s: Uninject did not restore the input (-input +uninjected):\n%s", tc.reason, d)
			}
		})
	}
}

func TestInjectPodErrors(t *testing.T) {
	inj := podInjector(t, nil)
	tests := []struct {
		name, reason string
		pod          *corev1.Pod
		is           error
		contains     string
	}{
		{"nil pod", "a nil pod is an error, not a panic", nil, nil, "Pod is nil"},
		{"bad port", "the annotation and the bad item are named", annotated("traffic.sidecar.istio.io/includeInboundPorts", "80,99999"), ErrInvalidAnnotation, `traffic.sidecar.istio.io/includeInboundPorts="80,99999": includeInboundPorts invalid: port "99999" is not a number`},
		{"bad cidr", "the setting is named as Istio names it (excludeIPRanges invalid)", annotated("traffic.sidecar.istio.io/excludeOutboundIPRanges", "10.0.0.0/33"), ErrInvalidAnnotation, `excludeIPRanges invalid: CIDR "10.0.0.0/33"`},
		{"bad mode", "an interception mode must be one of three", annotated("sidecar.istio.io/interceptionMode", "BOUNCE"), ErrInvalidAnnotation, `sidecar.istio.io/interceptionMode="BOUNCE": interception mode must be REDIRECT, TPROXY or NONE`},
		{"bad proxy config", "the proxy config field is named", annotated(annProxyConfig, "concurency: 2"), ErrInvalidAnnotation, `proxy.istio.io/config="concurency: 2": invalid proxy config: unknown field "concurency"`},
		{"bad status", "a corrupt status annotation of an injected pod is named", annotated(annStatus, "{"), ErrInvalidAnnotation, "sidecar.istio.io/status"},
		{"bad delay", "readiness settings must be non-negative integers", annotated("readiness.status.sidecar.istio.io/periodSeconds", "-1"), ErrInvalidAnnotation, "periodSeconds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := inj.InjectPod(context.Background(), PodRequest{Pod: tt.pod})
			if err == nil || !strings.Contains(err.Error(), tt.contains) || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Fatalf("error = %v, want %v containing %q (%s)", err, tt.is, tt.contains, tt.reason)
			}
			if tt.pod != nil && !strings.Contains(err.Error(), `pod "shop/p"`) {
				t.Errorf("error %q does not name the pod", err)
			}
		})
	}
}

func annotated(k, v string) *corev1.Pod {
	p := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app"}}}}
	p.Name, p.Namespace = "p", "shop"
	p.Annotations = map[string]string{k: v}
	return p
}

// TestInjectPodDoesNotModifyInput checks that the request's pod is left
// alone.
func TestInjectPodDoesNotModifyInput(t *testing.T) {
	inj := podInjector(t, nil)
	for _, tc := range podGoldenCases {
		pod := loadPod(t, filepath.Join(podDir, tc.name+".yaml"))
		before := podJSON(t, pod)
		_, _ = inj.InjectPod(context.Background(), PodRequest{Pod: pod})
		if after := podJSON(t, pod); after != before {
			t.Errorf("%s: input pod modified", tc.name)
		}
	}
}
