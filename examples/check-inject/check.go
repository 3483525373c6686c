package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kinject/kinject/inject"
	"github.com/kinject/kinject/inject/cluster"
	"github.com/kinject/kinject/policy"
)

// output is the one document check-inject prints; see the package
// documentation for its fields.
type output struct {
	APIVersion string                        `json:"apiVersion"`
	Kind       string                        `json:"kind"`
	Target     *target                       `json:"target,omitempty"`
	Webhooks   []policy.ConfigurationVerdict `json:"webhooks,omitempty"`
	Decision   *decision                     `json:"decision,omitempty"`
	Workloads  []workloadRow                 `json:"workloads,omitempty"`
	Pods       []podStaleness                `json:"pods,omitempty"`
	Plan       *cluster.Plan                 `json:"plan,omitempty"`
	Verify     *cluster.Verification         `json:"verify,omitempty"`
	Findings   []policy.Finding              `json:"findings"`
	Notes      []string                      `json:"notes,omitempty"`
}

// failing is what the exit status gates on: a lint error, or a pod to
// restart.
func (o *output) failing() bool {
	for _, f := range o.Findings {
		if f.Severity == policy.SeverityError {
			return true
		}
	}
	if o.Plan != nil && o.Plan.Restarts > 0 {
		return true
	}
	if o.Verify != nil && o.Verify.OK < o.Verify.Total {
		return true
	}
	for _, p := range o.Pods {
		if p.Stale {
			return true
		}
	}
	for _, w := range o.Workloads {
		if w.Stale > 0 {
			return true
		}
	}
	return false
}

type target struct {
	Kind      string            `json:"kind"`
	Namespace string            `json:"namespace"`
	Name      string            `json:"name,omitempty"`
	Labels    map[string]string `json:"labels,omitempty"`
}

type decision struct {
	Inject        bool   `json:"inject"`
	Revision      string `json:"revision"`
	Configuration string `json:"configuration,omitempty"`
	Webhook       string `json:"webhook,omitempty"`
	Reason        string `json:"reason"`
	// Rule is policy.Decision.Rule: the rule that decided, a stable code.
	Rule     policy.Rule `json:"rule"`
	Warnings []string    `json:"warnings,omitempty"`
}

func newDecision(d policy.Decision) *decision {
	out := &decision{Inject: d.Inject, Configuration: d.Configuration, Webhook: d.Webhook, Reason: d.Reason, Rule: d.Rule, Warnings: d.Warnings}
	if d.Inject || d.Webhook != "" {
		out.Revision = revLabel(d.Revision)
	}
	return out
}

func revLabel(name string) string {
	if name == "" {
		return "default"
	}
	return name
}

type workloadRow struct {
	Namespace     string `json:"namespace"`
	Kind          string `json:"kind"`
	Name          string `json:"name"`
	Inject        bool   `json:"inject"`
	Revision      string `json:"revision"`
	Configuration string `json:"configuration,omitempty"`
	Webhook       string `json:"webhook,omitempty"`
	Reason        string `json:"reason"`
	// Rule is the rule that decided (policy.Decision.Rule); "" when the
	// workload's template is not in the input.
	Rule policy.Rule `json:"rule,omitempty"`
	// Pods counts the running pods in the input, Stale those whose
	// sidecar is not what the cluster injects now.
	Pods  int `json:"pods"`
	Stale int `json:"stale"`
}

type podStaleness struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	inject.Staleness
}

func (w *world) options(o *options) (cluster.Options, error) {
	sel, err := o.labelSelector()
	if err != nil {
		return cluster.Options{}, err
	}
	opts := cluster.Options{Namespace: o.ns, Selector: sel}
	if w.handMesh {
		p := w.policy
		opts.Policy = &p
	}
	return opts, nil
}

// check runs the mode the options ask for.
func (w *world) check(ctx context.Context, o *options) (*output, error) {
	out := &output{APIVersion: "kinject.io/v1", Findings: []policy.Finding{}}
	switch {
	case o.target != "" || o.selector != "" && !o.plan && !o.verify && o.ns != "":
		out.Kind = "CheckInject"
		if err := w.checkTarget(ctx, o, out); err != nil {
			return nil, err
		}
	case o.plan:
		out.Kind = "Plan"
		if w.mesh == nil {
			return nil, errors.New("--plan needs the revisions' ConfigMaps (kubectl get configmap -n istio-system -o yaml)")
		}
		c, err := cluster.ParseChange(o.change)
		if err != nil {
			return nil, err
		}
		opts, err := w.options(o)
		if err != nil {
			return nil, err
		}
		if out.Plan, err = w.state.Plan(ctx, c, opts); err != nil {
			return nil, err
		}
		after, err := w.state.Apply(c)
		if err != nil {
			return nil, err
		}
		if out.Findings, err = after.Lint(ctx, opts); err != nil {
			return nil, err
		}
	case o.verify:
		out.Kind = "Verification"
		if w.mesh == nil {
			return nil, errors.New("--verify needs the revisions' ConfigMaps (kubectl get configmap -n istio-system -o yaml)")
		}
		opts, err := w.options(o)
		if err != nil {
			return nil, err
		}
		if out.Verify, err = w.state.Verify(ctx, opts); err != nil {
			return nil, err
		}
	default:
		out.Kind = "Report"
		if err := w.report(ctx, o, out); err != nil {
			return nil, err
		}
	}
	if w.handMesh {
		// Without the cluster's dumps the input is not the whole picture:
		// which revision nothing uses is not known.
		kept := out.Findings[:0]
		for _, f := range out.Findings {
			if f.Code != policy.CodeUnusedRevision {
				kept = append(kept, f)
			}
		}
		out.Findings = kept
	}
	out.Notes = append(out.Notes, w.notes...)
	return out, nil
}

