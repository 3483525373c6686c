package policy_test

import (
	"reflect"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kinject/kinject/policy"
)

func TestLint(t *testing.T) {
	r130 := policy.Release{Major: 1, Minor: 30}
	r126 := policy.Release{Major: 1, Minor: 26}
	mesh := policy.Mesh{Revisions: []policy.Revision{
		{Name: "stable", Tags: []string{"default", "prod"}, Release: r130},
		{Name: "canary", Release: r130},
		{Name: "old", Release: r126},
	}}
	noDefault := policy.Mesh{Revisions: []policy.Revision{{Name: "canary"}}}
	ns := func(name string, kv ...string) policy.LintNamespace {
		return policy.LintNamespace{Name: name, Labels: m(kv...)}
	}
	wl := func(kind, namespace, name string, labels map[string]string) policy.LintWorkload {
		return policy.LintWorkload{Kind: kind, Namespace: namespace, Name: name, Pod: policy.Target{Labels: labels}}
	}
	withAnn := func(w policy.LintWorkload, kv ...string) policy.LintWorkload {
		w.Pod.Annotations = m(kv...)
		return w
	}
	hostNet := func(w policy.LintWorkload) policy.LintWorkload {
		w.Pod.HostNetwork = true
		return w
	}
	// Every case adds its objects to a clean base: the stable and canary
	// revisions in use, old in use by a namespace.
	base := []policy.LintNamespace{ns("shop", "istio.io/rev", "prod"), ns("cart", "istio.io/rev", "canary"), ns("legacy", "istio.io/rev", "old")}
	type want struct {
		code     policy.Code
		severity policy.Severity
		object   string
		message  string // substring
		fix      string // substring; "-" means no fix
	}
	for _, tc := range []struct {
		name, why  string
		mesh       *policy.Mesh
		namespaces []policy.LintNamespace
		workloads  []policy.LintWorkload
		running    map[string]int
		want       []want // exactly these findings
	}{
		{"clean", "labels as the guides write them give no finding", nil, nil,
			[]policy.LintWorkload{wl("Deployment", "shop", "web", m("app", "web"))}, nil, nil},
		{"both namespace labels", "istio-injection and istio.io/rev together: istio-injection wins", nil,
			[]policy.LintNamespace{ns("mixed", "istio-injection", "enabled", "istio.io/rev", "canary")}, nil, nil,
			[]want{{policy.CodeBothNamespaceLabels, policy.SeverityError, "namespace/mixed", `istio-injection="enabled" wins`, "kubectl label namespace mixed istio-injection-"}}},
		{"both, disabled", "istio-injection=disabled with a revision: nothing injects", nil,
			[]policy.LintNamespace{ns("mixed", "istio-injection", "disabled", "istio.io/rev", "canary")}, nil, nil,
			[]want{{policy.CodeBothNamespaceLabels, policy.SeverityError, "namespace/mixed", "nothing injects", "istio-injection-"}}},
		{"unknown namespace revision", "istio.io/rev naming nothing installed", nil,
			[]policy.LintNamespace{ns("gone", "istio.io/rev", "1-29")}, nil, nil,
			[]want{{policy.CodeUnknownRevision, policy.SeverityError, "namespace/gone", `istio.io/rev="1-29" names no installed revision or tag (installed: canary, default, old, prod, stable)`, "kubectl label namespace gone istio.io/rev=default --overwrite"}}},
		{"unknown pod revision", "a pod's istio.io/rev counts in an unlabelled namespace", nil,
			[]policy.LintNamespace{ns("plain")}, []policy.LintWorkload{wl("Deployment", "plain", "api", m("istio.io/rev", "1-29"))}, nil,
			[]want{{policy.CodeUnknownRevision, policy.SeverityError, "deployment/api.plain", `pod label istio.io/rev="1-29"`, `kubectl patch deployment api -n plain --type merge -p '{"spec":{"template":{"metadata":{"labels":{"istio.io/rev":"default"}}}}}'`}}},
		{"pod revision ignored", "in a labelled namespace the pod's istio.io/rev is ignored, not reported", nil,
			nil, []policy.LintWorkload{wl("Deployment", "shop", "api", m("istio.io/rev", "1-29"))}, nil, nil},
		{"namespace Enabled", "istio-injection values are compared exactly", nil,
			[]policy.LintNamespace{ns("caps", "istio-injection", "Enabled")}, nil, nil,
			[]want{{policy.CodeIgnoredValue, policy.SeverityError, "namespace/caps", `istio-injection="Enabled" is neither`, "kubectl label namespace caps istio-injection=enabled --overwrite"}}},
		{"namespace 0", "a falsy value is fixed to disabled", nil,
			[]policy.LintNamespace{ns("zero", "istio-injection", "0")}, nil, nil,
			[]want{{policy.CodeIgnoredValue, policy.SeverityError, "namespace/zero", `istio-injection="0"`, "istio-injection=disabled --overwrite"}}},
		{"pod True under 1.30", "1.27 and later ignore True; the revision that decides is named with its release", nil,
			nil, []policy.LintWorkload{wl("Deployment", "cart", "api", m("sidecar.istio.io/inject", "True"))}, nil,
			[]want{{policy.CodeIgnoredValue, policy.SeverityError, "deployment/api.cart", `here revision "canary" (Istio 1.30.0) ignores it`, `"sidecar.istio.io/inject":"true"`}}},
		{"pod False under 1.26", "Istio 1.26 honours False as an opt-out, 1.27 and later ignore it: a warning, the next upgrade's trap", nil,
			nil, []policy.LintWorkload{wl("StatefulSet", "legacy", "db", m("sidecar.istio.io/inject", "False"))}, nil,
			[]want{{policy.CodeIgnoredValue, policy.SeverityWarning, "statefulset/db.legacy", `Istio 1.26 and earlier lower-case the value and opt the pod out; 1.27 and later ignore it`, `"sidecar.istio.io/inject":"false"`}}},
		{"pod yes", "yes is an opt-in up to 1.26 only", nil,
			nil, []policy.LintWorkload{wl("Pod", "legacy", "debug", m("sidecar.istio.io/inject", "yes"))}, nil,
			[]want{{policy.CodeIgnoredValue, policy.SeverityWarning, "pod/debug.legacy", `reads it as an opt-in`, "kubectl label pod debug -n legacy sidecar.istio.io/inject=true --overwrite"}}},
		{"pod 1 in a Job", "a Job's template cannot be patched: no fix command", nil,
			nil, []policy.LintWorkload{wl("Job", "shop", "migrate", m("sidecar.istio.io/inject", "1"))}, nil,
			[]want{{policy.CodeIgnoredValue, policy.SeverityError, "job/migrate.shop", `sidecar.istio.io/inject="1"`, "-"}}},
		{"annotation opt-in", "the annotation cannot opt a pod in: no webhook sees it", nil,
			[]policy.LintNamespace{ns("plain")}, []policy.LintWorkload{withAnn(wl("Deployment", "plain", "web", nil), "sidecar.istio.io/inject", "true")}, nil,
			[]want{{policy.CodeDeprecatedAnnotation, policy.SeverityError, "deployment/web.plain", "cannot opt its pods in", `"labels":{"sidecar.istio.io/inject":"true"}`}}},
		{"annotation opt-out", "the annotation still opts out once a webhook matched, but is deprecated", nil,
			nil, []policy.LintWorkload{withAnn(wl("Deployment", "shop", "web", nil), "sidecar.istio.io/inject", "false")}, nil,
			[]want{{policy.CodeDeprecatedAnnotation, policy.SeverityWarning, "deployment/web.shop", "deprecated annotation", `"labels":{"sidecar.istio.io/inject":"false"}`}}},
		{"annotation and label", "with the label present the annotation is ignored: remove it", nil,
			nil, []policy.LintWorkload{withAnn(wl("Deployment", "shop", "web", m("sidecar.istio.io/inject", "false")), "sidecar.istio.io/inject", "true")}, nil,
			[]want{{policy.CodeDeprecatedAnnotation, policy.SeverityWarning, "deployment/web.shop", "is ignored: the label takes precedence", `"annotations":{"sidecar.istio.io/inject":null}`}}},
		{"no default injector", "istio-injection=enabled with neither a revisionless install nor a default tag", &noDefault,
			[]policy.LintNamespace{ns("shop", "istio-injection", "enabled"), ns("cart", "istio.io/rev", "canary")}, nil, nil,
			[]want{{policy.CodeNoDefaultInjector, policy.SeverityError, "namespace/shop", "no tag \"default\"", "istioctl tag set default --revision canary"}}},
		{"no default injector, pod opt-in", "sidecar.istio.io/inject=true also needs the default injector", &noDefault,
			[]policy.LintNamespace{ns("plain"), ns("cart", "istio.io/rev", "canary")}, []policy.LintWorkload{wl("Deployment", "plain", "web", m("sidecar.istio.io/inject", "true"))}, nil,
			[]want{{policy.CodeNoDefaultInjector, policy.SeverityError, "deployment/web.plain", "asks for the default injector", "istioctl tag set default"}}},
		{"cronjob opt-out", "manual injection reads the Job template's metadata, not the pod template's", nil,
			nil, []policy.LintWorkload{wl("CronJob", "shop", "report", m("sidecar.istio.io/inject", "false"))}, nil,
			[]want{{policy.CodeManualInjectionOptOut, policy.SeverityWarning, "cronjob/report.shop", "spec.jobTemplate.spec.template.metadata.labels", `{"spec":{"jobTemplate":{"metadata":{"labels":{"sidecar.istio.io/inject":"false"}}}}}`}}},
		{"cronjob opt-out in both", "an opt-out in both places is what manual injection needs", nil,
			nil, []policy.LintWorkload{func() policy.LintWorkload {
				w := wl("CronJob", "shop", "report", m("sidecar.istio.io/inject", "false"))
				w.JobLabels = m("sidecar.istio.io/inject", "false")
				return w
			}()}, nil, nil},
		{"host network", "a hostNetwork workload in an injecting namespace never gets a sidecar", nil,
			nil, []policy.LintWorkload{hostNet(wl("DaemonSet", "shop", "exporter", nil))}, nil,
			[]want{{policy.CodeHostNetwork, policy.SeverityWarning, "daemonset/exporter.shop", "hostNetwork", `"sidecar.istio.io/inject":"false"`}}},
		{"host network, not injecting", "outside an injecting namespace hostNetwork is nothing to report", nil,
			[]policy.LintNamespace{ns("plain")}, []policy.LintWorkload{hostNet(wl("DaemonSet", "plain", "exporter", nil))}, nil, nil},
		{"unused revision", "old loses its last namespace: safe to remove", nil,
			[]policy.LintNamespace{ns("legacy", "istio.io/rev", "canary")}, nil, nil,
			[]want{{policy.CodeUnusedRevision, policy.SeverityInfo, "revision/old", "safe to remove", "istioctl uninstall --revision old"}}},
		{"unused revision, pods left", "pods still carrying its sidecar: restart them first", nil,
			[]policy.LintNamespace{ns("legacy", "istio.io/rev", "canary")}, nil, map[string]int{"old": 3},
			[]want{{policy.CodeUnusedRevision, policy.SeverityInfo, "revision/old", "3 running pods still carry its sidecar", "-"}}},
		{"multiple injectors", "two revisions' webhooks matching one pod", func() *policy.Mesh {
			m := installed(mesh)
			for i := range m.Webhooks {
				if m.Webhooks[i].Name == "istio-sidecar-injector-canary" {
					m.Webhooks[i].Webhooks[0].NamespaceSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
						{Key: "istio.io/rev", Operator: metav1.LabelSelectorOpIn, Values: []string{"canary", "prod"}},
					}}
				}
			}
			return &m
		}(), nil, []policy.LintWorkload{wl("Deployment", "shop", "web", nil)}, nil,
			[]want{{policy.CodeMultipleInjectors, policy.SeverityError, "deployment/web.shop", "2 revisions (canary, stable)", "-"}}},
		{"tag of a removed revision", "an installed tag calling a revision that is gone", func() *policy.Mesh {
			m := installed(mesh)
			m.Webhooks = append(m.Webhooks, policy.Revision{Name: "1-29", Tags: []string{"legacy"}}.Configurations()[1])
			return &m
		}(), nil, nil, nil,
			[]want{{policy.CodeMissingRevision, policy.SeverityError, "mutatingwebhookconfiguration/istio-revision-tag-legacy", `revision "1-29", which is not installed`, "istioctl tag remove legacy"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msh := mesh
			if tc.mesh != nil {
				msh = *tc.mesh
			}
			namespaces := tc.namespaces
			if tc.mesh == nil || tc.mesh.Webhooks != nil {
				// Keep the base namespaces unless the case relabels one.
				seen := map[string]bool{}
				for _, n := range tc.namespaces {
					seen[n.Name] = true
				}
				for _, n := range base {
					if !seen[n.Name] {
						namespaces = append(namespaces, n)
					}
				}
			}
			got, err := policy.Lint(policy.LintInput{Mesh: msh, Namespaces: namespaces, Workloads: tc.workloads, Running: tc.running})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%s: %d findings, want %d:\n%s", tc.why, len(got), len(tc.want), findings(got))
			}
			for i, w := range tc.want {
				g := got[i]
				fixOK := strings.Contains(g.Fix, w.fix)
				if w.fix == "-" {
					fixOK = g.Fix == ""
				}
				if g.Code != w.code || g.Severity != w.severity || g.Object != w.object || !strings.Contains(g.Message, w.message) || !fixOK {
					t.Errorf("%s: finding %d:\n got %+v\nwant %+v", tc.why, i, g, w)
				}
			}
		})
	}
}

