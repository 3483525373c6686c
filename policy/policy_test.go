package policy_test

import (
	"flag"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/kinject/kinject/policy"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./policy/ -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, d)
	}
}

// Meshes the table uses.
var (
	revisionless     = policy.Mesh{Revisions: []policy.Revision{{}}}
	revisionlessAuto = policy.Mesh{Revisions: []policy.Revision{{EnableNamespacesByDefault: true}}}
	canaryOnly       = policy.Mesh{Revisions: []policy.Revision{{Name: "canary", EnableNamespacesByDefault: true}}}
	canaryDefault    = policy.Mesh{Revisions: []policy.Revision{{Name: "canary", Tags: []string{"default", "prod"}}}}
	twoRevisions     = policy.Mesh{Revisions: []policy.Revision{{}, {Name: "canary", Tags: []string{"prod"}}}}
	disabled         = policy.Mesh{Revisions: []policy.Revision{{Policy: "disabled"}}}
	twoDefaults      = policy.Mesh{Revisions: []policy.Revision{{}, {Name: "canary", Tags: []string{"default"}}}}
	selectors        = policy.Mesh{Revisions: []policy.Revision{{
		NeverInjectSelector:  []metav1.LabelSelector{{MatchLabels: map[string]string{"app": "batch"}}},
		AlwaysInjectSelector: []metav1.LabelSelector{{MatchLabels: map[string]string{"team": "mesh"}}},
	}}}
	selectorsDisabled = policy.Mesh{Revisions: []policy.Revision{{
		Policy:               "disabled",
		NeverInjectSelector:  []metav1.LabelSelector{{MatchLabels: map[string]string{"app": "batch"}}},
		AlwaysInjectSelector: []metav1.LabelSelector{{MatchLabels: map[string]string{"team": "mesh"}}},
	}}}
	badSelectors = policy.Mesh{Revisions: []policy.Revision{{
		NeverInjectSelector: []metav1.LabelSelector{
			{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: "Like"}}},
			{},
			{MatchLabels: map[string]string{"app": "batch"}},
		},
	}}}
)

func ns(name string, kv ...string) (string, map[string]string) { return name, m(kv...) }

