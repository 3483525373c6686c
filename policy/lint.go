package policy

import (
	"fmt"
	"sort"
	"strings"
)

// Code names a kind of lint finding. The values are stable: tools may
// match on them.
type Code string

// The findings Lint reports.
const (
	// CodeBothNamespaceLabels: a namespace carries both istio-injection and
	// istio.io/rev, which the guides call undefined behaviour.
	CodeBothNamespaceLabels Code = "BothNamespaceLabels"
	// CodeUnknownRevision: a namespace's or pod's istio.io/rev names no
	// installed revision or tag, so nothing injects it.
	CodeUnknownRevision Code = "UnknownRevision"
	// CodeIgnoredValue: an istio-injection or sidecar.istio.io/inject value
	// Istio silently ignores (True, Enabled, yes, 1, ...): an error; or one
	// the revision that reads it honours but other releases ignore ("False"
	// under 1.26): a warning.
	CodeIgnoredValue Code = "IgnoredValue"
	// CodeDeprecatedAnnotation: the deprecated sidecar.istio.io/inject
	// annotation; as an opt-in it cannot work, since webhook selectors read
	// labels only.
	CodeDeprecatedAnnotation Code = "DeprecatedAnnotation"
	// CodeNoDefaultInjector: istio-injection=enabled or
	// sidecar.istio.io/inject=true asks for the default injector, but no
	// revisionless install or "default" tag exists.
	CodeNoDefaultInjector Code = "NoDefaultInjector"
	// CodeManualInjectionOptOut: a CronJob opts out in its pod template
	// only; manual injection (istioctl kube-inject) reads the Job
	// template's metadata and injects it anyway.
	CodeManualInjectionOptOut Code = "ManualInjectionIgnoresOptOut"
	// CodeHostNetwork: a hostNetwork workload in a namespace that injects:
	// the injector never gives it a sidecar.
	CodeHostNetwork Code = "HostNetworkNotInjected"
	// CodeUnusedRevision: no namespace, tag or workload selects a revision
	// any more; it is safe to remove once no pod runs its sidecar.
	CodeUnusedRevision Code = "UnusedRevision"
	// CodeMultipleInjectors: more than one revision's webhook matches a
	// workload's pods.
	CodeMultipleInjectors Code = "MultipleInjectors"
	// CodeMissingRevision: an installed webhook calls a revision that is not
	// installed; with failurePolicy Fail the API server refuses the pods it
	// matches.
	CodeMissingRevision Code = "WebhookCallsMissingRevision"
)

// Severity says how much a finding matters: an error means pods do not get
// the sidecar their labels ask for (or are refused); a warning, a trap or a
// deprecation; info, a clean-up.
type Severity string

// The severities, from the most serious.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// Finding is one lint finding.
type Finding struct {
	// Code is the kind of finding.
	Code Code `json:"code"`
	// Severity says how much it matters.
	Severity Severity `json:"severity"`
	// Object names what it is about, in istioctl's argument form:
	// namespace/shop, deployment/web.shop, revision/1-29,
	// mutatingwebhookconfiguration/istio-revision-tag-old.
	Object string `json:"object"`
	// Message is one line; label values in it are quoted.
	Message string `json:"message"`
	// Fix is the command that fixes it, when there is one.
	Fix string `json:"fix,omitempty"`
}

// LintNamespace is a namespace as Lint reads it.
type LintNamespace struct {
	// Name is the namespace's name; workloads name it in their Namespace.
	Name string `json:"name"`
	// Labels are the namespace's labels, which decide its pods' injection.
	Labels map[string]string `json:"labels,omitempty"`
}