// namespaceLabels returns a namespace's labels, noting once when the
// input does not have it.
func (w *world) namespaceLabels(name string, noted map[string]bool, out *output) map[string]string {
	if ns, ok := w.state.Namespace(name); ok {
		return ns.Labels
	}
	if !noted[name] {
		noted[name] = true
		out.Notes = append(out.Notes, fmt.Sprintf("namespace %s is not in the input: assuming it has no labels", clean(name)))
	}
	return nil
}

// report is every workload's verdict, its pods' staleness and the lint.
func (w *world) report(ctx context.Context, o *options, out *output) error {
	opts, err := w.options(o)
	if err != nil {
		return err
	}
	noted := map[string]bool{}
	out.Workloads = []workloadRow{}
	for _, wl := range w.state.Workloads() {
		if !selects(&opts, &wl) {
			continue
		}
		row := workloadRow{Namespace: wl.Namespace, Kind: wl.Kind, Name: wl.Name}
		nsLabels := w.namespaceLabels(wl.Namespace, noted, out)
		if wl.Template != nil {
			d := w.decider.Decide(policy.Target{
				Namespace: wl.Namespace, NamespaceLabels: nsLabels,
				Labels: wl.Template.Labels, Annotations: wl.Template.Annotations, HostNetwork: wl.Template.Spec.HostNetwork,
			})
			nd := newDecision(d)
			row.Inject, row.Revision, row.Configuration, row.Webhook, row.Reason, row.Rule = nd.Inject, nd.Revision, nd.Configuration, nd.Webhook, nd.Reason, nd.Rule
		}
		for _, p := range wl.Pods {
			if !isRunning(p) || w.mesh == nil {
				continue
			}
			row.Pods++
			st, err := w.mesh.CheckStale(ctx, inject.PodRequest{Pod: p})
			if err != nil {
				return err
			}
			if st.Stale {
				row.Stale++
			}
		}
		out.Workloads = append(out.Workloads, row)
	}
	out.Findings, err = w.state.Lint(ctx, opts)
	return err
}

func selects(o *cluster.Options, w *cluster.Workload) bool {
	if o.Namespace != "" && w.Namespace != o.Namespace {
		return false
	}
	if o.Selector != nil && !o.Selector.Empty() {
		if w.Template == nil {
			return false
		}
		return o.Selector.Matches(labelSet(w.Template.Labels))
	}
	return true
}

func isRunning(p *corev1.Pod) bool {
	return p.DeletionTimestamp == nil && p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed
}

// kinds maps kubectl's names and short names to kinds.
var kinds = map[string]string{
	"pod": "Pod", "pods": "Pod", "po": "Pod",
	"deployment": "Deployment", "deployments": "Deployment", "deploy": "Deployment",
	"statefulset": "StatefulSet", "statefulsets": "StatefulSet", "sts": "StatefulSet",
	"daemonset": "DaemonSet", "daemonsets": "DaemonSet", "ds": "DaemonSet",
	"replicaset": "ReplicaSet", "replicasets": "ReplicaSet", "rs": "ReplicaSet",
	"job": "Job", "jobs": "Job",
	"cronjob": "CronJob", "cronjobs": "CronJob", "cj": "CronJob",
}

// parseTarget reads istioctl's [<type>/]<name>[.<namespace>].
func parseTarget(arg, ns string) (kind, name, namespace string, err error) {
	kind, name = "Pod", arg
	if t, n, ok := strings.Cut(arg, "/"); ok {
		k, known := kinds[strings.ToLower(t)]
		if !known {
			return "", "", "", fmt.Errorf("%q: unknown resource type %q (want pod, deployment, statefulset, daemonset, replicaset, job or cronjob)", arg, t)
		}
		kind, name = k, n
	}
	namespace = ns
	// As istioctl: the namespace follows the last dot (a namespace holds
	// none, a pod or workload name may).
	if k := strings.LastIndexByte(name, '.'); k >= 0 {
		name, namespace = name[:k], name[k+1:]
	}
	if namespace == "" {
		namespace = "default"
	}
	if name == "" {
		return "", "", "", fmt.Errorf("%q: no name", arg)
	}
	return kind, name, namespace, nil
}