func m(kv ...string) map[string]string {
	if len(kv) == 0 {
		return nil
	}
	out := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func target(namespace string, nsLabels map[string]string, podLabels ...string) policy.Target {
	return policy.Target{Namespace: namespace, NamespaceLabels: nsLabels, Labels: m(podLabels...)}
}

func annotated(t policy.Target, kv ...string) policy.Target {
	t.Annotations = m(kv...)
	return t
}

func hostNetwork(t policy.Target) policy.Target {
	t.HostNetwork = true
	return t
}

type want struct {
	inject   bool
	revision string
	webhook  string
	reason   string      // substring of Reason
	rule     policy.Rule // "" when the case does not pin it (checkRule still holds)
	warnings []string    // substrings, each in some warning; nil: no warnings expected
}

type decideCase struct {
	name   string
	why    string // the one-line reason this case exists
	mesh   policy.Mesh
	target policy.Target
	want   want
}

func decideCases() []decideCase {
	enabled := m("istio-injection", "enabled")
	return []decideCase{
		// The seed table, row by row.
		{"ns enabled, pod unlabelled", "seed table: namespace enabled injects", revisionless,
			target(ns("web", "istio-injection", "enabled")),
			want{inject: true, webhook: "namespace.sidecar-injector.istio.io", reason: `namespace label istio-injection="enabled"`}},
		{"ns enabled, pod false", "seed table: any disabled wins over the namespace", revisionless,
			target("web", enabled, "sidecar.istio.io/inject", "false"),
			want{reason: `pod label sidecar.istio.io/inject="false" opts out`}},
		{"ns enabled, pod true", "seed table: both enabled injects through the namespace webhook", revisionless,
			target("web", enabled, "sidecar.istio.io/inject", "true"),
			want{inject: true, webhook: "namespace.sidecar-injector.istio.io", reason: `pod label sidecar.istio.io/inject="true" asks for injection`}},
		{"ns disabled, pod unlabelled", "seed table: namespace disabled", revisionless,
			target(ns("web", "istio-injection", "disabled")),
			want{reason: `istio-injection="disabled" turns injection off`}},
		{"ns disabled, pod true", "seed table: any disabled → no, even with a pod opt-in", revisionless,
			target("web", m("istio-injection", "disabled"), "sidecar.istio.io/inject", "true"),
			want{reason: `istio-injection="disabled" turns injection off`}},
		{"ns unlabelled, pod true", "seed table: pod opt-in through the object webhook", revisionless,
			target("web", nil, "sidecar.istio.io/inject", "true"),
			want{inject: true, webhook: "object.sidecar-injector.istio.io", reason: `pod label sidecar.istio.io/inject="true" selects the revisionless install`}},
		{"ns unlabelled, pod false", "seed table: pod opt-out with no namespace label", revisionless,
			target("web", nil, "sidecar.istio.io/inject", "false"),
			want{reason: "opts out"}},
		{"ns unlabelled, pod unlabelled", "seed table: none → no without enableNamespacesByDefault", revisionless,
			target("web", nil),
			want{reason: "does not set enableNamespacesByDefault"}},
		{"auto webhook", "seed table: none → yes with enableNamespacesByDefault", revisionlessAuto,
			target("web", nil),
			want{inject: true, webhook: "auto.sidecar-injector.istio.io", reason: "enableNamespacesByDefault"}},
		{"auto webhook skips kube-public", "the auto webhook's namespaceSelector excludes Istio's system namespaces", revisionlessAuto,
			target("kube-public", nil),
			want{reason: `namespace "kube-public" is a system namespace`}},
		{"auto webhook reads the API server's name label", "kubernetes.io/metadata.name comes from the namespace name, not from the caller's labels", revisionlessAuto,
			target("kube-node-lease", m("kubernetes.io/metadata.name", "web")),
			want{reason: "system namespace"}},
		{"auto webhook skips pod with istio.io/rev", "a pod istio.io/rev label keeps the auto webhook away", revisionlessAuto,
			target("web", nil, "istio.io/rev", "canary"),
			want{reason: `pod label istio.io/rev="canary" names no installed revision`}},
		{"auto needs the default injector", "enableNamespacesByDefault on a non-default revision installs nothing", canaryOnly,
			target("web", nil),
			want{reason: "does not set enableNamespacesByDefault"}},

		// Revisions and tags (stage A).
		{"ns rev canary", "rev.namespace webhook of a revision", twoRevisions,
			target(ns("web", "istio.io/rev", "canary")),
			want{inject: true, revision: "canary", webhook: "rev.namespace.sidecar-injector.istio.io", reason: `namespace label istio.io/rev="canary" selects revision "canary"`}},
		{"ns rev canary, pod false", "pod opt-out under a revision label", twoRevisions,
			target("web", m("istio.io/rev", "canary"), "sidecar.istio.io/inject", "false"),
			want{reason: "opts out"}},
		{"ns rev default", "the revisionless install answers to istio.io/rev=default", twoRevisions,
			target(ns("web", "istio.io/rev", "default")),
			want{inject: true, webhook: "rev.namespace.sidecar-injector.istio.io", reason: "revisionless install"}},
		{"ns rev tag", "a tag's rev.namespace webhook calls the revision it points at", twoRevisions,
			target(ns("web", "istio.io/rev", "prod")),
			want{inject: true, revision: "canary", webhook: "rev.namespace.sidecar-injector.istio.io", reason: `istio.io/rev="prod" (a tag of revision "canary")`}},
		{"pod rev canary", "rev.object webhook: pod label in an unlabelled namespace", twoRevisions,
			target("web", nil, "istio.io/rev", "canary"),
			want{inject: true, revision: "canary", webhook: "rev.object.sidecar-injector.istio.io", reason: `pod label istio.io/rev="canary"`}},
		{"pod rev tag", "rev.object webhook of a tag", twoRevisions,
			target("web", nil, "istio.io/rev", "prod"),
			want{inject: true, revision: "canary", webhook: "rev.object.sidecar-injector.istio.io", reason: `a tag of revision "canary"`}},
		{"pod rev canary, pod false", "pod opt-out beats the pod's revision label", twoRevisions,
			target("web", nil, "istio.io/rev", "canary", "sidecar.istio.io/inject", "false"),
			want{reason: "opts out"}},
		{"pod rev and inject true", "the object webhook needs no istio.io/rev, so only the revision's webhook matches", twoRevisions,
			target("web", nil, "istio.io/rev", "canary", "sidecar.istio.io/inject", "true"),
			want{inject: true, revision: "canary", webhook: "rev.object.sidecar-injector.istio.io"}},
		{"default tag serves istio-injection", "tag default makes a revision the default injector", canaryDefault,
			target(ns("web", "istio-injection", "enabled")),
			want{inject: true, revision: "canary", webhook: "namespace.sidecar-injector.istio.io"}},
		{"default tag serves istio.io/rev=default", "tag default also gets a rev.namespace pair", canaryDefault,
			target(ns("web", "istio.io/rev", "default")),
			want{inject: true, revision: "canary", webhook: "rev.namespace.sidecar-injector.istio.io", reason: `(a tag of revision "canary")`}},
		{"default tag serves pod inject true", "object webhook of a tagged default revision", canaryDefault,
			target("web", nil, "sidecar.istio.io/inject", "true"),
			want{inject: true, revision: "canary", webhook: "object.sidecar-injector.istio.io"}},
		{"unknown ns revision", "istio.io/rev naming nothing installed", twoRevisions,
			target(ns("web", "istio.io/rev", "stable")),
			want{reason: `namespace label istio.io/rev="stable" names no installed revision or tag`}},
		{"unknown pod revision", "pod istio.io/rev naming nothing installed", twoRevisions,
			target("web", nil, "istio.io/rev", "stable"),
			want{reason: `pod label istio.io/rev="stable" names no installed revision or tag`}},
		{"istio-injection without default injector", "only the default injector serves istio-injection=enabled", canaryOnly,
			target(ns("web", "istio-injection", "enabled")),
			want{reason: "no revision is the default injector"}},
		{"pod true without default injector", "only the default injector serves sidecar.istio.io/inject=true", canaryOnly,
			target("web", nil, "sidecar.istio.io/inject", "true"),
			want{reason: "no revision is the default injector"}},
		{"no revisions", "an empty mesh injects nothing", policy.Mesh{},
			target(ns("web", "istio-injection", "enabled")),
			want{reason: "no revision is installed"}},

		// Where the documented table and the actual behaviour differ.
		{"both namespace labels", "seed table: if both namespace labels are present, istio-injection wins", twoRevisions,
			target(ns("web", "istio-injection", "enabled", "istio.io/rev", "canary")),
			want{inject: true, webhook: "namespace.sidecar-injector.istio.io", warnings: []string{"istio-injection wins"}}},
		{"pod rev under istio-injection", "a pod istio.io/rev cannot override istio-injection=enabled", twoRevisions,
			target("web", enabled, "istio.io/rev", "canary"),
			want{inject: true, webhook: "namespace.sidecar-injector.istio.io", warnings: []string{`pod label istio.io/rev="canary" is ignored`}}},
		{"pod rev under other ns rev", "the namespace's istio.io/rev picks the revision, not the pod's", twoRevisions,
			target("web", m("istio.io/rev", "default"), "istio.io/rev", "canary"),
			want{inject: true, webhook: "rev.namespace.sidecar-injector.istio.io", warnings: []string{`namespace label istio.io/rev="default" selects the revision`}}},
		{"label True, policy enabled", "label values are case-sensitive: True falls through to the policy", revisionless,
			target("web", enabled, "sidecar.istio.io/inject", "True"),
			want{inject: true, webhook: "namespace.sidecar-injector.istio.io", reason: "policy is enabled", warnings: []string{`sidecar.istio.io/inject="True" is neither`}}},
		{"label True, policy disabled", "True is not an opt-in", disabled,
			target("web", enabled, "sidecar.istio.io/inject", "True"),
			want{webhook: "namespace.sidecar-injector.istio.io", reason: "policy is disabled", warnings: []string{`"True" is neither`}}},
		{"label True, namespace unlabelled", "the object webhook matches exactly true", revisionless,
			target("web", nil, "sidecar.istio.io/inject", "True"),
			want{reason: `sidecar.istio.io/inject="True" is not exactly "true"`, warnings: []string{`"True" is neither`}}},
		{"label empty under auto", "an empty label still exists, so the auto webhook skips the pod", revisionlessAuto,
			target("web", nil, "sidecar.istio.io/inject", ""),
			want{reason: `sidecar.istio.io/inject="" is not exactly "true"`, warnings: []string{`sidecar.istio.io/inject="" is neither`}}},
		{"namespace Enabled", "istio-injection values are case-sensitive", revisionless,
			target(ns("web", "istio-injection", "Enabled")),
			want{reason: `istio-injection="Enabled" turns injection off`, warnings: []string{`istio-injection="Enabled" is neither`}}},
		{"annotation-only opt-in", "webhook selectors cannot see annotations", revisionless,
			annotated(target("web", nil), "sidecar.istio.io/inject", "true"),
			want{reason: "neither namespace", warnings: []string{"deprecated", "cannot opt a pod in"}}},
		{"annotation opt-in under auto", "once a webhook matched, the injector reads the annotation", func() policy.Mesh {
			return policy.Mesh{Revisions: []policy.Revision{{Policy: "disabled", EnableNamespacesByDefault: true}}}
		}(),
			annotated(target("web", nil), "sidecar.istio.io/inject", "true"),
			want{inject: true, webhook: "auto.sidecar-injector.istio.io", reason: `pod annotation sidecar.istio.io/inject="true" asks for injection`, warnings: []string{"deprecated"}}},

		// Stage B: the injector.
		{"hostNetwork", "the injector never injects hostNetwork pods", revisionless,
			hostNetwork(target("web", enabled)),
			want{webhook: "namespace.sidecar-injector.istio.io", reason: "hostNetwork"}},
		{"hostNetwork beats opt-in", "hostNetwork is checked before the pod's label", revisionless,
			hostNetwork(target("web", enabled, "sidecar.istio.io/inject", "true")),
			want{webhook: "namespace.sidecar-injector.istio.io", reason: "hostNetwork"}},
		{"ignored namespace", "kube-system is ignored even when labelled", revisionless,
			target(ns("kube-system", "istio-injection", "enabled")),
			want{webhook: "namespace.sidecar-injector.istio.io", reason: `namespace "kube-system" is one of the injector's ignored namespaces`}},
		{"ignored namespace beats opt-in", "ignored namespaces come before the pod's label", revisionless,
			target("local-path-storage", enabled, "sidecar.istio.io/inject", "true"),
			want{webhook: "namespace.sidecar-injector.istio.io", reason: "ignored namespaces"}},
		{"no ignored namespaces", "an empty IgnoredNamespaces ignores none", policy.Mesh{Revisions: []policy.Revision{{IgnoredNamespaces: []string{}}}},
			target(ns("kube-system", "istio-injection", "enabled")),
			want{inject: true, webhook: "namespace.sidecar-injector.istio.io"}},
		{"custom ignored namespace", "IgnoredNamespaces replaces Istio's four", policy.Mesh{Revisions: []policy.Revision{{IgnoredNamespaces: []string{"legacy"}}}},
			target(ns("legacy", "istio-injection", "enabled")),
			want{webhook: "namespace.sidecar-injector.istio.io", reason: `namespace "legacy"`}},
		{"annotation false", "the deprecated annotation still opts out once a webhook matched", revisionless,
			annotated(target("web", enabled), "sidecar.istio.io/inject", "false"),
			want{webhook: "namespace.sidecar-injector.istio.io", reason: `pod annotation sidecar.istio.io/inject="false" opts out`, warnings: []string{"deprecated"}}},
		{"label beats annotation", "the label wins when both are set", revisionless,
			annotated(target("web", enabled, "sidecar.istio.io/inject", "true"), "sidecar.istio.io/inject", "false"),
			want{inject: true, webhook: "namespace.sidecar-injector.istio.io", reason: "pod label", warnings: []string{`annotation sidecar.istio.io/inject="false" is ignored`}}},
		{"empty label hides annotation", "a present label, even empty, wins over the annotation", revisionless,
			annotated(target("web", enabled, "sidecar.istio.io/inject", ""), "sidecar.istio.io/inject", "false"),
			want{inject: true, webhook: "namespace.sidecar-injector.istio.io", reason: "policy is enabled", warnings: []string{`label sidecar.istio.io/inject="" is neither`, `annotation sidecar.istio.io/inject="false" is ignored`}}},
		{"annotation invalid", "an unusable annotation falls through to the policy", revisionless,
			annotated(target("web", enabled), "sidecar.istio.io/inject", "yes"),
			want{inject: true, reason: "policy is enabled", warnings: []string{"deprecated", `annotation sidecar.istio.io/inject="yes" is neither`}}},
		{"policy disabled", "disabled policy needs an opt-in", disabled,
			target(ns("web", "istio-injection", "enabled")),
			want{webhook: "namespace.sidecar-injector.istio.io", reason: "policy is disabled"}},
		{"policy disabled, pod true", "an explicit opt-in overrides a disabled policy", disabled,
			target("web", enabled, "sidecar.istio.io/inject", "true"),
			want{inject: true, webhook: "namespace.sidecar-injector.istio.io"}},
		{"policy invalid", "an unknown policy turns the injector off, as in Istio", policy.Mesh{Revisions: []policy.Revision{{Policy: "on"}}},
			target(ns("web", "istio-injection", "enabled")),
			want{webhook: "namespace.sidecar-injector.istio.io", reason: `policy "on" is neither`, warnings: []string{`policy "on"`}}},
		{"never selector", "neverInjectSelector refuses under an enabled policy", selectors,
			target("web", enabled, "app", "batch"),
			want{webhook: "namespace.sidecar-injector.istio.io", reason: "neverInjectSelector[0]"}},
		{"always selector", "alwaysInjectSelector injects under a disabled policy", selectorsDisabled,
			target("web", enabled, "team", "mesh"),
			want{inject: true, reason: "alwaysInjectSelector[0]"}},
		{"never before always", "the never selectors are consulted first", selectorsDisabled,
			target("web", enabled, "team", "mesh", "app", "batch"),
			want{webhook: "namespace.sidecar-injector.istio.io", reason: "neverInjectSelector[0]"}},
		{"label before selectors", "an explicit label skips the selectors", selectors,
			target("web", enabled, "app", "batch", "sidecar.istio.io/inject", "true"),
			want{inject: true, reason: `pod label sidecar.istio.io/inject="true" asks for injection`}},
		{"invalid and empty selectors skipped", "Istio skips invalid and empty selectors and carries on", badSelectors,
			target("web", enabled, "app", "batch"),
			want{webhook: "namespace.sidecar-injector.istio.io", reason: "neverInjectSelector[2]", warnings: []string{"neverInjectSelector[0] is invalid"}}},

		// More than one revision.
		{"two default injectors", "two revisions injecting the same pod is reported", twoDefaults,
			target(ns("web", "istio-injection", "enabled")),
			want{inject: true, webhook: "namespace.sidecar-injector.istio.io", warnings: []string{"2 revisions would inject this pod"}}},
		{"two default injectors, one refuses", "a refusing revision does not hide the injecting one", policy.Mesh{Revisions: []policy.Revision{
			{Policy: "disabled"}, {Name: "canary", Tags: []string{"default"}},
		}},
			target(ns("web", "istio-injection", "enabled")),
			want{inject: true, revision: "canary", webhook: "namespace.sidecar-injector.istio.io"}},
	}
}

func TestDecide(t *testing.T) {
	for _, tc := range decideCases() {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.mesh.Decide(tc.target)
			check(t, tc.why, got, tc.want)
		})
	}
}