// LintWorkload is a workload as Lint reads it: its pod template's labels
// and annotations (in Pod; Namespace and NamespaceLabels are filled by
// Lint from LintInput.Namespaces) and, for a CronJob, the labels and
// annotations of spec.jobTemplate.metadata.
type LintWorkload struct {
	// Kind is the workload's kind as Kubernetes spells it (Deployment,
	// StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod).
	Kind string `json:"kind"`
	// Namespace is the workload's namespace; Lint takes its labels from the
	// LintInput.Namespaces entry of that name, and a namespace not listed
	// counts as one without labels.
	Namespace string `json:"namespace"`
	// Name is the workload's name, used in findings' Object and Fix.
	Name string `json:"name"`
	// Pod is what the workload's new pods carry.
	Pod Target `json:"pod"`
	// JobLabels are the labels of a CronJob's spec.jobTemplate.metadata,
	// which manual injection reads.
	JobLabels map[string]string `json:"jobLabels,omitempty"`
	// JobAnnotations are the annotations of a CronJob's
	// spec.jobTemplate.metadata, which manual injection reads.
	JobAnnotations map[string]string `json:"jobAnnotations,omitempty"`
}

// LintInput is everything Lint reads: the mesh, the namespaces, the
// workloads and how many running pods carry each revision's sidecar.
type LintInput struct {
	// Mesh is what is installed; it must be valid (see Mesh.Validate).
	Mesh Mesh
	// Namespaces are the cluster's namespaces; each is checked, and counts
	// as using the revision its labels select even with no workloads.
	Namespaces []LintNamespace
	// Workloads are the workloads to check, in any namespace.
	Workloads []LintWorkload
	// Running counts running pods by the revision their sidecar came from,
	// as istio.io/rev values ("default" for the revisionless install).
	Running map[string]int
}

// Lint checks a mesh's labels: the namespaces', the workloads' and the
// installed webhooks', from labels alone (checks that need the templates,
// such as an annotation the injector refuses, belong to the inject
// packages). It returns the findings sorted by object, then code; each has
// a stable Code, the Object, a one-line Message and, where one exists, the
// command that fixes it. The mesh must be valid (see Mesh.Validate).
func Lint(in LintInput) ([]Finding, error) {
	d, err := in.Mesh.Compile()
	if err != nil {
		return nil, err
	}
	l := linter{in: &in, d: d, used: map[string]bool{}, nsLabels: map[string]map[string]string{}}
	for _, ns := range in.Namespaces {
		l.nsLabels[ns.Name] = ns.Labels
		l.namespace(ns)
	}
	for i := range in.Workloads {
		l.workload(&in.Workloads[i])
	}
	l.webhooks()
	l.revisions()
	sort.SliceStable(l.out, func(a, b int) bool {
		if l.out[a].Object != l.out[b].Object {
			return l.out[a].Object < l.out[b].Object
		}
		return l.out[a].Code < l.out[b].Code
	})
	return l.out, nil
}

type linter struct {
	in       *LintInput
	d        *Decider
	out      []Finding
	used     map[string]bool // names of the revisions some namespace or workload is decided to
	nsLabels map[string]map[string]string
}

func (l *linter) add(code Code, sev Severity, object, fix, format string, args ...any) {
	l.out = append(l.out, Finding{Code: code, Severity: sev, Object: object, Message: fmt.Sprintf(format, args...), Fix: fix})
}

// suggestedRevision is the istio.io/rev value a fix proposes: the default
// tag when one exists, else the first revision or tag.
func (l *linter) suggestedRevision() string {
	if l.d.revValues[defaultRevValue] {
		return defaultRevValue
	}
	var values []string
	for v := range l.d.revValues {
		values = append(values, v)
	}
	sort.Strings(values)
	if len(values) == 0 {
		return "REVISION"
	}
	return values[0]
}

// installedValues lists the istio.io/rev values some webhook answers to.
func (l *linter) installedValues() string {
	var values []string
	for v := range l.d.revValues {
		values = append(values, v)
	}
	sort.Strings(values)
	if len(values) == 0 {
		return "none"
	}
	return strings.Join(values, ", ")
}

// defaultTarget is the revision a fix for a missing default injector
// points the tag at.
func (l *linter) defaultTarget() string {
	if len(l.in.Mesh.Revisions) == 0 {
		return "REVISION"
	}
	names := make([]string, 0, len(l.in.Mesh.Revisions))
	for _, r := range l.in.Mesh.Revisions {
		names = append(names, revLabel(r.Name))
	}
	sort.Strings(names)
	return names[len(names)-1]
}

