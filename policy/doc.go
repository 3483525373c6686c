// Package policy decides whether a pod gets an Istio sidecar, from which
// control-plane revision, and why, from nothing but label maps and the
// cluster's injection settings. It is a pure function: no cluster, no
// files, no clock; the same input always gives the same Decision.
//
// # The model
//
// A Mesh lists what is installed: each Revision (Name "" is the
// revisionless install) with its revision Tags, the injector's Policy,
// AlwaysInjectSelector and NeverInjectSelector, EnableNamespacesByDefault
// and IgnoredNamespaces. A Target is one pod: its namespace name and
// labels, its own labels and annotations, and whether it uses hostNetwork.
// Mesh.Decide returns a Decision: Inject, the injecting Revision, the
// Webhook that matched, a one-sentence Reason, the Rule that decided (a
// stable code from a fixed set, to branch on or count by where the Reason
// is for people), the Trace of every rule consulted, and Warnings.
//
// Injection happens in two stages, and Decide models both.
//
// Stage A is the Kubernetes API server. It calls a webhook only when the
// webhook's namespaceSelector matches the namespace's labels (the API
// server always adds kubernetes.io/metadata.name=<namespace>, and so does
// Decide) and its objectSelector matches the pod's labels. For a revision
// R (R is "default" for the revisionless install) Istio installs:
//
//	webhook                                  namespace                                  pod
//	rev.namespace.sidecar-injector.istio.io  istio.io/rev=R, no istio-injection          sidecar.istio.io/inject != false
//	rev.object.sidecar-injector.istio.io     no istio.io/rev, no istio-injection         sidecar.istio.io/inject != false, istio.io/rev=R
//
// and the same pair for each tag T pointing at R (matching istio.io/rev=T).
// The default injector (the revisionless install, or the revision the tag
// "default" points at) also installs:
//
//	namespace.sidecar-injector.istio.io      istio-injection=enabled                    sidecar.istio.io/inject != false
//	object.sidecar-injector.istio.io         no istio-injection, no istio.io/rev        sidecar.istio.io/inject=true, no istio.io/rev
//	auto.sidecar-injector.istio.io           neither label, not kube-system,            neither sidecar.istio.io/inject nor istio.io/rev
//	  (only with EnableNamespacesByDefault)  kube-public, kube-node-lease, local-path-storage
//
// Revision.Webhooks returns exactly these as admissionregistration/v1
// MutatingWebhooks, and Decide evaluates exactly what it returns with
// apimachinery's label selectors: one source of truth.
//
// Stage B is the injector of each revision whose webhook matched (Istio's
// injectRequired), available alone as Revision.Required. In order:
// hostNetwork pods are never injected; nor are pods in an ignored
// namespace; the pod label sidecar.istio.io/inject (or, when the label is
// absent, the deprecated annotation of the same name) decides when it is
// exactly "true" or "false", and any other value is ignored with a
// warning; then the first matching NeverInjectSelector refuses and the
// first matching AlwaysInjectSelector injects; finally the Policy decides
// ("enabled" or empty injects, "disabled" does not).
//
// # Installed webhooks
//
// A cluster's webhooks are not always the ones Istio would install: a user
// may have edited a selector, istioctl deactivates the revisionless
// injector's webhooks (both selectors require
// istio.io/deactivated=never-match) when `istioctl tag set default` moves
// the default to a revision, and a tag may be left pointing at a revision
// that was removed. Set Mesh.Webhooks to the MutatingWebhookConfigurations
// as installed and stage A evaluates them instead, as the API server does:
// configurations in name order, every webhook whose rules intercept pod
// CREATE and whose selectors match is called; a nil selector matches
// everything; matchConditions are not evaluated (a warning says so). Each
// configuration calls the revision ConfigurationRevision names (its
// istio.io/rev label, else its istiod-<rev> service), whose stage B comes
// from Mesh.Revisions. A matching webhook of a revision that is not in
// Revisions is reported: the API server would call a service that does
// not answer. Revision.Configurations renders Istio's configurations for a
// revision, split and labelled as Istio's installer does, and
// Decider.Configurations gives stage A's verdict per configuration (the
// rows of istioctl x check-inject).
//
// # Releases
//
// Each Revision carries the Istio Release its istiod runs (zero: the
// newest behaviour). One rule of stage B changed between releases, and
// Release.InjectIntent is it: up to Istio 1.26 the injector lower-cases
// the sidecar.istio.io/inject value and reads "y", "yes", "true" and "on"
// as true and any other non-empty value as false; from 1.27 only "true"
// and "false" count. So "False" opts a pod out under 1.26 and is ignored
// under 1.27 and later, where the policy then injects it. The Reason says
// which release read such a value, the warnings say how the releases
// differ, and InjectValueNote gives the same sentence to a lint or a
// migration plan. Stage A (the webhook selectors) compares exactly in
// every release. ParseRelease reads image tags ("1.23.6-distroless",
// "1.23.3-asm.2"); what it cannot read means the newest behaviour.
//
// # Lint
//
// Lint checks a mesh's labels from labels alone: a namespace with both
// istio-injection and istio.io/rev, an istio.io/rev naming nothing
// installed, values Istio silently ignores (True, Enabled, yes, 1; for
// sidecar.istio.io/inject read by the deciding revision's Release, so
// "False" is an error under 1.27 and a warning, the next upgrade's trap,
// under 1.26), the deprecated annotation, istio-injection=enabled without a
// default injector, a CronJob opting out where manual injection does not
// look, hostNetwork workloads in injecting namespaces, several revisions
// matching one pod, a webhook calling a revision that is gone, and
// revisions nothing uses any more. Each Finding has a stable Code, a
// Severity, the Object in istioctl's argument form, a one-line Message and
// the command that fixes it.
//
// # What users read, and what actually happens
//
// Istio's documentation summarises the labels as a table: any "disabled"
// (namespace istio-injection=disabled or pod sidecar.istio.io/inject=false)
// means no sidecar; any "enabled" means a sidecar; with neither, only
// enableNamespacesByDefault injects; if a namespace has both
// istio-injection and istio.io/rev, istio-injection wins. Decide follows
// the two stages above, which agree with the table except in these cases,
// where the Decision follows the actual behaviour and a warning says so:
//
//   - Label values are compared exactly. sidecar.istio.io/inject=True or
//     istio-injection=Enabled match no selector the way "true" and
//     "enabled" do; the injector ignores such a value and falls back to its
//     selectors and policy (an injector of Istio 1.26 or earlier reads it
//     lower-cased instead; see Releases).
//   - The annotation sidecar.istio.io/inject cannot opt a pod in: webhook
//     selectors read labels only. Once a webhook matched (for example in an
//     istio-injection=enabled namespace), the injector still honours it.
//   - A pod's istio.io/rev is ignored in a namespace labelled
//     istio-injection or istio.io/rev: the namespace picks the revision.
//   - A namespace or pod istio.io/rev naming no installed revision or tag
//     gets no sidecar at all.
//   - An injector still refuses hostNetwork pods and ignored namespaces
//     after its webhook matched, whatever the labels say.
//
// When more than one revision would inject a pod (two default injectors,
// say), Decide reports the first in Mesh.Revisions and warns: the API
// server would call both.
//
// # Use
//
// For one decision, call Mesh.Decide. A webhook or a tool deciding many
// pods calls Mesh.Compile once, which validates the mesh and parses every
// selector, and then (*Decider).Decide, which allocates little and is safe
// for concurrent use. A webhook handler that has already been selected by
// the API server calls Revision.Required with its own settings. Mesh.Validate
// reports bad configuration (invalid names, tags and selectors, duplicate
// istio.io/rev values, unknown policies); Decide itself never fails or
// panics, and decides an invalid mesh as a cluster would.
//
// For table-driven tests of a mesh's policy written in YAML, see the
// policytest subpackage.
//
// # Traps
//
//   - Revision.Release zero is the newest behaviour, not "unknown and
//     old": set it for a revision that runs an older istiod. In a YAML
//     mesh file write it quoted (istioVersion: "1.30"); YAML reads a bare
//     1.30 as the number 1.3, which is refused.
//   - Revision.Name "" is the revisionless install and answers to
//     istio.io/rev=default; a revision may not be named "default".
//   - IgnoredNamespaces nil means Istio's four system namespaces; an empty
//     non-nil slice means none. The auto webhook's exclusions are always
//     Istio's four.
//   - EnableNamespacesByDefault only matters on the default injector.
//   - An empty Target.Namespace adds no kubernetes.io/metadata.name label;
//     the API server always knows the namespace, so set it.
//   - Empty selectors in AlwaysInjectSelector or NeverInjectSelector match
//     nothing: Istio skips them rather than letting them match every pod.
//   - Reason, Trace and Warnings quote every label and annotation value, so
//     a value holding newlines or quotes cannot forge another line.
package policy
