package policy_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/kinject/kinject/policy"
)

// installed is mesh with its webhooks given as installed configurations,
// made by Revision.Configurations.
func installed(mesh policy.Mesh) policy.Mesh {
	out := policy.Mesh{Revisions: mesh.Revisions, Webhooks: []admissionregistrationv1.MutatingWebhookConfiguration{}}
	for _, r := range mesh.Revisions {
		out.Webhooks = append(out.Webhooks, r.Configurations()...)
	}
	return out
}

// TestInstalledDecidesAsGenerated: the configurations Istio installs, read
// back as installed webhooks, decide every table case as the generated
// ones do. Only the order of two injecting revisions may differ (the API
// server calls configurations by name, the generated mesh by revision).
func TestInstalledDecidesAsGenerated(t *testing.T) {
	for _, tc := range decideCases() {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.mesh.Decide(tc.target)
			got := installed(tc.mesh).Decide(tc.target)
			if got.Inject != want.Inject {
				t.Fatalf("%s: installed Inject = %v, generated %v\ninstalled: %s\ngenerated: %s", tc.why, got.Inject, want.Inject, got.Reason, want.Reason)
			}
			if strings.Contains(strings.Join(want.Warnings, "\n"), "revisions would inject") {
				return
			}
			if got.Revision != want.Revision || got.Webhook != want.Webhook {
				t.Errorf("%s: installed picks %q/%q, generated %q/%q", tc.why, got.Revision, got.Webhook, want.Revision, want.Webhook)
			}
			if got.Reason != want.Reason {
				t.Errorf("%s: reasons differ\ninstalled: %s\ngenerated: %s", tc.why, got.Reason, want.Reason)
			}
			if want.Webhook != "" && got.Configuration == "" {
				t.Errorf("%s: installed decision names no configuration", tc.why)
			}
		})
	}
}

// clusterDir is the two-revision install of ../shared/istio-cluster;
// KINJECT_ISTIO_CLUSTER overrides it.
func clusterDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("KINJECT_ISTIO_CLUSTER")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "istio-cluster")
	}
	if _, err := os.Stat(filepath.Join(dir, "webhooks.yaml")); err != nil {
		t.Skipf("istio-cluster dumps not found at %s (set KINJECT_ISTIO_CLUSTER): %v", dir, err)
	}
	return dir
}

func readWebhooks(t testing.TB, path string) []admissionregistrationv1.MutatingWebhookConfiguration {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Items []admissionregistrationv1.MutatingWebhookConfiguration `json:"items"`
	}
	if err := yaml.Unmarshal(data, &list); err != nil {
		t.Fatal(err)
	}
	return list.Items
}

// TestConfigurationsAsIstioInstalls pins Revision.Configurations to what
// Istio's own installer rendered for revisions 1-30 (tags default and
// prod-stable) and 1-31 (tag prod-canary): the same configurations, labels
// and webhooks with the same selectors, in the same order.
func TestConfigurationsAsIstioInstalls(t *testing.T) {
	dump := readWebhooks(t, filepath.Join(clusterDir(t), "webhooks.yaml"))
	type hook struct {
		Name              string
		NamespaceSelector *metav1.LabelSelector
		ObjectSelector    *metav1.LabelSelector
		Rules             []admissionregistrationv1.RuleWithOperations
	}
	type config struct {
		Labels map[string]string
		Hooks  []hook
	}
	shape := func(cs []admissionregistrationv1.MutatingWebhookConfiguration) map[string]config {
		out := map[string]config{}
		for _, c := range cs {
			cfg := config{Labels: map[string]string{}}
			for _, k := range []string{"istio.io/rev", "istio.io/tag"} {
				if v, ok := c.Labels[k]; ok {
					cfg.Labels[k] = v
				}
			}
			for _, w := range c.Webhooks {
				cfg.Hooks = append(cfg.Hooks, hook{w.Name, w.NamespaceSelector, w.ObjectSelector, w.Rules})
			}
			out[c.Name] = cfg
		}
		return out
	}
	var ours []admissionregistrationv1.MutatingWebhookConfiguration
	for _, r := range []policy.Revision{{Name: "1-30", Tags: []string{"default", "prod-stable"}}, {Name: "1-31", Tags: []string{"prod-canary"}}} {
		ours = append(ours, r.Configurations()...)
	}
	if d := cmp.Diff(shape(dump), shape(ours)); d != "" {
		t.Errorf("Configurations differ from Istio's installer (-istio +kinject):\n%s", d)
	}
	for _, c := range dump {
		rev, ok := policy.ConfigurationRevision(&c)
		if !ok || (rev != "1-30" && rev != "1-31") {
			t.Errorf("ConfigurationRevision(%s) = %q, %v", c.Name, rev, ok)
		}
	}
}