func (l *linter) namespace(ns LintNamespace) {
	obj := "namespace/" + ns.Name
	inj, hasInj := ns.Labels[keyNSInjection]
	rev, hasRev := ns.Labels[keyRev]
	if hasInj && hasRev {
		honoured := fmt.Sprintf("istio-injection=%q wins: the default injector's webhook matches and every istio.io/rev webhook requires istio-injection to be absent", inj)
		if inj != "enabled" {
			honoured = fmt.Sprintf("istio-injection=%q wins: every istio.io/rev webhook requires istio-injection to be absent, so nothing injects", inj)
		}
		l.add(CodeBothNamespaceLabels, SeverityError, obj, fmt.Sprintf("kubectl label namespace %s istio-injection-", ns.Name),
			"has both istio-injection=%q and istio.io/rev=%q, which the guides call undefined; %s", inj, rev, honoured)
	}
	if hasInj && inj != "enabled" && inj != "disabled" {
		fixed := "disabled"
		if (Release{Major: 1, Minor: 26}).InjectIntent(inj) == IntentInject || strings.EqualFold(inj, "enabled") || inj == "1" {
			fixed = "enabled"
		}
		l.add(CodeIgnoredValue, SeverityError, obj, fmt.Sprintf("kubectl label namespace %s istio-injection=%s --overwrite", ns.Name, fixed),
			"istio-injection=%q is neither \"enabled\" nor \"disabled\": webhook selectors compare it exactly, so no webhook matches and its pods get no sidecar", inj)
	}
	if hasRev && !hasInj && !l.d.revValues[rev] {
		l.add(CodeUnknownRevision, SeverityError, obj, fmt.Sprintf("kubectl label namespace %s istio.io/rev=%s --overwrite", ns.Name, l.suggestedRevision()),
			"istio.io/rev=%q names no installed revision or tag (installed: %s), so its pods get no sidecar", rev, l.installedValues())
	}
	if hasInj && inj == "enabled" && !l.d.hasDefault {
		l.add(CodeNoDefaultInjector, SeverityError, obj, "istioctl tag set default --revision "+l.defaultTarget(),
			"istio-injection=enabled asks for the default injector, but there is no revisionless install and no tag \"default\"")
	}
	// A namespace with no workloads still counts as using its revision.
	if dec := l.d.Decide(Target{Namespace: ns.Name, NamespaceLabels: ns.Labels}); dec.Inject {
		l.used[dec.Revision] = true
	}
}

// workloadObject names w in istioctl's argument form.
func workloadObject(w *LintWorkload) string {
	return fmt.Sprintf("%s/%s.%s", strings.ToLower(w.Kind), w.Name, w.Namespace)
}

// templatePath is where a workload keeps its pod template's metadata, for
// a kubectl patch.
func templatePath(kind string) (prefix, suffix string, ok bool) {
	switch kind {
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet":
		return `{"spec":{"template":{"metadata":`, `}}}`, true
	case "CronJob":
		return `{"spec":{"jobTemplate":{"spec":{"template":{"metadata":`, `}}}}}`, true
	}
	return "", "", false
}

// patchFix is the command that sets (value non-empty) or removes a key in
// the workload's pod template labels or annotations.
func patchFix(w *LintWorkload, field, key, value string) string {
	if w.Kind == "Pod" {
		if field == "labels" {
			return fmt.Sprintf("kubectl label pod %s -n %s %s=%s --overwrite", w.Name, w.Namespace, key, value)
		}
		return fmt.Sprintf("kubectl annotate pod %s -n %s %s=%s --overwrite", w.Name, w.Namespace, key, value)
	}
	prefix, suffix, ok := templatePath(w.Kind)
	if !ok {
		return "" // a Job's template cannot change: fix its manifest
	}
	v := "null"
	if value != "" {
		v = fmt.Sprintf("%q", value)
	}
	return fmt.Sprintf("kubectl patch %s %s -n %s --type merge -p '%s{%q:{%q:%s}}%s'",
		strings.ToLower(w.Kind), w.Name, w.Namespace, prefix, field, key, v, suffix)
}