func check(t *testing.T, why string, got policy.Decision, w want) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("%s: "+format+"\nreason: %s\ntrace:\n  %s\nwarnings:\n  %s", append(append([]any{why}, args...),
			got.Reason, strings.Join(got.Trace, "\n  "), strings.Join(got.Warnings, "\n  "))...)
	}
	if got.Inject != w.inject {
		fail("Inject = %v, want %v", got.Inject, w.inject)
	}
	if w.inject && got.Revision != w.revision {
		fail("Revision = %q, want %q", got.Revision, w.revision)
	}
	if w.webhook != "" && got.Webhook != w.webhook {
		fail("Webhook = %q, want %q", got.Webhook, w.webhook)
	}
	if !strings.Contains(got.Reason, w.reason) || got.Reason == "" {
		fail("Reason lacks %q", w.reason)
	}
	if w.rule != "" && got.Rule != w.rule {
		fail("Rule = %q, want %q", got.Rule, w.rule)
	}
	if err := checkRule(got); err != "" {
		fail("%s", err)
	}
	if len(got.Trace) == 0 {
		fail("empty Trace")
	}
	for _, s := range w.warnings {
		if !slices.ContainsFunc(got.Warnings, func(g string) bool { return strings.Contains(g, s) }) {
			fail("no warning contains %q", s)
		}
	}
	if w.warnings == nil && len(got.Warnings) > 0 {
		fail("unexpected warnings")
	}
}

