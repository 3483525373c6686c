package policy

import (
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Names of the webhooks Istio installs for a revision.
const (
	hookRevNamespace = "rev.namespace.sidecar-injector.istio.io"
	hookRevObject    = "rev.object.sidecar-injector.istio.io"
	hookNamespace    = "namespace.sidecar-injector.istio.io"
	hookObject       = "object.sidecar-injector.istio.io"
	hookAuto         = "auto.sidecar-injector.istio.io"
)

// hookKind is which of Istio's five webhook shapes a webhook has.
type hookKind int

const (
	kindRevNamespace hookKind = iota // namespace istio.io/rev In [value]
	kindRevObject                    // pod istio.io/rev In [value], namespace unlabelled
	kindNamespace                    // namespace istio-injection=enabled (default injector)
	kindObject                       // pod sidecar.istio.io/inject=true (default injector)
	kindAuto                         // unlabelled namespace and pod (default injector, enableNamespacesByDefault)
)

// hookSpec is one webhook a revision installs, before it is rendered as a
// MutatingWebhook.
type hookSpec struct {
	kind  hookKind
	value string // the istio.io/rev value matched by the rev.* kinds
	tag   bool   // value is a tag of the revision rather than its name
}

// hookSpecs lists the webhooks r installs, in the order Webhooks returns
// them: its own rev.namespace and rev.object pair, a pair per tag, then the
// default injector's webhooks when r is the default injector.
func (r *Revision) hookSpecs() []hookSpec {
	specs := make([]hookSpec, 0, 5+2*len(r.Tags))
	specs = append(specs,
		hookSpec{kind: kindRevNamespace, value: r.revValue()},
		hookSpec{kind: kindRevObject, value: r.revValue()})
	for _, tag := range r.Tags {
		specs = append(specs,
			hookSpec{kind: kindRevNamespace, value: tag, tag: true},
			hookSpec{kind: kindRevObject, value: tag, tag: true})
	}
	if r.isDefault() {
		specs = append(specs, hookSpec{kind: kindNamespace}, hookSpec{kind: kindObject})
		if r.EnableNamespacesByDefault {
			specs = append(specs, hookSpec{kind: kindAuto})
		}
	}
	return specs
}

func (h hookSpec) name() string {
	switch h.kind {
	case kindRevNamespace:
		return hookRevNamespace
	case kindRevObject:
		return hookRevObject
	case kindNamespace:
		return hookNamespace
	case kindObject:
		return hookObject
	default:
		return hookAuto
	}
}

// phrase names, for a Reason, the labels that make h match.
func (h hookSpec) phrase(r *Revision) string {
	tagNote := ""
	if h.tag {
		tagNote = fmt.Sprintf(" (a tag of %s)", r.describe())
	}
	switch h.kind {
	case kindRevNamespace:
		return fmt.Sprintf("namespace label istio.io/rev=%q%s", h.value, tagNote)
	case kindRevObject:
		return fmt.Sprintf("pod label istio.io/rev=%q%s", h.value, tagNote)
	case kindNamespace:
		return `namespace label istio-injection="enabled"`
	case kindObject:
		return `pod label sidecar.istio.io/inject="true"`
	default:
		return "enableNamespacesByDefault (neither the namespace nor the pod has an injection label)"
	}
}

func exprs(reqs ...metav1.LabelSelectorRequirement) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchExpressions: reqs}
}

func in(key string, values ...string) metav1.LabelSelectorRequirement {
	return metav1.LabelSelectorRequirement{Key: key, Operator: metav1.LabelSelectorOpIn, Values: values}
}

func notIn(key string, values ...string) metav1.LabelSelectorRequirement {
	return metav1.LabelSelectorRequirement{Key: key, Operator: metav1.LabelSelectorOpNotIn, Values: values}
}

func absent(key string) metav1.LabelSelectorRequirement {
	return metav1.LabelSelectorRequirement{Key: key, Operator: metav1.LabelSelectorOpDoesNotExist}
}

// selectors returns h's namespaceSelector and objectSelector, freshly
// allocated.
func (h hookSpec) selectors() (namespace, object *metav1.LabelSelector) {
	switch h.kind {
	case kindRevNamespace:
		return exprs(in(keyRev, h.value), absent(keyNSInjection)),
			exprs(notIn(keyInject, "false"))
	case kindRevObject:
		return exprs(absent(keyRev), absent(keyNSInjection)),
			exprs(notIn(keyInject, "false"), in(keyRev, h.value))
	case kindNamespace:
		return exprs(in(keyNSInjection, "enabled")),
			exprs(notIn(keyInject, "false"))
	case kindObject:
		return exprs(absent(keyNSInjection), absent(keyRev)),
			exprs(in(keyInject, "true"), absent(keyRev))
	default:
		return exprs(absent(keyNSInjection), absent(keyRev), notIn(keyNSName, istioIgnoredNamespaces()...)),
			exprs(absent(keyInject), absent(keyRev))
	}
}

// Webhooks returns the mutating webhooks Istio installs for r and its tags,
// in a fixed order: rev.namespace and rev.object for r's own name (the
// revisionless install answers to istio.io/rev=default), the same pair for
// each tag, and, when r is the default injector (Name "" or tag "default"),
// namespace.sidecar-injector.istio.io, object.sidecar-injector.istio.io and,
// with EnableNamespacesByDefault, auto.sidecar-injector.istio.io.
//
// Each webhook is complete: it intercepts pod CREATE, fails closed, has no
// side effects, and calls Istio's default service for the revision (istiod
// or istiod-<name> in istio-system, path /inject, port 443); change
// ClientConfig for another install. Webhook names repeat across r's name and
// its tags because Istio installs each in its own
// MutatingWebhookConfiguration (istio-sidecar-injector[-<name>] and
// istio-revision-tag-<tag>). The result is newly allocated on every call.
//
// These selectors are the single source of truth for stage A: Decide
// evaluates exactly them.
func (r Revision) Webhooks() []admissionregistrationv1.MutatingWebhook {
	specs := r.hookSpecs()
	hooks := make([]admissionregistrationv1.MutatingWebhook, 0, len(specs))
	service := "istiod"
	if r.Name != "" {
		service += "-" + r.Name
	}
	for _, h := range specs {
		ns, obj := h.selectors()
		path := "/inject"
		port := int32(443)
		fail := admissionregistrationv1.Fail
		none := admissionregistrationv1.SideEffectClassNone
		never := admissionregistrationv1.NeverReinvocationPolicy
		hooks = append(hooks, admissionregistrationv1.MutatingWebhook{
			Name: h.name(),
			ClientConfig: admissionregistrationv1.WebhookClientConfig{
				Service: &admissionregistrationv1.ServiceReference{
					Namespace: "istio-system",
					Name:      service,
					Path:      &path,
					Port:      &port,
				},
			},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule: admissionregistrationv1.Rule{
					APIGroups:   []string{""},
					APIVersions: []string{"v1"},
					Resources:   []string{"pods"},
				},
			}},
			FailurePolicy:           &fail,
			NamespaceSelector:       ns,
			ObjectSelector:          obj,
			SideEffects:             &none,
			AdmissionReviewVersions: []string{"v1"},
			ReinvocationPolicy:      &never,
		})
	}
	return hooks
}
