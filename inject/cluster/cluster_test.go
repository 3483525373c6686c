package cluster_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/kinject/kinject/inject"
	"github.com/kinject/kinject/inject/cluster"
	"github.com/kinject/kinject/policy"
	"github.com/kinject/kinject/policy/policytest"
)

// istioCluster is ../shared/istio-cluster (a two-revision install rendered
// by Istio's installer); KINJECT_ISTIO_CLUSTER overrides it.
func istioCluster(t testing.TB) (configmaps, webhooks []byte) {
	t.Helper()
	dir := os.Getenv("KINJECT_ISTIO_CLUSTER")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "istio-cluster")
	}
	cm, err := os.ReadFile(filepath.Join(dir, "configmaps.yaml"))
	if err != nil {
		t.Skipf("istio-cluster dumps not found at %s (set KINJECT_ISTIO_CLUSTER): %v", dir, err)
	}
	wh, err := os.ReadFile(filepath.Join(dir, "webhooks.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return cm, wh
}

// namespaceList is `kubectl get namespaces -o yaml` for the given
// namespaces (name -> labels).
func namespaceList(t testing.TB, namespaces map[string]map[string]string) []byte {
	t.Helper()
	var items []any
	for name, labels := range namespaces {
		l := map[string]string{"kubernetes.io/metadata.name": name}
		for k, v := range labels {
			l[k] = v
		}
		items = append(items, map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name, "labels": l}})
	}
	return list(t, items)
}

func list(t testing.TB, items []any) []byte {
	t.Helper()
	b, err := yaml.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "metadata": map[string]any{"resourceVersion": ""}, "items": items})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The label combinations the table covers, and the revision that injects
// each in the istio-cluster install (1-30 with tags default and
// prod-stable, 1-31 with prod-canary); "-" is no sidecar.
var (
	nsCombos = []struct {
		name   string
		labels map[string]string
	}{
		{"unlabelled", nil},
		{"injection-enabled", map[string]string{"istio-injection": "enabled"}},
		{"injection-disabled", map[string]string{"istio-injection": "disabled"}},
		{"rev-1-30", map[string]string{"istio.io/rev": "1-30"}},
		{"rev-1-31", map[string]string{"istio.io/rev": "1-31"}},
		{"rev-default", map[string]string{"istio.io/rev": "default"}},
		{"rev-prod-stable", map[string]string{"istio.io/rev": "prod-stable"}},
		{"rev-prod-canary", map[string]string{"istio.io/rev": "prod-canary"}},
		{"rev-unknown", map[string]string{"istio.io/rev": "1-29"}},
		{"both-labels", map[string]string{"istio-injection": "enabled", "istio.io/rev": "1-31"}},
	}
	podCombos = []struct {
		name   string
		labels map[string]string
	}{
		{"plain", nil},
		{"inject-true", map[string]string{"sidecar.istio.io/inject": "true"}},
		{"inject-false", map[string]string{"sidecar.istio.io/inject": "false"}},
		{"rev-1-31", map[string]string{"istio.io/rev": "1-31"}},
		{"rev-prod-canary", map[string]string{"istio.io/rev": "prod-canary"}},
		{"rev-unknown", map[string]string{"istio.io/rev": "1-29"}},
	}
	// want[namespace combo][pod combo]
	want = map[string][6]string{
		"unlabelled":         {"-", "1-30", "-", "1-31", "1-31", "-"},
		"injection-enabled":  {"1-30", "1-30", "-", "1-30", "1-30", "1-30"},
		"injection-disabled": {"-", "-", "-", "-", "-", "-"},
		"rev-1-30":           {"1-30", "1-30", "-", "1-30", "1-30", "1-30"},
		"rev-1-31":           {"1-31", "1-31", "-", "1-31", "1-31", "1-31"},
		"rev-default":        {"1-30", "1-30", "-", "1-30", "1-30", "1-30"},
		"rev-prod-stable":    {"1-30", "1-30", "-", "1-30", "1-30", "1-30"},
		"rev-prod-canary":    {"1-31", "1-31", "-", "1-31", "1-31", "1-31"},
		"rev-unknown":        {"-", "-", "-", "-", "-", "-"},
		"both-labels":        {"1-30", "1-30", "-", "1-30", "1-30", "1-30"},
	}
	// why says, per namespace combination, which rule decides.
	why = map[string]string{
		"unlabelled":         "only pod labels select: inject=true the default tag's object webhook, istio.io/rev a revision or tag",
		"injection-enabled":  "the default tag serves istio-injection=enabled and the namespace wins over a pod's istio.io/rev",
		"injection-disabled": "istio-injection=disabled keeps every webhook away, whatever the pod says",
		"rev-1-30":           "a namespace istio.io/rev names the revision; only inject=false opts out",
		"rev-1-31":           "the canary revision by its own name",
		"rev-default":        "the default tag's rev.namespace webhook",
		"rev-prod-stable":    "a tag of 1-30",
		"rev-prod-canary":    "a tag of 1-31",
		"rev-unknown":        "an istio.io/rev naming nothing installed injects nothing, and pod labels cannot help",
		"both-labels":        "istio-injection wins over istio.io/rev (a warning says so)",
	}
)

