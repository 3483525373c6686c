package policy

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// The labels and annotation Istio reads to decide injection.
const (
	keyInject       = "sidecar.istio.io/inject"     // pod label (and deprecated pod annotation)
	keyRev          = "istio.io/rev"                // namespace or pod label naming a revision or tag
	keyNSInjection  = "istio-injection"             // namespace label of the default injector
	keyNSName       = "kubernetes.io/metadata.name" // namespace label the API server always sets
	defaultRevValue = "default"                     // istio.io/rev value of the revisionless install and of tag "default"
	policyEnabled   = "enabled"
	policyDisabled  = "disabled"
)

// istioIgnoredNamespaces returns, as a new slice, the namespaces Istio's
// injector never injects and its auto webhook never selects.
func istioIgnoredNamespaces() []string {
	return []string{"kube-system", "kube-public", "kube-node-lease", "local-path-storage"}
}

// Mesh is what is installed in the cluster: every control-plane revision
// with its tags and injector settings. The zero Mesh has no injector and
// injects nothing.
type Mesh struct {
	// Revisions are the installed control planes, each with its tags.
	Revisions []Revision `json:"revisions"`
	// Webhooks, when non-nil, are the MutatingWebhookConfigurations
	// installed in the cluster (what `kubectl get
	// mutatingwebhookconfigurations -o yaml` lists). Stage A then evaluates
	// them, in the order the API server calls them (by name), instead of
	// the webhooks Revision.Webhooks would install, so selectors a user
	// edited and webhooks istioctl deactivated count as they do in the
	// cluster. Each configuration calls the revision ConfigurationRevision
	// names; its stage B is that revision's entry in Revisions.
	// Configurations without a *sidecar-injector.istio.io webhook are
	// ignored.
	Webhooks []admissionregistrationv1.MutatingWebhookConfiguration `json:"webhooks,omitempty"`
}

// Revision is one installed control plane (one istiod and its
// istio-sidecar-injector ConfigMap) with the revision tags that point at it.
//
// Field names follow Istio's: Name is the install's values.revision, Tags its
// revision tags, Policy, AlwaysInjectSelector and NeverInjectSelector come from
// the injector's config, and EnableNamespacesByDefault is
// values.sidecarInjectorWebhook.enableNamespacesByDefault.
type Revision struct {
	// Name is the revision ("" for the revisionless install, which answers to
	// istio.io/rev=default). It must be a valid label value and not
	// "default", which belongs to the revisionless install and the default tag.
	Name string `json:"revision,omitempty"`
	// Tags are the revision tags pointing at this revision. The tag "default"
	// makes this revision the default injector, which serves
	// istio-injection=enabled and sidecar.istio.io/inject=true.
	Tags []string `json:"revisionTags,omitempty"`
	// Policy is the injector's policy: "enabled" (or empty) injects every pod
	// that reaches the injector unless it opts out; "disabled" injects only
	// pods that opt in. Any other value turns injection off, as in Istio.
	Policy string `json:"policy,omitempty"`
	// AlwaysInjectSelector are label selectors on the pod's labels,
	// consulted when the pod has no usable sidecar.istio.io/inject value:
	// unless a NeverInjectSelector matches, the first matching one injects.
	// Empty and invalid selectors are skipped, as Istio does.
	AlwaysInjectSelector []metav1.LabelSelector `json:"alwaysInjectSelector,omitempty"`
	// NeverInjectSelector are label selectors on the pod's labels, consulted
	// like AlwaysInjectSelector but first: the first matching one refuses
	// injection. Empty and invalid selectors are skipped.
	NeverInjectSelector []metav1.LabelSelector `json:"neverInjectSelector,omitempty"`
	// EnableNamespacesByDefault installs the auto webhook, which sends pods
	// of unlabelled namespaces to the injector. It only has an effect on the
	// default injector.
	EnableNamespacesByDefault bool `json:"enableNamespacesByDefault,omitempty"`
	// IgnoredNamespaces are namespaces the injector never injects. Nil means
	// Istio's four: kube-system, kube-public, kube-node-lease and
	// local-path-storage; an empty non-nil slice ignores none.
	IgnoredNamespaces []string `json:"ignoredNamespaces,omitempty"`
	// Release is the Istio release this revision's istiod runs; it decides
	// how the injector reads sidecar.istio.io/inject values (see
	// Release.InjectIntent). The zero Release is the newest behaviour.
	Release Release `json:"istioVersion,omitzero"`
}

// Target is the pod being decided, with its namespace.
type Target struct {
	// Namespace is the pod's namespace. Decide adds it as the
	// kubernetes.io/metadata.name namespace label, as the API server does.
	Namespace string `json:"namespace,omitempty"`
	// NamespaceLabels are the namespace's labels.
	NamespaceLabels map[string]string `json:"namespaceLabels,omitempty"`
	// Labels are the pod's (or pod template's) labels.
	Labels map[string]string `json:"labels,omitempty"`
	// Annotations are the pod's (or pod template's) annotations.
	Annotations map[string]string `json:"annotations,omitempty"`
	// HostNetwork is the pod's spec.hostNetwork.
	HostNetwork bool `json:"hostNetwork,omitempty"`
}