// stageA evaluates, independently of Decide, which revisions' webhooks the
// API server would call: Webhooks() with apimachinery's selectors.
func stageA(t *testing.T, m policy.Mesh, tg policy.Target) map[int]string {
	t.Helper()
	nsLabels := labels.Set{}
	for k, v := range tg.NamespaceLabels {
		nsLabels[k] = v
	}
	if tg.Namespace != "" {
		nsLabels["kubernetes.io/metadata.name"] = tg.Namespace
	}
	hits := map[int]string{}
	for i, r := range m.Revisions {
		for _, w := range r.Webhooks() {
			nsSel, err1 := metav1.LabelSelectorAsSelector(w.NamespaceSelector)
			objSel, err2 := metav1.LabelSelectorAsSelector(w.ObjectSelector)
			if err1 != nil || err2 != nil {
				continue
			}
			if nsSel.Matches(nsLabels) && objSel.Matches(labels.Set(tg.Labels)) {
				if _, seen := hits[i]; !seen {
					hits[i] = w.Name
				}
			}
		}
	}
	return hits
}

// agree checks that d is what Webhooks() and Required say: the pod is
// injected exactly when a revision whose webhook matched would inject it,
// and the reported webhook is one that matched for the reported revision.
func agree(t *testing.T, m policy.Mesh, tg policy.Target, d policy.Decision) {
	t.Helper()
	hits := stageA(t, m, tg)
	anyInject := false
	// The reported revision is one whose webhook matched and whose
	// injector agrees with the decision. An invalid mesh may name two
	// revisions alike (two revisionless installs), so the pair (name,
	// webhook) need not be unique: one of them must agree.
	reported, agrees := false, false
	for i, hook := range hits {
		r := m.Revisions[i]
		req := r.Required(tg)
		anyInject = anyInject || req.Inject
		if r.Name == d.Revision && hook == d.Webhook {
			reported = true
			agrees = agrees || req.Inject == d.Inject
		}
	}
	if reported && !agrees {
		t.Errorf("Decide says Inject=%v from %q via %s, Required says %v", d.Inject, d.Revision, d.Webhook, !d.Inject)
	}
	if anyInject != d.Inject {
		t.Errorf("Decide.Inject = %v, but webhooks %v with Required say %v", d.Inject, hits, anyInject)
	}
	if len(hits) == 0 && (d.Webhook != "" || d.Revision != "") {
		t.Errorf("no webhook matches, but Decide reports %q of %q", d.Webhook, d.Revision)
	}
	if len(hits) > 0 && !reported {
		t.Errorf("Decide reports %q of %q, not among the matching webhooks %v", d.Webhook, d.Revision, hits)
	}
}