// revisionFacts are what each revision's configuration puts in a pod.
var revisionFacts = map[string]struct{ image, discovery string }{
	"1-30": {"docker.io/istio/proxyv2:1.30.2", "istiod-1-30.istio-system.svc:15012"},
	"1-31": {"docker.io/istio/proxyv2:1.31.0", "istiod-1-31.istio-system.svc:15012"},
}

func TestIstioClusterLoads(t *testing.T) {
	cm, wh := istioCluster(t)
	s, err := cluster.Load(cm, wh)
	if err != nil {
		t.Fatal(err)
	}
	type rev struct {
		Name, Injector, Mesh string
		Release              policy.Release
		Tags                 []string
		Revision             string
	}
	var got []rev
	for _, r := range s.Revisions {
		got = append(got, rev{r.Name, r.InjectorConfigMap, r.MeshConfigMap, r.Release, r.Tags, r.Config.Revision})
	}
	wantRevs := []rev{
		{"1-30", "istio-system/istio-sidecar-injector-1-30", "istio-system/istio-1-30", policy.Release{Major: 1, Minor: 30, Patch: 2}, []string{"default", "prod-stable"}, "1-30"},
		{"1-31", "istio-system/istio-sidecar-injector-1-31", "istio-system/istio-1-31", policy.Release{Major: 1, Minor: 31}, []string{"prod-canary"}, "1-31"},
	}
	if fmt.Sprint(got) != fmt.Sprint(wantRevs) {
		t.Errorf("revisions:\n got %v\nwant %v", got, wantRevs)
	}
	if len(s.Webhooks) != 5 || len(s.Warnings) != 0 {
		t.Errorf("%d webhooks (want 5), warnings %q", len(s.Webhooks), s.Warnings)
	}
}