func findings(fs []policy.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("  " + string(f.Code) + " " + f.Object + ": " + f.Message + " [" + f.Fix + "]\n")
	}
	return b.String()
}

// FuzzLint: any labels lint without a panic, deterministically, and every
// finding is complete and on one line.
func FuzzLint(f *testing.F) {
	f.Add("shop", "istio-injection=enabled,istio.io/rev=canary", "sidecar.istio.io/inject=True", "sidecar.istio.io/inject=true", "CronJob", false)
	f.Add("x", "istio.io/rev=nope", "istio.io/rev=gone", "", "Deployment", true)
	f.Add("y", "istio-injection=Enabled", "", "sidecar.istio.io/inject=\"}}\n", "Pod", false)
	f.Fuzz(func(t *testing.T, ns, nsLabels, podLabels, podAnnotations, kind string, hostNetwork bool) {
		in := policy.LintInput{
			Mesh:       policy.Mesh{Revisions: []policy.Revision{{Name: "stable", Tags: []string{"default"}}, {Name: "canary", Release: policy.Release{Major: 1, Minor: 26}}}},
			Namespaces: []policy.LintNamespace{{Name: ns, Labels: labelMap(nsLabels)}},
			Workloads: []policy.LintWorkload{{Kind: kind, Namespace: ns, Name: "w", Pod: policy.Target{
				Labels: labelMap(podLabels), Annotations: labelMap(podAnnotations), HostNetwork: hostNetwork}}},
		}
		a, err := policy.Lint(in)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := policy.Lint(in)
		if !reflect.DeepEqual(a, b) {
			t.Fatal("Lint is not deterministic")
		}
		for _, x := range a {
			if x.Code == "" || x.Severity == "" || x.Object == "" || x.Message == "" || strings.ContainsAny(x.Message, "\n\r") {
				t.Fatalf("incomplete or multi-line finding: %+v", x)
			}
		}
	})
}