func TestDecideAgreesWithWebhooks(t *testing.T) {
	for _, tc := range decideCases() {
		t.Run(tc.name, func(t *testing.T) {
			agree(t, tc.mesh, tc.target, tc.mesh.Decide(tc.target))
		})
	}
}

func TestDecideAgreesWithWebhooksOnCaseFile(t *testing.T) {
	data, err := os.ReadFile("../testdata/policy/cases.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Mesh  policy.Mesh `json:"mesh"`
		Cases []struct {
			Name      string       `json:"name"`
			Mesh      *policy.Mesh `json:"mesh"`
			Namespace struct {
				Name   string            `json:"name"`
				Labels map[string]string `json:"labels"`
			} `json:"namespace"`
			Pod struct {
				Labels      map[string]string `json:"labels"`
				Annotations map[string]string `json:"annotations"`
				HostNetwork bool              `json:"hostNetwork"`
			} `json:"pod"`
		} `json:"cases"`
	}
	if err := yaml.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Cases) == 0 {
		t.Fatal("no cases in the case file")
	}
	for _, c := range file.Cases {
		t.Run(c.Name, func(t *testing.T) {
			tg := policy.Target{Namespace: c.Namespace.Name, NamespaceLabels: c.Namespace.Labels,
				Labels: c.Pod.Labels, Annotations: c.Pod.Annotations, HostNetwork: c.Pod.HostNetwork}
			mesh := file.Mesh
			if c.Mesh != nil {
				mesh = *c.Mesh
			}
			agree(t, mesh, tg, mesh.Decide(tg))
		})
	}
}

