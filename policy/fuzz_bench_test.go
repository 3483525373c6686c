package policy_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kinject/kinject/policy"
)

// labelMap reads "k=v,k2=v2" (a key without "=" gets an empty value).
func labelMap(s string) map[string]string {
	if s == "" {
		return nil
	}
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out
}

func FuzzDecide(f *testing.F) {
	f.Add("web", "istio-injection=enabled", "", "", false, "canary", "prod")
	f.Add("web", "istio.io/rev=prod", "sidecar.istio.io/inject=True", "sidecar.istio.io/inject=false", false, "canary", "prod")
	f.Add("kube-system", "", "istio.io/rev=canary,sidecar.istio.io/inject=true", "", true, "canary", "default")
	f.Add("", "istio-injection=enabled,istio.io/rev=default", "app=batch", "", false, "default", "")
	f.Add("web", "kubernetes.io/metadata.name=kube-system", "team=mesh", "sidecar.istio.io/inject=\"}}\n", false, "bad name!", "a/b")
	f.Fuzz(func(t *testing.T, namespace, nsLabels, podLabels, podAnnotations string, hostNetwork bool, revName, tag string) {
		mesh := policy.Mesh{Revisions: []policy.Revision{
			{
				EnableNamespacesByDefault: true,
				NeverInjectSelector:       []metav1.LabelSelector{{MatchLabels: map[string]string{"app": "batch"}}},
				AlwaysInjectSelector:      []metav1.LabelSelector{{MatchLabels: map[string]string{tag: revName}}},
			},
			{Name: revName, Tags: []string{tag}, Policy: "disabled"},
		}}
		tg := policy.Target{
			Namespace:       namespace,
			NamespaceLabels: labelMap(nsLabels),
			Labels:          labelMap(podLabels),
			Annotations:     labelMap(podAnnotations),
			HostNetwork:     hostNetwork,
		}
		d := mesh.Decide(tg)
		if again := mesh.Decide(tg); !reflect.DeepEqual(d, again) {
			t.Fatalf("Decide is not deterministic:\n%s", cmp.Diff(d, again))
		}
		if d.Reason == "" || len(d.Trace) == 0 {
			t.Fatalf("decision without Reason or Trace: %+v", d)
		}
		if d.Inject && d.Webhook == "" {
			t.Fatalf("injects without a webhook: %+v", d)
		}
		if err := checkRule(d); err != "" {
			t.Fatalf("%s: %+v", err, d)
		}
		for i := range mesh.Revisions {
			if err := checkRule(mesh.Revisions[i].Required(tg)); err != "" {
				t.Fatalf("Required of revision %d: %s", i, err)
			}
		}
		agree(t, mesh, tg, d)
		if dc, err := mesh.Compile(); err == nil {
			if diff := cmp.Diff(d, dc.Decide(tg)); diff != "" {
				t.Fatalf("Decider differs from Mesh.Decide:\n%s", diff)
			}
		}
	})
}

var benchTargets = []struct {
	name string
	t    policy.Target
}{
	{"namespace-enabled", policy.Target{Namespace: "shop", NamespaceLabels: map[string]string{"istio-injection": "enabled", "team": "a"},
		Labels: map[string]string{"app": "web", "pod-template-hash": "5d8f7"}}},
	{"namespace-revision", policy.Target{Namespace: "pay", NamespaceLabels: map[string]string{"istio.io/rev": "prod"},
		Labels: map[string]string{"app": "api"}}},
	{"unlabelled", policy.Target{Namespace: "tools", Labels: map[string]string{"app": "cron"}}},
}

var benchMesh = policy.Mesh{Revisions: []policy.Revision{
	{NeverInjectSelector: []metav1.LabelSelector{{MatchLabels: map[string]string{"app": "batch"}}}},
	{Name: "canary", Tags: []string{"prod"}},
}}

// BenchmarkDecide is the webhook's hot path: a prepared Decider.
func BenchmarkDecide(b *testing.B) {
	d, err := benchMesh.Compile()
	if err != nil {
		b.Fatal(err)
	}
	for _, bt := range benchTargets {
		b.Run(bt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				d.Decide(bt.t)
			}
		})
	}
}

// BenchmarkMeshDecide prepares the mesh on every call.
func BenchmarkMeshDecide(b *testing.B) {
	b.ReportAllocs()
	t := benchTargets[0].t
	for b.Loop() {
		benchMesh.Decide(t)
	}
}

// BenchmarkRequired is stage B alone, as a webhook handler calls it.
func BenchmarkRequired(b *testing.B) {
	t := benchTargets[0].t
	for _, bc := range []struct {
		name string
		rev  policy.Revision
	}{
		{"no-selectors", policy.Revision{}},
		{"selectors", policy.Revision{
			NeverInjectSelector:  []metav1.LabelSelector{{MatchLabels: map[string]string{"app": "batch"}}},
			AlwaysInjectSelector: []metav1.LabelSelector{{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"web"}}}}},
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bc.rev.Required(t)
			}
		})
		b.Run(bc.name+"/compiled", func(b *testing.B) {
			required := bc.rev.CompileRequired()
			b.ReportAllocs()
			for b.Loop() {
				required(t)
			}
		})
	}
}
