package cluster

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kinject/kinject/inject"
	"github.com/kinject/kinject/policy"
)

// Action is what a plan does to a workload. The values are stable: they
// appear in check-inject's JSON output.
type Action string

// The actions of a plan.
const (
	// Nothing: every pod already has the sidecar it gets after the change.
	Nothing Action = "Nothing"
	// RestartToUpdate: `kubectl rollout restart`; the pods' sidecar comes
	// from another revision after the change, or the same revision now
	// injects a different one.
	RestartToUpdate Action = "RestartToUpdate"
	// RestartToInject: `kubectl rollout restart`; the pods have no sidecar
	// and get one after the change.
	RestartToInject Action = "RestartToInject"
	// RestartToRemove: `kubectl rollout restart`; the pods have a sidecar
	// and get none after the change.
	RestartToRemove Action = "RestartToRemove"
	// DeleteAndRecreate: a bare pod (or the pods of a ReplicaSet without a
	// Deployment, which recreates them) must be deleted and created again.
	DeleteAndRecreate Action = "DeleteAndRecreate"
	// Wait: a running Job's pods are not restarted; they finish with the
	// old sidecar and the next ones get the new.
	Wait Action = "Wait"
)

// restartAction maps a pod's staleness to the action on a restartable
// workload.
func restartAction(a inject.StaleAction) Action {
	switch a {
	case inject.RestartToUpdate:
		return RestartToUpdate
	case inject.RestartToInject:
		return RestartToInject
	case inject.RestartToRemove:
		return RestartToRemove
	}
	return Nothing
}

// Plan is what a change does to the running workloads, and the commands
// that carry it out.
type Plan struct {
	// Change is the change planned for.
	Change Change `json:"change"`
	// Workloads are every workload the options select, by namespace, kind
	// and name, with its action (Nothing included).
	Workloads []WorkloadPlan `json:"workloads"`
	// Commands are the guides' commands, in order: the change itself
	// (tags, then namespace labels), then the restarts, namespace by
	// namespace.
	Commands []string `json:"commands"`
	// Restarts counts the workloads whose pods must be restarted, deleted
	// or waited for.
	Restarts int `json:"restarts"`
}

// WorkloadPlan is a plan's line for one workload.
type WorkloadPlan struct {
	// Kind is the workload's kind, as Workload.Kind.
	Kind string `json:"kind"`
	// Namespace is the workload's namespace.
	Namespace string `json:"namespace"`
	// Name is the workload's name.
	Name string `json:"name"`
	// Pods counts its running pods.
	Pods int `json:"pods"`
	// Now lists the revisions its running pods' sidecars come from, as
	// istio.io/rev values ("" is a pod without a sidecar), sorted.
	Now []string `json:"now"`
	// After is the revision that injects its new pods after the change
	// ("" for none).
	After string `json:"after"`
	// Action is what to do.
	Action Action `json:"action"`
	// Need is, for DeleteAndRecreate and Wait, what its pods need (the
	// staleness of the first stale pod); "" otherwise.
	Need inject.StaleAction `json:"need,omitempty"`
	// Stale counts the pods that need the action.
	Stale int `json:"stale"`
	// Reason says why, from the first stale pod (or, for Nothing, from the
	// decision for its new pods).
	Reason string `json:"reason"`
	// Changes are the first stale pod's differing fields, for a sidecar of
	// the same revision that changed.
	Changes []inject.FieldChange `json:"changes,omitempty"`

	stalePods []string // names of the stale pods, for kubectl delete
}

// ID names the workload in istioctl's argument form.
func (w *WorkloadPlan) ID() string {
	return strings.ToLower(w.Kind) + "/" + w.Name + "." + w.Namespace
}

// Options select and tune what Plan, Verify and Lint look at.
type Options struct {
	// Namespace, when set, limits them to one namespace (kubectl's -n).
	Namespace string
	// Selector, when set, limits them to workloads whose new pods'
	// labels match (kubectl's -l).
	Selector labels.Selector
	// Config adjusts each revision's inject.Config before it is prepared
	// (see State.Mesh); nil leaves the dumps' configuration.
	Config func(*inject.Config)
	// Policy, when set, replaces State.Policy in Lint: manifests checked
	// against a mesh written by hand rather than a cluster's dumps.
	Policy *policy.Mesh
}

// selects reports whether the options keep a workload.
func (o *Options) selects(w *Workload) bool {
	if o.Namespace != "" && w.Namespace != o.Namespace {
		return false
	}
	if o.Selector != nil && !o.Selector.Empty() {
		var l map[string]string
		if w.Template != nil {
			l = w.Template.Labels
		}
		return o.Selector.Matches(labels.Set(l))
	}
	return true
}