func TestCompiledDecidesAsMesh(t *testing.T) {
	for _, tc := range decideCases() {
		t.Run(tc.name, func(t *testing.T) {
			d, err := tc.mesh.Compile()
			if err != nil {
				if tc.mesh.Validate() == nil {
					t.Fatalf("Compile failed on a valid mesh: %v", err)
				}
				return // invalid meshes are only decided leniently by Mesh.Decide
			}
			if diff := cmp.Diff(tc.mesh.Decide(tc.target), d.Decide(tc.target)); diff != "" {
				t.Errorf("%s: Decider differs from Mesh.Decide (-mesh +decider):\n%s", tc.why, diff)
			}
		})
	}
}

func TestRequired(t *testing.T) {
	enabled := m("istio-injection", "enabled")
	tests := []struct {
		name   string
		why    string
		rev    policy.Revision
		target policy.Target
		want   want
	}{
		{"default policy", "empty Policy means enabled", policy.Revision{}, target("web", nil),
			want{inject: true, reason: "policy is enabled", rule: policy.RulePolicyEnabled}},
		{"namespace labels are not read", "stage A already happened; Required ignores namespace labels", policy.Revision{},
			target("web", m("istio-injection", "disabled")),
			want{inject: true, reason: "policy is enabled"}},
		{"revision name reported", "Decision.Revision names the revision even without a webhook", policy.Revision{Name: "canary"},
			target("web", enabled), want{inject: true, revision: "canary"}},
		{"hostNetwork", "first rule", policy.Revision{}, hostNetwork(target("web", nil, "sidecar.istio.io/inject", "true")),
			want{reason: "hostNetwork", rule: policy.RuleHostNetwork}},
		{"ignored", "second rule", policy.Revision{}, target("kube-system", nil, "sidecar.istio.io/inject", "true"),
			want{reason: "ignored namespaces", rule: policy.RuleIgnoredNamespace}},
		{"label false", "third rule, opt-out", policy.Revision{}, target("web", nil, "sidecar.istio.io/inject", "false"),
			want{reason: `pod label sidecar.istio.io/inject="false" opts out`, rule: policy.RuleLabelOptOut}},
		{"label true, disabled", "third rule, opt-in", policy.Revision{Policy: "disabled"}, target("web", nil, "sidecar.istio.io/inject", "true"),
			want{inject: true, reason: "asks for injection", rule: policy.RuleLabelOptIn}},
		{"label yes", "values other than true/false fall through with a warning", policy.Revision{Policy: "disabled"},
			target("web", nil, "sidecar.istio.io/inject", "yes"),
			want{reason: "policy is disabled", rule: policy.RulePolicyDisabled, warnings: []string{`"yes" is neither`}}},
		{"never", "fourth rule", policy.Revision{NeverInjectSelector: []metav1.LabelSelector{{MatchLabels: map[string]string{"app": "x"}}}},
			target("web", nil, "app", "x"), want{reason: `neverInjectSelector[0] ("app=x")`, rule: policy.RuleNeverInjectSelector}},
		{"always with expressions", "fifth rule, with a set-based selector", policy.Revision{Policy: "disabled",
			AlwaysInjectSelector: []metav1.LabelSelector{{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"web", "api"}}}}}},
			target("web", nil, "tier", "api"), want{inject: true, reason: "alwaysInjectSelector[0]", rule: policy.RuleAlwaysInjectSelector}},
		{"policy disabled", "last rule", policy.Revision{Policy: "disabled"}, target("web", nil),
			want{reason: "policy is disabled", rule: policy.RulePolicyDisabled}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.rev.Required(tc.target)
			if compiled := tc.rev.CompileRequired()(tc.target); !cmp.Equal(got, compiled) {
				t.Errorf("%s: CompileRequired answers otherwise than Required:\n%s", tc.why, cmp.Diff(got, compiled))
			}
			if got.Webhook != "" {
				t.Errorf("%s: Webhook = %q, want empty from Required", tc.why, got.Webhook)
			}
			if got.Revision != tc.rev.Name {
				t.Errorf("%s: Revision = %q, want %q", tc.why, got.Revision, tc.rev.Name)
			}
			check(t, tc.why, got, tc.want)
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		why  string
		mesh policy.Mesh
		want []string // substrings of the error; none: valid
	}{
		{"empty", "a mesh with nothing installed is valid", policy.Mesh{}, nil},
		{"releases", "an old and the newest release side by side are valid",
			policy.Mesh{Revisions: []policy.Revision{{Release: policy.Release{Major: 1, Minor: 26, Patch: 8}}, {Name: "new"}}}, nil},
		{"bad release", "a release literal with major 0 is not Istio's",
			policy.Mesh{Revisions: []policy.Revision{{Release: policy.Release{Minor: 26}}}},
			[]string{"istioVersion: 0.26.0 is not an Istio release"}},
		{"typical", "revisionless plus a tagged canary is valid", twoRevisions, nil},
		{"default tag elsewhere", "a revision tagged default without a revisionless install is valid", canaryDefault, nil},
		{"two defaults", "revisionless and a default tag are two default injectors", twoDefaults,
			[]string{`revisions[1] revision "canary": revisionTags[0]: istio.io/rev="default" is already served by revisions[0] the revisionless install`}},
		{"duplicate name", "two revisions with one name", policy.Mesh{Revisions: []policy.Revision{{Name: "a"}, {Name: "a"}}},
			[]string{`revisions[1] revision "a": revision: istio.io/rev="a" is already served`}},
		{"tag equals a revision", "a tag may not shadow a revision name", policy.Mesh{Revisions: []policy.Revision{{Name: "a"}, {Name: "b", Tags: []string{"a"}}}},
			[]string{`revisionTags[0]: istio.io/rev="a" is already served`}},
		{"reserved name", "revision default is the revisionless install", policy.Mesh{Revisions: []policy.Revision{{Name: "default"}}},
			[]string{`"default" is reserved`}},
		{"bad name", "names must be label values", policy.Mesh{Revisions: []policy.Revision{{Name: "1.20 canary"}}},
			[]string{`revision: "1.20 canary" is not a valid label value`}},
		{"bad tag", "tags must be label values", policy.Mesh{Revisions: []policy.Revision{{Tags: []string{"", "a/b"}}}},
			[]string{"revisionTags[0]: empty tag", `revisionTags[1]: "a/b" is not a valid label value`}},
		{"bad policy", "policy is enabled or disabled", policy.Mesh{Revisions: []policy.Revision{{Name: "x", Policy: "Enabled"}}},
			[]string{`revisions[0] revision "x": policy: "Enabled" is neither "enabled" nor "disabled"`}},
		{"bad selectors", "selectors apimachinery rejects are reported with their index", badSelectors,
			[]string{`neverInjectSelector[0]: "Like" is not a valid label selector operator`}},
		{"bad always selector", "invalid keys are reported", policy.Mesh{Revisions: []policy.Revision{{
			AlwaysInjectSelector: []metav1.LabelSelector{{}, {MatchLabels: map[string]string{"bad key": "x"}}}}}},
			[]string{"alwaysInjectSelector[1]: "}},
		{"empty ignored namespace", "an empty name in IgnoredNamespaces is a mistake", policy.Mesh{Revisions: []policy.Revision{{IgnoredNamespaces: []string{""}}}},
			[]string{"ignoredNamespaces[0]: empty namespace name"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.mesh.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Errorf("%s: unexpected error: %v", tc.why, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("%s: no error, want %q", tc.why, tc.want)
			}
			for _, s := range tc.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("%s: error %q lacks %q", tc.why, err, s)
				}
			}
			if _, cerr := tc.mesh.Compile(); cerr == nil {
				t.Errorf("%s: Compile accepted a mesh Validate rejects", tc.why)
			}
		})
	}
}