// Decision is the outcome of Mesh.Decide, Decider.Decide or
// Revision.Required: whether the pod gets a sidecar, from which revision,
// and why.
type Decision struct {
	// Inject reports whether the pod gets a sidecar.
	Inject bool
	// Revision is the Name of the revision that injects ("" for the
	// revisionless install). When Inject is false but a webhook matched, it
	// names the revision whose injector refused; otherwise it is "".
	Revision string
	// Webhook is the name of the matching webhook, for example
	// "rev.namespace.sidecar-injector.istio.io"; "" when none matched and
	// always "" from Revision.Required.
	Webhook string
	// Configuration is the name of the MutatingWebhookConfiguration that
	// holds Webhook, when the decision came from Mesh.Webhooks; "" otherwise.
	Configuration string
	// Reason is one sentence naming the label, selector or setting that
	// decided. Label and annotation values in it are quoted.
	Reason string
	// Rule is the rule that decided, from the fixed set of Rule's
	// constants: what to branch on or count by, where Reason is for
	// people.
	Rule Rule
	// Trace lists every rule consulted, in order.
	Trace []string
	// Warnings report ambiguous, deprecated or invalid usage, and more than
	// one revision matching.
	Warnings []string
}

// Validate reports every problem in m: revision names and tags that are not
// valid label values or are used twice (the revisionless install counts as
// "default", so it and a tag "default" are two default injectors), unknown
// policies, selectors that apimachinery rejects (in the revisions and in
// the installed Webhooks, which a real API server would have refused), and
// a Release that is not one (a major version below 1). The
// findings are joined with errors.Join; each names the revision or the
// configuration and the field.
//
// Decide never fails on such a mesh: it treats an uninstallable webhook as
// matching nothing and skips an invalid selector with a warning.
func (m Mesh) Validate() error {
	var errs []error
	owner := map[string]string{} // istio.io/rev value -> who answers to it
	for i := range m.Revisions {
		r := &m.Revisions[i]
		where := fmt.Sprintf("revisions[%d] %s", i, r.describe())
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s: "+format, append([]any{where}, args...)...))
		}
		claim := func(value, as string) {
			if m.Webhooks != nil {
				// The installed webhooks decide who answers to what (the
				// revisionless install and a tag "default" coexist after
				// istioctl deactivated the former's webhooks).
				return
			}
			if prev, dup := owner[value]; dup {
				bad("%s: istio.io/rev=%q is already served by %s", as, value, prev)
				return
			}
			owner[value] = where
		}
		switch {
		case r.Name == defaultRevValue:
			bad("revision: %q is reserved for the revisionless install (Name \"\") and the default tag", r.Name)
		case r.Name == "":
			claim(defaultRevValue, "revision")
		default:
			if msgs := validation.IsValidLabelValue(r.Name); len(msgs) > 0 {
				bad("revision: %q is not a valid label value: %s", r.Name, strings.Join(msgs, "; "))
			} else {
				claim(r.Name, "revision")
			}
		}
		for j, tag := range r.Tags {
			field := fmt.Sprintf("revisionTags[%d]", j)
			if tag == "" {
				bad("%s: empty tag", field)
				continue
			}
			if msgs := validation.IsValidLabelValue(tag); len(msgs) > 0 {
				bad("%s: %q is not a valid label value: %s", field, tag, strings.Join(msgs, "; "))
				continue
			}
			claim(tag, field)
		}
		switch r.Policy {
		case "", policyEnabled, policyDisabled:
		default:
			bad("policy: %q is neither %q nor %q", r.Policy, policyEnabled, policyDisabled)
		}
		for j := range r.NeverInjectSelector {
			if _, err := metav1.LabelSelectorAsSelector(&r.NeverInjectSelector[j]); err != nil {
				errs = append(errs, fmt.Errorf("%s: neverInjectSelector[%d]: %w", where, j, err))
			}
		}
		for j := range r.AlwaysInjectSelector {
			if _, err := metav1.LabelSelectorAsSelector(&r.AlwaysInjectSelector[j]); err != nil {
				errs = append(errs, fmt.Errorf("%s: alwaysInjectSelector[%d]: %w", where, j, err))
			}
		}
		if !r.Release.IsNewest() && (r.Release.Major < 1 || r.Release.Minor < 0 || r.Release.Patch < 0) {
			bad("istioVersion: %d.%d.%d is not an Istio release", r.Release.Major, r.Release.Minor, r.Release.Patch)
		}
		for j, ns := range r.IgnoredNamespaces {
			if ns == "" {
				bad("ignoredNamespaces[%d]: empty namespace name", j)
			}
		}
	}
	for i := range m.Webhooks {
		c := &m.Webhooks[i]
		if !IsInjectionConfiguration(c) {
			continue
		}
		for j := range c.Webhooks {
			w := &c.Webhooks[j]
			if _, err := webhookSelector(w.NamespaceSelector); err != nil {
				errs = append(errs, fmt.Errorf("webhooks[%d] configuration %q: webhook %s: namespaceSelector: %w", i, c.Name, w.Name, err))
			}
			if _, err := webhookSelector(w.ObjectSelector); err != nil {
				errs = append(errs, fmt.Errorf("webhooks[%d] configuration %q: webhook %s: objectSelector: %w", i, c.Name, w.Name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// describe names r in messages: `revision "canary"` or `the revisionless
// install`.
func (r *Revision) describe() string {
	if r.Name == "" {
		return "the revisionless install"
	}
	return fmt.Sprintf("revision %q", r.Name)
}

// isDefault reports whether r is the default injector: the revisionless
// install or the revision the tag "default" points at.
func (r *Revision) isDefault() bool {
	return r.Name == "" || slices.Contains(r.Tags, defaultRevValue)
}

// revValue is the istio.io/rev value that selects r by its own name.
func (r *Revision) revValue() string {
	if r.Name == "" {
		return defaultRevValue
	}
	return r.Name
}

// ignored returns the namespaces r's injector never injects.
func (r *Revision) ignored() []string {
	if r.IgnoredNamespaces == nil {
		return istioIgnoredNamespaces()
	}
	return r.IgnoredNamespaces
}