func (l *linter) workload(w *LintWorkload) {
	obj := workloadObject(w)
	t := w.Pod
	t.Namespace = w.Namespace
	t.NamespaceLabels = l.nsLabels[w.Namespace]
	dec := l.d.Decide(t)
	if dec.Inject {
		l.used[dec.Revision] = true
	}
	_, nsInj := t.NamespaceLabels[keyNSInjection]
	_, nsRev := t.NamespaceLabels[keyRev]

	// The pod's istio.io/rev counts only where the namespace says nothing.
	if v, ok := t.Labels[keyRev]; ok && !nsInj && !nsRev && !l.d.revValues[v] {
		l.add(CodeUnknownRevision, SeverityError, obj, patchFix(w, "labels", keyRev, l.suggestedRevision()),
			"pod label istio.io/rev=%q names no installed revision or tag (installed: %s), so its pods get no sidecar", v, l.installedValues())
	}
	if v, ok := t.Labels[keyInject]; ok && v == "true" && !nsInj && !nsRev && !l.d.hasDefault {
		l.add(CodeNoDefaultInjector, SeverityError, obj, "istioctl tag set default --revision "+l.defaultTarget(),
			"pod label sidecar.istio.io/inject=\"true\" asks for the default injector, but there is no revisionless install and no tag \"default\"")
	}
	l.injectValue(w, &t, dec, obj)
	if _, ok := t.Annotations[keyInject]; ok {
		l.annotation(w, &t, dec, obj)
	}
	if w.Kind == "CronJob" {
		l.cronJob(w, obj)
	}
	if t.HostNetwork && dec.Webhook != "" && !dec.Inject {
		l.add(CodeHostNetwork, SeverityWarning, obj, patchFix(w, "labels", keyInject, "false"),
			"uses hostNetwork in a namespace that injects: the injector never gives such pods a sidecar; opt it out to say so")
	}
	revs := map[string]bool{}
	for _, v := range l.d.Configurations(t) {
		if v.Matched {
			revs[v.Revision] = true
		}
	}
	if len(revs) > 1 {
		names := make([]string, 0, len(revs))
		for r := range revs {
			names = append(names, r)
		}
		sort.Strings(names)
		l.add(CodeMultipleInjectors, SeverityError, obj, "",
			"the webhooks of %d revisions (%s) match its pods; the API server calls them all", len(names), strings.Join(names, ", "))
	}
}

// injectValue checks the pod's sidecar.istio.io/inject label value.
func (l *linter) injectValue(w *LintWorkload, t *Target, dec Decision, obj string) {
	v, ok := t.Labels[keyInject]
	if !ok || v == "true" || v == "false" {
		return
	}
	rel := l.releaseOf(dec.Revision, dec.Webhook != "")
	fixed := "false"
	if (Release{Major: 1, Minor: 26}).InjectIntent(v) == IntentInject {
		fixed = "true"
	}
	msg := fmt.Sprintf("pod label sidecar.istio.io/inject=%q is neither \"true\" nor \"false\": webhook selectors compare it exactly", v)
	if note := injectValueReading(v); note != "" {
		msg += "; " + note
	}
	// Ignored where it is read now: an error. Honoured now but not by
	// every release: a warning, the trap of the next upgrade.
	sev := SeverityError
	if dec.Webhook != "" {
		intent := rel.InjectIntent(v)
		msg += fmt.Sprintf("; here %s (%s) %s", l.describeRevision(dec.Revision), rel.describe(), intentPhrase(intent))
		if intent != IntentDefault {
			sev = SeverityWarning
		}
	}
	l.add(CodeIgnoredValue, sev, obj, patchFix(w, "labels", keyInject, fixed), "%s", msg)
}

func intentPhrase(i InjectIntent) string {
	switch i {
	case IntentInject:
		return "reads it as an opt-in"
	case IntentSkip:
		return "reads it as an opt-out"
	}
	return "ignores it and falls back to its selectors and policy"
}

func (l *linter) describeRevision(name string) string {
	return (&Revision{Name: name}).describe()
}

// releaseOf is the release of the revision called name.
func (l *linter) releaseOf(name string, known bool) Release {
	if !known {
		return Release{}
	}
	for _, r := range l.in.Mesh.Revisions {
		if r.Name == name {
			return r.Release
		}
	}
	return Release{}
}

