package policy

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Labels Istio puts on its MutatingWebhookConfigurations, and the selector
// istioctl writes to switch a webhook off.
const (
	keyTag             = "istio.io/tag"         // the revision tag a configuration implements
	keyDeactivated     = "istio.io/deactivated" // istioctl's never-matching selector key
	valueDeactivated   = "never-match"
	tagConfigPrefix    = "istio-revision-tag-"
	injectorConfigName = "istio-sidecar-injector"
	injectorHookSuffix = "sidecar-injector.istio.io"
)

// IsInjectionConfiguration reports whether c is one of Istio's sidecar
// injection configurations: some webhook of it is named
// *sidecar-injector.istio.io. Other mutating webhooks of a cluster (a
// secrets injector, a policy engine) are not Istio's business.
func IsInjectionConfiguration(c *admissionregistrationv1.MutatingWebhookConfiguration) bool {
	for i := range c.Webhooks {
		if strings.HasSuffix(c.Webhooks[i].Name, injectorHookSuffix) {
			return true
		}
	}
	return false
}

// ConfigurationRevision returns the revision whose injector the webhooks of
// c call, as Istio records it: the configuration's istio.io/rev label
// ("default" is the revisionless install, returned as ""), else the
// service its first webhook calls (istiod is the revisionless install,
// istiod-<rev> the revision). ok is false when neither says.
func ConfigurationRevision(c *admissionregistrationv1.MutatingWebhookConfiguration) (revision string, ok bool) {
	if v, has := c.Labels[keyRev]; has && v != "" {
		if v == defaultRevValue {
			return "", true
		}
		return v, true
	}
	for i := range c.Webhooks {
		s := c.Webhooks[i].ClientConfig.Service
		if s == nil {
			continue
		}
		switch {
		case s.Name == "istiod" || s.Name == injectorConfigName:
			return "", true
		case strings.HasPrefix(s.Name, "istiod-"):
			return strings.TrimPrefix(s.Name, "istiod-"), true
		}
	}
	return "", false
}

// ConfigurationTag returns the revision tag c implements: its istio.io/tag
// label, else the name after "istio-revision-tag-". It is "" for a
// revision's own configuration.
func ConfigurationTag(c *admissionregistrationv1.MutatingWebhookConfiguration) string {
	if v := c.Labels[keyTag]; v != "" {
		return v
	}
	if strings.HasPrefix(c.Name, tagConfigPrefix) {
		return strings.TrimPrefix(c.Name, tagConfigPrefix)
	}
	return ""
}

// Deactivated reports whether w is switched off the way istioctl does it
// (for example on the revisionless injector after `istioctl tag set
// default`): both selectors require istio.io/deactivated=never-match.
func Deactivated(w *admissionregistrationv1.MutatingWebhook) bool {
	return isNeverMatch(w.NamespaceSelector) && isNeverMatch(w.ObjectSelector)
}

func isNeverMatch(s *metav1.LabelSelector) bool {
	return s != nil && len(s.MatchExpressions) == 0 && len(s.MatchLabels) == 1 && s.MatchLabels[keyDeactivated] == valueDeactivated
}

// Configurations returns the MutatingWebhookConfigurations Istio's installer
// creates for r, with the webhooks Webhooks returns split the way Istio
// splits them: istio-sidecar-injector (revisionless) or
// istio-sidecar-injector-<name> holds r's own rev.namespace and rev.object
// pair, and istio-revision-tag-<tag> each tag's pair. The default
// injector's namespace, object and auto webhooks go with the revisionless
// install's own configuration, or with istio-revision-tag-default when the
// default is a tag. Each configuration carries Istio's istio.io/rev label
// (and istio.io/tag for a tag), which is how ConfigurationRevision finds
// its revision. The result is newly allocated on every call.
func (r Revision) Configurations() []admissionregistrationv1.MutatingWebhookConfiguration {
	hooks := r.Webhooks()
	specs := r.hookSpecs()
	rev := r.revValue()
	own := admissionregistrationv1.MutatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "MutatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: injectorConfigName, Labels: map[string]string{keyRev: rev}},
	}
	if r.Name != "" {
		own.Name += "-" + r.Name
	}
	out := []admissionregistrationv1.MutatingWebhookConfiguration{own}
	byTag := map[string]int{}
	for _, tag := range r.Tags {
		if _, dup := byTag[tag]; dup {
			continue
		}
		byTag[tag] = len(out)
		out = append(out, admissionregistrationv1.MutatingWebhookConfiguration{
			TypeMeta:   own.TypeMeta,
			ObjectMeta: metav1.ObjectMeta{Name: tagConfigPrefix + tag, Labels: map[string]string{keyRev: rev, keyTag: tag}},
		})
	}
	for i, spec := range specs {
		at := 0
		switch {
		case spec.tag:
			at = byTag[spec.value]
		case spec.kind == kindNamespace || spec.kind == kindObject || spec.kind == kindAuto:
			if k, ok := byTag[defaultRevValue]; ok && r.Name != "" {
				at = k
			}
		}
		out[at].Webhooks = append(out[at].Webhooks, hooks[i])
	}
	return out
}

