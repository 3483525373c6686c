package policy

import (
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Decider is a Mesh prepared for deciding many pods: every webhook selector
// and injector selector is parsed once, and every fixed Trace line is built
// once. It is immutable and safe for concurrent use.
type Decider struct {
	revs         []compiledRevision
	configs      []compiledConfig // stage A, in the order the API server calls them
	revValues    map[string]bool  // istio.io/rev values some webhook answers to
	hasDefault   bool             // some webhook serves the default injector's labels
	autoDefault  bool             // the auto webhook is installed
	lenient      bool             // some revision reads inject values as Istio up to 1.26 does
	traceEntries int              // Trace lines a decision usually needs
}

type compiledRevision struct {
	name string
	inj  injector
}

type compiledHook struct {
	name        string
	namespace   labels.Selector // nil when the webhook could not be installed or is not called for pods
	object      labels.Selector
	deactivated bool   // istioctl's never-matching selectors
	conditions  int    // matchConditions, which are not evaluated
	phrase      string // the labels that make it match, for a Reason
	prefix      string // "<phrase> selects <revision>; "
	traceNS     string // namespaceSelector does not match
	traceObj    string // objectSelector does not match
	traceHit    string // both match
	traceBad    string // not installable, or not called for pod CREATE
	traceMore   string // matches, but an earlier webhook of the revision already did
}

// injector is stage B for one revision: Istio's injectRequired.
type injector struct {
	desc          string
	rel           Release
	ignored       []string
	never, always []compiledSelector
	configWarns   []string // invalid selectors and policy, reported on every consult
	traceHostOff  string
	traceNotIgn   string
	traceNoValue  string
	tracePolicy   string
	policyOutcome outcome
}

type compiledSelector struct {
	sel       labels.Selector // nil when invalid or empty: skipped
	hit       outcome         // the answer when sel matches
	traceMiss string
	traceHit  string
	traceSkip string
}

// outcome is stage B's answer, the phrase that explains it and the rule
// that gave it.
type outcome struct {
	inject bool
	why    string
	rule   Rule
}

// Compile validates m (see Validate) and prepares it for Decide. Use it once
// when deciding many pods, as a webhook does; the *Decider answers exactly
// as m.Decide would.
func (m Mesh) Compile() (*Decider, error) {
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("policy: invalid mesh: %w", err)
	}
	return m.compile(), nil
}

// Decide decides whether the pod in t gets a sidecar and from which
// revision, as a cluster with m installed would: stage A evaluates, with
// apimachinery's label selectors, every webhook that Webhooks returns for
// every revision against the namespace's labels (with
// kubernetes.io/metadata.name set to t.Namespace) and the pod's labels;
// stage B runs the injector of each revision whose webhook matched (see
// Revision.Required). When more than one revision would inject, the first
// in m.Revisions is reported and Warnings say so.
//
// Decide never fails and never panics: an invalid mesh decides as the
// cluster would (uninstallable webhooks match nothing, invalid selectors are
// skipped) with warnings. It prepares m on every call; call Compile once to
// decide many pods cheaply.
func (m Mesh) Decide(t Target) Decision {
	return m.compile().Decide(t)
}

// Required is stage B alone: the decision r's injector takes once the API
// server has called one of r's webhooks, as Istio's injectRequired does. In
// order: a pod with hostNetwork is never injected; nor is a pod in one of
// r's ignored namespaces; then the pod label sidecar.istio.io/inject, or
// when the label is absent the deprecated annotation of the same name,
// decides as r.Release reads it (see Release.InjectIntent: from Istio 1.27
// only "true" and "false" count and any other value is ignored with a
// warning; up to 1.26 "y", "yes", "true" and "on" in any case inject and
// any other value opts out); then the first matching NeverInjectSelector refuses and
// the first matching AlwaysInjectSelector injects; finally r's Policy
// decides.
//
// A webhook handler calls Required with its own revision's settings;
// Decision.Webhook is always "". Required parses r's selectors on every
// call, as Istio does; with none configured it allocates little.
func (r Revision) Required(t Target) Decision {
	inj := compileInjector(&r)
	return inj.required(r.Name, r.Release.lenientInjectValues(), t)
}

// CompileRequired compiles r's stage B once and returns it as a function
// that answers exactly as r.Required does, without parsing r's selectors on
// every call. It keeps what it needs of r: changing r afterwards changes
// nothing. The function is safe for concurrent use.
func (r Revision) CompileRequired() func(Target) Decision {
	inj := compileInjector(&r)
	name, lenient := r.Name, r.Release.lenientInjectValues()
	return func(t Target) Decision { return inj.required(name, lenient, t) }
}