// Plan tells what c will do to the running workloads: for each, the
// revisions its pods run now, the revision after the change, and the
// action (see Action), then the ordered commands. It is pure: it reads s
// and c and returns a value; ctx only bounds the work. An empty Change
// plans for the state as it is (which workloads need a restart now).
func (s *State) Plan(ctx context.Context, c Change, opts Options) (*Plan, error) {
	after, err := s.Apply(c)
	if err != nil {
		return nil, err
	}
	mesh, err := after.Mesh(opts.Config)
	if err != nil {
		return nil, err
	}
	p := &Plan{Change: c, Commands: append([]string{}, c.Commands()...), Workloads: []WorkloadPlan{}}
	byNamespace := map[string][]*WorkloadPlan{}
	var order []string
	for _, w := range after.Workloads() {
		if !opts.selects(&w) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		wp, err := planWorkload(ctx, mesh, &w)
		if err != nil {
			return nil, err
		}
		p.Workloads = append(p.Workloads, wp)
		if wp.Action != Nothing {
			p.Restarts++
		}
	}
	for i := range p.Workloads {
		wp := &p.Workloads[i]
		if wp.Action == Nothing {
			continue
		}
		if _, ok := byNamespace[wp.Namespace]; !ok {
			order = append(order, wp.Namespace)
		}
		byNamespace[wp.Namespace] = append(byNamespace[wp.Namespace], wp)
	}
	sort.Strings(order)
	for _, ns := range order {
		p.Commands = append(p.Commands, restartCommands(ns, byNamespace[ns])...)
	}
	return p, nil
}

// planWorkload decides one workload's action from its pods' staleness
// under mesh (the state after the change).
func planWorkload(ctx context.Context, mesh *inject.Mesh, w *Workload) (WorkloadPlan, error) {
	wp := WorkloadPlan{Kind: w.Kind, Namespace: w.Namespace, Name: w.Name, Now: []string{}, Action: Nothing}
	if w.Template != nil {
		pod := &corev1.Pod{ObjectMeta: *w.Template.ObjectMeta.DeepCopy(), Spec: w.Template.Spec}
		pod.Namespace = w.Namespace
		d, err := mesh.Decide(inject.PodRequest{Pod: pod})
		if err != nil {
			return wp, err
		}
		if d.Inject {
			wp.After = revLabel(d.Revision)
		}
		wp.Reason = d.Reason
	}
	now := map[string]bool{}
	var first *inject.Staleness
	for _, pod := range w.Pods {
		if !running(pod) {
			continue
		}
		wp.Pods++
		st, err := mesh.CheckStale(ctx, inject.PodRequest{Pod: pod})
		if err != nil {
			return wp, fmt.Errorf("%s: %w", w.ID(), err)
		}
		now[st.RunningRevision] = true
		if st.Stale {
			wp.Stale++
			wp.stalePods = append(wp.stalePods, pod.Name)
			if first == nil {
				first = &st
			}
		}
	}
	for r := range now {
		wp.Now = append(wp.Now, r)
	}
	sort.Strings(wp.Now)
	if first == nil {
		if wp.Pods == 0 {
			wp.Reason = "no running pods"
		}
		return wp, nil
	}
	wp.Reason, wp.Changes = first.Reason, first.Changes
	switch {
	case w.isJob():
		wp.Action, wp.Need = Wait, first.Action
	case w.restartable():
		wp.Action = restartAction(first.Action)
	default:
		wp.Action, wp.Need = DeleteAndRecreate, first.Action
	}
	return wp, nil
}

// restartCommands are the guides' commands for one namespace's workloads:
// one `kubectl rollout restart` for its Deployments, StatefulSets and
// DaemonSets, then a `kubectl delete pod` for each bare pod or
// controller-less ReplicaSet's pods. Running Jobs get none (they are
// waited for).
func restartCommands(ns string, ws []*WorkloadPlan) []string {
	var restart, deletes []string
	for _, w := range ws {
		switch w.Action {
		case RestartToUpdate, RestartToInject, RestartToRemove:
			restart = append(restart, strings.ToLower(w.Kind)+"/"+w.Name)
		case DeleteAndRecreate:
			if w.Kind == "Pod" {
				deletes = append(deletes, fmt.Sprintf("kubectl delete pod %s -n %s   # then create it again from its manifest", w.Name, ns))
				continue
			}
			if len(w.stalePods) > 0 {
				deletes = append(deletes, fmt.Sprintf("kubectl delete pod -n %s %s   # %s %s creates them again", ns, strings.Join(w.stalePods, " "), strings.ToLower(w.Kind), w.Name))
			}
		}
	}
	var out []string
	if len(restart) > 0 {
		out = append(out, fmt.Sprintf("kubectl rollout restart -n %s %s", ns, strings.Join(restart, " ")))
	}
	return append(out, deletes...)
}