// TestIstioClusterDecidesAndInjects covers every combination of namespace
// and pod injection labels on Istio's own two-revision install: the
// revision that injects (from the installed webhooks), agreement with
// policy.Mesh's model of the same install, and each injected pod carrying
// its revision's proxy image, istio.io/rev and discovery address.
func TestIstioClusterDecidesAndInjects(t *testing.T) {
	cm, wh := istioCluster(t)
	namespaces := map[string]map[string]string{}
	for _, n := range nsCombos {
		namespaces[n.name] = n.labels
	}
	s, err := cluster.Load(cm, wh, namespaceList(t, namespaces))
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Mesh(nil)
	if err != nil {
		t.Fatal(err)
	}
	model := policy.Mesh{Revisions: []policy.Revision{
		{Name: "1-30", Tags: []string{"default", "prod-stable"}}, {Name: "1-31", Tags: []string{"prod-canary"}},
	}}
	for _, n := range nsCombos {
		for k, p := range podCombos {
			t.Run(n.name+"/"+p.name, func(t *testing.T) {
				pod := &corev1.Pod{
					ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: n.name, Labels: p.labels},
					Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27"}}},
				}
				res, err := m.InjectPod(context.Background(), inject.PodRequest{Pod: pod})
				if err != nil {
					t.Fatal(err)
				}
				got := "-"
				if res.Decision.Inject {
					got = res.Decision.Revision
				}
				if w := want[n.name][k]; got != w {
					t.Fatalf("%s: injected by %q, want %q (%s)", why[n.name], got, w, res.Decision.Reason)
				}
				md := model.Decide(policy.Target{Namespace: n.name, NamespaceLabels: n.labels, Labels: p.labels})
				if md.Inject != res.Decision.Inject || md.Inject && md.Revision != res.Decision.Revision {
					t.Errorf("policy.Mesh's model decides %v/%q, the installed webhooks %v/%q", md.Inject, md.Revision, res.Decision.Inject, res.Decision.Revision)
				}
				if !res.Decision.Inject {
					if len(res.Pod.Spec.Containers) != 1 {
						t.Errorf("a pod no revision injects was changed: %d containers", len(res.Pod.Spec.Containers))
					}
					return
				}
				facts := revisionFacts[got]
				var proxy *corev1.Container
				for i := range res.Pod.Spec.Containers {
					if res.Pod.Spec.Containers[i].Name == "istio-proxy" {
						proxy = &res.Pod.Spec.Containers[i]
					}
				}
				if proxy == nil {
					t.Fatal("no istio-proxy container")
				}
				if proxy.Image != facts.image {
					t.Errorf("proxy image %q, want %q", proxy.Image, facts.image)
				}
				if rev := res.Pod.Annotations["istio.io/rev"]; rev != got {
					t.Errorf("istio.io/rev annotation %q, want %q", rev, got)
				}
				var status struct {
					Revision string `json:"revision"`
				}
				if err := json.Unmarshal([]byte(res.Pod.Annotations["sidecar.istio.io/status"]), &status); err != nil || status.Revision != got {
					t.Errorf("status annotation revision %q (%v), want %q", status.Revision, err, got)
				}
				env := map[string]string{}
				for _, e := range proxy.Env {
					env[e.Name] = e.Value
				}
				if env["CA_ADDR"] != facts.discovery || !strings.Contains(env["PROXY_CONFIG"], facts.discovery) {
					t.Errorf("CA_ADDR %q, PROXY_CONFIG %q: want the discovery address %s", env["CA_ADDR"], env["PROXY_CONFIG"], facts.discovery)
				}
			})
		}
	}
}

// revisionlessAndCanary rewrites the istio-cluster install into the other
// common shape: a revisionless install (ConfigMaps istio-sidecar-injector
// and istio, webhooks istio-sidecar-injector with the default injector's
// webhooks) plus a revision "canary"; Istio's own configurations, renamed.
func revisionlessAndCanary(t *testing.T, configmaps []byte) (cms, webhooks []byte) {
	t.Helper()
	var l struct {
		Items []corev1.ConfigMap `json:"items"`
	}
	if err := yaml.Unmarshal(configmaps, &l); err != nil {
		t.Fatal(err)
	}
	var items []any
	for _, c := range l.Items {
		from, to := "1-31", "canary"
		if strings.HasSuffix(c.Name, "1-30") {
			from, to = "1-30", ""
		}
		c.Name = strings.TrimSuffix(strings.TrimSuffix(c.Name, from), "-")
		if to != "" {
			c.Name += "-" + to
		}
		for k, v := range c.Data {
			v = strings.ReplaceAll(v, `"revision": "`+from+`"`, `"revision": "`+to+`"`)
			target := "istiod"
			if to != "" {
				target += "-" + to
			}
			c.Data[k] = strings.ReplaceAll(v, "istiod-"+from, target)
		}
		c.Labels = map[string]string{"istio.io/rev": map[string]string{"": "default", "canary": "canary"}[to]}
		c.APIVersion, c.Kind = "v1", "ConfigMap"
		items = append(items, c)
	}
	var hooks []any
	for _, r := range []policy.Revision{{}, {Name: "canary"}} {
		for _, c := range r.Configurations() {
			hooks = append(hooks, c)
		}
	}
	return list(t, items), list(t, hooks)
}