func (inj *injector) required(name string, lenient bool, t Target) Decision {
	d := Decision{Revision: name, Trace: make([]string, 0, 6)}
	podValueWarnings(&t, lenient, &d.Warnings)
	o := inj.decide(&t, &d.Trace, &d.Warnings)
	d.Inject, d.Reason, d.Rule = o.inject, o.why, o.rule
	return d
}

func (m Mesh) compile() *Decider {
	d := &Decider{revs: make([]compiledRevision, len(m.Revisions)), revValues: map[string]bool{}}
	for i := range m.Revisions {
		r := &m.Revisions[i]
		d.revs[i] = compiledRevision{name: r.Name, inj: compileInjector(r)}
		d.lenient = d.lenient || r.Release.lenientInjectValues()
	}
	if m.Webhooks != nil {
		d.compileInstalled(&m)
	} else {
		d.compileGenerated(&m)
	}
	d.traceEntries += 8
	return d
}

// compileGenerated prepares the webhooks Istio would install for m's
// revisions (Revision.Webhooks), one configuration per revision in m's
// order.
func (d *Decider) compileGenerated(m *Mesh) {
	for i := range m.Revisions {
		r := &m.Revisions[i]
		if r.isDefault() {
			d.hasDefault = true
			d.autoDefault = d.autoDefault || r.EnableNamespacesByDefault
		}
		d.revValues[r.revValue()] = true
		for _, tag := range r.Tags {
			d.revValues[tag] = true
		}
		specs := r.hookSpecs()
		webhooks := r.Webhooks() // the single source of truth for the selectors
		cc := compiledConfig{revName: r.Name, known: true, rev: i, hooks: make([]compiledHook, len(webhooks))}
		for j := range webhooks {
			w, spec, h := &webhooks[j], specs[j], &cc.hooks[j]
			h.name = w.Name
			h.phrase = spec.phrase(r)
			h.prefix = fmt.Sprintf("%s selects %s; ", h.phrase, r.describe())
			at := fmt.Sprintf("%s of %s", w.Name, r.describe())
			if spec.tag {
				at += fmt.Sprintf(" (tag %q)", spec.value)
			}
			nsSel, nsErr := webhookSelector(w.NamespaceSelector)
			objSel, objErr := webhookSelector(w.ObjectSelector)
			if nsErr != nil || objErr != nil {
				h.traceBad = fmt.Sprintf("webhook %s: cannot be installed (%v), so it matches nothing", at, firstErr(nsErr, objErr))
				continue
			}
			h.namespace, h.object = nsSel, objSel
			nsText, objText := nsSel.String(), objSel.String()
			h.traceNS = fmt.Sprintf("webhook %s: namespaceSelector %q does not match the namespace", at, nsText)
			h.traceObj = fmt.Sprintf("webhook %s: namespaceSelector matches; objectSelector %q does not match the pod", at, objText)
			h.traceHit = fmt.Sprintf("webhook %s: namespaceSelector %q and objectSelector %q match", at, nsText, objText)
			h.traceMore = h.traceHit + ", but an earlier webhook of the same revision already matched"
		}
		d.traceEntries += len(cc.hooks)
		d.configs = append(d.configs, cc)
	}
}