// compiledConfig is one webhook configuration as the API server sees it.
type compiledConfig struct {
	name    string // the configuration's name; "" for the webhooks of a Mesh without Webhooks
	revName string // the revision its webhooks call
	known   bool   // revName could be determined
	rev     int    // index into Decider.revs, -1 when that revision is not in the Mesh
	hooks   []compiledHook
}

// compileInstalled prepares m.Webhooks: the injection configurations in the
// order the API server calls them (by name), each webhook's selectors
// parsed as the API server parses them.
func (d *Decider) compileInstalled(m *Mesh) {
	index := map[string]int{}
	for i := range m.Revisions {
		index[m.Revisions[i].Name] = i
	}
	order := make([]int, 0, len(m.Webhooks))
	for i := range m.Webhooks {
		if IsInjectionConfiguration(&m.Webhooks[i]) {
			order = append(order, i)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return m.Webhooks[order[a]].Name < m.Webhooks[order[b]].Name })
	for _, i := range order {
		c := &m.Webhooks[i]
		cc := compiledConfig{name: c.Name, rev: -1}
		cc.revName, cc.known = ConfigurationRevision(c)
		var rev *Revision
		if k, ok := index[cc.revName]; ok && cc.known {
			cc.rev, rev = k, &m.Revisions[k]
		}
		who := fmt.Sprintf("configuration %q", c.Name)
		switch {
		case !cc.known:
			who += " (calls an unknown revision)"
		case rev == nil:
			who += fmt.Sprintf(" (revision %q, not installed)", revLabel(cc.revName))
		default:
			who += " (" + rev.describe() + ")"
		}
		for j := range c.Webhooks {
			w := &c.Webhooks[j]
			if !strings.HasSuffix(w.Name, injectorHookSuffix) {
				continue
			}
			h := compiledHook{name: w.Name, deactivated: Deactivated(w)}
			at := fmt.Sprintf("%s of %s", w.Name, who)
			if !interceptsPodCreate(w) {
				h.traceBad = fmt.Sprintf("webhook %s: its rules do not intercept pod CREATE, so it is not called", at)
				cc.hooks = append(cc.hooks, h)
				continue
			}
			nsSel, nsErr := webhookSelector(w.NamespaceSelector)
			objSel, objErr := webhookSelector(w.ObjectSelector)
			if nsErr != nil || objErr != nil {
				h.traceBad = fmt.Sprintf("webhook %s: cannot be installed (%v), so it matches nothing", at, firstErr(nsErr, objErr))
				cc.hooks = append(cc.hooks, h)
				continue
			}
			h.namespace, h.object = nsSel, objSel
			h.conditions = len(w.MatchConditions)
			nsText, objText := nsSel.String(), objSel.String()
			phrase := installedPhrase(w, cc.revName, rev)
			target := "an unknown revision"
			switch {
			case rev != nil:
				target = rev.describe()
			case cc.known:
				target = fmt.Sprintf("revision %q, which is not installed", revLabel(cc.revName))
			}
			h.phrase = phrase
			h.prefix = fmt.Sprintf("%s selects %s; ", phrase, target)
			h.traceNS = fmt.Sprintf("webhook %s: namespaceSelector %q does not match the namespace", at, nsText)
			h.traceObj = fmt.Sprintf("webhook %s: namespaceSelector matches; objectSelector %q does not match the pod", at, objText)
			h.traceHit = fmt.Sprintf("webhook %s: namespaceSelector %q and objectSelector %q match", at, nsText, objText)
			h.traceMore = h.traceHit + ", but an earlier webhook of the same revision already matched"
			if h.deactivated {
				h.traceNS = fmt.Sprintf("webhook %s: deactivated (its selectors require istio.io/deactivated=never-match)", at)
			}
			cc.hooks = append(cc.hooks, h)
		}
		d.traceEntries += len(cc.hooks)
		d.configs = append(d.configs, cc)
		d.noteInstalled(c)
	}
}