func TestWebhooksGolden(t *testing.T) {
	var out strings.Builder
	for _, r := range []policy.Revision{
		{},
		{EnableNamespacesByDefault: true},
		{Name: "canary", Tags: []string{"prod"}},
		{Name: "stable", Tags: []string{"default"}},
	} {
		y, err := yaml.Marshal(r.Webhooks())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "# revision %q, tags %q, enableNamespacesByDefault %v\n%s---\n", r.Name, r.Tags, r.EnableNamespacesByDefault, y)
	}
	golden(t, "../testdata/policy/webhooks.golden.yaml", []byte(out.String()))
}

func TestWebhooksAreFresh(t *testing.T) {
	r := policy.Revision{Name: "canary"}
	a := r.Webhooks()
	a[0].NamespaceSelector.MatchExpressions[0].Values[0] = "mutated"
	*a[0].ClientConfig.Service.Path = "/mutated"
	if b := r.Webhooks(); !reflect.DeepEqual(b[0].NamespaceSelector.MatchExpressions[0].Values, []string{"canary"}) || *b[0].ClientConfig.Service.Path != "/inject" {
		t.Errorf("changing one result of Webhooks changed the next: %v", b[0])
	}
}

func TestDeciderConcurrent(t *testing.T) {
	d, err := twoRevisions.Compile()
	if err != nil {
		t.Fatal(err)
	}
	cases := decideCases()
	want := make([]policy.Decision, len(cases))
	for i, tc := range cases {
		want[i] = d.Decide(tc.target)
	}
	done := make(chan struct{})
	for g := 0; g < 4; g++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for i, tc := range cases {
				if got := d.Decide(tc.target); !reflect.DeepEqual(got, want[i]) {
					t.Errorf("%s: concurrent Decide differs: %s", tc.name, cmp.Diff(want[i], got))
				}
			}
		}()
	}
	for g := 0; g < 4; g++ {
		<-done
	}
}