func sel(kv ...string) *metav1.LabelSelector { return &metav1.LabelSelector{MatchLabels: m(kv...)} }

// edited returns the revisions' configurations with f applied to each.
func edited(mesh policy.Mesh, f func(c *admissionregistrationv1.MutatingWebhookConfiguration)) policy.Mesh {
	out := installed(mesh)
	for i := range out.Webhooks {
		f(&out.Webhooks[i])
	}
	return out
}

func TestDecideInstalled(t *testing.T) {
	stableCanary := policy.Mesh{Revisions: []policy.Revision{
		{Name: "stable", Tags: []string{"default"}},
		{Name: "canary"},
	}}
	neverMatch := sel("istio.io/deactivated", "never-match")
	// The revisionless install deactivated by `istioctl tag set default
	// --revision canary`, and the canary with the default tag.
	tagMoved := policy.Mesh{
		Revisions: []policy.Revision{{}, {Name: "canary", Tags: []string{"default"}}},
		Webhooks: func() []admissionregistrationv1.MutatingWebhookConfiguration {
			old := policy.Revision{}.Configurations()
			for i := range old[0].Webhooks {
				old[0].Webhooks[i].NamespaceSelector, old[0].Webhooks[i].ObjectSelector = neverMatch, neverMatch
			}
			return append(old, policy.Revision{Name: "canary", Tags: []string{"default"}}.Configurations()...)
		}(),
	}
	onlyWebhooks := func(cs ...admissionregistrationv1.MutatingWebhookConfiguration) policy.Mesh {
		return policy.Mesh{Revisions: []policy.Revision{{Name: "stable"}}, Webhooks: cs}
	}
	hookWith := func(name string, f func(w *admissionregistrationv1.MutatingWebhook)) admissionregistrationv1.MutatingWebhookConfiguration {
		c := policy.Revision{Name: "stable"}.Configurations()[0]
		c.Name = name
		c.Webhooks = c.Webhooks[:1]
		f(&c.Webhooks[0])
		return c
	}
	for _, tc := range []decideCase{
		{"user narrowed istio-injection", "an edited namespaceSelector (team=mesh added) changes the decision",
			edited(stableCanary, func(c *admissionregistrationv1.MutatingWebhookConfiguration) {
				for i := range c.Webhooks {
					if c.Webhooks[i].Name == "namespace.sidecar-injector.istio.io" {
						c.Webhooks[i].NamespaceSelector.MatchLabels = map[string]string{"team": "mesh"}
					}
				}
			}),
			target(ns("web", "istio-injection", "enabled")),
			want{reason: "no injection webhook matches"}},
		{"user narrowed, namespace qualifies", "the edited selector still matches a namespace with the extra label",
			edited(stableCanary, func(c *admissionregistrationv1.MutatingWebhookConfiguration) {
				for i := range c.Webhooks {
					if c.Webhooks[i].Name == "namespace.sidecar-injector.istio.io" {
						c.Webhooks[i].NamespaceSelector.MatchLabels = map[string]string{"team": "mesh"}
					}
				}
			}),
			target(ns("web", "istio-injection", "enabled", "team", "mesh")),
			want{inject: true, revision: "stable", webhook: "namespace.sidecar-injector.istio.io", reason: "webhook namespace.sidecar-injector.istio.io (namespaceSelector"}},
		{"user widened canary", "an edited rev.namespace webhook of canary that takes istio-injection=enabled makes two revisions inject; istio-revision-tag-default is called first",
			edited(stableCanary, func(c *admissionregistrationv1.MutatingWebhookConfiguration) {
				if c.Name == "istio-sidecar-injector-canary" {
					c.Webhooks[0].NamespaceSelector = sel("istio-injection", "enabled")
				}
			}),
			target(ns("web", "istio-injection", "enabled")),
			want{inject: true, revision: "stable", warnings: []string{"2 revisions would inject this pod"}}},
		{"deactivated revisionless", "istioctl's never-match selectors keep the old default injector away; the tag serves istio-injection", tagMoved,
			target(ns("web", "istio-injection", "enabled")),
			want{inject: true, revision: "canary", webhook: "namespace.sidecar-injector.istio.io"}},
		{"deactivated revisionless, istio.io/rev=default", "the default tag answers istio.io/rev=default once the revisionless webhooks are off", tagMoved,
			target(ns("web", "istio.io/rev", "default")),
			want{inject: true, revision: "canary", webhook: "rev.namespace.sidecar-injector.istio.io"}},
		{"nil selectors match everything", "the API server treats a missing selector as matching every namespace and pod",
			onlyWebhooks(hookWith("custom", func(w *admissionregistrationv1.MutatingWebhook) {
				w.NamespaceSelector, w.ObjectSelector = nil, nil
			})),
			target(ns("anything")),
			want{inject: true, revision: "stable", reason: `webhook rev.namespace.sidecar-injector.istio.io (namespaceSelector "", objectSelector "")`}},
		{"rules without pods", "a webhook whose rules do not cover pod CREATE is never called",
			onlyWebhooks(hookWith("custom", func(w *admissionregistrationv1.MutatingWebhook) {
				w.Rules[0].Operations = []admissionregistrationv1.OperationType{admissionregistrationv1.Update}
			})),
			target(ns("web", "istio.io/rev", "stable")),
			want{reason: "no injection webhook matches"}},
		{"rules with wildcards", "operations * and resources * cover pod CREATE",
			onlyWebhooks(hookWith("custom", func(w *admissionregistrationv1.MutatingWebhook) {
				w.Rules[0].Operations = []admissionregistrationv1.OperationType{admissionregistrationv1.OperationAll}
				w.Rules[0].Resources = []string{"*"}
				w.Rules[0].APIGroups = []string{"*"}
			})),
			target(ns("web", "istio.io/rev", "stable")),
			want{inject: true, revision: "stable"}},
		{"cluster-scoped rule", "a rule with scope Cluster does not cover namespaced pods",
			onlyWebhooks(hookWith("custom", func(w *admissionregistrationv1.MutatingWebhook) {
				scope := admissionregistrationv1.ClusterScope
				w.Rules[0].Scope = &scope
			})),
			target(ns("web", "istio.io/rev", "stable")),
			want{reason: "no injection webhook matches"}},
		{"match conditions", "matchConditions (CEL) are not evaluated; the webhook is taken to match, with a warning",
			onlyWebhooks(hookWith("custom", func(w *admissionregistrationv1.MutatingWebhook) {
				w.MatchConditions = []admissionregistrationv1.MatchCondition{{Name: "x", Expression: "true"}}
			})),
			target(ns("web", "istio.io/rev", "stable")),
			want{inject: true, revision: "stable", warnings: []string{"matchConditions"}}},
		{"tag of a removed revision", "a tag left pointing at a revision that is not installed: the API server calls a missing service",
			policy.Mesh{Revisions: []policy.Revision{{Name: "stable"}}, Webhooks: policy.Revision{Name: "old", Tags: []string{"prod"}}.Configurations()},
			target(ns("web", "istio.io/rev", "prod")),
			want{webhook: "rev.namespace.sidecar-injector.istio.io", reason: "no installed injector answers",
				warnings: []string{`calls revision "old", which is not installed`}}},
		{"not an injection webhook", "configurations without a sidecar-injector.istio.io webhook are ignored",
			onlyWebhooks(hookWith("vault", func(w *admissionregistrationv1.MutatingWebhook) {
				w.Name = "vault.hashicorp.com"
			})),
			target(ns("web", "istio.io/rev", "stable")),
			want{reason: `istio.io/rev="stable" names no installed revision or tag`}},
		{"order by configuration name", "the API server calls configurations by name: istio-revision-tag-* before istio-sidecar-injector-*",
			edited(policy.Mesh{Revisions: []policy.Revision{{Name: "zeta"}, {Name: "alpha", Tags: []string{"prod"}}}},
				func(c *admissionregistrationv1.MutatingWebhookConfiguration) {
					if c.Name == "istio-sidecar-injector-zeta" {
						c.Webhooks[0].NamespaceSelector = sel("istio.io/rev", "prod")
					}
				}),
			target(ns("web", "istio.io/rev", "prod")),
			want{inject: true, revision: "alpha", warnings: []string{"2 revisions would inject"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check(t, tc.why, tc.mesh.Decide(tc.target), tc.want)
			d, err := tc.mesh.Compile()
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			if diff := cmp.Diff(tc.mesh.Decide(tc.target), d.Decide(tc.target)); diff != "" {
				t.Errorf("Decider differs from Mesh.Decide (-mesh +decider):\n%s", diff)
			}
		})
	}
}

func TestConfigurationVerdicts(t *testing.T) {
	dir := clusterDir(t)
	mesh := policy.Mesh{
		Revisions: []policy.Revision{{Name: "1-30", Tags: []string{"default", "prod-stable"}}, {Name: "1-31", Tags: []string{"prod-canary"}}},
		Webhooks:  readWebhooks(t, filepath.Join(dir, "webhooks.yaml")),
	}
	d, err := mesh.Compile()
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Configuration string
		Matched       bool
		Reason        string // substring
	}
	for _, tc := range []struct {
		name, why string
		target    policy.Target
		want      []row
	}{
		{"istio-injection", "one row per configuration, by name; only the default tag serves istio-injection=enabled",
			target(ns("web", "istio-injection", "enabled")),
			[]row{
				{"istio-revision-tag-default", true, `namespace label istio-injection="enabled" matches`},
				{"istio-revision-tag-prod-canary", false, "istio.io/rev=prod-canary"},
				{"istio-revision-tag-prod-stable", false, "istio.io/rev=prod-stable"},
				{"istio-sidecar-injector-1-30", false, "istio.io/rev=1-30"},
				{"istio-sidecar-injector-1-31", false, "istio.io/rev=1-31"},
			}},
		{"pod opts out", "the row names the pod label the objectSelector refuses",
			target("web", m("istio.io/rev", "prod-canary"), "sidecar.istio.io/inject", "false"),
			[]row{
				{"istio-revision-tag-default", false, ""},
				{"istio-revision-tag-prod-canary", false, `pod label sidecar.istio.io/inject="false"`},
				{"istio-revision-tag-prod-stable", false, ""},
				{"istio-sidecar-injector-1-30", false, ""},
				{"istio-sidecar-injector-1-31", false, ""},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := d.Configurations(tc.target)
			if len(got) != len(tc.want) {
				t.Fatalf("%s: %d rows, want %d: %+v", tc.why, len(got), len(tc.want), got)
			}
			for i, w := range tc.want {
				g := got[i]
				if g.Configuration != w.Configuration || g.Matched != w.Matched || !strings.Contains(g.Reason, w.Reason) {
					t.Errorf("%s: row %d = %+v, want %+v", tc.why, i, g, w)
				}
			}
		})
	}
}

func TestValidateInstalled(t *testing.T) {
	bad := installed(policy.Mesh{Revisions: []policy.Revision{{Name: "stable"}}})
	bad.Webhooks[0].Webhooks[0].ObjectSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "a", Operator: "Like"}}}
	err := bad.Validate()
	if err == nil || !strings.Contains(err.Error(), `configuration "istio-sidecar-injector-stable": webhook rev.namespace.sidecar-injector.istio.io: objectSelector`) {
		t.Errorf("Validate = %v, want the configuration, webhook and field named", err)
	}
	if d := bad.Decide(target(ns("web", "istio.io/rev", "stable"))); d.Inject || !strings.Contains(strings.Join(d.Trace, "\n"), "cannot be installed") {
		t.Errorf("an uninstallable webhook must match nothing: %+v", d)
	}
}