func TestRevisionlessPlusCanary(t *testing.T) {
	cm, _ := istioCluster(t)
	cms, hooks := revisionlessAndCanary(t, cm)
	ns := namespaceList(t, map[string]map[string]string{
		"enabled": {"istio-injection": "enabled"}, "rev-default": {"istio.io/rev": "default"},
		"canary": {"istio.io/rev": "canary"}, "plain": nil,
	})
	s, err := cluster.Load(cms, hooks, ns)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Revisions) != 2 || s.Revisions[0].Name != "" || s.Revisions[1].Name != "canary" {
		t.Fatalf("revisions %+v, want the revisionless install and canary", s.Revisions)
	}
	m, err := s.Mesh(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ns, why   string
		podLabels map[string]string
		rev       string // istio.io/rev annotation; "-" none
		image     string
		discovery string
	}{
		{"enabled", "the revisionless install serves istio-injection=enabled", nil, "default", "proxyv2:1.30.2", "istiod.istio-system.svc:15012"},
		{"rev-default", "and istio.io/rev=default", nil, "default", "proxyv2:1.30.2", "istiod.istio-system.svc:15012"},
		{"canary", "the canary by its name", nil, "canary", "proxyv2:1.31.0", "istiod-canary.istio-system.svc:15012"},
		{"plain", "a pod opting in with the label goes to the revisionless install", map[string]string{"sidecar.istio.io/inject": "true"}, "default", "proxyv2:1.30.2", "istiod.istio-system.svc:15012"},
		{"plain", "a pod naming the canary", map[string]string{"istio.io/rev": "canary"}, "canary", "proxyv2:1.31.0", "istiod-canary.istio-system.svc:15012"},
		{"plain", "nothing asks for a sidecar", nil, "-", "", ""},
	} {
		t.Run(tc.ns+"/"+tc.rev, func(t *testing.T) {
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: tc.ns, Labels: tc.podLabels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27"}}}}
			res, err := m.InjectPod(context.Background(), inject.PodRequest{Pod: pod})
			if err != nil {
				t.Fatal(err)
			}
			if tc.rev == "-" {
				if res.Decision.Inject {
					t.Errorf("%s: injected by %q", tc.why, res.Decision.Revision)
				}
				return
			}
			if got := res.Pod.Annotations["istio.io/rev"]; got != tc.rev {
				t.Fatalf("%s: istio.io/rev %q, want %q (%s)", tc.why, got, tc.rev, res.Decision.Reason)
			}
			b, _ := json.Marshal(res.Pod.Spec.Containers)
			if !strings.Contains(string(b), tc.image) || !strings.Contains(string(b), tc.discovery) {
				t.Errorf("%s: the sidecar lacks %s or %s", tc.why, tc.image, tc.discovery)
			}
		})
	}
}