// annotation checks the deprecated sidecar.istio.io/inject annotation.
func (l *linter) annotation(w *LintWorkload, t *Target, dec Decision, obj string) {
	v := t.Annotations[keyInject]
	if _, hasLabel := t.Labels[keyInject]; hasLabel {
		l.add(CodeDeprecatedAnnotation, SeverityWarning, obj, patchFix(w, "annotations", keyInject, ""),
			"the deprecated annotation sidecar.istio.io/inject=%q is ignored: the label takes precedence; remove it", v)
		return
	}
	fixed := v
	if fixed != "true" {
		fixed = "false"
	}
	if v == "true" && dec.Webhook == "" {
		l.add(CodeDeprecatedAnnotation, SeverityError, obj, patchFix(w, "labels", keyInject, "true"),
			"the deprecated annotation sidecar.istio.io/inject=\"true\" cannot opt its pods in: webhook selectors read labels only, so no injector sees them; use the label")
		return
	}
	l.add(CodeDeprecatedAnnotation, SeverityWarning, obj, patchFix(w, "labels", keyInject, fixed),
		"uses the deprecated annotation sidecar.istio.io/inject=%q; use the label, which webhook selectors can see", v)
}

// cronJob: manual injection decides a CronJob from spec.jobTemplate.metadata,
// the webhook from the pod template.
func (l *linter) cronJob(w *LintWorkload, obj string) {
	field, v := "labels", ""
	if lv, ok := w.Pod.Labels[keyInject]; ok {
		v = lv
	} else if av, ok := w.Pod.Annotations[keyInject]; ok {
		field, v = "annotations", av
	}
	if v != "false" || w.JobLabels[keyInject] == "false" || w.JobAnnotations[keyInject] == "false" {
		return
	}
	fix := fmt.Sprintf(`kubectl patch cronjob %s -n %s --type merge -p '{"spec":{"jobTemplate":{"metadata":{%q:{%q:"false"}}}}}'`,
		w.Name, w.Namespace, field, keyInject)
	l.add(CodeManualInjectionOptOut, SeverityWarning, obj, fix,
		"sidecar.istio.io/inject=\"false\" in spec.jobTemplate.spec.template.metadata.%s keeps the webhook away from its pods, but manual injection (istioctl kube-inject) reads spec.jobTemplate.metadata and injects it; set it there too", field)
}

// webhooks checks the installed webhooks.
func (l *linter) webhooks() {
	for i := range l.d.configs {
		c := &l.d.configs[i]
		if c.rev >= 0 || c.name == "" {
			continue
		}
		live := false
		for j := range c.hooks {
			live = live || c.hooks[j].namespace != nil && !c.hooks[j].deactivated
		}
		if !live {
			continue
		}
		what := "an unknown revision"
		if c.known {
			what = fmt.Sprintf("revision %q, which is not installed", revLabel(c.revName))
		}
		fix := "kubectl delete mutatingwebhookconfiguration " + c.name
		if tag := strings.TrimPrefix(c.name, tagConfigPrefix); tag != c.name {
			fix = "istioctl tag remove " + tag
		}
		l.add(CodeMissingRevision, SeverityError, "mutatingwebhookconfiguration/"+c.name, fix,
			"its webhooks call %s: with failurePolicy Fail the API server refuses every pod they match", what)
	}
}

// revisions reports revisions nothing selects any more.
func (l *linter) revisions() {
	for _, r := range l.in.Mesh.Revisions {
		if len(r.Tags) > 0 || l.used[r.Name] {
			continue
		}
		obj := "revision/" + revLabel(r.Name)
		uninstall := "istioctl uninstall --revision " + revLabel(r.Name)
		if n := l.in.Running[revLabel(r.Name)]; n > 0 {
			l.add(CodeUnusedRevision, SeverityInfo, obj, "",
				"no namespace, tag or workload selects it any more, but %d running pods still carry its sidecar: restart them, then remove it (%s)", n, uninstall)
			continue
		}
		l.add(CodeUnusedRevision, SeverityInfo, obj, uninstall,
			"no namespace, tag, workload or running pod uses it any more: it is safe to remove")
	}
}