// noteInstalled records, for diagnose, which istio.io/rev values and which
// default-injector labels the installed webhooks answer to.
func (d *Decider) noteInstalled(c *admissionregistrationv1.MutatingWebhookConfiguration) {
	for i := range c.Webhooks {
		w := &c.Webhooks[i]
		if Deactivated(w) || !strings.HasSuffix(w.Name, injectorHookSuffix) {
			continue
		}
		for _, s := range []*metav1.LabelSelector{w.NamespaceSelector, w.ObjectSelector} {
			if s == nil {
				continue
			}
			for _, e := range s.MatchExpressions {
				if e.Key == keyRev && e.Operator == metav1.LabelSelectorOpIn {
					for _, v := range e.Values {
						d.revValues[v] = true
					}
				}
				if (e.Key == keyNSInjection || e.Key == keyInject) && e.Operator == metav1.LabelSelectorOpIn {
					d.hasDefault = true
				}
			}
			if v, ok := s.MatchLabels[keyRev]; ok {
				d.revValues[v] = true
			}
		}
		if w.Name == hookAuto {
			d.autoDefault = true
		}
	}
}

// installedPhrase names, for a Reason, the labels that make w match: the
// wording of the generated webhooks when w has exactly the selectors Istio
// installs for its kind, else the selectors themselves.
func installedPhrase(w *admissionregistrationv1.MutatingWebhook, revName string, rev *Revision) string {
	r := rev
	if r == nil {
		r = &Revision{Name: revName}
	}
	values := revValuesOf(w)
	kinds := []hookSpec{{kind: kindNamespace}, {kind: kindObject}, {kind: kindAuto}}
	for _, v := range values {
		isTag := v != r.revValue()
		kinds = append(kinds, hookSpec{kind: kindRevNamespace, value: v, tag: isTag}, hookSpec{kind: kindRevObject, value: v, tag: isTag})
	}
	for _, spec := range kinds {
		if spec.name() != w.Name {
			continue
		}
		ns, obj := spec.selectors()
		if sameSelector(ns, w.NamespaceSelector) && sameSelector(obj, w.ObjectSelector) {
			return spec.phrase(r)
		}
	}
	return fmt.Sprintf("webhook %s (namespaceSelector %q, objectSelector %q)", w.Name, selectorText(w.NamespaceSelector), selectorText(w.ObjectSelector))
}

// revValuesOf lists the istio.io/rev values w's selectors ask for.
func revValuesOf(w *admissionregistrationv1.MutatingWebhook) []string {
	var out []string
	for _, s := range []*metav1.LabelSelector{w.NamespaceSelector, w.ObjectSelector} {
		if s == nil {
			continue
		}
		for _, e := range s.MatchExpressions {
			if e.Key == keyRev && e.Operator == metav1.LabelSelectorOpIn {
				out = append(out, e.Values...)
			}
		}
	}
	return out
}

// selectorText is a selector in apimachinery's string form ("" for nil:
// everything).
func selectorText(s *metav1.LabelSelector) string {
	sel, err := webhookSelector(s)
	if err != nil {
		return "<invalid>"
	}
	return sel.String()
}