// webhookSelector converts a webhook's selector as the API server does: a
// nil selector matches everything.
func webhookSelector(s *metav1.LabelSelector) (labels.Selector, error) {
	if s == nil {
		return labels.Everything(), nil
	}
	return metav1.LabelSelectorAsSelector(s)
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func compileInjector(r *Revision) injector {
	desc := r.describe()
	inj := injector{
		desc:         desc,
		rel:          r.Release,
		ignored:      slices.Clone(r.ignored()),
		traceHostOff: "injector of " + desc + ": hostNetwork is not set",
		traceNotIgn:  fmt.Sprintf("injector of %s: namespace is not one of the ignored namespaces %q", desc, r.ignored()),
		traceNoValue: "injector of " + desc + ": pod has no sidecar.istio.io/inject label or annotation",
	}
	inj.never = compileSelectors(r.NeverInjectSelector, "neverInjectSelector", desc, RuleNeverInjectSelector, &inj.configWarns)
	inj.always = compileSelectors(r.AlwaysInjectSelector, "alwaysInjectSelector", desc, RuleAlwaysInjectSelector, &inj.configWarns)
	switch r.Policy {
	case "", policyEnabled:
		inj.policyOutcome = outcome{true, "policy is enabled and nothing on the pod opts out", RulePolicyEnabled}
		inj.tracePolicy = "injector of " + desc + ": policy enabled: inject"
	case policyDisabled:
		inj.policyOutcome = outcome{false, "policy is disabled and nothing on the pod opts in", RulePolicyDisabled}
		inj.tracePolicy = "injector of " + desc + ": policy disabled: do not inject"
	default:
		inj.policyOutcome = outcome{false, fmt.Sprintf("policy %q is neither enabled nor disabled, which turns injection off", r.Policy), RulePolicyInvalid}
		inj.tracePolicy = fmt.Sprintf("injector of %s: policy %q is invalid: do not inject", desc, r.Policy)
		inj.configWarns = append(inj.configWarns,
			fmt.Sprintf("%s: policy %q is neither %q nor %q; its injector injects nothing", desc, r.Policy, policyEnabled, policyDisabled))
	}
	return inj
}

func compileSelectors(sels []metav1.LabelSelector, field, desc string, rule Rule, warns *[]string) []compiledSelector {
	inject := rule == RuleAlwaysInjectSelector
	verb := "do not inject"
	if inject {
		verb = "inject"
	}
	out := make([]compiledSelector, len(sels))
	for i := range sels {
		c := &out[i]
		name := fmt.Sprintf("%s[%d]", field, i)
		sel, err := metav1.LabelSelectorAsSelector(&sels[i])
		switch {
		case err != nil:
			c.traceSkip = fmt.Sprintf("injector of %s: %s is invalid and skipped", desc, name)
			*warns = append(*warns, fmt.Sprintf("%s: %s is invalid and skipped: %v", desc, name, err))
		case sel.Empty():
			c.traceSkip = fmt.Sprintf("injector of %s: %s is empty and skipped, as Istio does", desc, name)
		default:
			c.sel = sel
			name = fmt.Sprintf("%s (%q)", name, sel.String())
			c.hit = outcome{inject, "pod labels match " + name, rule}
			c.traceMiss = fmt.Sprintf("injector of %s: %s does not match the pod labels", desc, name)
			c.traceHit = fmt.Sprintf("injector of %s: %s matches the pod labels: %s", desc, name, verb)
		}
	}
	return out
}

// decide is stage B; see Revision.Required.
func (inj *injector) decide(t *Target, trace, warnings *[]string) outcome {
	*warnings = append(*warnings, inj.configWarns...)
	if t.HostNetwork {
		*trace = append(*trace, "injector of "+inj.desc+": hostNetwork is set: do not inject")
		return outcome{false, "the pod uses hostNetwork, which is never injected", RuleHostNetwork}
	}
	*trace = append(*trace, inj.traceHostOff)
	if slices.Contains(inj.ignored, t.Namespace) {
		*trace = append(*trace, fmt.Sprintf("injector of %s: namespace %q is ignored: do not inject", inj.desc, t.Namespace))
		return outcome{false, fmt.Sprintf("namespace %q is one of the injector's ignored namespaces", t.Namespace), RuleIgnoredNamespace}
	}
	*trace = append(*trace, inj.traceNotIgn)

	value, source, present := injectValue(t)
	intent := inj.rel.InjectIntent(value)
	switch {
	case !present:
		*trace = append(*trace, inj.traceNoValue)
	case intent != IntentDefault:
		verb := "asks for injection"
		if intent == IntentSkip {
			verb = "opts out"
		}
		if value != "true" && value != "false" {
			// Only a release up to 1.26 reads other values.
			verb += fmt.Sprintf(" (%s lower-cases the value and reads y, yes, true and on as true and any other value as false; 1.27 and later ignore it)", inj.rel.describe())
		}
		*trace = append(*trace, fmt.Sprintf("injector of %s: %s sidecar.istio.io/inject=%q: %s", inj.desc, source, value, verb))
		rule := RuleLabelOptOut
		switch {
		case source == sourceLabel && intent == IntentInject:
			rule = RuleLabelOptIn
		case source == sourceAnnotation && intent == IntentInject:
			rule = RuleAnnotationOptIn
		case source == sourceAnnotation:
			rule = RuleAnnotationOptOut
		}
		return outcome{intent == IntentInject, fmt.Sprintf("%s sidecar.istio.io/inject=%q %s", source, value, verb), rule}
	case value == "":
		*trace = append(*trace, fmt.Sprintf("injector of %s: %s sidecar.istio.io/inject is empty: ignored", inj.desc, source))
	default:
		*trace = append(*trace, fmt.Sprintf("injector of %s: %s sidecar.istio.io/inject=%q is neither \"true\" nor \"false\": ignored", inj.desc, source, value))
	}

	pod := labels.Set(t.Labels)
	for i := range inj.never {
		if o, ok := inj.never[i].match(pod, trace); ok {
			return o
		}
	}
	for i := range inj.always {
		if o, ok := inj.always[i].match(pod, trace); ok {
			return o
		}
	}
	*trace = append(*trace, inj.tracePolicy)
	return inj.policyOutcome
}

func (c *compiledSelector) match(pod labels.Set, trace *[]string) (outcome, bool) {
	switch {
	case c.sel == nil:
		*trace = append(*trace, c.traceSkip)
		return outcome{}, false
	case !c.sel.Matches(pod):
		*trace = append(*trace, c.traceMiss)
		return outcome{}, false
	}
	*trace = append(*trace, c.traceHit)
	return c.hit, true
}

// injectValue returns the pod's sidecar.istio.io/inject value: the label
// when present (even empty), else the deprecated annotation.
func injectValue(t *Target) (value, source string, present bool) {
	if v, ok := t.Labels[keyInject]; ok {
		return v, sourceLabel, true
	}
	if v, ok := t.Annotations[keyInject]; ok {
		return v, sourceAnnotation, true
	}
	return "", "", false
}

// Where injectValue found the value, as Reasons and Traces word it.
const (
	sourceLabel      = "pod label"
	sourceAnnotation = "pod annotation"
)

// podValueWarnings warns about the pod's sidecar.istio.io/inject label and
// annotation: values other than "true" and "false", the deprecated
// annotation, and the two disagreeing. lenient says that some injector
// follows a release up to 1.26, which reads other values too.
func podValueWarnings(t *Target, lenient bool, warnings *[]string) {
	lbl, hasLabel := t.Labels[keyInject]
	ann, hasAnn := t.Annotations[keyInject]
	injector := "the injector ignores it"
	if hasLabel && lbl != "true" && lbl != "false" {
		if lenient && lbl != "" {
			injector = injectValueReading(lbl)
		}
		*warnings = append(*warnings, fmt.Sprintf(
			`pod label sidecar.istio.io/inject=%q is neither "true" nor "false": webhook selectors compare it exactly and %s`, lbl, injector))
	}
	if !hasAnn {
		return
	}
	switch {
	case hasLabel && ann != lbl:
		*warnings = append(*warnings, fmt.Sprintf(
			"pod annotation sidecar.istio.io/inject=%q is ignored: the label sidecar.istio.io/inject=%q takes precedence", ann, lbl))
	case hasLabel:
		*warnings = append(*warnings, "pod annotation sidecar.istio.io/inject is deprecated and repeats the label; remove it")
	default:
		*warnings = append(*warnings,
			"pod annotation sidecar.istio.io/inject is deprecated: use the label, which webhook selectors can see")
		if ann != "true" && ann != "false" && ann != "" {
			if lenient {
				injector = injectValueReading(ann)
			}
			*warnings = append(*warnings, fmt.Sprintf(
				`pod annotation sidecar.istio.io/inject=%q is neither "true" nor "false": %s`, ann, injector))
		}
	}
}

// namespaceLabels is a namespace's labels as the API server presents them
// to webhook selectors: with kubernetes.io/metadata.name set to its name.
type namespaceLabels struct {
	m    map[string]string
	name string
}

func (n *namespaceLabels) Has(key string) bool {
	if key == keyNSName && n.name != "" {
		return true
	}
	_, ok := n.m[key]
	return ok
}

func (n *namespaceLabels) Get(key string) string {
	if key == keyNSName && n.name != "" {
		return n.name
	}
	return n.m[key]
}

// Lookup reports a label's value and whether it is present. apimachinery
// v0.34 added it to labels.Labels; having it keeps kinject building against
// both v0.33 and newer releases.
func (n *namespaceLabels) Lookup(key string) (string, bool) {
	if key == keyNSName && n.name != "" {
		return n.name, true
	}
	v, ok := n.m[key]
	return v, ok
}

// match is one revision whose webhook matched, with its injector's answer.
type match struct {
	rev    *compiledRevision
	config *compiledConfig
	hook   *compiledHook
	out    outcome
}

// Decide decides as Mesh.Decide does, with the selectors already prepared.
func (d *Decider) Decide(t Target) Decision {
	dec := Decision{Trace: make([]string, 0, d.traceEntries)}
	labelWarnings(&t, &dec.Warnings)
	podValueWarnings(&t, d.lenient, &dec.Warnings)

	nsl := &namespaceLabels{m: t.NamespaceLabels, name: t.Namespace}
	pod := labels.Set(t.Labels)
	var matches []match
	var orphan *match // a matching webhook that calls no installed revision
	if len(d.configs) == 0 {
		dec.Trace = append(dec.Trace, "no injection webhook is installed")
	}
	for i := range d.configs {
		cc := &d.configs[i]
		var hit *compiledHook
		for j := range cc.hooks {
			h := &cc.hooks[j]
			switch {
			case h.namespace == nil:
				dec.Trace = append(dec.Trace, h.traceBad)
			case !h.namespace.Matches(nsl):
				dec.Trace = append(dec.Trace, h.traceNS)
			case !h.object.Matches(pod):
				dec.Trace = append(dec.Trace, h.traceObj)
			case hit != nil || cc.rev >= 0 && matched(matches, &d.revs[cc.rev]):
				dec.Trace = append(dec.Trace, h.traceMore)
			default:
				dec.Trace = append(dec.Trace, h.traceHit)
				if h.conditions > 0 {
					dec.Warnings = append(dec.Warnings, fmt.Sprintf(
						"webhook %s of configuration %q has matchConditions, which kinject does not evaluate: it is taken to match", h.name, cc.name))
				}
				hit = h
			}
		}
		switch {
		case hit == nil:
		case cc.rev < 0:
			if orphan == nil {
				orphan = &match{config: cc, hook: hit}
			}
		default:
			cr := &d.revs[cc.rev]
			o := cr.inj.decide(&t, &dec.Trace, &dec.Warnings)
			matches = append(matches, match{cr, cc, hit, o})
		}
	}
	if orphan != nil {
		what := "an injector kinject does not know"
		if orphan.config.known {
			what = fmt.Sprintf("revision %q, which is not installed", revLabel(orphan.config.revName))
		}
		dec.Warnings = append(dec.Warnings, fmt.Sprintf(
			"webhook %s of configuration %q matches and calls %s: unless its failurePolicy is Ignore, the API server refuses the pod",
			orphan.hook.name, orphan.config.name, what))
	}

	if len(matches) == 0 {
		if orphan != nil {
			dec.Webhook, dec.Configuration = orphan.hook.name, orphan.config.name
			dec.Reason = orphan.hook.prefix + "no installed injector answers"
			dec.Rule = RuleMissingRevision
			return dec
		}
		dec.Rule, dec.Reason = d.diagnose(&t, &dec.Warnings)
		return dec
	}
	chosen := &matches[0]
	var injecting []*match
	for i := range matches {
		if matches[i].out.inject {
			injecting = append(injecting, &matches[i])
		}
	}
	if len(injecting) > 0 {
		chosen = injecting[0]
	}
	if len(injecting) > 1 {
		names := make([]string, len(injecting))
		for i, m := range injecting {
			names[i] = fmt.Sprintf("%s (webhook %s)", m.rev.inj.desc, m.hook.name)
			if m.config.name != "" {
				names[i] = fmt.Sprintf("%s (webhook %s of configuration %q)", m.rev.inj.desc, m.hook.name, m.config.name)
			}
		}
		dec.Warnings = append(dec.Warnings, fmt.Sprintf(
			"%d revisions would inject this pod: %s; the API server calls every matching webhook, so the outcome depends on their order; this decision reports the first",
			len(injecting), strings.Join(names, ", ")))
	}
	dec.Inject = chosen.out.inject
	dec.Revision = chosen.rev.name
	dec.Webhook = chosen.hook.name
	dec.Configuration = chosen.config.name
	dec.Reason = chosen.hook.prefix + chosen.out.why
	dec.Rule = chosen.out.rule
	return dec
}

// matched reports whether rev already has a match.
func matched(ms []match, rev *compiledRevision) bool {
	for i := range ms {
		if ms[i].rev == rev {
			return true
		}
	}
	return false
}

// labelWarnings warns about namespace and pod labels whose effect differs
// from what the documented table suggests.
func labelWarnings(t *Target, warnings *[]string) {
	nsInj, hasNSInj := t.NamespaceLabels[keyNSInjection]
	nsRev, hasNSRev := t.NamespaceLabels[keyRev]
	podRev, hasPodRev := t.Labels[keyRev]
	if hasNSInj && nsInj != "enabled" && nsInj != "disabled" {
		*warnings = append(*warnings, fmt.Sprintf(
			`namespace label istio-injection=%q is neither "enabled" nor "disabled": no webhook matches it, so the namespace is not injected`, nsInj))
	}
	if hasNSInj && hasNSRev {
		*warnings = append(*warnings, fmt.Sprintf(
			"namespace has both istio-injection=%q and istio.io/rev=%q: istio-injection wins and istio.io/rev is ignored", nsInj, nsRev))
	}
	switch {
	case hasPodRev && hasNSInj:
		*warnings = append(*warnings, fmt.Sprintf(
			"pod label istio.io/rev=%q is ignored: the namespace label istio-injection=%q takes precedence", podRev, nsInj))
	case hasPodRev && hasNSRev && podRev != nsRev:
		*warnings = append(*warnings, fmt.Sprintf(
			"pod label istio.io/rev=%q is ignored: the namespace label istio.io/rev=%q selects the revision", podRev, nsRev))
	}
}

// diagnose explains why no webhook matched, from the labels the selectors
// read, with the rule that applies; it adds a warning where a user's
// intent is visible but unseen.
func (d *Decider) diagnose(t *Target, warnings *[]string) (Rule, string) {
	if len(d.revs) == 0 {
		return RuleNoRevision, "no revision is installed, so no webhook calls an injector"
	}
	nsInj, hasNSInj := t.NamespaceLabels[keyNSInjection]
	nsRev, hasNSRev := t.NamespaceLabels[keyRev]
	podInj, hasPodInj := t.Labels[keyInject]
	podRev, hasPodRev := t.Labels[keyRev]
	optOut := hasPodInj && podInj == "false"
	const noDefault = `no revision is the default injector (there is no revisionless install and no tag "default")`
	switch {
	case hasNSInj && nsInj != "enabled":
		return RuleNamespaceDisabled, fmt.Sprintf("namespace label istio-injection=%q turns injection off for the namespace", nsInj)
	case hasNSInj && optOut:
		return RuleLabelOptOut, `pod label sidecar.istio.io/inject="false" opts out of the namespace's injection`
	case hasNSInj && !d.hasDefault:
		return RuleNoDefaultInjector, `namespace label istio-injection="enabled" asks for the default injector, but ` + noDefault
	case hasNSRev && optOut:
		return RuleLabelOptOut, `pod label sidecar.istio.io/inject="false" opts out of the namespace's injection`
	case hasNSRev && !d.revValues[nsRev]:
		return RuleUnknownRevision, fmt.Sprintf("namespace label istio.io/rev=%q names no installed revision or tag", nsRev)
	case hasNSInj || hasNSRev:
	case hasPodRev && optOut:
		return RuleLabelOptOut, `pod label sidecar.istio.io/inject="false" opts out`
	case hasPodRev && !d.revValues[podRev]:
		return RuleUnknownRevision, fmt.Sprintf("pod label istio.io/rev=%q names no installed revision or tag", podRev)
	case hasPodRev:
	case hasPodInj && podInj == "true" && !d.hasDefault:
		return RuleNoDefaultInjector, `pod label sidecar.istio.io/inject="true" asks for the default injector, but ` + noDefault
	case optOut:
		return RuleLabelOptOut, `pod label sidecar.istio.io/inject="false" opts out`
	case hasPodInj && podInj != "true":
		return RuleNoWebhook, fmt.Sprintf(`pod label sidecar.istio.io/inject=%q is not exactly "true", so no webhook selects the pod`, podInj)
	case hasPodInj:
	default:
		if ann, ok := t.Annotations[keyInject]; ok && ann == "true" {
			*warnings = append(*warnings,
				`pod annotation sidecar.istio.io/inject="true" cannot opt a pod in: webhook selectors read labels only, so no injector sees this pod; use the label`)
		}
		if d.autoDefault {
			return RuleIgnoredNamespace, fmt.Sprintf("namespace %q is a system namespace that the auto webhook (enableNamespacesByDefault) skips", t.Namespace)
		}
		return RuleNoWebhook, fmt.Sprintf("neither namespace %q nor the pod opts in (no istio-injection or istio.io/rev namespace label, no sidecar.istio.io/inject or istio.io/rev pod label) and the default injector does not set enableNamespacesByDefault", t.Namespace)
	}
	return RuleNoWebhook, "no injection webhook matches the namespace and pod labels"
}
