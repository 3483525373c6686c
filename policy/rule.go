package policy

// Rule names the one rule that decided a Decision, from a fixed set, so a
// program can branch on it or count by it (a metric label, a log field)
// where Decision.Reason is a sentence meant for people. Each value is set
// where its rule is decided, never read back from the Reason. The values
// are stable: new rules may be added, none is renamed.
//
// The first group is the injector's own rules (Revision.Required, and
// stage B of Decide once a webhook matched), in the order the injector
// consults them; the second is stage A's: no webhook calls an injector
// (Decide only).
type Rule string

// The injector's rules, in the order it consults them.
const (
	// RuleHostNetwork: the pod sets spec.hostNetwork, which is never
	// injected.
	RuleHostNetwork Rule = "HostNetwork"
	// RuleIgnoredNamespace: the pod's namespace is one the injector never
	// injects (Revision.IgnoredNamespaces), or one the auto webhook
	// (enableNamespacesByDefault) leaves out.
	RuleIgnoredNamespace Rule = "IgnoredNamespace"
	// RuleLabelOptIn: the pod label sidecar.istio.io/inject asks for a
	// sidecar, as the revision's release reads it.
	RuleLabelOptIn Rule = "LabelOptIn"
	// RuleLabelOptOut: the pod label sidecar.istio.io/inject opts out, at
	// the injector (as the revision's release reads the value) or at the
	// webhooks' objectSelector ("false").
	RuleLabelOptOut Rule = "LabelOptOut"
	// RuleAnnotationOptIn and RuleAnnotationOptOut: the deprecated pod
	// annotation sidecar.istio.io/inject decided, the label being absent.
	RuleAnnotationOptIn  Rule = "AnnotationOptIn"
	RuleAnnotationOptOut Rule = "AnnotationOptOut"
	// RuleNeverInjectSelector: a neverInjectSelector matched the pod's
	// labels.
	RuleNeverInjectSelector Rule = "NeverInjectSelector"
	// RuleAlwaysInjectSelector: an alwaysInjectSelector matched the pod's
	// labels.
	RuleAlwaysInjectSelector Rule = "AlwaysInjectSelector"
	// RulePolicyEnabled and RulePolicyDisabled: nothing else decided, so
	// the injector's policy did.
	RulePolicyEnabled  Rule = "PolicyEnabled"
	RulePolicyDisabled Rule = "PolicyDisabled"
	// RulePolicyInvalid: the injector's policy is neither "enabled" nor
	// "disabled", which turns injection off.
	RulePolicyInvalid Rule = "PolicyInvalid"
)

// Stage A's rules: no webhook calls an injector.
const (
	// RuleNamespaceDisabled: the namespace label istio-injection is not
	// "enabled" ("disabled" or a value no webhook matches).
	RuleNamespaceDisabled Rule = "NamespaceDisabled"
	// RuleUnknownRevision: the istio.io/rev label that selects the
	// revision (the namespace's, else the pod's) names no installed
	// revision or tag.
	RuleUnknownRevision Rule = "UnknownRevision"
	// RuleNoDefaultInjector: istio-injection=enabled or
	// sidecar.istio.io/inject=true asks for the default injector, and no
	// revision is one.
	RuleNoDefaultInjector Rule = "NoDefaultInjector"
	// RuleMissingRevision: a webhook matches, but the revision it calls is
	// not installed (or not known).
	RuleMissingRevision Rule = "MissingRevision"
	// RuleNoRevision: nothing is installed.
	RuleNoRevision Rule = "NoRevision"
	// RuleNoWebhook: no webhook matches the namespace and pod labels:
	// nothing opts in.
	RuleNoWebhook Rule = "NoWebhook"
)
