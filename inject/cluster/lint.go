package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kinject/kinject/inject"
	"github.com/kinject/kinject/policy"
)

// CodeInjectionFails is the finding of a workload whose next pod the
// injector of its revision refuses (an annotation it rejects, a template
// it does not have, resources whose request exceeds the limit): with the
// webhook's failurePolicy Fail the API server refuses the pod. It needs
// the templates, so Lint reports it here rather than in policy.
const CodeInjectionFails policy.Code = "InjectionFails"

// Lint checks the state's labels (policy.Lint: namespaces, workloads,
// installed webhooks, unused revisions) and, with the templates, each
// workload's next pod (CodeInjectionFails). Findings are sorted by object,
// then code.
func (s *State) Lint(ctx context.Context, opts Options) ([]policy.Finding, error) {
	in := policy.LintInput{Mesh: s.Policy(), Running: map[string]int{}}
	if opts.Policy != nil {
		in.Mesh = *opts.Policy
	}
	for _, ns := range s.Namespaces {
		if opts.Namespace == "" || ns.Name == opts.Namespace {
			in.Namespaces = append(in.Namespaces, policy.LintNamespace{Name: ns.Name, Labels: ns.Labels})
		}
	}
	mesh, err := s.Mesh(opts.Config)
	if err != nil {
		return nil, err
	}
	var out []policy.Finding
	for _, w := range s.Workloads() {
		for _, p := range w.Pods {
			if rev := runningRevision(p); rev != "" && running(p) {
				in.Running[rev]++
			}
		}
		if !opts.selects(&w) || w.Template == nil {
			continue
		}
		lw := policy.LintWorkload{Kind: w.Kind, Namespace: w.Namespace, Name: w.Name, Pod: policy.Target{
			Labels: w.Template.Labels, Annotations: w.Template.Annotations, HostNetwork: w.Template.Spec.HostNetwork,
		}}
		if w.JobMeta != nil {
			lw.JobLabels, lw.JobAnnotations = w.JobMeta.Labels, w.JobMeta.Annotations
		}
		in.Workloads = append(in.Workloads, lw)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		pod := &corev1.Pod{ObjectMeta: *w.Template.ObjectMeta.DeepCopy(), Spec: w.Template.Spec}
		pod.Namespace = w.Namespace
		if pod.Name == "" {
			pod.GenerateName = w.Name + "-"
		}
		if _, err := mesh.InjectPod(ctx, inject.PodRequest{Pod: pod, PatchOnly: true}); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			out = append(out, policy.Finding{
				Code: CodeInjectionFails, Severity: policy.SeverityError, Object: w.ID(),
				Message: "its next pod would be refused by its revision's injector: " + firstLine(err),
			})
		}
	}
	labelFindings, err := policy.Lint(in)
	if err != nil {
		return nil, err
	}
	out = append(out, labelFindings...)
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].Object != out[b].Object {
			return out[a].Object < out[b].Object
		}
		return out[a].Code < out[b].Code
	})
	return out, nil
}

// runningRevision is the revision a pod's sidecar came from, from its
// sidecar.istio.io/status annotation; "" without one.
func runningRevision(p *corev1.Pod) string {
	v, ok := p.Annotations["sidecar.istio.io/status"]
	if !ok {
		return ""
	}
	var st struct {
		Revision string `json:"revision"`
	}
	if err := json.Unmarshal([]byte(v), &st); err != nil || st.Revision == "" {
		return "default"
	}
	return st.Revision
}

// firstLine keeps a joined error on one line for a finding's message.
func firstLine(err error) string {
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		parts := []string{}
		for _, e := range joined.Unwrap() {
			parts = append(parts, e.Error())
		}
		return strings.Join(parts, "; ")
	}
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}