// TestEditedWebhookSelector: a selector a user edited in the installed
// webhooks changes the decision, as it does in the cluster.
func TestEditedWebhookSelector(t *testing.T) {
	cm, wh := istioCluster(t)
	var l struct {
		Items []admissionregistrationv1.MutatingWebhookConfiguration `json:"items"`
	}
	if err := yaml.Unmarshal(wh, &l); err != nil {
		t.Fatal(err)
	}
	var items []any
	for _, c := range l.Items {
		for i := range c.Webhooks {
			if c.Name == "istio-revision-tag-default" && c.Webhooks[i].Name == "namespace.sidecar-injector.istio.io" {
				c.Webhooks[i].NamespaceSelector.MatchLabels = map[string]string{"mesh.example/allowed": "yes"}
			}
		}
		c.APIVersion, c.Kind = "admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration"
		items = append(items, c)
	}
	edited := list(t, items)
	ns := namespaceList(t, map[string]map[string]string{
		"shop": {"istio-injection": "enabled"}, "allowed": {"istio-injection": "enabled", "mesh.example/allowed": "yes"},
	})
	for _, tc := range []struct {
		name, why string
		webhooks  []byte
		ns        string
		inject    bool
	}{
		{"as installed", "istio-injection=enabled injects with Istio's selectors", wh, "shop", true},
		{"edited", "the edited selector also requires mesh.example/allowed=yes", edited, "shop", false},
		{"edited, allowed", "a namespace with the extra label still matches the edited selector", edited, "allowed", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := cluster.Load(cm, tc.webhooks, ns)
			if err != nil {
				t.Fatal(err)
			}
			d := s.Policy().Decide(policy.Target{Namespace: tc.ns, NamespaceLabels: namespaceLabels(s, tc.ns)})
			if d.Inject != tc.inject {
				t.Errorf("%s: Inject = %v: %s", tc.why, d.Inject, d.Reason)
			}
			m, err := s.Mesh(nil)
			if err != nil {
				t.Fatal(err)
			}
			res, err := m.InjectPod(context.Background(), inject.PodRequest{Pod: &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: tc.ns},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27"}}},
			}})
			if err != nil {
				t.Fatal(err)
			}
			if res.Decision.Inject != tc.inject {
				t.Errorf("%s: the Mesh injects = %v: %s", tc.why, res.Decision.Inject, res.Decision.Reason)
			}
		})
	}
}

func namespaceLabels(s *cluster.State, name string) map[string]string {
	if ns, ok := s.Namespace(name); ok {
		return ns.Labels
	}
	return nil
}