// ownedTarget finds a ReplicaSet or Job of the dumps by name, with the
// pods it controls.
func (w *world) ownedTarget(kind, ns, name string) (*corev1.PodTemplateSpec, []*corev1.Pod, bool) {
	var tmpl *corev1.PodTemplateSpec
	switch kind {
	case "ReplicaSet":
		for i := range w.state.ReplicaSets {
			if rs := &w.state.ReplicaSets[i]; rs.Namespace == ns && rs.Name == name {
				tmpl = &rs.Spec.Template
			}
		}
	case "Job":
		for i := range w.state.Jobs {
			if j := &w.state.Jobs[i]; j.Namespace == ns && j.Name == name {
				tmpl = &j.Spec.Template
			}
		}
	}
	if tmpl == nil {
		return nil, nil, false
	}
	var pods []*corev1.Pod
	for i := range w.state.Pods {
		p := &w.state.Pods[i]
		if p.Namespace != ns {
			continue
		}
		for _, ref := range p.OwnerReferences {
			if ref.Controller != nil && *ref.Controller && ref.Kind == kind && ref.Name == name {
				pods = append(pods, p)
			}
		}
	}
	return tmpl, pods, true
}

// checkTarget is istioctl x check-inject for one pod or workload, or for
// labels (-l) in a namespace (-n).
func (w *world) checkTarget(ctx context.Context, o *options, out *output) error {
	t := &target{}
	var pods []*corev1.Pod
	var annotations map[string]string
	hostNetwork := false
	if o.target == "" {
		sel, err := metav1.ParseToLabelSelector(o.selector)
		if err != nil {
			return fmt.Errorf("-l %q: %w", o.selector, err)
		}
		t.Kind, t.Namespace, t.Labels = "Pod", o.ns, sel.MatchLabels
	} else {
		kind, name, ns, err := parseTarget(o.target, o.ns)
		if err != nil {
			return err
		}
		t.Kind, t.Name, t.Namespace = kind, name, ns
		found := false
		if kind == "Pod" {
			for i := range w.state.Pods {
				p := &w.state.Pods[i]
				if p.Namespace == ns && p.Name == name {
					// As istioctl, the pod's labels as they are.
					t.Labels, annotations, hostNetwork, pods, found = p.Labels, p.Annotations, p.Spec.HostNetwork, []*corev1.Pod{p}, true
				}
			}
		} else {
			for _, wl := range w.state.Workloads() {
				if wl.Kind == kind && wl.Namespace == ns && wl.Name == name {
					found, pods = true, wl.Pods
					if wl.Template != nil {
						t.Labels, annotations, hostNetwork = wl.Template.Labels, wl.Template.Annotations, wl.Template.Spec.HostNetwork
					}
				}
			}
			if !found {
				// A ReplicaSet of a Deployment or a Job of a CronJob is
				// part of its owner's workload, but istioctl takes it as
				// a target too: its own template and pods.
				var tmpl *corev1.PodTemplateSpec
				tmpl, pods, found = w.ownedTarget(kind, ns, name)
				if found {
					t.Labels, annotations, hostNetwork = tmpl.Labels, tmpl.Annotations, tmpl.Spec.HostNetwork
				}
			}
		}
		if !found {
			return fmt.Errorf("%s %q not found in namespace %q in the input", strings.ToLower(kind), name, ns)
		}
	}
	out.Target = t
	noted := map[string]bool{}
	pt := policy.Target{Namespace: t.Namespace, NamespaceLabels: w.namespaceLabels(t.Namespace, noted, out), Labels: t.Labels,
		Annotations: annotations, HostNetwork: hostNetwork}
	out.Webhooks = w.decider.Configurations(pt)
	out.Decision = newDecision(w.decider.Decide(pt))
	if w.mesh != nil {
		for _, p := range pods {
			if !isRunning(p) {
				continue
			}
			st, err := w.mesh.CheckStale(ctx, inject.PodRequest{Pod: p})
			if err != nil {
				return err
			}
			out.Pods = append(out.Pods, podStaleness{Namespace: p.Namespace, Name: p.Name, Staleness: st})
		}
	}
	opts, err := w.options(&options{ns: t.Namespace})
	if err != nil {
		return err
	}
	all, err := w.state.Lint(ctx, opts)
	if err != nil {
		return err
	}
	if o.target == "" {
		// A pod that does not exist yet: lint its labels alone.
		ns := policy.LintNamespace{Name: t.Namespace, Labels: pt.NamespaceLabels}
		extra, err := policy.Lint(policy.LintInput{Mesh: w.policy, Namespaces: []policy.LintNamespace{ns},
			Workloads: []policy.LintWorkload{{Kind: "Pod", Namespace: t.Namespace, Name: o.selector, Pod: pt}}})
		if err != nil {
			return err
		}
		all = append(all, extra...)
	}
	name := t.Name
	if o.target == "" {
		name = o.selector // the pod has no name yet; its labels stand for it
	}
	object := strings.ToLower(t.Kind) + "/" + name + "." + t.Namespace
	seen := map[policy.Finding]bool{}
	for _, f := range all {
		if (f.Object == object || f.Object == "namespace/"+t.Namespace) && !seen[f] {
			seen[f] = true
			out.Findings = append(out.Findings, f)
		}
	}
	sort.SliceStable(out.Findings, func(a, b int) bool { return out.Findings[a].Object < out.Findings[b].Object })
	return nil
}
