package inject

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kinject/kinject/template"
)

// TestResourceErrorsNameAnnotations: a request above its limit caused by
// the resource annotations names them, and every line of the joined error
// (one per container) carries the document's and the pod's prefix.
func TestResourceErrorsNameAnnotations(t *testing.T) {
	inj, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	sts := func(annotations, proxy string) string {
		return `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: orders-db, namespace: shop}
spec:
  selector: {matchLabels: {app: db}}
  template:
    metadata:
      labels: {app: db}
      annotations: {` + annotations + `}
    spec:
      containers:
      - {name: db, image: postgres}` + proxy + "\n"
	}
	const prefix = `document 0 (statefulset "shop/orders-db"): pod template: `
	cases := []struct {
		name, reason string
		in           string
		wantLines    []string // each a suffix of one line after the prefix, in order
	}{
		{"cpu annotations", "the issue's case: both quantities come from annotations; both injected containers draw the finding",
			sts(`sidecar.istio.io/proxyCPU: "2", sidecar.istio.io/proxyCPULimit: 500m`, ""),
			[]string{
				`container "istio-init": cpu request 2 exceeds limit 500m (sidecar.istio.io/proxyCPU: "2" exceeds sidecar.istio.io/proxyCPULimit: "500m")`,
				`container "istio-proxy": cpu request 2 exceeds limit 500m (sidecar.istio.io/proxyCPU: "2" exceeds sidecar.istio.io/proxyCPULimit: "500m")`,
			}},
		{"memory and cpu", "two resources, two containers: four lines, each prefixed",
			sts(`sidecar.istio.io/proxyCPU: "2", sidecar.istio.io/proxyCPULimit: "1", sidecar.istio.io/proxyMemory: 2Gi, sidecar.istio.io/proxyMemoryLimit: 1Gi`, ""),
			[]string{
				`container "istio-init": cpu request 2 exceeds limit 1 (sidecar.istio.io/proxyCPU: "2" exceeds sidecar.istio.io/proxyCPULimit: "1")`,
				`container "istio-init": memory request 2Gi exceeds limit 1Gi (sidecar.istio.io/proxyMemory: "2Gi" exceeds sidecar.istio.io/proxyMemoryLimit: "1Gi")`,
				`container "istio-proxy": cpu request 2 exceeds limit 1 (sidecar.istio.io/proxyCPU: "2" exceeds sidecar.istio.io/proxyCPULimit: "1")`,
				`container "istio-proxy": memory request 2Gi exceeds limit 1Gi (sidecar.istio.io/proxyMemory: "2Gi" exceeds sidecar.istio.io/proxyMemoryLimit: "1Gi")`,
			}},
		{"own container", "an application container's own resources are not the annotations' doing, even with annotations set",
			sts(`sidecar.istio.io/proxyCPU: 100m`, "\n      - {name: app, image: app, resources: {requests: {cpu: \"2\"}, limits: {cpu: 100m}}}"),
			[]string{`container "app": cpu request 2 exceeds limit 100m`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := inj.InjectManifests(context.Background(), []byte(tc.in), ManifestOptions{})
			if err == nil {
				t.Fatalf("no error (%s)", tc.reason)
			}
			var re *template.ResourceError
			if !errors.As(err, &re) {
				t.Errorf("error %v is not a *template.ResourceError (%s)", err, tc.reason)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tc.wantLines) {
				t.Fatalf("%d lines, want %d (%s):\n%s", len(lines), len(tc.wantLines), tc.reason, err)
			}
			for k, l := range lines {
				if l != prefix+tc.wantLines[k] {
					t.Errorf("line %d:\n got %s\nwant %s%s\n(%s)", k, l, prefix, tc.wantLines[k], tc.reason)
				}
			}
		})
	}
}

// TestListItemErrorsPrefixEveryLine: inside a List, the item's location is
// on every line too.
func TestListItemErrorsPrefixEveryLine(t *testing.T) {
	inj, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	in := `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: p, namespace: ns, annotations: {sidecar.istio.io/proxyCPU: "2", sidecar.istio.io/proxyCPULimit: "1"}}
  spec: {containers: [{name: app, image: app}]}
`
	_, err = inj.InjectManifests(context.Background(), []byte(in), ManifestOptions{})
	if err == nil {
		t.Fatal("no error")
	}
	const prefix = `document 0 (list): items[0] (pod "p"): pod "ns/p": container "istio-`
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one line per injected container:\n%s", err)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, prefix) || !strings.Contains(l, `(sidecar.istio.io/proxyCPU: "2" exceeds sidecar.istio.io/proxyCPULimit: "1")`) {
			t.Errorf("line %q lacks the prefix %q or the annotations", l, prefix)
		}
	}
}
