package template

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestApplyOverrides checks the overrides step of Apply on hand-made pods.
func TestApplyOverrides(t *testing.T) {
	injected := `
spec:
  initContainers:
  - {name: istio-init, image: proxyv2}
  containers:
  - name: istio-proxy
    image: proxyv2
    args: [proxy, sidecar]
    resources: {requests: {cpu: 100m}}
`
	merged := `
metadata: {name: web}
spec:
  initContainers:
  - {name: istio-init, image: proxyv2}
  containers:
  - {name: app, image: app}
  - name: istio-proxy
    image: proxyv2
    args: [proxy, sidecar]
    resources: {requests: {cpu: 100m}}
`
	cases := []struct {
		name, original, want, wantErr string
		wantOverrides                 string
		reason                        string
	}{
		{
			name: "user resources win, image auto keeps template's",
			original: `
spec:
  containers:
  - {name: app, image: app}
  - name: istio-proxy
    image: auto
    resources: {requests: {cpu: "1"}, limits: {cpu: "2"}}
`,
			want: `
metadata: {name: web}
spec:
  initContainers:
  - {name: istio-init, image: proxyv2}
  containers:
  - {name: app, image: app}
  - name: istio-proxy
    image: proxyv2
    args: [proxy, sidecar]
    resources: {requests: {cpu: "1"}, limits: {cpu: "2"}}
`,
			wantOverrides: `{"containers":[{"name":"istio-proxy","resources":{"limits":{"cpu":"2"},"requests":{"cpu":"1"}}}]}`,
			reason:        "the user's fields are merged on top; auto is cleared so the template image stays",
		},
		{
			name: "user image wins",
			original: `
spec:
  containers:
  - {name: istio-proxy, image: my/proxy:1}
`,
			want: `
metadata: {name: web}
spec:
  initContainers:
  - {name: istio-init, image: proxyv2}
  containers:
  - {name: app, image: app}
  - name: istio-proxy
    image: my/proxy:1
    args: [proxy, sidecar]
    resources: {requests: {cpu: 100m}}
`,
			wantOverrides: `{"containers":[{"name":"istio-proxy","image":"my/proxy:1","resources":{}}]}`,
			reason:        "an explicit image replaces the template's",
		},
		{
			name: "init container override",
			original: `
spec:
  initContainers:
  - {name: istio-init, image: auto, args: [x]}
`,
			want: `
metadata: {name: web}
spec:
  initContainers:
  - {name: istio-init, image: proxyv2, args: [x]}
  containers:
  - {name: app, image: app}
  - name: istio-proxy
    image: proxyv2
    args: [proxy, sidecar]
    resources: {requests: {cpu: 100m}}
`,
			wantOverrides: `{"initContainers":[{"name":"istio-init","args":["x"],"resources":{}}]}`,
			reason:        "init containers are overridden the same way",
		},
		{
			name:     "no overrides",
			original: `spec: {containers: [{name: app, image: app}]}`,
			want:     merged,
			reason:   "nothing declared, nothing changed, no annotation to write",
		},
		{
			name: "recorded overrides preferred",
			original: `
metadata:
  annotations:
    proxy.istio.io/overrides: '{"containers":[{"name":"istio-proxy","args":["recorded"]}]}'
spec:
  containers:
  - {name: app, image: app}
`,
			want: `
metadata: {name: web}
spec:
  initContainers:
  - {name: istio-init, image: proxyv2}
  containers:
  - {name: app, image: app}
  - name: istio-proxy
    image: proxyv2
    args: [recorded]
    resources: {requests: {cpu: 100m}}
`,
			wantOverrides: `{"containers":[{"name":"istio-proxy","args":["recorded"],"resources":{}}]}`,
			reason:        "a re-injection re-applies what the annotation recorded after the old sidecar was stripped",
		},
		{
			name: "already injected",
			original: `
metadata:
  annotations:
    sidecar.istio.io/status: '{"containers":["istio-proxy"],"initContainers":["istio-init"]}'
spec:
  containers:
  - {name: istio-proxy, image: old, args: [old]}
`,
			want:   merged,
			reason: "containers a previous injection produced are not user overrides",
		},
		{
			name: "bad overrides annotation",
			original: `
metadata:
  annotations: {proxy.istio.io/overrides: "{"}
`,
			wantErr: "annotation proxy.istio.io/overrides: unexpected end of JSON input",
			reason:  "a corrupt annotation names itself",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, o, in := mustPod(t, merged), mustPod(t, tc.original), mustPod(t, injected)
			before := podYAML(t, m) + podYAML(t, o) + podYAML(t, in)
			got, ov, err := applyOverrides(m, o, in)
			if podYAML(t, m)+podYAML(t, o)+podYAML(t, in) != before {
				t.Errorf("arguments modified (%s)", tc.reason)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q (%s)", err, tc.wantErr, tc.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v (%s)", err, tc.reason)
			}
			if d := cmp.Diff(podYAML(t, mustPod(t, tc.want)), podYAML(t, got)); d != "" {
				t.Errorf("pod (-want +got) (%s):\n%s", tc.reason, d)
			}
			gotOv := ""
			if ov != nil {
				b, err := jsonMarshal(ov)
				if err != nil {
					t.Fatal(err)
				}
				gotOv = string(b)
			}
			if gotOv != tc.wantOverrides {
				t.Errorf("overrides = %s, want %s (%s)", gotOv, tc.wantOverrides, tc.reason)
			}
		})
	}
	if _, _, err := applyOverrides(nil, nil, nil); err == nil {
		t.Error("nil pods: no error")
	}
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