// TestCompileRequiredKeepsItsRevision: the compiled stage B holds what it
// needs of the revision, so a caller reusing or changing the Revision value
// afterwards cannot change the answers of an Injector built from it.
func TestCompileRequiredKeepsItsRevision(t *testing.T) {
	rev := policy.Revision{
		Name:                "canary",
		IgnoredNamespaces:   []string{"batch"},
		NeverInjectSelector: []metav1.LabelSelector{{MatchLabels: map[string]string{"app": "x"}}},
	}
	required := rev.CompileRequired()
	rev.Name = "stable"
	rev.IgnoredNamespaces[0] = "web"
	rev.NeverInjectSelector[0].MatchLabels["app"] = "y"
	rev.Policy = "disabled"

	for _, tc := range []struct {
		why    string
		target policy.Target
		inject bool
		rule   policy.Rule
	}{
		{"the ignored namespace is still batch", target("batch", nil), false, policy.RuleIgnoredNamespace},
		{"web is not ignored: the slice was copied", target("web", nil), true, policy.RulePolicyEnabled},
		{"the selector still matches app=x", target("web", nil, "app", "x"), false, policy.RuleNeverInjectSelector},
		{"app=y was never compiled", target("web", nil, "app", "y"), true, policy.RulePolicyEnabled},
	} {
		d := required(tc.target)
		if d.Inject != tc.inject || d.Rule != tc.rule || d.Revision != "canary" {
			t.Errorf("%s: got inject=%v rule=%s revision=%q, want inject=%v rule=%s revision=canary",
				tc.why, d.Inject, d.Rule, d.Revision, tc.inject, tc.rule)
		}
	}
}
