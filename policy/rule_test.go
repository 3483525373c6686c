package policy_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kinject/kinject/policy"
)

// allRules is every Rule constant; TestDecisionRule must reach each.
var allRules = []policy.Rule{
	policy.RuleHostNetwork, policy.RuleIgnoredNamespace, policy.RuleLabelOptIn, policy.RuleLabelOptOut,
	policy.RuleAnnotationOptIn, policy.RuleAnnotationOptOut, policy.RuleNeverInjectSelector,
	policy.RuleAlwaysInjectSelector, policy.RulePolicyEnabled, policy.RulePolicyDisabled, policy.RulePolicyInvalid,
	policy.RuleNamespaceDisabled, policy.RuleUnknownRevision, policy.RuleNoDefaultInjector,
	policy.RuleMissingRevision, policy.RuleNoRevision, policy.RuleNoWebhook,
}

// injectingRules are the rules that give a sidecar; every other refuses.
var injectingRules = []policy.Rule{
	policy.RuleLabelOptIn, policy.RuleAnnotationOptIn, policy.RuleAlwaysInjectSelector, policy.RulePolicyEnabled,
}

// checkRule says what is wrong with d's Rule ("" when nothing): it must be
// one of the constants, and inject exactly when the rule injects.
func checkRule(d policy.Decision) string {
	if !slices.Contains(allRules, d.Rule) {
		return fmt.Sprintf("Rule %q is not one of the constants", d.Rule)
	}
	if slices.Contains(injectingRules, d.Rule) != d.Inject {
		return fmt.Sprintf("Inject = %v, but the rule is %q", d.Inject, d.Rule)
	}
	return ""
}