func TestLoadKeepsGoing(t *testing.T) {
	cm, wh := istioCluster(t)
	bad := []byte(`apiVersion: v1
items:
- apiVersion: v1
  kind: Pod
  metadata:
    name: good
    namespace: shop
  spec:
    containers:
    - name: app
      image: nginx
- apiVersion: v1
  kind: Pod
  metadata:
    name: wrong-type
    namespace: shop
  spec:
    containers: "not a list"
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: broken-yaml
    namespace: shop
  spec:
    replicas: [1
- apiVersion: v1
  kind: Service
  metadata:
    name: skipped
    namespace: shop
kind: List
metadata:
  resourceVersion: ""
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: istio-sidecar-injector-1-32
  namespace: istio-system
data:
  config: "polcy: enabled"
---
{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {"istio-injection": "enabled"}}}
---
kind: Pod
metadata:
  name: x
spec: {containers: [}
`)
	s, err := cluster.Load(cm, wh, bad)
	if err == nil {
		t.Fatal("no error for the bad objects")
	}
	if !errors.Is(err, cluster.ErrObject) {
		t.Errorf("error does not match ErrObject: %v", err)
	}
	for _, w := range []string{
		`pod "shop/wrong-type" (input 2, document 0, item 1, line 12): spec.containers: want a list, got string`,
		`deployment "shop/broken-yaml" (input 2, document 0, item 2, line 19): YAML:`,
		`configmap "istio-system/istio-sidecar-injector-1-32" (input 2, document 1, line 35): invalid injector configuration: inject config: unknown field "polcy"`,
		`pod "x" (input 2, document 3, line 45): YAML:`,
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
	if len(s.Pods) != 1 || s.Pods[0].Name != "good" || len(s.Namespaces) != 1 || len(s.Revisions) != 3 || s.Skipped != 1 {
		t.Errorf("good objects lost: %d pods, %d namespaces, %d revisions, %d skipped", len(s.Pods), len(s.Namespaces), len(s.Revisions), s.Skipped)
	}
	// The broken revision is installed but has no configuration; the
	// others still make a Mesh.
	if r, ok := s.Revision("1-32"); !ok || r.Config != nil {
		t.Errorf("revision 1-32: %+v, want it listed without a Config", r)
	}
	if _, err := s.Mesh(nil); err != nil {
		t.Errorf("Mesh with one broken revision: %v", err)
	}
}

// TestLoadAnyOrder: the same objects as one List, as separate documents,
// in JSON, in reverse order give the same State.
func TestLoadAnyOrder(t *testing.T) {
	cm, wh := istioCluster(t)
	ws := readFixture(t, "workloads.yaml")
	ns := readFixture(t, "namespaces.yaml")
	ref, err := cluster.Load(cm, wh, ns, ws)
	if err != nil {
		t.Fatal(err)
	}
	var l struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := yaml.Unmarshal(ws, &l); err != nil {
		t.Fatal(err)
	}
	var docs, reversed []byte
	for _, it := range l.Items {
		y, err := yaml.JSONToYAML(it)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(append(docs, "---\n"...), y...)
		reversed = append(append(append([]byte("---\n"), y...), '\n'), reversed...)
	}
	jsonList, _ := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": l.Items})
	for _, tc := range []struct {
		name, why string
		dumps     [][]byte
	}{
		{"documents", "a multi-document stream instead of a List", [][]byte{ns, docs, wh, cm}},
		{"reversed", "the objects in the opposite order", [][]byte{reversed, wh, ns, cm}},
		{"json", "kubectl -o json", [][]byte{jsonList, cm, ns, wh}},
		{"one input", "everything in one stream", [][]byte{append(append(append(append([]byte{}, cm...), "\n---\n"...), ws...), append([]byte("\n---\n"), append(ns, append([]byte("\n---\n"), wh...)...)...)...)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := cluster.Load(tc.dumps...)
			if err != nil {
				t.Fatal(err)
			}
			a, _ := json.Marshal(stateShape(ref))
			b, _ := json.Marshal(stateShape(s))
			if string(a) != string(b) {
				t.Errorf("%s: a different State", tc.why)
			}
		})
	}
}

// stateShape is what two States must share.
func stateShape(s *cluster.State) any {
	var revs []string
	for _, r := range s.Revisions {
		revs = append(revs, fmt.Sprintf("%s %v %s", r.Name, r.Tags, r.Release))
	}
	return []any{revs, s.Webhooks, s.Namespaces, s.Pods, s.ReplicaSets, s.Deployments, s.StatefulSets, s.DaemonSets, s.Jobs, s.CronJobs}
}

// TestPolicyPinsCaseFile: State.Policy, written into a policytest case
// file, pins a mesh's policy to a real cluster's dumps (installed
// webhooks, revisions, tags and releases included).
func TestPolicyPinsCaseFile(t *testing.T) {
	cm, wh := istioCluster(t)
	s, err := cluster.Load(cm, wh)
	if err != nil {
		t.Fatal(err)
	}
	mesh, err := yaml.Marshal(s.Policy())
	if err != nil {
		t.Fatal(err)
	}
	file := "mesh:\n" + indent(string(mesh)) + `cases:
- name: default tag
  reason: istio-injection=enabled goes to the revision the default tag points at
  namespace: {name: shop, labels: {istio-injection: enabled}}
  want: {inject: true, revision: "1-30", webhook: namespace.sidecar-injector.istio.io}
- name: canary tag
  reason: prod-canary points at 1-31
  namespace: {name: cart, labels: {istio.io/rev: prod-canary}}
  want: {inject: true, revision: "1-31"}
- name: removed revision
  reason: 1-29 is not installed
  namespace: {name: old, labels: {istio.io/rev: "1-29"}}
  want: {inject: false, reason: names no installed revision or tag}
`
	failures, err := policytest.Check([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range failures {
		t.Error(f)
	}
}

func indent(s string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(s, "\n") {
		if line != "" {
			b.WriteString("  " + line)
		}
	}
	return b.String()
}
