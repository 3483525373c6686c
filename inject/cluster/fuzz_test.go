package cluster_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kinject/kinject/inject"
	"github.com/kinject/kinject/inject/cluster"
)

// FuzzLoad: any bytes load without a panic, and whatever loads can be
// planned, verified and linted.
func FuzzLoad(f *testing.F) {
	f.Add([]byte("apiVersion: v1\nitems:\n- kind: Pod\n  metadata:\n    name: a\nkind: List\n"))
	f.Add([]byte("kind: List\nitems:\n- kind: Namespace\n  metadata: {name: x, labels: {istio-injection: enabled}}\n- kind: Pod\n  metadata: {name: p, namespace: x}\n"))
	f.Add([]byte(`{"kind":"List","items":[{"kind":"Pod","metadata":{"name":"p"},"spec":{"containers":"x"}}]}`))
	f.Add([]byte("kind: ConfigMap\nmetadata: {name: istio-sidecar-injector-x, namespace: istio-system}\ndata: {config: 'policy: [', values: '{'}\n"))
	f.Add([]byte("kind: MutatingWebhookConfiguration\napiVersion: admissionregistration.k8s.io/v1\nmetadata: {name: w, labels: {istio.io/rev: r}}\nwebhooks:\n- name: rev.namespace.sidecar-injector.istio.io\n  namespaceSelector: {matchExpressions: [{key: a, operator: Like}]}\n"))
	f.Add([]byte("---\n--- # c\nitems:\n-\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, _ := cluster.Load(data)
		if s == nil {
			t.Fatal("Load returned no State")
		}
		ctx := context.Background()
		if _, err := s.Plan(ctx, cluster.Change{}, cluster.Options{}); err != nil && !strings.Contains(err.Error(), "invalid") {
			// A mesh the policy refuses (an invalid selector) is an
			// error, not a panic; anything else must plan.
			t.Logf("plan: %v", err)
		}
		s.Verify(ctx, cluster.Options{})
		s.Lint(ctx, cluster.Options{})
	})
}

// FuzzParseChange: no panic, and what parses prints commands that parse
// to the same change.
func FuzzParseChange(f *testing.F) {
	f.Add("kubectl label namespace shop istio-injection- istio.io/rev=canary --overwrite")
	f.Add("istioctl tag set default --revision canary --overwrite ; label ns a b x=y")
	f.Add("label ns a -r")
	f.Fuzz(func(t *testing.T, line string) {
		c, err := cluster.ParseChange(strings.Fields(line))
		if err != nil {
			return
		}
		var words []string
		for i, cmd := range c.Commands() {
			if i > 0 {
				words = append(words, ";")
			}
			words = append(words, strings.Fields(cmd)...)
		}
		again, err := cluster.ParseChange(words)
		if err != nil {
			t.Fatalf("%q -> %q does not parse: %v", line, c.Commands(), err)
		}
		if strings.Join(again.Commands(), "\n") != strings.Join(c.Commands(), "\n") {
			t.Fatalf("%q: commands %q, then %q", line, c.Commands(), again.Commands())
		}
	})
}

// TestMeshConcurrent: one Mesh shared by goroutines checking the same
// pods gives every goroutine the answers a lone caller gets.
func TestMeshConcurrent(t *testing.T) {
	s := loadFixtures(t, "namespaces.yaml", nil)
	m, err := s.Mesh(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]inject.StaleAction, len(s.Pods))
	for i := range s.Pods {
		st, err := m.CheckStale(context.Background(), inject.PodRequest{Pod: &s.Pods[i]})
		if err != nil {
			t.Fatal(err)
		}
		want[i] = st.Action
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range s.Pods {
				st, err := m.CheckStale(context.Background(), inject.PodRequest{Pod: &s.Pods[i]})
				if err != nil || st.Action != want[i] {
					t.Errorf("pod %s: %v %v, want %v", s.Pods[i].Name, st.Action, err, want[i])
				}
				if _, err := m.InjectPod(context.Background(), inject.PodRequest{Pod: &s.Pods[i]}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
}

// FuzzCheckStale: a running pod whose injection annotations and labels are
// anything (a status annotation from an older or foreign injector, a
// hand-edited one) is checked without a panic, the same way twice, and a
// stale answer always says why.
func FuzzCheckStale(f *testing.F) {
	f.Add(`{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["istio-envoy"],"revision":"1-30"}`, "1-30", "true")
	f.Add(`{"containers":["web"],"revision":""}`, "", "")
	f.Add(`{"initContainers":null,"containers":null,"revision":"gone"}`, "gone", "False")
	f.Add(`{`, "1-31", "false")
	f.Add(`[]`, "x", "yes")
	s := loadFixtures(f, "namespaces.yaml", nil)
	m, err := s.Mesh(nil)
	if err != nil {
		f.Fatal(err)
	}
	var base *corev1.Pod
	for i := range s.Pods {
		if s.Pods[i].Namespace == "stable-shop" && strings.HasPrefix(s.Pods[i].Name, "web-") {
			base = &s.Pods[i]
		}
	}
	if base == nil {
		f.Fatal("no stable-shop web pod in the fixtures")
	}
	f.Fuzz(func(t *testing.T, status, rev, inject string) {
		p := base.DeepCopy()
		p.Annotations["sidecar.istio.io/status"] = status
		p.Labels["istio.io/rev"] = rev
		p.Labels["sidecar.istio.io/inject"] = inject
		a, errA := m.CheckStale(context.Background(), injectReq(p))
		b, errB := m.CheckStale(context.Background(), injectReq(p))
		if (errA == nil) != (errB == nil) || errA == nil && (a.Action != b.Action || a.Reason != b.Reason) {
			t.Fatalf("not deterministic: %v %v / %v %v", a.Action, errA, b.Action, errB)
		}
		if errA == nil && a.Stale && a.Reason == "" {
			t.Fatalf("stale without a reason: %+v", a)
		}
	})
}

func injectReq(p *corev1.Pod) inject.PodRequest { return inject.PodRequest{Pod: p} }