// TestDecisionRule reaches every Rule from the place that decides it,
// through Mesh.Decide and, for the injector's own rules, Revision.Required.
func TestDecisionRule(t *testing.T) {
	r126 := policy.Release{Major: 1, Minor: 26}
	enabled := m("istio-injection", "enabled")
	gone := policy.Mesh{
		Revisions: []policy.Revision{{Name: "canary"}},
		Webhooks:  policy.Revision{Name: "gone"}.Configurations(),
	}
	invalid := policy.Mesh{Revisions: []policy.Revision{{Policy: "sometimes"}}}
	old := policy.Mesh{Revisions: []policy.Revision{{Release: r126}}}
	reached := map[policy.Rule]bool{}
	for _, tc := range []struct {
		name, why string
		mesh      policy.Mesh
		target    policy.Target
		rule      policy.Rule
		stageB    bool // Required of the mesh's first revision decides by the same rule
	}{
		{"host network", "hostNetwork is the injector's first rule", revisionless,
			hostNetwork(target("web", enabled)), policy.RuleHostNetwork, true},
		{"ignored namespace, injector", "a webhook matches kube-system, the injector refuses it", revisionless,
			target("kube-system", enabled), policy.RuleIgnoredNamespace, true},
		{"ignored namespace, auto webhook", "the auto webhook leaves system namespaces out", revisionlessAuto,
			target("kube-system", nil), policy.RuleIgnoredNamespace, false},
		{"label opt-in", "the label beats a disabled policy", disabled,
			target("web", enabled, "sidecar.istio.io/inject", "true"), policy.RuleLabelOptIn, true},
		{"label opt-out, webhook", "the objectSelector keeps a pod labelled false away", revisionless,
			target("web", enabled, "sidecar.istio.io/inject", "false"), policy.RuleLabelOptOut, true},
		{"label opt-out, old injector", "1.26 reads \"no\" as an opt-out after the webhook matched", old,
			target("web", enabled, "sidecar.istio.io/inject", "no"), policy.RuleLabelOptOut, true},
		{"annotation opt-in", "the deprecated annotation still opts in once a webhook matched", disabled,
			annotated(target("web", enabled), "sidecar.istio.io/inject", "true"), policy.RuleAnnotationOptIn, true},
		{"annotation opt-out", "and opts out", revisionless,
			annotated(target("web", enabled), "sidecar.istio.io/inject", "false"), policy.RuleAnnotationOptOut, true},
		{"never selector", "neverInjectSelector before the policy", selectors,
			target("web", enabled, "app", "batch"), policy.RuleNeverInjectSelector, true},
		{"always selector", "alwaysInjectSelector before a disabled policy", selectorsDisabled,
			target("web", enabled, "team", "mesh"), policy.RuleAlwaysInjectSelector, true},
		{"policy enabled", "nothing else decides", revisionless,
			target("web", enabled), policy.RulePolicyEnabled, true},
		{"policy disabled", "nothing opts in", disabled,
			target("web", enabled), policy.RulePolicyDisabled, true},
		{"policy invalid", "a policy Istio does not know turns injection off", invalid,
			target("web", enabled), policy.RulePolicyInvalid, true},
		{"namespace disabled", "istio-injection=disabled keeps every webhook away", revisionless,
			target("web", m("istio-injection", "disabled")), policy.RuleNamespaceDisabled, false},
		{"namespace Enabled", "a value no webhook matches is not enabled", revisionless,
			target("web", m("istio-injection", "Enabled")), policy.RuleNamespaceDisabled, false},
		{"unknown namespace revision", "istio.io/rev naming nothing installed", revisionless,
			target("web", m("istio.io/rev", "nope")), policy.RuleUnknownRevision, false},
		{"unknown pod revision", "a pod's istio.io/rev naming nothing installed", revisionless,
			target("web", nil, "istio.io/rev", "nope"), policy.RuleUnknownRevision, false},
		{"no default injector", "istio-injection=enabled without a revisionless install or default tag",
			policy.Mesh{Revisions: []policy.Revision{{Name: "canary"}}},
			target("web", enabled), policy.RuleNoDefaultInjector, false},
		{"missing revision", "an installed webhook calls a revision that is gone", gone,
			target("web", m("istio.io/rev", "gone")), policy.RuleMissingRevision, false},
		{"no revision", "nothing installed", policy.Mesh{}, target("web", enabled), policy.RuleNoRevision, false},
		{"no webhook", "nothing opts in", revisionless, target("web", nil), policy.RuleNoWebhook, false},
		{"no webhook, inexact value", "sidecar.istio.io/inject=True matches no selector", revisionless,
			target("web", nil, "sidecar.istio.io/inject", "True"), policy.RuleNoWebhook, false},
	} {
		reached[tc.rule] = true
		t.Run(tc.name, func(t *testing.T) {
			d := tc.mesh.Decide(tc.target)
			if d.Rule != tc.rule {
				t.Errorf("%s: Decide's Rule = %q, want %q (%s)", tc.why, d.Rule, tc.rule, d.Reason)
			}
			if err := checkRule(d); err != "" {
				t.Errorf("%s: %s", tc.why, err)
			}
			if tc.stageB {
				if r := tc.mesh.Revisions[0].Required(tc.target); r.Rule != tc.rule {
					t.Errorf("%s: Required's Rule = %q, want %q (%s)", tc.why, r.Rule, tc.rule, r.Reason)
				}
			}
		})
	}
	for _, r := range allRules {
		if !reached[r] {
			t.Errorf("no case decides by %q", r)
		}
	}
}

// TestAllRulesListed holds allRules to the constants rule.go declares, so
// a new rule cannot miss TestDecisionRule or checkRule.
func TestAllRulesListed(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "rule.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var declared []string
	for _, decl := range f.Decls {
		g, ok := decl.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			for _, name := range spec.(*ast.ValueSpec).Names {
				declared = append(declared, name.Name)
			}
		}
	}
	var listed []string
	for _, r := range allRules {
		listed = append(listed, "Rule"+string(r))
	}
	// Constant names are "Rule" + their value.
	slices.Sort(declared)
	slices.Sort(listed)
	if !slices.Equal(declared, listed) {
		t.Errorf("rule.go declares %v,\nallRules lists %v", declared, listed)
	}
}

// The rule under a decision's reason: a stable value to count by.
func ExampleRule() {
	mesh := policy.Mesh{Revisions: []policy.Revision{{
		NeverInjectSelector: []metav1.LabelSelector{{MatchLabels: map[string]string{"app": "batch"}}},
	}}}
	for _, pod := range []map[string]string{
		{"app": "web"},
		{"app": "batch"},
		{"app": "web", "sidecar.istio.io/inject": "false"},
	} {
		d := mesh.Decide(policy.Target{Namespace: "shop", NamespaceLabels: map[string]string{"istio-injection": "enabled"}, Labels: pod})
		fmt.Println(d.Inject, d.Rule)
	}
	// Output:
	// true PolicyEnabled
	// false NeverInjectSelector
	// false LabelOptOut
}