// sameSelector compares two selectors as values, treating nil and empty
// maps and slices alike (YAML drops empty ones).
func sameSelector(a, b *metav1.LabelSelector) bool {
	norm := func(s *metav1.LabelSelector) metav1.LabelSelector {
		if s == nil {
			return metav1.LabelSelector{}
		}
		out := metav1.LabelSelector{}
		if len(s.MatchLabels) > 0 {
			out.MatchLabels = s.MatchLabels
		}
		for _, e := range s.MatchExpressions {
			if len(e.Values) == 0 {
				e.Values = nil
			}
			out.MatchExpressions = append(out.MatchExpressions, e)
		}
		return out
	}
	if (a == nil) != (b == nil) {
		return false
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

// interceptsPodCreate reports whether w's rules make the API server call it
// for a pod CREATE: a rule whose operations, API groups, versions and
// resources admit CREATE of core/v1 pods and whose scope admits namespaced
// objects. Pods have one group and version, so matchPolicy changes nothing.
func interceptsPodCreate(w *admissionregistrationv1.MutatingWebhook) bool {
	for _, r := range w.Rules {
		if !slices.ContainsFunc(r.Operations, func(o admissionregistrationv1.OperationType) bool {
			return o == admissionregistrationv1.Create || o == admissionregistrationv1.OperationAll
		}) {
			continue
		}
		if !slices.ContainsFunc(r.APIGroups, func(g string) bool { return g == "" || g == "*" }) {
			continue
		}
		if !slices.ContainsFunc(r.APIVersions, func(v string) bool { return v == "v1" || v == "*" }) {
			continue
		}
		if !slices.ContainsFunc(r.Resources, func(res string) bool { return res == "pods" || res == "*" || res == "*/*" }) {
			continue
		}
		if r.Scope != nil && *r.Scope != admissionregistrationv1.AllScopes && *r.Scope != admissionregistrationv1.NamespacedScope {
			continue
		}
		return true
	}
	return false
}

// revLabel is the istio.io/rev value of a revision name.
func revLabel(name string) string {
	if name == "" {
		return defaultRevValue
	}
	return name
}

// ConfigurationVerdict is stage A's answer for one webhook configuration,
// the row `istioctl x check-inject` prints for it: whether the API server
// would call one of its webhooks for the pod, and why (not).
type ConfigurationVerdict struct {
	// Configuration is the MutatingWebhookConfiguration's name. For a Mesh
	// without Webhooks it is the name Istio's installer gives the
	// revision's configuration (istio-sidecar-injector[-<name>]).
	Configuration string `json:"webhook"`
	// Revision is the istio.io/rev value of the revision its webhooks call
	// ("default" for the revisionless install), or "" when unknown.
	Revision string `json:"revision"`
	// Matched reports that the API server would call one of its webhooks.
	Matched bool `json:"injected"`
	// Webhook is the first of its webhooks that matches; "" when none does.
	Webhook string `json:"matchedWebhook,omitempty"`
	// Deactivated reports that every webhook of it is switched off with
	// istioctl's never-matching selectors.
	Deactivated bool `json:"deactivated,omitempty"`
	// Reason is one sentence: which labels matched, or what kept each
	// webhook away.
	Reason string `json:"reason"`
}

// Configurations evaluates every webhook configuration against t, the way
// the API server does (selectors and rules only; the injectors' own policy
// is not consulted), in the order the API server calls them. More than
// one Matched means more than one injector would be called for the pod.
func (d *Decider) Configurations(t Target) []ConfigurationVerdict {
	nsl := &namespaceLabels{m: t.NamespaceLabels, name: t.Namespace}
	pod := labels.Set(t.Labels)
	out := make([]ConfigurationVerdict, 0, len(d.configs))
	for i := range d.configs {
		c := &d.configs[i]
		v := ConfigurationVerdict{Configuration: c.name}
		if c.known {
			v.Revision = revLabel(c.revName)
		}
		if c.name == "" {
			v.Configuration = injectorConfigName
			if c.revName != "" {
				v.Configuration += "-" + c.revName
			}
		}
		var nsOnly *compiledHook
		deactivated := len(c.hooks) > 0
		for j := range c.hooks {
			h := &c.hooks[j]
			deactivated = deactivated && h.deactivated
			if h.namespace == nil || !h.namespace.Matches(nsl) {
				continue
			}
			if !h.object.Matches(pod) {
				if nsOnly == nil {
					nsOnly = h
				}
				continue
			}
			v.Matched, v.Webhook = true, h.name
			v.Reason = h.phrase + " matches"
			if h.conditions > 0 {
				v.Reason += fmt.Sprintf(" (its %d matchConditions are not evaluated)", h.conditions)
			}
			break
		}
		switch {
		case v.Matched:
		case deactivated:
			v.Deactivated = true
			v.Reason = "deactivated: its selectors require istio.io/deactivated=never-match, so it never matches"
		case nsOnly != nil:
			v.Reason = fmt.Sprintf("the namespace matches webhook %s, but the pod's labels do not match its objectSelector %q%s",
				nsOnly.name, nsOnly.object.String(), podBlocker(nsOnly.object, t.Labels))
		default:
			v.Reason = "no webhook matches the namespace's labels" + wanted(c)
		}
		out = append(out, v)
	}
	return out
}

// podBlocker names the pod label that an objectSelector refuses, when one
// requirement is plainly failed by a label the pod has.
func podBlocker(sel labels.Selector, podLabels map[string]string) string {
	reqs, _ := sel.Requirements()
	for _, r := range reqs {
		v, has := podLabels[r.Key()]
		if has && !r.Matches(labels.Set{r.Key(): v}) {
			return fmt.Sprintf(" (pod label %s=%q)", r.Key(), v)
		}
	}
	return ""
}

// wanted lists the namespace labels the configuration's webhooks ask for.
func wanted(c *compiledConfig) string {
	var asks []string
	for j := range c.hooks {
		h := &c.hooks[j]
		if h.namespace == nil || h.deactivated {
			continue
		}
		reqs, _ := h.namespace.Requirements()
		for _, r := range reqs {
			if r.Operator() == "in" || r.Operator() == "=" || r.Operator() == "==" {
				for _, v := range r.Values().List() {
					if s := fmt.Sprintf("%s=%s", r.Key(), v); !slices.Contains(asks, s) {
						asks = append(asks, s)
					}
				}
			}
		}
	}
	if len(asks) == 0 {
		return ""
	}
	return " (it answers to namespace labels " + strings.Join(asks, ", ") + ")"
}
